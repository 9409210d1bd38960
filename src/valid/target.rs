//! `--target` profiles: which Windows build a policy is meant for, and what that build supports.
//!
//! Facts from the validation catalogue (§2, §3.8, §3.10 LM006) and Microsoft's feature
//! availability page [S12]. Server releases share a client build: Server 2016 is 1607 (14393),
//! Server 2019 is 1809 (17763), Server 2022 is 21H2 server (20348), Server 2025 is 24H2 (26100),
//! which is why Server 2025 gets the Windows 11 FilePath wildcard rules [inferred from the shared
//! build].

use std::fmt;
use std::str::FromStr;

/// A Windows build family, or `portable` (what every build that supports the multiple-policy
/// format accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Target {
    /// Windows 10 1607 (LTSB 2016), build 14393.
    Win10_1607,
    /// Windows 10 1709.
    Win10_1709,
    /// Windows 10 1803.
    Win10_1803,
    /// Windows 10 1903 (first with the multiple-policy format).
    Win10_1903,
    /// Windows 10 2004.
    Win10_2004,
    /// Windows 11 21H2.
    Win11_21h2,
    /// Windows 11 22H2 and later.
    Win11_22h2,
    /// Windows Server 2016 (build 14393).
    Server2016,
    /// Windows Server 2019 (build 17763).
    Server2019,
    /// Windows Server 2022 (build 20348).
    Server2022,
    /// Windows Server 2025 (build 26100).
    Server2025,
    /// Everything that supports the multiple-policy format: the intersection of Windows 10 1903+
    /// and Server 2022+, written so that older ConfigCI schemas accept the XML too.
    Portable,
}

/// Every target with its command-line name.
pub const TARGETS: &[(Target, &str)] = &[
    (Target::Win10_1607, "win10-1607"),
    (Target::Win10_1709, "win10-1709"),
    (Target::Win10_1803, "win10-1803"),
    (Target::Win10_1903, "win10-1903"),
    (Target::Win10_2004, "win10-2004"),
    (Target::Win11_21h2, "win11-21h2"),
    (Target::Win11_22h2, "win11-22h2"),
    (Target::Server2016, "server2016"),
    (Target::Server2019, "server2019"),
    (Target::Server2022, "server2022"),
    (Target::Server2025, "server2025"),
    (Target::Portable, "portable"),
];

/// A feature whose availability depends on the build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Multiple-policy format (PolicyID/BasePolicyID), supplemental policies, options 17 and 18,
    /// FilePath rules.
    MultiplePolicyFormat,
    /// Option 16, Update Policy No Reboot.
    UpdatePolicyNoReboot,
    /// Option 19, Dynamic Code Security.
    DynamicCodeSecurity,
    /// Option 11, Disabled:Script Enforcement, behaves as documented.
    ScriptEnforcementOption,
    /// Managed installer (13) and Intelligent Security Graph (14).
    ManagedInstallerAndIsg,
    /// AppID tagging policies.
    AppIdTagging,
    /// `?` and mid-path `*` in FilePath; wildcards in PackageFamilyName.
    Windows11Wildcards,
    /// MSI files allowed by FilePath without option 18.
    MsiPathRulesWithoutOption18,
    /// XML constructs of the newest schema generations (§1.4): older ConfigCI refuses them.
    NewestSchemaConstructs,
}

impl Target {
    /// Command-line name.
    pub fn name(self) -> &'static str {
        TARGETS.iter().find(|(t, _)| *t == self).map(|(_, n)| *n).unwrap_or("?")
    }

    /// True when the target supports the feature.
    pub fn supports(self, f: Feature) -> bool {
        use Target::*;
        match f {
            Feature::MultiplePolicyFormat => {
                !matches!(self, Win10_1607 | Win10_1709 | Win10_1803 | Server2016 | Server2019)
            }
            Feature::UpdatePolicyNoReboot => !matches!(self, Win10_1607 | Server2016),
            Feature::DynamicCodeSecurity => !matches!(self, Win10_1607 | Win10_1709 | Server2016),
            Feature::ScriptEnforcementOption => !matches!(self, Win10_1607 | Server2016),
            // Documented as Server 2019+; 1607 is the Server 2016 build.
            Feature::ManagedInstallerAndIsg => !matches!(self, Win10_1607 | Server2016),
            Feature::AppIdTagging => !matches!(
                self,
                Win10_1607 | Win10_1709 | Win10_1803 | Win10_1903 | Server2016 | Server2019 | Portable
            ),
            Feature::Windows11Wildcards => matches!(self, Win11_21h2 | Win11_22h2 | Server2025),
            Feature::MsiPathRulesWithoutOption18 => matches!(self, Win11_21h2 | Win11_22h2 | Server2025),
            Feature::NewestSchemaConstructs => !matches!(self, Portable),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The target name is unknown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown target `{name}`; expected one of: {}", TARGETS.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", "))]
pub struct TargetError {
    /// The name given.
    pub name: String,
}

impl FromStr for Target {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = s.trim().to_ascii_lowercase();
        TARGETS
            .iter()
            .find(|(_, n)| *n == want)
            .map(|(t, _)| *t)
            .ok_or_else(|| TargetError { name: s.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (t, n) in TARGETS {
            assert_eq!(n.parse::<Target>().unwrap(), *t);
            assert_eq!(t.to_string(), *n);
        }
        assert!("win12".parse::<Target>().is_err());
    }

    #[test]
    fn portable_is_the_intersection_of_multi_format_builds() {
        let multi: Vec<Target> = TARGETS
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| *t != Target::Portable && t.supports(Feature::MultiplePolicyFormat))
            .collect();
        for f in [
            Feature::MultiplePolicyFormat,
            Feature::UpdatePolicyNoReboot,
            Feature::DynamicCodeSecurity,
            Feature::ScriptEnforcementOption,
            Feature::ManagedInstallerAndIsg,
            Feature::AppIdTagging,
            Feature::Windows11Wildcards,
            Feature::MsiPathRulesWithoutOption18,
        ] {
            assert_eq!(
                Target::Portable.supports(f),
                multi.iter().all(|t| t.supports(f)),
                "{f:?}"
            );
        }
    }
}
