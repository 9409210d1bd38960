//! The policy model: one typed representation of a SiPolicy that every format reads into and
//! writes out of. Plain data, no I/O and no format knowledge.
//!
//! Absent and empty containers are the same value (an empty `Vec`), because no consumer of a
//! policy — Windows, the binary format, ConfigCI — tells them apart.

mod artifact;
mod file_rule;
mod guid;
mod hash;
mod id;
mod options;
mod scenario;
mod setting;
mod sign_time;
mod signer;
mod version;

pub mod roots;

pub use artifact::{ArtifactAction, ArtifactHashAlg, ArtifactRule, ArtifactType};
pub use file_rule::{Action, FileRule, FileRuleKind, GenericRuleType, Hotpatch};
pub use guid::{Guid, GuidError};
pub use hash::{HexBytes, HexError};
pub use id::Id;
pub use options::{BIT_ALWAYS, BIT_SUPPLEMENTAL, DEBUG_POLICY_AUGMENTED, OptionKind, RuleOption};
pub use scenario::{
    AllowedSigner, AppIdTags, ArtifactSignerGroup, DEFAULT_MINIMUM_HASH_ALGORITHM, DeniedSigner, SCENARIO_KERNEL,
    SCENARIO_USER, SignerGroup, SigningScenario,
};
pub use setting::{App, AppSetting, Macro, Setting, SettingValue};
pub use sign_time::{SignTime, SignTimeError};
pub use signer::{CertEku, CertRoot, Eku, EkuCondition, Signer};
pub use version::{Version, VersionError};

/// `SiPolicy/@PolicyType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum PolicyType {
    /// `Base Policy`.
    #[serde(rename = "Base Policy")]
    Base,
    /// `Supplemental Policy`: widens the trust of the base named by `BasePolicyID`.
    #[serde(rename = "Supplemental Policy")]
    Supplemental,
    /// `AppID Tagging Policy`: tags processes, never blocks.
    #[serde(rename = "AppID Tagging Policy")]
    AppIdTagging,
}

impl PolicyType {
    /// The attribute text.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Base => "Base Policy",
            PolicyType::Supplemental => "Supplemental Policy",
            PolicyType::AppIdTagging => "AppID Tagging Policy",
        }
    }

    /// Parses the attribute text (exact, as the XSD enumeration).
    pub fn parse(s: &str) -> Option<Self> {
        [PolicyType::Base, PolicyType::Supplemental, PolicyType::AppIdTagging]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// Standard `PlatformID` of every Microsoft template.
pub const STANDARD_PLATFORM_ID: &str = "{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}";
/// The legacy single-policy `PolicyTypeID` (`SiPolicy.p7b`).
pub const LEGACY_POLICY_TYPE_ID: &str = "{A244370E-44C9-4C06-B551-F6016E563076}";

/// A whole SiPolicy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Policy {
    /// `SiPolicy/@FriendlyName`.
    pub friendly_name: Option<String>,
    /// `SiPolicy/@PolicyType` as written (absent in legacy policies).
    pub policy_type: Option<PolicyType>,
    /// `VersionEx`.
    pub version_ex: Version,
    /// `PolicyTypeID` (legacy single-policy format only).
    pub policy_type_id: Option<Guid>,
    /// `PlatformID`.
    pub platform_id: Option<Guid>,
    /// `PolicyID`.
    pub policy_id: Option<Guid>,
    /// `BasePolicyID`.
    pub base_policy_id: Option<Guid>,
    /// `Rules/Rule/Option`, in document order (duplicates kept so they can be reported).
    pub rules: Vec<RuleOption>,
    /// `EKUs`.
    pub ekus: Vec<Eku>,
    /// `FileRules`, in document order (the binary sort depends on it).
    pub file_rules: Vec<FileRule>,
    /// `ArtifactRules`.
    pub artifact_rules: Vec<ArtifactRule>,
    /// `Signers`.
    pub signers: Vec<Signer>,
    /// `SigningScenarios`.
    pub signing_scenarios: Vec<SigningScenario>,
    /// `UpdatePolicySigners/UpdatePolicySigner/@SignerId`.
    pub update_policy_signers: Vec<Id>,
    /// `CiSigners/CiSigner/@SignerId`.
    pub ci_signers: Vec<Id>,
    /// `HvciOptions`.
    pub hvci_options: Option<u32>,
    /// `Settings`, in document order.
    pub settings: Vec<Setting>,
    /// `Macros`.
    pub macros: Vec<Macro>,
    /// `SupplementalPolicySigners/SupplementalPolicySigner/@SignerId`.
    pub supplemental_policy_signers: Vec<Id>,
    /// `AppSettings`.
    pub app_settings: Vec<App>,
}

impl Policy {
    /// An empty multiple-policy-format base policy with the given ID.
    pub fn new_base(policy_id: Guid) -> Self {
        Policy {
            friendly_name: None,
            policy_type: Some(PolicyType::Base),
            version_ex: Version::ZERO,
            platform_id: STANDARD_PLATFORM_ID.parse().ok(),
            policy_id: Some(policy_id),
            base_policy_id: Some(policy_id),
            ..Policy::default()
        }
    }

    /// True for the legacy single-policy format (a `PolicyTypeID`, deployed as `SiPolicy.p7b`).
    pub fn is_legacy(&self) -> bool {
        self.policy_type_id.is_some() && self.policy_id.is_none()
    }

    /// The policy type as Windows sees it: the attribute when present, otherwise supplemental
    /// when PolicyID and BasePolicyID differ, otherwise base.
    pub fn effective_type(&self) -> PolicyType {
        match (self.policy_type, self.policy_id, self.base_policy_id) {
            (Some(t), _, _) => t,
            (None, Some(p), Some(b)) if p != b => PolicyType::Supplemental,
            _ => PolicyType::Base,
        }
    }

    /// True when the option is set.
    pub fn has_option(&self, kind: OptionKind) -> bool {
        self.rules.iter().any(|r| r.known() == Some(kind))
    }

    /// Sets (or with `on == false`, clears) an option, keeping the rest in place.
    pub fn set_option(&mut self, kind: OptionKind, on: bool) {
        if on {
            if !self.has_option(kind) {
                self.rules.push(RuleOption::Known(kind));
            }
        } else {
            self.rules.retain(|r| r.known() != Some(kind));
        }
    }

    /// True when the policy must be signed (option 6 absent).
    pub fn is_signed(&self) -> bool {
        !self.has_option(OptionKind::UnsignedSystemIntegrityPolicy)
    }

    /// The file rule with this ID.
    pub fn file_rule(&self, id: &str) -> Option<&FileRule> {
        self.file_rules.iter().find(|r| r.id.as_str() == id)
    }

    /// The signer with this ID.
    pub fn signer(&self, id: &str) -> Option<&Signer> {
        self.signers.iter().find(|s| s.id.as_str() == id)
    }

    /// The scenario with this value (12 user mode, 131 kernel mode).
    pub fn scenario(&self, value: u8) -> Option<&SigningScenario> {
        self.signing_scenarios.iter().find(|s| s.value == value)
    }

    /// The `PolicyInfo/Information/Name` setting (the name CiTool and events show).
    pub fn info_name(&self) -> Option<&str> {
        self.settings.iter().find_map(|s| {
            match (&s.value, s.provider.as_str(), s.key.as_str(), s.value_name.as_str()) {
                (SettingValue::String(v), "PolicyInfo", "Information", "Name") => Some(v.as_str()),
                _ => None,
            }
        })
    }
}
