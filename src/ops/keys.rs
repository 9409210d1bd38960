//! Content keys: what an EKU, file rule, artifact rule or signer *is*, without its ID, its
//! `FriendlyName` or its signer `Name` — the parts a binary policy does not keep. `merge` collapses
//! items with equal keys; `diff` compares policies by them.
//!
//! Two modes:
//!
//! * [`Mode::Exact`] keeps every attribute as written (an `<Allow>` and a `<FileRule Type="Match">`
//!   stay different, so merging never changes an element's kind).
//! * [`Mode::Semantic`] keeps what Windows acts on: generic `FileRule`s become the element they
//!   behave as, version attributes that compile to the same value as their absence are dropped
//!   (ConvertFrom-CIPolicy stores a missing Allow minimum as 0 and a bare Deny as minimum
//!   65535.65535.65535.65535), `$(Macro)` references in `AppIDs` are expanded, and an EKU is its
//!   encoded `Value` (derived from `OID` when only that is given).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::model::roots::{eku_value_from_oid, oid_from_eku_value, well_known_root};
use crate::model::{
    Action, ArtifactAction, ArtifactHashAlg, ArtifactRule, ArtifactType, CertRoot, Eku, EkuCondition, FileRule,
    FileRuleKind, GenericRuleType, HexBytes, Id, Policy, SignTime, Signer, Version,
};

/// How much of an item's written form counts as its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every attribute as written (merge).
    Exact,
    /// What the compiled policy keeps and Windows evaluates (diff).
    Semantic,
}

/// A reference that resolved to an item's key, or did not resolve.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum Ref<T> {
    /// The referenced item.
    Found(T),
    /// The ID that names nothing.
    Dangling(String),
}

/// `CertRoot`, ordered.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RootKey {
    /// TBS hash.
    Tbs(HexBytes),
    /// Well-known root ID.
    Wellknown(u8),
}

impl From<&CertRoot> for RootKey {
    fn from(r: &CertRoot) -> Self {
        match r {
            CertRoot::Tbs(h) => RootKey::Tbs(h.clone()),
            CertRoot::Wellknown(b) => RootKey::Wellknown(*b),
        }
    }
}

impl RootKey {
    /// Back to the model.
    pub fn to_model(&self) -> CertRoot {
        match self {
            RootKey::Tbs(h) => CertRoot::Tbs(h.clone()),
            RootKey::Wellknown(b) => CertRoot::Wellknown(*b),
        }
    }
}

/// Content of an `<EKU>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EkuKey {
    /// Encoded value.
    pub value: Option<HexBytes>,
    /// Dotted OID as written (exact mode only; semantic mode folds it into `value`).
    pub oid: Option<String>,
}

/// Content of a file rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RuleKey {
    /// Element kind (semantic mode: the kind it behaves as).
    pub kind: FileRuleKind,
    /// `FileName`.
    pub file_name: Option<String>,
    /// `InternalName`.
    pub internal_name: Option<String>,
    /// `FileDescription`.
    pub file_description: Option<String>,
    /// `ProductName`.
    pub product_name: Option<String>,
    /// `PackageFamilyName`.
    pub package_family_name: Option<String>,
    /// `PackageVersion`.
    pub package_version: Option<Version>,
    /// `MinimumFileVersion`.
    pub minimum_file_version: Option<Version>,
    /// `MaximumFileVersion`.
    pub maximum_file_version: Option<Version>,
    /// `Hash`.
    pub hash: Option<HexBytes>,
    /// `AppIDs` (semantic mode: macros expanded).
    pub app_ids: Option<String>,
    /// `FilePath`.
    pub file_path: Option<String>,
    /// The Allow rule named by `RequireHotpatchID` (its own hot-patch fields left out).
    pub hotpatch_target: Option<Ref<Box<RuleKey>>>,
    /// `MinimumHotpatchSequence`.
    pub hotpatch_min: Option<u32>,
    /// `MaximumHotpatchSequence`.
    pub hotpatch_max: Option<u32>,
}

impl RuleKey {
    /// What the rule does.
    pub fn action(&self) -> Action {
        self.kind.action()
    }

    /// The same rule without its version bounds and hot-patch sequence: what stays when a rule is
    /// edited rather than replaced.
    pub fn identity(&self) -> RuleKey {
        RuleKey {
            minimum_file_version: None,
            maximum_file_version: None,
            package_version: None,
            hotpatch_min: None,
            hotpatch_max: None,
            ..self.clone()
        }
    }
}

/// Content of an `<ArtifactRule>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ArtifactKey {
    /// `ArtifactType`.
    pub artifact_type: ArtifactType,
    /// `Action`.
    pub action: ArtifactAction,
    /// `ArtifactName`.
    pub name: Option<String>,
    /// `ArtifactDescription`.
    pub description: Option<String>,
    /// `MinimumVersion` (semantic mode: the schema default made explicit).
    pub minimum_version: Option<Version>,
    /// `MaximumVersion` (semantic mode: the schema default made explicit).
    pub maximum_version: Option<Version>,
    /// `ArtifactHash`.
    pub hash: Option<(ArtifactHashAlg, HexBytes)>,
}

/// Content of a `<Signer>`: its certificate constraints and the file attributes it is limited to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SignerKey {
    /// `CertRoot`.
    pub root: RootKey,
    /// `CertEKU`s (sorted; `true` for `Condition="Except"`).
    pub ekus: Vec<(Ref<EkuKey>, bool)>,
    /// `CertIssuer`.
    pub issuer: Option<String>,
    /// `CertPublisher`.
    pub publisher: Option<String>,
    /// `CertOemID`.
    pub oem_id: Option<String>,
    /// `SignTimeAfter`.
    pub sign_time_after: Option<SignTime>,
    /// `FileAttribRef`s (sorted, without repeats).
    pub file_attribs: Vec<Ref<RuleKey>>,
    /// `ArtifactRuleRef`s (sorted, without repeats).
    pub artifacts: Vec<Ref<ArtifactKey>>,
}

impl SignerKey {
    /// The certificate a signer stands for, without what limits it (EKUs, attributes, time):
    /// what stays when a signer is edited rather than replaced.
    pub fn identity(&self) -> (RootKey, Option<String>, Option<String>, Option<String>) {
        (
            self.root.clone(),
            self.issuer.clone(),
            self.publisher.clone(),
            self.oem_id.clone(),
        )
    }
}

/// Computes keys for the items of one policy, with the lookups and caches that needs.
pub struct Keys<'a> {
    policy: &'a Policy,
    mode: Mode,
    rule_index: BTreeMap<&'a str, usize>,
    eku_index: BTreeMap<&'a str, usize>,
    artifact_index: BTreeMap<&'a str, usize>,
    signer_index: BTreeMap<&'a str, usize>,
    macros: BTreeMap<&'a str, &'a str>,
    rule_keys: Vec<RuleKey>,
}

impl<'a> Keys<'a> {
    /// Indexes a policy. Where IDs repeat (an invalid policy), the first item wins, as lookups by
    /// ID in [`Policy`] do.
    pub fn new(policy: &'a Policy, mode: Mode) -> Self {
        fn index<'a, T>(items: &'a [T], id: impl Fn(&'a T) -> &'a str) -> BTreeMap<&'a str, usize> {
            let mut m = BTreeMap::new();
            for (i, it) in items.iter().enumerate() {
                m.entry(id(it)).or_insert(i);
            }
            m
        }
        let mut k = Keys {
            policy,
            mode,
            rule_index: index(&policy.file_rules, |r| r.id.as_str()),
            eku_index: index(&policy.ekus, |e| e.id.as_str()),
            artifact_index: index(&policy.artifact_rules, |a| a.id.as_str()),
            signer_index: index(&policy.signers, |s| s.id.as_str()),
            macros: policy
                .macros
                .iter()
                .map(|m| (m.id.as_str(), m.value.as_str()))
                .collect(),
            rule_keys: Vec::new(),
        };
        k.rule_keys = (0..policy.file_rules.len()).map(|i| k.compute_rule_key(i)).collect();
        k
    }

    /// The policy the keys are for.
    pub fn policy(&self) -> &'a Policy {
        self.policy
    }

    /// Index of the file rule with this ID.
    pub fn rule_pos(&self, id: &str) -> Option<usize> {
        self.rule_index.get(id).copied()
    }

    /// Index of the signer with this ID.
    pub fn signer_pos(&self, id: &str) -> Option<usize> {
        self.signer_index.get(id).copied()
    }

    /// Index of the EKU with this ID.
    pub fn eku_pos(&self, id: &str) -> Option<usize> {
        self.eku_index.get(id).copied()
    }

    /// Index of the artifact rule with this ID.
    pub fn artifact_pos(&self, id: &str) -> Option<usize> {
        self.artifact_index.get(id).copied()
    }

    /// Key of an EKU.
    pub fn eku_key(&self, e: &Eku) -> EkuKey {
        match self.mode {
            Mode::Exact => EkuKey {
                value: e.value.clone(),
                oid: e.oid.clone(),
            },
            Mode::Semantic => EkuKey {
                value: e
                    .value
                    .clone()
                    .or_else(|| e.oid.as_deref().and_then(eku_value_from_oid).map(HexBytes)),
                oid: None,
            },
        }
    }

    /// Key of the file rule at `i`.
    pub fn rule_key(&self, i: usize) -> &RuleKey {
        &self.rule_keys[i]
    }

    /// Key of the file rule an ID names.
    pub fn rule_ref(&self, id: &Id) -> Ref<RuleKey> {
        match self.rule_pos(id.as_str()) {
            Some(i) => Ref::Found(self.rule_keys[i].clone()),
            None => Ref::Dangling(id.0.clone()),
        }
    }

    fn compute_rule_key(&self, i: usize) -> RuleKey {
        let mut key = self.rule_key_without_hotpatch(&self.policy.file_rules[i]);
        let r = &self.policy.file_rules[i];
        key.hotpatch_target = r
            .hotpatch
            .require_hotpatch_id
            .as_ref()
            .map(|t| match self.rule_pos(t.as_str()) {
                Some(j) => Ref::Found(Box::new(self.rule_key_without_hotpatch(&self.policy.file_rules[j]))),
                None => Ref::Dangling(t.0.clone()),
            });
        key.hotpatch_min = r.hotpatch.minimum_sequence;
        key.hotpatch_max = r.hotpatch.maximum_sequence;
        key
    }

    fn rule_key_without_hotpatch(&self, r: &FileRule) -> RuleKey {
        let mut key = RuleKey {
            kind: r.kind,
            file_name: r.file_name.clone(),
            internal_name: r.internal_name.clone(),
            file_description: r.file_description.clone(),
            product_name: r.product_name.clone(),
            package_family_name: r.package_family_name.clone(),
            package_version: r.package_version,
            minimum_file_version: r.minimum_file_version,
            maximum_file_version: r.maximum_file_version,
            hash: r.hash.clone(),
            app_ids: r.app_ids.clone(),
            file_path: r.file_path.clone(),
            hotpatch_target: None,
            hotpatch_min: None,
            hotpatch_max: None,
        };
        if self.mode == Mode::Semantic {
            key.kind = match r.kind {
                FileRuleKind::Generic(GenericRuleType::Match) => FileRuleKind::Allow,
                FileRuleKind::Generic(GenericRuleType::Exclude) => FileRuleKind::Deny,
                FileRuleKind::Generic(GenericRuleType::Attribute) => FileRuleKind::FileAttrib,
                k => k,
            };
            let (min, max) = (r.minimum_file_version, r.maximum_file_version);
            let max = max.filter(|v| *v != Version::ZERO);
            let min = match key.kind.action() {
                Action::Deny if max.is_none() => min.filter(|v| *v != Version::MAX),
                Action::Deny => min.filter(|v| *v != Version::ZERO),
                _ => min.filter(|v| *v != Version::ZERO),
            };
            key.minimum_file_version = min;
            key.maximum_file_version = max;
            key.app_ids = r.app_ids.as_deref().map(|a| self.expand_macros(a));
        }
        key
    }

    /// Replaces `$(Id)` references by macro values; unknown references stay as written.
    fn expand_macros(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("$(") {
            let Some(len) = rest[start..].find(')') else { break };
            out.push_str(&rest[..start]);
            let name = &rest[start + 2..start + len];
            match self.macros.get(name) {
                Some(v) => out.push_str(v),
                None => out.push_str(&rest[start..=start + len]),
            }
            rest = &rest[start + len + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Key of an artifact rule.
    pub fn artifact_key(&self, a: &ArtifactRule) -> ArtifactKey {
        let (mut min, mut max) = (a.minimum_version, a.maximum_version);
        if self.mode == Mode::Semantic {
            min = Some(min.unwrap_or(Version::ZERO));
            max = Some(max.unwrap_or(Version::MAX));
        }
        ArtifactKey {
            artifact_type: a.artifact_type,
            action: a.action,
            name: a.artifact_name.clone(),
            description: a.artifact_description.clone(),
            minimum_version: min,
            maximum_version: max,
            hash: a.hash.clone(),
        }
    }

    /// Key of the artifact rule an ID names.
    pub fn artifact_ref(&self, id: &Id) -> Ref<ArtifactKey> {
        match self.artifact_pos(id.as_str()) {
            Some(i) => Ref::Found(self.artifact_key(&self.policy.artifact_rules[i])),
            None => Ref::Dangling(id.0.clone()),
        }
    }

    /// Key of a signer.
    pub fn signer_key(&self, s: &Signer) -> SignerKey {
        let mut ekus: Vec<(Ref<EkuKey>, bool)> = s
            .cert_ekus
            .iter()
            .map(|ce| {
                let k = match self.eku_pos(ce.id.as_str()) {
                    Some(i) => Ref::Found(self.eku_key(&self.policy.ekus[i])),
                    None => Ref::Dangling(ce.id.0.clone()),
                };
                (k, ce.condition == Some(EkuCondition::Except))
            })
            .collect();
        ekus.sort();
        ekus.dedup();
        let mut file_attribs: Vec<Ref<RuleKey>> = s.file_attrib_refs.iter().map(|r| self.rule_ref(r)).collect();
        file_attribs.sort();
        file_attribs.dedup();
        let mut artifacts: Vec<Ref<ArtifactKey>> = s.artifact_rule_refs.iter().map(|r| self.artifact_ref(r)).collect();
        artifacts.sort();
        artifacts.dedup();
        SignerKey {
            root: RootKey::from(&s.cert_root),
            ekus,
            issuer: s.cert_issuer.clone(),
            publisher: s.cert_publisher.clone(),
            oem_id: s.cert_oem_id.clone(),
            sign_time_after: s.sign_time_after,
            file_attribs,
            artifacts,
        }
    }

    /// Key of the signer an ID names.
    pub fn signer_ref(&self, id: &Id) -> Ref<SignerKey> {
        match self.signer_pos(id.as_str()) {
            Some(i) => Ref::Found(self.signer_key(&self.policy.signers[i])),
            None => Ref::Dangling(id.0.clone()),
        }
    }
}

/// One-line description of a file rule for reports: its element and every attribute that
/// matters, `Hash` in full.
pub fn describe_rule(k: &RuleKey) -> String {
    let mut s = String::from(k.kind.element());
    if let FileRuleKind::Generic(t) = k.kind {
        let _ = write!(s, " Type={}", t.as_str());
    }
    let attrs: [(&str, Option<String>); 12] = [
        ("FileName", k.file_name.clone()),
        ("InternalName", k.internal_name.clone()),
        ("FileDescription", k.file_description.clone()),
        ("ProductName", k.product_name.clone()),
        ("PackageFamilyName", k.package_family_name.clone()),
        ("PackageVersion", k.package_version.map(|v| v.to_string())),
        ("MinimumFileVersion", k.minimum_file_version.map(|v| v.to_string())),
        ("MaximumFileVersion", k.maximum_file_version.map(|v| v.to_string())),
        ("Hash", k.hash.as_ref().map(|h| h.to_hex())),
        ("AppIDs", k.app_ids.clone()),
        ("FilePath", k.file_path.clone()),
        ("MinimumHotpatchSequence", k.hotpatch_min.map(|n| n.to_string())),
    ];
    for (name, v) in attrs {
        if let Some(v) = v {
            let _ = write!(s, " {name}=\"{v}\"");
        }
    }
    if let Some(n) = k.hotpatch_max {
        let _ = write!(s, " MaximumHotpatchSequence=\"{n}\"");
    }
    if let Some(t) = &k.hotpatch_target {
        match t {
            Ref::Found(t) => {
                let _ = write!(s, " RequireHotpatchID=({})", describe_rule(t));
            }
            Ref::Dangling(id) => {
                let _ = write!(s, " RequireHotpatchID={id} (missing)");
            }
        }
    }
    s
}

/// One-line description of a certificate root.
pub fn describe_root(r: &RootKey) -> String {
    match r {
        RootKey::Tbs(h) => format!("TBS {}", h.to_hex()),
        RootKey::Wellknown(b) => match well_known_root(*b) {
            Some(w) => format!("well-known root {b:02X} ({})", w.name),
            None => format!("well-known root {b:02X} (unknown)"),
        },
    }
}

/// One-line description of an EKU.
pub fn describe_eku(e: &Ref<EkuKey>) -> String {
    match e {
        Ref::Found(k) => match (&k.value, &k.oid) {
            (Some(v), _) => oid_from_eku_value(&v.0).unwrap_or_else(|| v.to_hex()),
            (None, Some(o)) => o.clone(),
            (None, None) => "(empty EKU)".into(),
        },
        Ref::Dangling(id) => format!("{id} (missing)"),
    }
}

/// One-line description of a signer's content.
pub fn describe_signer(k: &SignerKey) -> String {
    let mut s = format!("CertRoot {}", describe_root(&k.root));
    for (e, except) in &k.ekus {
        let _ = write!(s, "; {}EKU {}", if *except { "except " } else { "" }, describe_eku(e));
    }
    for (name, v) in [
        ("CertIssuer", &k.issuer),
        ("CertPublisher", &k.publisher),
        ("CertOemID", &k.oem_id),
    ] {
        if let Some(v) = v {
            let _ = write!(s, "; {name} \"{v}\"");
        }
    }
    if let Some(t) = k.sign_time_after {
        let _ = write!(s, "; SignTimeAfter {t}");
    }
    for a in &k.file_attribs {
        match a {
            Ref::Found(r) => {
                let _ = write!(s, "; FileAttrib [{}]", describe_rule(r));
            }
            Ref::Dangling(id) => {
                let _ = write!(s, "; FileAttrib {id} (missing)");
            }
        }
    }
    for a in &k.artifacts {
        match a {
            Ref::Found(r) => {
                let _ = write!(
                    s,
                    "; ArtifactRule [{:?} {:?} {}]",
                    r.action,
                    r.artifact_type,
                    r.name.as_deref().unwrap_or("")
                );
            }
            Ref::Dangling(id) => {
                let _ = write!(s, "; ArtifactRule {id} (missing)");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Macro, STANDARD_PLATFORM_ID};

    fn policy_with(rules: Vec<FileRule>) -> Policy {
        let mut p = Policy::new_base(STANDARD_PLATFORM_ID.parse().unwrap());
        p.file_rules = rules;
        p
    }

    #[test]
    fn semantic_mode_folds_compiled_defaults() {
        let mut bare_deny = FileRule::new(FileRuleKind::Deny, "ID_DENY_A");
        bare_deny.file_name = Some("x.exe".into());
        let mut max_deny = bare_deny.clone();
        max_deny.id = "ID_DENY_B".into();
        max_deny.minimum_file_version = Some(Version::MAX);
        let mut allow = FileRule::new(FileRuleKind::Allow, "ID_ALLOW_A");
        allow.file_name = Some("x.exe".into());
        let mut zero_allow = allow.clone();
        zero_allow.minimum_file_version = Some(Version::ZERO);
        zero_allow.kind = FileRuleKind::Generic(GenericRuleType::Match);
        let p = policy_with(vec![bare_deny, max_deny, allow, zero_allow]);
        let sem = Keys::new(&p, Mode::Semantic);
        assert_eq!(sem.rule_key(0), sem.rule_key(1));
        assert_eq!(sem.rule_key(2), sem.rule_key(3));
        let exact = Keys::new(&p, Mode::Exact);
        assert_ne!(exact.rule_key(0), exact.rule_key(1));
        assert_ne!(exact.rule_key(2), exact.rule_key(3));
    }

    #[test]
    fn macros_expand_in_semantic_mode() {
        let mut r = FileRule::new(FileRuleKind::Allow, "ID_ALLOW_A");
        r.app_ids = Some("$(A)$(B)$(C)".into());
        let mut p = policy_with(vec![r]);
        p.macros = vec![
            Macro {
                id: "A".into(),
                value: "one".into(),
            },
            Macro {
                id: "B".into(),
                value: "two".into(),
            },
        ];
        let k = Keys::new(&p, Mode::Semantic);
        assert_eq!(k.rule_key(0).app_ids.as_deref(), Some("onetwo$(C)"));
    }
}
