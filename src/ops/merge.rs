//! `merge`: the content-based union of policies. See the [module docs](super) for the rules.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::keys::{ArtifactKey, EkuKey, Keys, Mode, Ref, RuleKey, SignerKey};
use super::natural;
use crate::model::{
    AllowedSigner, AppIdTags, ArtifactRule, ArtifactSignerGroup, DEFAULT_MINIMUM_HASH_ALGORITHM, DeniedSigner, Eku,
    FileRule, Guid, Hotpatch, Id, Macro, OptionKind, Policy, PolicyType, RuleOption, STANDARD_PLATFORM_ID, Setting,
    SettingValue, Signer, SignerGroup, SigningScenario,
};

/// Choices the caller makes about a merge.
#[derive(Clone, Copy, Debug, Default)]
pub struct MergeOptions {
    /// Merge base and supplemental policies together (the result is a base policy).
    pub allow_mixed_types: bool,
}

/// The merged policy and what the merge decided on the way.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The merged policy, in canonical order.
    pub policy: Policy,
    /// Decisions worth telling the user (derived IDs, options only some inputs had, …), sorted.
    pub notes: Vec<String>,
}

/// Why policies were not merged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no policies to merge")]
    NoInput,
    /// Base and supplemental policies without [`MergeOptions::allow_mixed_types`].
    #[error(
        "refusing to merge base and supplemental policies ({0}); a supplemental widens its base at run time, \
         merging it makes its rules part of the base (pass --allow-mixed-types to do that)"
    )]
    MixedTypes(String),
    /// An AppID tagging policy with a policy of another type.
    #[error(
        "AppID tagging policies tag processes and never block; they cannot be merged with other policy types ({0})"
    )]
    TaggingMixed(String),
    /// Supplementals of different bases.
    #[error("the supplemental policies extend different base policies ({0}); merge supplementals of one base only")]
    DifferentBases(String),
    /// A reference in an input names nothing.
    #[error(
        "input {input}: {what} `{id}` names nothing in that policy; fix the reference (or run `cipolicy validate`) before merging"
    )]
    Dangling {
        /// 1-based input position.
        input: usize,
        /// What kind of reference.
        what: &'static str,
        /// The ID.
        id: String,
    },
    /// The same secure setting with different values.
    #[error(
        "setting {0} has different values in the inputs ({1}); make them agree first \
         (`cipolicy set POLICY --setting …`)"
    )]
    SettingConflict(String, String),
    /// The same macro name with different values.
    #[error("macro `{0}` has different values in the inputs ({1}); rename one of them first")]
    MacroConflict(String, String),
    /// The same AppSettings manifest with different settings.
    #[error("AppSettings for manifest `{0}` differ between the inputs; make them agree first")]
    AppSettingsConflict(String),
}

/// Where an item is used in its policy. Items are collapsed only when their content *and* their
/// places are equal, so a merge never makes two scenarios share a signer or rule that no input
/// shared (ConfigCI keeps one copy per scenario; whether Windows accepts a signer shared between
/// scenarios is not documented).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
enum Place {
    Allowed(u8, Group),
    Denied(u8, Group),
    Update,
    Supplemental,
    Ci,
    RuleRef(u8, Group),
    ExceptDeny(u8, Group),
    ExceptAllow(u8, Group),
    HotpatchTarget,
    /// A FileAttrib or ArtifactRule of a signer used at the inner place.
    Of(Box<Place>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
enum Group {
    Product,
    Test,
    TestSigning,
    Artifact,
}

type Places = BTreeSet<Place>;

/// Items of one kind from all inputs, one slot per distinct key.
struct Pool<K, X> {
    index: BTreeMap<K, usize>,
    slots: Vec<Slot<K, X>>,
}

struct Slot<K, X> {
    key: K,
    ids: BTreeSet<String>,
    names: BTreeSet<String>,
    had_refs: bool,
    extra: X,
}

impl<K: Ord + Clone, X: Default> Pool<K, X> {
    fn new() -> Self {
        Pool {
            index: BTreeMap::new(),
            slots: Vec::new(),
        }
    }

    fn add(&mut self, key: K, id: &Id, name: Option<&String>, had_refs: bool) -> usize {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.slots.push(Slot {
                    key: key.clone(),
                    ids: BTreeSet::new(),
                    names: BTreeSet::new(),
                    had_refs: false,
                    extra: X::default(),
                });
                self.index.insert(key, self.slots.len() - 1);
                self.slots.len() - 1
            }
        };
        let s = &mut self.slots[i];
        s.ids.insert(id.0.clone());
        if let Some(n) = name {
            s.names.insert(n.clone());
        }
        s.had_refs |= had_refs;
        i
    }
}

impl<K, X> Pool<K, X> {
    /// Slot indexes in key order.
    fn ordered(&self) -> Vec<usize> {
        self.index.values().copied().collect()
    }
}

/// Slots referenced by content, with every slot that held that content in some input. The
/// smallest slot wins, so the choice does not depend on input order.
type ByContent<K> = BTreeMap<K, BTreeSet<usize>>;

fn add_by_content<K: Ord>(m: &mut ByContent<K>, k: K, slot: usize) {
    m.entry(k).or_default().insert(slot);
}

fn pick(set: &BTreeSet<usize>) -> usize {
    *set.iter().next().expect("sets in ByContent are never empty")
}

#[derive(Default)]
struct SignerExtra {
    ekus: BTreeSet<usize>,
    attribs: ByContent<RuleKey>,
    artifacts: ByContent<ArtifactKey>,
}

#[derive(Default)]
struct RuleExtra {
    hotpatch: ByContent<RuleKey>,
}

/// Signer entries of one list: signer slot → its exception rules by content.
type Entries = BTreeMap<usize, ByContent<RuleKey>>;

#[derive(Default)]
struct GroupAcc {
    allowed: Entries,
    denied: Entries,
    refs: BTreeSet<usize>,
}

#[derive(Default)]
struct ScenarioAcc {
    ids: BTreeSet<String>,
    names: BTreeSet<String>,
    inherited: BTreeSet<u8>,
    min_hash: BTreeSet<Option<u16>>,
    groups: BTreeMap<Group, GroupAcc>,
    tags_present: bool,
    tags: BTreeSet<(String, String)>,
    enforce_dll: BTreeSet<Option<bool>>,
}

/// Adds an entry, intersecting exception lists when the signer is already listed: "allowed
/// except D1" ∪ "allowed except D2" is "allowed except D1 ∩ D2" (and likewise for denies).
fn add_entry(entries: &mut Entries, signer: usize, excepts: ByContent<RuleKey>) {
    match entries.get_mut(&signer) {
        None => {
            entries.insert(signer, excepts);
        }
        Some(have) => {
            have.retain(|k, _| excepts.contains_key(k));
            for (k, slots) in excepts {
                if let Some(h) = have.get_mut(&k) {
                    h.extend(slots);
                }
            }
        }
    }
}

struct Acc {
    ekus: Pool<EkuKey, ()>,
    rules: Pool<(RuleKey, Places), RuleExtra>,
    artifacts: Pool<(ArtifactKey, Places), ()>,
    signers: Pool<(SignerKey, Places), SignerExtra>,
    scenarios: BTreeMap<u8, ScenarioAcc>,
    update: BTreeSet<usize>,
    supplemental: BTreeSet<usize>,
    ci: BTreeSet<usize>,
    input_counts: [usize; 4],
}

fn groups_of(sc: &SigningScenario) -> [(Group, &SignerGroup); 3] {
    [
        (Group::Product, &sc.product_signers),
        (Group::Test, &sc.test_signers),
        (Group::TestSigning, &sc.test_signing_signers),
    ]
}

/// Places of every signer, file rule and artifact rule of one input, plus whether anything refers
/// to each. Fails on references that name nothing.
struct InputPlaces {
    signers: Vec<Places>,
    rules: Vec<Places>,
    artifacts: Vec<Places>,
    signer_refd: Vec<bool>,
    rule_refd: Vec<bool>,
    artifact_refd: Vec<bool>,
    eku_refd: Vec<bool>,
}

fn input_places(n: usize, k: &Keys<'_>) -> Result<InputPlaces, MergeError> {
    let p = k.policy();
    let dangling = |what: &'static str, id: &Id| MergeError::Dangling {
        input: n,
        what,
        id: id.0.clone(),
    };
    let mut ip = InputPlaces {
        signers: vec![Places::new(); p.signers.len()],
        rules: vec![Places::new(); p.file_rules.len()],
        artifacts: vec![Places::new(); p.artifact_rules.len()],
        signer_refd: vec![false; p.signers.len()],
        rule_refd: vec![false; p.file_rules.len()],
        artifact_refd: vec![false; p.artifact_rules.len()],
        eku_refd: vec![false; p.ekus.len()],
    };
    let values: BTreeSet<&str> = p.signing_scenarios.iter().map(|s| s.id.as_str()).collect();
    for sc in &p.signing_scenarios {
        for inh in &sc.inherited_scenarios {
            if !values.contains(inh.as_str()) {
                return Err(dangling("InheritedScenarios entry", inh));
            }
        }
        let v = sc.value;
        let mut lists: Vec<(Group, &[AllowedSigner], &[DeniedSigner])> = groups_of(sc)
            .into_iter()
            .map(|(g, grp)| (g, grp.allowed.as_slice(), grp.denied.as_slice()))
            .collect();
        lists.push((
            Group::Artifact,
            &sc.artifact_signers.allowed,
            &sc.artifact_signers.denied,
        ));
        for (g, allowed, denied) in lists {
            for a in allowed {
                let si = k
                    .signer_pos(a.signer_id.as_str())
                    .ok_or_else(|| dangling("AllowedSigner", &a.signer_id))?;
                ip.signers[si].insert(Place::Allowed(v, g));
                ip.signer_refd[si] = true;
                for x in &a.except_deny_rules {
                    let ri = k.rule_pos(x.as_str()).ok_or_else(|| dangling("ExceptDenyRule", x))?;
                    ip.rules[ri].insert(Place::ExceptDeny(v, g));
                    ip.rule_refd[ri] = true;
                }
            }
            for d in denied {
                let si = k
                    .signer_pos(d.signer_id.as_str())
                    .ok_or_else(|| dangling("DeniedSigner", &d.signer_id))?;
                ip.signers[si].insert(Place::Denied(v, g));
                ip.signer_refd[si] = true;
                for x in &d.except_allow_rules {
                    let ri = k.rule_pos(x.as_str()).ok_or_else(|| dangling("ExceptAllowRule", x))?;
                    ip.rules[ri].insert(Place::ExceptAllow(v, g));
                    ip.rule_refd[ri] = true;
                }
            }
        }
        for (g, grp) in groups_of(sc) {
            for r in &grp.file_rules_ref {
                let ri = k.rule_pos(r.as_str()).ok_or_else(|| dangling("FileRuleRef", r))?;
                ip.rules[ri].insert(Place::RuleRef(v, g));
                ip.rule_refd[ri] = true;
            }
        }
        for r in &sc.artifact_signers.artifact_rules_ref {
            let ai = k
                .artifact_pos(r.as_str())
                .ok_or_else(|| dangling("ArtifactRuleRef", r))?;
            ip.artifacts[ai].insert(Place::RuleRef(v, Group::Artifact));
            ip.artifact_refd[ai] = true;
        }
    }
    for (list, place, what) in [
        (&p.update_policy_signers, Place::Update, "UpdatePolicySigner"),
        (
            &p.supplemental_policy_signers,
            Place::Supplemental,
            "SupplementalPolicySigner",
        ),
        (&p.ci_signers, Place::Ci, "CiSigner"),
    ] {
        for id in list {
            let si = k.signer_pos(id.as_str()).ok_or_else(|| dangling(what, id))?;
            ip.signers[si].insert(place.clone());
            ip.signer_refd[si] = true;
        }
    }
    for (si, s) in p.signers.iter().enumerate() {
        let of: Vec<Place> = ip.signers[si]
            .iter()
            .map(|pl| Place::Of(Box::new(pl.clone())))
            .collect();
        for r in &s.file_attrib_refs {
            let ri = k.rule_pos(r.as_str()).ok_or_else(|| dangling("FileAttribRef", r))?;
            ip.rules[ri].extend(of.iter().cloned());
            ip.rule_refd[ri] = true;
        }
        for r in &s.artifact_rule_refs {
            let ai = k
                .artifact_pos(r.as_str())
                .ok_or_else(|| dangling("ArtifactRuleRef", r))?;
            ip.artifacts[ai].extend(of.iter().cloned());
            ip.artifact_refd[ai] = true;
        }
        for e in &s.cert_ekus {
            let ei = k.eku_pos(e.id.as_str()).ok_or_else(|| dangling("CertEKU", &e.id))?;
            ip.eku_refd[ei] = true;
        }
    }
    for r in &p.file_rules {
        if let Some(t) = &r.hotpatch.require_hotpatch_id {
            let ri = k.rule_pos(t.as_str()).ok_or_else(|| dangling("RequireHotpatchID", t))?;
            ip.rules[ri].insert(Place::HotpatchTarget);
            ip.rule_refd[ri] = true;
        }
    }
    Ok(ip)
}

impl Acc {
    fn add_input(&mut self, n: usize, p: &Policy) -> Result<(), MergeError> {
        let k = Keys::new(p, Mode::Exact);
        let ip = input_places(n, &k)?;
        self.input_counts[0] += p.ekus.len();
        self.input_counts[1] += p.file_rules.len();
        self.input_counts[2] += p.signers.len();
        self.input_counts[3] += p.artifact_rules.len();
        let eku_map: Vec<usize> = p
            .ekus
            .iter()
            .enumerate()
            .map(|(i, e)| {
                self.ekus
                    .add(k.eku_key(e), &e.id, e.friendly_name.as_ref(), ip.eku_refd[i])
            })
            .collect();
        let rule_map: Vec<usize> = p
            .file_rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let key = (k.rule_key(i).clone(), ip.rules[i].clone());
                self.rules.add(key, &r.id, r.friendly_name.as_ref(), ip.rule_refd[i])
            })
            .collect();
        for (i, r) in p.file_rules.iter().enumerate() {
            if let Some(t) = &r.hotpatch.require_hotpatch_id {
                let ti = k.rule_pos(t.as_str()).expect("checked by input_places");
                let content = k.rule_key(ti).clone();
                add_by_content(&mut self.rules.slots[rule_map[i]].extra.hotpatch, content, rule_map[ti]);
            }
        }
        let art_map: Vec<usize> = p
            .artifact_rules
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let key = (k.artifact_key(a), ip.artifacts[i].clone());
                self.artifacts
                    .add(key, &a.id, a.friendly_name.as_ref(), ip.artifact_refd[i])
            })
            .collect();
        let signer_map: Vec<usize> = p
            .signers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let key = (k.signer_key(s), ip.signers[i].clone());
                let slot = self.signers.add(key, &s.id, s.name.as_ref(), ip.signer_refd[i]);
                let extra = &mut self.signers.slots[slot].extra;
                for e in &s.cert_ekus {
                    extra.ekus.insert(eku_map[k.eku_pos(e.id.as_str()).expect("checked")]);
                }
                for r in &s.file_attrib_refs {
                    let ri = k.rule_pos(r.as_str()).expect("checked");
                    add_by_content(&mut extra.attribs, k.rule_key(ri).clone(), rule_map[ri]);
                }
                for r in &s.artifact_rule_refs {
                    let ai = k.artifact_pos(r.as_str()).expect("checked");
                    add_by_content(&mut extra.artifacts, k.artifact_key(&p.artifact_rules[ai]), art_map[ai]);
                }
                slot
            })
            .collect();
        let excepts = |ids: &[Id]| -> ByContent<RuleKey> {
            let mut m = ByContent::new();
            for x in ids {
                let ri = k.rule_pos(x.as_str()).expect("checked");
                add_by_content(&mut m, k.rule_key(ri).clone(), rule_map[ri]);
            }
            m
        };
        let scenario_value: BTreeMap<&str, u8> = p.signing_scenarios.iter().map(|s| (s.id.as_str(), s.value)).collect();
        for sc in &p.signing_scenarios {
            let acc = self.scenarios.entry(sc.value).or_default();
            acc.ids.insert(sc.id.0.clone());
            if let Some(n) = &sc.friendly_name {
                acc.names.insert(n.clone());
            }
            acc.inherited
                .extend(sc.inherited_scenarios.iter().map(|i| scenario_value[i.as_str()]));
            acc.min_hash.insert(sc.minimum_hash_algorithm);
            for (g, grp) in groups_of(sc) {
                let ga = acc.groups.entry(g).or_default();
                for a in &grp.allowed {
                    let si = signer_map[k.signer_pos(a.signer_id.as_str()).expect("checked")];
                    add_entry(&mut ga.allowed, si, excepts(&a.except_deny_rules));
                }
                for d in &grp.denied {
                    let si = signer_map[k.signer_pos(d.signer_id.as_str()).expect("checked")];
                    add_entry(&mut ga.denied, si, excepts(&d.except_allow_rules));
                }
                for r in &grp.file_rules_ref {
                    ga.refs.insert(rule_map[k.rule_pos(r.as_str()).expect("checked")]);
                }
            }
            let art = &sc.artifact_signers;
            let ga = acc.groups.entry(Group::Artifact).or_default();
            for a in &art.allowed {
                let si = signer_map[k.signer_pos(a.signer_id.as_str()).expect("checked")];
                add_entry(&mut ga.allowed, si, excepts(&a.except_deny_rules));
            }
            for d in &art.denied {
                let si = signer_map[k.signer_pos(d.signer_id.as_str()).expect("checked")];
                add_entry(&mut ga.denied, si, excepts(&d.except_allow_rules));
            }
            for r in &art.artifact_rules_ref {
                ga.refs.insert(art_map[k.artifact_pos(r.as_str()).expect("checked")]);
            }
            if let Some(t) = &sc.app_id_tags {
                acc.tags_present = true;
                acc.tags.extend(t.tags.iter().cloned());
                acc.enforce_dll.insert(t.enforce_dll);
            }
        }
        for (list, out) in [
            (&p.update_policy_signers, &mut self.update),
            (&p.supplemental_policy_signers, &mut self.supplemental),
            (&p.ci_signers, &mut self.ci),
        ] {
            for id in list {
                out.insert(signer_map[k.signer_pos(id.as_str()).expect("checked")]);
            }
        }
        Ok(())
    }

    /// Where two *different* slots with equal content ended up in the same list (their places
    /// differed in the inputs), keeps the one used in the most places; the other is dropped from
    /// that list and, if nothing else refers to it, from the policy.
    fn drop_redundant(&mut self) {
        let signer_rank =
            |pool: &Pool<(SignerKey, Places), SignerExtra>, s: usize| (std::cmp::Reverse(pool.slots[s].key.1.len()), s);
        for acc in self.scenarios.values_mut() {
            for (g, ga) in acc.groups.iter_mut() {
                for entries in [&mut ga.allowed, &mut ga.denied] {
                    let mut best: BTreeMap<(SignerKey, Vec<RuleKey>), usize> = BTreeMap::new();
                    for (&s, ex) in entries.iter() {
                        let content = (self.signers.slots[s].key.0.clone(), ex.keys().cloned().collect());
                        best.entry(content)
                            .and_modify(|b| {
                                if signer_rank(&self.signers, s) < signer_rank(&self.signers, *b) {
                                    *b = s;
                                }
                            })
                            .or_insert(s);
                    }
                    let keep: BTreeSet<usize> = best.into_values().collect();
                    entries.retain(|s, _| keep.contains(s));
                }
                if *g == Group::Artifact {
                    dedupe_refs(&mut ga.refs, |s| {
                        let (k, pl) = &self.artifacts.slots[s].key;
                        (k.clone(), pl.len())
                    });
                } else {
                    dedupe_refs(&mut ga.refs, |s| {
                        let (k, pl) = &self.rules.slots[s].key;
                        (k.clone(), pl.len())
                    });
                }
            }
        }
        for list in [&mut self.update, &mut self.supplemental, &mut self.ci] {
            dedupe_refs(list, |s| {
                let (k, pl) = &self.signers.slots[s].key;
                (k.clone(), pl.len())
            });
        }
    }
}

/// Keeps, per content, the slot with the most places (then the smallest slot).
fn dedupe_refs<K: Ord + Clone>(set: &mut BTreeSet<usize>, content: impl Fn(usize) -> (K, usize)) {
    let mut best: BTreeMap<K, (std::cmp::Reverse<usize>, usize)> = BTreeMap::new();
    for &s in set.iter() {
        let (c, n) = content(s);
        let cand = (std::cmp::Reverse(n), s);
        best.entry(c).and_modify(|b| *b = (*b).min(cand)).or_insert(cand);
    }
    *set = best.into_values().map(|(_, s)| s).collect();
}

/// Which slots survive: everything that is still referenced, and everything that was not
/// referenced in any input to begin with (a merge does not clean up what it was given).
struct Live {
    ekus: Vec<bool>,
    rules: Vec<bool>,
    artifacts: Vec<bool>,
    signers: Vec<bool>,
}

fn liveness(acc: &Acc) -> Live {
    let mut signer_ref = vec![false; acc.signers.slots.len()];
    let mut rule_ref = vec![false; acc.rules.slots.len()];
    let mut art_ref = vec![false; acc.artifacts.slots.len()];
    let mut eku_ref = vec![false; acc.ekus.slots.len()];
    for sc in acc.scenarios.values() {
        for (g, ga) in &sc.groups {
            for entries in [&ga.allowed, &ga.denied] {
                for (&s, ex) in entries {
                    signer_ref[s] = true;
                    for slots in ex.values() {
                        rule_ref[pick(slots)] = true;
                    }
                }
            }
            for &r in &ga.refs {
                if *g == Group::Artifact {
                    art_ref[r] = true;
                } else {
                    rule_ref[r] = true;
                }
            }
        }
    }
    for list in [&acc.update, &acc.supplemental, &acc.ci] {
        for &s in list {
            signer_ref[s] = true;
        }
    }
    let signers: Vec<bool> = acc
        .signers
        .slots
        .iter()
        .enumerate()
        .map(|(i, s)| signer_ref[i] || !s.had_refs)
        .collect();
    for (i, s) in acc.signers.slots.iter().enumerate() {
        if signers[i] {
            for &e in &s.extra.ekus {
                eku_ref[e] = true;
            }
            for slots in s.extra.attribs.values() {
                rule_ref[pick(slots)] = true;
            }
            for slots in s.extra.artifacts.values() {
                art_ref[pick(slots)] = true;
            }
        }
    }
    let mut rules: Vec<bool> = acc
        .rules
        .slots
        .iter()
        .enumerate()
        .map(|(i, r)| rule_ref[i] || !r.had_refs)
        .collect();
    // Hot-patch targets of live rules are live; targets never chain (RF008), but loop anyway.
    loop {
        let mut changed = false;
        for (i, r) in acc.rules.slots.iter().enumerate() {
            if rules[i] {
                for slots in r.extra.hotpatch.values() {
                    let t = pick(slots);
                    if !rules[t] {
                        rules[t] = true;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    Live {
        ekus: acc
            .ekus
            .slots
            .iter()
            .enumerate()
            .map(|(i, e)| eku_ref[i] || !e.had_refs)
            .collect(),
        rules,
        artifacts: acc
            .artifacts
            .slots
            .iter()
            .enumerate()
            .map(|(i, a)| art_ref[i] || !a.had_refs)
            .collect(),
        signers,
    }
}

/// Stable short fingerprint of a key, for derived IDs.
fn fingerprint(key: &impl Serialize) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    const_hex::encode_upper(Sha256::digest(&json))
}

/// Gives each live slot an ID: one of the IDs it had in the inputs when that is free, otherwise
/// its first ID with a content fingerprint appended. Slots with fewer choices pick first, then in
/// content order, so the result does not depend on input order.
fn assign_ids<K: Ord + Clone + Serialize, X>(
    pool: &Pool<K, X>,
    live: &[bool],
    what: &str,
    notes: &mut Vec<String>,
) -> Vec<Option<Id>> {
    let order = pool.ordered();
    let rank: BTreeMap<usize, usize> = order.iter().enumerate().map(|(r, &s)| (s, r)).collect();
    let mut todo: Vec<usize> = order.into_iter().filter(|&s| live[s]).collect();
    todo.sort_by_key(|&s| (pool.slots[s].ids.len(), rank[&s]));
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out = vec![None; pool.slots.len()];
    let mut derived: Vec<usize> = Vec::new();
    for &s in &todo {
        let mut cands: Vec<&String> = pool.slots[s].ids.iter().collect();
        cands.sort_by(|a, b| natural::cmp(a, b));
        if let Some(c) = cands.into_iter().find(|c| !taken.contains(*c)) {
            taken.insert(c.clone());
            out[s] = Some(Id(c.clone()));
        } else {
            derived.push(s);
        }
    }
    for s in derived {
        let mut cands: Vec<&String> = pool.slots[s].ids.iter().collect();
        cands.sort_by(|a, b| natural::cmp(a, b));
        let base = cands.first().map(|c| c.as_str()).unwrap_or("ID");
        let fp = fingerprint(&pool.slots[s].key);
        let id = [8, 16, 64]
            .iter()
            .map(|&n| format!("{base}_{}", &fp[..n]))
            .find(|c| !taken.contains(c))
            .unwrap_or_else(|| format!("{base}_{fp}_{s}"));
        notes.push(format!(
            "{what} ID {base} names different content in the inputs; one copy is now {id}"
        ));
        taken.insert(id.clone());
        out[s] = Some(Id(id));
    }
    out
}

fn first_name(names: &BTreeSet<String>) -> Option<String> {
    names.iter().next().cloned()
}

fn sort_ids(v: &mut [Id]) {
    v.sort_by(|a, b| natural::cmp(a.as_str(), b.as_str()));
}

/// Canonical option order: Set-RuleOption number, then options without a number by text, then
/// text no schema knows.
pub(crate) fn option_order(a: &RuleOption, b: &RuleOption) -> std::cmp::Ordering {
    let rank = |r: &RuleOption| match r {
        RuleOption::Known(k) => (0, k.number().map_or(u16::MAX, u16::from), r.text().to_string()),
        RuleOption::Unknown(t) => (1, 0, t.clone()),
    };
    rank(a).cmp(&rank(b))
}

/// Canonical settings order: Provider, Key, ValueName compared ignoring ASCII case (as the binary
/// format sorts them), then exactly.
pub(crate) fn setting_order(a: &Setting, b: &Setting) -> std::cmp::Ordering {
    let lower = |s: &Setting| {
        (
            s.provider.to_ascii_lowercase(),
            s.key.to_ascii_lowercase(),
            s.value_name.to_ascii_lowercase(),
        )
    };
    lower(a)
        .cmp(&lower(b))
        .then_with(|| (&a.provider, &a.key, &a.value_name).cmp(&(&b.provider, &b.key, &b.value_name)))
}

fn setting_text(v: &SettingValue) -> String {
    match v {
        SettingValue::Boolean(b) => format!("Boolean {b}"),
        SettingValue::DWord(d) => format!("DWord {d}"),
        SettingValue::Binary(b) => format!("Binary {}", b.to_hex()),
        SettingValue::String(s) => format!("String \"{s}\""),
    }
}

/// Namespace for merged policy IDs (UUIDv5 of `urn:cipolicy:merge` in the URL namespace).
fn merge_namespace() -> Guid {
    Guid::v5(Guid(uuid::Uuid::NAMESPACE_URL), b"urn:cipolicy:merge")
}

/// The header of the merged policy: type, IDs, version, names.
fn merge_header(
    inputs: &[&Policy],
    opts: MergeOptions,
    out: &mut Policy,
    notes: &mut Vec<String>,
) -> Result<(), MergeError> {
    out.policy_id = None;
    out.base_policy_id = None;
    let types: Vec<PolicyType> = inputs.iter().map(|p| p.effective_type()).collect();
    let list = |f: &dyn Fn(PolicyType) -> bool| {
        types
            .iter()
            .enumerate()
            .filter(|(_, t)| f(**t))
            .map(|(i, t)| format!("input {} is {}", i + 1, t.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let has = |t: PolicyType| types.contains(&t);
    if has(PolicyType::AppIdTagging) && types.iter().any(|t| *t != PolicyType::AppIdTagging) {
        return Err(MergeError::TaggingMixed(list(&|_| true)));
    }
    if has(PolicyType::Base) && has(PolicyType::Supplemental) {
        if !opts.allow_mixed_types {
            return Err(MergeError::MixedTypes(list(&|_| true)));
        }
        notes.push(
            "base and supplemental inputs merged into a base policy; the supplementals' rules now belong to the \
             base (their Deny rules, which Windows ignores in supplementals, now take effect)"
                .into(),
        );
    }
    let result_type = if has(PolicyType::Base) {
        PolicyType::Base
    } else {
        types[0]
    };
    let primary: Vec<&Policy> = inputs
        .iter()
        .zip(&types)
        .filter(|(_, t)| **t == result_type)
        .map(|(p, _)| *p)
        .collect();

    let all_legacy = inputs.iter().all(|p| p.is_legacy());
    if all_legacy {
        let ids: BTreeSet<Guid> = inputs.iter().filter_map(|p| p.policy_type_id).collect();
        out.policy_type_id = ids.iter().next().copied();
        if ids.len() > 1 {
            notes.push(format!(
                "the legacy inputs have different PolicyTypeIDs; kept {}",
                ids.iter().next().expect("non-empty")
            ));
        }
    } else if inputs.iter().any(|p| p.is_legacy()) {
        notes.push("legacy single-policy-format inputs merged into a multiple-policy-format policy".into());
    }
    out.policy_type = if inputs.iter().any(|p| p.policy_type.is_some()) || !all_legacy {
        Some(result_type)
    } else {
        None
    };

    if !all_legacy {
        // A legacy input's PolicyTypeID is its ID in the multiple-policy format (the binary header
        // holds the same GUID either way).
        let pids: BTreeSet<Option<Guid>> = primary.iter().map(|p| p.policy_id.or(p.policy_type_id)).collect();
        // A legacy policy's GUID may be an in-box one (the driver block list's), which a
        // multiple-format PolicyID must not be: a format change gets a new ID too.
        let format_change = primary.iter().any(|p| p.is_legacy());
        let policy_id = if pids.len() <= 1 && !format_change {
            pids.into_iter().next().flatten()
        } else {
            let mut name = String::from("merge");
            for g in pids.iter().flatten() {
                name.push(':');
                name.push_str(&g.to_string());
            }
            let g = Guid::v5(merge_namespace(), name.as_bytes());
            let why = if format_change {
                "legacy single-format inputs merged into the multiple-policy format"
            } else {
                "the inputs have different PolicyIDs"
            };
            notes.push(format!(
                "{why}; the merged policy's PolicyID {g} is derived from the inputs' IDs (UUIDv5), so merging \
                 the same policies again gives the same ID"
            ));
            Some(g)
        };
        out.policy_id = policy_id;
        out.base_policy_id = match result_type {
            PolicyType::Supplemental => {
                let bases: BTreeSet<Option<Guid>> = primary.iter().map(|p| p.base_policy_id).collect();
                if bases.len() > 1 {
                    let text = bases
                        .iter()
                        .map(|b| b.map_or_else(|| "none".to_string(), |g| g.to_string()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(MergeError::DifferentBases(text));
                }
                bases.into_iter().next().flatten()
            }
            _ => policy_id,
        };
        if result_type == PolicyType::Base {
            for (i, p) in inputs.iter().enumerate() {
                if p.effective_type() == PolicyType::Supplemental && p.base_policy_id != policy_id {
                    notes.push(format!(
                        "input {} supplements {}, not the merged base",
                        i + 1,
                        p.base_policy_id
                            .map_or_else(|| "no base".to_string(), |g| g.to_string())
                    ));
                }
            }
        }
    }

    let platforms: BTreeSet<Option<Guid>> = inputs.iter().map(|p| p.platform_id).collect();
    out.platform_id = if platforms.len() == 1 {
        platforms.into_iter().next().flatten()
    } else {
        let standard: Guid = STANDARD_PLATFORM_ID.parse().expect("constant");
        if platforms.contains(&Some(standard)) {
            Some(standard)
        } else {
            platforms.into_iter().flatten().next()
        }
    };
    let names: BTreeSet<&String> = inputs.iter().filter_map(|p| p.friendly_name.as_ref()).collect();
    out.friendly_name = match names.len() {
        0 => None,
        _ => Some(names.into_iter().cloned().collect::<Vec<_>>().join(" + ")),
    };
    out.version_ex = inputs.iter().map(|p| p.version_ex).max().expect("non-empty");
    let hvci: Vec<u32> = inputs.iter().filter_map(|p| p.hvci_options).collect();
    out.hvci_options = (!hvci.is_empty()).then(|| hvci.iter().fold(0, |a, b| a | b));
    Ok(())
}

fn merge_options(inputs: &[&Policy], out: &mut Policy, notes: &mut Vec<String>) {
    let mut all: BTreeMap<String, (RuleOption, BTreeSet<usize>)> = BTreeMap::new();
    for (i, p) in inputs.iter().enumerate() {
        for r in &p.rules {
            all.entry(r.text().to_string())
                .or_insert_with(|| (r.clone(), BTreeSet::new()))
                .1
                .insert(i);
        }
    }
    let mut rules: Vec<RuleOption> = Vec::new();
    for (text, (r, from)) in all {
        if from.len() < inputs.len() {
            let lacking: Vec<String> = (0..inputs.len())
                .filter(|i| !from.contains(i))
                .map(|i| (i + 1).to_string())
                .collect();
            let num = r
                .known()
                .and_then(OptionKind::number)
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            notes.push(format!(
                "option {text}{num} is kept although input(s) {} do not set it",
                lacking.join(", ")
            ));
        }
        rules.push(r);
    }
    rules.sort_by(option_order);
    out.rules = rules;
}

fn merge_settings(inputs: &[&Policy], out: &mut Policy, notes: &mut Vec<String>) -> Result<(), MergeError> {
    let mut all: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    let mut values: BTreeMap<(String, String, String), Vec<SettingValue>> = BTreeMap::new();
    for p in inputs {
        for s in &p.settings {
            let k = (s.provider.clone(), s.key.clone(), s.value_name.clone());
            if all.entry(k.clone()).or_default().insert(setting_text(&s.value)) {
                values.entry(k).or_default().push(s.value.clone());
            }
        }
    }
    let mut settings = Vec::new();
    for (k, texts) in all {
        let vals = &values[&k];
        let value = if texts.len() == 1 {
            vals[0].clone()
        } else if k.0 == "PolicyInfo"
            && k.1 == "Information"
            && vals.iter().all(|v| matches!(v, SettingValue::String(_)))
        {
            let mut strs: Vec<&str> = vals
                .iter()
                .filter_map(|v| match v {
                    SettingValue::String(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            strs.sort_unstable();
            let joined = strs.join(" + ");
            notes.push(format!(
                "setting {}/{}/{} joins the inputs' values: \"{joined}\"",
                k.0, k.1, k.2
            ));
            SettingValue::String(joined)
        } else {
            return Err(MergeError::SettingConflict(
                format!("{}/{}/{}", k.0, k.1, k.2),
                texts.into_iter().collect::<Vec<_>>().join(" vs "),
            ));
        };
        settings.push(Setting {
            provider: k.0,
            key: k.1,
            value_name: k.2,
            value,
        });
    }
    settings.sort_by(setting_order);
    out.settings = settings;

    let mut macros: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in inputs {
        for m in &p.macros {
            macros.entry(m.id.clone()).or_default().insert(m.value.clone());
        }
    }
    for (id, vals) in macros {
        if vals.len() > 1 {
            return Err(MergeError::MacroConflict(
                id,
                vals.into_iter().collect::<Vec<_>>().join(" vs "),
            ));
        }
        let value = vals.into_iter().next().expect("non-empty");
        out.macros.push(Macro { id, value });
    }

    let mut apps: BTreeMap<String, crate::model::App> = BTreeMap::new();
    for p in inputs {
        for a in &p.app_settings {
            match apps.get(&a.manifest) {
                Some(have) if have != a => return Err(MergeError::AppSettingsConflict(a.manifest.clone())),
                Some(_) => {}
                None => {
                    apps.insert(a.manifest.clone(), a.clone());
                }
            }
        }
    }
    out.app_settings = apps.into_values().collect();
    Ok(())
}

/// Merges policies. See the [module docs](super) for the rules; the result does not depend on
/// the order of `inputs`, and merging a policy with itself gives the same result as merging it
/// alone.
pub fn merge(inputs: &[&Policy], opts: MergeOptions) -> Result<Merged, MergeError> {
    if inputs.is_empty() {
        return Err(MergeError::NoInput);
    }
    let mut notes = Vec::new();
    let mut out = Policy::new_base(Guid::NIL);
    merge_header(inputs, opts, &mut out, &mut notes)?;
    merge_options(inputs, &mut out, &mut notes);
    merge_settings(inputs, &mut out, &mut notes)?;

    let mut acc = Acc {
        ekus: Pool::new(),
        rules: Pool::new(),
        artifacts: Pool::new(),
        signers: Pool::new(),
        scenarios: BTreeMap::new(),
        update: BTreeSet::new(),
        supplemental: BTreeSet::new(),
        ci: BTreeSet::new(),
        input_counts: [0; 4],
    };
    for (i, p) in inputs.iter().enumerate() {
        acc.add_input(i + 1, p)?;
    }
    acc.drop_redundant();
    let live = liveness(&acc);

    let eku_ids = assign_ids(&acc.ekus, &live.ekus, "EKU", &mut notes);
    let rule_ids = assign_ids(&acc.rules, &live.rules, "file rule", &mut notes);
    let art_ids = assign_ids(&acc.artifacts, &live.artifacts, "artifact rule", &mut notes);
    let signer_ids = assign_ids(&acc.signers, &live.signers, "signer", &mut notes);
    let rid = |s: usize| rule_ids[s].clone().expect("referenced rules are live");
    let sid = |s: usize| signer_ids[s].clone().expect("referenced signers are live");

    if inputs.len() > 1 {
        let kept = [
            live.ekus.iter().filter(|l| **l).count(),
            live.rules.iter().filter(|l| **l).count(),
            live.signers.iter().filter(|l| **l).count(),
            live.artifacts.iter().filter(|l| **l).count(),
        ];
        let words = [
            ("EKU", "EKUs"),
            ("file rule", "file rules"),
            ("signer", "signers"),
            ("artifact rule", "artifact rules"),
        ];
        let collapsed: Vec<String> = (0..4)
            .filter(|&i| acc.input_counts[i] > kept[i])
            .map(|i| {
                let n = acc.input_counts[i] - kept[i];
                format!("{n} {}", if n == 1 { words[i].0 } else { words[i].1 })
            })
            .collect();
        if !collapsed.is_empty() {
            notes.push(format!("collapsed duplicates: {}", collapsed.join(", ")));
        }
    }

    for s in acc.ekus.ordered() {
        if let Some(id) = &eku_ids[s] {
            let slot = &acc.ekus.slots[s];
            out.ekus.push(Eku {
                id: id.clone(),
                value: slot.key.value.clone(),
                oid: slot.key.oid.clone(),
                friendly_name: first_name(&slot.names),
            });
        }
    }
    out.ekus.sort_by(|a, b| natural::cmp(a.id.as_str(), b.id.as_str()));

    for s in acc.rules.ordered() {
        let Some(id) = &rule_ids[s] else { continue };
        let slot = &acc.rules.slots[s];
        let k = &slot.key.0;
        let mut r = FileRule::new(k.kind, id.clone());
        r.friendly_name = first_name(&slot.names);
        r.file_name = k.file_name.clone();
        r.internal_name = k.internal_name.clone();
        r.file_description = k.file_description.clone();
        r.product_name = k.product_name.clone();
        r.package_family_name = k.package_family_name.clone();
        r.package_version = k.package_version;
        r.minimum_file_version = k.minimum_file_version;
        r.maximum_file_version = k.maximum_file_version;
        r.hash = k.hash.clone();
        r.app_ids = k.app_ids.clone();
        r.file_path = k.file_path.clone();
        r.hotpatch = Hotpatch {
            require_hotpatch_id: slot.extra.hotpatch.values().next().map(|slots| rid(pick(slots))),
            minimum_sequence: k.hotpatch_min,
            maximum_sequence: k.hotpatch_max,
        };
        out.file_rules.push(r);
    }
    out.file_rules
        .sort_by_cached_key(|r| (r.kind, natural::owned_key(r.id.as_str())));

    for s in acc.artifacts.ordered() {
        let Some(id) = &art_ids[s] else { continue };
        let slot = &acc.artifacts.slots[s];
        let k = &slot.key.0;
        out.artifact_rules.push(ArtifactRule {
            id: id.clone(),
            artifact_type: k.artifact_type,
            action: k.action,
            friendly_name: first_name(&slot.names),
            artifact_name: k.name.clone(),
            artifact_description: k.description.clone(),
            minimum_version: k.minimum_version,
            maximum_version: k.maximum_version,
            hash: k.hash.clone(),
        });
    }
    out.artifact_rules
        .sort_by(|a, b| natural::cmp(a.id.as_str(), b.id.as_str()));

    for s in acc.signers.ordered() {
        let Some(id) = &signer_ids[s] else { continue };
        let slot = &acc.signers.slots[s];
        let k = &slot.key.0;
        let mut sg = Signer::new(id.clone(), k.root.to_model());
        sg.name = first_name(&slot.names);
        sg.sign_time_after = k.sign_time_after;
        sg.cert_issuer = k.issuer.clone();
        sg.cert_publisher = k.publisher.clone();
        sg.cert_oem_id = k.oem_id.clone();
        // CertEKU conditions come from the key, IDs from the EKU slots (one slot per content).
        for (eku, except) in &k.ekus {
            let Ref::Found(ek) = eku else { continue };
            let e = acc.ekus.index[ek];
            sg.cert_ekus.push(crate::model::CertEku {
                id: eku_ids[e].clone().expect("referenced EKUs are live"),
                condition: except.then_some(crate::model::EkuCondition::Except),
            });
        }
        sg.cert_ekus.sort_by(|a, b| {
            natural::cmp(a.id.as_str(), b.id.as_str()).then_with(|| a.condition.is_some().cmp(&b.condition.is_some()))
        });
        sg.file_attrib_refs = slot.extra.attribs.values().map(|slots| rid(pick(slots))).collect();
        sort_ids(&mut sg.file_attrib_refs);
        sg.artifact_rule_refs = slot
            .extra
            .artifacts
            .values()
            .map(|slots| {
                art_ids[pick(slots)]
                    .clone()
                    .expect("referenced artifact rules are live")
            })
            .collect();
        sort_ids(&mut sg.artifact_rule_refs);
        out.signers.push(sg);
    }
    out.signers.sort_by(|a, b| natural::cmp(a.id.as_str(), b.id.as_str()));

    // Scenario IDs: same rule as items, keyed by scenario value.
    let mut scen_pool: Pool<u8, ()> = Pool::new();
    for (v, sc) in &acc.scenarios {
        for id in &sc.ids {
            scen_pool.add(*v, &Id(id.clone()), None, true);
        }
    }
    let scen_ids = assign_ids(
        &scen_pool,
        &vec![true; scen_pool.slots.len()],
        "signing scenario",
        &mut notes,
    );
    let scen_id = |v: u8| scen_ids[scen_pool.index[&v]].clone().expect("all scenarios live");
    let entries_to = |e: &Entries| -> Vec<(Id, Vec<Id>)> {
        let mut v: Vec<(Id, Vec<Id>)> = e
            .iter()
            .map(|(&s, ex)| {
                let mut x: Vec<Id> = ex.values().map(|slots| rid(pick(slots))).collect();
                sort_ids(&mut x);
                (sid(s), x)
            })
            .collect();
        v.sort_by(|a, b| natural::cmp(a.0.as_str(), b.0.as_str()));
        v
    };
    for (&v, sc) in acc.scenarios.iter().rev() {
        let mut s = SigningScenario::new(scen_id(v), v);
        s.friendly_name = first_name(&sc.names);
        s.inherited_scenarios = sc.inherited.iter().map(|&iv| scen_id(iv)).collect();
        sort_ids(&mut s.inherited_scenarios);
        s.minimum_hash_algorithm = if sc.min_hash.iter().all(Option::is_none) {
            None
        } else {
            sc.min_hash
                .iter()
                .map(|h| h.unwrap_or(DEFAULT_MINIMUM_HASH_ALGORITHM))
                .min()
        };
        for (g, ga) in &sc.groups {
            let allowed: Vec<AllowedSigner> = entries_to(&ga.allowed)
                .into_iter()
                .map(|(signer_id, except_deny_rules)| AllowedSigner {
                    signer_id,
                    except_deny_rules,
                })
                .collect();
            let denied: Vec<DeniedSigner> = entries_to(&ga.denied)
                .into_iter()
                .map(|(signer_id, except_allow_rules)| DeniedSigner {
                    signer_id,
                    except_allow_rules,
                })
                .collect();
            if *g == Group::Artifact {
                let mut refs: Vec<Id> = ga
                    .refs
                    .iter()
                    .map(|&a| art_ids[a].clone().expect("referenced artifact rules are live"))
                    .collect();
                sort_ids(&mut refs);
                s.artifact_signers = ArtifactSignerGroup {
                    allowed,
                    denied,
                    artifact_rules_ref: refs,
                };
            } else {
                let mut refs: Vec<Id> = ga.refs.iter().map(|&r| rid(r)).collect();
                sort_ids(&mut refs);
                let group = SignerGroup {
                    allowed,
                    denied,
                    file_rules_ref: refs,
                };
                match g {
                    Group::Product => s.product_signers = group,
                    Group::Test => s.test_signers = group,
                    _ => s.test_signing_signers = group,
                }
            }
        }
        if sc.tags_present {
            let enforce_dll = if sc.enforce_dll.contains(&Some(true)) {
                Some(true)
            } else if sc.enforce_dll.contains(&Some(false)) {
                Some(false)
            } else {
                None
            };
            s.app_id_tags = Some(AppIdTags {
                enforce_dll,
                tags: sc.tags.iter().cloned().collect(),
            });
        }
        out.signing_scenarios.push(s);
    }
    for (list, out_list) in [
        (&acc.update, &mut out.update_policy_signers),
        (&acc.supplemental, &mut out.supplemental_policy_signers),
        (&acc.ci, &mut out.ci_signers),
    ] {
        *out_list = list.iter().map(|&s| sid(s)).collect();
        sort_ids(out_list);
    }
    notes.sort();
    notes.dedup();
    Ok(Merged { policy: out, notes })
}
