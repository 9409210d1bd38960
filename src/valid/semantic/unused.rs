//! Unused and redundant items (§3.3).

use std::hash::{Hash, Hasher};

use foldhash::{HashMap, HashMapExt, HashSet};

use super::{Ctx, group_path};
use crate::model::{Action, FileRule, Id, OptionKind, PolicyType, SCENARIO_USER, Signer, Version};
use crate::valid::codes::Code;

pub fn check(cx: &mut Ctx<'_>) {
    let p = cx.p;

    // Everything that refers to something (sets only asked, never iterated). File rules are
    // marked by the index of the first rule with the referenced ID, which stands for every rule
    // with that ID.
    let mut signer_refs: HashSet<&str> = HashSet::default();
    let mut rule_refs = vec![false; p.file_rules.len()];
    let mark = |refs: &mut [bool], id: &Id| {
        if let Some(k) = cx.rule_ids.position(id.as_str()) {
            refs[k] = true;
        }
    };
    for s in &p.signing_scenarios {
        for g in s.groups() {
            signer_refs.extend(g.allowed.iter().map(|a| a.signer_id.as_str()));
            signer_refs.extend(g.denied.iter().map(|d| d.signer_id.as_str()));
            g.file_rules_ref.iter().for_each(|id| mark(&mut rule_refs, id));
            for a in &g.allowed {
                a.except_deny_rules.iter().for_each(|id| mark(&mut rule_refs, id));
            }
            for d in &g.denied {
                d.except_allow_rules.iter().for_each(|id| mark(&mut rule_refs, id));
            }
        }
        signer_refs.extend(s.artifact_signers.allowed.iter().map(|a| a.signer_id.as_str()));
        signer_refs.extend(s.artifact_signers.denied.iter().map(|d| d.signer_id.as_str()));
    }
    for list in [&p.update_policy_signers, &p.supplemental_policy_signers, &p.ci_signers] {
        signer_refs.extend(list.iter().map(Id::as_str));
    }
    let mut attrib_refs = vec![false; p.file_rules.len()];
    for s in &p.signers {
        s.file_attrib_refs.iter().for_each(|id| mark(&mut attrib_refs, id));
    }
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
        let first = cx.rule_ids.firsts()[i];
        match r.kind.action() {
            Action::Attribute => {
                if !attrib_refs[first] {
                    cx.emit(
                        Code::UN003,
                        &format!("file_rules[{i}]"),
                        format!("FileAttrib `{}` is used by no Signer", r.id),
                    );
                }
            }
            _ => {
                if !rule_refs[first] {
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
    let firsts = first_of_equals(&p.file_rules, RuleContent);
    for (i, j) in firsts.into_iter().enumerate().filter(|(i, j)| i != j) {
        cx.emit(
            Code::UN006,
            &format!("file_rules[{i}]"),
            format!("rule `{}` is identical to `{}`", p.file_rules[i].id, p.file_rules[j].id),
        );
    }
    fn signer_key(s: &Signer) -> impl Hash + Eq + '_ {
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

/// A file rule's content: every field but the ID and the name, borrowed so that no rule is
/// cloned. A new field must be added here too: the exhaustive pattern makes that a compile
/// error, not a missed duplicate.
fn rule_key(r: &FileRule) -> impl Eq + '_ {
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

/// A file rule compared by everything but its ID and name (`rule_key`, whose exhaustive pattern
/// keeps the comparison complete). Hashing the derived key tuple fed every field, present or
/// not, to the hasher separately; this hashes only the fields that are present, which for the
/// usual hash or attribute rule are two or three, with straight-line code.
struct RuleContent<'a>(&'a FileRule);

impl PartialEq for RuleContent<'_> {
    fn eq(&self, other: &Self) -> bool {
        rule_key(self.0) == rule_key(other.0)
    }
}

impl Eq for RuleContent<'_> {}

impl Hash for RuleContent<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        /// Feeds a present field to the hasher and notes in `present` that it was there, so
        /// that equal values in different fields hash apart.
        fn field<H: Hasher>(h: &mut H, present: &mut u32, bit: u32, bytes: Option<&[u8]>) {
            if let Some(b) = bytes {
                *present |= 1 << bit;
                // The length keeps adjacent fields from running into each other.
                h.write_usize(b.len());
                h.write(b);
            }
        }
        fn version<H: Hasher>(h: &mut H, present: &mut u32, bit: u32, v: Option<Version>) {
            if let Some(Version([a, b, c, d])) = v {
                *present |= 1 << bit;
                h.write_u64(u64::from(a) << 48 | u64::from(b) << 32 | u64::from(c) << 16 | u64::from(d));
            }
        }
        let r = self.0;
        let mut present = 0;
        r.kind.hash(h);
        field(h, &mut present, 0, r.hash.as_ref().map(|x| x.0.as_slice()));
        field(h, &mut present, 1, r.file_name.as_deref().map(str::as_bytes));
        field(h, &mut present, 2, r.internal_name.as_deref().map(str::as_bytes));
        field(h, &mut present, 3, r.file_description.as_deref().map(str::as_bytes));
        field(h, &mut present, 4, r.product_name.as_deref().map(str::as_bytes));
        field(h, &mut present, 5, r.package_family_name.as_deref().map(str::as_bytes));
        field(h, &mut present, 6, r.app_ids.as_deref().map(str::as_bytes));
        field(h, &mut present, 7, r.file_path.as_deref().map(str::as_bytes));
        version(h, &mut present, 8, r.package_version);
        version(h, &mut present, 9, r.minimum_file_version);
        version(h, &mut present, 10, r.maximum_file_version);
        if !r.hotpatch.is_empty() {
            present |= 1 << 11;
            r.hotpatch.hash(h);
        }
        h.write_u32(present);
    }
}

/// For each item, the index of the first item with an equal key (its own index when it is the
/// first). The map is only asked, never iterated, so its order cannot reach the output.
fn first_of_equals<'a, T, K: Hash + Eq>(items: &'a [T], key: impl Fn(&'a T) -> K) -> Vec<usize> {
    let mut seen = HashMap::with_capacity(items.len());
    items
        .iter()
        .enumerate()
        .map(|(i, t)| *seen.entry(key(t)).or_insert(i))
        .collect()
}
