//! Malformed XML inputs of the project's own (`testdata/malformed/`): each gives a located,
//! explained error (snapshot-tested), never a panic; the CLI maps them to exit code 2.
use std::process::Command;

use cipolicy::xml;

#[test]
fn malformed_inputs_give_located_errors() {
    insta::glob!("../testdata/malformed", "*.xml", |path| {
        let bytes = std::fs::read(path).unwrap();
        let err = xml::read(&bytes).expect_err("malformed input must not parse");
        assert!(err.span.line >= 1 && err.span.column >= 1);
        insta::assert_snapshot!(err.to_string());
    });
}

#[test]
fn cli_reports_malformed_input_with_exit_code_2() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/malformed");
    for name in ["unknown-element.xml", "dtd-entity.xml", "empty.xml"] {
        let out = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
            .arg("info")
            .arg(dir.join(name))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: ") && stderr.contains(name),
            "{name}: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn utf16_and_bom_variants_read_like_utf8() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policies/example-base.xml");
    let utf8 = std::fs::read(&path).unwrap();
    let text = String::from_utf8(utf8.clone()).unwrap();
    let want = xml::read(&utf8).unwrap().policy;
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("UTF-8 BOM", [&[0xEF, 0xBB, 0xBF][..], &utf8].concat()),
        ("UTF-16LE BOM", [&[0xFF, 0xFE][..], &le].concat()),
        ("UTF-16BE BOM", [&[0xFE, 0xFF][..], &be].concat()),
        ("UTF-16LE no BOM", le.clone()),
        ("UTF-16BE no BOM", be.clone()),
        ("CRLF", text.replace('\n', "\r\n").into_bytes()),
    ];
    for (name, bytes) in variants {
        let got = xml::read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.policy, want, "{name}");
    }
}

#[test]
fn error_positions_survive_utf16() {
    let text = "<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\">\n  <VersionEx>1.2.3</VersionEx>\n</SiPolicy>";
    let le: Vec<u8> = [
        &[0xFF, 0xFE][..],
        &text.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<_>>(),
    ]
    .concat();
    let e = xml::read(&le).unwrap_err();
    assert_eq!((e.span.line, e.span.column), (2, 14));
}

/// A hostile 100,000-character value is shown by its start and length, not echoed whole, and no
/// "did you mean" is searched for it.
#[test]
fn long_values_are_not_echoed_whole() {
    let long = "B".repeat(100_000);
    let doc = format!(r#"<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy" PolicyType="{long}"/>"#);
    let err = xml::read(doc.as_bytes()).expect_err("not a policy type");
    let msg = err.to_string();
    assert!(msg.len() < 400, "{} bytes", msg.len());
    assert!(msg.contains("(100000 characters)"), "{msg}");
}
