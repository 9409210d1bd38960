//! [`BinPolicy`] → model: the decompiler. What the binary does not hold is regenerated
//! deterministically (IDs, names, macro names; see [`super::shared`]); defaults are omitted;
//! derived settings become options and AppIDTags again.
//!
//! The output compiles back to the same bytes: file rules (and artifact rules, and settings with
//! equal keys) are emitted in the order that the compiler's sort maps onto the binary's order
//! (see [`super::sort::preimage_order`]), and every field is written so that lowering it gives
//! the stored value.

use super::bin::*;
use super::lower::{ArtifactKey, artifact_key};
use super::shared::{self, MacroTable, SettingsBack};
use super::sort::{RuleKey, SortAlgorithm, preimage_order, setting_key};
use crate::model::{
    AllowedSigner, AppIdTags, ArtifactAction, ArtifactHashAlg, ArtifactRule, ArtifactSignerGroup, ArtifactType,
    BIT_ALWAYS, BIT_SUPPLEMENTAL, CertEku, CertRoot, DEFAULT_MINIMUM_HASH_ALGORITHM, DeniedSigner, Eku, EkuCondition,
    FileRule, FileRuleKind, Guid, HexBytes, Id, OptionKind, Policy, RuleOption, Setting, SettingValue, SignTime,
    Signer, SignerGroup, SigningScenario, Version,
};

/// Binary content the model cannot hold, with the structure it is in (turned into a
/// [`super::DecodeError`] with an offset by the caller).
#[derive(Debug)]
pub struct RaiseError {
    /// Structure path, as the reader names it.
    pub structure: String,
    /// What cannot be represented.
    pub message: String,
}

fn err(structure: &str, message: String) -> RaiseError {
    RaiseError {
        structure: structure.to_string(),
        message,
    }
}

/// The first `i` where `keys[i + 1] < keys[i]`.
fn first_descent<K: Ord>(keys: &[K]) -> Option<usize> {
    keys.windows(2).position(|w| w[0] > w[1])
}

/// Refuses a table whose sort keys go down somewhere: every compiler (ConvertFrom-CIPolicy and
/// this one) writes file rules, artifact rules and settings sorted, and a model has no way to ask
/// for another order, so no model compiles back to such a binary. `what` names the table in
/// messages, `item` as the reader names its elements.
fn check_sorted<K: Ord>(keys: &[K], what: &str, item: &str) -> Result<(), RaiseError> {
    match first_descent(keys) {
        Some(i) => Err(err(
            &format!("{item}[{}]", i + 1),
            format!(
                "{what} are not in sorted order (entry {} sorts before entry {i}), which no compiler writes and \
                 a policy cannot express",
                i + 1
            ),
        )),
        None => Ok(()),
    }
}

/// Refuses a FileRulesRef or ArtifactRulesRef list that is not ascending: every compiler writes
/// them sorted (duplicates kept), so no model compiles back to another order. `list` is the
/// list's structure path, as the reader names it.
fn check_ascending(indexes: &[u32], list: &str) -> Result<(), RaiseError> {
    match first_descent(indexes) {
        Some(i) => Err(err(
            list,
            format!(
                "rule references are not in ascending order (entry {} is rule {}, after rule {}), which no compiler \
                 writes and a policy cannot express",
                i + 1,
                indexes[i + 1],
                indexes[i]
            ),
        )),
        None => Ok(()),
    }
}

/// Refuses references to file rules of a kind the compiler refuses them to name (a FileAttribRef
/// to an Allow rule, an ExceptDenyRule to an Allow rule, a hot-patch to a Deny rule, …): a model
/// can hold them, but none that does compiles, so no policy compiles to such a binary.
fn check_rule_kinds(b: &BinPolicy) -> Result<(), RaiseError> {
    let name = |k: BinRuleType| match k {
        BinRuleType::Deny => "a Deny rule",
        BinRuleType::Allow => "an Allow rule",
        BinRuleType::FileAttrib => "a FileAttrib",
    };
    let want = |i: u32, kind: BinRuleType, structure: &dyn Fn() -> String, what: &str| {
        let found = b.file_rules[i as usize].kind;
        if found == kind {
            return Ok(());
        }
        Err(err(
            &structure(),
            format!(
                "{what} names file rule {i}, which is {} rather than {}",
                name(found),
                name(kind)
            ),
        ))
    };
    for (si, s) in b.signers.iter().enumerate() {
        for &i in &s.file_attrib_refs {
            let at = || format!("Signers[{si}].FileAttribRef");
            want(i, BinRuleType::FileAttrib, &at, "a signer's FileAttribRef")?;
        }
    }
    for (ci, sc) in b.scenarios.iter().enumerate() {
        let [p, t, ts] = &sc.groups;
        let groups = [
            ("", "ProductSigners", p),
            ("", "TestSigners", t),
            ("", "TestSigningSigners", ts),
            ("section 10: ", "ArtifactSigners", &sc.artifact_signers),
        ];
        for (section, group, g) in groups {
            for (list, refs, kind, what) in [
                ("AllowedSigners", &g.allowed, BinRuleType::Deny, "an ExceptDenyRule"),
                ("DeniedSigners", &g.denied, BinRuleType::Allow, "an ExceptAllowRule"),
            ] {
                for (j, r) in refs.iter().enumerate() {
                    for &i in &r.exceptions {
                        let at = || format!("{section}SigningScenarios[{ci}].{group}.{list}[{j}].Except");
                        want(i, kind, &at, what)?;
                    }
                }
            }
        }
    }
    let hotpatched = b
        .file_rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.hotpatch.map(|h| (i, h)));
    for (k, (i, h)) in hotpatched.enumerate() {
        let at = || format!("section 9: HotpatchEntries[{k}]");
        want(i as u32, BinRuleType::Allow, &at, "a hot-patch entry")?;
        want(h.target, BinRuleType::Allow, &at, "a RequireHotpatchID")?;
    }
    Ok(())
}

fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn nonzero(v: Version) -> Option<Version> {
    (v != Version::ZERO).then_some(v)
}

/// Rule options from the header flags. Every bit must be known and bit 31 set.
pub(crate) fn raise_options(bits: u32) -> Result<(Vec<OptionKind>, bool), RaiseError> {
    const AT: &str = "header.option flags";
    if bits & BIT_ALWAYS == 0 {
        return Err(err(
            AT,
            format!("option flags 0x{bits:08X} lack bit 31 (0x80000000), which every policy carries"),
        ));
    }
    let mut rest = bits & !(BIT_ALWAYS | BIT_SUPPLEMENTAL);
    let mut out = Vec::new();
    for o in OptionKind::ALL {
        if let Some(b) = o.bit()
            && rest & b != 0
        {
            out.push(*o);
            rest &= !b;
        }
    }
    if rest != 0 {
        return Err(err(AT, format!("option bit(s) 0x{rest:08X} have no known rule option")));
    }
    Ok((out, bits & BIT_SUPPLEMENTAL != 0))
}

pub(super) fn raise_setting(s: &BinSetting) -> Setting {
    Setting {
        provider: s.provider.clone(),
        key: s.key.clone(),
        value_name: s.value_name.clone(),
        value: match &s.value {
            BinSettingValue::Boolean(b) => SettingValue::Boolean(*b),
            BinSettingValue::DWord(v) => SettingValue::DWord(*v),
            BinSettingValue::Binary(v) => SettingValue::Binary(HexBytes(v.clone())),
            BinSettingValue::String(v) => SettingValue::String(v.clone()),
        },
    }
}

fn rule_key(r: &BinFileRule) -> RuleKey {
    RuleKey::new(
        r.kind as u32,
        [
            &r.file_name,
            &r.internal_name,
            &r.file_description,
            &r.product_name,
            &r.package_family_name,
            &r.file_path,
        ]
        .map(|s| (!s.is_empty()).then_some(s.as_str())),
        &r.hash,
    )
}

fn rule_keys(b: &BinPolicy) -> Vec<RuleKey> {
    b.file_rules.iter().map(rule_key).collect()
}

fn artifact_keys(b: &BinPolicy) -> Vec<ArtifactKey> {
    b.artifact_rules
        .iter()
        .map(|a| {
            artifact_key(
                a,
                (!a.name.is_empty()).then_some(&a.name),
                some(&a.description).as_deref(),
            )
        })
        .collect()
}

/// The binary index of each model file rule: model rule `j` is binary rule `rule_order(..)[j]`.
pub(super) fn rule_order(b: &BinPolicy, algo: SortAlgorithm) -> Vec<usize> {
    preimage_order(&rule_keys(b), algo)
}

/// [`rule_order`] for artifact rules.
pub(super) fn artifact_order(b: &BinPolicy, algo: SortAlgorithm) -> Vec<usize> {
    preimage_order(&artifact_keys(b), algo)
}

/// Binary → model.
pub fn raise(b: &BinPolicy, algo: SortAlgorithm) -> Result<Policy, RaiseError> {
    // Readers accept a larger terminator (a newer file read up to what they know), but every
    // compiler writes `format version + 1` and a model has no other to give.
    if b.end_tag != b.format_version + 1 {
        return Err(err(
            "end tag",
            format!(
                "the end tag is {} where format version {} ends with {}: a binary no compiler writes and a policy \
                 cannot express",
                b.end_tag,
                b.format_version,
                b.format_version + 1
            ),
        ));
    }
    let (mut options, supplemental) = raise_options(b.options)?;
    if let Some(app) = b.app_settings.first() {
        return Err(err(
            "section 8",
            format!(
                "AppSettings for app `{}` ({} apps): the policy model holds app settings only as the manifest reference, which the binary does not store",
                app.id,
                b.app_settings.len()
            ),
        ));
    }
    let v = b.format_version;
    check_rule_kinds(b)?;

    // File rules: IDs by binary position; model order = the sort's preimage.
    let rule_ids = shared::file_rule_ids(b.file_rules.iter().map(|r| r.kind as u32));
    let mut macros = MacroTable::default();
    let mut rules: Vec<FileRule> = Vec::with_capacity(b.file_rules.len());
    for (r, id) in b.file_rules.iter().zip(&rule_ids) {
        let kind = match r.kind {
            BinRuleType::Deny => FileRuleKind::Deny,
            BinRuleType::Allow => FileRuleKind::Allow,
            BinRuleType::FileAttrib => FileRuleKind::FileAttrib,
        };
        let mut m = FileRule::new(kind, id.clone());
        m.file_name = some(&r.file_name);
        let (min, max) = (r.minimum_version, r.maximum_version);
        // Inverse of the §4.2 minimum-version rule, so that lowering gives the stored values.
        (m.minimum_file_version, m.maximum_file_version) = match r.kind {
            BinRuleType::Deny if max == Version::ZERO && min == Version::MAX => (None, None),
            BinRuleType::Deny if max == Version::ZERO => (Some(min), None),
            _ => (nonzero(min), nonzero(max)),
        };
        m.hash = (!r.hash.is_empty()).then(|| HexBytes(r.hash.clone()));
        m.app_ids = macros.app_ids(&r.app_ids);
        m.internal_name = some(&r.internal_name);
        m.file_description = some(&r.file_description);
        m.product_name = some(&r.product_name);
        m.package_family_name = some(&r.package_family_name);
        m.package_version = nonzero(r.package_version);
        m.file_path = some(&r.file_path);
        rules.push(m);
    }
    let mut targets: Vec<Option<(u32, u32)>> = vec![None; rules.len()];
    for (i, r) in b.file_rules.iter().enumerate() {
        let Some(h) = r.hotpatch else { continue };
        let t = h.target as usize;
        let seq = (h.minimum_sequence, h.maximum_sequence);
        if targets[t].is_some_and(|s| s != seq) {
            return Err(err(
                "section 9",
                format!("two hot-patch entries give rule {t} different sequence ranges"),
            ));
        }
        targets[t] = Some(seq);
        rules[i].hotpatch.require_hotpatch_id = Some(rule_ids[t].clone());
    }
    for (r, t) in rules.iter_mut().zip(&targets) {
        if let Some((min, max)) = *t {
            r.hotpatch.minimum_sequence = (min != 0).then_some(min);
            r.hotpatch.maximum_sequence = (max != u32::MAX).then_some(max);
        }
    }
    let keys = rule_keys(b);
    check_sorted(&keys, "file rules", "FileRules")?;
    let mut slots: Vec<Option<FileRule>> = rules.into_iter().map(Some).collect();
    let file_rules: Vec<FileRule> = preimage_order(&keys, algo)
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect();

    // Artifact rules, likewise.
    let artifact_ids: Vec<Id> = (0..b.artifact_rules.len()).map(shared::artifact_id).collect();
    let mut artifacts = Vec::with_capacity(b.artifact_rules.len());
    for (a, id) in b.artifact_rules.iter().zip(&artifact_ids) {
        let alg = match a.hash.len() {
            0 => None,
            32 => Some(ArtifactHashAlg::Sha256),
            48 => Some(ArtifactHashAlg::Sha384),
            _ => Some(ArtifactHashAlg::Sha512),
        };
        artifacts.push(Some(ArtifactRule {
            id: id.clone(),
            artifact_type: if a.artifact_type == 0 {
                ArtifactType::Cim
            } else {
                ArtifactType::Catalog
            },
            action: if a.action == 0 {
                ArtifactAction::Deny
            } else {
                ArtifactAction::Allow
            },
            friendly_name: None,
            artifact_name: some(&a.name),
            artifact_description: some(&a.description),
            minimum_version: nonzero(a.minimum_version),
            maximum_version: (a.maximum_version != Version::MAX).then_some(a.maximum_version),
            hash: alg.map(|alg| (alg, HexBytes(a.hash.clone()))),
        }));
    }
    let akeys = artifact_keys(b);
    check_sorted(&akeys, "artifact rules", "section 10: ArtifactRules")?;
    let artifact_rules = preimage_order(&akeys, algo)
        .into_iter()
        .filter_map(|i| artifacts[i].take())
        .collect();

    // EKUs and signers.
    let ekus = b
        .ekus
        .iter()
        .enumerate()
        .map(|(i, e)| Eku {
            id: shared::eku_id(i),
            value: Some(HexBytes(e.clone())),
            oid: None,
            friendly_name: shared::eku_friendly_name(e),
        })
        .collect();
    let signer_ids: Vec<Id> = (0..b.signers.len()).map(shared::signer_id).collect();
    let signers = b
        .signers
        .iter()
        .zip(&signer_ids)
        .map(|(s, id)| {
            let (root, wk, tbs) = match &s.root {
                BinRoot::Tbs(v) => (CertRoot::Tbs(HexBytes(v.clone())), None, &v[..]),
                BinRoot::Wellknown(w) => (CertRoot::Wellknown(*w), Some(*w), &[][..]),
            };
            let mut m = Signer::new(id.clone(), root);
            m.name = Some(shared::signer_name(some(&s.publisher).as_deref(), wk, tbs));
            m.sign_time_after = (s.sign_time_after != 0).then_some(SignTime(s.sign_time_after));
            m.cert_ekus = s
                .ekus
                .iter()
                .map(|&e| CertEku {
                    id: shared::eku_id(e as usize),
                    condition: None,
                })
                .chain(s.except_ekus.iter().map(|&e| CertEku {
                    id: shared::eku_id(e as usize),
                    condition: Some(EkuCondition::Except),
                }))
                .collect();
            m.cert_issuer = some(&s.issuer);
            m.cert_publisher = some(&s.publisher);
            m.cert_oem_id = some(&s.oem_id);
            m.file_attrib_refs = s
                .file_attrib_refs
                .iter()
                .map(|&i| rule_ids[i as usize].clone())
                .collect();
            m.artifact_rule_refs = s
                .artifact_rule_refs
                .iter()
                .map(|&i| artifact_ids[i as usize].clone())
                .collect();
            m
        })
        .collect();
    let signer_list = |v: &[u32]| -> Vec<Id> { v.iter().map(|&i| signer_ids[i as usize].clone()).collect() };

    // Settings back into options / AppIDTags / the AppID Tagging type.
    let values: Vec<u8> = b.scenarios.iter().map(|s| s.value).collect();
    let tag_at = shared::tag_scenario(&values);
    let setting_keys: Vec<_> = b
        .settings
        .iter()
        .map(|s| setting_key(&s.provider, &s.key, &s.value_name))
        .collect();
    check_sorted(&setting_keys, "settings", "Settings")?;
    let SettingsBack {
        mut explicit,
        cert_remapping,
        default_policy,
        enforce_dll,
        tags,
    } = shared::settings_back(b.settings.iter().map(raise_setting).collect(), algo, tag_at.is_some());
    if cert_remapping.is_some() {
        options.push(OptionKind::DisabledDefaultWindowsCertificateRemapping);
    }
    let kind = shared::policy_kind(
        supplemental,
        default_policy,
        |o| options.contains(o),
        !b.ci_signers.is_empty(),
        !b.signers.is_empty(),
        &mut explicit,
    );

    // Scenarios.
    const GROUPS: [&str; 3] = ["ProductSigners", "TestSigners", "TestSigningSigners"];
    for (i, s) in b.scenarios.iter().enumerate() {
        for (group, name) in s.groups.iter().zip(GROUPS) {
            check_ascending(&group.rules, &format!("SigningScenarios[{i}].{name}.FileRulesRef"))?;
        }
        check_ascending(
            &s.artifact_signers.rules,
            &format!("section 10: SigningScenarios[{i}].ArtifactSigners.ArtifactRulesRef"),
        )?;
    }
    let scenario_ids = shared::scenario_ids(&values);
    // The signers of a group; `rules` are indices into whichever table the group refers to
    // (file rules for the three signer groups, artifact rules for the artifact signers).
    let group = |g: &BinSignerGroup, rules: &[Id]| SignerGroup {
        allowed: g
            .allowed
            .iter()
            .map(|a| AllowedSigner {
                signer_id: signer_ids[a.signer as usize].clone(),
                except_deny_rules: a.exceptions.iter().map(|&i| rule_ids[i as usize].clone()).collect(),
            })
            .collect(),
        denied: g
            .denied
            .iter()
            .map(|d| DeniedSigner {
                signer_id: signer_ids[d.signer as usize].clone(),
                except_allow_rules: d.exceptions.iter().map(|&i| rule_ids[i as usize].clone()).collect(),
            })
            .collect(),
        file_rules_ref: g.rules.iter().map(|&i| rules[i as usize].clone()).collect(),
    };
    let mut signing_scenarios: Vec<SigningScenario> = b
        .scenarios
        .iter()
        .zip(&scenario_ids)
        .map(|(s, id)| {
            let mut m = SigningScenario::new(id.clone(), s.value);
            m.inherited_scenarios = s.inherited.iter().map(|&i| scenario_ids[i as usize].clone()).collect();
            m.minimum_hash_algorithm =
                (s.minimum_hash_algorithm != DEFAULT_MINIMUM_HASH_ALGORITHM).then_some(s.minimum_hash_algorithm);
            let [p, t, ts] = &s.groups;
            m.product_signers = group(p, &rule_ids);
            m.test_signers = group(t, &rule_ids);
            m.test_signing_signers = group(ts, &rule_ids);
            let a = group(&s.artifact_signers, &artifact_ids);
            m.artifact_signers = ArtifactSignerGroup {
                allowed: a.allowed,
                denied: a.denied,
                artifact_rules_ref: a.file_rules_ref,
            };
            m
        })
        .collect();
    if let Some(at) = tag_at
        && (enforce_dll.is_some() || !tags.is_empty())
    {
        signing_scenarios[at].app_id_tags = Some(AppIdTags {
            enforce_dll: enforce_dll.map(|_| true),
            tags: tags
                .into_iter()
                .map(|s| match s.value {
                    SettingValue::String(v) => (s.value_name, v),
                    _ => (s.value_name, String::new()),
                })
                .collect(),
        });
    }

    let ids = (v >= 6).then_some((b.policy_id, b.base_policy_id));
    let identity = shared::identity(b.header_guid, ids, kind);
    Ok(Policy {
        friendly_name: None,
        policy_type: identity.policy_type,
        version_ex: b.version_ex,
        policy_type_id: identity.policy_type_id,
        platform_id: (b.platform_id != Guid::NIL).then_some(b.platform_id),
        policy_id: identity.policy_id,
        base_policy_id: identity.base_policy_id,
        rules: options.into_iter().map(RuleOption::Known).collect(),
        ekus,
        file_rules,
        artifact_rules,
        signers,
        signing_scenarios,
        update_policy_signers: signer_list(&b.update_policy_signers),
        ci_signers: signer_list(&b.ci_signers),
        hvci_options: (b.hvci_options != 0).then_some(b.hvci_options),
        settings: explicit,
        macros: macros.into_macros(),
        supplemental_policy_signers: signer_list(&b.supplemental_policy_signers),
        app_settings: Vec::new(),
    })
}
