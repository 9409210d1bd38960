//! A [`RuleSet`] as a policy model. `cipolicy scan` writes it as XML, or as spec entries through
//! `crate::spec::fragment`, so a scan has one result and each format its own writer.
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
