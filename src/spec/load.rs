//! Reading a spec and everything it includes: cycle detection, XML policies merged in, signer
//! names resolved, duplicates merged and conflicts reported.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, SourceText};
use super::ir::*;
use super::names;
use super::parse::{self, ParsedFile, PolicySection, RawEntry, RawTarget, ScanEntry, SettingEntry};
use super::{ScanRequest, Scanner, XmlReadError, XmlReader};
use crate::model::{Action, CertRoot, EkuCondition, FileRule, Policy, Version};
use crate::suggest;

/// Everything read from a spec and its includes, merged.
pub struct Loaded {
    /// Every file read, for diagnostics.
    pub sources: Vec<SourceText>,
    /// The top spec's `[policy]` (None when it had none or it was malformed).
    pub policy: Option<PolicySection>,
    /// Allow and deny rules, merged, in first-seen order.
    pub entries: Vec<Entry>,
    /// Named signers (global across includes).
    pub signers: BTreeMap<String, (SignerDef, Loc)>,
    /// `[[setting]]` entries.
    pub settings: Vec<SettingEntry>,
    /// Problems.
    pub errors: Vec<Diagnostic>,
}

struct Loader<'a> {
    sources: Vec<SourceText>,
    errors: Vec<Diagnostic>,
    xml: Option<XmlReader<'a>>,
    scanner: Option<Scanner<'a>>,
    /// Canonical paths of the files being read, outermost first (for cycles).
    stack: Vec<PathBuf>,
    /// Canonical paths already read (a file included twice is read once).
    done: BTreeSet<PathBuf>,
    files: Vec<ParsedFile>,
    xml_entries: Vec<Entry>,
}

/// Reads `text` (the top spec, shown as `display`, relative paths against `dir`) and its
/// includes.
pub fn load<'a>(
    display: &str,
    dir: &Path,
    text: String,
    canonical: Option<PathBuf>,
    xml: Option<XmlReader<'a>>,
    scanner: Option<Scanner<'a>>,
) -> Loaded {
    let mut l = Loader {
        sources: Vec::new(),
        errors: Vec::new(),
        xml,
        scanner,
        stack: Vec::new(),
        done: BTreeSet::new(),
        files: Vec::new(),
        xml_entries: Vec::new(),
    };
    if let Some(c) = &canonical {
        l.stack.push(c.clone());
        l.done.insert(c.clone());
    }
    let idx = l.add_source(display, text);
    let top = l.parse_toml(idx, dir);
    let policy = top.policy.clone();
    // A malformed [policy] has its own errors; report a missing one only when nothing else is wrong.
    if policy.is_none() && l.errors.is_empty() {
        l.errors.push(Diagnostic::file(
            display,
            "the spec has no [policy] table",
            Some("add [policy] with `name`, `version` and `mode` (see docs/spec.md)".into()),
        ));
    }
    let includes = top.includes.clone();
    l.files.push(top);
    for (path, loc) in includes {
        l.include(&path, &loc);
    }
    l.finish(policy)
}

impl Loader<'_> {
    fn add_source(&mut self, display: &str, text: String) -> usize {
        self.sources.push(SourceText::new(display, text));
        self.sources.len() - 1
    }

    fn err_at(&mut self, loc: &Loc, msg: impl Into<String>, help: Option<String>) {
        let d = self.sources[loc.src].diag(loc.span.clone(), msg, help);
        self.errors.push(d);
    }

    fn parse_toml(&mut self, idx: usize, dir: &Path) -> ParsedFile {
        let src = self.sources[idx].clone();
        parse::parse_file(&src, idx, dir, &mut self.errors)
    }

    fn include(&mut self, path: &Path, via: &Loc) {
        let display = path.display().to_string();
        let canonical = match std::fs::canonicalize(path) {
            Ok(c) => c,
            Err(e) => {
                self.err_at(via, format!("cannot read included file {display}: {e}"), None);
                return;
            }
        };
        if let Some(pos) = self.stack.iter().position(|p| *p == canonical) {
            let mut chain: Vec<String> = self.stack[pos..]
                .iter()
                .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
                .collect();
            chain.push(canonical.file_name().unwrap_or_default().to_string_lossy().into_owned());
            self.err_at(
                via,
                format!("include cycle: {}", chain.join(" -> ")),
                Some("a spec cannot include itself, directly or through other specs".into()),
            );
            return;
        }
        if !self.done.insert(canonical.clone()) {
            return;
        }
        let is_xml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml"));
        let is_toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        // Refused before reading: the file could be anything, `/dev/zero` included.
        if !is_xml && !is_toml {
            self.err_at(
                via,
                format!("cannot include {display}"),
                Some("include other specs (.toml) or SiPolicy XML policies (.xml)".into()),
            );
            return;
        }
        let bytes = match crate::fsio::read_named(path) {
            Ok(b) => b,
            Err(e) => {
                self.err_at(via, format!("cannot read included file {display}: {e}"), None);
                return;
            }
        };
        if is_xml {
            self.include_xml(&display, &bytes, via);
            return;
        }
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                self.err_at(via, format!("{display} is not UTF-8 text: {e}"), None);
                return;
            }
        };
        let idx = self.add_source(&display, text);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        self.stack.push(canonical);
        let parsed = self.parse_toml(idx, &dir);
        let includes = parsed.includes.clone();
        self.files.push(parsed);
        for (p, loc) in includes {
            self.include(&p, &loc);
        }
        self.stack.pop();
    }

    fn include_xml(&mut self, display: &str, bytes: &[u8], via: &Loc) {
        let Some(reader) = self.xml else {
            self.err_at(via, "this build cannot read XML policies", None);
            return;
        };
        let idx = self.add_source(display, String::new());
        match reader(bytes) {
            Ok(p) => {
                let mut errs = Vec::new();
                let entries = import_policy(&p, idx, &mut errs);
                for e in errs {
                    self.errors.push(Diagnostic::file(display, e, None));
                }
                self.xml_entries.extend(entries);
            }
            Err(XmlReadError { line, column, message }) => self.errors.push(Diagnostic {
                file: display.to_string(),
                line,
                column,
                message: format!("included XML policy is invalid: {message}"),
                help: None,
                snippet: None,
            }),
        }
    }

    fn finish(mut self, policy: Option<PolicySection>) -> Loaded {
        let mut signers: BTreeMap<String, (SignerDef, Loc)> = BTreeMap::new();
        let files = std::mem::take(&mut self.files);
        let broken: BTreeSet<String> = files.iter().flat_map(|f| f.broken_signers.iter().cloned()).collect();
        for f in &files {
            for s in &f.signers {
                match signers.get(&s.name) {
                    Some((def, first)) if *def != s.def => {
                        let first = self.sources[first.src].diag(first.span.clone(), "", None);
                        self.err_at(
                            &s.loc,
                            format!("signer `{}` is defined twice with different content", s.name),
                            Some(format!("the other definition is at {}:{}", first.file, first.line)),
                        );
                    }
                    Some(_) => {}
                    None => {
                        signers.insert(s.name.clone(), (s.def.clone(), s.loc.clone()));
                    }
                }
            }
        }
        let scenarios = policy
            .as_ref()
            .map(|p| p.scenarios.clone())
            .unwrap_or_else(|| [Scn::Kernel, Scn::User].into_iter().collect());
        let mut resolved = Vec::new();
        for f in &files {
            for raw in &f.entries {
                if let RawTarget::Signer { name, .. } = &raw.target
                    && broken.contains(name)
                    && !signers.contains_key(name)
                {
                    continue;
                }
                if let Some(e) = self.resolve(raw, &signers, &scenarios) {
                    resolved.push(e);
                }
            }
        }
        for e in std::mem::take(&mut self.xml_entries) {
            // Dropping an included rule silently could drop a deny: refuse instead.
            match e.scenarios.iter().find(|s| !scenarios.contains(s)) {
                Some(s) => self.err_at(
                    &e.loc,
                    format!(
                        "the included policy has {}-mode rules, and [policy] scenarios does not list `{}`",
                        s.name(),
                        s.name()
                    ),
                    Some(format!("add \"{}\" to [policy] scenarios", s.name())),
                ),
                None => resolved.push(e),
            }
        }
        let mut scans = Vec::new();
        let mut settings = Vec::new();
        for f in files {
            scans.extend(f.scans);
            settings.extend(f.settings);
        }
        for s in &scans {
            if let Some(x) = s.scenarios.iter().find(|x| !scenarios.contains(x)) {
                self.err_at(
                    &s.loc,
                    format!("scenario `{}` is not in the policy's scenarios", x.name()),
                    Some("add it to [policy] scenarios, or drop it here".into()),
                );
                continue;
            }
            resolved.extend(self.scan(s));
        }
        let entries = self.merge(resolved);
        Loaded {
            sources: self.sources,
            policy,
            entries,
            signers,
            settings,
            errors: self.errors,
        }
    }

    /// Runs one `[[scan]]` through the scanner the caller supplied and imports its rules.
    fn scan(&mut self, s: &ScanEntry) -> Vec<Entry> {
        let Some(scanner) = self.scanner else {
            self.err_at(
                &s.loc,
                format!(
                    "[[scan]] of {} is not run here: no file scanner was supplied",
                    s.folder.display()
                ),
                Some("`cipolicy build` runs [[scan]] entries; check what it writes instead".into()),
            );
            return Vec::new();
        };
        let req = ScanRequest {
            folder: &s.folder,
            level: s.level,
            fallback: &s.fallback,
            scenarios: s.scenarios.iter().map(|x| x.value()).collect(),
            omit: &s.omit,
            path_prefix: &s.path_prefix,
        };
        let policy = match scanner(&req) {
            Ok(p) => p,
            Err(e) => {
                self.err_at(&s.loc, format!("scan of {} failed: {e}", s.folder.display()), None);
                return Vec::new();
            }
        };
        let mut errs = Vec::new();
        let mut entries = import_policy(&policy, s.loc.src, &mut errs);
        for e in errs {
            self.err_at(&s.loc, format!("scan result: {e}"), None);
        }
        for e in &mut entries {
            e.loc = s.loc.clone();
            // The same reasons `cipolicy scan --as spec` writes, so a [[scan]] and the fragment
            // of the same scan build the same bytes.
            e.reason = match &s.reason {
                Some(r) => Some(r.clone()),
                None => super::write::reason_of(e.reason.as_deref()),
            };
            if let Some(extra) = e.scenarios.iter().find(|x| !s.scenarios.contains(x)) {
                let msg = format!(
                    "the scanner returned a rule for scenario `{}`, which was not asked for",
                    extra.name()
                );
                self.err_at(&s.loc, msg, None);
            }
        }
        entries
    }

    fn resolve(
        &mut self,
        raw: &RawEntry,
        signers: &BTreeMap<String, (SignerDef, Loc)>,
        scenarios: &BTreeSet<Scn>,
    ) -> Option<Entry> {
        let target = match &raw.target {
            RawTarget::File(m) => Target::File(m.clone()),
            RawTarget::Signer {
                name,
                name_loc,
                attribs,
            } => match signers.get(name) {
                Some((def, _)) => Target::Signer {
                    signer: def.clone(),
                    attribs: attribs.clone(),
                },
                None => {
                    let help = suggest::closest(name, signers.keys().map(String::as_str))
                        .map(|c| format!("did you mean `{c}`?"))
                        .or_else(|| Some(format!("define it as [signers.{name}]")));
                    self.err_at(name_loc, format!("unknown signer `{name}`"), help);
                    return None;
                }
            },
        };
        let mut ok = true;
        for s in raw.scenarios.difference(scenarios) {
            self.err_at(
                &raw.scenarios_loc,
                format!("scenario `{}` is not in the policy's scenarios", s.name()),
                Some("add it to [policy] scenarios, or drop it here".into()),
            );
            ok = false;
        }
        if let Target::File(m) = &target
            && m.file_path.is_some()
            && raw.scenarios.contains(&Scn::Kernel)
        {
            self.err_at(
                &raw.scenarios_loc,
                "path rules cannot apply to kernel mode",
                Some("Windows does not support FilePath rules for drivers; use scenarios = [\"user\"]".into()),
            );
            ok = false;
        }
        ok.then(|| Entry {
            act: raw.act,
            target,
            scenarios: raw.scenarios.clone(),
            reason: raw.reason.clone(),
            loc: raw.loc.clone(),
            generated: false,
        })
    }

    /// Merges identical rules (scenarios joined, first reason kept), reports duplicates within
    /// one spec file and rules that are both allowed and denied.
    fn merge(&mut self, entries: Vec<Entry>) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        let mut index: BTreeMap<(Act, String), usize> = BTreeMap::new();
        for e in entries {
            let canon = e.target.canonical();
            let other = match e.act {
                Act::Allow => Act::Deny,
                Act::Deny => Act::Allow,
            };
            if let Some(&i) = index.get(&(other, canon.clone())) {
                let first = self.sources[out[i].loc.src].diag(out[i].loc.span.clone(), "", None);
                self.err_at(
                    &e.loc,
                    format!("{} is both allowed and denied", e.target.describe()),
                    Some(format!("the other rule is at {}:{}", first.file, first.line)),
                );
                continue;
            }
            match index.get(&(e.act, canon.clone())) {
                Some(&i) => {
                    let same_spec = out[i].loc.src == e.loc.src && !out[i].generated && !e.generated;
                    if same_spec {
                        let first = self.sources[out[i].loc.src].diag(out[i].loc.span.clone(), "", None);
                        self.err_at(
                            &e.loc,
                            format!("duplicate rule: {}", e.target.describe()),
                            Some(format!(
                                "the same rule is at line {}; merge the two entries",
                                first.line
                            )),
                        );
                        continue;
                    }
                    let kept = &mut out[i];
                    kept.scenarios.extend(e.scenarios);
                    if kept.reason.is_none() {
                        kept.reason = e.reason;
                    }
                }
                None => {
                    index.insert((e.act, canon), out.len());
                    out.push(e);
                }
            }
        }
        out
    }
}

fn file_match(r: &FileRule) -> FileMatch {
    // ConfigCI (and `cipolicy scan`) give every FilePath rule MinimumFileVersion="0.0.0.0", which
    // every file meets; a spec's path rule has no version, so the two are made the same rule.
    let min_version = match r.minimum_file_version {
        Some(v) if v == Version::ZERO && r.file_path.is_some() => None,
        v => v,
    };
    FileMatch {
        hash: r.hash.clone(),
        file_path: r.file_path.clone(),
        package_family_name: r.package_family_name.clone(),
        package_version: r.package_version,
        file_name: r.file_name.clone(),
        internal_name: r.internal_name.clone(),
        file_description: r.file_description.clone(),
        product_name: r.product_name.clone(),
        min_version,
        max_version: r.maximum_file_version,
        app_ids: r.app_ids.clone(),
    }
}

/// Turns an XML policy's scenarios into rules. Only what the spec can express is accepted;
/// anything else is reported rather than dropped.
pub fn import_policy(p: &Policy, src: usize, errs: &mut Vec<String>) -> Vec<Entry> {
    let loc = Loc { src, span: 0..0 };
    let mut out = Vec::new();
    let signer_def = |id: &str, errs: &mut Vec<String>| -> Option<SignerDef> {
        let Some(s) = p.signer(id) else {
            errs.push(format!(
                "a scenario refers to signer {id}, which the policy does not define"
            ));
            return None;
        };
        if !s.artifact_rule_refs.is_empty() {
            errs.push(format!(
                "signer {id} has ArtifactRuleRef elements, which specs cannot express"
            ));
            return None;
        }
        let mut ekus = BTreeSet::new();
        for ce in &s.cert_ekus {
            if ce.condition == Some(EkuCondition::Except) {
                errs.push(format!(
                    "signer {id} uses CertEKU Condition=\"Except\", which specs cannot express"
                ));
                return None;
            }
            let Some(e) = p.ekus.iter().find(|e| e.id == ce.id) else {
                errs.push(format!(
                    "signer {id} refers to EKU {}, which the policy does not define",
                    ce.id
                ));
                return None;
            };
            let value = e
                .value
                .as_ref()
                .map(|v| v.0.clone())
                .or_else(|| e.oid.as_deref().and_then(crate::model::roots::eku_value_from_oid));
            match value {
                Some(v) => {
                    ekus.insert(EkuReq { value: v });
                }
                None => {
                    errs.push(format!("EKU {} has neither a Value nor a valid OID", e.id));
                    return None;
                }
            }
        }
        let root = match &s.cert_root {
            CertRoot::Tbs(h) => Root::Tbs(h.0.clone()),
            CertRoot::Wellknown(b) => Root::Wellknown(*b),
        };
        let name = s.name.clone().unwrap_or_else(|| match root {
            Root::Wellknown(b) => names::root_display_name(b),
            Root::Tbs(_) => id.to_string(),
        });
        Some(SignerDef {
            key: SignerKey {
                root,
                ekus,
                issuer: s.cert_issuer.clone(),
                publisher: s.cert_publisher.clone(),
                oem_id: s.cert_oem_id.clone(),
                sign_time_after: s.sign_time_after.map(|t| t.0),
            },
            name,
        })
    };
    for sc in &p.signing_scenarios {
        let scn = match sc.value {
            crate::model::SCENARIO_KERNEL => Scn::Kernel,
            crate::model::SCENARIO_USER => Scn::User,
            v => {
                errs.push(format!(
                    "scenario {} has value {v}; specs know only 12 (user) and 131 (kernel)",
                    sc.id
                ));
                continue;
            }
        };
        if !sc.test_signers.is_empty() || !sc.test_signing_signers.is_empty() || !sc.artifact_signers.is_empty() {
            errs.push(format!(
                "scenario {} has TestSigners, TestSigningSigners or ArtifactSigners, which specs cannot express",
                sc.id
            ));
        }
        if sc.app_id_tags.is_some() {
            errs.push(format!(
                "scenario {} has AppIDTags, which an included policy cannot bring",
                sc.id
            ));
        }
        let scenarios: BTreeSet<Scn> = [scn].into_iter().collect();
        let g = &sc.product_signers;
        let signer_lists = g
            .allowed
            .iter()
            .map(|a| (Act::Allow, &a.signer_id, a.except_deny_rules.is_empty()))
            .chain(
                g.denied
                    .iter()
                    .map(|d| (Act::Deny, &d.signer_id, d.except_allow_rules.is_empty())),
            );
        for (act, sid, no_except) in signer_lists {
            if !no_except {
                errs.push(format!(
                    "signer {sid} has ExceptDenyRule/ExceptAllowRule exceptions, which specs cannot express"
                ));
                continue;
            }
            let Some(def) = signer_def(sid.as_str(), errs) else {
                continue;
            };
            let refs = &p
                .signer(sid.as_str())
                .map(|s| s.file_attrib_refs.clone())
                .unwrap_or_default();
            if refs.is_empty() {
                out.push(Entry {
                    act,
                    target: Target::Signer {
                        signer: def,
                        attribs: None,
                    },
                    scenarios: scenarios.clone(),
                    reason: None,
                    loc: loc.clone(),
                    generated: true,
                });
                continue;
            }
            for r in refs {
                match p.file_rule(r.as_str()) {
                    Some(rule) if rule.kind.action() == Action::Attribute => out.push(Entry {
                        act,
                        target: Target::Signer {
                            signer: def.clone(),
                            attribs: Some(file_match(rule)),
                        },
                        scenarios: scenarios.clone(),
                        reason: rule.friendly_name.clone(),
                        loc: loc.clone(),
                        generated: true,
                    }),
                    Some(_) => errs.push(format!("signer {sid} has FileAttribRef {r}, which is not a FileAttrib")),
                    None => errs.push(format!(
                        "signer {sid} refers to file rule {r}, which the policy does not define"
                    )),
                }
            }
        }
        for r in &g.file_rules_ref {
            let Some(rule) = p.file_rule(r.as_str()) else {
                errs.push(format!(
                    "scenario {} refers to file rule {r}, which the policy does not define",
                    sc.id
                ));
                continue;
            };
            if !rule.hotpatch.is_empty() {
                errs.push(format!("rule {r} has hot-patch attributes, which specs cannot express"));
                continue;
            }
            let act = match rule.kind.action() {
                Action::Allow => Act::Allow,
                Action::Deny => Act::Deny,
                Action::Attribute => {
                    errs.push(format!("scenario {} lists FileAttrib {r} as a file rule", sc.id));
                    continue;
                }
            };
            out.push(Entry {
                act,
                target: Target::File(file_match(rule)),
                scenarios: scenarios.clone(),
                reason: rule.friendly_name.clone(),
                loc: loc.clone(),
                generated: true,
            });
        }
    }
    out
}
