//! `cipolicy compile` and `cipolicy decompile` as processes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&std::ffi::OsStr], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// A fresh scratch folder under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli_compile_{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn compile_names_the_output_as_windows_expects_and_is_byte_exact() {
    let Some(corpus) = common::corpus() else { return };
    let dir = scratch("names");
    // Legacy (PolicyTypeID only) → SiPolicy.p7b in the current folder.
    let pair = corpus.join("pairs/pywdac--pol");
    let out = run(
        &[
            "compile".as_ref(),
            pair.join("pol.xml").as_os_str(),
            "--format-version".as_ref(),
            "7".as_ref(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        std::fs::read(dir.join("SiPolicy.p7b")).unwrap(),
        std::fs::read(pair.join("SiPolicy.p7b")).unwrap()
    );
    // Multiple-policy format → {PolicyID}.cip in the -o folder.
    let pair = corpus.join("pairs/mattmcphee--current-policies--allow-path-rules-a02");
    let out = run(
        &[
            "compile".as_ref(),
            pair.join("Allow-Path-Rules-A02.xml").as_os_str(),
            "-o".as_ref(),
            dir.as_os_str(),
            "--format-version".as_ref(),
            "7".as_ref(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let written = dir.join("{49F0251C-F208-4954-952D-70E929531313}.cip");
    assert_eq!(
        std::fs::read(&written).unwrap(),
        std::fs::read(pair.join("{49f0251c-f208-4954-952d-70e929531313}.CIP")).unwrap()
    );
    // decompile → XML → compile to a named file gives the same bytes.
    let xml = dir.join("back.xml");
    let out = run(
        &[
            "decompile".as_ref(),
            written.as_os_str(),
            "-o".as_ref(),
            xml.as_os_str(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let again = dir.join("again.bin");
    let out = run(
        &[
            "compile".as_ref(),
            xml.as_os_str(),
            "-o".as_ref(),
            again.as_os_str(),
            "--format-version".as_ref(),
            "7".as_ref(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&written).unwrap());
}

#[test]
fn warnings_go_to_stderr_and_inexpressible_features_fail_with_exit_2() {
    let Some(corpus) = common::corpus() else { return };
    let dir = scratch("errors");
    let xml = corpus.join("near-pairs/hbkmon-testing-repo--wdac_allowall_audit--70e8d0f/WDAC_AllowAll_Audit.xml");
    // The mis-cased option is a schema error, so compile refuses without --allow-invalid.
    let out = run(&["compile".as_ref(), xml.as_os_str()], &dir);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[XS008]") && err.contains("--allow-invalid"), "{err}");
    // The output is encoded and flushed while the policy is validated: a refusal leaves nothing,
    // not even the temporary file.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "a refused compile left {left:?}");
    let out = run(&["compile".as_ref(), xml.as_os_str(), "--allow-invalid".as_ref()], &dir);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("despite 1 validation error(s) (--allow-invalid)"), "{err}");
    assert!(
        err.contains("warning:") && err.contains("Enabled:Boot Audit on Failure"),
        "{err}"
    );

    // FilePath rules need format 7.
    let xml = corpus.join("pairs/pywdac--pol/pol.xml");
    let out = run(
        &[
            "compile".as_ref(),
            xml.as_os_str(),
            "--format-version".as_ref(),
            "6".as_ref(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FilePath") && err.contains("format version 7"), "{err}");
    assert!(!dir.join("SiPolicy.p7b").exists(), "nothing is written on failure");
}
