//! A [`RuleSet`] as a policy model or as an allow-list spec fragment.
//!
//! IDs follow ConfigCI's naming (rule-levels.md §5.4) with per-prefix counters in generation order,
//! so the same files always give the same IDs; names and friendly names come from the first file
//! (in path order) behind each element.

use super::level::NameLevel;
use super::rules::{FileRuleSpec, GenRule, GenSigner, RuleSet};
use crate::model::roots::eku_value_from_oid;
use crate::model::{
    AllowedSigner, CertEku, CertRoot, Eku, FileRule, FileRuleKind, Guid, HexBytes, Id, OptionKind, Policy, RuleOption,
    SCENARIO_KERNEL, SCENARIO_USER, Signer, SigningScenario, Version,
};

/// Namespace for scan-generated policy IDs (a random UUID fixed once for this purpose).
const SCAN_NAMESPACE: &str = "{6E1F4D0B-5C7A-4B36-9E43-2A6B0C9D8F17}";

fn hex_id(prefix: &str, n: usize) -> Id {
    Id(format!("{prefix}{n:X}"))
}

fn set_name_attr(r: &mut FileRule, attr: NameLevel, value: &str) {
    let v = Some(value.to_string());
    match attr {
        NameLevel::OriginalFileName => r.file_name = v,
        NameLevel::InternalName => r.internal_name = v,
        NameLevel::FileDescription => r.file_description = v,
        NameLevel::ProductName => r.product_name = v,
        NameLevel::PackageFamilyName => r.package_family_name = v,
        NameLevel::FilePath => r.file_path = v,
    }
}

fn eku_id(oid: &str) -> String {
    match crate::model::roots::KNOWN_EKUS.iter().find(|e| e.oid == oid) {
        Some(k) => format!("ID_EKU_{}", k.short.to_ascii_uppercase()),
        None => format!("ID_EKU_{}", oid.replace('.', "_")),
    }
}

fn file_rule(r: &GenRule, id: Id) -> FileRule {
    let mut fr = FileRule::new(FileRuleKind::Allow, id);
    match &r.rule {
        FileRuleSpec::Hash { kind, hash } => {
            fr.friendly_name = Some(format!("{} {}", r.path, kind.suffix()));
            fr.hash = Some(hash.clone());
        }
        FileRuleSpec::Name {
            attr,
            value,
            min_version,
        } => {
            fr.friendly_name = Some(format!("{} FileRule", r.path));
            set_name_attr(&mut fr, *attr, value);
            fr.minimum_file_version = Some(*min_version);
        }
        FileRuleSpec::Path { path } => {
            fr.friendly_name = Some(format!("{} FileRule", r.path));
            fr.file_path = Some(path.clone());
            fr.minimum_file_version = Some(Version::ZERO);
        }
    }
    fr
}

/// Builds a base policy from the rules. `policy_id` defaults to a UUIDv5 of the rule content.
pub fn to_policy(set: &RuleSet, policy_id: Option<Guid>) -> Policy {
    let id = policy_id.unwrap_or_else(|| {
        let content = serde_json::to_vec(&(&set.rules, &set.signers)).unwrap_or_default();
        Guid::v5(SCAN_NAMESPACE.parse().unwrap_or(Guid::NIL), &content)
    });
    let mut p = Policy::new_base(id);
    p.version_ex = Version([10, 0, 0, 0]);
    p.hvci_options = Some(0);
    for o in [
        OptionKind::UnsignedSystemIntegrityPolicy,
        OptionKind::AuditMode,
        OptionKind::AdvancedBootOptionsMenu,
        OptionKind::RequiredEnforceStoreApplications,
    ] {
        p.rules.push(RuleOption::Known(o));
    }
    let mut kernel = SigningScenario::new("ID_SIGNINGSCENARIO_DRIVERS_1", SCENARIO_KERNEL);
    let mut user = SigningScenario::new("ID_SIGNINGSCENARIO_WINDOWS", SCENARIO_USER);
    for (n, r) in (1..).zip(set.rules.iter()) {
        let id = hex_id("ID_ALLOW_A_", n);
        let group = if r.scenario == SCENARIO_KERNEL {
            &mut kernel.product_signers
        } else {
            &mut user.product_signers
        };
        group.file_rules_ref.push(id.clone());
        p.file_rules.push(file_rule(r, id));
    }
    let (mut next_f, mut next_sf, mut next_ss) = (1, 1, 1);
    for s in &set.signers {
        let signer = signer(s, &mut p, &mut next_f, &mut next_sf, &mut next_ss);
        let group = if s.key.scenario == SCENARIO_KERNEL {
            &mut kernel.product_signers
        } else {
            p.ci_signers.push(signer.id.clone());
            &mut user.product_signers
        };
        group.allowed.push(AllowedSigner {
            signer_id: signer.id.clone(),
            except_deny_rules: Vec::new(),
        });
        p.signers.push(signer);
    }
    if set.rules.iter().any(|r| r.scenario == SCENARIO_USER)
        || set.signers.iter().any(|s| s.key.scenario == SCENARIO_USER)
    {
        p.rules.push(RuleOption::Known(OptionKind::Umci));
    }
    p.signing_scenarios = vec![kernel, user];
    p
}

fn signer(s: &GenSigner, p: &mut Policy, next_f: &mut usize, next_sf: &mut usize, next_ss: &mut usize) -> Signer {
    let id = if s.key.level.has_file_attribs() {
        *next_sf += 1;
        hex_id("ID_SIGNER_F_", *next_sf - 1)
    } else {
        *next_ss += 1;
        hex_id("ID_SIGNER_S_", *next_ss - 1)
    };
    let mut signer = Signer::new(id, CertRoot::Tbs(s.key.cert_root.clone()));
    signer.name = Some(s.key.name.clone());
    signer.cert_publisher = s.key.publisher.clone();
    signer.cert_oem_id = s.key.oem_id.clone();
    for oid in &s.key.ekus {
        let eid = Id(eku_id(oid));
        if !p.ekus.iter().any(|e| e.id == eid) {
            p.ekus.push(Eku {
                id: eid.clone(),
                value: eku_value_from_oid(oid).map(HexBytes),
                oid: None,
                friendly_name: None,
            });
        }
        signer.cert_ekus.push(CertEku {
            id: eid,
            condition: None,
        });
    }
    for a in &s.attribs {
        let id = hex_id("ID_FILEATTRIB_F_", *next_f);
        *next_f += 1;
        let mut fr = FileRule::new(FileRuleKind::FileAttrib, id.clone());
        fr.friendly_name = Some(format!("{} FileAttribute", a.path));
        match &a.name {
            Some((attr, value)) => set_name_attr(&mut fr, *attr, value),
            None => fr.file_name = Some("*".to_string()),
        }
        fr.minimum_file_version = Some(a.min_version);
        p.file_rules.push(fr);
        signer.file_attrib_refs.push(id);
    }
    signer
}

/// One `[[allow]]` entry of the spec fragment `cipolicy scan --as spec` writes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SpecEntry {
    /// `hash`, `file_name`, `file_path` or `signer`.
    pub kind: &'static str,
    /// `kernel` and/or `user`.
    pub scenarios: Vec<&'static str>,
    /// Where the entry came from (first file and level), for reviewers.
    pub reason: String,
    /// Authenticode/SIP SHA-1 (hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// Authenticode/SIP SHA-256 (hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// First-page SHA-1 (hash, PE only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_sha1: Option<String>,
    /// First-page SHA-256 (hash, PE only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_sha256: Option<String>,
    /// Version-resource attribute name (`OriginalFileName`, …) for file_name entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<&'static str>,
    /// Its value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// File path (file_path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Minimum version (file_name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    /// Signer level (`Publisher`, `FilePublisher`, `PcaCertificate`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<&'static str>,
    /// CertRoot TBS hash (signer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tbs: Option<String>,
    /// CertRoot certificate CN (signer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// CertPublisher (signer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// CertOemID (signer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem_id: Option<String>,
    /// CertEKU OIDs (signer).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eku: Vec<String>,
    /// FileAttribRefs (signer): attribute, value (`*` for any) and minimum version.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<SpecFile>,
}

/// A file attribute under a spec signer entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SpecFile {
    /// `OriginalFileName`, `InternalName`, …
    pub attribute: &'static str,
    /// Value, `*` for SignedVersion.
    pub value: String,
    /// Lowest version.
    pub min_version: String,
    /// First file.
    pub reason: String,
}

/// The spec fragment: `[[allow]]` entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SpecFragment {
    /// Allow entries.
    pub allow: Vec<SpecEntry>,
}

fn scen_name(s: u8) -> &'static str {
    if s == SCENARIO_KERNEL { "kernel" } else { "user" }
}

fn blank(kind: &'static str, scenario: u8, reason: String) -> SpecEntry {
    SpecEntry {
        kind,
        scenarios: vec![scen_name(scenario)],
        reason,
        sha1: None,
        sha256: None,
        page_sha1: None,
        page_sha256: None,
        attribute: None,
        value: None,
        path: None,
        min_version: None,
        level: None,
        tbs: None,
        name: None,
        publisher: None,
        oem_id: None,
        eku: Vec::new(),
        files: Vec::new(),
    }
}

/// Builds the spec fragment: one hash entry per file (its up to four hashes), one entry per other
/// rule and per signer; entries equal apart from their scenario are merged.
pub fn to_spec(set: &RuleSet) -> SpecFragment {
    use super::rules::HashKind;
    let mut out: Vec<SpecEntry> = Vec::new();
    let mut by_path: std::collections::BTreeMap<(u8, String), usize> = std::collections::BTreeMap::new();
    for r in &set.rules {
        match &r.rule {
            FileRuleSpec::Hash { kind, hash } => {
                let key = (r.scenario, r.path.clone());
                let i = *by_path.entry(key).or_insert_with(|| {
                    out.push(blank("hash", r.scenario, r.path.clone()));
                    out.len() - 1
                });
                let slot = match kind {
                    HashKind::Sha1 => &mut out[i].sha1,
                    HashKind::Sha256 => &mut out[i].sha256,
                    HashKind::PageSha1 => &mut out[i].page_sha1,
                    HashKind::PageSha256 => &mut out[i].page_sha256,
                };
                *slot = Some(hash.to_hex());
            }
            FileRuleSpec::Name {
                attr,
                value,
                min_version,
            } => {
                let mut e = blank("file_name", r.scenario, r.path.clone());
                e.attribute = Some(attr.as_str());
                e.value = Some(value.clone());
                e.min_version = Some(min_version.to_string());
                out.push(e);
            }
            FileRuleSpec::Path { path } => {
                let mut e = blank("file_path", r.scenario, r.path.clone());
                e.path = Some(path.clone());
                out.push(e);
            }
        }
    }
    for s in &set.signers {
        let mut e = blank("signer", s.key.scenario, s.path.clone());
        e.level = Some(s.key.level.as_str());
        e.tbs = Some(s.key.cert_root.to_hex());
        e.name = Some(s.key.name.clone());
        e.publisher = s.key.publisher.clone();
        e.oem_id = s.key.oem_id.clone();
        e.eku = s.key.ekus.clone();
        e.files = s
            .attribs
            .iter()
            .map(|a| SpecFile {
                attribute: a.name.as_ref().map_or("OriginalFileName", |(l, _)| l.as_str()),
                value: a.name.as_ref().map_or("*".to_string(), |(_, v)| v.clone()),
                min_version: a.min_version.to_string(),
                reason: a.path.clone(),
            })
            .collect();
        out.push(e);
    }
    // Merge entries that differ only in scenario (kernel-capable files appear in both).
    let mut merged: Vec<SpecEntry> = Vec::new();
    let mut seen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for e in out {
        let mut key = e.clone();
        key.scenarios.clear();
        let key = serde_json::to_string(&key).unwrap_or_default();
        match seen.get(&key) {
            Some(&i) => {
                for s in e.scenarios {
                    if !merged[i].scenarios.contains(&s) {
                        merged[i].scenarios.push(s);
                    }
                }
            }
            None => {
                seen.insert(key, merged.len());
                merged.push(e);
            }
        }
    }
    SpecFragment { allow: merged }
}

/// The spec fragment as TOML text.
pub fn spec_toml(set: &RuleSet) -> String {
    toml::to_string(&to_spec(set)).unwrap_or_default()
}
