//! `diff`: what changed between two policies, by meaning rather than by text.
//!
//! Both policies are reduced to what Windows evaluates ([`keys`](super::keys) in semantic mode):
//! IDs, element order, `FriendlyName`s and signer `Name`s are ignored, references are compared by
//! the content they point at, and values a compiled policy stores the same way are equal (a
//! missing `HvciOptions` and `0`, a bare Deny and one with minimum 65535.65535.65535.65535, an
//! `<Allow>` and a `<FileRule Type="Match">`, `AppIDs` with and without macros, a legacy
//! `PolicyTypeID` and a base whose PolicyID and BasePolicyID are that GUID, option text no schema
//! knows (the compiler drops it) and its absence, the options and CiSigners the compiler forces
//! on AppID tagging policies, …). So `diff(xml, decompile(compile(xml)))` is empty.
//!
//! Items are compared per *section*: each scenario's allow rules, deny rules, allowed and denied
//! signers (product, test and test-signing groups separately), the UpdatePolicySigners,
//! SupplementalPolicySigners and CiSigners lists, settings, and items nothing refers to. An item
//! removed and one added in the same section with the same identity (a rule with the same
//! attributes except its version bounds, a signer with the same certificate, issuer, publisher
//! and OEM ID) are reported as one change with the fields that differ.
//!
//! Each change carries its [`Effect`] on what the policy allows, and the [`Verdict`] sums them
//! up. The verdict is rule-level: "more" means every change widens trust or is neutral, not that
//! some file is now allowed that was not before (an added rule may be covered by an existing one).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::keys::{
    ArtifactKey, EkuKey, Keys, Mode, Ref, RuleKey, SignerKey, describe_eku, describe_rule, describe_signer,
};
use crate::model::{
    Action, DEFAULT_MINIMUM_HASH_ALGORITHM, Guid, OptionKind, Policy, RuleOption, SettingValue, SignerGroup, Version,
};

/// How a change moves what the policy allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// Nothing more or less is allowed (IDs, versions, metadata, update signers).
    Neutral,
    /// More may be allowed.
    Widens,
    /// Less may be allowed.
    Narrows,
    /// Both, or the effect is not documented.
    Mixed,
}

impl Effect {
    /// The effect of two changes together.
    pub fn and(self, other: Effect) -> Effect {
        match (self, other) {
            (Effect::Neutral, e) | (e, Effect::Neutral) => e,
            (a, b) if a == b => a,
            _ => Effect::Mixed,
        }
    }

    fn flip(self) -> Effect {
        match self {
            Effect::Widens => Effect::Narrows,
            Effect::Narrows => Effect::Widens,
            e => e,
        }
    }
}

/// The one-line summary of a diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No differences at all.
    Identical,
    /// Differences, none of which changes what is allowed.
    Same,
    /// NEW allows more: every change widens trust or is neutral.
    More,
    /// NEW allows less: every change narrows trust or is neutral.
    Less,
    /// Some changes widen and some narrow (or their effect is not documented).
    Different,
}

impl Verdict {
    /// The sentence printed for people.
    pub fn sentence(self) -> &'static str {
        match self {
            Verdict::Identical => "identical: no semantic differences",
            Verdict::Same => "NEW allows the same as OLD (only neutral changes)",
            Verdict::More => "NEW allows strictly more than OLD",
            Verdict::Less => "NEW allows strictly less than OLD",
            Verdict::Different => "NEW allows something different from OLD (some changes widen, some narrow)",
        }
    }
}

/// Added, removed or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// Only in OLD.
    Removed,
    /// Only in NEW.
    Added,
    /// In both, with differences.
    Changed,
}

/// One difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Where: `header`, `options`, `scenario 12 (user mode)`, `UpdatePolicySigners`, `settings`,
    /// `unreferenced`, …
    pub section: String,
    /// What: `allow rule`, `allowed signer`, `option`, `VersionEx`, …
    pub item: String,
    /// Added, removed or changed.
    pub op: Op,
    /// The OLD side, described.
    pub old: Option<String>,
    /// The NEW side, described.
    pub new: Option<String>,
    /// IDs of the item in OLD.
    pub old_ids: Vec<String>,
    /// IDs of the item in NEW.
    pub new_ids: Vec<String>,
    /// For changed items: the fields that differ.
    pub details: Vec<String>,
    /// Effect on what is allowed.
    pub effect: Effect,
}

/// A whole diff.
#[derive(Clone, Debug, Serialize)]
pub struct DiffReport {
    /// Label of the old policy (a file name).
    pub old: String,
    /// Label of the new policy.
    pub new: String,
    /// Summary.
    pub verdict: Verdict,
    /// Every difference, in section order.
    pub changes: Vec<Change>,
}

/// Sections in report order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Scenario(std::cmp::Reverse<u8>, u8),
    Update,
    Supplemental,
    Ci,
    Unreferenced,
}

const GROUP_NAMES: [&str; 4] = ["", " TestSigners", " TestSigningSigners", " ArtifactSigners"];

impl Section {
    fn name(&self) -> String {
        match self {
            Section::Scenario(v, g) => {
                let mode = match v.0 {
                    12 => " (user mode)",
                    131 => " (kernel mode)",
                    _ => "",
                };
                format!("scenario {}{mode}{}", v.0, GROUP_NAMES[usize::from(*g)])
            }
            Section::Update => "UpdatePolicySigners".into(),
            Section::Supplemental => "SupplementalPolicySigners".into(),
            Section::Ci => "CiSigners".into(),
            Section::Unreferenced => "unreferenced (no effect)".into(),
        }
    }
}

/// What an item is, with its typed content for effect reasoning.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
enum Payload {
    Rule(RuleKey),
    Allowed(Ref<SignerKey>, Vec<Ref<RuleKey>>),
    Denied(Ref<SignerKey>, Vec<Ref<RuleKey>>),
    ListSigner(Ref<SignerKey>),
    Artifact(Ref<ArtifactKey>),
    Signer(SignerKey),
    Eku(EkuKey),
}

impl Payload {
    fn item(&self) -> &'static str {
        match self {
            Payload::Rule(r) => match r.action() {
                Action::Allow => "allow rule",
                Action::Deny => "deny rule",
                Action::Attribute => "file attribute rule",
            },
            Payload::Allowed(..) => "allowed signer",
            Payload::Denied(..) => "denied signer",
            Payload::ListSigner(_) | Payload::Signer(_) => "signer",
            Payload::Artifact(_) => "artifact rule",
            Payload::Eku(_) => "EKU",
        }
    }

    /// What stays the same when an item is edited rather than replaced.
    fn identity(&self) -> String {
        let signer_id = |s: &Ref<SignerKey>| match s {
            Ref::Found(k) => serde_json::to_string(&k.identity()),
            Ref::Dangling(id) => serde_json::to_string(id),
        };
        let text = match self {
            Payload::Rule(r) => serde_json::to_string(&r.identity()),
            Payload::Allowed(s, _) | Payload::Denied(s, _) | Payload::ListSigner(s) => signer_id(s),
            Payload::Signer(k) => serde_json::to_string(&k.identity()),
            Payload::Artifact(a) => serde_json::to_string(a),
            Payload::Eku(e) => serde_json::to_string(e),
        };
        text.unwrap_or_default()
    }

    fn describe(&self, name: Option<&str>) -> String {
        let named = |s: String| match name {
            Some(n) if !n.is_empty() => format!("\"{n}\": {s}"),
            _ => s,
        };
        let signer = |s: &Ref<SignerKey>| match s {
            Ref::Found(k) => describe_signer(k),
            Ref::Dangling(id) => format!("{id} (missing signer)"),
        };
        let excepts = |kind: &str, x: &[Ref<RuleKey>]| {
            x.iter()
                .map(|r| match r {
                    Ref::Found(r) => format!("; {kind} [{}]", describe_rule(r)),
                    Ref::Dangling(id) => format!("; {kind} {id} (missing)"),
                })
                .collect::<String>()
        };
        match self {
            Payload::Rule(r) => named(describe_rule(r)),
            Payload::Allowed(s, x) => named(format!("{}{}", signer(s), excepts("except deny", x))),
            Payload::Denied(s, x) => named(format!("{}{}", signer(s), excepts("except allow", x))),
            Payload::ListSigner(s) => named(signer(s)),
            Payload::Signer(k) => named(describe_signer(k)),
            Payload::Artifact(a) => match a {
                Ref::Found(a) => named(format!(
                    "{:?} {:?} {} {}",
                    a.action,
                    a.artifact_type,
                    a.name.as_deref().unwrap_or(""),
                    a.hash.as_ref().map(|(_, h)| h.to_hex()).unwrap_or_default()
                )),
                Ref::Dangling(id) => format!("{id} (missing)"),
            },
            Payload::Eku(e) => named(describe_eku(&Ref::Found(e.clone()))),
        }
    }
}

#[derive(Default)]
struct Seen {
    ids: BTreeSet<String>,
    name: Option<String>,
}

type Items = BTreeMap<(Section, Payload), Seen>;

fn group_list(sc: &crate::model::SigningScenario) -> [&SignerGroup; 3] {
    sc.groups()
}

/// Every item of a policy, by section.
fn items(p: &Policy) -> Items {
    let k = Keys::new(p, Mode::Semantic);
    let mut out: Items = BTreeMap::new();
    let mut add = |sec: Section, pl: Payload, id: &str, name: Option<&String>| {
        let seen = out.entry((sec, pl)).or_default();
        seen.ids.insert(id.to_string());
        if seen.name.is_none() {
            seen.name = name.cloned();
        }
    };
    let mut rule_used = vec![false; p.file_rules.len()];
    let mut signer_used = vec![false; p.signers.len()];
    let mut art_used = vec![false; p.artifact_rules.len()];
    let mut eku_used = vec![false; p.ekus.len()];
    let signer_name = |id: &str| k.signer_pos(id).and_then(|i| p.signers[i].name.as_ref());
    let mark_signer = |id: &str, used: &mut Vec<bool>| {
        if let Some(i) = k.signer_pos(id) {
            used[i] = true;
        }
    };
    for sc in &p.signing_scenarios {
        let v = std::cmp::Reverse(sc.value);
        for (g, grp) in group_list(sc).into_iter().enumerate() {
            let sec = Section::Scenario(v, g as u8);
            for r in &grp.file_rules_ref {
                match k.rule_pos(r.as_str()) {
                    Some(i) => {
                        rule_used[i] = true;
                        let rule = &p.file_rules[i];
                        add(
                            sec.clone(),
                            Payload::Rule(k.rule_key(i).clone()),
                            r.as_str(),
                            rule.friendly_name.as_ref(),
                        );
                    }
                    None => add(sec.clone(), Payload::Rule(dangling_rule(r.as_str())), r.as_str(), None),
                }
            }
            for a in &grp.allowed {
                mark_signer(a.signer_id.as_str(), &mut signer_used);
                let x = except_keys(&k, &a.except_deny_rules, &mut rule_used);
                add(
                    sec.clone(),
                    Payload::Allowed(k.signer_ref(&a.signer_id), x),
                    a.signer_id.as_str(),
                    signer_name(a.signer_id.as_str()),
                );
            }
            for d in &grp.denied {
                mark_signer(d.signer_id.as_str(), &mut signer_used);
                let x = except_keys(&k, &d.except_allow_rules, &mut rule_used);
                add(
                    sec.clone(),
                    Payload::Denied(k.signer_ref(&d.signer_id), x),
                    d.signer_id.as_str(),
                    signer_name(d.signer_id.as_str()),
                );
            }
        }
        let art = &sc.artifact_signers;
        let sec = Section::Scenario(v, 3);
        for a in &art.allowed {
            mark_signer(a.signer_id.as_str(), &mut signer_used);
            let x = except_keys(&k, &a.except_deny_rules, &mut rule_used);
            add(
                sec.clone(),
                Payload::Allowed(k.signer_ref(&a.signer_id), x),
                a.signer_id.as_str(),
                signer_name(a.signer_id.as_str()),
            );
        }
        for d in &art.denied {
            mark_signer(d.signer_id.as_str(), &mut signer_used);
            let x = except_keys(&k, &d.except_allow_rules, &mut rule_used);
            add(
                sec.clone(),
                Payload::Denied(k.signer_ref(&d.signer_id), x),
                d.signer_id.as_str(),
                signer_name(d.signer_id.as_str()),
            );
        }
        for r in &art.artifact_rules_ref {
            if let Some(i) = k.artifact_pos(r.as_str()) {
                art_used[i] = true;
            }
            let name = k
                .artifact_pos(r.as_str())
                .and_then(|i| p.artifact_rules[i].friendly_name.as_ref());
            add(sec.clone(), Payload::Artifact(k.artifact_ref(r)), r.as_str(), name);
        }
    }
    for (list, sec) in [
        (&p.update_policy_signers, Section::Update),
        (&p.supplemental_policy_signers, Section::Supplemental),
        (&p.ci_signers, Section::Ci),
    ] {
        for id in list {
            mark_signer(id.as_str(), &mut signer_used);
            add(
                sec.clone(),
                Payload::ListSigner(k.signer_ref(id)),
                id.as_str(),
                signer_name(id.as_str()),
            );
        }
    }
    // What used signers and rules pull in counts as used.
    for (i, s) in p.signers.iter().enumerate() {
        if !signer_used[i] {
            continue;
        }
        for r in &s.file_attrib_refs {
            if let Some(j) = k.rule_pos(r.as_str()) {
                rule_used[j] = true;
            }
        }
        for r in &s.artifact_rule_refs {
            if let Some(j) = k.artifact_pos(r.as_str()) {
                art_used[j] = true;
            }
        }
        for e in &s.cert_ekus {
            if let Some(j) = k.eku_pos(e.id.as_str()) {
                eku_used[j] = true;
            }
        }
    }
    for (i, r) in p.file_rules.iter().enumerate() {
        if let Some(t) = &r.hotpatch.require_hotpatch_id
            && rule_used[i]
            && let Some(j) = k.rule_pos(t.as_str())
        {
            rule_used[j] = true;
        }
    }
    for (i, r) in p.file_rules.iter().enumerate() {
        if !rule_used[i] {
            add(
                Section::Unreferenced,
                Payload::Rule(k.rule_key(i).clone()),
                r.id.as_str(),
                r.friendly_name.as_ref(),
            );
        }
    }
    for (i, s) in p.signers.iter().enumerate() {
        if !signer_used[i] {
            add(
                Section::Unreferenced,
                Payload::Signer(k.signer_key(s)),
                s.id.as_str(),
                s.name.as_ref(),
            );
        }
    }
    for (i, a) in p.artifact_rules.iter().enumerate() {
        if !art_used[i] {
            add(
                Section::Unreferenced,
                Payload::Artifact(Ref::Found(k.artifact_key(a))),
                a.id.as_str(),
                a.friendly_name.as_ref(),
            );
        }
    }
    for (i, e) in p.ekus.iter().enumerate() {
        if !eku_used[i] {
            add(
                Section::Unreferenced,
                Payload::Eku(k.eku_key(e)),
                e.id.as_str(),
                e.friendly_name.as_ref(),
            );
        }
    }
    out
}

/// A FileRuleRef that names nothing, as a rule key that cannot equal a real one.
fn dangling_rule(id: &str) -> RuleKey {
    RuleKey {
        kind: crate::model::FileRuleKind::Allow,
        file_name: None,
        internal_name: None,
        file_description: None,
        product_name: None,
        package_family_name: None,
        package_version: None,
        minimum_file_version: None,
        maximum_file_version: None,
        hash: None,
        app_ids: None,
        file_path: None,
        hotpatch_target: Some(Ref::Dangling(format!("(FileRuleRef to missing {id})"))),
        hotpatch_min: None,
        hotpatch_max: None,
    }
}

fn except_keys(k: &Keys<'_>, ids: &[crate::model::Id], used: &mut [bool]) -> Vec<Ref<RuleKey>> {
    let mut v: Vec<Ref<RuleKey>> = ids
        .iter()
        .map(|id| {
            if let Some(i) = k.rule_pos(id.as_str()) {
                used[i] = true;
            }
            k.rule_ref(id)
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The set of versions a rule's bounds cover, as an inclusive range.
fn version_range(r: &RuleKey) -> (Version, Version) {
    let (min, max) = (r.minimum_file_version, r.maximum_file_version);
    match r.action() {
        // A Deny with only a minimum blocks versions up to it; with only a maximum, from it up.
        Action::Deny => match (min, max) {
            (None, None) => (Version::ZERO, Version::MAX),
            (Some(a), None) => (Version::ZERO, a),
            (None, Some(b)) => (b, Version::MAX),
            (Some(a), Some(b)) => (a, b),
        },
        _ => (min.unwrap_or(Version::ZERO), max.unwrap_or(Version::MAX)),
    }
}

/// Effect of a rule becoming another rule with the same identity.
fn rule_change_effect(old: &RuleKey, new: &RuleKey) -> Effect {
    let (o, n) = (version_range(old), version_range(new));
    let covers = |a: (Version, Version), b: (Version, Version)| a.0 <= b.0 && a.1 >= b.1;
    let widened = if o == n && old == new {
        Effect::Neutral
    } else if o == n {
        Effect::Mixed
    } else if covers(n, o) {
        Effect::Widens
    } else if covers(o, n) {
        Effect::Narrows
    } else {
        Effect::Mixed
    };
    match old.action() {
        Action::Allow => widened,
        Action::Deny => widened.flip(),
        Action::Attribute => widened,
    }
}

/// Effect of a set growing (`Widens` when more is the more permissive direction).
fn set_effect<T: Ord>(old: &[T], new: &[T], more: Effect) -> Effect {
    let o: BTreeSet<&T> = old.iter().collect();
    let n: BTreeSet<&T> = new.iter().collect();
    match (n.is_superset(&o), o.is_superset(&n)) {
        (true, true) => Effect::Neutral,
        (true, false) => more,
        (false, true) => more.flip(),
        (false, false) => Effect::Mixed,
    }
}

/// Effect of a signer's FileAttrib list changing when both lists are non-empty: an attribute
/// with the same identity compares by its version range, others widen when added.
fn attribs_effect(old: &[Ref<RuleKey>], new: &[Ref<RuleKey>]) -> Effect {
    let ident = |r: &Ref<RuleKey>| match r {
        Ref::Found(k) => Ref::Found(k.identity()),
        Ref::Dangling(id) => Ref::Dangling(id.clone()),
    };
    let o: BTreeMap<Ref<RuleKey>, &Ref<RuleKey>> = old.iter().map(|r| (ident(r), r)).collect();
    let n: BTreeMap<Ref<RuleKey>, &Ref<RuleKey>> = new.iter().map(|r| (ident(r), r)).collect();
    let mut e = Effect::Neutral;
    for (id, a) in &o {
        e = e.and(match (n.get(id), a) {
            (None, _) => Effect::Narrows,
            (Some(Ref::Found(b)), Ref::Found(a)) if a != b => rule_change_effect(a, b),
            (Some(b), a) if *b != *a => Effect::Mixed,
            _ => Effect::Neutral,
        });
    }
    for id in n.keys() {
        if !o.contains_key(id) {
            e = e.and(Effect::Widens);
        }
    }
    e
}

/// Effect of an allowed signer changing (flip it for a denied one).
fn signer_change_effect(old: &SignerKey, new: &SignerKey) -> Effect {
    let mut e = Effect::Neutral;
    if old.ekus != new.ekus {
        e = e.and(Effect::Mixed);
    }
    if old.artifacts != new.artifacts {
        e = e.and(Effect::Mixed);
    }
    // No FileAttribRef means every file of the signer.
    e = e.and(match (old.file_attribs.is_empty(), new.file_attribs.is_empty()) {
        (true, true) => Effect::Neutral,
        (true, false) => Effect::Narrows,
        (false, true) => Effect::Widens,
        (false, false) => attribs_effect(&old.file_attribs, &new.file_attribs),
    });
    e.and(match (old.sign_time_after, new.sign_time_after) {
        (a, b) if a == b => Effect::Neutral,
        (None, Some(_)) => Effect::Narrows,
        (Some(_), None) => Effect::Widens,
        (Some(a), Some(b)) if b < a => Effect::Widens,
        _ => Effect::Narrows,
    })
}

fn signer_details(old: &SignerKey, new: &SignerKey, out: &mut Vec<String>) {
    list_details(
        "EKU",
        &old.ekus,
        &new.ekus,
        |(e, x)| format!("{}{}", if *x { "except " } else { "" }, describe_eku(e)),
        out,
    );
    if old.sign_time_after != new.sign_time_after {
        let f = |t: Option<crate::model::SignTime>| t.map_or_else(|| "none".to_string(), |t| t.to_string());
        out.push(format!(
            "SignTimeAfter: {} -> {}",
            f(old.sign_time_after),
            f(new.sign_time_after)
        ));
    }
    list_details(
        "",
        &old.file_attribs,
        &new.file_attribs,
        |r| match r {
            Ref::Found(r) => describe_rule(r),
            Ref::Dangling(id) => format!("{id} (missing)"),
        },
        out,
    );
    list_details(
        "ArtifactRule",
        &old.artifacts,
        &new.artifacts,
        |a| serde_json::to_string(a).unwrap_or_default(),
        out,
    );
}

fn list_details<T: Ord>(what: &str, old: &[T], new: &[T], show: impl Fn(&T) -> String, out: &mut Vec<String>) {
    let o: BTreeSet<&T> = old.iter().collect();
    let n: BTreeSet<&T> = new.iter().collect();
    let label = |sign: char, x: &T| {
        if what.is_empty() {
            format!("{sign} {}", show(x))
        } else {
            format!("{sign} {what} {}", show(x))
        }
    };
    for x in o.difference(&n) {
        out.push(label('-', x));
    }
    for x in n.difference(&o) {
        out.push(label('+', x));
    }
}

fn rule_details(old: &RuleKey, new: &RuleKey) -> Vec<String> {
    let f = |v: Option<Version>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    let g = |v: Option<u32>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    let mut out = Vec::new();
    for (name, a, b) in [
        ("MinimumFileVersion", old.minimum_file_version, new.minimum_file_version),
        ("MaximumFileVersion", old.maximum_file_version, new.maximum_file_version),
        ("PackageVersion", old.package_version, new.package_version),
    ] {
        if a != b {
            out.push(format!("{name}: {} -> {}", f(a), f(b)));
        }
    }
    for (name, a, b) in [
        ("MinimumHotpatchSequence", old.hotpatch_min, new.hotpatch_min),
        ("MaximumHotpatchSequence", old.hotpatch_max, new.hotpatch_max),
    ] {
        if a != b {
            out.push(format!("{name}: {} -> {}", g(a), g(b)));
        }
    }
    out
}

/// Effect and details of an item that changed.
fn changed(old: &Payload, new: &Payload) -> (Effect, Vec<String>) {
    let mut details = Vec::new();
    let effect = match (old, new) {
        (Payload::Rule(a), Payload::Rule(b)) => {
            details = rule_details(a, b);
            rule_change_effect(a, b)
        }
        (Payload::Allowed(sa, xa), Payload::Allowed(sb, xb)) | (Payload::Denied(sa, xa), Payload::Denied(sb, xb)) => {
            let mut e = Effect::Neutral;
            if let (Ref::Found(a), Ref::Found(b)) = (sa, sb) {
                signer_details(a, b, &mut details);
                e = signer_change_effect(a, b);
            }
            let show = |r: &Ref<RuleKey>| match r {
                Ref::Found(r) => describe_rule(r),
                Ref::Dangling(id) => format!("{id} (missing)"),
            };
            list_details("exception", xa, xb, show, &mut details);
            // An exception on an allowed signer narrows it.
            let x = set_effect(xa, xb, Effect::Narrows);
            let e = e.and(x);
            if matches!(old, Payload::Denied(..)) {
                e.flip()
            } else {
                e
            }
        }
        (Payload::ListSigner(Ref::Found(a)), Payload::ListSigner(Ref::Found(b))) => {
            signer_details(a, b, &mut details);
            signer_change_effect(a, b)
        }
        (Payload::Signer(a), Payload::Signer(b)) => {
            signer_details(a, b, &mut details);
            Effect::Neutral
        }
        _ => Effect::Mixed,
    };
    (effect, details)
}

fn item_effect(sec: &Section, pl: &Payload, op: Op) -> Effect {
    let added = match pl {
        _ if *sec == Section::Unreferenced => Effect::Neutral,
        Payload::Rule(r) => match r.action() {
            Action::Allow => Effect::Widens,
            Action::Deny => Effect::Narrows,
            Action::Attribute => Effect::Neutral,
        },
        Payload::Allowed(..) => Effect::Widens,
        Payload::Denied(..) => Effect::Narrows,
        Payload::Artifact(Ref::Found(a)) => match a.action {
            crate::model::ArtifactAction::Allow => Effect::Widens,
            crate::model::ArtifactAction::Deny => Effect::Narrows,
        },
        Payload::Artifact(Ref::Dangling(_)) => Effect::Mixed,
        Payload::ListSigner(_) => match sec {
            Section::Update => Effect::Neutral,
            _ => Effect::Widens,
        },
        Payload::Signer(_) | Payload::Eku(_) => Effect::Neutral,
    };
    if op == Op::Removed { added.flip() } else { added }
}

/// Effect of an option being set (clearing it has the opposite effect).
pub fn option_effect(o: &RuleOption) -> Effect {
    use OptionKind::*;
    match o.known() {
        // Text no schema knows is ignored by the compiler.
        None => Effect::Neutral,
        Some(k) => match k {
            Umci
            | RequiredWhql
            | DisabledFlightSigning
            | RequiredEvSigners
            | RequiredEnforceStoreApplications
            | InvalidateEasOnReboot
            | DynamicCodeSecurity
            | RevokedExpiredAsUnsigned => Effect::Narrows,
            AuditMode
            | BootAuditOnFailure
            | DisabledScriptEnforcement
            | ManagedInstaller
            | IntelligentSecurityGraphAuthorization
            | AllowSupplementalPolicies
            | DisabledRuntimeFilePathRuleProtection
            | DeveloperModeDynamicCodeTrust => Effect::Widens,
            BootMenuProtection
            | InheritDefaultPolicy
            | UnsignedSystemIntegrityPolicy
            | AdvancedBootOptionsMenu
            | UpdatePolicyNoReboot => Effect::Neutral,
            DisabledDefaultWindowsCertificateRemapping
            | SecureSettingPolicy
            | ConditionalWindowsLockdownPolicy
            | WindowsLockdownTrialMode => Effect::Mixed,
        },
    }
}

fn option_label(o: &RuleOption) -> String {
    match o.known().and_then(OptionKind::number) {
        Some(n) => format!("{} ({n})", o.text()),
        None => o.text().to_string(),
    }
}

/// The secure setting option 21 compiles to.
const REMAPPING_SETTING: (&str, &str, &str) = (
    "Microsoft",
    "PolicySettings",
    "DisabledDefaultWindowsCertificateRemappingValueName",
);

/// Options as a compiled policy sees them: option 21 and its setting are the same thing.
fn options_of(p: &Policy) -> BTreeSet<RuleOption> {
    let mut set: BTreeSet<RuleOption> = p.rules.iter().cloned().collect();
    if p.settings.iter().any(|s| {
        (s.provider.as_str(), s.key.as_str(), s.value_name.as_str()) == REMAPPING_SETTING
            && s.value == SettingValue::Boolean(true)
    }) {
        set.insert(RuleOption::Known(
            OptionKind::DisabledDefaultWindowsCertificateRemapping,
        ));
    }
    set
}

fn settings_of(p: &Policy) -> BTreeMap<(String, String, String), String> {
    p.settings
        .iter()
        .filter(|s| {
            !((s.provider.as_str(), s.key.as_str(), s.value_name.as_str()) == REMAPPING_SETTING
                && s.value == SettingValue::Boolean(true))
        })
        .map(|s| {
            let v = match &s.value {
                SettingValue::Boolean(b) => format!("Boolean {b}"),
                SettingValue::DWord(d) => format!("DWord {d}"),
                SettingValue::Binary(b) => format!("Binary {}", b.to_hex()),
                SettingValue::String(t) => format!("String \"{t}\""),
            };
            ((s.provider.clone(), s.key.clone(), s.value_name.clone()), v)
        })
        .collect()
}

fn header_of(p: &Policy) -> Vec<(&'static str, String, Effect)> {
    let g = |g: Option<Guid>| g.map_or_else(|| "none".to_string(), |g| g.to_string());
    let supplemental = p.effective_type() == crate::model::PolicyType::Supplemental;
    // The binary header holds one GUID (the legacy PolicyTypeID, or the BasePolicyID), so a
    // legacy policy and a multiple-format base with PolicyID = BasePolicyID = that GUID are the
    // same policy; and a base's missing BasePolicyID is its PolicyID.
    let policy_id = p.policy_id.or(p.policy_type_id);
    let base_id = p
        .base_policy_id
        .or(if supplemental { None } else { p.policy_id })
        .or(p.policy_type_id);
    vec![
        ("PolicyType", p.effective_type().as_str().to_string(), Effect::Mixed),
        ("PolicyID", g(policy_id), Effect::Neutral),
        // A base's BasePolicyID is its own ID; a supplemental's names the policy it widens.
        (
            "BasePolicyID",
            g(base_id),
            if supplemental { Effect::Mixed } else { Effect::Neutral },
        ),
        (
            "PlatformID",
            g(p.platform_id.filter(|g| *g != Guid::NIL)),
            Effect::Neutral,
        ),
        ("VersionEx", p.version_ex.to_string(), Effect::Neutral),
        ("HvciOptions", p.hvci_options.unwrap_or(0).to_string(), Effect::Neutral),
    ]
}

/// Options an AppID tagging policy always has once compiled (tagging policies never block).
const TAGGING_OPTIONS: [OptionKind; 5] = [
    OptionKind::Umci,
    OptionKind::AuditMode,
    OptionKind::AdvancedBootOptionsMenu,
    OptionKind::DisabledScriptEnforcement,
    OptionKind::RequiredEnforceStoreApplications,
];

/// The policy as its compiled form states it: what the compiler adds or drops is applied here,
/// so a policy and its binary compare equal.
fn compiled_view(p: &Policy) -> std::borrow::Cow<'_, Policy> {
    let tagging = p.effective_type() == crate::model::PolicyType::AppIdTagging;
    let unknown = p.rules.iter().any(|r| r.known().is_none());
    if !tagging && !unknown {
        return std::borrow::Cow::Borrowed(p);
    }
    let mut q = p.clone();
    // Option text no schema knows is dropped by the compiler (and reported by the validator).
    q.rules.retain(|r| r.known().is_some());
    if tagging {
        for o in TAGGING_OPTIONS {
            q.set_option(o, true);
        }
        if q.ci_signers.is_empty() {
            q.ci_signers = q.signers.iter().map(|s| s.id.clone()).collect();
        }
    }
    std::borrow::Cow::Owned(q)
}

/// Scenario attributes that are not lists of items.
fn scenario_attrs(p: &Policy) -> BTreeMap<(std::cmp::Reverse<u8>, &'static str), String> {
    let value_of: BTreeMap<&str, u8> = p.signing_scenarios.iter().map(|s| (s.id.as_str(), s.value)).collect();
    let mut m = BTreeMap::new();
    for sc in &p.signing_scenarios {
        let v = std::cmp::Reverse(sc.value);
        m.insert(
            (v, "MinimumHashAlgorithm"),
            format!(
                "0x{:04X}",
                sc.minimum_hash_algorithm.unwrap_or(DEFAULT_MINIMUM_HASH_ALGORITHM)
            ),
        );
        let inh: BTreeSet<String> = sc
            .inherited_scenarios
            .iter()
            .map(|i| {
                value_of
                    .get(i.as_str())
                    .map_or_else(|| format!("{i} (missing)"), |v| v.to_string())
            })
            .collect();
        if !inh.is_empty() {
            m.insert((v, "InheritedScenarios"), inh.into_iter().collect::<Vec<_>>().join(","));
        }
        if let Some(t) = &sc.app_id_tags {
            if let Some(e) = t.enforce_dll {
                m.insert((v, "AppIDTags EnforceDLL"), e.to_string());
            }
            let tags: BTreeSet<String> = t.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            m.insert((v, "AppIDTags"), tags.into_iter().collect::<Vec<_>>().join("; "));
        }
    }
    m
}

fn scenario_name(v: u8) -> String {
    Section::Scenario(std::cmp::Reverse(v), 0).name()
}

/// Compares two policies. `old_label` and `new_label` name them in the report.
pub fn diff(old: &Policy, new: &Policy, old_label: &str, new_label: &str) -> DiffReport {
    let (old, new) = (compiled_view(old), compiled_view(new));
    let (old, new) = (old.as_ref(), new.as_ref());
    let mut changes: Vec<Change> = Vec::new();
    let simple = |section: &str, item: &str, op: Op, o: Option<String>, n: Option<String>, effect: Effect| Change {
        section: section.to_string(),
        item: item.to_string(),
        op,
        old: o,
        new: n,
        old_ids: Vec::new(),
        new_ids: Vec::new(),
        details: Vec::new(),
        effect,
    };

    for ((name, a, e1), (_, b, e2)) in header_of(old).into_iter().zip(header_of(new)) {
        if a != b {
            changes.push(simple("header", name, Op::Changed, Some(a), Some(b), e1.and(e2)));
        }
    }

    let (oo, no) = (options_of(old), options_of(new));
    for o in oo.difference(&no) {
        changes.push(simple(
            "options",
            "option",
            Op::Removed,
            Some(option_label(o)),
            None,
            option_effect(o).flip(),
        ));
    }
    for o in no.difference(&oo) {
        changes.push(simple(
            "options",
            "option",
            Op::Added,
            None,
            Some(option_label(o)),
            option_effect(o),
        ));
    }

    let (osa, nsa) = (scenario_attrs(old), scenario_attrs(new));
    let keys: BTreeSet<_> = osa.keys().chain(nsa.keys()).cloned().collect();
    for key in keys {
        let (a, b) = (osa.get(&key), nsa.get(&key));
        if a != b {
            let effect = if key.1.starts_with("AppIDTags") {
                Effect::Neutral
            } else {
                Effect::Mixed
            };
            let op = match (a, b) {
                (None, _) => Op::Added,
                (_, None) => Op::Removed,
                _ => Op::Changed,
            };
            changes.push(simple(
                &scenario_name(key.0.0),
                key.1,
                op,
                a.cloned(),
                b.cloned(),
                effect,
            ));
        }
    }

    let (oi, ni) = (items(old), items(new));
    let mut removed: BTreeMap<(Section, String), Vec<(&Payload, &Seen)>> = BTreeMap::new();
    let mut added: BTreeMap<(Section, String), Vec<(&Payload, &Seen)>> = BTreeMap::new();
    for ((sec, pl), seen) in &oi {
        if !ni.contains_key(&(sec.clone(), pl.clone())) {
            removed
                .entry((sec.clone(), pl.identity()))
                .or_default()
                .push((pl, seen));
        }
    }
    for ((sec, pl), seen) in &ni {
        if !oi.contains_key(&(sec.clone(), pl.clone())) {
            added.entry((sec.clone(), pl.identity())).or_default().push((pl, seen));
        }
    }
    let mut item_changes: Vec<(Section, Change)> = Vec::new();
    let ids = |s: &Seen| s.ids.iter().cloned().collect::<Vec<_>>();
    for (key, rem) in &removed {
        let (sec, _) = key;
        match added.get(key) {
            Some(add) if rem.len() == 1 && add.len() == 1 && rem[0].0.item() == add[0].0.item() => {
                let ((op_, os), (np, ns)) = (rem[0], add[0]);
                let (effect, details) = changed(op_, np);
                let effect = if *sec == Section::Unreferenced {
                    Effect::Neutral
                } else {
                    effect
                };
                item_changes.push((
                    sec.clone(),
                    Change {
                        section: sec.name(),
                        item: op_.item().to_string(),
                        op: Op::Changed,
                        old: Some(op_.describe(os.name.as_deref())),
                        new: Some(np.describe(ns.name.as_deref())),
                        old_ids: ids(os),
                        new_ids: ids(ns),
                        details,
                        effect,
                    },
                ));
            }
            _ => {
                for (pl, seen) in rem {
                    item_changes.push((
                        sec.clone(),
                        Change {
                            section: sec.name(),
                            item: pl.item().to_string(),
                            op: Op::Removed,
                            old: Some(pl.describe(seen.name.as_deref())),
                            new: None,
                            old_ids: ids(seen),
                            new_ids: Vec::new(),
                            details: Vec::new(),
                            effect: item_effect(sec, pl, Op::Removed),
                        },
                    ));
                }
            }
        }
    }
    for (key, add) in &added {
        let (sec, _) = key;
        let paired = removed
            .get(key)
            .is_some_and(|rem| rem.len() == 1 && add.len() == 1 && rem[0].0.item() == add[0].0.item());
        if paired {
            continue;
        }
        for (pl, seen) in add {
            item_changes.push((
                sec.clone(),
                Change {
                    section: sec.name(),
                    item: pl.item().to_string(),
                    op: Op::Added,
                    old: None,
                    new: Some(pl.describe(seen.name.as_deref())),
                    old_ids: Vec::new(),
                    new_ids: ids(seen),
                    details: Vec::new(),
                    effect: item_effect(sec, pl, Op::Added),
                },
            ));
        }
    }
    item_changes.sort_by(|(sa, a), (sb, b)| {
        sa.cmp(sb)
            .then_with(|| a.op.cmp(&b.op))
            .then_with(|| a.item.cmp(&b.item))
            .then_with(|| (&a.old, &a.new).cmp(&(&b.old, &b.new)))
    });
    let (unref, scoped): (Vec<_>, Vec<_>) = item_changes.into_iter().partition(|(s, _)| *s == Section::Unreferenced);
    changes.extend(scoped.into_iter().map(|(_, c)| c));

    let (os, ns) = (settings_of(old), settings_of(new));
    let keys: BTreeSet<_> = os.keys().chain(ns.keys()).cloned().collect();
    for k in keys {
        let (a, b) = (os.get(&k), ns.get(&k));
        if a != b {
            let op = match (a, b) {
                (None, _) => Op::Added,
                (_, None) => Op::Removed,
                _ => Op::Changed,
            };
            let effect = if k.0 == "PolicyInfo" {
                Effect::Neutral
            } else {
                Effect::Mixed
            };
            let name = format!("{}/{}/{}", k.0, k.1, k.2);
            changes.push(simple("settings", &name, op, a.cloned(), b.cloned(), effect));
        }
    }
    let apps = |p: &Policy| -> BTreeMap<String, String> {
        p.app_settings
            .iter()
            .map(|a| {
                (
                    a.manifest.clone(),
                    serde_json::to_string(&a.settings).unwrap_or_default(),
                )
            })
            .collect()
    };
    let (oa, na) = (apps(old), apps(new));
    let keys: BTreeSet<_> = oa.keys().chain(na.keys()).cloned().collect();
    for k in keys {
        let (a, b) = (oa.get(&k), na.get(&k));
        if a != b {
            let op = match (a, b) {
                (None, _) => Op::Added,
                (_, None) => Op::Removed,
                _ => Op::Changed,
            };
            changes.push(simple("AppSettings", &k, op, a.cloned(), b.cloned(), Effect::Mixed));
        }
    }
    changes.extend(unref.into_iter().map(|(_, c)| c));

    let verdict = if changes.is_empty() {
        Verdict::Identical
    } else {
        match changes.iter().fold(Effect::Neutral, |e, c| e.and(c.effect)) {
            Effect::Neutral => Verdict::Same,
            Effect::Widens => Verdict::More,
            Effect::Narrows => Verdict::Less,
            Effect::Mixed => Verdict::Different,
        }
    };
    DiffReport {
        old: old_label.to_string(),
        new: new_label.to_string(),
        verdict,
        changes,
    }
}

impl DiffReport {
    /// True when there is any difference.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// The report as text for people: one block per section, `-` removed, `+` added, `~`
    /// changed, the effect in brackets when it is not neutral, and the verdict last.
    pub fn to_human(&self) -> String {
        let mut s = format!("--- {}\n+++ {}\n", self.old, self.new);
        let mut section = "";
        for c in &self.changes {
            if c.section != section {
                section = &c.section;
                let _ = writeln!(s, "{section}:");
            }
            let effect = match c.effect {
                Effect::Neutral => "",
                Effect::Widens => "  [widens]",
                Effect::Narrows => "  [narrows]",
                Effect::Mixed => "  [widens or narrows]",
            };
            let ids = |v: &[String]| {
                if v.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", v.join(", "))
                }
            };
            match c.op {
                Op::Removed => {
                    let _ = writeln!(
                        s,
                        "  - {}: {}{}{effect}",
                        c.item,
                        c.old.as_deref().unwrap_or(""),
                        ids(&c.old_ids)
                    );
                }
                Op::Added => {
                    let _ = writeln!(
                        s,
                        "  + {}: {}{}{effect}",
                        c.item,
                        c.new.as_deref().unwrap_or(""),
                        ids(&c.new_ids)
                    );
                }
                Op::Changed if c.details.is_empty() => {
                    let _ = writeln!(
                        s,
                        "  ~ {}: {} -> {}{effect}",
                        c.item,
                        c.old.as_deref().unwrap_or(""),
                        c.new.as_deref().unwrap_or("")
                    );
                }
                Op::Changed => {
                    let _ = writeln!(
                        s,
                        "  ~ {}: {}{}{effect}",
                        c.item,
                        c.old.as_deref().unwrap_or(""),
                        ids(&c.old_ids)
                    );
                    if c.new_ids != c.old_ids {
                        let _ = writeln!(s, "      now{}", ids(&c.new_ids));
                    }
                    for d in &c.details {
                        let _ = writeln!(s, "      {d}");
                    }
                }
            }
        }
        let _ = writeln!(s, "verdict: {}", self.verdict.sentence());
        s
    }
}
