//! `cipolicy validate` end to end: exit codes, formats, several files, and inputs it cannot read.
use std::path::Path;
use std::process::{Command, Output};

fn validate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/valid"))
        .arg("validate")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn exit_codes() {
    // Clean: 0.
    let o = validate(&["good-portable.xml", "--target", "portable"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("good-portable.xml: 0 errors, 0 warnings, 0 infos"));
    // Warnings only: 0, or 1 with --deny-warnings.
    assert_eq!(validate(&["options.xml"]).status.code(), Some(1)); // OP001 is an error
    let warn_only = validate(&["good-supplemental.xml"]);
    assert_eq!(warn_only.status.code(), Some(0));
    let w = validate(&["target-portable.xml", "--target", "portable"]);
    assert_eq!(w.status.code(), Some(0), "{}", String::from_utf8_lossy(&w.stdout));
    let w = validate(&["target-portable.xml", "--target", "portable", "--deny-warnings"]);
    assert_eq!(w.status.code(), Some(1));
    // Errors: 1, also for a document that is not well-formed (reported as ID001).
    let e = validate(&["refs.xml", "good-legacy.xml"]);
    assert_eq!(e.status.code(), Some(1));
    let out = String::from_utf8_lossy(&e.stdout);
    assert!(out.contains("refs.xml: 13 errors") && out.contains("good-legacy.xml: 0 errors"));
    assert_eq!(validate(&["schema-not-well-formed.xml"]).status.code(), Some(1));
    // Unreadable input: 2, after reporting the readable ones.
    let u = validate(&["good-legacy.xml", "missing.xml"]);
    assert_eq!(u.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&u.stderr).contains("missing.xml"));
    assert!(String::from_utf8_lossy(&u.stdout).contains("good-legacy.xml: 0 errors"));
    // Bad option files and values: 2.
    assert_eq!(
        validate(&["good-base.xml", "--cert", "good-base.xml"]).status.code(),
        Some(2)
    );
    assert_eq!(validate(&["good-base.xml", "--target", "win12"]).status.code(), Some(2));
}

#[test]
fn inputs_not_supported_yet_are_reported_as_unreadable() {
    let dir = std::env::temp_dir().join(format!("cipolicy-validate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("spec.toml");
    std::fs::write(&toml, "[policy]\nname = \"x\"\n").unwrap();
    let bin = dir.join("policy.cip");
    std::fs::write(&bin, [7u8, 0, 0, 0, 1, 2, 3]).unwrap();
    let o = validate(&[toml.to_str().unwrap(), bin.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("specs (TOML) cannot be validated yet"), "{err}");
    assert!(err.contains("binary policies cannot be validated yet"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn json_output_lists_files_and_findings() {
    let o = validate(&[
        "--format",
        "json",
        "unused.xml",
        "good-legacy.xml",
        "--target",
        "win10-1607",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], "unused.xml");
    let codes: Vec<&str> = files[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"UN001") && codes.contains(&"LM006"), "{codes:?}");
    assert_eq!(files[1]["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn previous_and_base_are_read() {
    let o = validate(&[
        "signing-replacement.xml",
        "--previous",
        "aux/previous-other-signer.xml",
        "--cert",
        "certs/leaf-chain.pem",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = v.to_string();
    for code in ["SN007", "SN008", "SN009"] {
        assert!(text.contains(code), "{code} missing: {text}");
    }
}
