//! Unused and redundant items (§3.3).

use foldhash::{HashMap, HashMapExt, HashSet};

use super::{Ctx, group_path};
use crate::model::{Action, FileRule, Id, OptionKind, PolicyType, SCENARIO_USER, Signer};
use crate::valid::codes::Code;

pub fn check(cx: &mut Ctx<'_>) {
    let p = cx.p;

    // Everything that refers to something (sets only asked, never iterated).
    let mut signer_refs: HashSet<&str> = HashSet::default();
    let mut rule_refs: HashSet<&str> = HashSet::default();
    for s in &p.signing_scenarios {
        for g in s.groups() {
            signer_refs.extend(g.allowed.iter().map(|a| a.signer_id.as_str()));
            signer_refs.extend(g.denied.iter().map(|d| d.signer_id.as_str()));
            rule_refs.extend(g.file_rules_ref.iter().map(Id::as_str));
            for a in &g.allowed {
                rule_refs.extend(a.except_deny_rules.iter().map(Id::as_str));
            }
            for d in &g.denied {
                rule_refs.extend(d.except_allow_rules.iter().map(Id::as_str));
            }
        }
        signer_refs.extend(s.artifact_signers.allowed.iter().map(|a| a.signer_id.as_str()));
        signer_refs.extend(s.artifact_signers.denied.iter().map(|d| d.signer_id.as_str()));
    }
    for list in [&p.update_policy_signers, &p.supplemental_policy_signers, &p.ci_signers] {
        signer_refs.extend(list.iter().map(Id::as_str));
    }
    let attrib_refs: HashSet<&str> = p
        .signers
        .iter()
        .flat_map(|s| s.file_attrib_refs.iter().map(Id::as_str))
        .collect();
    let eku_refs: HashSet<&str> = p
        .signers
        .iter()
        .flat_map(|s| s.cert_ekus.iter().map(|e| e.id.as_str()))
        .collect();
    let macro_refs: HashSet<&str> = p
        .file_rules
        .iter()
        .filter_map(|r| r.app_ids.as_deref())
        .flat_map(super::refs::macro_refs)
        .collect();

    for (i, s) in p.signers.iter().enumerate() {
        if !signer_refs.contains(s.id.as_str()) {
            cx.emit(
                Code::UN001,
                &format!("signers[{i}]"),
                format!("Signer `{}` is used by no scenario and no signer list", s.id),
            );
        }
    }
    for (i, r) in p.file_rules.iter().enumerate() {
        match r.kind.action() {
            Action::Attribute => {
                if !attrib_refs.contains(r.id.as_str()) {
                    cx.emit(
                        Code::UN003,
                        &format!("file_rules[{i}]"),
                        format!("FileAttrib `{}` is used by no Signer", r.id),
                    );
                }
            }
            _ => {
                if !rule_refs.contains(r.id.as_str()) {
                    cx.emit_help(
                        Code::UN002,
                        &format!("file_rules[{i}]"),
                        format!("rule `{}` is referenced by no scenario, so it has no effect", r.id),
                        "add a <FileRuleRef> to a signing scenario, or remove the rule",
                    );
                }
            }
        }
    }
    for (i, e) in p.ekus.iter().enumerate() {
        if !eku_refs.contains(e.id.as_str()) {
            cx.emit(
                Code::UN004,
                &format!("ekus[{i}]"),
                format!("EKU `{}` is used by no Signer", e.id),
            );
        }
    }
    for (i, m) in p.macros.iter().enumerate() {
        if !macro_refs.contains(m.id.as_str()) {
            cx.emit(
                Code::UN004,
                &format!("macros[{i}]"),
                format!("Macro `{}` is used by no AppIDs", m.id),
            );
        }
    }

    // UN005
    for (i, s) in p.signing_scenarios.iter().enumerate() {
        for (g, group) in s.groups().into_iter().enumerate() {
            for (j, d) in group.denied.iter().enumerate() {
                if group.allowed.iter().any(|a| a.signer_id == d.signer_id) {
                    cx.emit(
                        Code::UN005,
                        &format!("{}.denied[{j}]", group_path(i, g)),
                        format!(
                            "Signer `{}` is both allowed and denied here; the deny wins",
                            d.signer_id
                        ),
                    );
                }
            }
        }
    }

    redundant(cx);

    // UN007
    if p.effective_type() == PolicyType::Base && !p.supplemental_policy_signers.is_empty() {
        if !p.has_option(OptionKind::AllowSupplementalPolicies) {
            cx.emit(
                Code::UN007,
                "supplemental_policy_signers",
                "SupplementalPolicySigners have no effect without `Enabled:Allow Supplemental Policies`",
            );
        } else if !p.is_signed() {
            cx.emit(
                Code::UN007,
                "supplemental_policy_signers",
                "SupplementalPolicySigners have no effect in an unsigned base policy: any administrator can add supplementals",
            );
        }
    }

    // UN008
    // Supplementals inherit their options from the base.
    if p.effective_type() == PolicyType::Base
        && !p.has_option(OptionKind::Umci)
        && let Some(i) = p.signing_scenarios.iter().position(|s| s.value == SCENARIO_USER)
    {
        cx.emit_help(
            Code::UN008,
            &format!("signing_scenarios[{i}]"),
            "the user-mode scenario has rules but `Enabled:UMCI` is not set, so user mode is not enforced",
            "add <Rule><Option>Enabled:UMCI</Option></Rule>, or drop the scenario if the policy is kernel-only",
        );
    }

    // UN009
    let key = |s: &crate::model::Setting| (s.provider.clone(), s.key.clone(), s.value_name.clone());
    if let Some(i) = p.settings.windows(2).position(|w| key(&w[0]) > key(&w[1])) {
        cx.emit_help(
            Code::UN009,
            &format!("settings[{}]", i + 1),
            "Settings are not sorted by Provider, Key, ValueName",
            "Windows expects them in ASCII order; `cipolicy fmt` does not reorder them, the compiler sorts",
        );
    }
}

/// UN006: identical rules or signers under different IDs.
fn redundant(cx: &mut Ctx<'_>) {
    let p = cx.p;
    // Keys borrow every field but the ID and the name, so that no rule is cloned. A new field
    // must be added here too: the exhaustive patterns make that a compile error, not a missed
    // duplicate.
    fn rule_key(r: &FileRule) -> impl std::hash::Hash + Eq + '_ {
        let FileRule {
            kind,
            id: _,
            friendly_name: _,
            file_name,
            internal_name,
            file_description,
            product_name,
            package_family_name,
            package_version,
            minimum_file_version,
            maximum_file_version,
            hash,
            app_ids,
            file_path,
            hotpatch,
        } = r;
        (
            (kind, file_name, internal_name, file_description, product_name),
            (
                package_family_name,
                package_version,
                minimum_file_version,
                maximum_file_version,
            ),
            (hash, app_ids, file_path, hotpatch),
        )
    }
    let firsts = first_of_equals(&p.file_rules, rule_key);
    for (i, j) in firsts.into_iter().enumerate().filter(|(i, j)| i != j) {
        cx.emit(
            Code::UN006,
            &format!("file_rules[{i}]"),
            format!("rule `{}` is identical to `{}`", p.file_rules[i].id, p.file_rules[j].id),
        );
    }
    fn signer_key(s: &Signer) -> impl std::hash::Hash + Eq + '_ {
        let Signer {
            id: _,
            name: _,
            sign_time_after,
            cert_root,
            cert_ekus,
            cert_issuer,
            cert_publisher,
            cert_oem_id,
            file_attrib_refs,
            artifact_rule_refs,
        } = s;
        (
            sign_time_after,
            cert_root,
            cert_ekus,
            cert_issuer,
            cert_publisher,
            cert_oem_id,
            file_attrib_refs,
            artifact_rule_refs,
        )
    }
    let firsts = first_of_equals(&p.signers, signer_key);
    for (i, j) in firsts.into_iter().enumerate().filter(|(i, j)| i != j) {
        cx.emit(
            Code::UN006,
            &format!("signers[{i}]"),
            format!("Signer `{}` is identical to `{}`", p.signers[i].id, p.signers[j].id),
        );
    }
}

/// For each item, the index of the first item with an equal key (its own index when it is the
/// first). The map is only asked, never iterated, so its order cannot reach the output.
fn first_of_equals<'a, T, K: std::hash::Hash + Eq>(items: &'a [T], key: impl Fn(&'a T) -> K) -> Vec<usize> {
    let mut seen = HashMap::with_capacity(items.len());
    items
        .iter()
        .enumerate()
        .map(|(i, t)| *seen.entry(key(t)).or_insert(i))
        .collect()
}
