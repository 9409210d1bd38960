//! Checks that depend on `--target` (§3.10 LM006, §3.8, §3.9, §1.4).

use super::Ctx;
use crate::model::{Action, FileRuleKind, OptionKind, PolicyType};
use crate::valid::codes::Code;
use crate::valid::target::{Feature, Target};

const OPTION_FEATURES: &[(OptionKind, Feature, &str)] = &[
    (
        OptionKind::AllowSupplementalPolicies,
        Feature::MultiplePolicyFormat,
        "Windows 10 1903 / Server 2022",
    ),
    (
        OptionKind::DisabledRuntimeFilePathRuleProtection,
        Feature::MultiplePolicyFormat,
        "Windows 10 1903 / Server 2022",
    ),
    (
        OptionKind::UpdatePolicyNoReboot,
        Feature::UpdatePolicyNoReboot,
        "Windows 10 1709 / Server 2019",
    ),
    (
        OptionKind::DynamicCodeSecurity,
        Feature::DynamicCodeSecurity,
        "Windows 10 1803 / Server 2019",
    ),
    (
        OptionKind::DisabledScriptEnforcement,
        Feature::ScriptEnforcementOption,
        "a build newer than 1607 / Server 2016 (it misbehaves there)",
    ),
    (
        OptionKind::ManagedInstaller,
        Feature::ManagedInstallerAndIsg,
        "Server 2019 / Windows 10 1709",
    ),
    (
        OptionKind::IntelligentSecurityGraphAuthorization,
        Feature::ManagedInstallerAndIsg,
        "Server 2019 / Windows 10 1709",
    ),
];

pub fn check(cx: &mut Ctx<'_>) {
    let Some(t) = cx.opts.target else { return };
    let p = cx.p;
    let multi = p.policy_id.is_some() && !p.is_legacy();
    if multi && !t.supports(Feature::MultiplePolicyFormat) {
        cx.emit_help(
            Code::LM006,
            "policy_id",
            format!("{t} does not support the multiple-policy format (PolicyID/BasePolicyID); it needs Windows 10 1903 / Server 2022"),
            "for older builds write a legacy single policy: PolicyTypeID {A244370E-44C9-4C06-B551-F6016E563076}, no PolicyID/BasePolicyID, deployed as SiPolicy.p7b",
        );
    }
    match p.effective_type() {
        PolicyType::Supplemental if !t.supports(Feature::MultiplePolicyFormat) => cx.emit(
            Code::LM006,
            "policy",
            format!("{t} does not support supplemental policies (Windows 10 1903 / Server 2022 and later do)"),
        ),
        PolicyType::AppIdTagging if !t.supports(Feature::AppIdTagging) => cx.emit(
            Code::LM006,
            "policy",
            format!("{t} does not support AppID tagging policies (Windows 10 2004 / Server 2022 and later do)"),
        ),
        _ => {}
    }
    for (i, r) in p.rules.iter().enumerate() {
        let Some(k) = r.known() else { continue };
        if let Some((_, _, need)) = OPTION_FEATURES.iter().find(|(o, f, _)| *o == k && !t.supports(*f)) {
            cx.emit(
                Code::LM006,
                &format!("rules[{i}]"),
                format!("option `{k}` is not supported on {t}; it needs {need}"),
            );
        }
    }

    let wildcards11 = t.supports(Feature::Windows11Wildcards);
    let mut path_rules = Vec::new();
    for (i, r) in p.file_rules.iter().enumerate() {
        let path = format!("file_rules[{i}]");
        if let Some(fp) = &r.file_path {
            path_rules.push(i);
            if !wildcards11 {
                let stars = fp.matches('*').count();
                let inner_star = fp.len() > 1 && fp[1..fp.len() - 1].contains('*');
                if fp.contains('?') || stars > 1 || inner_star {
                    cx.emit_help(
                        Code::FP002,
                        &format!("{path}@FilePath"),
                        format!("`{fp}` uses wildcards {t} does not support"),
                        "before Windows 11 a path may have one `*`, at its start or end, and no `?`",
                    );
                }
            }
            if r.kind.action() == Action::Allow
                && fp.to_ascii_lowercase().ends_with(".msi")
                && !p.has_option(OptionKind::DisabledRuntimeFilePathRuleProtection)
                && !t.supports(Feature::MsiPathRulesWithoutOption18)
            {
                cx.emit(
                    Code::FP007,
                    &format!("{path}@FilePath"),
                    format!("on {t} an MSI allowed by path needs `Disabled:Runtime FilePath Rule Protection`"),
                );
            }
        }
        if let Some(pfn) = &r.package_family_name
            && (pfn.contains('*') || pfn.contains('?'))
            && !wildcards11
        {
            cx.emit(
                Code::SG006,
                &format!("{path}@PackageFamilyName"),
                format!("PackageFamilyName wildcards need Windows 11, not {t}"),
            );
        }
    }
    if let Some(&first) = path_rules.first()
        && !t.supports(Feature::MultiplePolicyFormat)
    {
        cx.emit(
            Code::FP005,
            &format!("file_rules[{first}]@FilePath"),
            format!(
                "{} FilePath rule(s): {t} does not support FilePath rules (Windows 10 1903 / Server 2022 and later do)",
                path_rules.len()
            ),
        );
    }

    if t == Target::Portable || !t.supports(Feature::NewestSchemaConstructs) {
        newest_constructs(cx, t);
    }
}

/// LM007: what older ConfigCI schemas (G1/G2) do not know, for the portable profile (§1.4).
fn newest_constructs(cx: &mut Ctx<'_>, t: Target) {
    let p = cx.p;
    let mut hits: Vec<(String, String)> = Vec::new();
    if p.policy_type == Some(PolicyType::AppIdTagging) {
        hits.push(("policy@PolicyType".into(), "PolicyType `AppID Tagging Policy`".into()));
    }
    if let Some(i) = p
        .rules
        .iter()
        .position(|r| r.known() == Some(OptionKind::DisabledDefaultWindowsCertificateRemapping))
    {
        hits.push((
            format!("rules[{i}]"),
            "option `Disabled:Default Windows Certificate Remapping`".into(),
        ));
    }
    for (i, e) in p.ekus.iter().enumerate() {
        if e.oid.is_some() {
            hits.push((format!("ekus[{i}]@OID"), "EKU/@OID".into()));
        }
        if e.value.is_none() {
            hits.push((format!("ekus[{i}]"), "an EKU without Value".into()));
        }
    }
    for (i, r) in p.file_rules.iter().enumerate() {
        if matches!(r.kind, FileRuleKind::Generic(_)) {
            hits.push((format!("file_rules[{i}]"), "<FileRule>".into()));
        }
        if !r.hotpatch.is_empty() {
            hits.push((format!("file_rules[{i}]"), "hot-patch attributes".into()));
        }
    }
    if !p.artifact_rules.is_empty() {
        hits.push(("artifact_rules[0]".into(), "<ArtifactRules>".into()));
    }
    for (i, s) in p.signers.iter().enumerate() {
        if s.name.is_none() {
            hits.push((format!("signers[{i}]"), "a Signer without Name".into()));
        }
        if let Some(j) = s.cert_ekus.iter().position(|e| e.condition.is_some()) {
            hits.push((format!("signers[{i}].cert_ekus[{j}]"), "CertEKU/@Condition".into()));
        }
        if !s.artifact_rule_refs.is_empty() {
            hits.push((
                format!("signers[{i}].artifact_rule_refs[0]"),
                "<ArtifactRuleRef>".into(),
            ));
        }
    }
    for (i, s) in p.signing_scenarios.iter().enumerate() {
        if s.app_id_tags.is_some() {
            hits.push((format!("signing_scenarios[{i}].app_id_tags"), "<AppIDTags>".into()));
        }
        if !s.artifact_signers.is_empty() {
            hits.push((
                format!("signing_scenarios[{i}].artifact_signers"),
                "<ArtifactSigners>".into(),
            ));
        }
    }
    if !p.app_settings.is_empty() {
        hits.push(("app_settings[0]".into(), "<AppSettings>".into()));
    }
    for (path, what) in hits {
        cx.emit_help(
            Code::LM007,
            &path,
            format!(
                "{what} is known only to the newest schemas; ConfigCI on older builds rejects the XML ({t} profile)"
            ),
            "leave it out, or declare a newer --target",
        );
    }
}
