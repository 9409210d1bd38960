//! Reference resolution (§3.2): every reference must name an existing item of the right kind.

use foldhash::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{Ctx, group_path};
use crate::model::{Action, FileRule, Id, OptionKind, PolicyType};
use crate::valid::codes::Code;

static MACRO_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\(([a-zA-Z_][a-zA-Z_0-9.]*)\)").expect("static regex"));
static MACRO_FORM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\$\([a-zA-Z_][a-zA-Z_0-9.]*\))+$").expect("static regex"));

fn kind_name(r: &FileRule) -> &'static str {
    match r.kind.action() {
        Action::Allow => "an allow rule",
        Action::Deny => "a deny rule",
        Action::Attribute => "a FileAttrib",
    }
}

/// IDs of all macro tokens in a macro-form AppIDs value.
pub fn macro_refs(app_ids: &str) -> Vec<&str> {
    if !app_ids.starts_with('$') {
        return Vec::new();
    }
    MACRO_TOKEN
        .captures_iter(app_ids)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .collect()
}

/// How many unresolved references get a "did you mean": each hint compares the ID with every ID
/// of its kind, and hints for all of thousands of broken references would be quadratic.
const MAX_HINTS: usize = 64;

/// A "did you mean" while `left` lasts.
fn hint<'a>(left: &mut usize, id: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    if *left == 0 {
        return String::new();
    }
    *left -= 1;
    crate::suggest::did_you_mean(id, candidates)
}

pub fn check(cx: &mut Ctx<'_>) {
    let p = cx.p;
    // Sets for lookups only, never iterated, so their order cannot reach the output; a scan per
    // reference would be quadratic. File rules are looked up in `cx.rule_ids` (the first rule
    // with an ID wins).
    let signer_ids: HashSet<&str> = p.signers.iter().map(|s| s.id.as_str()).collect();
    let eku_ids: HashSet<&str> = p.ekus.iter().map(|e| e.id.as_str()).collect();
    let artifact_ids: HashSet<&str> = p.artifact_rules.iter().map(|a| a.id.as_str()).collect();
    let scenario_ids: HashSet<&str> = p.signing_scenarios.iter().map(|s| s.id.as_str()).collect();
    let macro_ids: HashSet<&str> = p.macros.iter().map(|m| m.id.as_str()).collect();
    let signer_exists = |id: &Id| signer_ids.contains(id.as_str());
    let mut hints = MAX_HINTS;

    // RF001: signer references. Paths are formatted only for a finding.
    let mut missing_signer = |cx: &mut Ctx<'_>, path: &dyn Fn() -> String, id: &Id| {
        if !signer_exists(id) {
            let hint = hint(&mut hints, id.as_str(), p.signers.iter().map(|s| s.id.as_str()));
            cx.emit(Code::RF001, &path(), format!("no Signer has the ID `{id}`{hint}"));
        }
    };
    for (i, s) in p.signing_scenarios.iter().enumerate() {
        for (g, group) in s.groups().into_iter().enumerate() {
            for (j, a) in group.allowed.iter().enumerate() {
                missing_signer(
                    cx,
                    &|| format!("{}.allowed[{j}]@SignerId", group_path(i, g)),
                    &a.signer_id,
                );
            }
            for (j, d) in group.denied.iter().enumerate() {
                missing_signer(
                    cx,
                    &|| format!("{}.denied[{j}]@SignerId", group_path(i, g)),
                    &d.signer_id,
                );
            }
        }
        let a = &s.artifact_signers;
        for (j, x) in a.allowed.iter().enumerate() {
            missing_signer(
                cx,
                &|| format!("signing_scenarios[{i}].artifact_signers.allowed[{j}]@SignerId"),
                &x.signer_id,
            );
        }
        for (j, x) in a.denied.iter().enumerate() {
            missing_signer(
                cx,
                &|| format!("signing_scenarios[{i}].artifact_signers.denied[{j}]@SignerId"),
                &x.signer_id,
            );
        }
    }
    for (list, name) in [
        (&p.update_policy_signers, "update_policy_signers"),
        (&p.supplemental_policy_signers, "supplemental_policy_signers"),
        (&p.ci_signers, "ci_signers"),
    ] {
        for (i, id) in list.iter().enumerate() {
            missing_signer(cx, &|| format!("{name}[{i}]@SignerId"), id);
        }
    }

    for (i, s) in p.signers.iter().enumerate() {
        // RF002
        for (j, e) in s.cert_ekus.iter().enumerate() {
            if !eku_ids.contains(e.id.as_str()) {
                let hint = hint(&mut hints, e.id.as_str(), p.ekus.iter().map(|k| k.id.as_str()));
                cx.emit(
                    Code::RF002,
                    &format!("signers[{i}].cert_ekus[{j}]@ID"),
                    format!("no EKU has the ID `{}`{hint}", e.id),
                );
            }
        }
        // RF003
        for (j, id) in s.file_attrib_refs.iter().enumerate() {
            // Formatted only for a finding: there can be thousands of references.
            let path = || format!("signers[{i}].file_attrib_refs[{j}]@RuleID");
            match cx.rule_ids.get(id.as_str()) {
                None => cx.emit(Code::RF003, &path(), format!("no FileAttrib has the ID `{id}`")),
                Some(r) if r.kind.action() != Action::Attribute => cx.emit_help(
                    Code::RF003,
                    &path(),
                    format!("`{id}` is {}, not a FileAttrib", kind_name(r)),
                    "a signer's FileAttribRef must name a <FileAttrib> (or <FileRule Type=\"Attribute\">)",
                ),
                Some(_) => {}
            }
        }
        // RF009
        for (j, id) in s.artifact_rule_refs.iter().enumerate() {
            if !artifact_ids.contains(id.as_str()) {
                cx.emit(
                    Code::RF009,
                    &format!("signers[{i}].artifact_rule_refs[{j}]@RuleID"),
                    format!("no ArtifactRule has the ID `{id}`"),
                );
            }
        }
    }

    for (i, s) in p.signing_scenarios.iter().enumerate() {
        for (g, group) in s.groups().into_iter().enumerate() {
            // RF004
            for (j, id) in group.file_rules_ref.iter().enumerate() {
                let path = || format!("{}.file_rules_ref[{j}]@RuleID", group_path(i, g));
                match cx.rule_ids.get(id.as_str()) {
                    None => {
                        let hint = hint(&mut hints, id.as_str(), p.file_rules.iter().map(|r| r.id.as_str()));
                        cx.emit(Code::RF004, &path(), format!("no file rule has the ID `{id}`{hint}"));
                    }
                    Some(r) if r.kind.action() == Action::Attribute => cx.emit_help(
                        Code::RF004,
                        &path(),
                        format!("`{id}` is a FileAttrib; FileRuleRef can name only Allow, Deny and FileRule"),
                        "reference FileAttribs from a Signer's <FileAttribRef>",
                    ),
                    Some(_) => {}
                }
            }
            // RF005
            for (j, a) in group.allowed.iter().enumerate() {
                for (k, id) in a.except_deny_rules.iter().enumerate() {
                    let path = || format!("{}.allowed[{j}].except_deny_rules[{k}]@DenyRuleID", group_path(i, g));
                    except(cx, &path, id, Action::Deny);
                }
            }
            // RF006
            for (j, d) in group.denied.iter().enumerate() {
                for (k, id) in d.except_allow_rules.iter().enumerate() {
                    let path = || format!("{}.denied[{j}].except_allow_rules[{k}]@AllowRuleID", group_path(i, g));
                    except(cx, &path, id, Action::Allow);
                }
            }
        }
        let ap = format!("signing_scenarios[{i}].artifact_signers");
        for (j, id) in s.artifact_signers.artifact_rules_ref.iter().enumerate() {
            if !artifact_ids.contains(id.as_str()) {
                cx.emit(
                    Code::RF009,
                    &format!("{ap}.artifact_rules_ref[{j}]@RuleID"),
                    format!("no ArtifactRule has the ID `{id}`"),
                );
            }
        }
        // RF007
        for id in &s.inherited_scenarios {
            if !scenario_ids.contains(id.as_str()) {
                cx.emit(
                    Code::RF007,
                    &format!("signing_scenarios[{i}]@InheritedScenarios"),
                    format!("no SigningScenario has the ID `{id}`"),
                );
            }
        }
    }

    for (i, r) in p.file_rules.iter().enumerate() {
        // RF008
        if let Some(target) = &r.hotpatch.require_hotpatch_id {
            let path = format!("file_rules[{i}]@RequireHotpatchID");
            match cx.rule_ids.get(target.as_str()) {
                _ if *target == r.id => cx.emit(Code::RF008, &path, "a rule cannot require a hot-patch of itself"),
                None => cx.emit(Code::RF008, &path, format!("no Allow rule has the ID `{target}`")),
                Some(t) if t.kind.action() != Action::Allow => cx.emit(
                    Code::RF008,
                    &path,
                    format!("`{target}` is {}, not an allow rule", kind_name(t)),
                ),
                Some(t) if t.hotpatch.require_hotpatch_id.is_some() => cx.emit(
                    Code::RF008,
                    &path,
                    format!("`{target}` itself requires a hot-patch; chains are not allowed"),
                ),
                Some(_) => {}
            }
        }
        // RF010
        if let Some(app_ids) = &r.app_ids
            && app_ids.starts_with('$')
        {
            let path = format!("file_rules[{i}]@AppIDs");
            if !MACRO_FORM.is_match(app_ids) {
                cx.emit_help(
                    Code::RF010,
                    &path,
                    format!("AppIDs `{app_ids}` starts with `$` but is not a run of `$(MacroId)` references"),
                    "a value starting with `$` must consist only of $(Id) tokens; other values are one literal AppID",
                );
            }
            for id in macro_refs(app_ids) {
                if !macro_ids.contains(id) {
                    cx.emit(Code::RF010, &path, format!("no Macro has the Id `{id}`"));
                }
            }
        }
    }

    // RF011: the supplemental's base, when given.
    if let Some(base) = &cx.opts.base
        && p.effective_type() == PolicyType::Supplemental
    {
        if base.policy_id.is_some() && base.policy_id != p.base_policy_id {
            cx.emit(
                Code::RF011,
                "base_policy_id",
                format!(
                    "BasePolicyID {} is not the --base policy's PolicyID {}",
                    p.base_policy_id.map(|g| g.to_string()).unwrap_or_default(),
                    base.policy_id.map(|g| g.to_string()).unwrap_or_default()
                ),
            );
        }
        if base.effective_type() != PolicyType::Base {
            cx.emit(
                Code::RF011,
                "base_policy_id",
                format!(
                    "the --base policy is a {}, not a base policy",
                    base.effective_type().as_str()
                ),
            );
        } else if !base.has_option(OptionKind::AllowSupplementalPolicies) {
            cx.emit_help(
                Code::RF011,
                "base_policy_id",
                "the --base policy does not set `Enabled:Allow Supplemental Policies`: Windows will not apply this supplemental",
                "add option 17 to the base policy",
            );
        }
    }
}

fn except(cx: &mut Ctx<'_>, path: &dyn Fn() -> String, id: &Id, want: Action) {
    let (code, noun) = match want {
        Action::Deny => (Code::RF005, "Deny"),
        _ => (Code::RF006, "Allow"),
    };
    match cx.rule_ids.get(id.as_str()) {
        None => cx.emit(code, &path(), format!("no {noun} rule has the ID `{id}`")),
        Some(r) if r.kind.action() != want => {
            cx.emit(code, &path(), format!("`{id}` is {}, not a {noun} rule", kind_name(r)))
        }
        Some(_) => {}
    }
}
