//! `sign::sign` with a PKI made at test time, checked by `openssl cms -verify`.

mod common;

use cipolicy::cert::ParsedCert;
use cipolicy::model::{CertRoot, Guid, Id, OptionKind, Policy, Signer};
use cipolicy::sign::checks::SignerList;
use cipolicy::sign::{self, DigestAlg, Refusal, SignError, SignOptions, SigningIdentity};
use common::pki::Pki;

const POLICY_ID: &str = "{022DB725-D9EE-49FC-9700-BB92F02C02C6}";

/// A real ConvertFrom-CIPolicy binary when the corpus is there, else a stand-in.
fn policy_bytes() -> Vec<u8> {
    if let Some(dir) = common::corpus() {
        let p = dir.join("pairs/yufan-wdac--allowmicrosoft2025-02-21/{022DB725-D9EE-49FC-9700-BB92F02C02C6}.cip");
        return std::fs::read(p).unwrap();
    }
    let mut b = 8u32.to_le_bytes().to_vec();
    b.extend([0x5A; 300]);
    b
}

fn tbs(pki: &Pki, file: &str) -> String {
    ParsedCert::from_der(&cipolicy::cert::pem_or_der_to_der(&pki.read(file)).unwrap())
        .unwrap()
        .facts
        .tbs_hash
        .unwrap()
}

/// A signed-ready base policy whose only UpdatePolicySigner is `CertRoot TBS=tbs`.
fn policy_with_signer(tbs: &str, publisher: Option<&str>) -> Policy {
    let mut p = Policy::new_base(POLICY_ID.parse::<Guid>().unwrap());
    let mut s = Signer::new("ID_SIGNER_S_UPDATE", CertRoot::Tbs(tbs.parse().unwrap()));
    s.name = Some("Contoso Test PCA".into());
    s.cert_publisher = publisher.map(str::to_string);
    p.signers.push(s);
    p.update_policy_signers.push(Id::from("ID_SIGNER_S_UPDATE"));
    p
}

fn identity(pki: &Pki, cert: &str, key: &str) -> SigningIdentity {
    sign::keys::load_identity(&pki.read(cert), &[pki.read("pca.pem")], &pki.read(key)).unwrap()
}

fn opts<'a>(id: &'a SigningIdentity, policy: &'a Policy) -> SignOptions<'a> {
    SignOptions {
        identity: id,
        digest: DigestAlg::Sha256,
        signing_time: None,
        policy: Some(policy),
        base: None,
        force: false,
    }
}

/// `openssl cms -verify` against the test root; returns the content it extracted.
fn openssl_verify(pki: &Pki, signed: &[u8], name: &str) -> Vec<u8> {
    let input = pki.path(&format!("{name}.p7b"));
    let out = pki.path(&format!("{name}.content"));
    std::fs::write(&input, signed).unwrap();
    pki.run(&[
        "cms",
        "-verify",
        "-inform",
        "DER",
        "-binary",
        "-purpose",
        "any",
        "-CAfile",
        "root.pem",
        "-in",
        input.to_str().unwrap(),
        "-out",
        out.to_str().unwrap(),
    ]);
    std::fs::read(out).unwrap()
}

#[test]
fn openssl_accepts_output_and_returns_the_policy() {
    let Some(pki) = Pki::new("sign-openssl") else { return };
    let policy = policy_with_signer(&tbs(&pki, "pca.pem"), None);
    let id = identity(&pki, "leaf.pem", "leaf.key");
    let bytes = policy_bytes();
    let signed = sign::sign(&bytes, &opts(&id, &policy)).unwrap();
    assert_eq!(openssl_verify(&pki, &signed, "sha256"), bytes);

    let u = sign::unwrap(&signed).unwrap();
    let cms = u.cms.unwrap();
    assert_eq!(cms.version, 1);
    assert_eq!(signed[cms.version_offset], 1, "the SignedData version byte");
    assert_eq!(
        &signed[cms.version_offset - 2..=cms.version_offset],
        &[0x02, 0x01, 0x01]
    );
    assert_eq!(cms.econtent_type, "1.3.6.1.4.1.311.79.1");
    assert_eq!(u.content, bytes);
    let s = &cms.signers[0];
    assert_eq!(s.version, 1);
    assert_eq!(s.signature_algorithm.oid, "1.2.840.113549.1.1.1");
    assert_eq!(s.signature_algorithm.params.as_deref(), Some("0500"));
    assert_eq!(s.digest_algorithm.oid, "2.16.840.1.101.3.4.2.1");
    let attrs: Vec<&str> = s.signed_attributes.iter().map(|a| a.oid.as_str()).collect();
    assert_eq!(attrs, ["1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4"]);
    assert_eq!(s.subject.as_deref(), Some("Contoso Policy Signer"));
    let mut names: Vec<&str> = cms
        .certificates
        .iter()
        .map(|c| c.cert.facts.subject_name.as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["Contoso Policy Signer", "Contoso Test PCA"]);
}

#[test]
fn same_inputs_give_same_bytes() {
    let Some(pki) = Pki::new("sign-deterministic") else {
        return;
    };
    let policy = policy_with_signer(&tbs(&pki, "pca.pem"), None);
    let id = identity(&pki, "leaf.pem", "leaf.key");
    let bytes = policy_bytes();
    let a = sign::sign(&bytes, &opts(&id, &policy)).unwrap();
    let b = sign::sign(&bytes, &opts(&id, &policy)).unwrap();
    assert_eq!(a, b);
    let mut o = opts(&id, &policy);
    o.signing_time = Some(1_700_000_000);
    let c = sign::sign(&bytes, &o).unwrap();
    let d = sign::sign(&bytes, &o).unwrap();
    assert_eq!(c, d);
    assert_ne!(a, c);
}

#[test]
fn signing_time_and_larger_digests_verify() {
    let Some(pki) = Pki::new("sign-options") else { return };
    let policy = policy_with_signer(&tbs(&pki, "pca.pem"), Some("Contoso Policy Signer"));
    let id = identity(&pki, "leaf.pem", "leaf.key");
    let bytes = policy_bytes();
    for (digest, oid) in [
        (DigestAlg::Sha384, "2.16.840.1.101.3.4.2.2"),
        (DigestAlg::Sha512, "2.16.840.1.101.3.4.2.3"),
    ] {
        let mut o = opts(&id, &policy);
        o.digest = digest;
        o.signing_time = Some(1_514_764_800); // 2018-01-01T00:00:00Z
        let signed = sign::sign(&bytes, &o).unwrap();
        assert_eq!(openssl_verify(&pki, &signed, oid), bytes);
        let cms = sign::unwrap(&signed).unwrap().cms.unwrap();
        assert_eq!(cms.digest_algorithms[0].oid, oid);
        let s = &cms.signers[0];
        let t = s.attribute("1.2.840.113549.1.9.5").expect("signingTime");
        // UTCTime 180101000000Z
        assert_eq!(t.values[0], b"\x17\x0d180101000000Z");
    }
}

fn refused(r: Result<Vec<u8>, SignError>) -> Vec<Refusal> {
    match r {
        Err(SignError::Refused(v)) => v,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn refuses_option_6() {
    let Some(pki) = Pki::new("sign-refuse-opt6") else {
        return;
    };
    let mut policy = policy_with_signer(&tbs(&pki, "pca.pem"), None);
    policy.set_option(OptionKind::UnsignedSystemIntegrityPolicy, true);
    let id = identity(&pki, "leaf.pem", "leaf.key");
    let err = sign::sign(&policy_bytes(), &opts(&id, &policy));
    let msg = err.as_ref().unwrap_err().to_string();
    assert_eq!(refused(err), [Refusal::UnsignedOptionSet]);
    insta::assert_snapshot!("sign_refuses_option_6", msg);
    // --force overrides it.
    let mut o = opts(&id, &policy);
    o.force = true;
    assert!(sign::sign(&policy_bytes(), &o).is_ok());
}

#[test]
fn refuses_a_certificate_no_update_signer_matches() {
    let Some(pki) = Pki::new("sign-refuse-nomatch") else {
        return;
    };
    let id = identity(&pki, "leaf.pem", "leaf.key");
    // A TBS from elsewhere (Microsoft Windows Production PCA 2011).
    let policy = policy_with_signer("4E80BE107C860DE896384B3EFF50504DC2D76AC7151DF3102A4450637A032146", None);
    let err = sign::sign(&policy_bytes(), &opts(&id, &policy));
    let msg = err.as_ref().unwrap_err().to_string();
    assert!(matches!(&refused(err)[..], [Refusal::NoMatchingSigner { .. }]));
    insta::assert_snapshot!("sign_refuses_no_matching_signer", msg);

    // Right TBS, wrong CertPublisher.
    let policy = policy_with_signer(&tbs(&pki, "pca.pem"), Some("Fabrikam Signer"));
    let err = sign::sign(&policy_bytes(), &opts(&id, &policy));
    let msg = err.as_ref().unwrap_err().to_string();
    assert!(
        msg.contains("CertPublisher `Fabrikam Signer` differs from the leaf's CN `Contoso Policy Signer`"),
        "{msg}"
    );

    // No UpdatePolicySigners at all.
    let mut policy = policy_with_signer(&tbs(&pki, "pca.pem"), None);
    policy.update_policy_signers.clear();
    let msg = sign::sign(&policy_bytes(), &opts(&id, &policy))
        .unwrap_err()
        .to_string();
    insta::assert_snapshot!("sign_refuses_no_update_signers", msg);

    // A well-known root cannot be checked offline, and the message says so.
    let mut policy = policy_with_signer(&tbs(&pki, "pca.pem"), None);
    policy.signers[0].cert_root = CertRoot::Wellknown(6);
    let msg = sign::sign(&policy_bytes(), &opts(&id, &policy))
        .unwrap_err()
        .to_string();
    insta::assert_snapshot!("sign_refuses_wellknown_unverifiable", msg);
}

#[test]
fn a_leaf_tbs_signer_matches_too() {
    let Some(pki) = Pki::new("sign-leaf-tbs") else { return };
    let id = identity(&pki, "leaf.pem", "leaf.key");
    let policy = policy_with_signer(&tbs(&pki, "leaf.pem"), Some("Contoso Policy Signer"));
    assert!(sign::sign(&policy_bytes(), &opts(&id, &policy)).is_ok());
}

#[test]
fn refuses_supplemental_not_allowed_by_base() {
    let Some(pki) = Pki::new("sign-refuse-supp") else {
        return;
    };
    let id = identity(&pki, "leaf.pem", "leaf.key");
    let pca = tbs(&pki, "pca.pem");
    let mut supp = policy_with_signer(&pca, None);
    supp.policy_type = Some(cipolicy::model::PolicyType::Supplemental);
    supp.policy_id = Some("{11111111-2222-3333-4444-555555555555}".parse().unwrap());
    let mut base = policy_with_signer(&pca, None);
    base.set_option(OptionKind::AllowSupplementalPolicies, true);
    // Base lists the PCA only as an UpdatePolicySigner, not as a SupplementalPolicySigner.
    let mut o = opts(&id, &supp);
    o.base = Some(&base);
    let err = sign::sign(&policy_bytes(), &o);
    let msg = err.as_ref().unwrap_err().to_string();
    assert!(
        matches!(&refused(err)[..], [Refusal::NoMatchingSigner { list: SignerList::BaseSupplementalPolicySigners, tried }] if tried.is_empty())
    );
    insta::assert_snapshot!("sign_refuses_supplemental_signer", msg);
    // Listed: accepted.
    base.supplemental_policy_signers.push(Id::from("ID_SIGNER_S_UPDATE"));
    let mut o = opts(&id, &supp);
    o.base = Some(&base);
    assert!(sign::sign(&policy_bytes(), &o).is_ok());
    // A base without option 17, and a base that is not the supplemental's.
    let mut closed = base.clone();
    closed.set_option(OptionKind::AllowSupplementalPolicies, false);
    closed.policy_id = Some("{99999999-2222-3333-4444-555555555555}".parse().unwrap());
    let mut o = opts(&id, &supp);
    o.base = Some(&closed);
    let err = sign::sign(&policy_bytes(), &o);
    let msg = err.as_ref().unwrap_err().to_string();
    assert!(matches!(
        &refused(err)[..],
        [Refusal::WrongBase { .. }, Refusal::BaseDisallowsSupplementals]
    ));
    insta::assert_snapshot!("sign_refuses_wrong_or_closed_base", msg);
}

#[test]
fn refuses_small_rsa_keys() {
    let Some(pki) = Pki::new("sign-refuse-1024") else {
        return;
    };
    pki.issue("small", "Contoso Small Key", "rsa:1024", "pca", "leaf.ext", "9");
    let id = identity(&pki, "small.pem", "small.key");
    let policy = policy_with_signer(&tbs(&pki, "pca.pem"), None);
    let err = sign::sign(&policy_bytes(), &opts(&id, &policy));
    let msg = err.as_ref().unwrap_err().to_string();
    assert_eq!(refused(err), [Refusal::KeySize { bits: 1024 }]);
    insta::assert_snapshot!("sign_refuses_rsa_1024", msg);
    // Windows would reject the signature, so --force does not override it.
    let mut o = opts(&id, &policy);
    o.force = true;
    assert_eq!(
        refused(sign::sign(&policy_bytes(), &o)),
        [Refusal::KeySize { bits: 1024 }]
    );
}

#[test]
fn refuses_non_rsa_certificates() {
    let Some(pki) = Pki::new("sign-refuse-ec") else { return };
    pki.run(&[
        "genpkey",
        "-genparam",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "p256.param",
    ]);
    pki.issue("ec", "Contoso EC Signer", "ec:p256.param", "pca", "leaf.ext", "10");
    // The EC certificate with an RSA key: the certificate's key kind is what is refused.
    let id = identity(&pki, "ec.pem", "leaf.key");
    let policy = policy_with_signer(&tbs(&pki, "pca.pem"), None);
    let mut o = opts(&id, &policy);
    o.force = true;
    let err = sign::sign(&policy_bytes(), &o);
    let msg = err.as_ref().unwrap_err().to_string();
    assert_eq!(
        refused(err),
        [Refusal::KeyNotRsa {
            kind: "an elliptic-curve key".into()
        }]
    );
    insta::assert_snapshot!("sign_refuses_ec", msg);
    // And an EC private key is not read at all.
    let e = sign::keys::load_private_key(&pki.read("ec.key")).unwrap_err();
    assert!(matches!(e, sign::KeyError::NotRsa(_)), "{e}");
    // The CLI calls that a refusal (exit 1), not a bad input, with or without --force.
    std::fs::write(pki.path("policy.cip"), policy_bytes()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .arg("sign")
        .arg(pki.path("policy.cip"))
        .arg("--cert")
        .arg(pki.path("ec.pem"))
        .arg("--key")
        .arg(pki.path("ec.key"))
        .arg("--force")
        .arg("-o")
        .arg(pki.path("ec.p7b"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only RSA"));
    assert!(!pki.path("ec.p7b").exists());
}

#[test]
fn refuses_a_key_that_is_not_the_certificates() {
    let Some(pki) = Pki::new("sign-refuse-mismatch") else {
        return;
    };
    let id = identity(&pki, "leaf.pem", "pca.key");
    let policy = policy_with_signer(&tbs(&pki, "pca.pem"), None);
    let mut o = opts(&id, &policy);
    o.force = true; // not overridable
    let err = sign::sign(&policy_bytes(), &o);
    let msg = err.as_ref().unwrap_err().to_string();
    assert_eq!(refused(err), [Refusal::KeyMismatch]);
    insta::assert_snapshot!("sign_refuses_key_mismatch", msg);
}

#[test]
fn refuses_when_the_policy_was_not_checked() {
    let Some(pki) = Pki::new("sign-refuse-unchecked") else {
        return;
    };
    let id = identity(&pki, "leaf.pem", "leaf.key");
    let mut o = SignOptions {
        identity: &id,
        digest: DigestAlg::Sha256,
        signing_time: None,
        policy: None,
        base: None,
        force: false,
    };
    assert_eq!(refused(sign::sign(&policy_bytes(), &o)), [Refusal::PolicyNotChecked]);
    o.force = true;
    assert!(sign::sign(&policy_bytes(), &o).is_ok());
}

#[test]
fn verify_accepts_our_signature_and_names_the_matching_signer() {
    let Some(pki) = Pki::new("sign-then-verify") else {
        return;
    };
    let pca = tbs(&pki, "pca.pem");
    let policy = policy_with_signer(&pca, Some("Contoso Policy Signer"));
    let id = identity(&pki, "leaf.pem", "leaf.key");
    let signed = sign::sign(&policy_bytes(), &opts(&id, &policy)).unwrap();
    let root = ParsedCert::all_from_pem_or_der(&pki.read("root.pem")).unwrap();
    let vopts = sign::VerifyOptions {
        trust: root,
        policy: Some(&policy),
        ..Default::default()
    };
    let r = sign::verify(&signed, &vopts);
    assert!(r.ok, "{}", sign::render_human(&r));
    match &r.update_policy_signers[0].outcome {
        sign::MatchOutcome::Matched {
            cert_index, tbs_hash, ..
        } => assert_eq!((*cert_index, tbs_hash.as_str()), (1, pca.as_str())),
        other => panic!("{other:?}"),
    }
    // Without the PCA embedded, the PCA signer cannot match: Windows sees only the CMS bag.
    let leaf_only = sign::keys::load_identity(&pki.read("leaf.pem"), &[], &pki.read("leaf.key")).unwrap();
    let mut o = opts(&leaf_only, &policy);
    o.force = true;
    let signed = sign::sign(&policy_bytes(), &o).unwrap();
    let r = sign::verify(&signed, &vopts);
    let codes: Vec<&str> = r.failures().map(|c| c.code).collect();
    assert_eq!(codes, ["chain.trust", "policy.update_signer"]);
}

/// OpenSSL's own output: SignedData v3 (refused), and once patched to v1 accepted, including
/// the no-signed-attributes form (`-noattr`), where the signature covers the content.
#[test]
fn verify_handles_openssl_signatures() {
    let Some(pki) = Pki::new("verify-openssl") else { return };
    let bytes = policy_bytes();
    std::fs::write(pki.path("policy.cip"), &bytes).unwrap();
    let root = ParsedCert::all_from_pem_or_der(&pki.read("root.pem")).unwrap();
    let vopts = sign::VerifyOptions {
        trust: root,
        ..Default::default()
    };
    for (name, extra) in [("attr", &[][..]), ("noattr", &["-noattr"][..])] {
        let out = format!("{name}.p7b");
        let mut args = vec![
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-outform",
            "DER",
            "-econtent_type",
            "1.3.6.1.4.1.311.79.1",
            "-md",
            "sha256",
            "-signer",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-certfile",
            "pca.pem",
            "-in",
            "policy.cip",
            "-out",
            &out,
        ];
        args.extend(extra);
        pki.run(&args);
        let mut signed = pki.read(&out);
        let u = sign::unwrap(&signed).unwrap();
        assert_eq!(u.content, bytes);
        let at = u.cms.as_ref().unwrap().version_offset;
        assert_eq!(signed[at], 3, "OpenSSL writes SignedData v3 (anchors.md §3.4)");
        let r = sign::verify(&signed, &vopts);
        let codes: Vec<&str> = r.failures().map(|c| c.code).collect();
        assert_eq!(codes, ["cms.version"], "{name}");
        signed[at] = 1;
        let r = sign::verify(&signed, &vopts);
        assert!(r.ok, "{name}: {}", sign::render_human(&r));
        let has_attrs = r.cms.as_ref().unwrap().signers[0].has_signed_attributes;
        assert_eq!(has_attrs, name == "attr");
    }
}
