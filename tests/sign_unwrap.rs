//! `sign::unwrap` against the real Microsoft-signed policy and the raw corpus binaries.

mod common;

use cipolicy::sign::{self, SignError, SignerId};

fn ms_signed() -> Option<Vec<u8>> {
    let dir = common::corpus()?;
    Some(std::fs::read(dir.join("signed/hbkmon-testing-repo/driversipolicy.b3b713d.p7b")).unwrap())
}

#[test]
fn microsoft_signed_policy_unwraps() {
    let Some(bytes) = ms_signed() else { return };
    let u = sign::unwrap(&bytes).unwrap();
    // The content is a binary policy: format version 5 first, end tag 6 last.
    assert_eq!(&u.content[..4], &5u32.to_le_bytes());
    assert_eq!(&u.content[u.content.len() - 4..], &6u32.to_le_bytes());
    assert_eq!(
        u.content_offset, 66,
        "offset of the OCTET STRING value per `openssl asn1parse`"
    );
    let cms = u.cms.as_ref().unwrap();
    assert_eq!(cms.version, 1);
    assert_eq!(cms.econtent_type, "1.3.6.1.4.1.311.79.1");
    assert_eq!(cms.digest_algorithms.len(), 1);
    assert_eq!(cms.digest_algorithms[0].oid, "2.16.840.1.101.3.4.2.1");
    assert_eq!(cms.certificates.len(), 2);
    let names: Vec<&str> = cms
        .certificates
        .iter()
        .map(|c| c.cert.facts.subject_name.as_str())
        .collect();
    assert_eq!(names, ["Microsoft Windows", "Microsoft Windows Production PCA 2011"]);
    assert_eq!(cms.signers.len(), 1);
    let s = &cms.signers[0];
    assert_eq!(s.version, 1);
    assert!(matches!(s.sid, SignerId::IssuerAndSerialNumber { .. }));
    assert_eq!(s.certificate, Some(0));
    assert_eq!(s.subject.as_deref(), Some("Microsoft Windows"));
    assert_eq!(s.issuer.as_deref(), Some("Microsoft Windows Production PCA 2011"));
    assert_eq!(s.serial.as_deref(), Some("330000017469DE108B3765A8D7000000000174"));
    // SOURCES.md lists this TBS SHA-256 for the leaf certificate.
    assert_eq!(
        s.tbs_hash.as_deref(),
        Some("BC0EFBA8A338D9EDF8108574D909881AFA9A5892062224E1DFCF35B41C66204D")
    );
    // Observation 11: the PCA's TBS is the value Microsoft templates use.
    assert_eq!(
        cms.certificates[1].cert.facts.tbs_hash.as_deref(),
        Some("4E80BE107C860DE896384B3EFF50504DC2D76AC7151DF3102A4450637A032146")
    );
    assert_eq!(s.digest_algorithm.oid, "2.16.840.1.101.3.4.2.1");
    assert_eq!(
        s.signature_algorithm.oid, "1.2.840.113549.1.1.1",
        "rsaEncryption, observation 9"
    );
    let attrs: Vec<&str> = s.signed_attributes.iter().map(|a| a.oid.as_str()).collect();
    assert_eq!(attrs, ["1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4"]);
    assert!(s.unsigned_attributes.is_empty());
    assert_eq!(s.signature.len(), 256);
    assert_eq!(s.signature_offset, 6374);
    // The signed attributes as signed: the [0] element re-tagged as SET.
    let sa = s.signed_attrs_der.as_ref().unwrap();
    assert_eq!(sa[0], 0x31);
    assert_eq!(sa.len(), 77);
}

#[test]
fn content_matches_openssl() {
    let Some(bytes) = ms_signed() else { return };
    let Some(openssl) = common::openssl() else { return };
    let dir = common::scratch_dir("unwrap-openssl");
    let input = dir.join("in.p7b");
    let out = dir.join("inner.bin");
    std::fs::write(&input, &bytes).unwrap();
    let st = std::process::Command::new(openssl)
        .args(["cms", "-verify", "-inform", "DER", "-binary", "-noverify", "-in"])
        .arg(&input)
        .arg("-out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    assert_eq!(sign::unwrap(&bytes).unwrap().content, std::fs::read(&out).unwrap());
}

#[test]
fn raw_policies_pass_through() {
    let Some(dir) = common::corpus() else { return };
    let files = common::files_with_ext(&dir.join("binaries"), &[".p7b", ".cip"]);
    assert!(!files.is_empty());
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let u = sign::unwrap(&bytes).unwrap();
        assert!(u.cms.is_none(), "{}", f.display());
        assert_eq!(u.content, bytes);
    }
}

#[test]
fn rejects_non_policies_with_typed_errors() {
    assert!(matches!(sign::unwrap(b"ab"), Err(SignError::TooShort { len: 2 })));
    assert!(matches!(
        sign::unwrap(b"MZ\x90\x00rest"),
        Err(SignError::NotAPolicy { .. })
    ));
    // id-data ContentInfo.
    let data = [
        0x30, 0x0F, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01, 0xA0, 0x02, 0x04, 0x00,
    ];
    assert!(matches!(
        sign::unwrap(&data),
        Err(SignError::NotSignedData { offset: 2, .. })
    ));
}

/// Every truncation and many single-byte corruptions must give an error or a value, never a panic.
#[test]
fn hostile_input_never_panics() {
    let Some(bytes) = ms_signed() else { return };
    for len in 0..bytes.len() {
        assert!(sign::unwrap(&bytes[..len]).is_err());
    }
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..4000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut b = bytes.clone();
        // Bias towards the structural header and the signer info where lengths live.
        let pos = if seed & 1 == 0 {
            (seed >> 8) as usize % 64
        } else {
            (seed >> 8) as usize % b.len()
        };
        b[pos] = (seed >> 40) as u8;
        let _ = sign::unwrap(&b);
    }
}
