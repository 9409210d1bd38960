//! TBS hashes of real certificates, read in place from the shared corpus.
mod common;

use cipolicy::cert::{CertFacts, KeyKind, TbsAlg};

#[test]
fn microsoft_windows_production_pca_2011_tbs() {
    let Some(corpus) = common::corpus() else { return };
    let der = std::fs::read(corpus.join("signed/hbkmon-testing-repo/certs/Microsoft_Windows_Production_PCA_2011.cer"))
        .unwrap();
    let f = CertFacts::from_pem_or_der(&der).unwrap();
    assert_eq!(f.subject_name, "Microsoft Windows Production PCA 2011");
    assert_eq!(f.issuer_name, "Microsoft Root Certificate Authority 2010");
    assert_eq!(f.tbs_alg, Some(TbsAlg::Sha256));
    // The value Microsoft's templates use in CertRoot Type="TBS" (corpus SOURCES.md, observation 11).
    assert_eq!(
        f.tbs_hash.as_deref(),
        Some("4E80BE107C860DE896384B3EFF50504DC2D76AC7151DF3102A4450637A032146")
    );
    assert!(matches!(f.key, KeyKind::Rsa { bits: 2048 }));
}
