//! Malformed specs of the project's own (`testdata/specs/malformed/`): each gives located,
//! explained diagnostics (snapshot-tested), never a panic; the CLI exits with code 2.
use std::path::Path;
use std::process::Command;

use cipolicy::spec::{self, BuildOptions};

fn relative(path: &Path) -> &Path {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path)
}

#[test]
fn malformed_specs_give_located_diagnostics() {
    let mut count = 0;
    insta::glob!("../testdata/specs/malformed", "*.toml", |path| {
        count += 1;
        let rel = relative(path);
        let err = spec::build_file(rel, &BuildOptions::default()).expect_err("malformed spec must not build");
        assert!(!err.0.is_empty());
        for d in &err.0 {
            assert!(d.line >= 1 && d.column >= 1, "{d}");
            assert!(d.file.starts_with("testdata/specs/malformed/"), "{d}");
        }
        insta::assert_snapshot!(err.to_string());
    });
    assert!(count >= 15, "only {count} malformed specs");
}

#[test]
fn cli_prints_diagnostics_and_exits_2() {
    for name in ["unknown-key.toml", "include-cycle.toml", "invalid-toml.toml"] {
        let out = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", &format!("testdata/specs/malformed/{name}"), "-o"])
            .arg(std::env::temp_dir().join("cipolicy-spec-errors-never-written"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: "), "{name}: {stderr}");
        assert!(stderr.contains("--> testdata/specs/malformed/"), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("testdata/specs/malformed/{name} not built")),
            "{name}: {stderr}"
        );
        assert!(stderr.trim_end().ends_with("in the spec"), "{name}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    assert!(!std::env::temp_dir().join("cipolicy-spec-errors-never-written").exists());
}

/// Every prefix of every spec (valid and malformed) is read without a panic: truncation is
/// the commonest way a hand-edited file goes wrong.
#[test]
fn truncated_specs_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(root.join("rules"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.extend(
        std::fs::read_dir(root.join("testdata/specs"))
            .unwrap()
            .flatten()
            .map(|e| e.path()),
    );
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    assert!(files.len() >= 8);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let dir = f.parent().unwrap();
        for end in (0..text.len()).step_by(7).filter(|i| text.is_char_boundary(*i)) {
            let _ = spec::build_text("cut.toml", dir, &text[..end], &BuildOptions::default());
        }
    }
}

/// Deep nesting is refused by the parser's recursion limit (no stack overflow), and the
/// diagnostic shows a window of the long line, not all of it.
#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for text in [
        format!("x = {}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("x = {}1{}", "{a=".repeat(50_000), "}".repeat(50_000)),
    ] {
        let err = spec::build_text("deep.toml", Path::new("."), &text, &BuildOptions::default()).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("deep.toml:1:"), "{}", &shown[..200.min(shown.len())]);
        assert!(shown.lines().all(|l| l.chars().count() < 200));
    }
}
