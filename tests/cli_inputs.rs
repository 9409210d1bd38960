//! Commands given the wrong kind of file say what the file is and which command fits.

use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn wrong_kinds_of_input_are_named() {
    let xml = "testdata/policies/example-base.xml";
    let spec = "rules/restrict-app-execution.toml";
    for (args, says) in [
        (&["decompile", xml][..], "this is SiPolicy XML"),
        (&["decompile", spec][..], "this is an allow-list spec"),
        (&["verify", xml][..], "this is SiPolicy XML"),
    ] {
        let (code, _, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn info_reads_specs() {
    let (code, stdout, stderr) = run(&["info", "--format", "json", "rules/restrict-app-execution.toml"]);
    assert_eq!(code, Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["source"]["kind"], "spec");
    assert_eq!(v["name"], "Restrict app execution (cipolicy reconstruction)");
}
