//! `docs/validation-codes.md` is generated from the code table; this test regenerates it and
//! compares (`UPDATE_DOCS=1 cargo test --test valid_codes_doc` rewrites it). It also checks the
//! test certificates' TBS hashes against values computed with OpenSSL when they were made.
use std::path::Path;

use cipolicy::valid::{CertChain, Code, codes};

#[test]
fn codes_page_is_in_sync_with_the_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/validation-codes.md");
    let want = codes::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/validation-codes.md is out of date; run `UPDATE_DOCS=1 cargo test --test valid_codes_doc`"
    );
    for c in Code::ALL {
        assert!(have.contains(&format!("| {} |", c)), "{c} missing from the page");
    }
}

#[test]
fn test_certificates_have_the_tbs_hashes_openssl_computed() {
    // `openssl asn1parse -in X.pem -strparse 4 -out tbs -noout; sha256sum tbs` when the
    // certificates were made (testdata/valid/certs/README.md).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/valid/certs");
    for (file, tbs) in [
        (
            "ca.pem",
            "CDE5DC9E71FA8E7225A96D03FCFB0DDD55A5990461DC89042D488A21EA2ADDB3",
        ),
        (
            "leaf.pem",
            "ED1321A81349F361A19F1156EE9CF93268350FE04F7773C9A02DBB06C94A4C7A",
        ),
        (
            "other.pem",
            "A7E5E9B251E8B1D71A033657363863218212F9CD9B1E4B2FF4829E4E15214C56",
        ),
        (
            "weak.pem",
            "23F96040E97E5B341B7D1859B19366C8742662EEF3A2F8DA304308859F5F1019",
        ),
        (
            "ec.pem",
            "4856B5E1A6DC87D4474E6E1D66858D807795590DD06775A04D04CE8AE1423DDE",
        ),
    ] {
        let chain = CertChain::from_bytes(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        assert_eq!(chain.leaf().tbs_hash.as_deref(), Some(tbs), "{file}");
    }
    let chain = CertChain::from_bytes(&std::fs::read(dir.join("leaf-chain.pem")).unwrap()).unwrap();
    assert_eq!(chain.certs.len(), 2);
    assert_eq!(chain.leaf().subject_name, "Cipolicy Test Policy Signer");
}
