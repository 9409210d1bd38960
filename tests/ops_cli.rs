//! The merge, diff and explain subcommands end to end: outputs, formats and exit codes.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cipolicy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .args(args)
        .output()
        .unwrap()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cipolicy-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn diff_exit_codes_and_formats() {
    let a = root().join("testdata/merge/lob-a.xml");
    let b = root().join("testdata/merge/lob-b.xml");
    let same = cipolicy(&["diff", p(&a), p(&a)]);
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&same.stdout).contains("verdict: identical"));
    let differ = cipolicy(&["diff", "--format", "json", p(&a), p(&b)]);
    assert_eq!(differ.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&differ.stdout).unwrap();
    assert_eq!(v["verdict"], "different");
    assert!(v["changes"].as_array().is_some_and(|c| !c.is_empty()));
    let missing = cipolicy(&["diff", p(&a), "/nonexistent/policy.xml"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn diff_reads_specs_and_binaries() {
    let dir = scratch("spec");
    let spec = root().join("rules/restrict-app-execution.toml");
    assert!(cipolicy(&["build", p(&spec), "-o", p(&dir)]).status.success());
    for e in std::fs::read_dir(&dir).unwrap() {
        let built = e.unwrap().path();
        let out = cipolicy(&["diff", p(&spec), p(&built)]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn merge_writes_output_and_refuses_with_exit_codes() {
    let dir = scratch("merge");
    let a = root().join("testdata/merge/lob-a.xml");
    let b = root().join("testdata/merge/lob-b.xml");
    let s = root().join("testdata/merge/supplemental.xml");
    let out = dir.join("merged.xml");
    let r = cipolicy(&["merge", p(&b), p(&a), "-o", p(&out)]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("note: collapsed duplicates"));
    let merged = std::fs::read_to_string(&out).unwrap();
    let stdout = cipolicy(&["merge", p(&a), p(&b), "-o", "-"]);
    assert_eq!(
        String::from_utf8_lossy(&stdout.stdout),
        merged,
        "order of inputs changes nothing"
    );
    // The merged policy allows at least what each input allows.
    for input in [&a, &b] {
        let d = cipolicy(&["diff", "--format", "json", p(input), p(&out)]);
        let v: serde_json::Value = serde_json::from_slice(&d.stdout).unwrap();
        for c in v["changes"].as_array().unwrap() {
            assert_ne!(c["op"], "removed", "{c}");
        }
    }
    let mixed = cipolicy(&["merge", p(&a), p(&s), "-o", p(&out)]);
    assert_eq!(mixed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("--allow-mixed-types"));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        merged,
        "a refused merge writes nothing"
    );
    let ok = cipolicy(&["merge", p(&a), p(&s), "--allow-mixed-types", "-o", p(&out)]);
    assert_eq!(ok.status.code(), Some(0));
    // A dangling reference is bad input.
    let broken = dir.join("broken.xml");
    let text = std::fs::read_to_string(&a).unwrap().replace(
        "<FileRuleRef RuleID=\"ID_ALLOW_A_2\" />",
        "<FileRuleRef RuleID=\"ID_ALLOW_NOWHERE\" />",
    );
    std::fs::write(&broken, text).unwrap();
    let bad = cipolicy(&["merge", p(&a), p(&broken), "-o", p(&out)]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ID_ALLOW_NOWHERE"));
    // An invalid input (signed, no UpdatePolicySigners) makes an invalid merge: not written
    // unless --allow-invalid.
    let unsigned_option = "<Rule><Option>Enabled:Unsigned System Integrity Policy</Option></Rule>";
    let signed = std::fs::read_to_string(&a).unwrap().replace(unsigned_option, "");
    let signed_path = dir.join("signed.xml");
    std::fs::write(&signed_path, signed).unwrap();
    let before = std::fs::read(&out).unwrap();
    let refused = cipolicy(&["merge", p(&signed_path), "-o", p(&out)]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("PT001"));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let forced = cipolicy(&["merge", p(&signed_path), "--allow-invalid", "-o", p(&out)]);
    assert_eq!(forced.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explain_exit_codes() {
    let Some(fx) = common::fixtures() else { return };
    let dir = scratch("explain");
    let signed = fx.join("out/hello_signed.exe");
    let unsigned = fx.join("out/hello.exe");
    let policy = dir.join("pub.xml");
    let scan = cipolicy(&[
        "scan",
        p(&signed),
        "--level",
        "Publisher",
        "--user-mode",
        "-o",
        p(&policy),
    ]);
    assert!(scan.status.success(), "{}", String::from_utf8_lossy(&scan.stderr));
    let ok = cipolicy(&["explain", p(&policy), p(&signed)]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    let not = cipolicy(&["explain", "--format", "json", p(&policy), p(&signed), p(&unsigned)]);
    assert_eq!(not.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&not.stdout).unwrap();
    assert_eq!(v[0]["scenarios"][0]["verdict"], "allowed");
    assert_eq!(v[1]["scenarios"][0]["verdict"], "not-covered");
    let two_as = cipolicy(&["explain", p(&policy), p(&signed), p(&unsigned), "--as", "C:\\x.exe"]);
    assert_eq!(two_as.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn audit_formats_and_exit_codes() {
    let d = root().join("testdata/audit");
    let trig = d.join("AU030.trigger.xml");
    let clean = d.join("clean.xml");
    // Relative paths, so the snapshot does not depend on where the repository is.
    let out = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .current_dir(root())
        .args(["audit", "testdata/audit/AU030.trigger.xml", "testdata/audit/clean.xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "high finding fails by default");
    insta::assert_snapshot!("audit_human", String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        cipolicy(&["audit", "--fail-on", "critical", p(&trig)]).status.code(),
        Some(0)
    );
    assert_eq!(cipolicy(&["audit", p(&clean)]).status.code(), Some(0));
    let info = d.join("AU012.trigger.xml");
    assert_eq!(cipolicy(&["audit", p(&info)]).status.code(), Some(0));
    assert_eq!(
        cipolicy(&["audit", "--fail-on", "info", p(&info)]).status.code(),
        Some(1)
    );
    let json = cipolicy(&["audit", "--format", "json", "--fail-on", "never", p(&trig)]);
    assert_eq!(json.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["files"][0]["findings"][0]["code"], "AU030");
    let sarif = cipolicy(&["audit", "--format", "sarif", p(&trig)]);
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["results"][0]["ruleId"], "AU030");
    assert_eq!(run["results"][0]["level"], "error");
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "AU030");
    assert_eq!(run["tool"]["driver"]["rules"][0]["properties"]["tags"][0], "audit");
    // Specs are audited too.
    let spec = root().join("rules/restrict-app-execution.toml");
    let out = cipolicy(&["audit", "--fail-on", "never", p(&spec)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("AU040"));
}
