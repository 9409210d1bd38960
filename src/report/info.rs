//! `cipolicy info`: what a policy is, at a glance.

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{FileRuleKind, GenericRuleType, Policy, PolicyType, RuleOption, SCENARIO_KERNEL, SCENARIO_USER};

/// One option as reported.
#[derive(Clone, Debug, Serialize)]
pub struct OptionInfo {
    /// XML text.
    pub name: String,
    /// Set-RuleOption number, when documented.
    pub number: Option<u8>,
    /// False for text no schema knows (ConvertFrom-CIPolicy ignores it).
    pub known: bool,
}

/// Counts per section.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    /// EKUs.
    pub ekus: usize,
    /// Allow rules (including `FileRule Type="Match"`).
    pub allow_rules: usize,
    /// Deny rules (including `FileRule Type="Exclude"`).
    pub deny_rules: usize,
    /// FileAttrib rules (including `FileRule Type="Attribute"`).
    pub file_attribs: usize,
    /// Artifact rules.
    pub artifact_rules: usize,
    /// Signers.
    pub signers: usize,
    /// Signing scenarios.
    pub signing_scenarios: usize,
    /// UpdatePolicySigners.
    pub update_policy_signers: usize,
    /// SupplementalPolicySigners.
    pub supplemental_policy_signers: usize,
    /// CiSigners.
    pub ci_signers: usize,
    /// Secure settings.
    pub settings: usize,
    /// Macros.
    pub macros: usize,
    /// AppSettings apps.
    pub app_settings: usize,
}

/// One signing scenario as reported.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioInfo {
    /// Scenario value.
    pub value: u8,
    /// `kernel`, `user` or `other`.
    pub mode: &'static str,
    /// Scenario ID.
    pub id: String,
    /// Allowed signers (product signers).
    pub allowed_signers: usize,
    /// Denied signers (product signers).
    pub denied_signers: usize,
    /// File rule references (product signers).
    pub file_rule_refs: usize,
    /// Test and test-signing signers and references, all together.
    pub test_entries: usize,
    /// AppIDTags.
    pub app_id_tags: usize,
}

/// Where the policy came from, for binaries.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SourceInfo {
    /// `xml`, `binary` or `signed binary`.
    pub kind: String,
    /// Binary format version, for binaries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_version: Option<u32>,
    /// CMS signers, for signed binaries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signers: Vec<SignerSummary>,
}

/// A CMS signer of a signed policy.
#[derive(Clone, Debug, Serialize)]
pub struct SignerSummary {
    /// Subject display name.
    pub subject: String,
    /// Issuer display name.
    pub issuer: String,
    /// TBS hash of the signing certificate.
    pub tbs_hash: Option<String>,
}

/// Everything `info` reports.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyInfo {
    /// The input.
    pub source: SourceInfo,
    /// `PolicyInfo/Information/Name` setting, else the FriendlyName attribute.
    pub name: Option<String>,
    /// Effective policy type.
    pub policy_type: PolicyType,
    /// `multiple` (PolicyID/BasePolicyID, `{PolicyID}.cip`) or `legacy` (PolicyTypeID, `SiPolicy.p7b`).
    pub policy_format: &'static str,
    /// PolicyID.
    pub policy_id: Option<String>,
    /// BasePolicyID.
    pub base_policy_id: Option<String>,
    /// PolicyTypeID.
    pub policy_type_id: Option<String>,
    /// PlatformID.
    pub platform_id: Option<String>,
    /// VersionEx.
    pub version: String,
    /// Whether the policy must be signed (option 6 absent).
    pub signed_policy: bool,
    /// Options in document order.
    pub options: Vec<OptionInfo>,
    /// HvciOptions.
    pub hvci_options: Option<u32>,
    /// Counts.
    pub counts: Counts,
    /// Scenarios.
    pub scenarios: Vec<ScenarioInfo>,
}

impl PolicyInfo {
    /// Summarises a policy.
    pub fn new(p: &Policy, source: SourceInfo) -> Self {
        let mut counts = Counts {
            ekus: p.ekus.len(),
            artifact_rules: p.artifact_rules.len(),
            signers: p.signers.len(),
            signing_scenarios: p.signing_scenarios.len(),
            update_policy_signers: p.update_policy_signers.len(),
            supplemental_policy_signers: p.supplemental_policy_signers.len(),
            ci_signers: p.ci_signers.len(),
            settings: p.settings.len(),
            macros: p.macros.len(),
            app_settings: p.app_settings.len(),
            ..Counts::default()
        };
        for r in &p.file_rules {
            match r.kind {
                FileRuleKind::Allow | FileRuleKind::Generic(GenericRuleType::Match) => counts.allow_rules += 1,
                FileRuleKind::Deny | FileRuleKind::Generic(GenericRuleType::Exclude) => counts.deny_rules += 1,
                FileRuleKind::FileAttrib | FileRuleKind::Generic(GenericRuleType::Attribute) => {
                    counts.file_attribs += 1
                }
            }
        }
        let scenarios = p
            .signing_scenarios
            .iter()
            .map(|s| ScenarioInfo {
                value: s.value,
                mode: match s.value {
                    SCENARIO_KERNEL => "kernel",
                    SCENARIO_USER => "user",
                    _ => "other",
                },
                id: s.id.to_string(),
                allowed_signers: s.product_signers.allowed.len(),
                denied_signers: s.product_signers.denied.len(),
                file_rule_refs: s.product_signers.file_rules_ref.len(),
                test_entries: [&s.test_signers, &s.test_signing_signers]
                    .iter()
                    .map(|g| g.allowed.len() + g.denied.len() + g.file_rules_ref.len())
                    .sum(),
                app_id_tags: s.app_id_tags.as_ref().map_or(0, |t| t.tags.len()),
            })
            .collect();
        PolicyInfo {
            source,
            name: p.info_name().map(str::to_string).or_else(|| p.friendly_name.clone()),
            policy_type: p.effective_type(),
            policy_format: if p.is_legacy() { "legacy" } else { "multiple" },
            policy_id: p.policy_id.map(|g| g.to_string()),
            base_policy_id: p.base_policy_id.map(|g| g.to_string()),
            policy_type_id: p.policy_type_id.map(|g| g.to_string()),
            platform_id: p.platform_id.map(|g| g.to_string()),
            version: p.version_ex.to_string(),
            signed_policy: p.is_signed(),
            options: p
                .rules
                .iter()
                .map(|r| OptionInfo {
                    name: r.text().to_string(),
                    number: r.known().and_then(|k| k.number()),
                    known: matches!(r, RuleOption::Known(_)),
                })
                .collect(),
            hvci_options: p.hvci_options,
            counts,
            scenarios,
        }
    }

    /// Human-readable text.
    pub fn to_human(&self) -> String {
        let mut o = String::new();
        let mut line = |k: &str, v: &str| {
            let _ = writeln!(o, "{k:<22}{v}");
        };
        let mut src = self.source.kind.clone();
        if let Some(v) = self.source.format_version {
            src.push_str(&format!(" (format version {v})"));
        }
        line("Source:", &src);
        for s in &self.source.signers {
            line(
                "CMS signer:",
                &format!(
                    "{} (issued by {}), TBS {}",
                    s.subject,
                    s.issuer,
                    s.tbs_hash.as_deref().unwrap_or("?")
                ),
            );
        }
        line("Name:", self.name.as_deref().unwrap_or("(none)"));
        line("Type:", self.policy_type.as_str());
        line(
            "Format:",
            if self.policy_format == "legacy" {
                "legacy single-policy (PolicyTypeID; deploys as SiPolicy.p7b)"
            } else {
                "multiple-policy (deploys as {PolicyID}.cip)"
            },
        );
        for (k, v) in [
            ("PolicyID:", &self.policy_id),
            ("BasePolicyID:", &self.base_policy_id),
            ("PolicyTypeID:", &self.policy_type_id),
            ("PlatformID:", &self.platform_id),
        ] {
            if let Some(v) = v {
                line(k, v);
            }
        }
        line("Version:", &self.version);
        line(
            "Signed policy:",
            if self.signed_policy {
                "yes (option 6 absent: must be signed)"
            } else {
                "no (option 6 set)"
            },
        );
        if let Some(h) = self.hvci_options {
            line("HvciOptions:", &h.to_string());
        }
        if self.options.is_empty() {
            line("Options:", "(none)");
        } else {
            o.push_str("Options:\n");
        }
        for opt in &self.options {
            let num = opt.number.map(|n| format!("{n:>2}")).unwrap_or_else(|| " -".into());
            let unknown = if opt.known {
                ""
            } else {
                "  (unknown option: ignored when compiling)"
            };
            let _ = writeln!(o, "  {num}  {}{unknown}", opt.name);
        }
        let c = &self.counts;
        let _ = writeln!(o, "Counts:");
        for (k, v) in [
            ("EKUs", c.ekus),
            ("Allow rules", c.allow_rules),
            ("Deny rules", c.deny_rules),
            ("FileAttribs", c.file_attribs),
            ("Artifact rules", c.artifact_rules),
            ("Signers", c.signers),
            ("UpdatePolicySigners", c.update_policy_signers),
            ("SupplementalSigners", c.supplemental_policy_signers),
            ("CiSigners", c.ci_signers),
            ("Settings", c.settings),
            ("Macros", c.macros),
            ("AppSettings", c.app_settings),
        ] {
            let _ = writeln!(o, "  {k:<20}{v}");
        }
        let _ = writeln!(
            o,
            "Scenarios:{}",
            if self.scenarios.is_empty() { " (none)" } else { "" }
        );
        for s in &self.scenarios {
            let _ = writeln!(
                o,
                "  {:>3} {:<7} allowed signers {}, denied signers {}, file rule refs {}{}{}",
                s.value,
                s.mode,
                s.allowed_signers,
                s.denied_signers,
                s.file_rule_refs,
                if s.test_entries > 0 {
                    format!(", test entries {}", s.test_entries)
                } else {
                    String::new()
                },
                if s.app_id_tags > 0 {
                    format!(", AppIDTags {}", s.app_id_tags)
                } else {
                    String::new()
                },
            );
        }
        o
    }
}
