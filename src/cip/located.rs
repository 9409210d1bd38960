//! Where each part of a decompiled policy sits in the binary it came from: the binary
//! counterpart of the XML reader's `SourceMap`, keyed by the same model paths
//! (`file_rules[3]@Hash`, `signers[1].cert_root`, `signing_scenarios[0].product_signers.allowed[2]`).
//!
//! The decoder's trace names binary structures (`FileRules[12].Hash`, `section 6: PolicyID`);
//! this module translates those names into model paths. The translation must follow what
//! [`super::raise`] does to positions: file rules and artifact rules are reordered into the
//! sort's preimage, and explicit settings are a filtered (possibly reordered) subset of the
//! binary's, so their indexes are mapped, never copied.

use std::collections::{BTreeMap, VecDeque};

use super::bin::BinPolicy;
use super::raise;
use super::reader::Span;
use crate::model::Policy;

/// Where one model path's structure starts in the raw policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinarySpot {
    /// Byte offset in the raw (unsigned) policy.
    pub offset: usize,
    /// The binary structure there, named as in [`super::DecodeError::structure`]
    /// (`FileRules[12].Hash`, `section 6: PolicyID`, `header.option flags`).
    pub structure: String,
}

/// Model path → where it is in the binary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BinaryMap {
    spots: BTreeMap<String, BinarySpot>,
}

impl BinaryMap {
    /// The spot recorded for `path`, or for its closest recorded ancestor (`a[1].b@C` → `a[1].b`
    /// → `a[1]` → `a`), with the path it was recorded under.
    pub fn get(&self, path: &str) -> Option<(&str, &BinarySpot)> {
        let mut p = path;
        loop {
            if let Some((k, s)) = self.spots.get_key_value(p) {
                return Some((k.as_str(), s));
            }
            let cut = p.rfind(['.', '[', '@', '#'])?;
            p = &p[..cut];
        }
    }

    /// Every recorded path and spot, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &BinarySpot)> {
        self.spots.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Keeps the earliest structure for a path: a file rule's core record comes before its
    /// section 3–7 parts, and that is where a reader of the bytes looks for it.
    fn note(&mut self, path: String, span: &Span) {
        let spot = BinarySpot {
            offset: span.start,
            structure: span.structure.clone(),
        };
        match self.spots.get_mut(&path) {
            Some(old) if old.offset <= span.start => {}
            Some(old) => *old = spot,
            None => {
                self.spots.insert(path, spot);
            }
        }
    }
}

/// One step of a structure path: `FileRules[3]` → (`FileRules`, `Some(3)`).
fn step(s: &str) -> (&str, Option<usize>) {
    if let Some(body) = s.strip_suffix(']')
        && let Some(open) = body.rfind('[')
        && let Ok(i) = body[open + 1..].parse()
    {
        return (&body[..open], Some(i));
    }
    (s, None)
}

/// Index translations from binary positions to model positions.
struct Positions {
    /// Binary file rule → model file rule.
    rules: Vec<usize>,
    /// Binary artifact rule → model artifact rule.
    artifacts: Vec<usize>,
    /// Binary setting → model (explicit) setting, when the setting stayed a setting.
    settings: Vec<Option<usize>>,
}

fn inverse(order: &[usize]) -> Vec<usize> {
    let mut inv = vec![usize::MAX; order.len()];
    for (model, &binary) in order.iter().enumerate() {
        if let Some(slot) = inv.get_mut(binary) {
            *slot = model;
        }
    }
    inv
}

impl Positions {
    fn new(b: &BinPolicy, policy: &Policy, algo: super::SortAlgorithm) -> Self {
        // Settings that became options or AppIDTags are not in `policy.settings`; the others
        // are matched by content, equal ones in order.
        let mut by_content: BTreeMap<(&str, &str, &str), VecDeque<usize>> = BTreeMap::new();
        for (k, s) in policy.settings.iter().enumerate() {
            by_content
                .entry((&s.provider, &s.key, &s.value_name))
                .or_default()
                .push_back(k);
        }
        let settings = b
            .settings
            .iter()
            .map(|s| {
                let raised = raise::raise_setting(s);
                let queue = by_content.get_mut(&(&s.provider[..], &s.key[..], &s.value_name[..]))?;
                let at = queue.iter().position(|&k| policy.settings[k] == raised)?;
                queue.remove(at)
            })
            .collect();
        Positions {
            rules: inverse(&raise::rule_order(b, algo)),
            artifacts: inverse(&raise::artifact_order(b, algo)),
            settings,
        }
    }

    fn rule(&self, i: usize) -> Option<usize> {
        self.rules.get(i).copied().filter(|&j| j != usize::MAX)
    }

    fn artifact(&self, i: usize) -> Option<usize> {
        self.artifacts.get(i).copied().filter(|&j| j != usize::MAX)
    }
}

const FILE_RULE_FIELDS: [&str; 11] = [
    "FileName",
    "MinimumFileVersion",
    "MaximumFileVersion",
    "Hash",
    "AppIDs",
    "InternalName",
    "FileDescription",
    "ProductName",
    "PackageFamilyName",
    "PackageVersion",
    "FilePath",
];

fn header_field(name: &str) -> Option<&'static str> {
    Some(match name {
        "PolicyTypeID/BasePolicyID" => "policy_type_id",
        "PlatformID" => "platform_id",
        "option flags" => "rules",
        "EKU count" => "ekus",
        "FileRule count" => "file_rules",
        "Signer count" => "signers",
        "SigningScenario count" => "signing_scenarios",
        "VersionEx" => "version_ex",
        _ => return None,
    })
}

fn signer_field(name: &str) -> Option<&'static str> {
    Some(match name {
        "CertRoot" => ".cert_root",
        "CertEKU" => ".cert_ekus",
        "CertIssuer" => ".cert_issuer",
        "CertPublisher" => ".cert_publisher",
        "CertOemID" => ".cert_oem_id",
        "FileAttribRef" => ".file_attrib_refs",
        "SignTimeAfter" => "@SignTimeAfter",
        _ => return None,
    })
}

fn group_field(name: &str) -> Option<&'static str> {
    Some(match name {
        "ProductSigners" => "product_signers",
        "TestSigners" => "test_signers",
        "TestSigningSigners" => "test_signing_signers",
        "ArtifactSigners" => "artifact_signers",
        _ => return None,
    })
}

/// The model path of a scenario's part: `Value`, `InheritedScenarios`, a signer group and what
/// is inside it.
fn scenario_path(base: String, rest: &[(&str, Option<usize>)]) -> Option<String> {
    let Some(&(first, None)) = rest.first() else {
        return Some(base);
    };
    if matches!(first, "Value" | "InheritedScenarios" | "MinimumHashAlgorithm") {
        return Some(format!("{base}@{first}"));
    }
    let group = format!("{base}.{}", group_field(first)?);
    let Some(&(list, index)) = rest.get(1) else {
        return Some(group);
    };
    Some(match (list, index) {
        ("AllowedSigners", Some(k)) => format!("{group}.allowed[{k}]"),
        ("DeniedSigners", Some(k)) => format!("{group}.denied[{k}]"),
        ("FileRulesRef", None) => format!("{group}.file_rules_ref"),
        ("ArtifactRulesRef", None) => format!("{group}.artifact_rules_ref"),
        _ => group,
    })
}

/// The model path a binary structure path stands for, if any.
fn model_path(structure: &str, pos: &Positions) -> Option<String> {
    let (section, rest) = match structure.split_once(": ") {
        Some((s, r)) => (Some(s), r),
        None => (None, structure),
    };
    let steps: Vec<(&str, Option<usize>)> = rest.split('.').map(step).collect();
    let in_section = |names: &[&str]| section.is_none_or(|s| names.contains(&s));
    match steps.as_slice() {
        [("header", None)] if section.is_none() => Some("policy".into()),
        [("header", None), (field, None)] if section.is_none() => header_field(field).map(String::from),
        [("EKUs", Some(i)), ..] if section.is_none() => Some(format!("ekus[{i}]")),
        [("FileRules", Some(i)), rest @ ..] if in_section(&["section 3", "section 4", "section 5", "section 7"]) => {
            let base = format!("file_rules[{}]", pos.rule(*i)?);
            Some(match rest {
                [(field, None)] if FILE_RULE_FIELDS.contains(field) => format!("{base}@{field}"),
                _ => base,
            })
        }
        // Section 11's signer lists index their entries, not the signers, so only the core
        // records and section 3's SignTimeAfter (one entry per signer) are translated.
        [("Signers", Some(i)), rest @ ..] if in_section(&["section 3"]) => {
            let base = format!("signers[{i}]");
            Some(match rest {
                [(field, _), ..] => match signer_field(field) {
                    Some(f) => format!("{base}{f}"),
                    None => base,
                },
                [] => base,
            })
        }
        [("UpdatePolicySigners", None)] if section.is_none() => Some("update_policy_signers".into()),
        [("CiSigners", None)] if section.is_none() => Some("ci_signers".into()),
        [("SigningScenarios", Some(i)), rest @ ..] if in_section(&["section 10"]) => {
            scenario_path(format!("signing_scenarios[{i}]"), rest)
        }
        [("HvciOptions", None)] if section.is_none() => Some("hvci_options".into()),
        [("Settings", None)] if section.is_none() => Some("settings".into()),
        [("Settings", Some(i)), ..] if section.is_none() => {
            Some(format!("settings[{}]", pos.settings.get(*i).copied().flatten()?))
        }
        [("PolicyID", None)] if section == Some("section 6") => Some("policy_id".into()),
        [("BasePolicyID", None)] if section == Some("section 6") => Some("base_policy_id".into()),
        [("SupplementalPolicySigners", None)] if section == Some("section 6") => {
            Some("supplemental_policy_signers".into())
        }
        [("ArtifactRules", Some(i)), rest @ ..] if section == Some("section 10") => {
            let base = format!("artifact_rules[{}]", pos.artifact(*i)?);
            Some(match rest {
                [("Hash", None)] => format!("{base}.hash"),
                _ => base,
            })
        }
        _ => None,
    }
}

/// Builds the map from the decoder's trace of `b` and the policy raised from it.
pub(super) fn build(spans: &[Span], b: &BinPolicy, policy: &Policy, algo: super::SortAlgorithm) -> BinaryMap {
    let pos = Positions::new(b, policy, algo);
    let mut map = BinaryMap::default();
    for span in spans {
        if let Some(path) = model_path(&span.structure, &pos) {
            map.note(path, span);
        }
    }
    // Before format 6 the header GUID is the only ID the binary holds; the model's PolicyID
    // and BasePolicyID are derived from it.
    if let Some(header) = spans.iter().find(|s| s.structure == "header.PolicyTypeID/BasePolicyID") {
        for (path, present) in [
            ("policy_id", policy.policy_id.is_some()),
            ("base_policy_id", policy.base_policy_id.is_some()),
        ] {
            if present && !map.spots.contains_key(path) {
                map.note(path.to_string(), header);
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        assert_eq!(step("FileRules[12]"), ("FileRules", Some(12)));
        assert_eq!(step("AllowedSigners[0]"), ("AllowedSigners", Some(0)));
        assert_eq!(step("option flags"), ("option flags", None));
    }

    #[test]
    fn prefix_lookup() {
        let mut m = BinaryMap::default();
        let span = |start: usize, s: &str| Span {
            start,
            end: start + 4,
            structure: s.into(),
        };
        m.note("file_rules[2]".into(), &span(100, "FileRules[0]"));
        m.note("file_rules[2]".into(), &span(400, "section 3: FileRules[0]"));
        m.note("file_rules[2]@Hash".into(), &span(120, "FileRules[0].Hash"));
        let (k, s) = m.get("file_rules[2]@FileName").unwrap();
        assert_eq!(
            (k, s.offset, s.structure.as_str()),
            ("file_rules[2]", 100, "FileRules[0]")
        );
        assert_eq!(m.get("file_rules[2]@Hash").unwrap().1.offset, 120);
        assert!(m.get("signers[0]").is_none());
    }
}
