//! `<SigningScenarios>`: which signers and file rules apply to kernel (131) and user (12) mode.

use super::Id;

/// Scenario value of the kernel-mode (driver) scenario.
pub const SCENARIO_KERNEL: u8 = 131;
/// Scenario value of the user-mode scenario.
pub const SCENARIO_USER: u8 = 12;
/// The default `MinimumHashAlgorithm` (CALG_SHA_256), which binaries store when XML has none.
pub const DEFAULT_MINIMUM_HASH_ALGORITHM: u16 = 0x800C;

/// `<AllowedSigner>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct AllowedSigner {
    /// `SignerId`.
    pub signer_id: Id,
    /// `ExceptDenyRule/@DenyRuleID`, in order.
    pub except_deny_rules: Vec<Id>,
}

/// `<DeniedSigner>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct DeniedSigner {
    /// `SignerId`.
    pub signer_id: Id,
    /// `ExceptAllowRule/@AllowRuleID`, in order.
    pub except_allow_rules: Vec<Id>,
}

/// `<ProductSigners>`, `<TestSigners>` or `<TestSigningSigners>`. An absent element and an empty
/// one mean the same and are the same value here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct SignerGroup {
    /// `AllowedSigners`.
    pub allowed: Vec<AllowedSigner>,
    /// `DeniedSigners`.
    pub denied: Vec<DeniedSigner>,
    /// `FileRulesRef/FileRuleRef/@RuleID`, in document order, duplicates kept.
    pub file_rules_ref: Vec<Id>,
}

impl SignerGroup {
    /// True when the group lists nothing.
    pub fn is_empty(&self) -> bool {
        self.allowed.is_empty() && self.denied.is_empty() && self.file_rules_ref.is_empty()
    }
}

/// `<ArtifactSigners>` (newest schema).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ArtifactSignerGroup {
    /// `AllowedSigners`.
    pub allowed: Vec<AllowedSigner>,
    /// `DeniedSigners`.
    pub denied: Vec<DeniedSigner>,
    /// `ArtifactRulesRef/ArtifactRuleRef/@RuleID`.
    pub artifact_rules_ref: Vec<Id>,
}

impl ArtifactSignerGroup {
    /// True when the group lists nothing.
    pub fn is_empty(&self) -> bool {
        self.allowed.is_empty() && self.denied.is_empty() && self.artifact_rules_ref.is_empty()
    }
}

/// `<AppIDTags>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct AppIdTags {
    /// `EnforceDLL`.
    pub enforce_dll: Option<bool>,
    /// `AppIDTag` key/value pairs, in order.
    pub tags: Vec<(String, String)>,
}

/// `<SigningScenario>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct SigningScenario {
    /// `ID`.
    pub id: Id,
    /// `FriendlyName` (not stored in binaries).
    pub friendly_name: Option<String>,
    /// `Value`: 131 kernel mode, 12 user mode.
    pub value: u8,
    /// `InheritedScenarios`, split on commas.
    pub inherited_scenarios: Vec<Id>,
    /// `MinimumHashAlgorithm` (a CALG value).
    pub minimum_hash_algorithm: Option<u16>,
    /// `ProductSigners`.
    pub product_signers: SignerGroup,
    /// `ArtifactSigners`.
    pub artifact_signers: ArtifactSignerGroup,
    /// `TestSigners`.
    pub test_signers: SignerGroup,
    /// `TestSigningSigners`.
    pub test_signing_signers: SignerGroup,
    /// `AppIDTags`.
    pub app_id_tags: Option<AppIdTags>,
}

impl SigningScenario {
    /// An empty scenario.
    pub fn new(id: impl Into<Id>, value: u8) -> Self {
        SigningScenario {
            id: id.into(),
            friendly_name: None,
            value,
            inherited_scenarios: Vec::new(),
            minimum_hash_algorithm: None,
            product_signers: SignerGroup::default(),
            artifact_signers: ArtifactSignerGroup::default(),
            test_signers: SignerGroup::default(),
            test_signing_signers: SignerGroup::default(),
            app_id_tags: None,
        }
    }

    /// The three file-rule signer groups in binary order: product, test, test-signing.
    pub fn groups(&self) -> [&SignerGroup; 3] {
        [&self.product_signers, &self.test_signers, &self.test_signing_signers]
    }
}
