//! Representation choices shared by the decompiler ([`super::raise`]) and
//! [`super::binary_view`]: how information the binary does not hold is regenerated (IDs, names,
//! macro names, which settings become options again). Kept in one place so that both produce the
//! same model; the semantic rules (defaults, sorting, index resolution) are written separately in
//! each.

use std::collections::BTreeMap;

use super::sort::{SortAlgorithm, preimage_order, setting_key};
use crate::model::{
    Guid, Id, Macro, OptionKind, PolicyType, SCENARIO_KERNEL, SCENARIO_USER, Setting, SettingValue, roots,
};

/// Policy type GUIDs of Microsoft's single-policy-format files (CIPolicyParser's table): a binary
/// whose header, PolicyID and BasePolicyID are all one of these is shown in the legacy
/// `PolicyTypeID` form.
pub const LEGACY_TYPE_IDS: [&str; 6] = [
    "{A244370E-44C9-4C06-B551-F6016E563076}", // enterprise, SiPolicy.p7b
    "{2A5A0136-F09F-498E-99CC-51099011157C}", // revoke, RvkSiPolicy.p7b
    "{976D12C8-CB9F-4730-BE52-54600843238E}", // SKU, SkuSiPolicy.p7b
    "{5951A96A-E0B5-4D3D-8FB8-3E5B61030784}", // Windows S-mode lockdown, WinSiPolicy.p7b
    "{4E61C68C-97F6-430B-9CD7-9B1004706770}", // ATP, ATPSiPolicy.p7b
    "{D2BDA982-CCF6-4344-AC5B-0B44427B6816}", // driver policy, DriverSiPolicy.p7b
];

/// Option bits an AppID Tagging policy always carries (AppControl Manager, \[S1\]).
pub const APPID_TAGGING_OPTIONS: [OptionKind; 5] = [
    OptionKind::AuditMode,
    OptionKind::Umci,
    OptionKind::RequiredEnforceStoreApplications,
    OptionKind::AdvancedBootOptionsMenu,
    OptionKind::DisabledScriptEnforcement,
];

/// The policy identity as the model writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// `PolicyTypeID`.
    pub policy_type_id: Option<Guid>,
    /// `PolicyID`.
    pub policy_id: Option<Guid>,
    /// `BasePolicyID`.
    pub base_policy_id: Option<Guid>,
    /// `PolicyType`.
    pub policy_type: Option<PolicyType>,
}

/// Chooses the model form of the identity fields found in a binary. `ids` is `(PolicyID,
/// BasePolicyID)` from section 6 (format 6+). `kind` is Supplemental when bit 30 is set,
/// AppIdTagging when the tagging settings say so, else Base.
pub fn identity(header: Guid, ids: Option<(Guid, Guid)>, kind: PolicyType) -> Identity {
    let typed = |t| match t {
        PolicyType::Base => None,
        t => Some(t),
    };
    match ids {
        None => Identity {
            policy_type_id: Some(header),
            policy_id: None,
            base_policy_id: None,
            policy_type: typed(kind),
        },
        Some((pid, bid)) if header == bid => {
            let legacy = pid == bid
                && kind == PolicyType::Base
                && LEGACY_TYPE_IDS.iter().any(|g| g.parse::<Guid>().ok() == Some(header));
            if legacy {
                Identity {
                    policy_type_id: Some(header),
                    policy_id: None,
                    base_policy_id: None,
                    policy_type: None,
                }
            } else {
                Identity {
                    policy_type_id: None,
                    policy_id: Some(pid),
                    base_policy_id: Some(bid),
                    policy_type: Some(kind),
                }
            }
        }
        Some((pid, bid)) => Identity {
            policy_type_id: Some(header),
            policy_id: Some(pid),
            base_policy_id: Some(bid),
            policy_type: Some(kind),
        },
    }
}

/// Regenerated file-rule ID: `ID_DENY_D_n`, `ID_ALLOW_A_n`, `ID_FILEATTRIB_F_n` (`n` counts
/// rules of that kind in binary order from 1).
pub fn file_rule_id(type_code: u32, n: usize) -> Id {
    match type_code {
        0 => Id(format!("ID_DENY_D_{n}")),
        1 => Id(format!("ID_ALLOW_A_{n}")),
        _ => Id(format!("ID_FILEATTRIB_F_{n}")),
    }
}

/// IDs for rules of the given type codes in binary order.
pub fn file_rule_ids(type_codes: impl Iterator<Item = u32>) -> Vec<Id> {
    let mut counters = [0usize; 3];
    type_codes
        .map(|t| {
            let c = &mut counters[(t as usize).min(2)];
            *c += 1;
            file_rule_id(t, *c)
        })
        .collect()
}

/// `ID_SIGNER_S_n`.
pub fn signer_id(index: usize) -> Id {
    Id(format!("ID_SIGNER_S_{}", index + 1))
}

/// `ID_EKU_E_n`.
pub fn eku_id(index: usize) -> Id {
    Id(format!("ID_EKU_E_{}", index + 1))
}

/// `ID_ARTIFACT_R_n`.
pub fn artifact_id(index: usize) -> Id {
    Id(format!("ID_ARTIFACT_R_{}", index + 1))
}

/// Scenario IDs: `ID_SIGNINGSCENARIO_KMCI` (131), `ID_SIGNINGSCENARIO_UMCI` (12), otherwise
/// `ID_SIGNINGSCENARIO_<value>`; repeats get `_2`, `_3`, ….
pub fn scenario_ids(values: &[u8]) -> Vec<Id> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    values
        .iter()
        .map(|&v| {
            let base = match v {
                SCENARIO_KERNEL => "ID_SIGNINGSCENARIO_KMCI".to_string(),
                SCENARIO_USER => "ID_SIGNINGSCENARIO_UMCI".to_string(),
                v => format!("ID_SIGNINGSCENARIO_{v}"),
            };
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { Id(base) } else { Id(format!("{base}_{n}")) }
        })
        .collect()
}

/// A signer name from what the binary holds: the publisher, else the well-known root's name,
/// else the start of the TBS hash.
pub fn signer_name(publisher: Option<&str>, wellknown: Option<u8>, tbs: &[u8]) -> String {
    if let Some(p) = publisher {
        return p.to_string();
    }
    if let Some(id) = wellknown {
        return match roots::well_known_root(id) {
            Some(r) => r.template_name.unwrap_or(r.name).to_string(),
            None => format!("Well-known root 0x{id:02X}"),
        };
    }
    let hex = const_hex::encode_upper(&tbs[..tbs.len().min(8)]);
    format!("TBS {hex}")
}

/// The description of a known EKU value, for the regenerated EKU's FriendlyName.
pub fn eku_friendly_name(value: &[u8]) -> Option<String> {
    let oid = roots::oid_from_eku_value(value)?;
    roots::KNOWN_EKUS
        .iter()
        .find(|k| k.oid == oid)
        .map(|k| k.name.to_string())
}

/// Regenerates `AppIDs` values and the macros they need.
#[derive(Default)]
pub struct MacroTable {
    by_value: BTreeMap<String, String>,
    macros: Vec<Macro>,
}

impl MacroTable {
    /// The `AppIDs` attribute for a list of stored AppID strings: none for an empty list, the
    /// literal for one value that can be written literally, otherwise one `$(AppID_n)` macro per
    /// value (macros are numbered by first use).
    pub fn app_ids(&mut self, list: &[String]) -> Option<String> {
        match list {
            [] => None,
            [one] if !one.is_empty() && !one.starts_with('$') => Some(one.clone()),
            _ => {
                let mut s = String::new();
                for v in list {
                    let n = self.macros.len() + 1;
                    let id = self
                        .by_value
                        .entry(v.clone())
                        .or_insert_with(|| format!("AppID_{n}"))
                        .clone();
                    if self.macros.len() < self.by_value.len() {
                        self.macros.push(Macro {
                            id: id.clone(),
                            value: v.clone(),
                        });
                    }
                    s.push_str("$(");
                    s.push_str(&id);
                    s.push(')');
                }
                Some(s)
            }
        }
    }

    /// The macros used, in order of first use.
    pub fn into_macros(self) -> Vec<Macro> {
        self.macros
    }
}

/// Provider/Key/ValueName of the settings the compiler derives (AppControl Manager, \[S1\]).
pub mod derived {
    /// `WDACAppId`.
    pub const APPID_PROVIDER: &str = "WDACAppId";
    /// Key of AppIDTag settings.
    pub const TAGGING: &str = "Tagging";
    /// Key of EnforceDLL and DefaultPolicy.
    pub const TAGGING_SETTINGS: &str = "TaggingSettings";
    /// ValueName for `AppIDTags/@EnforceDLL="true"`.
    pub const ENFORCE_DLL: &str = "EnforceDLL";
    /// ValueName every AppID Tagging policy gets.
    pub const DEFAULT_POLICY: &str = "DefaultPolicy";
    /// Provider of the option-21 setting.
    pub const MS_PROVIDER: &str = "Microsoft";
    /// Key of the option-21 setting.
    pub const POLICY_SETTINGS: &str = "PolicySettings";
    /// ValueName of the option-21 setting.
    pub const CERT_REMAPPING: &str = "DisabledDefaultWindowsCertificateRemappingValueName";
}

fn is(s: &Setting, p: &str, k: &str, v: &str) -> bool {
    s.provider == p && s.key == k && s.value_name == v
}

/// Settings split back into what they were derived from.
#[derive(Debug, Default)]
pub struct SettingsBack {
    /// Settings that stay settings, in an order the sort maps onto the binary's.
    pub explicit: Vec<Setting>,
    /// `Disabled:Default Windows Certificate Remapping` was set.
    pub cert_remapping: Option<Setting>,
    /// The AppID Tagging DefaultPolicy setting was present.
    pub default_policy: Option<Setting>,
    /// `EnforceDLL="true"` was set.
    pub enforce_dll: Option<Setting>,
    /// AppIDTag key/value pairs, in sorted order.
    pub tags: Vec<Setting>,
}

/// Splits `sorted` settings (binary order). When two settings compare equal their order matters
/// and nothing is turned back (every setting stays explicit, in an order that re-sorts to the
/// binary's); otherwise derived settings are separated out. Tags and EnforceDLL are only
/// separated when `can_tag` (there is a scenario to hang them on).
pub fn settings_back(sorted: Vec<Setting>, algo: SortAlgorithm, can_tag: bool) -> SettingsBack {
    let keys: Vec<_> = sorted
        .iter()
        .map(|s| setting_key(&s.provider, &s.key, &s.value_name))
        .collect();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        let order = preimage_order(&keys, algo);
        let mut slots: Vec<Option<Setting>> = sorted.into_iter().map(Some).collect();
        let explicit = order.iter().filter_map(|&i| slots[i].take()).collect();
        return SettingsBack {
            explicit,
            ..SettingsBack::default()
        };
    }
    use derived::*;
    let mut back = SettingsBack::default();
    for s in sorted {
        match &s.value {
            SettingValue::Boolean(true) if is(&s, MS_PROVIDER, POLICY_SETTINGS, CERT_REMAPPING) => {
                back.cert_remapping = Some(s)
            }
            SettingValue::Boolean(true) if is(&s, APPID_PROVIDER, TAGGING_SETTINGS, DEFAULT_POLICY) => {
                back.default_policy = Some(s)
            }
            SettingValue::Boolean(true) if can_tag && is(&s, APPID_PROVIDER, TAGGING_SETTINGS, ENFORCE_DLL) => {
                back.enforce_dll = Some(s)
            }
            SettingValue::String(_) if can_tag && s.provider == APPID_PROVIDER && s.key == TAGGING => back.tags.push(s),
            _ => back.explicit.push(s),
        }
    }
    back
}

/// The policy type a binary decodes to. A binary has no type field: supplementals are told by
/// their IDs, and an AppID Tagging policy by its DefaultPolicy setting together with the options
/// compiling one forces (and CiSigners only). A DefaultPolicy setting that does not make the
/// policy an AppID Tagging one stays an explicit setting.
pub fn policy_kind(
    supplemental: bool,
    default_policy: Option<Setting>,
    has_option: impl Fn(&OptionKind) -> bool,
    has_ci_signers: bool,
    has_signers: bool,
    explicit: &mut Vec<Setting>,
) -> PolicyType {
    let tagging_ok = !supplemental && APPID_TAGGING_OPTIONS.iter().all(has_option) && (has_ci_signers || !has_signers);
    match (supplemental, default_policy) {
        (true, _) => PolicyType::Supplemental,
        (false, Some(_)) if tagging_ok => PolicyType::AppIdTagging,
        (false, Some(s)) => {
            explicit.push(s);
            PolicyType::Base
        }
        (false, None) => PolicyType::Base,
    }
}

/// The scenario that regenerated AppIDTags go to: the first user-mode one, else the first.
pub fn tag_scenario(values: &[u8]) -> Option<usize> {
    values
        .iter()
        .position(|&v| v == SCENARIO_USER)
        .or(if values.is_empty() { None } else { Some(0) })
}
