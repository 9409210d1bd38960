//! `explain`: which rules of a policy match a file, and whether the file is allowed, blocked or
//! not covered in each signing scenario — offline, from the scanner's facts.
//!
//! Evaluation follows validation.md §3.6: in a scenario's ProductSigners, an explicit deny (a
//! Deny rule in FileRulesRef, or a DeniedSigner whose signer matches and no ExceptAllowRule of
//! which matches) blocks; otherwise an explicit allow (an Allow rule in FileRulesRef, or an
//! AllowedSigner whose signer matches and no ExceptDenyRule of which matches) allows; otherwise the
//! file is not covered (implicitly denied, unless ISG or a managed installer vouch for it at run
//! time). TestSigners and TestSigningSigners are not evaluated (their semantics are undocumented).
//!
//! Matching:
//!
//! * `Hash`: equal to the file's Authenticode/SIP SHA-1 or SHA-256; or to its first-page SHA-1
//!   or SHA-256 when the file is page-hash signed (Windows then checks pages as they load; for
//!   other files the whole-image hash is what it computes — our reading of HS002, not verified).
//! * Scenarios: a file is evaluated where it loads — kernel-mode images in 131, everything else
//!   in 12, images that cannot be classified in both.
//! * `FileName`, `InternalName`, `FileDescription`, `ProductName`: the version resource's
//!   OriginalFilename, InternalName, FileDescription, ProductName (case-insensitive); `*` matches
//!   every file. All attributes a rule has must match.
//! * Versions: the fixed FILEVERSION (0.0.0.0 when the file has none). Allow and FileAttrib
//!   rules need `version >= MinimumFileVersion` and `<= MaximumFileVersion`; a Deny with only a
//!   minimum blocks versions up to it, with only a maximum versions from it up, with both the
//!   range, with neither every version.
//! * `FilePath`: user mode only, against the file's Windows path (given by the caller), with the
//!   macros `%OSDRIVE%` (`C:`), `%WINDIR%` (`C:\Windows`) and `%SYSTEM32%`
//!   (`C:\Windows\System32`), `*` for any run of characters (backslashes included) and `?` for
//!   one, case-insensitively. The run-time check that the folder is admin-writable only cannot be
//!   made offline.
//! * Signers, per usable embedded signature: `CertRoot Type="TBS"` equals the TBS hash of a
//!   certificate in the chain (leaf, issuer, …); `Wellknown` matches when the chain's top
//!   certificate is issued by that root (by name, since bags rarely hold roots); `CertPublisher`
//!   is the leaf's CN; `CertIssuer` the leaf issuer's CN (inferred); `CertOemID` the opus program
//!   name; each `CertEKU` must be on the leaf (absent for `Condition="Except"`); with
//!   `FileAttribRef`s the file must also match one of them. `SignTimeAfter` cannot be checked
//!   (no signing time is read) and is assumed satisfied.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cert::CertFacts;
use crate::model::roots::{oid_from_eku_value, well_known_root};
use crate::model::{
    Action, CertRoot, EkuCondition, FileRule, Id, OptionKind, Policy, PolicyType, SCENARIO_KERNEL, SCENARIO_USER,
    Signer, SigningScenario, Version,
};
use crate::scan::{FileFacts, HashMethod, ImageMode, SignatureFacts};

/// The outcome in one scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// An allow rule or signer matches and no deny does.
    Allowed,
    /// A deny rule or denied signer matches (deny wins over allow).
    Blocked,
    /// Nothing matches: implicitly denied.
    NotCovered,
}

/// One rule or signer that matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Match {
    /// `allow rule`, `deny rule`, `allowed signer`, `denied signer`.
    pub kind: &'static str,
    /// The rule's or signer's ID.
    pub id: String,
    /// Its FriendlyName or Name.
    pub name: Option<String>,
    /// Why it matches.
    pub why: String,
    /// When set, the match does not count: an exception rule that also matches.
    pub excepted_by: Option<String>,
}

/// The evaluation of one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    /// 131 or 12.
    pub scenario: u8,
    /// The outcome.
    pub verdict: Verdict,
    /// One sentence: why.
    pub reason: String,
    /// Every matching deny, then every matching allow.
    pub matches: Vec<Match>,
    /// Things that change what happens at run time (Audit Mode, ISG, rules that cannot be
    /// evaluated offline).
    pub notes: Vec<String>,
}

/// The facts `explain` used, for the report.
#[derive(Clone, Debug, Serialize)]
pub struct FileSummary {
    /// The path given.
    pub path: String,
    /// The Windows path FilePath rules were matched against.
    pub windows_path: Option<String>,
    /// File kind.
    pub kind: String,
    /// Authenticode/SIP SHA-256.
    pub sha256: String,
    /// FILEVERSION.
    pub file_version: Option<String>,
    /// OriginalFilename.
    pub original_file_name: Option<String>,
    /// Usable signatures as "leaf CN <- issuer CN".
    pub signers: Vec<String>,
}

/// The explanation for one file.
#[derive(Clone, Debug, Serialize)]
pub struct FileExplanation {
    /// The file.
    pub file: FileSummary,
    /// One result per scenario the file loads in.
    pub scenarios: Vec<ScenarioResult>,
}

impl FileExplanation {
    /// True when every scenario allows the file.
    pub fn allowed_everywhere(&self) -> bool {
        !self.scenarios.is_empty() && self.scenarios.iter().all(|s| s.verdict == Verdict::Allowed)
    }
}

/// Expands the FilePath macros Windows knows (validation.md FP003).
fn expand_path_macros(p: &str) -> String {
    let mut s = p.to_string();
    for (m, v) in [
        ("%SYSTEM32%", "C:\\Windows\\System32"),
        ("%WINDIR%", "C:\\Windows"),
        ("%OSDRIVE%", "C:"),
    ] {
        while let Some(i) = s.to_ascii_uppercase().find(m) {
            s.replace_range(i..i + m.len(), v);
        }
    }
    s
}

/// Wildcard match, case-insensitive: `*` any run (backslashes included), `?` one character.
/// Iterative with one backtrack point, so hostile patterns cannot blow up.
fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().map(slash).collect();
    let t: Vec<char> = text.to_lowercase().chars().map(slash).collect();
    let (mut i, mut j) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

fn slash(c: char) -> char {
    if c == '/' { '\\' } else { c }
}

/// Matches a file against one rule's attributes. `Ok(why)` on a match, `Err(why not)` otherwise.
/// `path_ok` is false in scenarios where FilePath rules do not apply.
fn rule_matches(r: &FileRule, f: &FileFacts, windows_path: Option<&str>, path_ok: bool) -> Result<String, String> {
    if let Some(h) = &r.hash {
        if h == &f.sha1 || h == &f.sha256 {
            let alg = if h == &f.sha1 { "SHA-1" } else { "SHA-256" };
            let what = match f.hash_method {
                HashMethod::Authenticode => "Authenticode",
                HashMethod::FlatFallback => "flat (non-conformant image)",
                HashMethod::PowershellSip | HashMethod::MsiSip => "SIP",
                HashMethod::Flat => "flat",
            };
            return Ok(format!("Hash equals the file's {what} {alg}"));
        }
        let page = [("SHA-1", &f.page_sha1), ("SHA-256", &f.page_sha256)]
            .into_iter()
            .find(|(_, v)| v.as_ref() == Some(h))
            .map(|(a, _)| a);
        return match page {
            Some(alg) if f.signatures.iter().any(|s| s.page_hash.is_some()) => Ok(format!(
                "Hash equals the file's first-page {alg} (the file is page-hash signed, so Windows checks pages)"
            )),
            Some(alg) => Err(format!(
                "only the first-page {alg} matches; Windows uses page hashes only for page-hash-signed files"
            )),
            None => Err("hash differs".to_string()),
        };
    }
    let mut why: Vec<String> = Vec::new();
    let mut any = false;
    let version = f.version.as_ref();
    for (attr, rule_value, key) in [
        ("FileName", &r.file_name, "OriginalFilename"),
        ("InternalName", &r.internal_name, "InternalName"),
        ("FileDescription", &r.file_description, "FileDescription"),
        ("ProductName", &r.product_name, "ProductName"),
    ] {
        let Some(want) = rule_value else { continue };
        any = true;
        if want == "*" {
            why.push(format!("{attr}=\"*\" matches every file"));
            continue;
        }
        match version.and_then(|v| v.string(key)) {
            Some(have) if have.eq_ignore_ascii_case(want) => why.push(format!("{attr} \"{have}\"")),
            Some(have) => return Err(format!("{attr} is \"{have}\", not \"{want}\"")),
            None => return Err(format!("the file has no {key}")),
        }
    }
    if r.package_family_name.is_some() {
        return Err("PackageFamilyName rules match packaged apps only".into());
    }
    if let Some(pattern) = &r.file_path {
        any = true;
        if !path_ok {
            return Err("FilePath rules apply in user mode only".into());
        }
        let Some(wp) = windows_path else {
            return Err("no Windows path given for the file (use --path-prefix or --as)".into());
        };
        let expanded = expand_path_macros(pattern);
        if !wildcard(&expanded, wp) {
            return Err(format!("path {wp} does not match {pattern}"));
        }
        why.push(format!("path {wp} matches {pattern}"));
    }
    if !any {
        return Err("the rule names no attribute this file can match".into());
    }
    let fv = version.and_then(|v| v.file_version).unwrap_or(Version::ZERO);
    let (min, max) = (r.minimum_file_version, r.maximum_file_version);
    let in_range = match r.kind.action() {
        Action::Deny => match (min, max) {
            (None, None) => true,
            (Some(a), None) => fv <= a,
            (None, Some(b)) => fv >= b,
            (Some(a), Some(b)) => a <= fv && fv <= b,
        },
        _ => min.is_none_or(|a| fv >= a) && max.is_none_or(|b| fv <= b),
    };
    let bounds = match (min, max) {
        (None, None) => None,
        (Some(a), None) if r.kind.action() == Action::Deny => Some(format!("<= {a}")),
        (None, Some(b)) if r.kind.action() == Action::Deny => Some(format!(">= {b}")),
        (Some(a), None) => Some(format!(">= {a}")),
        (None, Some(b)) => Some(format!("<= {b}")),
        (Some(a), Some(b)) => Some(format!("in {a}..{b}")),
    };
    if let Some(b) = bounds {
        let shown = version
            .and_then(|v| v.file_version)
            .map_or_else(|| "0.0.0.0 (no version resource)".to_string(), |v| v.to_string());
        if !in_range {
            return Err(format!("version {shown} is not {b}"));
        }
        why.push(format!("version {shown} {b}"));
    }
    Ok(why.join(", "))
}

fn name_matches(want: &str, have: &str) -> bool {
    want.eq_ignore_ascii_case(have)
}

/// Why a signer matches one signature, or why not.
fn signer_matches_signature(p: &Policy, s: &Signer, sig: &SignatureFacts) -> Result<String, String> {
    let chain: &[CertFacts] = &sig.chain;
    let leaf = chain.first().ok_or("no certificate chain")?;
    let mut why = Vec::new();
    match &s.cert_root {
        CertRoot::Tbs(h) => {
            let hex = h.to_hex();
            let pos = chain
                .iter()
                .position(|c| c.tbs_hash.as_deref() == Some(hex.as_str()))
                .ok_or("CertRoot TBS is not the TBS of any certificate in the chain")?;
            let role = match pos {
                0 => "leaf",
                1 => "issuer",
                _ => "chain certificate",
            };
            why.push(format!(
                "CertRoot is the TBS of the {role} \"{}\"",
                chain[pos].subject_name
            ));
        }
        CertRoot::Wellknown(b) => {
            let root = well_known_root(*b).ok_or_else(|| format!("unknown well-known root {b:02X}"))?;
            let top = chain.last().expect("non-empty");
            let by_name = top.issuer_name == root.name || (top.self_issued && top.subject_name == root.name);
            if !by_name {
                return Err(format!(
                    "well-known root {b:02X} is {}, but the chain ends at \"{}\" issued by \"{}\"",
                    root.name, top.subject_name, top.issuer_name
                ));
            }
            why.push(format!(
                "the chain ends under {} (well-known root {b:02X}, by name)",
                root.name
            ));
        }
    }
    if let Some(pubname) = &s.cert_publisher {
        if !name_matches(pubname, &leaf.subject_name) {
            return Err(format!(
                "CertPublisher \"{pubname}\" is not the leaf's CN \"{}\"",
                leaf.subject_name
            ));
        }
        why.push(format!("CertPublisher \"{pubname}\" is the leaf's CN"));
    }
    if let Some(issuer) = &s.cert_issuer {
        if !name_matches(issuer, &leaf.issuer_name) {
            return Err(format!(
                "CertIssuer \"{issuer}\" is not the leaf's issuer \"{}\"",
                leaf.issuer_name
            ));
        }
        why.push(format!("CertIssuer \"{issuer}\" is the leaf's issuer"));
    }
    if let Some(oem) = &s.cert_oem_id {
        match &sig.opus_program_name {
            Some(o) if name_matches(oem, o) => why.push(format!("CertOemID \"{oem}\" is the signature's program name")),
            Some(o) => return Err(format!("CertOemID \"{oem}\" is not the program name \"{o}\"")),
            None => return Err(format!("CertOemID \"{oem}\": the signature has no program name")),
        }
    }
    for ce in &s.cert_ekus {
        let oid = p
            .ekus
            .iter()
            .find(|e| e.id == ce.id)
            .and_then(|e| {
                e.value
                    .as_ref()
                    .and_then(|v| oid_from_eku_value(&v.0))
                    .or_else(|| e.oid.clone())
            })
            .ok_or_else(|| format!("CertEKU {} names no usable EKU", ce.id))?;
        let has = leaf.ekus.iter().any(|e| e == &oid);
        match (ce.condition, has) {
            (None, true) => why.push(format!("the leaf has EKU {oid}")),
            (None, false) => return Err(format!("the leaf lacks EKU {oid}")),
            (Some(EkuCondition::Except), false) => why.push(format!("the leaf lacks EKU {oid} (Except)")),
            (Some(EkuCondition::Except), true) => return Err(format!("the leaf has the excluded EKU {oid}")),
        }
    }
    Ok(why.join("; "))
}

struct Ctx<'a> {
    p: &'a Policy,
    f: &'a FileFacts,
    windows_path: Option<&'a str>,
    notes: Vec<String>,
}

impl Ctx<'_> {
    fn rule(&self, id: &Id) -> Option<&FileRule> {
        self.p.file_rule(id.as_str())
    }

    /// Does the signer allow or deny this file (any usable signature, plus its FileAttribRefs)?
    fn signer_matches(&mut self, id: &Id, scenario: u8) -> Option<String> {
        let s = self.p.signer(id.as_str())?;
        if s.sign_time_after.is_some() {
            let note = format!("{}: SignTimeAfter cannot be checked offline; assumed satisfied", s.id);
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        for (n, sig) in self.f.signatures.iter().enumerate() {
            if !sig.usable() {
                continue;
            }
            let Ok(why) = signer_matches_signature(self.p, s, sig) else {
                continue;
            };
            if s.file_attrib_refs.is_empty() {
                return Some(format!("signature {}: {why}", n + 1));
            }
            for fa in &s.file_attrib_refs {
                let Some(r) = self.rule(fa) else { continue };
                if let Ok(w) = rule_matches(r, self.f, self.windows_path, scenario == SCENARIO_USER) {
                    return Some(format!("signature {}: {why}; FileAttrib {}: {w}", n + 1, r.id));
                }
            }
        }
        None
    }

    fn excepted(&self, ids: &[Id], scenario: u8) -> Option<String> {
        ids.iter().find_map(|x| {
            let r = self.rule(x)?;
            rule_matches(r, self.f, self.windows_path, scenario == SCENARIO_USER)
                .ok()
                .map(|w| format!("{} ({w})", r.id))
        })
    }

    fn evaluate(&mut self, sc: Option<&SigningScenario>, value: u8) -> ScenarioResult {
        let mut denies: Vec<Match> = Vec::new();
        let mut allows: Vec<Match> = Vec::new();
        let supplemental = self.p.effective_type() == PolicyType::Supplemental;
        if let Some(sc) = sc {
            let g = &sc.product_signers;
            for id in &g.file_rules_ref {
                let Some(r) = self.rule(id) else { continue };
                let Ok(why) = rule_matches(r, self.f, self.windows_path, value == SCENARIO_USER) else {
                    continue;
                };
                let m = Match {
                    kind: match r.kind.action() {
                        Action::Deny => "deny rule",
                        _ => "allow rule",
                    },
                    id: r.id.0.clone(),
                    name: r.friendly_name.clone(),
                    why,
                    excepted_by: None,
                };
                match r.kind.action() {
                    Action::Deny => denies.push(m),
                    Action::Allow => allows.push(m),
                    Action::Attribute => {}
                }
            }
            for d in &g.denied {
                if let Some(why) = self.signer_matches(&d.signer_id, value) {
                    denies.push(Match {
                        kind: "denied signer",
                        id: d.signer_id.0.clone(),
                        name: self.p.signer(d.signer_id.as_str()).and_then(|s| s.name.clone()),
                        why,
                        excepted_by: self.excepted(&d.except_allow_rules, value),
                    });
                }
            }
            for a in &g.allowed {
                if let Some(why) = self.signer_matches(&a.signer_id, value) {
                    allows.push(Match {
                        kind: "allowed signer",
                        id: a.signer_id.0.clone(),
                        name: self.p.signer(a.signer_id.as_str()).and_then(|s| s.name.clone()),
                        why,
                        excepted_by: self.excepted(&a.except_deny_rules, value),
                    });
                }
            }
        }
        let mut notes = std::mem::take(&mut self.notes);
        if supplemental && !denies.is_empty() {
            notes.push("deny rules in a supplemental policy are ignored by Windows; not counted".into());
            for d in &mut denies {
                d.excepted_by
                    .get_or_insert_with(|| "supplemental policy (deny ignored)".into());
            }
        }
        let deny = denies.iter().find(|m| m.excepted_by.is_none());
        let allow = allows.iter().find(|m| m.excepted_by.is_none());
        let label = |m: &Match| format!("{} {}", m.kind, m.id);
        let (verdict, reason) = match (deny, allow) {
            (Some(d), Some(_)) => (
                Verdict::Blocked,
                format!(
                    "{} matches; deny takes precedence over the {} matching allow(s)",
                    label(d),
                    allows.iter().filter(|m| m.excepted_by.is_none()).count()
                ),
            ),
            (Some(d), None) => (Verdict::Blocked, format!("{} matches", label(d))),
            (None, Some(a)) => (Verdict::Allowed, format!("{} matches", label(a))),
            (None, None) => (
                Verdict::NotCovered,
                if sc.is_none() {
                    format!("the policy has no scenario {value}, so nothing is allowed there")
                } else {
                    "no rule or signer allows it (implicitly denied)".to_string()
                },
            ),
        };
        if verdict != Verdict::Allowed && self.p.has_option(OptionKind::AuditMode) {
            notes.push("Enabled:Audit Mode (3): Windows logs this instead of blocking".into());
        }
        if verdict == Verdict::NotCovered {
            for (o, what) in [
                (
                    OptionKind::IntelligentSecurityGraphAuthorization,
                    "the Intelligent Security Graph",
                ),
                (OptionKind::ManagedInstaller, "a managed installer"),
            ] {
                if self.p.has_option(o) {
                    notes.push(format!("{o}: {what} may still allow it at run time"));
                }
            }
        }
        if value == SCENARIO_USER && !self.p.has_option(OptionKind::Umci) {
            notes.push("Enabled:UMCI (0) is not set: user-mode code is not enforced by this policy".into());
        }
        let path_allow = allows
            .iter()
            .any(|m| m.kind == "allow rule" && self.p.file_rule(&m.id).is_some_and(|r| r.file_path.is_some()));
        if value == SCENARIO_USER && path_allow && !self.p.has_option(OptionKind::DisabledRuntimeFilePathRuleProtection)
        {
            notes.push(
                "FilePath allow: at run time Windows also requires the path to be writable by administrators only"
                    .into(),
            );
        }
        if value == SCENARIO_KERNEL && verdict == Verdict::Allowed && self.p.has_option(OptionKind::RequiredWhql) {
            let whql = self.f.usable_signatures().any(|s| {
                s.leaf()
                    .is_some_and(|l| l.ekus.iter().any(|e| e == crate::scan::rules::WHQL_EKU))
            });
            if !whql {
                notes.push("Required:WHQL (2): this driver is not WHQL-signed, so Windows blocks it anyway".into());
            }
        }
        let mut matches = denies;
        matches.extend(allows);
        ScenarioResult {
            scenario: value,
            verdict,
            reason,
            matches,
            notes,
        }
    }
}

/// Explains one file against a policy. `windows_path` is the file's path on Windows, for
/// FilePath rules.
pub fn explain(p: &Policy, f: &FileFacts, windows_path: Option<&str>) -> FileExplanation {
    let summary = FileSummary {
        path: f.path.clone(),
        windows_path: windows_path.map(str::to_string),
        kind: serde_json::to_value(f.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        sha256: f.sha256.to_hex(),
        file_version: f.version.as_ref().and_then(|v| v.file_version).map(|v| v.to_string()),
        original_file_name: f
            .version
            .as_ref()
            .and_then(|v| v.string("OriginalFilename"))
            .map(str::to_string),
        signers: f
            .signatures
            .iter()
            .map(|s| {
                let names: Vec<&str> = s.chain.iter().map(|c| c.subject_name.as_str()).collect();
                let usable = if s.usable() {
                    ""
                } else {
                    " (not usable for signer rules)"
                };
                format!("{}{usable}", names.join(" <- "))
            })
            .collect(),
    };
    let mut notes = Vec::new();
    for (n, sig) in f.signatures.iter().enumerate() {
        if !sig.usable() {
            let why = if sig.problems.is_empty() {
                "not RSA <= 4096 bits, or its digest does not match the file".to_string()
            } else {
                sig.problems.join("; ")
            };
            notes.push(format!("signature {} cannot match signer rules: {why}", n + 1));
        }
    }
    let mut ctx = Ctx {
        p,
        f,
        windows_path,
        notes: Vec::new(),
    };
    // Where the file actually loads: drivers in kernel mode, everything else in user mode, and
    // both when the image cannot be classified.
    let loads_in: Vec<u8> = if !f.kind.is_enforced() {
        Vec::new()
    } else {
        match f.mode() {
            ImageMode::Kernel => vec![SCENARIO_KERNEL],
            ImageMode::User => vec![SCENARIO_USER],
            ImageMode::Unknown => vec![SCENARIO_KERNEL, SCENARIO_USER],
        }
    };
    let results = loads_in
        .into_iter()
        .map(|v| {
            let mut r = ctx.evaluate(p.scenario(v), v);
            r.notes.splice(0..0, notes.iter().cloned());
            r
        })
        .collect();
    FileExplanation {
        file: summary,
        scenarios: results,
    }
}

fn scenario_name(v: u8) -> String {
    match v {
        SCENARIO_USER => "user mode (12)".into(),
        SCENARIO_KERNEL => "kernel mode (131)".into(),
        v => format!("scenario {v}"),
    }
}

/// Human text for a set of explanations.
pub fn to_human(list: &[FileExplanation]) -> String {
    let mut s = String::new();
    for e in list {
        let f = &e.file;
        let _ = writeln!(s, "{} ({})", f.path, f.kind);
        if let Some(w) = &f.windows_path {
            let _ = writeln!(s, "  Windows path: {w}");
        }
        let _ = writeln!(s, "  SHA-256: {}", f.sha256);
        if f.file_version.is_some() || f.original_file_name.is_some() {
            let _ = writeln!(
                s,
                "  version {}, OriginalFilename {}",
                f.file_version.as_deref().unwrap_or("none"),
                f.original_file_name.as_deref().unwrap_or("none")
            );
        }
        for sig in &f.signers {
            let _ = writeln!(s, "  signed: {sig}");
        }
        if e.scenarios.is_empty() {
            let _ = writeln!(s, "  not a file type Windows App Control enforces");
        }
        for r in &e.scenarios {
            let verdict = match r.verdict {
                Verdict::Allowed => "ALLOWED",
                Verdict::Blocked => "BLOCKED",
                Verdict::NotCovered => "NOT COVERED",
            };
            let _ = writeln!(s, "  {}: {verdict} - {}", scenario_name(r.scenario), r.reason);
            for m in &r.matches {
                let name = m.name.as_deref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
                let _ = writeln!(s, "    {} {}{name}: {}", m.kind, m.id, m.why);
                if let Some(x) = &m.excepted_by {
                    let _ = writeln!(s, "      does not count: excepted by {x}");
                }
            }
            for n in &r.notes {
                let _ = writeln!(s, "    note: {n}");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_macros() {
        let m = |p: &str, t: &str| wildcard(&expand_path_macros(p), t);
        assert!(m("%OSDRIVE%\\Tools\\*", "C:\\Tools\\a\\b.exe"));
        assert!(m("%osdrive%\\tools\\*", "c:\\TOOLS\\x.exe"));
        assert!(!m("%OSDRIVE%\\Tools\\*", "C:\\Toolsx\\b.exe"));
        assert!(m("%WINDIR%\\h?llo.exe", "C:\\Windows\\hello.exe"));
        assert!(!m("%WINDIR%\\h?llo.exe", "C:\\Windows\\heello.exe"));
        assert!(m("*\\hello.exe", "D:\\x\\hello.exe"));
        assert!(m("%SYSTEM32%\\*\\x.dll", "C:\\Windows\\System32\\a\\b\\x.dll"));
        assert!(m("C:/Tools/*", "C:\\Tools\\x"));
        assert!(!m("C:\\Tools\\x.exe", "C:\\Tools\\x.exe.bak"));
        // Many stars do not explode.
        assert!(!wildcard(&"*a".repeat(50), &"a".repeat(40)));
    }
}
