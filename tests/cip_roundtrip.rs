//! Round trips through the binary format on every corpus binary.

mod common;

use cipolicy::cip::{self, CompileOptions};

fn corpus_binaries(corpus: &std::path::Path) -> Vec<std::path::PathBuf> {
    let exts = [".cip", ".p7b", ".bin"];
    let mut files = common::files_with_ext(&corpus.join("pairs"), &exts);
    files.extend(common::files_with_ext(&corpus.join("near-pairs"), &exts));
    files.extend(common::files_with_ext(&corpus.join("binaries"), &exts));
    files
}

fn format_version(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes[..4].try_into().unwrap())
}

/// First differing offset of two byte strings, with the structure it falls in.
fn first_difference(expected: &[u8], actual: &[u8]) -> Option<String> {
    let at = expected
        .iter()
        .zip(actual)
        .position(|(a, b)| a != b)
        .or((expected.len() != actual.len()).then(|| expected.len().min(actual.len())))?;
    Some(format!(
        "first difference at offset {at} (0x{at:X}) in {} (expected len {}, got {})",
        cip::locate(expected, at),
        expected.len(),
        actual.len()
    ))
}

#[test]
fn compile_of_decompile_reproduces_every_corpus_binary() {
    let Some(corpus) = common::corpus() else { return };
    let files = corpus_binaries(&corpus);
    assert!(files.len() >= 50, "{}", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let policy = match cip::decompile(&bytes) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: decompile: {e}", f.display()));
                continue;
            }
        };
        let opts = CompileOptions {
            format_version: format_version(&bytes),
            ..CompileOptions::default()
        };
        match cip::compile(&policy, &opts) {
            Ok(c) => {
                assert!(c.warnings.is_empty(), "{}: {:?}", f.display(), c.warnings);
                if let Some(d) = first_difference(&bytes, &c.bytes) {
                    failures.push(format!("{}: {d}", f.display()));
                }
            }
            Err(e) => failures.push(format!("{}: compile: {e}", f.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn decompile_is_idempotent_through_binary_view() {
    let Some(corpus) = common::corpus() else { return };
    for f in corpus_binaries(&corpus) {
        let bytes = std::fs::read(&f).unwrap();
        let opts = CompileOptions {
            format_version: format_version(&bytes),
            ..CompileOptions::default()
        };
        let p = cip::decompile(&bytes).unwrap();
        assert_eq!(cip::binary_view_with(&p, &opts), p, "{}", f.display());
    }
}

/// The raw policy inside a CMS SignedData file. Test-only: the library leaves CMS to `sign`.
fn cms_content(bytes: &[u8]) -> Vec<u8> {
    use der::Decode;
    let ci = cms::content_info::ContentInfo::from_der(bytes).unwrap();
    let sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    let econtent = sd.encap_content_info.econtent.unwrap();
    // eContent is an OCTET STRING holding the policy.
    let os: der::asn1::OctetString = econtent.decode_as().unwrap();
    os.as_bytes().to_vec()
}

#[test]
fn microsoft_signed_policy_round_trips() {
    let Some(corpus) = common::corpus() else { return };
    let files = common::files_with_ext(&corpus.join("signed"), &[".p7b"]);
    assert!(!files.is_empty());
    for f in files {
        let raw = cms_content(&std::fs::read(&f).unwrap());
        assert_eq!(format_version(&raw), 5, "{}", f.display());
        let policy = cip::decompile(&raw).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let opts = CompileOptions {
            format_version: 5,
            ..CompileOptions::default()
        };
        let c = cip::compile(&policy, &opts).unwrap();
        assert!(
            c.bytes == raw,
            "{}: {:?}",
            f.display(),
            first_difference(&raw, &c.bytes)
        );
    }
}
