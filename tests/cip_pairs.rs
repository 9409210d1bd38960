//! Byte-exact compilation: every XML of `pairs/` compiles to exactly the binary Microsoft's
//! tooling made from it.

mod common;

use cipolicy::cip::{self, CompileOptions};

struct Pair {
    name: String,
    xml: std::path::PathBuf,
    binary: std::path::PathBuf,
}

fn pairs(corpus: &std::path::Path) -> Vec<Pair> {
    let dir = corpus.join("pairs");
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (c_pair, c_xml, c_bin) = (col("pair"), col("xml"), col("binary"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Pair {
                name: f[c_pair].to_string(),
                xml: dir.join(f[c_pair]).join(f[c_xml]),
                binary: dir.join(f[c_pair]).join(f[c_bin]),
            }
        })
        .collect()
}

/// First differing offset, with the structure of the expected binary it falls in.
fn first_difference(expected: &[u8], actual: &[u8]) -> Option<String> {
    let at = expected
        .iter()
        .zip(actual)
        .position(|(a, b)| a != b)
        .or((expected.len() != actual.len()).then(|| expected.len().min(actual.len())))?;
    let show = |b: &[u8]| {
        let end = (at + 16).min(b.len());
        const_hex::encode(&b[at.min(end)..end])
    };
    Some(format!(
        "first difference at offset {at} (0x{at:X}) in {}: expected {}…, got {}… (lengths {} / {})",
        cip::locate(expected, at),
        show(expected),
        show(actual),
        expected.len(),
        actual.len()
    ))
}

#[test]
fn every_pair_compiles_byte_exact() {
    let Some(corpus) = common::corpus() else { return };
    let pairs = pairs(&corpus);
    assert_eq!(pairs.len(), 38);
    let mut failures = Vec::new();
    for p in &pairs {
        let expected = std::fs::read(&p.binary).unwrap();
        let doc =
            cipolicy::xml::read(&std::fs::read(&p.xml).unwrap()).unwrap_or_else(|e| panic!("{}: XML: {e}", p.name));
        let opts = CompileOptions {
            format_version: u32::from_le_bytes(expected[..4].try_into().unwrap()),
            ..CompileOptions::default()
        };
        match cip::compile(&doc.policy, &opts) {
            Ok(c) => {
                if let Some(d) = first_difference(&expected, &c.bytes) {
                    failures.push(format!("{}: {d}", p.name));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", p.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} pairs differ:\n{}",
        failures.len(),
        pairs.len(),
        failures.join("\n")
    );
}
