//! `validate` on signed files checks the CMS envelope too (SN010), as `verify` does: on a
//! policy signed here with a test PKI, and on Microsoft's signed policy from the corpus.

mod common;

use cipolicy::model::{CertRoot, Guid, Id, Policy, Signer};
use cipolicy::sign::{self, DigestAlg, SignOptions};
use cipolicy::valid::{self, Code, Options};
use common::pki::Pki;

fn sn010(bytes: &[u8]) -> Vec<String> {
    let report = valid::validate_binary(bytes, None, &Options::default());
    report
        .findings
        .iter()
        .filter(|f| f.code == Code::SN010)
        .map(|f| f.message.clone())
        .collect()
}

/// The envelope checks on a good signed file and on tampered copies of it.
fn check_envelope(bytes: &[u8]) {
    assert_eq!(sn010(bytes), Vec::<String>::new(), "a good signed file");
    let u = sign::unwrap(bytes).unwrap();
    let cms = u.cms.as_ref().unwrap();

    // SignedData version 3 (what OpenSSL writes): outside the signature, so only this fails.
    let mut v3 = bytes.to_vec();
    v3[cms.version_offset] = 3;
    let found = sn010(&v3);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("cms.version:"), "{found:?}");

    let mut sig = bytes.to_vec();
    sig[cms.signers[0].signature_offset + 17] ^= 1;
    let found = sn010(&sig);
    assert!(found.iter().any(|m| m.starts_with("signer.signature:")), "{found:?}");

    // The unsigned content has no envelope to check.
    assert_eq!(sn010(&u.content), Vec::<String>::new());
}

#[test]
fn envelope_of_a_policy_signed_here() {
    let Some(pki) = Pki::new("valid-signed") else { return };
    let der = cipolicy::cert::pem_or_der_to_der(&pki.read("pca.pem")).unwrap();
    let tbs = cipolicy::cert::ParsedCert::from_der(&der)
        .unwrap()
        .facts
        .tbs_hash
        .unwrap();
    let mut policy = Policy::new_base("{3B0F1D52-6C3A-4E0B-8F43-2E1C5A7D9B10}".parse::<Guid>().unwrap());
    policy
        .signers
        .push(Signer::new("ID_SIGNER_UPDATE", CertRoot::Tbs(tbs.parse().unwrap())));
    policy.update_policy_signers.push(Id::from("ID_SIGNER_UPDATE"));
    let content = cipolicy::cip::compile(&policy, &Default::default()).unwrap().bytes;
    let id = sign::keys::load_identity(&pki.read("leaf.pem"), &[pki.read("pca.pem")], &pki.read("leaf.key")).unwrap();
    let opts = SignOptions {
        identity: &id,
        digest: DigestAlg::Sha256,
        signing_time: None,
        policy: Some(&policy),
        base: None,
        force: false,
    };
    check_envelope(&sign::sign(&content, &opts).unwrap());
}

#[test]
fn envelope_of_microsofts_signed_policy() {
    let Some(dir) = common::corpus() else { return };
    check_envelope(&std::fs::read(dir.join("signed/hbkmon-testing-repo/driversipolicy.b3b713d.p7b")).unwrap());
}
