//! `set`: the edits ConfigCI users make with Set-RuleOption, Set-CIPolicyVersion,
//! Set-CIPolicyIdInfo, Set-HVCIOptions, Set-CIPolicySetting and Add-SignerRule, as edits of the
//! model. The caller writes the result back in canonical form.

use std::fmt;

use crate::cert::{CertFacts, KeyKind};
use crate::model::{
    AllowedSigner, CertRoot, DeniedSigner, Guid, HexBytes, Id, OptionKind, Policy, PolicyType, SCENARIO_KERNEL,
    SCENARIO_USER, Setting, SettingValue, Signer, SigningScenario, Version,
};
use crate::suggest::did_you_mean;

/// `HvciOptions` bits (Set-HVCIOptions): `-Enabled`.
pub const HVCI_ENABLED: u32 = 1;
/// `-Strict`.
pub const HVCI_STRICT: u32 = 2;
/// `-DebugMode`.
pub const HVCI_DEBUG: u32 = 4;
/// `-DisableAllowed`.
pub const HVCI_DISABLE_ALLOWED: u32 = 8;

/// One edit.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Set or (with `delete`) clear a rule option.
    Option {
        /// The option.
        option: OptionKind,
        /// Clear instead of set.
        delete: bool,
    },
    /// Set `VersionEx`.
    Version(Version),
    /// Set `PolicyID` (and, for a base, `BasePolicyID` with it).
    PolicyId(Guid),
    /// Make the policy a supplemental of this base (or, given its own PolicyID, a base again).
    BasePolicyId(Guid),
    /// Set the policy name: the `PolicyInfo/Information/Name` setting Windows shows, and the
    /// `FriendlyName` attribute.
    Name(String),
    /// Set the `PolicyInfo/Information/Id` setting (the free-text ID Windows shows in events).
    InfoId(String),
    /// Set `HvciOptions`.
    Hvci(u32),
    /// Add or replace a secure setting.
    SetSetting(Setting),
    /// Remove a secure setting.
    DeleteSetting {
        /// `Provider`.
        provider: String,
        /// `Key`.
        key: String,
        /// `ValueName`.
        value_name: String,
    },
    /// Add-SignerRule.
    AddSigner(AddSigner),
}

/// Where Add-SignerRule puts a certificate.
#[derive(Clone, Debug)]
pub struct AddSigner {
    /// The certificate (its TBS hash becomes the CertRoot, its CN the signer name).
    pub cert: CertFacts,
    /// `CertPublisher`: the leaf CN, when CERT is the issuing CA (Publisher level).
    pub publisher: Option<String>,
    /// Scenario 12 (user mode).
    pub user: bool,
    /// Scenario 131 (kernel mode).
    pub kernel: bool,
    /// UpdatePolicySigners.
    pub update: bool,
    /// SupplementalPolicySigners.
    pub supplemental: bool,
    /// Deny instead of allow in the scenarios.
    pub deny: bool,
}

/// Why an edit was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    /// Unknown option name or number.
    #[error("unknown option `{0}`{1}; give a Set-RuleOption number (0-21) or the option text")]
    UnknownOption(String, String),
    /// Option 7 has no XML form.
    #[error("option 7 (Allowed:Debug Policy Augmented) has no XML form in any schema and cannot be set")]
    DebugPolicyAugmented,
    /// Bad `--hvci` value.
    #[error(
        "unknown HVCI value `{0}`; use enabled, strict, debug, disable-allowed, none, a combination like enabled,strict, or a number"
    )]
    BadHvci(String),
    /// Bad `--setting` text.
    #[error("bad setting `{0}`: {1}")]
    BadSetting(String, String),
    /// A setting to delete is not there.
    #[error("no setting {0} to delete")]
    NoSuchSetting(String),
    /// The PolicyID would equal the base's.
    #[error("a supplemental policy's PolicyID must differ from its BasePolicyID ({0})")]
    SameIds(Guid),
    /// `--base-policy-id` on a policy with no PolicyID.
    #[error("the policy has no PolicyID; set one with --policy-id first")]
    NoPolicyId,
    /// AddSigner without a destination.
    #[error("say where the signer goes: --user, --kernel, --update and/or --supplemental")]
    NoDestination,
    /// `--deny` without a scenario.
    #[error("--deny applies to --user and --kernel (policy signer lists have no deny form)")]
    DenyWithoutScenario,
    /// SupplementalPolicySigners on a supplemental.
    #[error(
        "a supplemental policy cannot carry SupplementalPolicySigners (Windows refuses it; HotCakeX reports a \
         boot failure); add them to the base"
    )]
    SupplementalSignersOnSupplemental,
    /// The certificate's signature algorithm is unknown, so its TBS hash is unknown.
    #[error("cannot compute the certificate's TBS hash: unknown signature algorithm {0}")]
    UnknownTbsAlgorithm(String),
}

/// Parses `--option`: a Set-RuleOption number or the option text (case and prefix forgiving).
pub fn parse_option(s: &str) -> Result<OptionKind, SetError> {
    if s.trim() == "7" {
        return Err(SetError::DebugPolicyAugmented);
    }
    OptionKind::lookup(s).ok_or_else(|| {
        let hint = did_you_mean(s, OptionKind::ALL.iter().map(|o| o.xml_name()));
        SetError::UnknownOption(s.to_string(), hint)
    })
}

/// Parses `--hvci`: `enabled` (1), `strict` (2), `debug` (4), `disable-allowed` (8), `none` /
/// `disabled` / `off` (0), a number, or several names joined by `,` or `+` (bits are ORed).
pub fn parse_hvci(s: &str) -> Result<u32, SetError> {
    if let Ok(n) = s.trim().parse::<u32>() {
        return Ok(n);
    }
    let mut v = 0;
    for part in s.split([',', '+']) {
        v |= match part.trim().to_ascii_lowercase().as_str() {
            "enabled" | "enable" | "on" => HVCI_ENABLED,
            "strict" => HVCI_STRICT,
            "debug" | "debugmode" | "debug-mode" => HVCI_DEBUG,
            "disable-allowed" | "disableallowed" => HVCI_DISABLE_ALLOWED,
            "none" | "disabled" | "off" => 0,
            _ => return Err(SetError::BadHvci(s.to_string())),
        };
    }
    Ok(v)
}

/// Parses `--setting PROVIDER/KEY/VALUENAME=TYPE:VALUE` (TYPE: `boolean`, `dword`, `binary`
/// (hex), `string`); with `delete`, `PROVIDER/KEY/VALUENAME` alone.
pub fn parse_setting(s: &str, delete: bool) -> Result<Edit, SetError> {
    let bad = |why: &str| SetError::BadSetting(s.to_string(), why.to_string());
    let (path, value) = match s.split_once('=') {
        Some((p, v)) => (p, Some(v)),
        None => (s, None),
    };
    let parts: Vec<&str> = path.split('/').collect();
    let [provider, key, value_name] = parts[..] else {
        return Err(bad("expected PROVIDER/KEY/VALUENAME"));
    };
    if [provider, key, value_name].iter().any(|p| p.is_empty()) {
        return Err(bad("Provider, Key and ValueName must not be empty"));
    }
    let (provider, key, value_name) = (provider.to_string(), key.to_string(), value_name.to_string());
    if delete {
        if value.is_some() {
            return Err(bad("--delete takes PROVIDER/KEY/VALUENAME without a value"));
        }
        return Ok(Edit::DeleteSetting {
            provider,
            key,
            value_name,
        });
    }
    let value = value.ok_or_else(|| bad("expected =TYPE:VALUE, e.g. =string:Contoso or =boolean:true"))?;
    let (ty, v) = value
        .split_once(':')
        .ok_or_else(|| bad("expected TYPE:VALUE with TYPE boolean, dword, binary or string"))?;
    let value = match ty.to_ascii_lowercase().as_str() {
        "boolean" | "bool" => match v.to_ascii_lowercase().as_str() {
            "true" | "1" => SettingValue::Boolean(true),
            "false" | "0" => SettingValue::Boolean(false),
            _ => return Err(bad("a boolean is true or false")),
        },
        "dword" => {
            let n = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                Some(h) => u32::from_str_radix(h, 16),
                None => v.parse(),
            };
            SettingValue::DWord(n.map_err(|_| bad("a dword is a number from 0 to 4294967295"))?)
        }
        "binary" => SettingValue::Binary(v.parse::<HexBytes>().map_err(|e| bad(&e.to_string()))?),
        "string" => SettingValue::String(v.to_string()),
        _ => return Err(bad("TYPE is boolean, dword, binary or string")),
    };
    Ok(Edit::SetSetting(Setting {
        provider,
        key,
        value_name,
        value,
    }))
}

/// Upper-case ID fragment from a display name: `Contoso Code Signing` → `CONTOSO_CODE_SIGNING`.
fn id_fragment(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_uppercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let mut s = s.trim_matches('_').to_string();
    s.truncate(40);
    let s = s.trim_end_matches('_').to_string();
    match s.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => s,
        _ => format!("S_{s}"),
    }
}

/// Where an added signer is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dest {
    Scenario(u8, bool),
    Update,
    Supplemental,
}

impl fmt::Display for Dest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dest::Scenario(v, deny) => {
                let mode = if *v == SCENARIO_USER { "USER" } else { "KERNEL" };
                write!(f, "{mode}{}", if *deny { "_DENY" } else { "" })
            }
            Dest::Update => f.write_str("UPDATE"),
            Dest::Supplemental => f.write_str("SUPPLEMENTAL"),
        }
    }
}

/// True when `existing` constrains exactly what the new Add-SignerRule signer `new` does.
fn same_signer(existing: &Signer, new: &Signer) -> bool {
    existing.cert_root == new.cert_root
        && existing.cert_publisher == new.cert_publisher
        && existing.cert_ekus.is_empty()
        && existing.cert_issuer.is_none()
        && existing.cert_oem_id.is_none()
        && existing.sign_time_after.is_none()
        && existing.file_attrib_refs.is_empty()
        && existing.artifact_rule_refs.is_empty()
}

fn scenario_mut(p: &mut Policy, value: u8) -> &mut SigningScenario {
    if let Some(i) = p.signing_scenarios.iter().position(|s| s.value == value) {
        return &mut p.signing_scenarios[i];
    }
    // ConfigCI's scenario IDs; kernel before user, as in its output.
    let id = if value == SCENARIO_KERNEL {
        "ID_SIGNINGSCENARIO_DRIVERS_1"
    } else {
        "ID_SIGNINGSCENARIO_WINDOWS"
    };
    let mut id = id.to_string();
    while p.signing_scenarios.iter().any(|s| s.id.as_str() == id) {
        id.push_str("_1");
    }
    let sc = SigningScenario::new(id, value);
    let pos = if value == SCENARIO_KERNEL {
        0
    } else {
        p.signing_scenarios.len()
    };
    p.signing_scenarios.insert(pos, sc);
    &mut p.signing_scenarios[pos]
}

fn listed(p: &Policy, dest: Dest, id: &Id) -> bool {
    match dest {
        Dest::Scenario(v, false) => p
            .scenario(v)
            .is_some_and(|s| s.product_signers.allowed.iter().any(|a| &a.signer_id == id)),
        Dest::Scenario(v, true) => p
            .scenario(v)
            .is_some_and(|s| s.product_signers.denied.iter().any(|a| &a.signer_id == id)),
        Dest::Update => p.update_policy_signers.contains(id),
        Dest::Supplemental => p.supplemental_policy_signers.contains(id),
    }
}

fn add_signer(p: &mut Policy, a: &AddSigner, notes: &mut Vec<String>) -> Result<(), SetError> {
    if !(a.user || a.kernel || a.update || a.supplemental) {
        return Err(SetError::NoDestination);
    }
    if a.deny && !(a.user || a.kernel) {
        return Err(SetError::DenyWithoutScenario);
    }
    if a.supplemental && p.effective_type() == PolicyType::Supplemental {
        return Err(SetError::SupplementalSignersOnSupplemental);
    }
    let tbs = a
        .cert
        .tbs_hash
        .as_deref()
        .ok_or_else(|| SetError::UnknownTbsAlgorithm(a.cert.signature_oid.clone()))?;
    let tbs: HexBytes = tbs.parse().expect("tbs_hash is hex");
    if a.cert.key == KeyKind::Ec && (a.user || a.kernel) {
        notes.push(
            "the certificate has an EC key: Windows matches signer rules only for RSA signatures (files signed \
             with it fail with VerificationError 23)"
                .into(),
        );
    }
    let mut template = Signer::new(Id::default(), CertRoot::Tbs(tbs.clone()));
    template.name = Some(a.cert.subject_name.clone());
    template.cert_publisher = a.publisher.clone();
    let mut dests = Vec::new();
    if a.kernel {
        dests.push(Dest::Scenario(SCENARIO_KERNEL, a.deny));
    }
    if a.user {
        dests.push(Dest::Scenario(SCENARIO_USER, a.deny));
    }
    if a.update {
        dests.push(Dest::Update);
    }
    if a.supplemental {
        dests.push(Dest::Supplemental);
    }
    let base = match &a.publisher {
        Some(pubname) => format!("{}_{}", id_fragment(&a.cert.subject_name), id_fragment(pubname)),
        None => id_fragment(&a.cert.subject_name),
    };
    for dest in dests {
        // One signer per list, as Add-SignerRule writes them; an equal signer already in the list
        // makes the edit a no-op.
        let existing = p
            .signers
            .iter()
            .find(|s| same_signer(s, &template) && listed(p, dest, &s.id))
            .map(|s| s.id.clone());
        if let Some(id) = existing {
            notes.push(format!("{id} already lists this certificate for {dest}; nothing added"));
            continue;
        }
        let mut id = format!("ID_SIGNER_{base}_{dest}");
        if p.signers.iter().any(|s| s.id.as_str() == id) {
            id = format!("{id}_{}", &tbs.to_hex()[..8]);
        }
        while p.signers.iter().any(|s| s.id.as_str() == id) {
            id.push_str("_1");
        }
        let id = Id(id);
        let mut s = template.clone();
        s.id = id.clone();
        p.signers.push(s);
        match dest {
            Dest::Scenario(v, false) => {
                scenario_mut(p, v).product_signers.allowed.push(AllowedSigner {
                    signer_id: id.clone(),
                    except_deny_rules: Vec::new(),
                });
                // User-mode allowed signers are also CiSigners (ConfigCI and the WDAC Wizard do
                // this; kernel-only signers are not).
                if v == SCENARIO_USER && !p.ci_signers.contains(&id) {
                    p.ci_signers.push(id);
                }
            }
            Dest::Scenario(v, true) => {
                if p.effective_type() == PolicyType::Supplemental {
                    notes.push("deny rules in a supplemental policy are ignored by Windows".into());
                }
                scenario_mut(p, v).product_signers.denied.push(DeniedSigner {
                    signer_id: id,
                    except_allow_rules: Vec::new(),
                });
            }
            Dest::Update => {
                if !p.is_signed() {
                    notes.push(
                        "UpdatePolicySigners only protect a signed policy; remove option 6 (--option 6 --delete) \
                         before signing"
                            .into(),
                    );
                }
                p.update_policy_signers.push(id);
            }
            Dest::Supplemental => {
                if !p.has_option(OptionKind::AllowSupplementalPolicies) {
                    notes.push(
                        "SupplementalPolicySigners only matter with option 17 (Enabled:Allow Supplemental \
                         Policies)"
                            .into(),
                    );
                }
                p.supplemental_policy_signers.push(id);
            }
        }
    }
    Ok(())
}

fn set_string_setting(p: &mut Policy, value_name: &str, value: &str) {
    upsert_setting(
        p,
        Setting {
            provider: "PolicyInfo".into(),
            key: "Information".into(),
            value_name: value_name.into(),
            value: SettingValue::String(value.into()),
        },
    );
}

/// Replaces a setting with the same Provider/Key/ValueName, or inserts it in sorted position.
fn upsert_setting(p: &mut Policy, s: Setting) {
    let same = |t: &Setting| t.provider == s.provider && t.key == s.key && t.value_name == s.value_name;
    if let Some(t) = p.settings.iter_mut().find(|t| same(t)) {
        t.value = s.value;
        return;
    }
    let pos = p
        .settings
        .iter()
        .position(|t| super::merge::setting_order(t, &s).is_gt())
        .unwrap_or(p.settings.len());
    p.settings.insert(pos, s);
}

/// Options Microsoft documents as valid in a supplemental policy.
const SUPPLEMENTAL_OPTIONS: [OptionKind; 5] = [
    OptionKind::InheritDefaultPolicy,
    OptionKind::UnsignedSystemIntegrityPolicy,
    OptionKind::ManagedInstaller,
    OptionKind::IntelligentSecurityGraphAuthorization,
    OptionKind::DisabledRuntimeFilePathRuleProtection,
];

/// Applies one edit. Returns notes worth showing (edits that changed nothing, consequences).
pub fn apply(p: &mut Policy, edit: &Edit) -> Result<Vec<String>, SetError> {
    let mut notes = Vec::new();
    match edit {
        Edit::Option { option, delete } => {
            let had = p.has_option(*option);
            p.set_option(*option, !delete);
            if had != *delete {
                notes.push(format!(
                    "option {option} was already {}",
                    if *delete { "absent" } else { "set" }
                ));
            }
            if *delete && *option == OptionKind::UnsignedSystemIntegrityPolicy && p.update_policy_signers.is_empty() {
                notes.push(
                    "the policy must now be signed, but it lists no UpdatePolicySigners (add one with --add-signer \
                     CERT --update)"
                        .into(),
                );
            }
            if !delete && p.effective_type() == PolicyType::Supplemental && !SUPPLEMENTAL_OPTIONS.contains(option) {
                notes.push(format!(
                    "option {option} has no effect in a supplemental policy (the base's options apply){}",
                    if *option == OptionKind::AllowSupplementalPolicies {
                        "; ConvertFrom-CIPolicy refuses it"
                    } else {
                        ""
                    }
                ));
            }
        }
        Edit::Version(v) => {
            if *v < p.version_ex {
                notes.push(format!(
                    "VersionEx goes down ({} -> {v}): Windows refuses a signed policy update with a lower version",
                    p.version_ex
                ));
            }
            p.version_ex = *v;
        }
        Edit::PolicyId(g) => {
            if p.is_legacy() {
                notes.push(
                    "the policy was in the legacy single-policy format (PolicyTypeID); it is now a multiple-policy \
                     format base policy"
                        .into(),
                );
                p.policy_type_id = None;
                p.policy_type = Some(PolicyType::Base);
                p.base_policy_id = Some(*g);
            }
            match p.effective_type() {
                PolicyType::Supplemental => {
                    if p.base_policy_id == Some(*g) {
                        return Err(SetError::SameIds(*g));
                    }
                }
                _ => p.base_policy_id = Some(*g),
            }
            p.policy_id = Some(*g);
        }
        Edit::BasePolicyId(g) => {
            let pid = p.policy_id.ok_or(SetError::NoPolicyId)?;
            p.base_policy_id = Some(*g);
            if pid == *g {
                p.policy_type = Some(PolicyType::Base);
            } else {
                p.policy_type = Some(PolicyType::Supplemental);
                let bad: Vec<String> = p
                    .rules
                    .iter()
                    .filter_map(|r| r.known())
                    .filter(|o| !SUPPLEMENTAL_OPTIONS.contains(o))
                    .map(|o| o.to_string())
                    .collect();
                if !bad.is_empty() {
                    notes.push(format!(
                        "options a supplemental cannot use are still set: {} (remove them with --option N --delete)",
                        bad.join(", ")
                    ));
                }
                if !p.supplemental_policy_signers.is_empty() {
                    notes.push(
                        "the policy still lists SupplementalPolicySigners, which a supplemental must not carry".into(),
                    );
                }
            }
        }
        Edit::Name(n) => {
            p.friendly_name = Some(n.clone());
            set_string_setting(p, "Name", n);
        }
        Edit::InfoId(n) => set_string_setting(p, "Id", n),
        Edit::Hvci(h) => p.hvci_options = Some(*h),
        Edit::SetSetting(s) => upsert_setting(p, s.clone()),
        Edit::DeleteSetting {
            provider,
            key,
            value_name,
        } => {
            let before = p.settings.len();
            p.settings
                .retain(|t| !(&t.provider == provider && &t.key == key && &t.value_name == value_name));
            if p.settings.len() == before {
                return Err(SetError::NoSuchSetting(format!("{provider}/{key}/{value_name}")));
            }
        }
        Edit::AddSigner(a) => add_signer(p, a, &mut notes)?,
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        assert_eq!(parse_option("3").unwrap(), OptionKind::AuditMode);
        assert_eq!(parse_option("audit mode").unwrap(), OptionKind::AuditMode);
        assert_eq!(parse_option("7"), Err(SetError::DebugPolicyAugmented));
        assert!(
            matches!(parse_option("Enabled:Audit Mod"), Err(SetError::UnknownOption(_, h)) if h.contains("Enabled:Audit Mode"))
        );
        assert_eq!(parse_hvci("strict").unwrap(), 2);
        assert_eq!(parse_hvci("enabled,strict").unwrap(), 3);
        assert_eq!(parse_hvci("enabled+debug+disable-allowed").unwrap(), 13);
        assert_eq!(parse_hvci("none").unwrap(), 0);
        assert_eq!(parse_hvci("5").unwrap(), 5);
        assert!(parse_hvci("loud").is_err());
        assert!(matches!(
            parse_setting("A/B/C=dword:0x10", false).unwrap(),
            Edit::SetSetting(Setting {
                value: SettingValue::DWord(16),
                ..
            })
        ));
        assert!(matches!(
            parse_setting("A/B/C=boolean:TRUE", false).unwrap(),
            Edit::SetSetting(Setting {
                value: SettingValue::Boolean(true),
                ..
            })
        ));
        assert!(parse_setting("A/B=string:x", false).is_err());
        assert!(parse_setting("A/B/C", false).is_err());
        assert!(parse_setting("A/B/C=binary:ABC", false).is_err());
        assert!(matches!(
            parse_setting("A/B/C", true).unwrap(),
            Edit::DeleteSetting { .. }
        ));
        assert_eq!(
            id_fragment("Contoso Code-Signing  (Test) CA"),
            "CONTOSO_CODE_SIGNING_TEST_CA"
        );
        assert_eq!(id_fragment("2024 root"), "S_2024_ROOT");
    }
}
