//! `audit`: every heuristic has a policy in testdata/audit/ that triggers it and one that does not,
//! and a hardened policy triggers none. The fixtures are generated here from one clean policy with
//! one change each, so each pair differs only in what the heuristic is about; set
//! `CIPOLICY_REGEN=1` to rewrite them after changing this file.
mod common;

use std::path::{Path, PathBuf};

use cipolicy::model::*;
use cipolicy::ops::audit::{BLOCK_RULE_FILES, CHECKS, audit};
use cipolicy::xml;

const BASE_ID: &str = "{7C1D0A55-6E0B-4D3A-9C51-1A2B3C4D5E60}";

fn hx(byte: u8, len: usize) -> HexBytes {
    HexBytes(vec![byte; len])
}

fn allow(id: &str, f: impl FnOnce(&mut FileRule)) -> FileRule {
    let mut r = FileRule::new(FileRuleKind::Allow, id);
    f(&mut r);
    r
}

fn deny(id: &str, f: impl FnOnce(&mut FileRule)) -> FileRule {
    let mut r = FileRule::new(FileRuleKind::Deny, id);
    f(&mut r);
    r
}

/// The four hash rules ConfigCI writes for one file.
fn hash_set(kind: FileRuleKind, prefix: &str, file: &str, seed: u8) -> Vec<FileRule> {
    [
        ("Hash Sha1", 20),
        ("Hash Sha256", 32),
        ("Hash Page Sha1", 20),
        ("Hash Page Sha256", 32),
    ]
    .iter()
    .enumerate()
    .map(|(i, (suffix, len))| {
        let mut r = FileRule::new(kind, format!("{prefix}_{}", i + 1));
        r.friendly_name = Some(format!("{file} {suffix}"));
        r.hash = Some(hx(seed + i as u8, *len));
        r
    })
    .collect()
}

fn signer(id: &str, name: &str, root: CertRoot) -> Signer {
    let mut s = Signer::new(id, root);
    s.name = Some(name.into());
    s
}

fn windows_signer(id: &str) -> Signer {
    let mut s = signer(id, "Microsoft Product Root 2010 Windows EKU", CertRoot::Wellknown(0x06));
    s.cert_ekus.push(CertEku {
        id: "ID_EKU_WINDOWS".into(),
        condition: None,
    });
    s
}

fn allowed(id: &str) -> AllowedSigner {
    AllowedSigner {
        signer_id: id.into(),
        except_deny_rules: Vec::new(),
    }
}

/// A hardened base policy that no heuristic flags.
fn clean() -> Policy {
    let mut p = Policy::new_base(BASE_ID.parse().unwrap());
    p.friendly_name = Some("cipolicy audit fixture".into());
    p.version_ex = "1.0.0.0".parse().unwrap();
    for o in [
        OptionKind::Umci,
        OptionKind::RequiredWhql,
        OptionKind::DisabledFlightSigning,
        OptionKind::RequiredEnforceStoreApplications,
        OptionKind::UpdatePolicyNoReboot,
        OptionKind::DynamicCodeSecurity,
        OptionKind::RevokedExpiredAsUnsigned,
    ] {
        p.set_option(o, true);
    }
    for (id, oid) in [
        ("ID_EKU_WINDOWS", "1.3.6.1.4.1.311.10.3.6"),
        ("ID_EKU_STORE", "1.3.6.1.4.1.311.76.3.1"),
    ] {
        p.ekus.push(Eku {
            id: id.into(),
            value: roots::eku_value_from_oid(oid).map(HexBytes),
            oid: None,
            friendly_name: None,
        });
    }
    let mut attrib = FileRule::new(FileRuleKind::FileAttrib, "ID_FILEATTRIB_TOOL");
    attrib.file_name = Some("tool.exe".into());
    attrib.minimum_file_version = Some("1.0.0.0".parse().unwrap());
    p.file_rules.push(attrib);
    let kernel_denies = hash_set(FileRuleKind::Deny, "ID_DENY_BADSYS", "bad.sys", 0x31);
    let user_allows = hash_set(FileRuleKind::Allow, "ID_ALLOW_LOB", "lob.exe", 0x41);
    let blocks: Vec<FileRule> = BLOCK_RULE_FILES
        .iter()
        .enumerate()
        .map(|(i, f)| deny(&format!("ID_DENY_BLOCK_{}", i + 1), |r| r.file_name = Some((*f).into())))
        .collect();
    let mut contoso = signer(
        "ID_SIGNER_CONTOSO",
        "Contoso Code Signing CA",
        CertRoot::Tbs(hx(0x11, 32)),
    );
    contoso.cert_publisher = Some("Contoso Ltd".into());
    contoso.file_attrib_refs.push("ID_FILEATTRIB_TOOL".into());
    let mut update = signer(
        "ID_SIGNER_UPDATE",
        "Contoso Policy Signing",
        CertRoot::Tbs(hx(0x22, 32)),
    );
    update.cert_publisher = Some("Contoso Policy Team".into());
    p.signers = vec![
        windows_signer("ID_SIGNER_WINDOWS_KERNEL"),
        windows_signer("ID_SIGNER_WINDOWS_USER"),
        contoso,
        update,
    ];
    let mut k = SigningScenario::new("ID_SIGNINGSCENARIO_DRIVERS_1", 131);
    k.product_signers.allowed.push(allowed("ID_SIGNER_WINDOWS_KERNEL"));
    k.product_signers.file_rules_ref = kernel_denies.iter().map(|r| r.id.clone()).collect();
    let mut u = SigningScenario::new("ID_SIGNINGSCENARIO_WINDOWS", 12);
    u.product_signers.allowed = vec![allowed("ID_SIGNER_WINDOWS_USER"), allowed("ID_SIGNER_CONTOSO")];
    u.product_signers.file_rules_ref = user_allows.iter().chain(&blocks).map(|r| r.id.clone()).collect();
    p.file_rules
        .extend(kernel_denies.into_iter().chain(user_allows).chain(blocks));
    p.signing_scenarios = vec![k, u];
    p.update_policy_signers = vec!["ID_SIGNER_UPDATE".into()];
    p.ci_signers = vec!["ID_SIGNER_CONTOSO".into()];
    p.settings.push(Setting {
        provider: "PolicyInfo".into(),
        key: "Information".into(),
        value_name: "Name".into(),
        value: SettingValue::String("cipolicy audit fixture".into()),
    });
    p
}

fn user(p: &mut Policy) -> &mut SignerGroup {
    &mut p
        .signing_scenarios
        .iter_mut()
        .find(|s| s.value == 12)
        .unwrap()
        .product_signers
}

fn kernel(p: &mut Policy) -> &mut SignerGroup {
    &mut p
        .signing_scenarios
        .iter_mut()
        .find(|s| s.value == 131)
        .unwrap()
        .product_signers
}

/// Adds a rule referenced from user mode.
fn add_user_rule(p: &mut Policy, r: FileRule) {
    user(p).file_rules_ref.push(r.id.clone());
    p.file_rules.push(r);
}

/// Adds a signer allowed in user mode.
fn add_user_signer(p: &mut Policy, s: Signer) {
    user(p).allowed.push(allowed(s.id.as_str()));
    p.signers.push(s);
}

fn opt(p: &mut Policy, o: OptionKind, on: bool) -> &mut Policy {
    p.set_option(o, on);
    p
}

fn unsigned(p: &mut Policy) {
    p.set_option(OptionKind::UnsignedSystemIntegrityPolicy, true);
    p.update_policy_signers.clear();
    p.signers.retain(|s| s.id.as_str() != "ID_SIGNER_UPDATE");
}

fn supplemental(p: &mut Policy) {
    p.policy_type = Some(PolicyType::Supplemental);
    p.policy_id = "{7C1D0A55-6E0B-4D3A-9C51-1A2B3C4D5E61}".parse().ok();
    p.rules
        .retain(|r| r.known() == Some(OptionKind::UnsignedSystemIntegrityPolicy));
    unsigned(p);
    // A supplemental of this shape: user-mode allows only.
    p.signing_scenarios.retain(|s| s.value == 12);
    let g = user(p);
    g.file_rules_ref.retain(|r| r.as_str().starts_with("ID_ALLOW_LOB"));
    g.allowed.retain(|a| a.signer_id.as_str() == "ID_SIGNER_CONTOSO");
    p.signers.retain(|s| s.id.as_str() == "ID_SIGNER_CONTOSO");
    p.file_rules
        .retain(|r| r.id.as_str().starts_with("ID_ALLOW_LOB") || r.id.as_str() == "ID_FILEATTRIB_TOOL");
    p.ci_signers.clear();
}

type Mutation = fn(&mut Policy);

/// For each code: the change that triggers it, and a near miss that does not.
fn cases() -> Vec<(&'static str, Mutation, Mutation)> {
    vec![
        ("AU001", |p| _ = opt(p, OptionKind::AuditMode, true), |_| {}),
        (
            "AU002",
            |p| _ = opt(p, OptionKind::Umci, false),
            // A deny list without UMCI is not an allow-list.
            |p| {
                opt(p, OptionKind::Umci, false);
                let g = user(p);
                g.allowed.clear();
                g.file_rules_ref.retain(|r| r.as_str().starts_with("ID_DENY"));
            },
        ),
        ("AU003", unsigned, |_| {}),
        (
            "AU004",
            |p| _ = opt(p, OptionKind::AdvancedBootOptionsMenu, true),
            |_| {},
        ),
        ("AU005", |p| _ = opt(p, OptionKind::BootAuditOnFailure, true), |_| {}),
        (
            "AU006",
            |p| _ = opt(p, OptionKind::DisabledScriptEnforcement, true),
            |_| {},
        ),
        (
            "AU007",
            |p| {
                _ = opt(
                    opt(p, OptionKind::IntelligentSecurityGraphAuthorization, true),
                    OptionKind::InvalidateEasOnReboot,
                    true,
                )
            },
            |p| _ = opt(p, OptionKind::InvalidateEasOnReboot, true),
        ),
        (
            "AU008",
            |p| _ = opt(p, OptionKind::IntelligentSecurityGraphAuthorization, true),
            |p| {
                _ = opt(
                    opt(p, OptionKind::IntelligentSecurityGraphAuthorization, true),
                    OptionKind::InvalidateEasOnReboot,
                    true,
                )
            },
        ),
        ("AU009", |p| _ = opt(p, OptionKind::ManagedInstaller, true), |_| {}),
        (
            "AU010",
            |p| _ = opt(p, OptionKind::DisabledRuntimeFilePathRuleProtection, true),
            |_| {},
        ),
        (
            "AU011",
            |p| {
                unsigned(p);
                opt(p, OptionKind::AllowSupplementalPolicies, true);
            },
            // Signed, and supplementals must be signed by one publisher.
            |p| {
                opt(p, OptionKind::AllowSupplementalPolicies, true);
                let mut s = signer("ID_SIGNER_SUPP", "Contoso Policy Signing", CertRoot::Tbs(hx(0x22, 32)));
                s.cert_publisher = Some("Contoso Supplemental Team".into());
                p.signers.push(s);
                p.supplemental_policy_signers.push("ID_SIGNER_SUPP".into());
            },
        ),
        (
            "AU012",
            |p| _ = opt(p, OptionKind::RevokedExpiredAsUnsigned, false),
            |_| {},
        ),
        ("AU013", |p| _ = opt(p, OptionKind::RequiredEvSigners, true), |_| {}),
        ("AU014", |p| _ = opt(p, OptionKind::SecureSettingPolicy, true), |_| {}),
        (
            "AU015",
            |p| _ = opt(p, OptionKind::UnsignedSystemIntegrityPolicy, true),
            unsigned,
        ),
        (
            "AU020",
            |p| add_user_rule(p, allow("ID_ALLOW_ALL", |r| r.file_name = Some("*".into()))),
            // Allow-all in a deny list.
            |p| {
                let g = user(p);
                g.allowed.clear();
                g.file_rules_ref.retain(|r| r.as_str().starts_with("ID_DENY"));
                add_user_rule(p, allow("ID_ALLOW_ALL", |r| r.file_name = Some("*".into())));
            },
        ),
        (
            "AU021",
            |p| add_user_signer(p, signer("ID_SIGNER_AUTHROOT", "AuthRoot", CertRoot::Wellknown(0x14))),
            |_| {},
        ),
        (
            "AU022",
            |p| {
                add_user_signer(
                    p,
                    signer("ID_SIGNER_TEST2010", "Test Root 2010", CertRoot::Wellknown(0x0A)),
                )
            },
            // The flight root with flight signing disabled (option 4, set in the clean policy).
            |p| {
                add_user_signer(
                    p,
                    signer("ID_SIGNER_FLIGHT", "Flight Root 2014", CertRoot::Wellknown(0x0E)),
                )
            },
        ),
        (
            "AU023",
            |p| {
                add_user_signer(
                    p,
                    signer("ID_SIGNER_PRODUCT_2010", "Product Root 2010", CertRoot::Wellknown(0x06)),
                )
            },
            |_| {},
        ),
        (
            "AU027",
            |p| {
                add_user_signer(
                    p,
                    signer(
                        "ID_SIGNER_IDV_2020",
                        "Identity Verification Root 2020",
                        CertRoot::Wellknown(0x16),
                    ),
                )
            },
            |_| {},
        ),
        (
            "AU028",
            |p| {
                add_user_signer(
                    p,
                    signer(
                        "ID_SIGNER_CODEVERIF",
                        "Code Verification Root",
                        CertRoot::Wellknown(0x08),
                    ),
                )
            },
            // Kernel mode only.
            |p| {
                p.signers.push(signer(
                    "ID_SIGNER_CODEVERIF",
                    "Code Verification Root",
                    CertRoot::Wellknown(0x08),
                ));
                kernel(p).allowed.push(allowed("ID_SIGNER_CODEVERIF"));
            },
        ),
        (
            "AU024",
            |p| {
                add_user_signer(
                    p,
                    signer(
                        "ID_SIGNER_FABRIKAM_CA",
                        "Fabrikam Code Signing CA",
                        CertRoot::Tbs(hx(0x33, 32)),
                    ),
                )
            },
            |p| {
                let mut s = signer(
                    "ID_SIGNER_FABRIKAM_CA",
                    "Fabrikam Code Signing CA",
                    CertRoot::Tbs(hx(0x33, 32)),
                );
                s.cert_publisher = Some("Fabrikam Ltd".into());
                add_user_signer(p, s);
            },
        ),
        (
            "AU025",
            |p| {
                let mut s = signer(
                    "ID_SIGNER_MSCORP",
                    "Microsoft Code Signing PCA 2011",
                    CertRoot::Tbs(hx(0x44, 32)),
                );
                s.cert_publisher = Some("Microsoft Corporation".into());
                add_user_signer(p, s);
            },
            |p| {
                let mut s = signer(
                    "ID_SIGNER_MSCORP",
                    "Microsoft Code Signing PCA 2011",
                    CertRoot::Tbs(hx(0x44, 32)),
                );
                s.cert_publisher = Some("Microsoft Corporation".into());
                s.file_attrib_refs.push("ID_FILEATTRIB_TOOL".into());
                add_user_signer(p, s);
            },
        ),
        (
            "AU026",
            |p| {
                add_user_rule(
                    p,
                    allow("ID_ALLOW_TOOL_NAME", |r| r.file_name = Some("tool.exe".into())),
                )
            },
            |_| {},
        ),
        (
            "AU030",
            |p| {
                add_user_rule(
                    p,
                    allow("ID_ALLOW_PUBLIC", |r| {
                        r.file_path = Some("%OSDRIVE%\\Users\\Public\\*".into())
                    }),
                )
            },
            |p| {
                add_user_rule(
                    p,
                    allow("ID_ALLOW_PROGRAM", |r| {
                        r.file_path = Some("%OSDRIVE%\\Program Files\\Contoso\\*".into())
                    }),
                )
            },
        ),
        (
            "AU031",
            |p| {
                add_user_rule(
                    p,
                    allow("ID_ALLOW_ANYWHERE", |r| r.file_path = Some("*\\tool.exe".into())),
                )
            },
            |p| {
                add_user_rule(
                    p,
                    allow("ID_ALLOW_PROGRAM", |r| {
                        r.file_path = Some("%OSDRIVE%\\Program Files\\Contoso\\*".into())
                    }),
                )
            },
        ),
        (
            "AU032",
            |p| {
                add_user_rule(
                    p,
                    deny("ID_DENY_PATH", |r| {
                        r.file_path = Some("%OSDRIVE%\\Tools\\bad.exe".into())
                    }),
                )
            },
            |p| add_user_rule(p, deny("ID_DENY_NAME", |r| r.file_name = Some("bad.exe".into()))),
        ),
        (
            "AU033",
            |p| {
                add_user_rule(
                    p,
                    allow("ID_ALLOW_SHARE", |r| r.file_path = Some("\\\\server\\apps\\*".into())),
                )
            },
            |p| {
                add_user_rule(
                    p,
                    allow("ID_ALLOW_PROGRAM", |r| {
                        r.file_path = Some("%OSDRIVE%\\Program Files\\Contoso\\*".into())
                    }),
                )
            },
        ),
        (
            "AU040",
            |p| {
                user(p)
                    .file_rules_ref
                    .retain(|r| !r.as_str().starts_with("ID_DENY_BLOCK"));
                p.file_rules.retain(|r| !r.id.as_str().starts_with("ID_DENY_BLOCK"));
            },
            |_| {},
        ),
        ("AU041", |p| kernel(p).file_rules_ref.clear(), |_| {}),
        (
            "AU042",
            |p| {
                supplemental(p);
                add_user_rule(p, deny("ID_DENY_IN_SUPP", |r| r.file_name = Some("bad.exe".into())));
            },
            supplemental,
        ),
        (
            "AU043",
            |p| {
                add_user_rule(
                    p,
                    deny("ID_DENY_OLD", |r| {
                        r.file_name = Some("old.exe".into());
                        r.maximum_file_version = Some("2.0.0.0".parse().unwrap());
                    }),
                )
            },
            |p| {
                add_user_rule(
                    p,
                    deny("ID_DENY_OLD", |r| {
                        r.file_name = Some("old.exe".into());
                        r.minimum_file_version = Some("0.0.0.0".parse().unwrap());
                        r.maximum_file_version = Some("2.0.0.0".parse().unwrap());
                    }),
                )
            },
        ),
        (
            "AU044",
            |p| {
                // The page-hash variants are missing.
                let g = kernel(p);
                g.file_rules_ref
                    .retain(|r| r.as_str() != "ID_DENY_BADSYS_3" && r.as_str() != "ID_DENY_BADSYS_4");
                p.file_rules
                    .retain(|r| r.id.as_str() != "ID_DENY_BADSYS_3" && r.id.as_str() != "ID_DENY_BADSYS_4");
            },
            |_| {},
        ),
        (
            "AU045",
            |p| {
                for r in hash_set(FileRuleKind::Allow, "ID_ALLOW_OLDTOOL", "oldtool.exe", 0x51)
                    .into_iter()
                    .step_by(2)
                {
                    add_user_rule(p, r);
                }
            },
            |_| {},
        ),
        (
            "AU046",
            |p| {
                p.file_rules
                    .push(deny("ID_DENY_FORGOTTEN", |r| r.file_name = Some("bad.exe".into())))
            },
            |_| {},
        ),
        (
            "AU050",
            |p| {
                user(p)
                    .allowed
                    .retain(|a| a.signer_id.as_str() != "ID_SIGNER_WINDOWS_USER");
                p.signers.retain(|s| s.id.as_str() != "ID_SIGNER_WINDOWS_USER");
            },
            |_| {},
        ),
        (
            "AU051",
            |p| {
                add_user_rule(
                    p,
                    allow("ID_ALLOW_PFN", |r| {
                        r.package_family_name = Some("Contoso.App_8wekyb3d8bbwe".into())
                    }),
                );
                let mut s = signer(
                    "ID_SIGNER_STORE",
                    "Microsoft MarketPlace PCA 2011",
                    CertRoot::Tbs(hx(0x55, 32)),
                );
                s.cert_ekus.push(CertEku {
                    id: "ID_EKU_STORE".into(),
                    condition: None,
                });
                add_user_signer(p, s);
            },
            |p| {
                add_user_rule(
                    p,
                    allow("ID_ALLOW_PFN", |r| {
                        r.package_family_name = Some("Contoso.App_8wekyb3d8bbwe".into())
                    }),
                )
            },
        ),
        (
            "AU053",
            |p| {
                p.signers.push(signer(
                    "ID_SIGNER_CI_ROOT",
                    "Product Root 2010",
                    CertRoot::Wellknown(0x06),
                ));
                p.ci_signers.push("ID_SIGNER_CI_ROOT".into());
            },
            |_| {},
        ),
    ]
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/audit")
}

/// Writes (with CIPOLICY_REGEN=1) or checks the fixture file, and returns the policy read back.
fn fixture(name: &str, p: &Policy) -> Policy {
    let text = xml::write(p);
    let path = dir().join(name);
    if std::env::var_os("CIPOLICY_REGEN").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "{name} is stale; run the audit tests with CIPOLICY_REGEN=1"
    );
    xml::read(on_disk.as_bytes()).unwrap().policy
}

fn codes(p: &Policy) -> Vec<&'static str> {
    audit(p).iter().map(|h| h.code).collect()
}

#[test]
fn clean_policy_triggers_nothing() {
    let p = fixture("clean.xml", &clean());
    assert_eq!(audit(&p), vec![], "the hardened fixture must be clean");
}

#[test]
fn every_heuristic_has_a_trigger_and_a_near_miss() {
    let cases = cases();
    for c in CHECKS {
        if c.code == "AU052" {
            continue; // tested below with a generated policy: 10,001 rules do not belong in testdata
        }
        assert!(
            cases.iter().any(|(code, ..)| *code == c.code),
            "{} has no fixture",
            c.code
        );
    }
    for (code, trigger, pass) in cases {
        let mut t = clean();
        trigger(&mut t);
        let t = fixture(&format!("{code}.trigger.xml"), &t);
        assert!(codes(&t).contains(&code), "{code}.trigger.xml: {:?}", codes(&t));
        let mut n = clean();
        pass(&mut n);
        let n = fixture(&format!("{code}.pass.xml"), &n);
        assert!(!codes(&n).contains(&code), "{code}.pass.xml: {:#?}", audit(&n));
    }
}

#[test]
fn many_hash_rules() {
    let mut p = clean();
    for i in 0..10_001u32 {
        let id = format!("ID_ALLOW_H_{i:X}");
        let mut r = FileRule::new(FileRuleKind::Allow, id.as_str());
        let mut h = vec![0u8; 32];
        h[..4].copy_from_slice(&i.to_be_bytes());
        r.hash = Some(HexBytes(h));
        add_user_rule(&mut p, r);
    }
    assert!(codes(&p).contains(&"AU052"));
    assert!(!codes(&clean()).contains(&"AU052"));
}

fn render(hits: &[cipolicy::ops::audit::Hit]) -> String {
    hits.iter()
        .map(|h| format!("  {} {:?} [{}] {}\n", h.code, h.rating, h.path, h.message))
        .collect()
}

/// The built-in rule packs (rules/*.toml, the restrict-app-execution reconstruction among them).
#[test]
fn rule_packs_audited() {
    let mut out = String::new();
    for (name, text) in cipolicy::spec::PACKS {
        let opts = cipolicy::spec::BuildOptions {
            xml: Some(&|b: &[u8]| {
                xml::read(b)
                    .map(|d| d.policy)
                    .map_err(|e| cipolicy::spec::XmlReadError {
                        line: e.span.line,
                        column: e.span.column,
                        message: e.message,
                    })
            }),
            scanner: None,
        };
        let built = cipolicy::spec::build_text(name, Path::new("rules"), text, &opts).unwrap();
        out.push_str(&format!("== {name}\n{}", render(&audit(&built.policy))));
    }
    insta::assert_snapshot!("audit_rule_packs", out);
}

/// Every Microsoft template in the corpus.
#[test]
fn corpus_templates_audited() {
    let Some(corpus) = common::corpus() else { return };
    let mut out = String::new();
    let dirs = [
        "xml/ms-examplepolicies-insider",
        "xml/wdac-toolkit/WDAC-Policy-Wizard/app/Resources/policyTemplates",
        "xml/wdac-toolkit/WDAC-Policy-Wizard/app/MSIX/Templates",
    ];
    for d in dirs {
        for path in common::files_with_ext(&corpus.join(d), &[".xml"]) {
            let rel = path.strip_prefix(&corpus).unwrap().display().to_string();
            match xml::read(&std::fs::read(&path).unwrap()) {
                Ok(doc) => out.push_str(&format!("== {rel}\n{}", render(&audit(&doc.policy)))),
                Err(e) => out.push_str(&format!("== {rel}\n  does not parse: {e}\n")),
            }
        }
    }
    insta::assert_snapshot!("audit_corpus_templates", out);
}

/// The fixtures are valid policies: what the audit flags is risk, not invalidity.
#[test]
fn fixtures_are_valid_policies() {
    let mut n = 0;
    for path in common::files_with_ext(&dir(), &[".xml"]) {
        let v = cipolicy::valid::validate_xml(&std::fs::read(&path).unwrap(), &Default::default());
        let errors: Vec<String> = v
            .report
            .findings
            .iter()
            .filter(|f| f.severity == cipolicy::valid::Severity::Error)
            .map(|f| format!("{} {}", f.code, f.message))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        n += 1;
    }
    assert_eq!(n, 2 * (CHECKS.len() - 1) + 1);
}

/// The audit report reuses the validator's findings: codes, severities by rating, positions.
#[test]
fn report_points_into_the_source() {
    let path = dir().join("AU030.trigger.xml");
    let doc = xml::read(&std::fs::read(&path).unwrap()).unwrap();
    let r = cipolicy::ops::audit::report(&doc.policy, Some(&doc));
    let f = r.findings.iter().find(|f| f.code.to_string() == "AU030").unwrap();
    assert_eq!(f.severity, cipolicy::valid::Severity::Error);
    assert!(f.message.starts_with("[high] "));
    let cipolicy::valid::Location::Text { line, .. } = f.location else {
        panic!("{:?}", f.location)
    };
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().nth(line as usize - 1).unwrap().contains("ID_ALLOW_PUBLIC"));
}
