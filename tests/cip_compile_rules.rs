//! Compiler rules of cip-format.md, checked on small models built in code: the worked example of
//! §12, defaults, derived bits and settings, and the errors for what a format version cannot hold.

mod common;

use cipolicy::cip::bin::{BinPolicy, BinSettingValue};
use cipolicy::cip::reader::Reader;
use cipolicy::cip::{self, CompileError, CompileOptions, CompileWarning};
use cipolicy::model::*;

const LEGACY: &str = "{A244370E-44C9-4C06-B551-F6016E563076}";
const BASE: &str = "{11111111-2222-3333-4444-555555555555}";
const SUPP: &str = "{66666666-7777-8888-9999-AAAAAAAAAAAA}";

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn opts(format_version: u32) -> CompileOptions {
    CompileOptions {
        format_version,
        ..CompileOptions::default()
    }
}

fn bin(p: &Policy, version: u32) -> BinPolicy {
    let bytes = cip::compile(p, &opts(version)).unwrap().bytes;
    BinPolicy::read(&mut Reader::new(&bytes)).unwrap()
}

fn base() -> Policy {
    let mut p = Policy::new_base(BASE.parse().unwrap());
    p.rules
        .push(RuleOption::Known(OptionKind::UnsignedSystemIntegrityPolicy));
    p
}

/// §12: the pywdac policy, 424 bytes, format 7, as printed in the document.
const P1: [&str; 14] = [
    "070000000e3744a2c944064cb551f6016e563076e4f7072e4c19204db7c96f44",
    "a6c5a23400000980000000000200000000000000000000000100000003000a00",
    "4000000001000000000000000000000000000000000000000000000001000000",
    "020000002a000000000000000000000000000000000000000000000000000000",
    "00000000010000001400000050006f006c0069006300790049006e0066006f00",
    "000000001600000049006e0066006f0072006d006100740069006f006e000000",
    "00000000080000004e0061006d00650000000000030000001000000041006c00",
    "6c006f00770041006c006c000000000003000000000000000000000000000000",
    "4bff4bff4bff4bff000000000400000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0500000000000000000000000000000000000000000000000000000000000000",
    "00000000060000000e3744a2c944064cb551f6016e5630760e3744a2c944064c",
    "b551f6016e5630760000000007000000020000002a0000000000000000000000",
    "0000000008000000",
];

#[test]
fn worked_example_p1_from_the_document() {
    let mut p = Policy::new_base(Guid::NIL);
    p.policy_type = None;
    p.policy_id = None;
    p.base_policy_id = None;
    p.policy_type_id = Some(LEGACY.parse().unwrap());
    p.version_ex = v("10.3.0.1");
    p.rules = vec![
        RuleOption::Known(OptionKind::UnsignedSystemIntegrityPolicy),
        RuleOption::Known(OptionKind::AuditMode),
    ];
    let mut path = FileRule::new(FileRuleKind::Allow, "ID_ALLOW_A_1");
    path.file_path = Some("*".into());
    let mut name = FileRule::new(FileRuleKind::Allow, "ID_ALLOW_A_2");
    name.file_name = Some("*".into());
    name.minimum_file_version = Some(Version::ZERO);
    name.maximum_file_version = Some(v("65355.65355.65355.65355"));
    p.file_rules = vec![path, name];
    p.settings = vec![Setting {
        provider: "PolicyInfo".into(),
        key: "Information".into(),
        value_name: "Name".into(),
        value: SettingValue::String("AllowAll".into()),
    }];
    let expected = const_hex::decode(P1.concat()).unwrap();
    let c = cip::compile(&p, &opts(7)).unwrap();
    assert_eq!(const_hex::encode(&c.bytes), const_hex::encode(&expected));
    assert!(c.warnings.is_empty());
    if let Some(corpus) = common::corpus() {
        assert_eq!(
            std::fs::read(corpus.join("pairs/pywdac--pol/SiPolicy.p7b")).unwrap(),
            expected
        );
    }
    // Format 8: version 8 in the header, then the same bytes up to the old end tag, which is now
    // the tag of an empty AppSettings section, and end tag 9.
    let c8 = cip::compile(&p, &CompileOptions::default()).unwrap().bytes;
    assert_eq!(c8[0], 8);
    assert_eq!(&c8[1..c8.len() - 8], &expected[1..]);
    assert_eq!(&c8[c8.len() - 12..], &[8, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0]);
}

#[test]
fn header_guid_bits_and_identity() {
    let b = bin(&base(), 8);
    assert_eq!(b.header_guid.to_string(), BASE);
    assert_eq!(b.options, BIT_ALWAYS | 0x0008_0000);
    assert_eq!((b.policy_id, b.base_policy_id), (b.header_guid, b.header_guid));

    let mut s = base();
    s.policy_type = Some(PolicyType::Supplemental);
    s.policy_id = Some(SUPP.parse().unwrap());
    let b = bin(&s, 8);
    assert_eq!(
        b.header_guid.to_string(),
        BASE,
        "a supplemental's header holds the base's GUID"
    );
    assert_eq!(b.options & BIT_SUPPLEMENTAL, BIT_SUPPLEMENTAL);
    assert_eq!(b.policy_id.to_string(), SUPP);
    assert_eq!(b.base_policy_id.to_string(), BASE);

    let mut none = base();
    none.policy_id = None;
    none.base_policy_id = None;
    assert_eq!(
        cip::compile(&none, &CompileOptions::default()),
        Err(CompileError::NoPolicyId)
    );
}

#[test]
fn unknown_options_are_dropped_with_a_warning_and_option_21_is_a_setting() {
    let mut p = base();
    p.rules.push(RuleOption::from_text("Enabled:Boot Audit on Failure"));
    p.rules.push(RuleOption::Known(
        OptionKind::DisabledDefaultWindowsCertificateRemapping,
    ));
    let c = cip::compile(&p, &CompileOptions::default()).unwrap();
    assert_eq!(
        c.warnings,
        vec![CompileWarning::UnknownOptionDropped(
            "Enabled:Boot Audit on Failure".into()
        )]
    );
    let b = BinPolicy::read(&mut Reader::new(&c.bytes)).unwrap();
    assert_eq!(b.options, BIT_ALWAYS | 0x0008_0000);
    assert_eq!(b.settings.len(), 1);
    let s = &b.settings[0];
    assert_eq!(
        (s.provider.as_str(), s.key.as_str(), s.value_name.as_str()),
        (
            "Microsoft",
            "PolicySettings",
            "DisabledDefaultWindowsCertificateRemappingValueName"
        )
    );
    assert_eq!(s.value, BinSettingValue::Boolean(true));
    // And it comes back as the option.
    let back = cip::decompile(&c.bytes).unwrap();
    assert!(back.has_option(OptionKind::DisabledDefaultWindowsCertificateRemapping));
    assert!(back.settings.is_empty());
}

#[test]
fn rule_defaults_and_file_rules_ref_order() {
    let mut p = base();
    let mut deny_hash = FileRule::new(FileRuleKind::Deny, "D1");
    deny_hash.hash = Some(HexBytes(vec![0xAA; 32]));
    let mut deny_range = FileRule::new(FileRuleKind::Deny, "D2");
    deny_range.file_name = Some("x.sys".into());
    deny_range.minimum_file_version = Some(Version::ZERO);
    deny_range.maximum_file_version = Some(v("1.0.0.0"));
    let mut allow = FileRule::new(FileRuleKind::Allow, "A1");
    allow.file_name = Some("a.exe".into());
    p.file_rules = vec![allow, deny_range, deny_hash];
    let mut sc = SigningScenario::new("S", SCENARIO_USER);
    sc.product_signers.file_rules_ref = vec!["A1".into(), "D2".into(), "A1".into(), "D1".into()];
    p.signing_scenarios.push(sc);
    let b = bin(&p, 8);
    // Deny < Allow; absent FileName first among the denies.
    let kinds: Vec<_> = b
        .file_rules
        .iter()
        .map(|r| (r.kind as u32, r.file_name.as_str()))
        .collect();
    assert_eq!(kinds, [(0, ""), (0, "x.sys"), (1, "a.exe")]);
    assert_eq!(
        b.file_rules[0].minimum_version,
        Version::MAX,
        "bare Deny: all-ones minimum"
    );
    assert_eq!(b.file_rules[1].minimum_version, Version::ZERO);
    assert_eq!(b.file_rules[1].maximum_version, v("1.0.0.0"));
    assert_eq!(b.file_rules[2].minimum_version, Version::ZERO);
    assert_eq!(
        b.scenarios[0].groups[0].rules,
        [0, 1, 2, 2],
        "ascending, duplicates kept"
    );
    assert_eq!(b.scenarios[0].minimum_hash_algorithm, 0x800C);
}

#[test]
fn app_id_tags_and_tagging_policies_become_settings() {
    let mut p = base();
    p.policy_type = Some(PolicyType::AppIdTagging);
    p.rules.clear();
    let mut sc = SigningScenario::new("S", SCENARIO_USER);
    sc.app_id_tags = Some(AppIdTags {
        enforce_dll: Some(true),
        tags: vec![("Zeta".into(), "1".into()), ("Alpha".into(), "2".into())],
    });
    p.signing_scenarios.push(sc);
    p.signers.push(Signer::new("SIG", CertRoot::Wellknown(6)));
    let b = bin(&p, 8);
    let names: Vec<_> = b
        .settings
        .iter()
        .map(|s| format!("{}/{}/{}", s.provider, s.key, s.value_name))
        .collect();
    assert_eq!(
        names,
        [
            "WDACAppId/Tagging/Alpha",
            "WDACAppId/Tagging/Zeta",
            "WDACAppId/TaggingSettings/DefaultPolicy",
            "WDACAppId/TaggingSettings/EnforceDLL"
        ]
    );
    for o in [
        OptionKind::AuditMode,
        OptionKind::Umci,
        OptionKind::RequiredEnforceStoreApplications,
        OptionKind::AdvancedBootOptionsMenu,
        OptionKind::DisabledScriptEnforcement,
    ] {
        assert_ne!(b.options & o.bit().unwrap(), 0, "{o}");
    }
    assert_eq!(b.ci_signers, [0], "every signer is a CiSigner");
    let back = cip::decompile(&b.encode()).unwrap();
    assert_eq!(back.policy_type, Some(PolicyType::AppIdTagging));
    assert_eq!(back, cip::binary_view(&p));
}

fn not_expressible(p: &Policy, version: u32) -> u32 {
    match cip::compile(p, &opts(version)) {
        Err(CompileError::NotExpressible { needs, .. }) => {
            assert!(cip::compile(p, &opts(needs)).is_ok(), "compiles at {needs}");
            needs
        }
        other => panic!("expected NotExpressible at {version}, got {other:?}"),
    }
}

#[test]
fn features_a_version_cannot_hold_are_errors() {
    let rule = |f: &dyn Fn(&mut FileRule)| {
        let mut p = base();
        let mut r = FileRule::new(FileRuleKind::Allow, "A");
        r.file_name = Some("a.exe".into());
        f(&mut r);
        p.file_rules.push(r);
        p
    };
    assert_eq!(
        not_expressible(&rule(&|r| r.maximum_file_version = Some(v("1.0.0.0"))), 2),
        3
    );
    assert_eq!(not_expressible(&rule(&|r| r.app_ids = Some("App".into())), 2), 3);
    assert_eq!(not_expressible(&rule(&|r| r.product_name = Some("P".into())), 3), 4);
    assert_eq!(
        not_expressible(&rule(&|r| r.package_family_name = Some("P".into())), 4),
        5
    );
    assert_eq!(not_expressible(&rule(&|r| r.file_path = Some("C:\\x".into())), 6), 7);
    assert_eq!(
        not_expressible(&rule(&|r| r.hotpatch.require_hotpatch_id = Some("A".into())), 8),
        9
    );
    let mut s = base();
    s.policy_type = Some(PolicyType::Supplemental);
    s.policy_id = Some(SUPP.parse().unwrap());
    assert_eq!(not_expressible(&s, 5), 6);
    let mut signer = base();
    let mut sg = Signer::new("S", CertRoot::Wellknown(6));
    sg.sign_time_after = Some("2024-01-01T00:00:00Z".parse().unwrap());
    signer.signers.push(sg);
    assert_eq!(not_expressible(&signer, 2), 3);
    let mut cond = base();
    cond.ekus.push(Eku {
        id: "E".into(),
        value: Some(HexBytes(vec![1, 2])),
        oid: None,
        friendly_name: None,
    });
    let mut sg = Signer::new("S", CertRoot::Wellknown(6));
    sg.cert_ekus.push(CertEku {
        id: "E".into(),
        condition: Some(EkuCondition::Except),
    });
    cond.signers.push(sg);
    assert_eq!(not_expressible(&cond, 10), 11);
    let mut art = base();
    art.artifact_rules.push(ArtifactRule {
        id: "R".into(),
        artifact_type: ArtifactType::Catalog,
        action: ArtifactAction::Allow,
        friendly_name: None,
        artifact_name: Some("x".into()),
        artifact_description: None,
        minimum_version: None,
        maximum_version: None,
        hash: None,
    });
    assert_eq!(not_expressible(&art, 9), 10);

    let mut apps = base();
    apps.app_settings.push(App {
        manifest: "https://example.com/m.xml".into(),
        settings: Vec::new(),
    });
    assert!(matches!(
        cip::compile(&apps, &opts(8)),
        Err(CompileError::AppSettings { .. })
    ));
    assert!(matches!(
        cip::compile(&base(), &opts(12)),
        Err(CompileError::UnsupportedVersion(12))
    ));
}

#[test]
fn references_are_resolved_or_refused() {
    let mut p = base();
    let mut fa = FileRule::new(FileRuleKind::Allow, "NOT_ATTRIB");
    fa.file_name = Some("a".into());
    p.file_rules.push(fa);
    let mut s = Signer::new("S", CertRoot::Wellknown(6));
    s.file_attrib_refs.push("MISSING".into());
    p.signers.push(s.clone());
    let e = cip::compile(&p, &CompileOptions::default()).unwrap_err();
    assert!(
        matches!(&e, CompileError::UnresolvedReference { id, .. } if id.as_str() == "MISSING"),
        "{e}"
    );
    assert!(e.to_string().contains("Signer `S` FileAttribRef"), "{e}");

    p.signers[0].file_attrib_refs = vec!["NOT_ATTRIB".into()];
    let e = cip::compile(&p, &CompileOptions::default()).unwrap_err();
    assert!(matches!(e, CompileError::WrongKind { .. }), "{e}");

    p.signers[0].file_attrib_refs.clear();
    p.signers.push(s);
    p.signers[1].file_attrib_refs.clear();
    let e = cip::compile(&p, &CompileOptions::default()).unwrap_err();
    assert!(matches!(e, CompileError::DuplicateId { what: "signers", .. }), "{e}");
}

#[test]
fn app_ids_macros_expand_and_come_back() {
    let mut p = base();
    p.macros = vec![
        Macro {
            id: "One".into(),
            value: "first.app".into(),
        },
        Macro {
            id: "Two".into(),
            value: "second.app".into(),
        },
    ];
    let mut r = FileRule::new(FileRuleKind::Allow, "A");
    r.file_name = Some("a.exe".into());
    r.app_ids = Some("$(Two)$(One)".into());
    let mut lit = FileRule::new(FileRuleKind::Allow, "B");
    lit.file_name = Some("b.exe".into());
    lit.app_ids = Some("literal.app".into());
    p.file_rules = vec![r, lit];
    let b = bin(&p, 8);
    assert_eq!(b.file_rules[0].app_ids, ["second.app", "first.app"]);
    assert_eq!(b.file_rules[1].app_ids, ["literal.app"]);
    let back = cip::decompile(&b.encode()).unwrap();
    assert_eq!(back.file_rules[0].app_ids.as_deref(), Some("$(AppID_1)$(AppID_2)"));
    assert_eq!(back.file_rules[1].app_ids.as_deref(), Some("literal.app"));
    assert_eq!(back, cip::binary_view(&p));

    p.file_rules[0].app_ids = Some("$(Three)".into());
    let e = cip::compile(&p, &CompileOptions::default()).unwrap_err();
    assert!(matches!(e, CompileError::BadAppIds { .. }), "{e}");
    assert!(e.to_string().contains("macro `Three` is not defined"), "{e}");
}

#[test]
fn hotpatch_artifacts_and_conditional_ekus_round_trip_at_version_11() {
    let mut p = base();
    p.ekus.push(Eku {
        id: "E".into(),
        value: Some(HexBytes(const_hex::decode("010A2B0601040182370A0306").unwrap())),
        oid: None,
        friendly_name: None,
    });
    let mut target = FileRule::new(FileRuleKind::Allow, "T");
    target.file_name = Some("t.dll".into());
    target.hotpatch.minimum_sequence = Some(3);
    let mut patch = FileRule::new(FileRuleKind::Allow, "P");
    patch.file_name = Some("p.dll".into());
    patch.hotpatch.require_hotpatch_id = Some("T".into());
    p.file_rules = vec![target, patch];
    for (i, name) in ["b.cat", "a.cat"].into_iter().enumerate() {
        p.artifact_rules.push(ArtifactRule {
            id: format!("R{i}").into(),
            artifact_type: ArtifactType::Catalog,
            action: ArtifactAction::Allow,
            friendly_name: None,
            artifact_name: Some(name.into()),
            artifact_description: None,
            minimum_version: None,
            maximum_version: None,
            hash: Some((ArtifactHashAlg::Sha256, HexBytes(vec![i as u8; 32]))),
        });
    }
    let mut s = Signer::new("S", CertRoot::Wellknown(7));
    s.cert_ekus.push(CertEku {
        id: "E".into(),
        condition: Some(EkuCondition::Except),
    });
    s.artifact_rule_refs.push("R0".into());
    p.signers.push(s);
    let mut sc = SigningScenario::new("SC", SCENARIO_USER);
    sc.artifact_signers.allowed.push(AllowedSigner {
        signer_id: "S".into(),
        except_deny_rules: Vec::new(),
    });
    sc.artifact_signers.artifact_rules_ref = vec!["R0".into(), "R1".into()];
    p.signing_scenarios.push(sc);
    let b = bin(&p, 11);
    assert_eq!(b.end_tag, 12);
    assert_eq!(b.artifact_rules[0].name, "a.cat", "artifact rules are sorted");
    assert_eq!(b.signers[0].artifact_rule_refs, [1]);
    assert_eq!(b.signers[0].except_ekus, [0]);
    assert!(b.signers[0].ekus.is_empty());
    let patch = b.file_rules.iter().find(|r| r.file_name == "p.dll").unwrap();
    let h = patch.hotpatch.unwrap();
    assert_eq!((h.minimum_sequence, h.maximum_sequence), (3, u32::MAX));
    assert_eq!(b.file_rules[h.target as usize].file_name, "t.dll");
    let bytes = b.encode();
    let back = cip::decompile(&bytes).unwrap();
    assert_eq!(back, cip::binary_view_with(&p, &opts(11)));
    assert_eq!(cip::compile(&back, &opts(11)).unwrap().bytes, bytes);
}
