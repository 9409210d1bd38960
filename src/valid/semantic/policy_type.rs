//! Policy type and signing shape (§3.5).

use super::Ctx;
use crate::model::{Action, Guid, OptionKind, PolicyType, SCENARIO_USER};
use crate::valid::codes::Code;

/// The S mode policy, which HotCakeX exempts from PT002.
const S_MODE_POLICY_ID: &str = "{5951a96a-e0b5-4d3d-8fb8-3e5b61030784}";

fn option_path(cx: &Ctx<'_>, kind: OptionKind) -> String {
    let i = cx.p.rules.iter().position(|r| r.known() == Some(kind)).unwrap_or(0);
    format!("rules[{i}]")
}

pub fn check(cx: &mut Ctx<'_>) {
    let p = cx.p;
    let ty = p.effective_type();
    let signed = p.is_signed();

    if signed && p.update_policy_signers.is_empty() {
        cx.emit_help(
            Code::PT001,
            "policy",
            "the policy must be signed (no `Enabled:Unsigned System Integrity Policy`) but has no UpdatePolicySigners",
            "add the signer that will sign updates to <UpdatePolicySigners>, or add option 6 to deploy it unsigned",
        );
    }
    let s_mode = S_MODE_POLICY_ID.parse::<Guid>().ok();
    if ty == PolicyType::Base
        && signed
        && p.has_option(OptionKind::AllowSupplementalPolicies)
        && p.supplemental_policy_signers.is_empty()
        && p.policy_id != s_mode
    {
        cx.emit_help(
            Code::PT002,
            &option_path(cx, OptionKind::AllowSupplementalPolicies),
            "a signed base that allows supplemental policies needs SupplementalPolicySigners",
            "add the signer of the supplementals to <SupplementalPolicySigners>",
        );
    }
    if p.policy_type_id.is_some() && p.has_option(OptionKind::AllowSupplementalPolicies) {
        cx.emit(
            Code::PT007,
            &option_path(cx, OptionKind::AllowSupplementalPolicies),
            "a legacy single-format policy (PolicyTypeID) cannot have supplemental policies",
        );
    }
    match ty {
        PolicyType::Supplemental => supplemental(cx),
        PolicyType::AppIdTagging => {
            for (i, s) in p.signing_scenarios.iter().enumerate() {
                if s.value != SCENARIO_USER {
                    cx.emit(
                        Code::PT008,
                        &format!("signing_scenarios[{i}]"),
                        format!(
                            "an AppID tagging policy has only the user-mode scenario (12), not {}",
                            s.value
                        ),
                    );
                }
            }
            let tagged = p
                .signing_scenarios
                .iter()
                .any(|s| s.app_id_tags.as_ref().is_some_and(|t| !t.tags.is_empty()));
            if !tagged {
                cx.emit(Code::PT008, "policy", "an AppID tagging policy has no AppIDTag");
            }
        }
        PolicyType::Base => {}
    }
    if let Some(base) = &cx.opts.base
        && ty == PolicyType::Supplemental
    {
        match (base.is_signed(), signed) {
            (true, false) => cx.emit_help(
                Code::PT009,
                "policy",
                "the --base policy is signed but this supplemental is not: Windows ignores unsigned supplementals of a signed base",
                "remove option 6 and sign it with a certificate from the base's SupplementalPolicySigners",
            ),
            (false, true) => cx.emit(
                Code::PT009,
                "policy",
                "this supplemental is signed but its --base policy is not (HotCakeX requires matching signed-ness)",
            ),
            _ => {}
        }
    }
}

fn supplemental(cx: &mut Ctx<'_>) {
    let p = cx.p;
    if p.has_option(OptionKind::AllowSupplementalPolicies) {
        cx.emit_help(
            Code::PT003,
            &option_path(cx, OptionKind::AllowSupplementalPolicies),
            "a supplemental policy cannot allow supplemental policies",
            "remove `Enabled:Allow Supplemental Policies`; ConvertFrom-CIPolicy refuses it",
        );
    }
    if !p.supplemental_policy_signers.is_empty() {
        cx.emit_help(
            Code::PT004,
            "supplemental_policy_signers",
            "a supplemental policy must not have SupplementalPolicySigners",
            "remove them; they belong to the base policy (this has caused boot failures)",
        );
    }
    for (i, r) in p.rules.iter().enumerate() {
        if let Some(k) = r.known()
            && k != OptionKind::AllowSupplementalPolicies
            && !k.valid_in_supplemental()
        {
            cx.emit_help(
                Code::PT005,
                &format!("rules[{i}]"),
                format!("option `{k}` has no effect in a supplemental policy; it comes from the base"),
                "a supplemental may set only options 5, 6, 13, 14 and 18",
            );
        }
    }
    let denies: Vec<usize> = p
        .file_rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind.action() == Action::Deny)
        .map(|(i, _)| i)
        .collect();
    if let Some(&first) = denies.first() {
        cx.emit(
            Code::PT006,
            &format!("file_rules[{first}]"),
            format!(
                "{} Deny rule(s) in a supplemental policy: supplementals only widen trust, so these are ignored",
                denies.len()
            ),
        );
    }
    for (i, s) in p.signing_scenarios.iter().enumerate() {
        if s.groups().iter().any(|g| !g.denied.is_empty()) || !s.artifact_signers.denied.is_empty() {
            cx.emit(
                Code::PT006,
                &format!("signing_scenarios[{i}]"),
                "DeniedSigners in a supplemental policy are ignored: supplementals only widen trust",
            );
        }
    }
}
