//! Model → [`BinPolicy`]: everything ConvertFrom-CIPolicy decides (cip-format.md §3–§8).

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use super::CompileOptions;
use super::bin::*;
use super::error::{CompileError, CompileWarning};
use super::shared::{APPID_TAGGING_OPTIONS, derived};
use super::sort::{RuleKeys, fold, setting_key, sort_permutation};
use crate::model::{
    Action, ArtifactAction, ArtifactType, BIT_ALWAYS, BIT_SUPPLEMENTAL, CertRoot, DEFAULT_MINIMUM_HASH_ALGORITHM,
    EkuCondition, FileRule, Guid, Id, OptionKind, Policy, PolicyType, RuleOption, Setting, SettingValue, SignerGroup,
    Version, roots,
};

type R<T> = Result<T, CompileError>;

struct Ctx<'a> {
    version: u32,
    warnings: Vec<CompileWarning>,
    policy: &'a Policy,
}

impl Ctx<'_> {
    fn need(&self, needs: u32, what: impl FnOnce() -> String) -> R<()> {
        if self.version < needs {
            return Err(CompileError::NotExpressible {
                what: what(),
                needs,
                version: self.version,
            });
        }
        Ok(())
    }
}

/// IDs of one namespace → array indexes. Only looked up, never iterated, so a hash map's order
/// cannot reach the output (and a large policy has thousands of rule IDs).
type IdIndex<'a> = HashMap<&'a str, u32>;

/// Maps the IDs of one namespace to array indexes, refusing duplicates.
fn index_map<'a>(what: &'static str, ids: impl ExactSizeIterator<Item = (&'a Id, u32)>) -> R<IdIndex<'a>> {
    let mut m = IdIndex::with_capacity(ids.len());
    for (id, i) in ids {
        if m.insert(id.as_str(), i).is_some() {
            return Err(CompileError::DuplicateId { what, id: id.clone() });
        }
    }
    Ok(m)
}

fn resolve(map: &IdIndex<'_>, id: &Id, from: impl FnOnce() -> String, expected: &'static str) -> R<u32> {
    map.get(id.as_str())
        .copied()
        .ok_or_else(|| CompileError::UnresolvedReference {
            from: from(),
            id: id.clone(),
            expected,
        })
}

fn count_u32(n: usize, what: &'static str) -> R<()> {
    u32::try_from(n).map(|_| ()).map_err(|_| CompileError::TooMany(what))
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Deny => "a Deny rule",
        Action::Allow => "an Allow rule",
        Action::Attribute => "a FileAttrib rule",
    }
}

fn type_code(a: Action) -> BinRuleType {
    match a {
        Action::Deny => BinRuleType::Deny,
        Action::Allow => BinRuleType::Allow,
        Action::Attribute => BinRuleType::FileAttrib,
    }
}

/// Expands `AppIDs`: a literal is one value; `$(A)$(B)…` is the macros' values in order.
fn expand_app_ids(rule: &FileRule, macros: &BTreeMap<&str, &str>) -> R<Vec<String>> {
    let Some(value) = rule.app_ids.as_deref().filter(|v| !v.is_empty()) else {
        return Ok(Vec::new());
    };
    if !value.starts_with('$') {
        return Ok(vec![value.to_string()]);
    }
    let bad = |reason: String| CompileError::BadAppIds {
        rule: rule.id.clone(),
        value: value.to_string(),
        reason,
    };
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let inner = rest
            .strip_prefix("$(")
            .ok_or_else(|| bad("a value starting with `$` must be a run of $(MacroId) references".into()))?;
        let end = inner
            .find(')')
            .ok_or_else(|| bad("a `$(` is not closed by `)`".into()))?;
        let name = &inner[..end];
        let v = macros
            .get(name)
            .ok_or_else(|| bad(format!("macro `{name}` is not defined in <Macros>")))?;
        out.push((*v).to_string());
        rest = &inner[end + 1..];
    }
    Ok(out)
}

/// Model → binary structures.
pub fn lower(p: &Policy, opts: &CompileOptions) -> R<(BinPolicy, Vec<CompileWarning>)> {
    let version = opts.format_version;
    if !(MIN_FORMAT_VERSION..=MAX_FORMAT_VERSION).contains(&version) {
        return Err(CompileError::UnsupportedVersion(version));
    }
    let mut cx = Ctx {
        version,
        warnings: Vec::new(),
        policy: p,
    };
    let kind = p.effective_type();

    // Identity (§3, §5.4).
    let header_guid = p
        .policy_type_id
        .or(p.base_policy_id)
        .or(p.policy_id)
        .ok_or(CompileError::NoPolicyId)?;
    let policy_id = p
        .policy_id
        .or(p.policy_type_id)
        .or(p.base_policy_id)
        .unwrap_or(header_guid);
    let base_policy_id = p
        .base_policy_id
        .or(p.policy_id)
        .or(p.policy_type_id)
        .unwrap_or(header_guid);
    if version < 6 {
        if kind == PolicyType::Supplemental {
            cx.need(6, || "a supplemental policy".into())?;
        }
        if policy_id != header_guid || base_policy_id != header_guid {
            cx.need(6, || {
                format!(
                    "PolicyID {policy_id} / BasePolicyID {base_policy_id} differing from the header GUID {header_guid}"
                )
            })?;
        }
    }

    // Options (§3.1).
    let mut options = BIT_ALWAYS;
    let mut cert_remapping = false;
    for r in &p.rules {
        match r {
            RuleOption::Known(k) => match k.bit() {
                Some(b) => options |= b,
                None => cert_remapping = true,
            },
            RuleOption::Unknown(s) => cx.warnings.push(CompileWarning::UnknownOptionDropped(s.clone())),
        }
    }
    if kind == PolicyType::Supplemental {
        options |= BIT_SUPPLEMENTAL;
    }
    if kind == PolicyType::AppIdTagging {
        options |= APPID_TAGGING_OPTIONS
            .iter()
            .filter_map(|o| o.bit())
            .fold(0, |a, b| a | b);
    }

    let macros: BTreeMap<&str, &str> = {
        let mut m = BTreeMap::new();
        for mac in &p.macros {
            if m.insert(mac.id.as_str(), mac.value.as_str()).is_some() {
                return Err(CompileError::DuplicateId {
                    what: "macros",
                    id: Id(mac.id.clone()),
                });
            }
        }
        m
    };

    // EKUs (§4.1).
    count_u32(p.ekus.len(), "EKUs")?;
    let eku_index = index_map("EKUs", p.ekus.iter().enumerate().map(|(i, e)| (&e.id, i as u32)))?;
    let mut ekus = Vec::with_capacity(p.ekus.len());
    for e in &p.ekus {
        let value = match (&e.value, &e.oid) {
            (Some(v), _) => v.0.clone(),
            (None, Some(oid)) => roots::eku_value_from_oid(oid).ok_or_else(|| CompileError::EkuWithoutValue {
                id: e.id.clone(),
                oid: Some(oid.clone()),
            })?,
            (None, None) => {
                return Err(CompileError::EkuWithoutValue {
                    id: e.id.clone(),
                    oid: None,
                });
            }
        };
        ekus.push(value);
    }

    // File rules (§4.2, §5, §7).
    count_u32(p.file_rules.len(), "file rules")?;
    let mut keys = RuleKeys::with_capacity(p.file_rules.len());
    for r in &p.file_rules {
        keys.push(
            type_code(r.kind.action()) as u32,
            [
                r.file_name.as_deref(),
                r.internal_name.as_deref(),
                r.file_description.as_deref(),
                r.product_name.as_deref(),
                r.package_family_name.as_deref(),
                r.file_path.as_deref(),
            ],
            r.hash.as_ref().map_or(&[][..], |h| &h.0),
        );
    }
    let perm = keys.sort_permutation(opts.sort);
    drop(keys);
    let sorted: Vec<&FileRule> = perm.iter().map(|&i| &p.file_rules[i]).collect();
    let rule_index = index_map("file rules", sorted.iter().enumerate().map(|(i, r)| (&r.id, i as u32)))?;
    let mut file_rules = Vec::with_capacity(sorted.len());
    for r in &sorted {
        file_rules.push(lower_rule(&mut cx, r, &macros)?);
    }
    lower_hotpatches(&mut cx, &sorted, &rule_index, &mut file_rules)?;
    let rule_action = |i: u32| sorted[i as usize].kind.action();

    // Signers (§4.3, sections 3, 10, 11).
    count_u32(p.signers.len(), "signers")?;
    let signer_index = index_map("signers", p.signers.iter().enumerate().map(|(i, s)| (&s.id, i as u32)))?;
    let artifact_rules = lower_artifacts(&mut cx, opts)?;
    let artifact_index = index_map(
        "artifact rules",
        artifact_rules.1.iter().enumerate().map(|(i, id)| (*id, i as u32)),
    )?;
    let mut signers = Vec::with_capacity(p.signers.len());
    for s in &p.signers {
        let here = |what: &str| format!("Signer `{}` {what}", s.id);
        let mut b = BinSigner::new(match &s.cert_root {
            CertRoot::Tbs(v) => BinRoot::Tbs(v.0.clone()),
            CertRoot::Wellknown(id) => BinRoot::Wellknown(*id),
        });
        for e in &s.cert_ekus {
            let i = resolve(&eku_index, &e.id, || here("CertEKU"), "an EKU")?;
            match e.condition {
                None => b.ekus.push(i),
                Some(EkuCondition::Except) => {
                    cx.need(11, || here("CertEKU with Condition=\"Except\""))?;
                    b.except_ekus.push(i);
                }
            }
        }
        b.issuer = opt(&s.cert_issuer);
        b.publisher = opt(&s.cert_publisher);
        b.oem_id = opt(&s.cert_oem_id);
        for f in &s.file_attrib_refs {
            let i = resolve(&rule_index, f, || here("FileAttribRef"), "a file rule")?;
            check_kind(|| here("FileAttribRef"), f, rule_action(i), Action::Attribute)?;
            b.file_attrib_refs.push(i);
        }
        if let Some(t) = s.sign_time_after {
            cx.need(3, || here("SignTimeAfter"))?;
            b.sign_time_after = t.0;
        }
        for a in &s.artifact_rule_refs {
            cx.need(10, || here("ArtifactRuleRef"))?;
            b.artifact_rule_refs.push(resolve(
                &artifact_index,
                a,
                || here("ArtifactRuleRef"),
                "an artifact rule",
            )?);
        }
        signers.push(b);
    }
    let signer_list = |ids: &[Id], what: &'static str| -> R<Vec<u32>> {
        ids.iter()
            .map(|id| resolve(&signer_index, id, || what.to_string(), "a signer"))
            .collect()
    };
    let update_policy_signers = signer_list(&p.update_policy_signers, "UpdatePolicySigners")?;
    let mut ci_signers = signer_list(&p.ci_signers, "CiSigners")?;
    if kind == PolicyType::AppIdTagging && ci_signers.is_empty() {
        // AppControl Manager ([S1]): a tagging policy without CiSigners trusts every signer.
        ci_signers = (0..p.signers.len() as u32).collect();
    }
    let supplemental_policy_signers = signer_list(&p.supplemental_policy_signers, "SupplementalPolicySigners")?;
    if !supplemental_policy_signers.is_empty() {
        cx.need(6, || "SupplementalPolicySigners".into())?;
    }

    // Scenarios (§4.5) and the settings they derive.
    count_u32(p.signing_scenarios.len(), "signing scenarios")?;
    let scenario_index = index_map(
        "signing scenarios",
        p.signing_scenarios.iter().enumerate().map(|(i, s)| (&s.id, i as u32)),
    )?;
    let mut derived_settings: Vec<Setting> = Vec::new();
    let boolean = |p: &str, k: &str, v: &str| Setting {
        provider: p.into(),
        key: k.into(),
        value_name: v.into(),
        value: SettingValue::Boolean(true),
    };
    if kind == PolicyType::AppIdTagging {
        derived_settings.push(boolean(
            derived::APPID_PROVIDER,
            derived::TAGGING_SETTINGS,
            derived::DEFAULT_POLICY,
        ));
    }
    let mut scenarios = Vec::with_capacity(p.signing_scenarios.len());
    for sc in &p.signing_scenarios {
        let here = |what: &str| format!("SigningScenario `{}` {what}", sc.id);
        let inherited = sc
            .inherited_scenarios
            .iter()
            .map(|id| resolve(&scenario_index, id, || here("InheritedScenarios"), "a signing scenario"))
            .collect::<R<Vec<u32>>>()?;
        let mut groups: [BinSignerGroup; 3] = Default::default();
        for (g, (name, src)) in groups.iter_mut().zip(
            ["ProductSigners", "TestSigners", "TestSigningSigners"]
                .into_iter()
                .zip(sc.groups()),
        ) {
            *g = lower_group(src, &signer_index, &rule_index, &rule_action, &|w| {
                here(&format!("{name} {w}"))
            })?;
        }
        let a = &sc.artifact_signers;
        let mut artifact_signers = BinSignerGroup::default();
        if !a.is_empty() {
            cx.need(10, || here("ArtifactSigners"))?;
            let tmp = SignerGroup {
                allowed: a.allowed.clone(),
                denied: a.denied.clone(),
                file_rules_ref: Vec::new(),
            };
            artifact_signers = lower_group(&tmp, &signer_index, &rule_index, &rule_action, &|w| {
                here(&format!("ArtifactSigners {w}"))
            })?;
            artifact_signers.rules = a
                .artifact_rules_ref
                .iter()
                .map(|id| resolve(&artifact_index, id, || here("ArtifactRulesRef"), "an artifact rule"))
                .collect::<R<Vec<u32>>>()?;
            artifact_signers.rules.sort_unstable();
        }
        if let Some(tags) = &sc.app_id_tags {
            if tags.enforce_dll == Some(true) {
                derived_settings.push(boolean(
                    derived::APPID_PROVIDER,
                    derived::TAGGING_SETTINGS,
                    derived::ENFORCE_DLL,
                ));
            }
            for (k, v) in &tags.tags {
                derived_settings.push(Setting {
                    provider: derived::APPID_PROVIDER.into(),
                    key: derived::TAGGING.into(),
                    value_name: k.clone(),
                    value: SettingValue::String(v.clone()),
                });
            }
        }
        scenarios.push(BinScenario {
            value: sc.value,
            inherited,
            minimum_hash_algorithm: sc.minimum_hash_algorithm.unwrap_or(DEFAULT_MINIMUM_HASH_ALGORITHM),
            groups,
            artifact_signers,
        });
    }

    // Settings (§4.7): derived ones merged with the explicit ones, then sorted.
    derived_settings.extend(p.settings.iter().cloned());
    if cert_remapping {
        derived_settings.push(boolean(
            derived::MS_PROVIDER,
            derived::POLICY_SETTINGS,
            derived::CERT_REMAPPING,
        ));
    }
    count_u32(derived_settings.len(), "settings")?;
    let setting_keys: Vec<_> = derived_settings
        .iter()
        .map(|s| setting_key(&s.provider, &s.key, &s.value_name))
        .collect();
    let settings = sort_permutation(&setting_keys, opts.sort)
        .into_iter()
        .map(|i| lower_setting(&derived_settings[i]))
        .collect();

    if let Some(app) = p.app_settings.first() {
        return Err(CompileError::AppSettings {
            manifest: app.manifest.clone(),
        });
    }

    let bin = BinPolicy {
        format_version: version,
        header_guid,
        platform_id: p.platform_id.unwrap_or(Guid::NIL),
        options,
        version_ex: p.version_ex,
        ekus,
        file_rules,
        signers,
        update_policy_signers,
        ci_signers,
        scenarios,
        hvci_options: p.hvci_options.unwrap_or(0),
        settings,
        policy_id,
        base_policy_id,
        supplemental_policy_signers,
        app_settings: Vec::new(),
        artifact_rules: artifact_rules.0,
        end_tag: version + 1,
    };
    Ok((bin, cx.warnings))
}

/// `from` is only called on failure: building the message for each of thousands of references
/// would cost more than the check.
fn check_kind(from: impl FnOnce() -> String, id: &Id, found: Action, expected: Action) -> R<()> {
    if found != expected {
        return Err(CompileError::WrongKind {
            from: from(),
            id: id.clone(),
            expected: action_name(expected),
            found: action_name(found),
        });
    }
    Ok(())
}

fn lower_group(
    g: &SignerGroup,
    signers: &IdIndex<'_>,
    rules: &IdIndex<'_>,
    rule_action: &dyn Fn(u32) -> Action,
    here: &dyn Fn(&str) -> String,
) -> R<BinSignerGroup> {
    let mut out = BinSignerGroup::default();
    for a in &g.allowed {
        let signer = resolve(signers, &a.signer_id, || here("AllowedSigner"), "a signer")?;
        let mut exceptions = Vec::with_capacity(a.except_deny_rules.len());
        for id in &a.except_deny_rules {
            let i = resolve(rules, id, || here("ExceptDenyRule"), "a Deny rule")?;
            check_kind(|| here("ExceptDenyRule"), id, rule_action(i), Action::Deny)?;
            exceptions.push(i);
        }
        out.allowed.push(BinSignerRef { signer, exceptions });
    }
    for d in &g.denied {
        let signer = resolve(signers, &d.signer_id, || here("DeniedSigner"), "a signer")?;
        let mut exceptions = Vec::with_capacity(d.except_allow_rules.len());
        for id in &d.except_allow_rules {
            let i = resolve(rules, id, || here("ExceptAllowRule"), "an Allow rule")?;
            check_kind(|| here("ExceptAllowRule"), id, rule_action(i), Action::Allow)?;
            exceptions.push(i);
        }
        out.denied.push(BinSignerRef { signer, exceptions });
    }
    out.rules = g
        .file_rules_ref
        .iter()
        .map(|id| resolve(rules, id, || here("FileRuleRef"), "a file rule"))
        .collect::<R<Vec<u32>>>()?;
    // Ascending, duplicates kept (§4.5).
    out.rules.sort_unstable();
    Ok(out)
}

fn lower_rule(cx: &mut Ctx<'_>, r: &FileRule, macros: &BTreeMap<&str, &str>) -> R<BinFileRule> {
    let here = |what: &str| format!("{what} on file rule `{}`", r.id);
    let action = r.kind.action();
    let mut b = BinFileRule::new(type_code(action));
    b.file_name = opt(&r.file_name);
    // §4.2: a Deny without either version attribute gets the all-ones minimum.
    b.minimum_version = match (action, r.minimum_file_version, r.maximum_file_version) {
        (Action::Deny, None, None) => Version::MAX,
        (_, min, _) => min.unwrap_or(Version::ZERO),
    };
    b.hash = r.hash.as_ref().map(|h| h.0.clone()).unwrap_or_default();
    let present = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    let nonzero = |v: Option<Version>| v.is_some_and(|v| v != Version::ZERO);
    if nonzero(r.maximum_file_version) {
        cx.need(3, || here("MaximumFileVersion"))?;
    }
    b.maximum_version = r.maximum_file_version.unwrap_or(Version::ZERO);
    b.app_ids = expand_app_ids(r, macros)?;
    if !b.app_ids.is_empty() {
        cx.need(3, || here("AppIDs"))?;
    }
    for (v, name) in [
        (&r.internal_name, "InternalName"),
        (&r.file_description, "FileDescription"),
        (&r.product_name, "ProductName"),
    ] {
        if present(v) {
            cx.need(4, || here(name))?;
        }
    }
    b.internal_name = opt(&r.internal_name);
    b.file_description = opt(&r.file_description);
    b.product_name = opt(&r.product_name);
    if present(&r.package_family_name) {
        cx.need(5, || here("PackageFamilyName"))?;
    }
    if nonzero(r.package_version) {
        cx.need(5, || here("PackageVersion"))?;
    }
    b.package_family_name = opt(&r.package_family_name);
    b.package_version = r.package_version.unwrap_or(Version::ZERO);
    if present(&r.file_path) {
        cx.need(7, || here("FilePath"))?;
    }
    b.file_path = opt(&r.file_path);
    if !r.hotpatch.is_empty() {
        cx.need(9, || here("RequireHotpatchID or a hot-patch sequence"))?;
    }
    Ok(b)
}

/// Section 9: each Allow rule with `RequireHotpatchID` records its target and the target's
/// sequence range (\[S1\]).
fn lower_hotpatches(cx: &mut Ctx<'_>, sorted: &[&FileRule], index: &IdIndex<'_>, out: &mut [BinFileRule]) -> R<()> {
    let mut targeted = vec![false; sorted.len()];
    for (i, r) in sorted.iter().enumerate() {
        let Some(target_id) = &r.hotpatch.require_hotpatch_id else {
            continue;
        };
        let from = format!("file rule `{}` RequireHotpatchID", r.id);
        check_kind(|| from.clone(), &r.id, r.kind.action(), Action::Allow)?;
        let t = resolve(index, target_id, || from.clone(), "an Allow rule")?;
        let target = sorted[t as usize];
        check_kind(|| from.clone(), target_id, target.kind.action(), Action::Allow)?;
        targeted[t as usize] = true;
        out[i].hotpatch = Some(BinHotpatch {
            target: t,
            minimum_sequence: target.hotpatch.minimum_sequence.unwrap_or(0),
            maximum_sequence: target.hotpatch.maximum_sequence.unwrap_or(u32::MAX),
        });
    }
    for (r, t) in sorted.iter().zip(targeted) {
        let h = &r.hotpatch;
        if !t && (h.minimum_sequence.is_some() || h.maximum_sequence.is_some()) {
            cx.warnings.push(CompileWarning::Ignored(format!(
                "Minimum/MaximumHotpatchSequence on file rule `{}` has no effect: no rule's RequireHotpatchID names it",
                r.id
            )));
        }
    }
    Ok(())
}

/// Section 10 artifact rules, sorted by action, type, name, description, versions, hash; returns
/// the rules and their IDs in binary order.
fn lower_artifacts<'a>(cx: &mut Ctx<'a>, opts: &CompileOptions) -> R<(Vec<BinArtifactRule>, Vec<&'a Id>)> {
    let policy: &'a Policy = cx.policy;
    let rules = &policy.artifact_rules;
    if rules.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    cx.need(10, || "ArtifactRules".into())?;
    count_u32(rules.len(), "artifact rules")?;
    let bins: Vec<BinArtifactRule> = rules
        .iter()
        .map(|a| BinArtifactRule {
            artifact_type: match a.artifact_type {
                ArtifactType::Cim => 0,
                ArtifactType::Catalog => 1,
            },
            action: match a.action {
                ArtifactAction::Deny => 0,
                ArtifactAction::Allow => 1,
            },
            name: opt(&a.artifact_name),
            description: opt(&a.artifact_description),
            minimum_version: a.minimum_version.unwrap_or(Version::ZERO),
            maximum_version: a.maximum_version.unwrap_or(Version::MAX),
            hash: a.hash.as_ref().map(|(_, h)| h.0.clone()).unwrap_or_default(),
        })
        .collect();
    let keys: Vec<_> = rules
        .iter()
        .zip(&bins)
        .map(|(a, b)| artifact_key(b, a.artifact_name.as_deref(), a.artifact_description.as_deref()))
        .collect();
    let perm = sort_permutation(&keys, opts.sort);
    let ids = perm.iter().map(|&i| &rules[i].id).collect();
    let sorted = perm.into_iter().map(|i| bins[i].clone()).collect();
    Ok((sorted, ids))
}

/// Sort key of an artifact rule (AppControl Manager's order, \[S1\]).
pub(crate) type ArtifactKey = (u32, u32, Option<Vec<u16>>, Option<Vec<u16>>, Version, Version, Vec<u8>);

/// Builds the artifact sort key; `name`/`description` as written (absent sorts first; empty counts
/// as absent, as in file rules: [`super::sort::RuleKey`]).
pub(crate) fn artifact_key(b: &BinArtifactRule, name: Option<&str>, description: Option<&str>) -> ArtifactKey {
    (
        b.action,
        b.artifact_type,
        name.filter(|s| !s.is_empty()).map(fold),
        description.filter(|s| !s.is_empty()).map(fold),
        b.minimum_version,
        b.maximum_version,
        b.hash.clone(),
    )
}

fn lower_setting(s: &Setting) -> BinSetting {
    BinSetting {
        provider: s.provider.clone(),
        key: s.key.clone(),
        value_name: s.value_name.clone(),
        value: match &s.value {
            SettingValue::Boolean(b) => BinSettingValue::Boolean(*b),
            SettingValue::DWord(v) => BinSettingValue::DWord(*v),
            SettingValue::Binary(v) => BinSettingValue::Binary(v.0.clone()),
            SettingValue::String(v) => BinSettingValue::String(v.clone()),
        },
    }
}

/// Options whose bit is set, for [`super::info`].
pub(crate) fn options_from_bits(bits: u32) -> Vec<OptionKind> {
    OptionKind::ALL
        .iter()
        .copied()
        .filter(|o| o.bit().is_some_and(|b| bits & b != 0))
        .collect()
}
