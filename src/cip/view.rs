//! What survives a trip through the binary format, stated at the model level.

use std::collections::{BTreeMap, BTreeSet};

use super::CompileOptions;
use super::lower::artifact_key;
use super::shared::{self, APPID_TAGGING_OPTIONS, MacroTable, derived};
use super::sort::{RuleKey, preimage_order, setting_key, sort_permutation};
use crate::model::{
    Action, AppIdTags, ArtifactAction, ArtifactHashAlg, ArtifactRule, ArtifactSignerGroup, ArtifactType, CertEku,
    CertRoot, DEFAULT_MINIMUM_HASH_ALGORITHM, Eku, EkuCondition, FileRule, FileRuleKind, Guid, HexBytes, Hotpatch, Id,
    OptionKind, Policy, PolicyType, RuleOption, Setting, SettingValue, SignerGroup, Version, roots,
};

/// [`binary_view_with`] for the default [`CompileOptions`].
pub fn binary_view(p: &Policy) -> Policy {
    binary_view_with(p, &CompileOptions::default())
}

/// The policy as it comes back from its binary: for a policy that compiles with `opts`,
/// `decompile(compile(p)) == binary_view_with(p, opts)`.
///
/// The binary does not hold, so this replaces or drops:
///
/// * every `ID` (regenerated: `ID_ALLOW_A_n`, `ID_DENY_D_n`, `ID_FILEATTRIB_F_n`, `ID_SIGNER_S_n`,
///   `ID_EKU_E_n`, `ID_SIGNINGSCENARIO_KMCI`/`_UMCI`, `ID_ARTIFACT_R_n`) and every reference's
///   spelling;
/// * every `FriendlyName` (EKUs get the description of a known EKU), `Signer/@Name` (regenerated
///   from the publisher or root), `SiPolicy/@FriendlyName`, comments;
/// * macro names (`AppIDs` macros become `AppID_n`; a single plain value stays literal) and
///   unused macros;
/// * rule option order, repeats and unknown option texts;
/// * the `FileRule Type=…` spelling (becomes Allow, Deny or FileAttrib), EKU `OID` (becomes
///   `Value`), the hash algorithm element of artifact rules (inferred from the digest length);
/// * empty attribute values (same as absent) and defaults: version 0.0.0.0, a Deny's all-ones
///   minimum, artifact maximum 65535.65535.65535.65535, `MinimumHashAlgorithm` 0x800C,
///   `HvciOptions` 0, an all-zero PlatformID, `EnforceDLL="false"`, `SignTimeAfter` at tick 0;
/// * document order of file rules, artifact rules and settings (replaced by an order that sorts
///   to the binary's), FileRulesRef/ArtifactRulesRef order (ascending), and the position of
///   conditional CertEKUs among the others (they come last);
/// * which scenario AppIDTags were on (all go to the first user-mode scenario);
/// * hot-patch sequence ranges on rules that no `RequireHotpatchID` names;
/// * the form of the identity: PolicyTypeID vs. PolicyID/BasePolicyID and `PolicyType` are
///   re-derived from the header GUID, section 6 and bit 30 (the legacy form for Microsoft's fixed
///   policy type GUIDs);
/// * AppSettings (which cannot be compiled at all).
///
/// Behaviour is unspecified for a policy that does not compile.
pub fn binary_view_with(p: &Policy, opts: &CompileOptions) -> Policy {
    let algo = opts.sort;
    let input_kind = p.effective_type();

    // Options as a set.
    let mut options: BTreeSet<OptionKind> = p.rules.iter().filter_map(RuleOption::known).collect();
    if input_kind == PolicyType::AppIdTagging {
        options.extend(APPID_TAGGING_OPTIONS);
    }
    let cert_remapping = options.remove(&OptionKind::DisabledDefaultWindowsCertificateRemapping);

    // File rules in binary order.
    let model_key = |r: &FileRule| {
        RuleKey::new(
            action_code(r.kind.action()),
            [
                &r.file_name,
                &r.internal_name,
                &r.file_description,
                &r.product_name,
                &r.package_family_name,
                &r.file_path,
            ]
            .map(|s| s.as_deref()),
            r.hash.as_ref().map_or(&[][..], |h| &h.0),
        )
    };
    let keys: Vec<RuleKey> = p.file_rules.iter().map(model_key).collect();
    let sorted: Vec<&FileRule> = sort_permutation(&keys, algo)
        .into_iter()
        .map(|i| &p.file_rules[i])
        .collect();
    let new_rule_ids = shared::file_rule_ids(sorted.iter().map(|r| action_code(r.kind.action())));
    let rule_pos: BTreeMap<&str, usize> = sorted.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let rule_id = |id: &Id| {
        rule_pos
            .get(id.as_str())
            .map_or_else(|| id.clone(), |&i| new_rule_ids[i].clone())
    };
    let macro_values: BTreeMap<&str, &str> = p.macros.iter().map(|m| (m.id.as_str(), m.value.as_str())).collect();
    let mut macros = MacroTable::default();
    let mut rules: Vec<FileRule> = Vec::with_capacity(sorted.len());
    let mut targets: Vec<Option<&Hotpatch>> = vec![None; sorted.len()];
    for (r, id) in sorted.iter().zip(&new_rule_ids) {
        let action = r.kind.action();
        let mut m = FileRule::new(
            match action {
                Action::Deny => FileRuleKind::Deny,
                Action::Allow => FileRuleKind::Allow,
                Action::Attribute => FileRuleKind::FileAttrib,
            },
            id.clone(),
        );
        m.file_name = nonempty(&r.file_name);
        m.internal_name = nonempty(&r.internal_name);
        m.file_description = nonempty(&r.file_description);
        m.product_name = nonempty(&r.product_name);
        m.package_family_name = nonempty(&r.package_family_name);
        m.file_path = nonempty(&r.file_path);
        m.package_version = r.package_version.filter(|v| *v != Version::ZERO);
        m.hash = r.hash.clone().filter(|h| !h.is_empty());
        let nz = |v: Option<Version>| v.filter(|v| *v != Version::ZERO);
        (m.minimum_file_version, m.maximum_file_version) = match action {
            Action::Deny => {
                // What the minimum/maximum slots hold (§4.2, §5.1) and how they read back.
                let min_slot = match (r.minimum_file_version, r.maximum_file_version) {
                    (None, None) => Version::MAX,
                    (min, _) => min.unwrap_or(Version::ZERO),
                };
                match r.maximum_file_version.unwrap_or(Version::ZERO) {
                    Version::ZERO if min_slot == Version::MAX => (None, None),
                    Version::ZERO => (Some(min_slot), None),
                    max => (nz(Some(min_slot)), Some(max)),
                }
            }
            _ => (nz(r.minimum_file_version), nz(r.maximum_file_version)),
        };
        m.app_ids = macros.app_ids(&expand(r.app_ids.as_deref(), &macro_values));
        if let Some(t) = &r.hotpatch.require_hotpatch_id {
            m.hotpatch.require_hotpatch_id = Some(rule_id(t));
            if let Some(&ti) = rule_pos.get(t.as_str()) {
                targets[ti] = Some(&sorted[ti].hotpatch);
            }
        }
        rules.push(m);
    }
    for (m, t) in rules.iter_mut().zip(targets) {
        if let Some(h) = t {
            m.hotpatch.minimum_sequence = h.minimum_sequence.filter(|&s| s != 0);
            m.hotpatch.maximum_sequence = h.maximum_sequence.filter(|&s| s != u32::MAX);
        }
    }
    let norm_keys: Vec<RuleKey> = rules.iter().map(model_key).collect();
    let mut slots: Vec<Option<FileRule>> = rules.into_iter().map(Some).collect();
    let file_rules = preimage_order(&norm_keys, algo)
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect();

    // Artifact rules in binary order.
    let art_bin = |a: &ArtifactRule| super::bin::BinArtifactRule {
        artifact_type: (a.artifact_type == ArtifactType::Catalog) as u32,
        action: (a.action == ArtifactAction::Allow) as u32,
        name: a.artifact_name.clone().unwrap_or_default(),
        description: a.artifact_description.clone().unwrap_or_default(),
        minimum_version: a.minimum_version.unwrap_or(Version::ZERO),
        maximum_version: a.maximum_version.unwrap_or(Version::MAX),
        hash: a.hash.as_ref().map(|(_, h)| h.0.clone()).unwrap_or_default(),
    };
    let akeys: Vec<_> = p
        .artifact_rules
        .iter()
        .map(|a| {
            artifact_key(
                &art_bin(a),
                a.artifact_name.as_deref(),
                a.artifact_description.as_deref(),
            )
        })
        .collect();
    let asorted: Vec<&ArtifactRule> = sort_permutation(&akeys, algo)
        .into_iter()
        .map(|i| &p.artifact_rules[i])
        .collect();
    let art_pos: BTreeMap<&str, usize> = asorted.iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
    let art_id = |id: &Id| {
        art_pos
            .get(id.as_str())
            .map_or_else(|| id.clone(), |&i| shared::artifact_id(i))
    };
    let arts: Vec<ArtifactRule> = asorted
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let h = a.hash.as_ref().map(|(_, h)| h.clone()).filter(|h| !h.is_empty());
            ArtifactRule {
                id: shared::artifact_id(i),
                artifact_type: a.artifact_type,
                action: a.action,
                friendly_name: None,
                artifact_name: nonempty(&a.artifact_name),
                artifact_description: nonempty(&a.artifact_description),
                minimum_version: a.minimum_version.filter(|v| *v != Version::ZERO),
                maximum_version: a.maximum_version.filter(|v| *v != Version::MAX),
                hash: h.map(|h| {
                    let alg = match h.len() {
                        32 => ArtifactHashAlg::Sha256,
                        48 => ArtifactHashAlg::Sha384,
                        _ => ArtifactHashAlg::Sha512,
                    };
                    (alg, h)
                }),
            }
        })
        .collect();
    let nkeys: Vec<_> = arts
        .iter()
        .map(|a| {
            artifact_key(
                &art_bin(a),
                a.artifact_name.as_deref(),
                a.artifact_description.as_deref(),
            )
        })
        .collect();
    let mut aslots: Vec<Option<ArtifactRule>> = arts.into_iter().map(Some).collect();
    let artifact_rules = preimage_order(&nkeys, algo)
        .into_iter()
        .filter_map(|i| aslots[i].take())
        .collect();

    // EKUs and signers keep their order.
    let eku_pos: BTreeMap<&str, usize> = p.ekus.iter().enumerate().map(|(i, e)| (e.id.as_str(), i)).collect();
    let eku_id = |id: &Id| {
        eku_pos
            .get(id.as_str())
            .map_or_else(|| id.clone(), |&i| shared::eku_id(i))
    };
    let ekus = p
        .ekus
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let value = e
                .value
                .clone()
                .or_else(|| e.oid.as_deref().and_then(roots::eku_value_from_oid).map(HexBytes));
            Eku {
                id: shared::eku_id(i),
                friendly_name: value.as_ref().and_then(|v| shared::eku_friendly_name(&v.0)),
                value,
                oid: None,
            }
        })
        .collect();
    let signer_pos: BTreeMap<&str, usize> = p.signers.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let signer_id = |id: &Id| {
        signer_pos
            .get(id.as_str())
            .map_or_else(|| id.clone(), |&i| shared::signer_id(i))
    };
    let signers = p
        .signers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut m = s.clone();
            m.id = shared::signer_id(i);
            m.cert_issuer = nonempty(&s.cert_issuer);
            m.cert_publisher = nonempty(&s.cert_publisher);
            m.cert_oem_id = nonempty(&s.cert_oem_id);
            let (wk, tbs) = match &s.cert_root {
                CertRoot::Tbs(v) => (None, &v.0[..]),
                CertRoot::Wellknown(w) => (Some(*w), &[][..]),
            };
            m.name = Some(shared::signer_name(m.cert_publisher.as_deref(), wk, tbs));
            m.sign_time_after = s.sign_time_after.filter(|t| t.0 != 0);
            let (plain, except): (Vec<&CertEku>, Vec<&CertEku>) =
                s.cert_ekus.iter().partition(|e| e.condition.is_none());
            m.cert_ekus = plain
                .into_iter()
                .chain(except)
                .map(|e| CertEku {
                    id: eku_id(&e.id),
                    condition: e.condition.map(|_| EkuCondition::Except),
                })
                .collect();
            m.file_attrib_refs = s.file_attrib_refs.iter().map(&rule_id).collect();
            m.artifact_rule_refs = s.artifact_rule_refs.iter().map(&art_id).collect();
            m
        })
        .collect();
    let signer_list = |v: &[Id]| v.iter().map(&signer_id).collect::<Vec<Id>>();
    let mut ci_signers = signer_list(&p.ci_signers);
    if input_kind == PolicyType::AppIdTagging && ci_signers.is_empty() {
        ci_signers = (0..p.signers.len()).map(shared::signer_id).collect();
    }

    // Settings: the compiler's merged list in sorted order, then split as the decompiler does.
    let mut merged: Vec<Setting> = Vec::new();
    let boolean = |k: &str, v: &str| Setting {
        provider: if k == derived::POLICY_SETTINGS {
            derived::MS_PROVIDER
        } else {
            derived::APPID_PROVIDER
        }
        .into(),
        key: k.into(),
        value_name: v.into(),
        value: SettingValue::Boolean(true),
    };
    if input_kind == PolicyType::AppIdTagging {
        merged.push(boolean(derived::TAGGING_SETTINGS, derived::DEFAULT_POLICY));
    }
    for sc in &p.signing_scenarios {
        if let Some(t) = &sc.app_id_tags {
            if t.enforce_dll == Some(true) {
                merged.push(boolean(derived::TAGGING_SETTINGS, derived::ENFORCE_DLL));
            }
            merged.extend(t.tags.iter().map(|(k, v)| Setting {
                provider: derived::APPID_PROVIDER.into(),
                key: derived::TAGGING.into(),
                value_name: k.clone(),
                value: SettingValue::String(v.clone()),
            }));
        }
    }
    merged.extend(p.settings.iter().cloned());
    if cert_remapping {
        merged.push(boolean(derived::POLICY_SETTINGS, derived::CERT_REMAPPING));
    }
    let skeys: Vec<_> = merged
        .iter()
        .map(|s| setting_key(&s.provider, &s.key, &s.value_name))
        .collect();
    let sorted_settings: Vec<Setting> = sort_permutation(&skeys, algo)
        .into_iter()
        .map(|i| merged[i].clone())
        .collect();
    let values: Vec<u8> = p.signing_scenarios.iter().map(|s| s.value).collect();
    let tag_at = shared::tag_scenario(&values);
    let back = shared::settings_back(sorted_settings, algo, tag_at.is_some());
    let mut explicit = back.explicit;
    let mut option_list: Vec<OptionKind> = OptionKind::ALL
        .iter()
        .copied()
        .filter(|o| options.contains(o) && o.bit().is_some())
        .collect();
    if back.cert_remapping.is_some() {
        option_list.push(OptionKind::DisabledDefaultWindowsCertificateRemapping);
    }
    let supplemental = input_kind == PolicyType::Supplemental;
    let kind = shared::policy_kind(
        supplemental,
        back.default_policy,
        |o| options.contains(o),
        !ci_signers.is_empty(),
        !p.signers.is_empty(),
        &mut explicit,
    );

    // Scenarios.
    let scenario_ids = shared::scenario_ids(&values);
    let scen_pos: BTreeMap<&str, usize> = p
        .signing_scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let group = |g: &SignerGroup| {
        let mut refs: Vec<&Id> = g.file_rules_ref.iter().collect();
        refs.sort_by_key(|id| rule_pos.get(id.as_str()).copied().unwrap_or(usize::MAX));
        SignerGroup {
            allowed: g
                .allowed
                .iter()
                .map(|a| crate::model::AllowedSigner {
                    signer_id: signer_id(&a.signer_id),
                    except_deny_rules: a.except_deny_rules.iter().map(&rule_id).collect(),
                })
                .collect(),
            denied: g
                .denied
                .iter()
                .map(|d| crate::model::DeniedSigner {
                    signer_id: signer_id(&d.signer_id),
                    except_allow_rules: d.except_allow_rules.iter().map(&rule_id).collect(),
                })
                .collect(),
            file_rules_ref: refs.into_iter().map(&rule_id).collect(),
        }
    };
    let mut signing_scenarios: Vec<_> = p
        .signing_scenarios
        .iter()
        .zip(&scenario_ids)
        .map(|(s, id)| {
            let mut m = crate::model::SigningScenario::new(id.clone(), s.value);
            m.inherited_scenarios = s
                .inherited_scenarios
                .iter()
                .map(|i| {
                    scen_pos
                        .get(i.as_str())
                        .map_or_else(|| i.clone(), |&k| scenario_ids[k].clone())
                })
                .collect();
            m.minimum_hash_algorithm = s
                .minimum_hash_algorithm
                .filter(|&a| a != DEFAULT_MINIMUM_HASH_ALGORITHM);
            m.product_signers = group(&s.product_signers);
            m.test_signers = group(&s.test_signers);
            m.test_signing_signers = group(&s.test_signing_signers);
            let a = &s.artifact_signers;
            let g = group(&SignerGroup {
                allowed: a.allowed.clone(),
                denied: a.denied.clone(),
                file_rules_ref: Vec::new(),
            });
            let mut arefs: Vec<&Id> = a.artifact_rules_ref.iter().collect();
            arefs.sort_by_key(|id| art_pos.get(id.as_str()).copied().unwrap_or(usize::MAX));
            m.artifact_signers = ArtifactSignerGroup {
                allowed: g.allowed,
                denied: g.denied,
                artifact_rules_ref: arefs.into_iter().map(&art_id).collect(),
            };
            m
        })
        .collect();
    if let Some(at) = tag_at
        && (back.enforce_dll.is_some() || !back.tags.is_empty())
    {
        signing_scenarios[at].app_id_tags = Some(AppIdTags {
            enforce_dll: back.enforce_dll.map(|_| true),
            tags: back
                .tags
                .into_iter()
                .map(|s| match s.value {
                    SettingValue::String(v) => (s.value_name, v),
                    _ => (s.value_name, String::new()),
                })
                .collect(),
        });
    }

    // Identity.
    let header = p
        .policy_type_id
        .or(p.base_policy_id)
        .or(p.policy_id)
        .unwrap_or(Guid::NIL);
    let pid = p.policy_id.or(p.policy_type_id).or(p.base_policy_id).unwrap_or(header);
    let bid = p.base_policy_id.or(p.policy_id).or(p.policy_type_id).unwrap_or(header);
    let identity = shared::identity(header, (opts.format_version >= 6).then_some((pid, bid)), kind);

    Policy {
        friendly_name: None,
        policy_type: identity.policy_type,
        version_ex: p.version_ex,
        policy_type_id: identity.policy_type_id,
        platform_id: p.platform_id.filter(|g| *g != Guid::NIL),
        policy_id: identity.policy_id,
        base_policy_id: identity.base_policy_id,
        rules: option_list.into_iter().map(RuleOption::Known).collect(),
        ekus,
        file_rules,
        artifact_rules,
        signers,
        signing_scenarios,
        update_policy_signers: signer_list(&p.update_policy_signers),
        ci_signers,
        hvci_options: p.hvci_options.filter(|&h| h != 0),
        settings: explicit,
        macros: macros.into_macros(),
        supplemental_policy_signers: signer_list(&p.supplemental_policy_signers),
        app_settings: Vec::new(),
    }
}

fn action_code(a: Action) -> u32 {
    match a {
        Action::Deny => 0,
        Action::Allow => 1,
        Action::Attribute => 2,
    }
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.is_empty())
}

/// The stored AppID strings of an `AppIDs` value (a literal, or `$(Id)` runs of macro values).
fn expand(value: Option<&str>, macros: &BTreeMap<&str, &str>) -> Vec<String> {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Vec::new();
    };
    if !v.starts_with('$') {
        return vec![v.to_string()];
    }
    v.split("$(")
        .filter(|part| !part.is_empty())
        .map(|part| {
            let name = part.strip_suffix(')').unwrap_or(part);
            macros.get(name).map_or_else(String::new, |m| m.to_string())
        })
        .collect()
}
