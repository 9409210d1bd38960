//! The element and attribute names of the SiPolicy schema, shared instead of allocated for each
//! element and attribute that uses one.

use std::borrow::Cow;

/// Element and attribute names of the SiPolicy schema, sorted. A large policy has tens of
/// thousands of them; sharing these saves an allocation (and a free) for each.
const NAMES: &[&str] = &[
    "Action",
    "Allow",
    "AllowRuleID",
    "AllowedSigner",
    "AllowedSigners",
    "App",
    "AppIDTag",
    "AppIDTags",
    "AppIDs",
    "AppSettings",
    "ArtifactDescription",
    "ArtifactHash",
    "ArtifactName",
    "ArtifactRule",
    "ArtifactRuleRef",
    "ArtifactRules",
    "ArtifactRulesRef",
    "ArtifactSigners",
    "ArtifactType",
    "BasePolicyID",
    "Binary",
    "Boolean",
    "CertEKU",
    "CertIssuer",
    "CertOemID",
    "CertPublisher",
    "CertRoot",
    "CiSigner",
    "CiSigners",
    "Condition",
    "DWord",
    "DeniedSigner",
    "DeniedSigners",
    "Deny",
    "DenyRuleID",
    "EKU",
    "EKUs",
    "EnforceDLL",
    "ExceptAllowRule",
    "ExceptDenyRule",
    "FileAttrib",
    "FileAttribRef",
    "FileDescription",
    "FileName",
    "FilePath",
    "FileRule",
    "FileRuleRef",
    "FileRules",
    "FileRulesRef",
    "FriendlyName",
    "Hash",
    "HvciOptions",
    "ID",
    "Id",
    "InheritedScenarios",
    "InternalName",
    "Key",
    "Macro",
    "Macros",
    "Manifest",
    "MaximumFileVersion",
    "MaximumHotpatchSequence",
    "MaximumVersion",
    "MinimumFileVersion",
    "MinimumHashAlgorithm",
    "MinimumHotpatchSequence",
    "MinimumVersion",
    "Name",
    "OID",
    "Option",
    "PackageFamilyName",
    "PackageVersion",
    "PlatformID",
    "PolicyID",
    "PolicyType",
    "PolicyTypeID",
    "ProductName",
    "ProductSigners",
    "Provider",
    "RequireHotpatchID",
    "Rule",
    "RuleID",
    "Rules",
    "Setting",
    "Settings",
    "SiPolicy",
    "SignTimeAfter",
    "Signer",
    "SignerId",
    "Signers",
    "SigningScenario",
    "SigningScenarios",
    "String",
    "SupplementalPolicySigner",
    "SupplementalPolicySigners",
    "TestSigners",
    "TestSigningSigners",
    "Type",
    "UpdatePolicySigner",
    "UpdatePolicySigners",
    "Value",
    "ValueName",
    "VersionEx",
    "Workaround",
    "sha256",
    "sha384",
    "sha512",
];

/// Slots of [`NAME_TABLE`]: a power of two a few times the number of names, so that most
/// lookups find their name (or an empty slot) at the first probe.
const NAME_SLOTS: usize = 512;

/// An empty slot of [`NAME_TABLE`].
const NO_NAME: u8 = u8::MAX;

/// Hashes a name from its length and three of its bytes, which tell the schema's names apart
/// nearly always (a binary search over [`NAMES`] compared whole strings seven times a name).
const fn name_hash(b: &[u8]) -> usize {
    let (n, first, mid, last) = (b.len(), b[0] as usize, b[b.len() / 2] as usize, b[b.len() - 1] as usize);
    (n.wrapping_mul(31) ^ first.wrapping_mul(7) ^ mid.wrapping_mul(131) ^ last.wrapping_mul(17)) % NAME_SLOTS
}

/// Open-addressing table of indexes into [`NAMES`], built at compile time.
const NAME_TABLE: [u8; NAME_SLOTS] = {
    assert!(NAMES.len() < NO_NAME as usize && NAMES.len() * 2 < NAME_SLOTS);
    let mut table = [NO_NAME; NAME_SLOTS];
    let mut i = 0;
    while i < NAMES.len() {
        let mut slot = name_hash(NAMES[i].as_bytes());
        while table[slot] != NO_NAME {
            slot = (slot + 1) % NAME_SLOTS;
        }
        table[slot] = i as u8;
        i += 1;
    }
    table
};

/// `name`, borrowed from [`NAMES`] when it is there.
pub(super) fn intern(name: &str) -> Cow<'static, str> {
    if !name.is_empty() {
        let mut slot = name_hash(name.as_bytes());
        while let Some(&known) = NAMES.get(NAME_TABLE[slot] as usize) {
            if known == name {
                return Cow::Borrowed(known);
            }
            slot = (slot + 1) % NAME_SLOTS;
        }
    }
    Cow::Owned(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_interns_to_itself() {
        assert!(
            NAMES.windows(2).all(|w| w[0] < w[1]),
            "NAMES must stay sorted and unique"
        );
        for name in NAMES {
            assert!(matches!(intern(name), Cow::Borrowed(n) if n == *name), "{name}");
        }
        for other in ["Unknown", "", "a", "fileRuleRef", "FileRuleRefs"] {
            assert!(matches!(intern(other), Cow::Owned(n) if n == other), "{other}");
        }
    }
}
