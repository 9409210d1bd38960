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
fn binary_and_spec_inputs() {
    let dir = std::env::temp_dir().join(format!("cipolicy-validate-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A binary compiled from a fixture validates like its XML, and its file name is checked.
    let xml = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/valid/good-portable.xml");
    let compiled = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .arg("compile")
        .arg(&xml)
        .arg("-o")
        .arg(dir.join("renamed.cip"))
        .output()
        .unwrap();
    assert_eq!(
        compiled.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let o = validate(&["--format", "json", dir.join("renamed.cip").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = v["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ID010"]);
    // An unreadable binary and a broken spec are findings (exit 1), located.
    let bin = dir.join("policy.cip");
    std::fs::write(&bin, [7u8, 0, 0, 0, 1, 2, 3]).unwrap();
    let toml = dir.join("spec.toml");
    std::fs::write(&toml, "[policy]\nname = \"x\"\n").unwrap();
    let o = validate(&["--format", "json", bin.to_str().unwrap(), toml.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"][0]["findings"][0]["code"], "BN001");
    assert_eq!(v["files"][0]["findings"][0]["location"]["kind"], "binary");
    assert_eq!(v["files"][1]["findings"][0]["code"], "SP001");
    assert_eq!(v["files"][1]["findings"][0]["location"]["kind"], "text");
    // The built-in packs validate without errors.
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for pack in [
        "allow-microsoft",
        "default-windows",
        "restrict-app-execution",
        "supplemental-example",
    ] {
        let o = validate(&[packs.join(format!("{pack}.toml")).to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{pack}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compile_refuses_invalid_policies_unless_allowed() {
    let dir = std::env::temp_dir().join(format!("cipolicy-validate-gate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let xml = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/valid/ids-base-mismatch.xml");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cipolicy"))
            .arg("compile")
            .arg(&xml)
            .arg("-o")
            .arg(dir.join("out.cip"))
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("error[ID007]"));
    assert!(!dir.join("out.cip").exists(), "nothing is written when refused");
    let forced = run(&["--allow-invalid"]);
    assert_eq!(forced.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&forced.stderr).contains("--allow-invalid"));
    assert!(dir.join("out.cip").exists());
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
