//! `explain` over the shared fixtures: policies built at each level by the scanner and by hand,
//! with verdicts reasoned out by hand from the fixtures' documented facts (fixtures/README.md and
//! expected.json): hello*.exe share one image (Authenticode SHA-256 FD1B…), FILEVERSION 1.2.3.4
//! and OriginalFilename hello-orig.exe; hello_signed*.exe (except _sha1) are signed by "WDAC Fixture
//! Publisher" under "WDAC Fixture PCA 2024"; _sha1 by the Legacy chain; hello_overlay.exe has extra
//! bytes (another hash); fixdrv_whql.sys is a driver signed under PCA 2024 by a leaf with the WHQL
//! EKU and program name "Contoso Hardware OEM".
mod common;

use std::path::Path;

use cipolicy::model::*;
use cipolicy::ops::explain::{Verdict, explain};
use cipolicy::scan::{FactOptions, FileFacts, Level, RuleOptions, emit, facts_from_bytes, rules};

use Verdict::{Allowed as A, Blocked as B, NotCovered as N};

fn facts(dir: &Path, name: &str) -> FileFacts {
    let bytes = std::fs::read(dir.join("out").join(name)).unwrap();
    facts_from_bytes(name, &bytes, FactOptions::default())
}

/// Verdicts per scenario the file loads in (131 first).
fn verdicts(p: &Policy, f: &FileFacts, path: Option<&str>) -> Vec<(u8, Verdict)> {
    explain(p, f, path)
        .scenarios
        .iter()
        .map(|s| (s.scenario, s.verdict))
        .collect()
}

fn user(v: Verdict) -> Vec<(u8, Verdict)> {
    vec![(12, v)]
}

fn level_policy(f: &FileFacts, level: Level, kernel: bool) -> Policy {
    let o = RuleOptions {
        level,
        user_mode: !kernel,
        kernel_mode: kernel,
        ..RuleOptions::default()
    };
    let set = rules::build(std::slice::from_ref(f), &o);
    assert!(set.unresolved.is_empty(), "{level:?}: {:?}", set.unresolved);
    emit::to_policy(&set, None)
}

#[test]
fn policies_built_at_each_level() {
    let Some(fx) = common::fixtures() else { return };
    let names = [
        "hello.exe",
        "hello_signed.exe",
        "hello_signed_ph.exe",
        "hello_signed_sha1.exe",
        "hello_overlay.exe",
        "hello_overlay_signed.exe",
    ];
    let files: Vec<FileFacts> = names.iter().map(|n| facts(&fx, n)).collect();
    let source = &files[1];
    // Expected verdict in user mode for each file above, per level the policy was built at from
    // hello_signed.exe.
    let table: [(Level, [Verdict; 6]); 8] = [
        // Same image hash for everything but the overlay files.
        (Level::Hash, [A, A, A, A, N, N]),
        // OriginalFilename hello-orig.exe, version >= 1.2.3.4: every hello, signed or not.
        (Level::FileName, [A, A, A, A, A, A]),
        // PCA 2024 + publisher "WDAC Fixture Publisher": the files it signed.
        (Level::Publisher, [N, A, A, N, N, A]),
        (Level::FilePublisher, [N, A, A, N, N, A]),
        (Level::SignedVersion, [N, A, A, N, N, A]),
        (Level::LeafCertificate, [N, A, A, N, N, A]),
        (Level::PcaCertificate, [N, A, A, N, N, A]),
        (Level::FilePath, [N, N, N, N, N, N]),
    ];
    for (level, want) in table {
        let p = level_policy(source, level, false);
        for (f, w) in files.iter().zip(want) {
            assert_eq!(verdicts(&p, f, None), user(w), "{level:?} policy, {}", f.path);
        }
    }
    // The FilePath policy matches by the path the file was scanned under.
    let p = level_policy(source, Level::FilePath, false);
    assert_eq!(verdicts(&p, &files[0], Some("hello_signed.exe")), user(A));
    assert_eq!(verdicts(&p, &files[0], Some("other.exe")), user(N));
}

#[test]
fn whql_levels_check_eku_and_oem() {
    let Some(fx) = common::fixtures() else { return };
    let drv = facts(&fx, "fixdrv_whql.sys");
    let unsigned = facts(&fx, "fixdrv.sys");
    for level in [Level::Whql, Level::WhqlPublisher, Level::WhqlFilePublisher] {
        let mut p = level_policy(&drv, level, true);
        assert_eq!(verdicts(&p, &drv, None), vec![(131, A)], "{level:?}");
        assert_eq!(verdicts(&p, &unsigned, None)[0], (131, N), "{level:?}");
        // The same signer in user mode does not allow hello_signed.exe: same PCA, but its leaf
        // lacks the WHQL EKU.
        let user_sc = p.signing_scenarios.iter().position(|s| s.value == 12);
        let signer = p.scenario(131).unwrap().product_signers.allowed[0].clone();
        match user_sc {
            Some(i) => p.signing_scenarios[i].product_signers.allowed.push(signer),
            None => {
                let mut sc = SigningScenario::new("ID_SIGNINGSCENARIO_WINDOWS", 12);
                sc.product_signers.allowed.push(signer);
                p.signing_scenarios.push(sc);
            }
        }
        let hello = facts(&fx, "hello_signed.exe");
        let e = explain(&p, &hello, None);
        assert_eq!(e.scenarios[0].verdict, N, "{level:?}");
    }
    // WHQLPublisher with another OEM name does not match.
    let mut p = level_policy(&drv, Level::WhqlPublisher, true);
    for s in &mut p.signers {
        s.cert_oem_id = Some("Fabrikam".into());
    }
    assert_eq!(verdicts(&p, &drv, None), vec![(131, N)]);
}

/// A base policy that allows everything in user mode (`FileName="*"`), plus `extra` rules.
fn allow_all_plus(extra: Vec<FileRule>) -> Policy {
    let mut p = Policy::new_base("{5E1B7C5A-2B43-4B8E-9C1D-0C8E0A2F9A99}".parse().unwrap());
    p.set_option(OptionKind::Umci, true);
    let mut all = FileRule::new(FileRuleKind::Allow, "ID_ALLOW_ALL");
    all.file_name = Some("*".into());
    let mut sc = SigningScenario::new("ID_SIGNINGSCENARIO_WINDOWS", 12);
    sc.product_signers.file_rules_ref.push(all.id.clone());
    p.file_rules.push(all);
    for r in extra {
        sc.product_signers.file_rules_ref.push(r.id.clone());
        p.file_rules.push(r);
    }
    p.signing_scenarios.push(sc);
    p
}

fn rule(kind: FileRuleKind, id: &str, f: impl FnOnce(&mut FileRule)) -> FileRule {
    let mut r = FileRule::new(kind, id);
    f(&mut r);
    r
}

fn v(s: &str) -> Option<Version> {
    Some(s.parse().unwrap())
}

#[test]
fn deny_precedence_and_version_bounds() {
    let Some(fx) = common::fixtures() else { return };
    let hello = facts(&fx, "hello.exe");
    let overlay = facts(&fx, "hello_overlay.exe");
    // Deny by the image hash: hello.exe is blocked although FileName="*" allows it; the overlay
    // file has another hash and stays allowed.
    let p = allow_all_plus(vec![rule(FileRuleKind::Deny, "ID_DENY_HELLO", |r| {
        r.hash = Some(hello.sha256.clone());
    })]);
    let e = explain(&p, &hello, None);
    assert_eq!(e.scenarios[0].verdict, B);
    assert_eq!(e.scenarios[0].matches.len(), 2, "the deny and the allow both match");
    assert_eq!(verdicts(&p, &overlay, None), user(A));
    // Deny by name with version bounds (FILEVERSION 1.2.3.4): only a minimum blocks versions up
    // to it, only a maximum blocks versions from it up.
    for (min, max, want) in [
        (None, None, B),
        (v("1.2.3.4"), None, B),
        (v("1.2.3.3"), None, A),
        (None, v("1.2.3.4"), B),
        (None, v("1.2.3.5"), A),
        (v("1.0.0.0"), v("2.0.0.0"), B),
        (v("1.2.3.5"), v("2.0.0.0"), A),
        (v("65535.65535.65535.65535"), None, B),
    ] {
        let p = allow_all_plus(vec![rule(FileRuleKind::Deny, "ID_DENY_NAME", |r| {
            r.file_name = Some("HELLO-ORIG.EXE".into());
            r.minimum_file_version = min;
            r.maximum_file_version = max;
        })]);
        assert_eq!(verdicts(&p, &hello, None), user(want), "deny min {min:?} max {max:?}");
    }
    // Allow by name with version bounds: at least the minimum, at most the maximum.
    for (min, max, want) in [
        (v("1.2.3.4"), None, A),
        (v("1.2.3.5"), None, N),
        (None, v("1.2.3.3"), N),
        (v("1.0.0.0"), v("1.2.3.4"), A),
    ] {
        let mut p = allow_all_plus(vec![rule(FileRuleKind::Allow, "ID_ALLOW_NAME", |r| {
            r.file_name = Some("hello-orig.exe".into());
            r.minimum_file_version = min;
            r.maximum_file_version = max;
        })]);
        p.signing_scenarios[0]
            .product_signers
            .file_rules_ref
            .retain(|r| r.as_str() != "ID_ALLOW_ALL");
        assert_eq!(verdicts(&p, &hello, None), user(want), "allow min {min:?} max {max:?}");
    }
}

#[test]
fn signer_exceptions_and_denied_signers() {
    let Some(fx) = common::fixtures() else { return };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fx.join("expected.json")).unwrap()).unwrap();
    let pca_tbs: HexBytes = expected["cert:pca"]["tbs"].as_str().unwrap().parse().unwrap();
    let signed = facts(&fx, "hello_signed.exe");
    let legacy = facts(&fx, "hello_signed_sha1.exe");
    let base = |deny_signer: bool, except: bool| {
        let mut p = allow_all_plus(Vec::new());
        p.signers
            .push(Signer::new("ID_SIGNER_PCA", CertRoot::Tbs(pca_tbs.clone())));
        let mut x = FileRule::new(FileRuleKind::Allow, "ID_ALLOW_EXCEPT");
        x.hash = Some(signed.sha256.clone());
        let mut d = FileRule::new(FileRuleKind::Deny, "ID_DENY_EXCEPT");
        d.file_name = Some("hello-orig.exe".into());
        p.file_rules.extend([x, d]);
        let g = &mut p.signing_scenarios[0].product_signers;
        if deny_signer {
            g.denied.push(DeniedSigner {
                signer_id: "ID_SIGNER_PCA".into(),
                except_allow_rules: if except { vec!["ID_ALLOW_EXCEPT".into()] } else { vec![] },
            });
        } else {
            g.file_rules_ref.retain(|r| r.as_str() != "ID_ALLOW_ALL");
            g.allowed.push(AllowedSigner {
                signer_id: "ID_SIGNER_PCA".into(),
                except_deny_rules: if except { vec!["ID_DENY_EXCEPT".into()] } else { vec![] },
            });
        }
        p
    };
    // A denied PCA blocks what it signed, not what the Legacy chain signed.
    assert_eq!(verdicts(&base(true, false), &signed, None), user(B));
    assert_eq!(verdicts(&base(true, false), &legacy, None), user(A));
    // ExceptAllowRule: the denial does not apply to the excepted file (FileName="*" allows it).
    let e = explain(&base(true, true), &signed, None);
    assert_eq!(e.scenarios[0].verdict, A);
    assert!(e.scenarios[0].matches.iter().any(|m| m.excepted_by.is_some()));
    // An allowed PCA allows; ExceptDenyRule on a name takes the file out again.
    assert_eq!(verdicts(&base(false, false), &signed, None), user(A));
    assert_eq!(verdicts(&base(false, false), &legacy, None), user(N));
    assert_eq!(verdicts(&base(false, true), &signed, None), user(N));
    // A deny in a supplemental policy is ignored.
    let mut s = allow_all_plus(vec![rule(FileRuleKind::Deny, "ID_DENY_HELLO", |r| {
        r.hash = Some(signed.sha256.clone());
    })]);
    s.policy_type = Some(PolicyType::Supplemental);
    s.base_policy_id = "{5E1B7C5A-2B43-4B8E-9C1D-0C8E0A2F9A01}".parse().ok();
    assert_eq!(verdicts(&s, &signed, None), user(A));
}

#[test]
fn path_rules_with_macros_and_wildcards() {
    let Some(fx) = common::fixtures() else { return };
    let hello = facts(&fx, "hello.exe");
    let drv = facts(&fx, "fixdrv.sys");
    for (pattern, path, want) in [
        ("%OSDRIVE%\\Tools\\*", Some("C:\\Tools\\hello.exe"), A),
        ("%OSDRIVE%\\Tools\\*", Some("C:\\Tools\\sub\\dir\\hello.exe"), A),
        ("%OSDRIVE%\\Tools\\*", Some("D:\\Tools\\hello.exe"), N),
        ("%OSDRIVE%\\Tools\\*", None, N),
        ("%WINDIR%\\h?llo.exe", Some("c:\\windows\\HELLO.exe"), A),
        ("%SYSTEM32%\\*.exe", Some("C:\\Windows\\System32\\hello.exe"), A),
        ("%SYSTEM32%\\*.exe", Some("C:\\Windows\\System32\\hello.dll"), N),
        ("*\\hello.exe", Some("E:\\anywhere\\hello.exe"), A),
        ("C:\\Tools\\hello.exe", Some("C:\\Tools\\hello.exe.old"), N),
    ] {
        let mut p = allow_all_plus(vec![rule(FileRuleKind::Allow, "ID_ALLOW_PATH", |r| {
            r.file_path = Some(pattern.into());
        })]);
        p.signing_scenarios[0]
            .product_signers
            .file_rules_ref
            .retain(|r| r.as_str() != "ID_ALLOW_ALL");
        assert_eq!(verdicts(&p, &hello, path), user(want), "{pattern} vs {path:?}");
    }
    // FilePath rules never apply in kernel mode.
    let mut p = Policy::new_base("{5E1B7C5A-2B43-4B8E-9C1D-0C8E0A2F9A98}".parse().unwrap());
    let r = rule(FileRuleKind::Allow, "ID_ALLOW_PATH", |r| {
        r.file_path = Some("C:\\Drivers\\*".into())
    });
    let mut sc = SigningScenario::new("ID_SIGNINGSCENARIO_DRIVERS_1", 131);
    sc.product_signers.file_rules_ref.push(r.id.clone());
    p.file_rules.push(r);
    p.signing_scenarios.push(sc);
    let e = explain(&p, &drv, Some("C:\\Drivers\\fixdrv.sys"));
    assert_eq!(e.scenarios[0].scenario, 131);
    assert_eq!(e.scenarios[0].verdict, N);
}

#[test]
fn scripts_and_installers_by_sip_hash() {
    let Some(fx) = common::fixtures() else { return };
    for (built_from, also_allowed, other) in [
        ("s_crlf_signed.ps1", "s_crlf.ps1", "s_lf.ps1"),
        ("fix_signed.msi", "fix.msi", "s_bom.ps1"),
    ] {
        let f = facts(&fx, built_from);
        let p = level_policy(&f, Level::Hash, false);
        assert_eq!(verdicts(&p, &f, None), user(A), "{built_from}");
        // Signing does not change the SIP digest.
        assert_eq!(verdicts(&p, &facts(&fx, also_allowed), None), user(A), "{also_allowed}");
        assert_eq!(verdicts(&p, &facts(&fx, other), None), user(N), "{other}");
    }
}

#[test]
fn human_report() {
    let Some(fx) = common::fixtures() else { return };
    let signed = facts(&fx, "hello_signed.exe");
    let hello = facts(&fx, "hello.exe");
    let mut p = level_policy(&signed, Level::FilePublisher, false);
    let mut d = FileRule::new(FileRuleKind::Deny, "ID_DENY_OLD_HELLO");
    d.file_name = Some("hello-orig.exe".into());
    d.maximum_file_version = v("1.2.3.4");
    p.signing_scenarios
        .iter_mut()
        .find(|s| s.value == 12)
        .unwrap()
        .product_signers
        .file_rules_ref
        .push(d.id.clone());
    p.file_rules.push(d);
    // No TBS value is printed, so the snapshot survives regenerated fixture keys.
    let text = cipolicy::ops::explain::to_human(&[explain(&p, &signed, None), explain(&p, &hello, None)]);
    insta::assert_snapshot!("explain_human", text);
}

#[test]
fn page_hashes_count_only_for_page_hash_signed_files() {
    let Some(fx) = common::fixtures() else { return };
    let hello = facts(&fx, "hello.exe");
    let ph = facts(&fx, "hello_signed_ph.exe");
    let overlay = facts(&fx, "hello_overlay.exe");
    // All three share the first page (the overlay is at the end of the file).
    assert_eq!(hello.page_sha256, ph.page_sha256);
    assert_eq!(hello.page_sha256, overlay.page_sha256);
    let mut p = allow_all_plus(vec![rule(FileRuleKind::Allow, "ID_ALLOW_PAGE", |r| {
        r.hash = hello.page_sha256.clone();
    })]);
    p.signing_scenarios[0]
        .product_signers
        .file_rules_ref
        .retain(|r| r.as_str() != "ID_ALLOW_ALL");
    assert_eq!(verdicts(&p, &ph, None), user(A));
    assert_eq!(verdicts(&p, &hello, None), user(N));
    assert_eq!(verdicts(&p, &overlay, None), user(N));
}
