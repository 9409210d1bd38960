//! Rule options: the one table that maps XML option text, Set-RuleOption numbers and binary bits.

use std::fmt;

macro_rules! options {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, $num:expr, $bit:expr; )*) => {
        /// A rule option that the schema (some generation of it) knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        pub enum OptionKind {
            $( $(#[$doc])* $variant, )*
        }

        impl OptionKind {
            /// Every known option, in table order.
            pub const ALL: &'static [OptionKind] = &[$(OptionKind::$variant,)*];

            /// The exact `<Option>` text (case-sensitive, as in the XSD enumeration).
            pub fn xml_name(self) -> &'static str {
                match self { $(OptionKind::$variant => $text,)* }
            }

            /// The `Set-RuleOption -Option N` number, where one is documented.
            pub fn number(self) -> Option<u8> {
                match self { $(OptionKind::$variant => $num,)* }
            }

            /// The option-flag bit in a binary policy header. `None` for options that are not
            /// encoded as a bit (option 21 becomes a secure setting).
            pub fn bit(self) -> Option<u32> {
                match self { $(OptionKind::$variant => $bit,)* }
            }
        }
    };
}

options! {
    /// 0: enforce user-mode code integrity.
    Umci = "Enabled:UMCI", Some(0), Some(0x0000_0004);
    /// 1: unsupported.
    BootMenuProtection = "Enabled:Boot Menu Protection", Some(1), Some(0x0000_0008);
    /// 2: drivers must be WHQL signed.
    RequiredWhql = "Required:WHQL", Some(2), Some(0x0000_0080);
    /// 3: log instead of block.
    AuditMode = "Enabled:Audit Mode", Some(3), Some(0x0001_0000);
    /// 4: do not trust flight-signed code.
    DisabledFlightSigning = "Disabled:Flight Signing", Some(4), Some(0x0002_0000);
    /// 5: reserved, no effect.
    InheritDefaultPolicy = "Enabled:Inherit Default Policy", Some(5), Some(0x0004_0000);
    /// 6: the policy may be deployed unsigned.
    UnsignedSystemIntegrityPolicy = "Enabled:Unsigned System Integrity Policy", Some(6), Some(0x0008_0000);
    /// 8: EV signers required (documented as unsupported).
    RequiredEvSigners = "Required:EV Signers", Some(8), Some(0x0020_0000);
    /// 9: F8 boot menu for physically present users.
    AdvancedBootOptionsMenu = "Enabled:Advanced Boot Options Menu", Some(9), Some(0x0080_0000);
    /// 10: fall back to audit when a boot-critical driver is blocked.
    BootAuditOnFailure = "Enabled:Boot Audit On Failure", Some(10), Some(0x0040_0000);
    /// 11: do not enforce script hosts.
    DisabledScriptEnforcement = "Disabled:Script Enforcement", Some(11), Some(0x0100_0000);
    /// 12: apply the policy to packaged apps.
    RequiredEnforceStoreApplications = "Required:Enforce Store Applications", Some(12), Some(0x0200_0000);
    /// 13: trust files tagged by a managed installer.
    ManagedInstaller = "Enabled:Managed Installer", Some(13), Some(0x0800_0000);
    /// 14: trust the Intelligent Security Graph.
    IntelligentSecurityGraphAuthorization = "Enabled:Intelligent Security Graph Authorization", Some(14), Some(0x0000_0010);
    /// 15: re-check ISG results after reboot.
    InvalidateEasOnReboot = "Enabled:Invalidate EAs on Reboot", Some(15), Some(0x0000_0020);
    /// 16: apply policy updates without a reboot.
    UpdatePolicyNoReboot = "Enabled:Update Policy No Reboot", Some(16), Some(0x1000_0000);
    /// 17: the base policy accepts supplemental policies.
    AllowSupplementalPolicies = "Enabled:Allow Supplemental Policies", Some(17), Some(0x0000_0400);
    /// 18: turn off the admin-writable check for FilePath rules.
    DisabledRuntimeFilePathRuleProtection = "Disabled:Runtime FilePath Rule Protection", Some(18), Some(0x0000_0800);
    /// 19: enforce on dynamic code.
    DynamicCodeSecurity = "Enabled:Dynamic Code Security", Some(19), Some(0x0010_0000);
    /// 20: treat revoked or expired signatures as unsigned.
    RevokedExpiredAsUnsigned = "Enabled:Revoked Expired As Unsigned", Some(20), Some(0x0000_2000);
    /// 21: undocumented; compiled as a secure setting, not a bit.
    DisabledDefaultWindowsCertificateRemapping = "Disabled:Default Windows Certificate Remapping", Some(21), None;
    /// Trust apps debugged in Developer Mode (no Set-RuleOption number).
    DeveloperModeDynamicCodeTrust = "Enabled:Developer Mode Dynamic Code Trust", None, Some(0x0000_0100);
    /// Undocumented.
    SecureSettingPolicy = "Enabled:Secure Setting Policy", None, Some(0x0400_0000);
    /// Undocumented.
    ConditionalWindowsLockdownPolicy = "Enabled:Conditional Windows Lockdown Policy", None, Some(0x2000_0000);
    /// Only in the oldest schema generation; undocumented.
    WindowsLockdownTrialMode = "Enabled:Windows Lockdown Trial Mode", None, Some(0x0000_0040);
}

/// Header bit that every binary policy carries.
pub const BIT_ALWAYS: u32 = 0x8000_0000;
/// Header bit that marks a supplemental policy.
pub const BIT_SUPPLEMENTAL: u32 = 0x4000_0000;

/// Set-RuleOption number 7, `Allowed:Debug Policy Augmented`, has no XML text in any schema.
pub const DEBUG_POLICY_AUGMENTED: u8 = 7;

impl OptionKind {
    /// Looks up the exact (case-sensitive) XML text.
    pub fn from_xml_name(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|o| o.xml_name() == s)
    }

    /// Looks up a Set-RuleOption number.
    pub fn from_number(n: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|o| o.number() == Some(n))
    }

    /// Whether a supplemental policy may set this option (Microsoft's option table; every option
    /// is valid in a base policy). Option 7 would be too, but it has no XML form.
    pub fn valid_in_supplemental(self) -> bool {
        matches!(
            self,
            OptionKind::InheritDefaultPolicy
                | OptionKind::UnsignedSystemIntegrityPolicy
                | OptionKind::ManagedInstaller
                | OptionKind::IntelligentSecurityGraphAuthorization
                | OptionKind::DisabledRuntimeFilePathRuleProtection
        )
    }

    /// Looks up a header bit.
    pub fn from_bit(bit: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|o| o.bit() == Some(bit))
    }

    /// Finds an option by number (`"3"`), exact XML text, or XML text ignoring case and the
    /// `Enabled:`/`Disabled:`/`Required:` prefix spelling (`"audit mode"`), for command lines
    /// and specs. Exact XML text is the only form the XML reader accepts.
    pub fn lookup(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Ok(n) = s.parse::<u8>() {
            return Self::from_number(n);
        }
        if let Some(o) = Self::from_xml_name(s) {
            return Some(o);
        }
        let want = s.to_ascii_lowercase();
        Self::ALL.iter().copied().find(|o| {
            let name = o.xml_name().to_ascii_lowercase();
            name == want || name.split_once(':').map(|(_, rest)| rest) == Some(want.as_str())
        })
    }
}

impl fmt::Display for OptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.xml_name())
    }
}

/// One `<Rule><Option>…</Option></Rule>`. Text that no schema knows is kept, not dropped, so
/// that it can be reported (ConvertFrom-CIPolicy silently ignores it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(untagged)]
pub enum RuleOption {
    /// A known option.
    Known(OptionKind),
    /// Option text no schema generation defines (often a mis-cased known one).
    Unknown(String),
}

impl RuleOption {
    /// Classifies option text exactly as written.
    pub fn from_text(s: &str) -> Self {
        OptionKind::from_xml_name(s).map_or_else(|| RuleOption::Unknown(s.to_string()), RuleOption::Known)
    }

    /// The option text as written in XML.
    pub fn text(&self) -> &str {
        match self {
            RuleOption::Known(k) => k.xml_name(),
            RuleOption::Unknown(s) => s,
        }
    }

    /// The known option, if any.
    pub fn known(&self) -> Option<OptionKind> {
        match self {
            RuleOption::Known(k) => Some(*k),
            RuleOption::Unknown(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let mut bits = 0u32;
        for o in OptionKind::ALL {
            assert_eq!(OptionKind::from_xml_name(o.xml_name()), Some(*o));
            if let Some(b) = o.bit() {
                assert_eq!(b.count_ones(), 1);
                assert_eq!(bits & b, 0, "bit reused by {o}");
                bits |= b;
            }
        }
        assert_eq!(bits & (BIT_ALWAYS | BIT_SUPPLEMENTAL), 0);
        for n in (0..=21).filter(|&n| n != DEBUG_POLICY_AUGMENTED) {
            assert_eq!(OptionKind::from_number(n).and_then(|o| o.number()), Some(n));
        }
        assert_eq!(OptionKind::from_number(DEBUG_POLICY_AUGMENTED), None);
    }

    #[test]
    fn lookup_forms() {
        assert_eq!(OptionKind::lookup("3"), Some(OptionKind::AuditMode));
        assert_eq!(OptionKind::lookup("audit mode"), Some(OptionKind::AuditMode));
        assert_eq!(
            OptionKind::lookup("Enabled:boot audit on failure"),
            Some(OptionKind::BootAuditOnFailure)
        );
        assert_eq!(
            RuleOption::from_text("Enabled:Boot Audit on Failure"),
            RuleOption::Unknown("Enabled:Boot Audit on Failure".into())
        );
    }
}
