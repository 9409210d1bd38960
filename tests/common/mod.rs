//! Helpers shared by integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared corpus folder: `$CIPOLICY_CORPUS`, else `../shared/corpus` beside the project.
/// Returns `None` (after printing a notice) when it is absent, so corpus tests skip visibly;
/// under `CI=true` an absent folder fails the test instead.
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
    if std::env::var_os("CI").is_some_and(|v| v == "true") && std::env::var_os("CIPOLICY_ALLOW_NO_CORPUS").is_none() {
        panic!("{name} folder {} is absent under CI=true (set {var})", dir.display());
    }
    eprintln!("NOTICE: {name} folder {} is absent; skipping", dir.display());
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
