//! Helpers shared by integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod pki;

/// The shared corpus folder: `$CIPOLICY_CORPUS`, else `../shared/corpus` beside the project.
/// Returns `None` (after printing a notice) when it is absent, so corpus tests skip visibly: the
/// corpus is third-party data that is never copied into the project.
pub fn corpus() -> Option<PathBuf> {
    shared_dir("CIPOLICY_CORPUS", "corpus")
}

/// The shared fixtures folder (`$CIPOLICY_FIXTURES`, else `../shared/fixtures`), same rules.
pub fn fixtures() -> Option<PathBuf> {
    shared_dir("CIPOLICY_FIXTURES", "fixtures")
}

fn shared_dir(var: &str, name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared").join(name));
    if dir.is_dir() {
        return Some(dir);
    }
    eprintln!(
        "NOTICE: {name} folder {} is absent (set {var}); skipping this test",
        dir.display()
    );
    None
}

/// Every file under `dir` (recursively) whose name ends with one of `exts` (case-insensitive),
/// sorted.
pub fn files_with_ext(dir: &std::path::Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.file_name().unwrap_or_default().to_string_lossy().to_lowercase();
                if exts.iter().any(|x| name.ends_with(&x.to_lowercase())) {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

/// The `openssl` binary: `$OPENSSL`, else `/usr/bin/openssl`, else `openssl` on PATH. Returns
/// `None` (after a notice) when it cannot run; under `CI=true` a missing openssl fails the test.
pub fn openssl() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("OPENSSL").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/openssl")),
        Some(PathBuf::from("openssl")),
    ];
    for c in candidates.into_iter().flatten() {
        if std::process::Command::new(&c)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(c);
        }
    }
    if std::env::var_os("CI").is_some_and(|v| v == "true") {
        panic!("openssl is not installed but CI=true");
    }
    eprintln!("NOTICE: openssl not found; skipping a test that needs it");
    None
}

/// A fresh empty scratch folder under the target dir, unique to `name` and this process.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An external tool on `PATH` that a test cross-checks against, or `None` (after a notice, so
/// the test skips visibly) when it is missing; under `CI=true` a missing tool fails the test,
/// since `.ci/run` installs them all.
#[allow(dead_code)]
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v != "true"),
            "{name} is required under CI=true (.ci/run installs it)"
        );
        eprintln!("NOTICE: {name} not installed; skipping a test that needs it");
    }
    found
}
