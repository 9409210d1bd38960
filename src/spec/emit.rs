//! Merged spec to [`Policy`]: policy-level checks, deterministic IDs and a fixed element order.
//!
//! IDs are derived from content (SHA-256 of a canonical text, first 8 bytes in upper-case hex),
//! never from position, so adding or removing a rule leaves every other ID alone:
//!
//! | element | ID |
//! |---|---|
//! | Allow / Deny | `ID_ALLOW_{U,K}_{HASH,PATH,PFN,ATTR}_<h>` / `ID_DENY_…` (h: the rule's attributes) |
//! | FileAttrib | `ID_FILEATTRIB_{U,K}_<h>` (h: action, signer, attributes) |
//! | Signer in a scenario | `ID_SIGNER_{U,K}_{S,F}_<h>` (S: whole signer, F: narrowed by FileAttribRefs; h: action and signer) |
//! | Update / supplemental signer | `ID_SIGNER_UPDATE_<h>` / `ID_SIGNER_SUPPLEMENTAL_<h>` |
//! | EKU | `ID_EKU_<SHORT>` for the known EKUs, else `ID_EKU_OID_1_3_…` |
//! | SigningScenario | `ID_SIGNINGSCENARIO_KMCI` (131), `ID_SIGNINGSCENARIO_UMCI` (12) |
//!
//! Order: options by Set-RuleOption number; EKUs, signers and file rules (Allow, Deny, then
//! FileAttrib) by ID; kernel scenario before user; every reference list by ID; settings by
//! provider, key, value name (ordinal), as the COM-settings documentation asks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::diag::{Diagnostic, SourceText};
use super::ir::*;
use super::load::Loaded;
use super::parse::{self, BaseRef, Kind, Mode, PolicySection};
use super::{NAMESPACE, XmlReader};
use crate::model::roots::{KNOWN_EKUS, oid_from_eku_value};
use crate::model::*;
use crate::suggest;

fn h16(text: &str) -> String {
    const_hex::encode_upper(&Sha256::digest(text.as_bytes())[..8])
}

fn act_word(a: Act) -> &'static str {
    match a {
        Act::Allow => "ALLOW",
        Act::Deny => "DENY",
    }
}

/// The EKU element for a required EKU.
fn eku_element(e: &EkuReq) -> Eku {
    let oid = oid_from_eku_value(&e.value);
    let known = oid.as_deref().and_then(|o| KNOWN_EKUS.iter().find(|k| k.oid == o));
    let id = match (known, &oid) {
        (Some(k), _) => format!("ID_EKU_{}", k.short.to_ascii_uppercase()),
        (None, Some(o)) => format!("ID_EKU_OID_{}", o.replace('.', "_")),
        (None, None) => format!("ID_EKU_V_{}", const_hex::encode_upper(&e.value)),
    };
    let friendly_name = match (known, &oid) {
        (Some(k), Some(o)) => Some(format!("{} - {o}", k.name)),
        (None, Some(o)) => Some(o.clone()),
        _ => None,
    };
    Eku {
        id: id.into(),
        value: Some(HexBytes(e.value.clone())),
        oid: None,
        friendly_name,
    }
}

fn signer_element(id: String, def: &SignerDef, name: String) -> Signer {
    let mut s = Signer::new(
        id,
        match &def.key.root {
            Root::Wellknown(b) => CertRoot::Wellknown(*b),
            Root::Tbs(h) => CertRoot::Tbs(HexBytes(h.clone())),
        },
    );
    s.name = Some(name);
    s.cert_ekus = def
        .key
        .ekus
        .iter()
        .map(|e| CertEku {
            id: eku_element(e).id,
            condition: None,
        })
        .collect();
    s.cert_issuer = def.key.issuer.clone();
    s.cert_publisher = def.key.publisher.clone();
    s.cert_oem_id = def.key.oem_id.clone();
    s.sign_time_after = def.key.sign_time_after.map(SignTime);
    s
}

fn file_rule(kind: FileRuleKind, id: String, m: &FileMatch, reason: &Option<String>) -> FileRule {
    let mut r = FileRule::new(kind, id);
    r.friendly_name = reason.clone();
    r.hash = m.hash.clone();
    r.file_path = m.file_path.clone();
    r.package_family_name = m.package_family_name.clone();
    r.package_version = m.package_version;
    r.file_name = m.file_name.clone();
    r.internal_name = m.internal_name.clone();
    r.file_description = m.file_description.clone();
    r.product_name = m.product_name.clone();
    r.minimum_file_version = m.min_version;
    r.maximum_file_version = m.max_version;
    r.app_ids = m.app_ids.clone();
    r
}

struct Emitter<'a> {
    l: &'a mut Loaded,
    errors: Vec<Diagnostic>,
    /// ID → canonical content, to catch (astronomically unlikely) hash collisions.
    ids: BTreeMap<String, String>,
}

impl Emitter<'_> {
    fn err(&mut self, loc: &Loc, msg: impl Into<String>, help: Option<String>) {
        let d = self.l.sources[loc.src].diag(loc.span.clone(), msg, help);
        self.errors.push(d);
    }

    fn claim(&mut self, id: &str, content: &str, loc: &Loc) {
        if let Some(prev) = self.ids.get(id) {
            if prev != content {
                self.err(loc, format!("two different rules derive the same ID {id}"), None);
            }
        } else {
            self.ids.insert(id.to_string(), content.to_string());
        }
    }
}

/// The resolved identity of a supplemental's base.
fn resolve_base(
    e: &mut Emitter<'_>,
    p: &PolicySection,
    top: Option<&Path>,
    xml: Option<XmlReader<'_>>,
) -> Option<Guid> {
    let base = match &p.base {
        Some(b) => b.clone(),
        None => {
            e.err(
                &p.kind_loc,
                "a supplemental policy needs `base`",
                Some("give the base's PolicyID (`base = \"{…}\"`) or its spec (`base = \"base.toml\"`)".into()),
            );
            return None;
        }
    };
    let (path, loc) = match base {
        BaseRef::Id(g) => return Some(g),
        BaseRef::Path(path, loc) => (path, loc),
    };
    let display = path.display().to_string();
    let canonical = std::fs::canonicalize(&path);
    if let (Ok(c), Some(t)) = (&canonical, top)
        && std::fs::canonicalize(t).ok().as_ref() == Some(c)
    {
        e.err(&loc, "a supplemental policy cannot be its own base", None);
        return None;
    }
    let bytes = match crate::fsio::read_named(&path) {
        Ok(b) => b,
        Err(err) => {
            e.err(
                &loc,
                format!("cannot read base policy {display}: {err}"),
                Some("`base` is a PolicyID in braces or the path of the base spec or XML".into()),
            );
            return None;
        }
    };
    let is_xml = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml"));
    if is_xml {
        let Some(read) = xml else {
            e.err(&loc, "this build cannot read XML policies", None);
            return None;
        };
        let pol = match read(&bytes) {
            Ok(pol) => pol,
            Err(x) => {
                e.err(
                    &loc,
                    format!("base policy {display}:{}:{}: {}", x.line, x.column, x.message),
                    None,
                );
                return None;
            }
        };
        if pol.effective_type() != PolicyType::Base {
            e.err(&loc, format!("{display} is not a base policy"), None);
            return None;
        }
        if !pol.has_option(OptionKind::AllowSupplementalPolicies) {
            e.err(
                &loc,
                format!("base policy {display} does not allow supplemental policies"),
                Some("the base needs option 17, \"Enabled:Allow Supplemental Policies\"".into()),
            );
            return None;
        }
        return pol.policy_id;
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let src = SourceText::new(display.clone(), text);
    e.l.sources.push(src.clone());
    let idx = e.l.sources.len() - 1;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut errs = Vec::new();
    let parsed = parse::parse_file(&src, idx, &dir, &mut errs);
    let n = errs.len();
    e.errors.extend(errs);
    let Some(bp) = parsed.policy else {
        if n == 0 {
            e.err(&loc, format!("base spec {display} has no [policy] table"), None);
        }
        return None;
    };
    if bp.kind != Kind::Base {
        e.err(&loc, format!("{display} is not a base policy"), None);
        return None;
    }
    if !bp
        .options
        .iter()
        .any(|(o, _)| *o == OptionKind::AllowSupplementalPolicies)
    {
        e.err(
            &loc,
            format!("base spec {display} does not allow supplemental policies"),
            Some("add 17 (\"Enabled:Allow Supplemental Policies\") to the base's options".into()),
        );
        return None;
    }
    Some(policy_id(&bp))
}

/// The PolicyID of a spec's policy: `id`, else UUIDv5 of the name in the project namespace.
pub fn policy_id(p: &PolicySection) -> Guid {
    p.id.unwrap_or_else(|| Guid::v5(NAMESPACE, p.name.as_bytes()))
}

/// Builds the policy. Returns the errors found at this stage (load errors are separate).
pub fn emit(l: &mut Loaded, top: Option<&Path>, xml: Option<XmlReader<'_>>) -> Result<Policy, Vec<Diagnostic>> {
    let Some(p) = l.policy.clone() else {
        return Err(Vec::new());
    };
    let mut e = Emitter {
        l,
        errors: Vec::new(),
        ids: BTreeMap::new(),
    };
    let id = policy_id(&p);
    for inbox in INBOX_POLICY_IDS {
        if inbox.parse::<Guid>().ok() == Some(id) {
            e.err(
                &p.loc,
                format!("{id} is the ID of a policy built into Windows"),
                Some("choose another `id`".into()),
            );
        }
    }
    let mut policy = Policy::new_base(id);
    policy.friendly_name = Some(p.name.clone());
    policy.version_ex = p.version;
    policy.hvci_options = p.hvci;
    match p.kind {
        Kind::Base => {}
        Kind::Supplemental => {
            policy.policy_type = Some(PolicyType::Supplemental);
            if let Some(b) = resolve_base(&mut e, &p, top, xml) {
                if b == id {
                    e.err(
                        &p.kind_loc,
                        "a supplemental policy's ID must differ from its base's",
                        None,
                    );
                }
                policy.base_policy_id = Some(b);
            }
        }
        Kind::AppIdTagging => policy.policy_type = Some(PolicyType::AppIdTagging),
    }
    if p.kind != Kind::Supplemental && p.base.is_some() {
        e.err(
            &p.kind_loc,
            "only a supplemental policy has a `base`",
            Some("set `type = \"supplemental\"` or remove `base`".into()),
        );
    }
    if p.legacy {
        if p.kind != Kind::Base {
            e.err(&p.format_loc, "the legacy format has only base policies", None);
        }
        policy.policy_type = None;
        policy.policy_type_id = LEGACY_POLICY_TYPE_ID.parse().ok();
        policy.policy_id = None;
        policy.base_policy_id = None;
    }
    options(&mut e, &p, &mut policy);
    settings(&mut e, &p, &mut policy);
    rules(&mut e, &p, &mut policy);
    policy_signers(&mut e, &p, &mut policy);
    if p.kind == Kind::AppIdTagging {
        appid(&mut e, &p, &mut policy);
    } else if !p.appid_tags.is_empty() || p.appid_enforce_dll.is_some() {
        e.err(
            &p.loc,
            "`appid_tags` belong to `type = \"appid-tagging\"` policies",
            None,
        );
    }
    if e.errors.is_empty() { Ok(policy) } else { Err(e.errors) }
}

/// Windows' own policy IDs (validation.md §1.5), which a spec must not reuse.
const INBOX_POLICY_IDS: &[&str] = &[
    "{d2bda982-ccf6-4344-ac5b-0b44427b6816}",
    "{5951a96a-e0b5-4d3d-8fb8-3e5b61030784}",
    "{82443e1e-8a39-4b4a-96a8-f40ddc00b9f3}",
    "{5dac656c-21ad-4a02-ab49-649917162e70}",
    "{CDD5CB55-DB68-4D71-AA38-3DF2B6473A52}",
    "{0283ac0f-fff1-49ae-ada1-8a933130cad6}",
    "{1678656c-05ef-481f-bc5b-ebd8c991502d}",
    "{0939ED82-BFD5-4D32-B58E-D31D3C49715A}",
    "{1283ac0f-fff1-49ae-ada1-8a933130cad6}",
    "{2678656c-05ef-481f-bc5b-ebd8c991502d}",
    "{1939ED82-BFD5-4D32-B58E-D31D3C49715A}",
];

fn options(e: &mut Emitter<'_>, p: &PolicySection, policy: &mut Policy) {
    let mut set: BTreeSet<OptionKind> = BTreeSet::new();
    let supplemental = p.kind == Kind::Supplemental;
    match (p.kind, p.mode) {
        (Kind::Supplemental, Some(_)) => e.err(
            &p.kind_loc,
            "a supplemental policy takes its mode from its base; remove `mode`",
            None,
        ),
        (Kind::Supplemental, None) => {}
        (_, None) => e.err(
            &p.loc,
            "[policy] needs `mode`",
            Some("add `mode = \"audit\"` to log only, or `mode = \"enforce\"` to block".into()),
        ),
        (_, Some(Mode::Audit)) => {
            set.insert(OptionKind::AuditMode);
        }
        (_, Some(Mode::Enforce)) => {}
    }
    if !p.signed {
        set.insert(OptionKind::UnsignedSystemIntegrityPolicy);
    }
    if !supplemental && p.scenarios.contains(&Scn::User) {
        set.insert(OptionKind::Umci);
    }
    for (o, loc) in &p.options {
        let o = *o;
        if o == OptionKind::AuditMode && p.mode == Some(Mode::Enforce) {
            e.err(
                loc,
                "\"Enabled:Audit Mode\" conflicts with mode = \"enforce\"",
                Some("use `mode = \"audit\"` instead of listing option 3".into()),
            );
        }
        if o == OptionKind::UnsignedSystemIntegrityPolicy && p.signed {
            e.err(
                loc,
                "\"Enabled:Unsigned System Integrity Policy\" conflicts with signed = true",
                None,
            );
        }
        if supplemental && o == OptionKind::AllowSupplementalPolicies {
            e.err(
                loc,
                "a supplemental policy cannot allow supplemental policies (option 17)",
                None,
            );
        } else if supplemental && !o.valid_in_supplemental() {
            e.err(
                loc,
                format!("\"{o}\" has no effect in a supplemental policy (it comes from the base)"),
                Some("supplementals may set options 5, 6, 13, 14 and 18".into()),
            );
        }
        if p.legacy && o == OptionKind::AllowSupplementalPolicies {
            e.err(
                loc,
                "the legacy single-policy format cannot take supplemental policies",
                None,
            );
        }
        if o == OptionKind::WindowsLockdownTrialMode {
            e.err(
                loc,
                "\"Enabled:Windows Lockdown Trial Mode\" is not in current schemas",
                None,
            );
        }
        set.insert(o);
    }
    policy.rules = set.into_iter().map(RuleOption::Known).collect();
}

fn settings(e: &mut Emitter<'_>, p: &PolicySection, policy: &mut Policy) {
    let mut map: BTreeMap<(String, String, String), (SettingValue, Loc)> = BTreeMap::new();
    let info = |name: &str, v: String| {
        (
            ("PolicyInfo".to_string(), "Information".to_string(), name.to_string()),
            (SettingValue::String(v), p.loc.clone()),
        )
    };
    let (k, v) = info("Name", p.name.clone());
    map.insert(k, v);
    let (k, v) = info("Id", p.info_id.clone().unwrap_or_else(|| p.version.to_string()));
    map.insert(k, v);
    for s in std::mem::take(&mut e.l.settings) {
        let key = (
            s.setting.provider.clone(),
            s.setting.key.clone(),
            s.setting.value_name.clone(),
        );
        match map.get(&key) {
            Some((v, _)) if *v == s.setting.value => {}
            Some((_, first)) => {
                let first = e.l.sources[first.src].diag(first.span.clone(), "", None);
                e.err(
                    &s.loc,
                    format!(
                        "setting {}/{}/{} is given twice with different values",
                        key.0, key.1, key.2
                    ),
                    Some(format!("the other one is at {}:{}", first.file, first.line)),
                );
            }
            None => {
                map.insert(key, (s.setting.value, s.loc));
            }
        }
    }
    policy.settings = map
        .into_iter()
        .map(|((provider, key, value_name), (value, _))| Setting {
            provider,
            key,
            value_name,
            value,
        })
        .collect();
}

#[derive(Default)]
struct SignerGroupBuild {
    def: Option<SignerDef>,
    reason: Option<String>,
    attribs: Vec<String>,
}

fn rules(e: &mut Emitter<'_>, p: &PolicySection, policy: &mut Policy) {
    let entries = std::mem::take(&mut e.l.entries);
    let mut file_rules: BTreeMap<(u8, String), FileRule> = BTreeMap::new();
    let mut groups: BTreeMap<(Scn, Act, String), SignerGroupBuild> = BTreeMap::new();
    let mut refs: BTreeMap<Scn, BTreeSet<String>> = BTreeMap::new();
    let mut allowed_any: BTreeSet<Scn> = BTreeSet::new();
    if p.kind == Kind::Supplemental
        && let Some(d) = entries.iter().find(|x| x.act == Act::Deny)
    {
        e.err(
            &d.loc,
            "deny rules have no effect in a supplemental policy",
            Some("supplementals only widen their base; put deny rules in the base".into()),
        );
    }
    for en in &entries {
        for &scn in &en.scenarios {
            let l = scn.letter();
            if en.act == Act::Allow {
                allowed_any.insert(scn);
            }
            match &en.target {
                Target::File(m) => {
                    let id = format!("ID_{}_{l}_{}_{}", act_word(en.act), m.kind_word(), h16(&m.canonical()));
                    e.claim(&id, &m.canonical(), &en.loc);
                    let kind = match en.act {
                        Act::Allow => FileRuleKind::Allow,
                        Act::Deny => FileRuleKind::Deny,
                    };
                    refs.entry(scn).or_default().insert(id.clone());
                    let order = if en.act == Act::Allow { 0 } else { 1 };
                    file_rules.insert((order, id.clone()), file_rule(kind, id, m, &en.reason));
                }
                Target::Signer { signer, attribs } => {
                    let level = if attribs.is_some() { 'F' } else { 'S' };
                    let scontent = format!("{}\n{}", act_word(en.act), signer.key.canonical());
                    let sid = format!("ID_SIGNER_{l}_{level}_{}", h16(&scontent));
                    e.claim(&sid, &format!("{level}\n{scontent}"), &en.loc);
                    let g = groups.entry((scn, en.act, sid)).or_default();
                    g.def.get_or_insert_with(|| signer.clone());
                    if let Some(a) = attribs {
                        let content = format!("{scontent}attribs\n{}", a.canonical());
                        let fid = format!("ID_FILEATTRIB_{l}_{}", h16(&content));
                        g.attribs.push(fid.clone());
                        file_rules.insert(
                            (2, fid.clone()),
                            file_rule(FileRuleKind::FileAttrib, fid.clone(), a, &en.reason),
                        );
                        e.claim(&fid, &content, &en.loc);
                    } else if g.reason.is_none() {
                        g.reason = en.reason.clone();
                    }
                }
            }
        }
    }
    if matches!(p.kind, Kind::Base) {
        for scn in &p.scenarios {
            if !allowed_any.contains(scn) {
                let (what, help) = match scn {
                    Scn::Kernel => (
                        "kernel mode allows nothing: no driver could load and Windows would not start",
                        "allow kernel signers (see rules/default-windows.toml), or leave drivers unrestricted with [[allow]] file_name = \"*\", scenarios = [\"kernel\"]",
                    ),
                    Scn::User => (
                        "user mode allows nothing: no program could run",
                        "add [[allow]] rules for user mode, or drop \"user\" from [policy] scenarios",
                    ),
                };
                e.err(&p.loc, what, Some(help.into()));
            }
        }
    }
    let mut ekus: BTreeMap<String, Eku> = BTreeMap::new();
    let mut signers: BTreeMap<String, Signer> = BTreeMap::new();
    let mut scen: BTreeMap<Scn, SigningScenario> = BTreeMap::new();
    for scn in &p.scenarios {
        let (id, name) = match scn {
            Scn::Kernel => ("ID_SIGNINGSCENARIO_KMCI", "Kernel Mode Signing Scenario"),
            Scn::User => ("ID_SIGNINGSCENARIO_UMCI", "User Mode Signing Scenario"),
        };
        let mut s = SigningScenario::new(id, scn.value());
        s.friendly_name = Some(name.to_string());
        s.product_signers.file_rules_ref = refs.remove(scn).unwrap_or_default().into_iter().map(Id).collect();
        scen.insert(*scn, s);
    }
    for ((scn, act, sid), mut g) in groups {
        let Some(def) = g.def.take() else { continue };
        for req in &def.key.ekus {
            let el = eku_element(req);
            ekus.insert(el.id.0.clone(), el);
        }
        let name = match (&g.reason, g.attribs.is_empty()) {
            (Some(r), true) => format!("{}: {r}", def.name),
            _ => def.name.clone(),
        };
        let mut s = signer_element(sid.clone(), &def, name);
        g.attribs.sort();
        g.attribs.dedup();
        s.file_attrib_refs = g.attribs.into_iter().map(Id).collect();
        signers.insert(sid.clone(), s);
        let Some(sc) = scen.get_mut(&scn) else { continue };
        match act {
            Act::Allow => {
                sc.product_signers.allowed.push(AllowedSigner {
                    signer_id: Id(sid.clone()),
                    except_deny_rules: Vec::new(),
                });
                if scn == Scn::User {
                    policy.ci_signers.push(Id(sid));
                }
            }
            Act::Deny => sc.product_signers.denied.push(DeniedSigner {
                signer_id: Id(sid),
                except_allow_rules: Vec::new(),
            }),
        }
    }
    for sc in scen.values_mut() {
        sc.product_signers.allowed.sort_by(|a, b| a.signer_id.cmp(&b.signer_id));
        sc.product_signers.denied.sort_by(|a, b| a.signer_id.cmp(&b.signer_id));
    }
    policy.ci_signers.sort();
    policy.ekus = ekus.into_values().collect();
    policy.signers = signers.into_values().collect();
    policy.file_rules = file_rules.into_values().collect();
    policy.signing_scenarios = scen.into_values().collect();
}

fn policy_signers(e: &mut Emitter<'_>, p: &PolicySection, policy: &mut Policy) {
    let mut lists: [(Vec<Id>, &str); 2] = [(Vec::new(), "UPDATE"), (Vec::new(), "SUPPLEMENTAL")];
    for (which, names) in [(0, &p.update_signers), (1, &p.supplemental_signers)] {
        for (name, loc) in names {
            let Some((def, _)) = e.l.signers.get(name).cloned() else {
                let help = suggest::closest(name, e.l.signers.keys().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"))
                    .or_else(|| Some(format!("define it as [signers.{name}]")));
                e.err(loc, format!("unknown signer `{name}`"), help);
                continue;
            };
            let id = format!("ID_SIGNER_{}_{}", lists[which].1, h16(&def.key.canonical()));
            for req in &def.key.ekus {
                let el = eku_element(req);
                if !policy.ekus.iter().any(|x| x.id == el.id) {
                    policy.ekus.push(el);
                }
            }
            if !policy.signers.iter().any(|s| s.id.as_str() == id) {
                policy.signers.push(signer_element(id.clone(), &def, def.name.clone()));
            }
            lists[which].0.push(Id(id));
        }
    }
    policy.ekus.sort_by(|a, b| a.id.cmp(&b.id));
    policy.signers.sort_by(|a, b| a.id.cmp(&b.id));
    let [(mut update, _), (mut supp, _)] = lists;
    update.sort();
    update.dedup();
    supp.sort();
    supp.dedup();
    if p.signed && p.update_signers.is_empty() {
        e.err(
            &p.signed_loc,
            "a signed policy needs `update_signers`",
            Some("name the signer whose certificate will sign policy updates, or set `signed = false`".into()),
        );
    }
    let allows_supp = policy.has_option(OptionKind::AllowSupplementalPolicies);
    if p.kind == Kind::Base && p.signed && allows_supp && p.supplemental_signers.is_empty() {
        e.err(
            &p.signed_loc,
            "a signed base that allows supplemental policies needs `supplemental_signers`",
            Some("name the signer allowed to sign supplemental policies".into()),
        );
    }
    if p.kind == Kind::Supplemental && !supp.is_empty() {
        e.err(
            &p.signed_loc,
            "a supplemental policy cannot have `supplemental_signers`",
            Some("supplemental signers belong in the base policy".into()),
        );
    }
    policy.update_policy_signers = update;
    policy.supplemental_policy_signers = supp;
}

fn appid(e: &mut Emitter<'_>, p: &PolicySection, policy: &mut Policy) {
    if p.scenarios.contains(&Scn::Kernel) {
        e.err(
            &p.loc,
            "an AppID tagging policy has only the user scenario",
            Some("set `scenarios = [\"user\"]`".into()),
        );
    }
    if p.appid_tags.is_empty() {
        e.err(
            &p.loc,
            "an AppID tagging policy needs `appid_tags`",
            Some("e.g. appid_tags = { Contoso = \"True\" }".into()),
        );
    }
    if let Some(sc) = policy.signing_scenarios.iter_mut().find(|s| s.value == SCENARIO_USER) {
        sc.app_id_tags = Some(AppIdTags {
            enforce_dll: p.appid_enforce_dll,
            tags: p.appid_tags.clone(),
        });
    }
}
