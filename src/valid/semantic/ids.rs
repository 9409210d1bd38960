//! Identity (§3.1) and rule options (§2).

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use super::Ctx;
use crate::model::{Guid, OptionKind, PolicyType, RuleOption, SCENARIO_KERNEL, SCENARIO_USER, STANDARD_PLATFORM_ID};
use crate::valid::codes::Code;

/// PolicyIDs of policies that ship with Windows (validation.md §1.5, [S6]).
pub const INBOX_POLICY_IDS: &[(&str, &str)] = &[
    (
        "{d2bda982-ccf6-4344-ac5b-0b44427b6816}",
        "the vulnerable driver block list",
    ),
    ("{5951a96a-e0b5-4d3d-8fb8-3e5b61030784}", "the S mode policy"),
    ("{82443e1e-8a39-4b4a-96a8-f40ddc00b9f3}", "the Windows SE policy"),
    ("{5dac656c-21ad-4a02-ab49-649917162e70}", "an inbox policy"),
    ("{CDD5CB55-DB68-4D71-AA38-3DF2B6473A52}", "an inbox policy"),
    ("{0283ac0f-fff1-49ae-ada1-8a933130cad6}", "the Smart App Control policy"),
    ("{1678656c-05ef-481f-bc5b-ebd8c991502d}", "an inbox policy"),
    ("{0939ED82-BFD5-4D32-B58E-D31D3C49715A}", "an inbox policy"),
    ("{1283ac0f-fff1-49ae-ada1-8a933130cad6}", "an inbox policy"),
    ("{2678656c-05ef-481f-bc5b-ebd8c991502d}", "an inbox policy"),
    ("{1939ED82-BFD5-4D32-B58E-D31D3C49715A}", "an inbox policy"),
];

/// Reports every ID that appears more than once, pointing at the later uses. `ids` are the IDs of
/// the items of the model list `list` in order; `attr` is the ID attribute's name (paths are
/// formatted only for a finding: large policies have thousands of IDs).
fn duplicates<'a>(cx: &mut Ctx<'_>, what: &str, list: &str, attr: &str, ids: impl ExactSizeIterator<Item = &'a str>) {
    // Never iterated, so the map's order cannot reach the output.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (i, id) in ids.enumerate() {
        let prev = *first.entry(id).or_insert(i);
        if prev != i {
            duplicate(cx, what, list, attr, id, prev, i);
        }
    }
}

/// Reports item `i` of `list`, whose ID `id` item `prev` already has.
fn duplicate(cx: &mut Ctx<'_>, what: &str, list: &str, attr: &str, id: &str, prev: usize, i: usize) {
    let prev_at = cx.loc(&format!("{list}[{prev}]@{attr}")).to_string();
    let path = format!("{list}[{i}]@{attr}");
    let msg = format!("{what} ID `{id}` is already used (at {prev_at})");
    if what == "file rule" {
        cx.emit_help(
            Code::ID003,
            &path,
            msg,
            "Allow, Deny, FileAttrib and FileRule IDs share one namespace",
        );
    } else {
        cx.emit(Code::ID003, &path, msg);
    }
}

pub fn check(cx: &mut Ctx<'_>) {
    let p = cx.p;
    duplicates(cx, "Signer", "signers", "ID", p.signers.iter().map(|s| s.id.as_str()));
    duplicates(cx, "EKU", "ekus", "ID", p.ekus.iter().map(|e| e.id.as_str()));
    duplicates(
        cx,
        "SigningScenario",
        "signing_scenarios",
        "ID",
        p.signing_scenarios.iter().map(|s| s.id.as_str()),
    );
    duplicates(
        cx,
        "ArtifactRule",
        "artifact_rules",
        "ID",
        p.artifact_rules.iter().map(|r| r.id.as_str()),
    );
    // File rule IDs are already indexed.
    for (i, r) in p.file_rules.iter().enumerate() {
        let prev = cx.rule_ids.firsts()[i];
        if prev != i {
            duplicate(cx, "file rule", "file_rules", "ID", r.id.as_str(), prev, i);
        }
    }
    if !cx.schema_ran {
        duplicates(cx, "Macro", "macros", "Id", p.macros.iter().map(|m| m.id.as_str()));
    }

    // Scenario values.
    let mut seen_values: BTreeMap<u8, usize> = BTreeMap::new();
    for (i, s) in p.signing_scenarios.iter().enumerate() {
        let path = format!("signing_scenarios[{i}]@Value");
        if s.value == 0 {
            cx.emit(Code::ID004, &path, "SigningScenario Value 0 is not a scenario");
        } else if let Some(prev) = seen_values.get(&s.value) {
            let prev_id = p.signing_scenarios[*prev].id.clone();
            cx.emit(
                Code::ID004,
                &path,
                format!("SigningScenario Value {} is already used by `{prev_id}`", s.value),
            );
        } else {
            seen_values.insert(s.value, i);
        }
        if s.value != 0 && s.value != SCENARIO_USER && s.value != SCENARIO_KERNEL {
            cx.emit_help(
                Code::ID012,
                &path,
                format!("SigningScenario Value {} has no documented meaning", s.value),
                "12 is user mode, 131 is kernel mode",
            );
        }
    }

    // Header IDs.
    if p.policy_type_id.is_some() && (p.policy_id.is_some() || p.base_policy_id.is_some()) {
        cx.emit_help(
            Code::ID005,
            "policy_type_id",
            "a legacy PolicyTypeID cannot be combined with PolicyID or BasePolicyID",
            "for the multiple-policy format remove PolicyTypeID; for a legacy single policy remove PolicyID and BasePolicyID",
        );
    }
    if p.policy_type_id.is_none() && (p.policy_id.is_none() || p.base_policy_id.is_none()) {
        let missing = match (p.policy_id.is_none(), p.base_policy_id.is_none()) {
            (true, true) => "PolicyID and BasePolicyID",
            (true, false) => "PolicyID",
            _ => "BasePolicyID",
        };
        cx.emit_help(
            Code::ID006,
            "policy",
            format!("the policy has no {missing}"),
            "a multiple-policy-format policy needs both; a base policy uses its own PolicyID as BasePolicyID",
        );
    }
    if let (Some(id), Some(base)) = (p.policy_id, p.base_policy_id) {
        match p.effective_type() {
            PolicyType::Supplemental if id == base => cx.emit_help(
                Code::ID007,
                "base_policy_id",
                "a supplemental policy's BasePolicyID must be the PolicyID of its base, not its own",
                "give the supplemental its own PolicyID",
            ),
            t @ (PolicyType::Base | PolicyType::AppIdTagging) if id != base => cx.emit_help(
                Code::ID007,
                "base_policy_id",
                format!(
                    "a {} has BasePolicyID {base}, not its own PolicyID {id}",
                    t.as_str().to_lowercase()
                ),
                "set BasePolicyID to the PolicyID, or mark the policy PolicyType=\"Supplemental Policy\"",
            ),
            _ => {}
        }
    }
    if p.policy_type.is_none() && p.policy_type_id.is_none() {
        cx.emit_help(
            Code::ID008,
            "policy",
            format!(
                "PolicyType is absent; the policy is read as a {}",
                p.effective_type().as_str()
            ),
            "write PolicyType=\"Base Policy\" (or \"Supplemental Policy\") explicitly",
        );
    }
    if let Some(id) = p.policy_id {
        for (inbox, name) in INBOX_POLICY_IDS {
            if inbox.parse::<Guid>().ok() == Some(id) {
                cx.emit_help(
                    Code::ID009,
                    "policy_id",
                    format!("PolicyID {id} is {name}, which ships with Windows"),
                    "deploying it would replace or collide with the inbox policy; use a new GUID",
                );
            }
        }
    }
    if let Some(platform) = p.platform_id
        && STANDARD_PLATFORM_ID.parse::<Guid>().ok() != Some(platform)
    {
        cx.emit(
            Code::ID013,
            "platform_id",
            format!("PlatformID {platform} is not the standard {STANDARD_PLATFORM_ID}"),
        );
    }

    options(cx);
}

fn options(cx: &mut Ctx<'_>) {
    let p = cx.p;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, r) in p.rules.iter().enumerate() {
        let path = format!("rules[{i}]");
        if let Some(prev) = seen.get(r.text()) {
            let prev_at = cx.loc(&format!("rules[{prev}]")).to_string();
            cx.emit(
                Code::OP001,
                &path,
                format!("option `{}` is already set (at {prev_at})", r.text()),
            );
        } else {
            seen.insert(r.text(), i);
        }
        match r {
            RuleOption::Unknown(text) if !cx.schema_ran => {
                let hint = crate::suggest::did_you_mean(text, OptionKind::ALL.iter().map(|o| o.xml_name()));
                cx.emit(Code::OP002, &path, format!("option `{text}` is not defined by any schema{hint}"));
            }
            RuleOption::Unknown(_) => {}
            RuleOption::Known(k) => match k {
                OptionKind::BootMenuProtection
                | OptionKind::SecureSettingPolicy
                | OptionKind::ConditionalWindowsLockdownPolicy
                | OptionKind::WindowsLockdownTrialMode
                | OptionKind::DisabledDefaultWindowsCertificateRemapping => cx.emit(
                    Code::OP003,
                    &path,
                    format!("option `{k}` is unsupported or undocumented; its effect is unknown"),
                ),
                OptionKind::RequiredEvSigners => cx.emit_help(
                    Code::OP004,
                    &path,
                    "option `Required:EV Signers` is documented as unsupported but is reported to block non-EV drivers, even in audit mode",
                    "remove it unless every kernel driver is EV-signed",
                ),
                _ => {}
            },
        }
    }
    if p.has_option(OptionKind::InvalidateEasOnReboot)
        && !p.has_option(OptionKind::IntelligentSecurityGraphAuthorization)
    {
        let i = p
            .rules
            .iter()
            .position(|r| r.known() == Some(OptionKind::InvalidateEasOnReboot))
            .unwrap_or(0);
        cx.emit(
            Code::OP005,
            &format!("rules[{i}]"),
            "`Enabled:Invalidate EAs on Reboot` has no effect without `Enabled:Intelligent Security Graph Authorization`",
        );
    }
}
