//! Round trips between XML and binary over the corpus.

mod common;

use cipolicy::cip::{self, CompileError, CompileOptions};

fn compile_any(p: &cipolicy::model::Policy) -> Result<(CompileOptions, Vec<u8>), CompileError> {
    let mut opts = CompileOptions::default();
    match cip::compile(p, &opts) {
        Err(CompileError::NotExpressible { needs, .. }) => {
            opts.format_version = needs.max(11);
            cip::compile(p, &opts).map(|c| (opts, c.bytes))
        }
        r => r.map(|c| (opts, c.bytes)),
    }
}

#[test]
fn every_compilable_corpus_xml_survives_decompile() {
    let Some(corpus) = common::corpus() else { return };
    let files = common::files_with_ext(&corpus, &[".xml"]);
    let (mut compiled, mut unreadable, mut refused) = (0, 0, Vec::new());
    for f in &files {
        let Ok(doc) = cipolicy::xml::read(&std::fs::read(f).unwrap()) else {
            unreadable += 1;
            continue;
        };
        let (opts, bytes) = match compile_any(&doc.policy) {
            Ok(x) => x,
            Err(e) => {
                refused.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        compiled += 1;
        let back = cip::decompile(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // The model that comes back is exactly what binary_view says survives.
        assert_eq!(back, cip::binary_view_with(&doc.policy, &opts), "{}", f.display());
        // And it compiles to the same bytes, also after a trip through XML text.
        let again = cip::compile(&back, &opts).unwrap();
        assert!(again.bytes == bytes, "{}", f.display());
        let text = cipolicy::xml::write(&back);
        let reread = cipolicy::xml::read(text.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}\n{text}", f.display()));
        assert!(
            cip::compile(&reread.policy, &opts).unwrap().bytes == bytes,
            "{}",
            f.display()
        );
    }
    eprintln!(
        "{} XML files: {compiled} compiled and round-tripped, {unreadable} not readable as SiPolicy, {} refused by compile:\n{}",
        files.len(),
        refused.len(),
        refused.join("\n")
    );
    assert!(compiled >= 200, "{compiled}");
}

#[test]
fn every_corpus_binary_survives_xml_text() {
    let Some(corpus) = common::corpus() else { return };
    let exts = [".cip", ".p7b", ".bin"];
    let mut files = common::files_with_ext(&corpus.join("pairs"), &exts);
    files.extend(common::files_with_ext(&corpus.join("binaries"), &exts));
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let opts = CompileOptions {
            format_version: u32::from_le_bytes(bytes[..4].try_into().unwrap()),
            ..CompileOptions::default()
        };
        let text = cipolicy::xml::write(&cip::decompile(&bytes).unwrap());
        let doc = cipolicy::xml::read(text.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(
            cip::compile(&doc.policy, &opts).unwrap().bytes == bytes,
            "{}",
            f.display()
        );
    }
}
