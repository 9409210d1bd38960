//! Microsoft-published values (rule-levels.md §6.2, §3.5) reproduced through the scanner: a PE
//! signed here whose certificate bag carries Microsoft's real "Windows Production PCA 2011" and
//! root (read in place from the shared corpus) must give the Publisher rule Microsoft publishes
//! for DXCore.dll-style files; the WHQL EKU value must match Microsoft's templates.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use cipolicy::model::CertRoot;
use cipolicy::model::roots::eku_value_from_oid;
use cipolicy::scan::rules::PcaChoice;
use cipolicy::scan::{Level, RuleOptions, WalkOptions, emit, run_scan};

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().is_ok() || Command::new(tool).arg("version").output().is_ok();
    if !ok {
        if std::env::var_os("CI").is_some_and(|v| v == "true") {
            panic!("{tool} is required under CI=true");
        }
        eprintln!("NOTICE: {tool} not installed; skipping");
    }
    ok
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn der_to_pem(der: &Path, pem: &Path) {
    run(Command::new("openssl")
        .args(["x509", "-inform", "DER", "-in"])
        .arg(der)
        .arg("-out")
        .arg(pem));
}

/// A leaf "Microsoft Windows" issued under a throwaway CA whose subject is spelled like Microsoft's
/// PCA, then a PE signed with a bag of that leaf plus Microsoft's real PCA and root.
fn signed_with_microsoft_bag(corpus: &Path, fixtures: &Path, dir: &Path) -> PathBuf {
    let certs = corpus.join("signed/hbkmon-testing-repo/certs");
    let pca = dir.join("pca.pem");
    der_to_pem(&certs.join("Microsoft_Windows_Production_PCA_2011.cer"), &pca);
    let root_src = corpus.join("signed/hotcakex/certs/Microsoft Root CA 2010.crt");
    let root = dir.join("root.pem");
    if std::fs::read(&root_src).unwrap().starts_with(b"-----") {
        std::fs::copy(&root_src, &root).unwrap();
    } else {
        der_to_pem(&root_src, &root);
    }
    let cnf = dir.join("ext.cnf");
    std::fs::write(
        &cnf,
        "[req]\ndistinguished_name=dn\nstring_mask=default\n[dn]\n[leaf]\nextendedKeyUsage=codeSigning\n",
    )
    .unwrap();
    let subj = "/C=US/ST=Washington/L=Redmond/O=Microsoft Corporation";
    run(Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-config"])
        .arg(&cnf)
        .args(["-subj", &format!("{subj}/CN=Microsoft Windows Production PCA 2011")])
        .arg("-keyout")
        .arg(dir.join("ca.key"))
        .arg("-out")
        .arg(dir.join("ca.pem")));
    run(Command::new("openssl")
        .args(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-config"])
        .arg(&cnf)
        .args(["-subj", &format!("{subj}/CN=Microsoft Windows")])
        .arg("-keyout")
        .arg(dir.join("leaf.key"))
        .arg("-out")
        .arg(dir.join("leaf.csr")));
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-set_serial", "7", "-in"])
        .arg(dir.join("leaf.csr"))
        .arg("-CA")
        .arg(dir.join("ca.pem"))
        .arg("-CAkey")
        .arg(dir.join("ca.key"))
        .arg("-extfile")
        .arg(&cnf)
        .args(["-extensions", "leaf", "-out"])
        .arg(dir.join("leaf.pem")));
    let mut chain = std::fs::read(dir.join("leaf.pem")).unwrap();
    chain.extend(std::fs::read(&pca).unwrap());
    chain.extend(std::fs::read(&root).unwrap());
    std::fs::write(dir.join("chain.pem"), chain).unwrap();
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    let out = tree.join("dxcore-like.dll");
    run(Command::new("osslsigncode")
        .args(["sign", "-h", "sha256", "-certs"])
        .arg(dir.join("chain.pem"))
        .arg("-key")
        .arg(dir.join("leaf.key"))
        .arg("-in")
        .arg(fixtures.join("out/hello.exe"))
        .arg("-out")
        .arg(&out));
    tree
}

#[test]
fn publisher_rule_for_microsoft_windows_production_pca_2011() {
    let (Some(corpus), Some(fixtures)) = (common::corpus(), common::fixtures()) else {
        return;
    };
    if !have("openssl") || !have("osslsigncode") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("cipolicy-ka-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tree = signed_with_microsoft_bag(&corpus, &fixtures, &dir);
    for pca in [PcaChoice::Issuer, PcaChoice::Top] {
        let rules = RuleOptions {
            level: Level::Publisher,
            pca,
            ..RuleOptions::default()
        };
        let run = run_scan(std::slice::from_ref(&tree), &WalkOptions::default(), &rules).unwrap();
        assert_eq!(run.rules.signers.len(), 1, "{:?}", run.summary);
        let policy = emit::to_policy(&run.rules, None);
        let s = &policy.signers[0];
        assert_eq!(s.name.as_deref(), Some("Microsoft Windows Production PCA 2011"));
        assert_eq!(s.cert_publisher.as_deref(), Some("Microsoft Windows"));
        let CertRoot::Tbs(tbs) = &s.cert_root else { panic!() };
        // Published by Microsoft (template policies; rule-levels.md §6.2, DXCore.dll's issuer).
        assert_eq!(
            tbs.to_hex(),
            "4E80BE107C860DE896384B3EFF50504DC2D76AC7151DF3102A4450637A032146"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn eku_values_match_microsoft_templates() {
    // rule-levels.md §3.5, values as in Microsoft's template policies.
    for (oid, value) in [
        ("1.3.6.1.4.1.311.10.3.5", "010A2B0601040182370A0305"),
        ("1.3.6.1.4.1.311.10.3.6", "010A2B0601040182370A0306"),
        ("1.3.6.1.4.1.311.61.4.1", "010A2B0601040182373D0401"),
        ("1.3.6.1.4.1.311.76.11.1", "010A2B0601040182374C0B01"),
    ] {
        assert_eq!(const_hex::encode_upper(eku_value_from_oid(oid).unwrap()), value);
    }
    assert_eq!(cipolicy::scan::rules::WHQL_EKU, "1.3.6.1.4.1.311.10.3.5");
}
