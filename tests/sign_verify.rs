//! `sign::verify` on the Microsoft-signed corpus policy, tampered copies of it, and our own
//! signatures.

mod common;

use cipolicy::cert::ParsedCert;
use cipolicy::model::{CertRoot, Guid, Id, Policy, Signer, Version};
use cipolicy::sign::{self, Status, VerifyOptions, VerifyReport};

const PCA_2011_TBS: &str = "4E80BE107C860DE896384B3EFF50504DC2D76AC7151DF3102A4450637A032146";
const ROOT_2010_TBS: &str = "08FBA831C08544208F5208686B991CA1B2CFC510E7301784DDF1EB5BF0393239";

struct Ms {
    bytes: Vec<u8>,
    root: ParsedCert,
}

fn ms() -> Option<Ms> {
    let dir = common::corpus()?;
    let bytes = std::fs::read(dir.join("signed/hbkmon-testing-repo/driversipolicy.b3b713d.p7b")).unwrap();
    let root = std::fs::read(dir.join("signed/hotcakex/certs/Microsoft Root CA 2010.crt")).unwrap();
    let root = ParsedCert::all_from_pem_or_der(&root).unwrap().remove(0);
    Some(Ms { bytes, root })
}

/// A hand-made model with the driver policy's header (SOURCES.md: legacy type d2bda982-…,
/// VersionEx 10.0.17689.0) plus one UpdatePolicySigner, as a signed policy of the customer kind
/// lists it. The real embedded policy has no UpdatePolicySigners and keeps option 6 (see
/// `microsoft_policy_shape_without_update_signers`); the binary codec is not used here.
fn model(update_tbs: &str, version: &str) -> Policy {
    let id: Guid = "{D2BDA982-CCF6-4344-AC5B-0B44427B6816}".parse().unwrap();
    let mut p = Policy::new_base(id);
    p.policy_type = None;
    p.policy_id = None;
    p.base_policy_id = None;
    p.policy_type_id = Some(id);
    p.version_ex = version.parse::<Version>().unwrap();
    p.signers.push(Signer::new(
        "ID_SIGNER_UPDATE",
        CertRoot::Tbs(update_tbs.parse().unwrap()),
    ));
    p.update_policy_signers.push(Id::from("ID_SIGNER_UPDATE"));
    p
}

fn at_2018() -> Option<i64> {
    Some(sign::parse_time("2018-01-01T00:00:00Z").unwrap())
}

/// The failing checks, one per line, for snapshots.
fn failures(r: &VerifyReport) -> String {
    r.failures().map(|c| format!("{}: {}\n", c.code, c.message)).collect()
}

#[test]
fn accepts_the_microsoft_signed_policy() {
    let Some(ms) = ms() else { return };
    let policy = model(PCA_2011_TBS, "10.0.17689.0");
    let opts = VerifyOptions {
        trust: vec![ms.root.clone()],
        time: at_2018(),
        policy: Some(&policy),
        ..Default::default()
    };
    let r = sign::verify(&ms.bytes, &opts);
    assert!(r.ok, "{}", sign::render_human(&r));
    let subjects: Vec<&str> = r.chain.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Microsoft Windows",
            "Microsoft Windows Production PCA 2011",
            "Microsoft Root Certificate Authority 2010"
        ]
    );
    assert_eq!(r.chain[2].tbs_hash.as_deref(), Some(ROOT_2010_TBS));
    assert!(r.update_policy_signers[0].is_match());
    insta::assert_snapshot!("verify_microsoft_human", sign::render_human(&r));
    insta::assert_json_snapshot!("verify_microsoft_checks", r.checks);
}

#[test]
fn without_options_checks_the_signature_only() {
    let Some(ms) = ms() else { return };
    let r = sign::verify(&ms.bytes, &VerifyOptions::default());
    assert!(r.ok);
    let status = |code: &str| r.checks.iter().find(|c| c.code == code).map(|c| c.status);
    assert_eq!(status("signer.signature"), Some(Status::Pass));
    assert_eq!(status("signed_attrs.message_digest"), Some(Status::Pass));
    assert_eq!(status("chain.trust"), Some(Status::Skip));
    assert_eq!(status("policy.update_signer"), Some(Status::Skip));
}

#[test]
fn expired_at_a_later_time() {
    let Some(ms) = ms() else { return };
    let opts = VerifyOptions {
        trust: vec![ms.root.clone()],
        time: Some(sign::parse_time("2020-06-01T00:00:00Z").unwrap()),
        ..Default::default()
    };
    let r = sign::verify(&ms.bytes, &opts);
    assert!(!r.ok);
    insta::assert_snapshot!("verify_rejects_expired", failures(&r));
}

fn tampered(ms: &Ms, f: impl FnOnce(&mut Vec<u8>, &sign::Unwrapped)) -> VerifyReport {
    let u = sign::unwrap(&ms.bytes).unwrap();
    let mut b = ms.bytes.clone();
    f(&mut b, &u);
    let policy = model(PCA_2011_TBS, "10.0.17689.0");
    let opts = VerifyOptions {
        trust: vec![ms.root.clone()],
        time: at_2018(),
        policy: Some(&policy),
        ..Default::default()
    };
    let r = sign::verify(&b, &opts);
    assert!(!r.ok, "tampering went unnoticed");
    r
}

#[test]
fn rejects_a_changed_content_byte() {
    let Some(ms) = ms() else { return };
    let r = tampered(&ms, |b, u| b[u.content_offset + 100] ^= 0x01);
    insta::assert_snapshot!("verify_rejects_content_byte", failures(&r));
}

#[test]
fn rejects_a_changed_signature_byte() {
    let Some(ms) = ms() else { return };
    let r = tampered(&ms, |b, u| {
        b[u.cms.as_ref().unwrap().signers[0].signature_offset + 17] ^= 0x01
    });
    insta::assert_snapshot!("verify_rejects_signature_byte", failures(&r));
}

#[test]
fn rejects_a_changed_signed_attribute_byte() {
    let Some(ms) = ms() else { return };
    // The last byte of the signed attributes: inside the messageDigest value.
    let r = tampered(&ms, |b, u| {
        let s = &u.cms.as_ref().unwrap().signers[0];
        let end = s.signed_attributes_offset.unwrap() + s.signed_attrs_der.as_ref().unwrap().len() - 1;
        b[end] ^= 0x01;
    });
    insta::assert_snapshot!("verify_rejects_signed_attribute_byte", failures(&r));
}

#[test]
fn rejects_a_wrong_content_type() {
    let Some(ms) = ms() else { return };
    // eContentType 1.3.6.1.4.1.311.79.1 -> ...79.2: the last OID byte just before the [0].
    let r = tampered(&ms, |b, u| {
        let at = b[..u.content_offset]
            .windows(3)
            .rposition(|w| w == [0x4F, 0x01, 0xA0])
            .unwrap()
            + 1;
        b[at] = 0x02;
    });
    insta::assert_snapshot!("verify_rejects_content_type", failures(&r));
}

#[test]
fn rejects_signed_data_version_3() {
    let Some(ms) = ms() else { return };
    let r = tampered(&ms, |b, u| {
        let at = u.cms.as_ref().unwrap().version_offset;
        assert_eq!(b[at], 1);
        b[at] = 3;
    });
    assert_eq!(r.failures().count(), 1, "the version is outside the signature");
    insta::assert_snapshot!("verify_rejects_version_3", failures(&r));
}

#[test]
fn rejects_a_signer_matching_no_update_policy_signer() {
    let Some(ms) = ms() else { return };
    // The root's TBS is not embedded, so Windows could not match it either.
    let policy = model(ROOT_2010_TBS, "10.0.17689.0");
    let opts = VerifyOptions {
        trust: vec![ms.root.clone()],
        time: at_2018(),
        policy: Some(&policy),
        ..Default::default()
    };
    let r = sign::verify(&ms.bytes, &opts);
    assert!(!r.ok);
    insta::assert_snapshot!("verify_rejects_no_update_signer", failures(&r));
}

#[test]
fn rejects_a_lower_version_than_previous() {
    let Some(ms) = ms() else { return };
    let policy = model(PCA_2011_TBS, "10.0.17689.0");
    let previous = model(PCA_2011_TBS, "10.0.18362.0");
    let opts = VerifyOptions {
        trust: vec![ms.root.clone()],
        time: at_2018(),
        policy: Some(&policy),
        previous: Some(&previous),
        ..Default::default()
    };
    let r = sign::verify(&ms.bytes, &opts);
    assert!(!r.ok);
    insta::assert_snapshot!("verify_rejects_lower_version", failures(&r));
    // Same or higher is fine.
    let previous = model(PCA_2011_TBS, "10.0.17000.0");
    let opts = VerifyOptions {
        previous: Some(&previous),
        ..opts
    };
    assert!(sign::verify(&ms.bytes, &opts).ok);
}

#[test]
fn rejects_an_unsigned_policy_and_garbage() {
    let Some(dir) = common::corpus() else { return };
    let raw = std::fs::read(dir.join("binaries/krueger/SiPolicy.04790c8.p7b")).unwrap();
    let r = sign::verify(&raw, &VerifyOptions::default());
    assert!(!r.ok);
    insta::assert_snapshot!("verify_rejects_unsigned", failures(&r));
    let r = sign::verify(&[0x30, 0x82, 0xFF], &VerifyOptions::default());
    insta::assert_snapshot!("verify_rejects_truncated", failures(&r));
}

/// Corrupted copies must give a failing report, never a panic.
#[test]
fn corrupted_files_never_panic() {
    let Some(ms) = ms() else { return };
    let opts = VerifyOptions {
        trust: vec![ms.root.clone()],
        time: at_2018(),
        ..Default::default()
    };
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..1500 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut b = ms.bytes.clone();
        let pos = (seed >> 8) as usize % b.len();
        b[pos] ^= ((seed >> 40) as u8) | 1;
        let r = sign::verify(&b, &opts);
        // A flip in the unsigned parts (e.g. certificate bag padding) can still verify, so only
        // the absence of a panic and a consistent `ok` are asserted.
        assert_eq!(r.ok, r.failures().next().is_none());
    }
    for len in (0..ms.bytes.len()).step_by(7) {
        assert!(!sign::verify(&ms.bytes[..len], &opts).ok);
    }
}

/// The shape of the real embedded driver policy (see `real_embedded_policy_verifies`): option 6
/// set and no UpdatePolicySigners. Microsoft's in-box policies are trusted through
/// Microsoft's signature, so this is a warning, not a failure; without option 6 it fails.
#[test]
fn microsoft_policy_shape_without_update_signers() {
    let Some(ms) = ms() else { return };
    let mut policy = model(PCA_2011_TBS, "10.0.17689.0");
    policy.update_policy_signers.clear();
    policy.set_option(cipolicy::model::OptionKind::UnsignedSystemIntegrityPolicy, true);
    let opts = VerifyOptions {
        trust: vec![ms.root.clone()],
        time: at_2018(),
        policy: Some(&policy),
        ..Default::default()
    };
    let r = sign::verify(&ms.bytes, &opts);
    assert!(r.ok, "{}", sign::render_human(&r));
    let warnings: String = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Warn)
        .map(|c| format!("{}: {}\n", c.code, c.message))
        .collect();
    insta::assert_snapshot!("verify_microsoft_shape_warnings", warnings);

    let mut strict = policy.clone();
    strict.set_option(cipolicy::model::OptionKind::UnsignedSystemIntegrityPolicy, false);
    let opts = VerifyOptions {
        policy: Some(&strict),
        ..opts
    };
    let r = sign::verify(&ms.bytes, &opts);
    assert!(!r.ok);
    insta::assert_snapshot!("verify_rejects_no_update_signers", failures(&r));
}

/// The real embedded policy, decoded by the binary codec: Microsoft's driver policy keeps
/// option 6 and names no UpdatePolicySigner, and still verifies (with those two warnings).
#[test]
fn real_embedded_policy_verifies() {
    let Some(ms) = ms() else { return };
    let content = sign::unwrap(&ms.bytes).unwrap().content;
    let policy = cipolicy::cip::decompile(&content).unwrap();
    assert_eq!(policy.version_ex.to_string(), "10.0.17689.0");
    assert!(policy.update_policy_signers.is_empty());
    let opts = VerifyOptions {
        trust: vec![ms.root.clone()],
        time: at_2018(),
        policy: Some(&policy),
        ..Default::default()
    };
    let r = sign::verify(&ms.bytes, &opts);
    assert!(r.ok, "{}", sign::render_human(&r));
    let warned: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Warn)
        .map(|c| c.code)
        .collect();
    assert_eq!(warned, ["policy.update_signer", "policy.option6"]);
}
