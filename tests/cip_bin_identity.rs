//! Binary layer: every corpus binary decodes and re-encodes to the same bytes.

mod common;

use cipolicy::cip::bin::BinPolicy;
use cipolicy::cip::reader::Reader;

#[test]
fn every_corpus_binary_reencodes_identically() {
    let Some(corpus) = common::corpus() else { return };
    let mut files = common::files_with_ext(&corpus.join("pairs"), &[".cip", ".p7b", ".bin"]);
    files.extend(common::files_with_ext(
        &corpus.join("near-pairs"),
        &[".cip", ".p7b", ".bin"],
    ));
    files.extend(common::files_with_ext(
        &corpus.join("binaries"),
        &[".cip", ".p7b", ".bin"],
    ));
    assert!(files.len() >= 50, "{}", files.len());
    eprintln!("{} files", files.len());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let p = BinPolicy::read(&mut Reader::new(&bytes)).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(p.encode() == bytes, "{}", f.display());
    }
}
