//! `cipolicy sign` and `cipolicy verify` as a user runs them.

mod common;

use std::process::Command;

use common::pki::Pki;

fn cipolicy() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cipolicy"))
}

fn corpus_cip() -> Option<std::path::PathBuf> {
    Some(
        common::corpus()?.join("pairs/yufan-wdac--allowmicrosoft2025-02-21/{022DB725-D9EE-49FC-9700-BB92F02C02C6}.cip"),
    )
}

#[test]
fn verify_microsoft_policy_exit_codes_and_json() {
    let Some(dir) = common::corpus() else { return };
    let file = dir.join("signed/hbkmon-testing-repo/driversipolicy.b3b713d.p7b");
    let root = dir.join("signed/hotcakex/certs/Microsoft Root CA 2010.crt");
    let out = cipolicy()
        .arg("verify")
        .arg(&file)
        .arg("--trust")
        .arg(&root)
        .args(["--time", "2018-01-01T00:00:00Z", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(
        v["chain"][1]["tbs_hash"],
        "4E80BE107C860DE896384B3EFF50504DC2D76AC7151DF3102A4450637A032146"
    );
    assert_eq!(v["cms"]["signers"][0]["signature_algorithm"]["name"], "rsaEncryption");
    // The embedded policy is decoded: Microsoft's in-box policy keeps option 6 and names no
    // UpdatePolicySigner, which is reported as a warning.
    let update = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "policy.update_signer")
        .unwrap();
    assert_eq!(update["status"], "warn");

    // Expired at a later time: exit 1.
    let out = cipolicy()
        .arg("verify")
        .arg(&file)
        .arg("--trust")
        .arg(&root)
        .args(["--time", "2025-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL chain.validity"));

    // An unreadable file: exit 2.
    let out = cipolicy().args(["verify", "/nonexistent/x.p7b"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sign_then_verify_round_trip() {
    let Some(pki) = Pki::new("cli-sign") else { return };
    let Some(cip) = corpus_cip() else { return };
    let out_file = pki.path("signed.p7b");
    let sign = |extra: &[&str]| {
        cipolicy()
            .arg("sign")
            .arg(&cip)
            .arg("--cert")
            .arg(pki.path("leaf.pem"))
            .arg("--key")
            .arg(pki.path("leaf.key"))
            .arg("--chain")
            .arg(pki.path("pca.pem"))
            .arg("-o")
            .arg(&out_file)
            .args(extra)
            .output()
            .unwrap()
    };
    // The corpus policy keeps option 6 and has no UpdatePolicySigners: refused (exit 1) unless
    // forced, and nothing is written.
    let out = sign(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!("cli_sign_refuses_corpus_policy", String::from_utf8_lossy(&out.stderr));
    assert!(!out_file.exists());
    let out = sign(&["--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // What was forced is said.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: --force overrides: option 6"), "{stderr}");
    let first = std::fs::read(&out_file).unwrap();
    let out = sign(&["--force"]);
    assert!(out.status.success());
    assert_eq!(std::fs::read(&out_file).unwrap(), first, "deterministic");

    let out = cipolicy()
        .arg("verify")
        .arg(&out_file)
        .arg("--trust")
        .arg(pki.path("root.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // PKCS#12 input, password from the environment.
    pki.run(&[
        "pkcs12",
        "-export",
        "-inkey",
        "leaf.key",
        "-in",
        "leaf.pem",
        "-certfile",
        "pca.pem",
        "-passout",
        "pass:pw",
        "-out",
        "id.pfx",
    ]);
    let p12_out = pki.path("p12.p7b");
    let out = cipolicy()
        .arg("sign")
        .arg(&cip)
        .arg("--pkcs12")
        .arg(pki.path("id.pfx"))
        .arg("--force")
        .arg("-o")
        .arg(&p12_out)
        .env("CIPOLICY_PKCS12_PASSWORD", "pw")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&p12_out).unwrap(), first, "same identity, same bytes");
    // No password and no terminal: a usage error, not a hang.
    let out = cipolicy()
        .arg("sign")
        .arg(&cip)
        .arg("--pkcs12")
        .arg(pki.path("id.pfx"))
        .arg("--force")
        .env_remove("CIPOLICY_PKCS12_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CIPOLICY_PKCS12_PASSWORD"));
}

/// A policy written as XML whose UpdatePolicySigner is the test PCA: signed without --force,
/// verified with the match named, and checked against a newer previous version.
#[test]
fn sign_xml_policy_with_matching_update_signer() {
    use cipolicy::model::{CertRoot, Id, Policy, Signer};
    let Some(pki) = Pki::new("cli-sign-xml") else { return };
    let pca = cipolicy::cert::ParsedCert::all_from_pem_or_der(&pki.read("pca.pem"))
        .unwrap()
        .remove(0);
    let tbs = pca.facts.tbs_hash.clone().unwrap();
    let mut p = Policy::new_base("{5D1A4B7C-0E6F-4C1B-9A53-7E2B8C0D1F42}".parse().unwrap());
    p.version_ex = "10.0.0.1".parse().unwrap();
    let mut s = Signer::new("ID_SIGNER_S_UPDATE", CertRoot::Tbs(tbs.parse().unwrap()));
    s.name = Some("Contoso Test PCA".into());
    p.signers.push(s);
    p.update_policy_signers.push(Id::from("ID_SIGNER_S_UPDATE"));
    std::fs::write(pki.path("policy.xml"), cipolicy::xml::write(&p)).unwrap();
    let mut newer = p.clone();
    newer.version_ex = "10.0.0.2".parse().unwrap();
    std::fs::write(pki.path("newer.xml"), cipolicy::xml::write(&newer)).unwrap();

    let signed = pki.path("policy.p7b");
    let out = cipolicy()
        .arg("sign")
        .arg(pki.path("policy.xml"))
        .arg("--cert")
        .arg(pki.path("leaf.pem"))
        .arg("--key")
        .arg(pki.path("leaf.key"))
        .arg("--chain")
        .arg(pki.path("pca.pem"))
        .arg("-o")
        .arg(&signed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // The content is what `cipolicy compile` writes.
    let compiled = cipolicy::cip::compile(&p, &Default::default()).unwrap().bytes;
    assert_eq!(
        cipolicy::sign::unwrap(&std::fs::read(&signed).unwrap())
            .unwrap()
            .content,
        compiled
    );

    let verify = |extra: &[&str]| {
        cipolicy()
            .arg("verify")
            .arg(&signed)
            .arg("--trust")
            .arg(pki.path("root.pem"))
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = verify(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v["update_policy_signers"][0];
    assert_eq!(m["result"], "matched");
    assert_eq!(m["cert_index"], 1);
    assert_eq!(m["cert_subject"], "Contoso Test PCA");
    assert_eq!(m["tbs_hash"], tbs.as_str());

    // Anti-rollback: the previous (deployed) policy is newer.
    let out = verify(&["--previous", pki.path("newer.xml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["previous.version"]);
    // The signed file itself as --previous: same version, accepted.
    let out = verify(&["--previous", signed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}
