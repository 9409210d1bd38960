//! Atomic output, through the library (`fsio::write_atomic`, `fsio::write_all_atomic`) and end to
//! end: when the final write or rename of `compile`, `build`, `fmt`, `sign` or `decompile` fails,
//! the previous artifact is untouched and no temporary file remains.
//!
//! Two failures that need no privileges and also work as root (which a read-only folder does not
//! stop): a file-size limit of zero (`ulimit -f 0`, with SIGXFSZ ignored so that the write
//! returns EFBIG instead of killing the process) makes every file write fail; a non-empty folder
//! where the output file goes makes the final rename fail.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cipolicy::fsio;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs cipolicy, under a zero file-size limit when `limited`.
fn cipolicy<S: AsRef<OsStr>>(limited: bool, args: &[S]) -> Output {
    let mut c = if limited {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("trap '' XFSZ; ulimit -f 0 && exec \"$@\"")
            .arg("sh")
            .arg(env!("CARGO_BIN_EXE_cipolicy"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_cipolicy"))
    };
    c.args(args).output().unwrap()
}

/// Every file and folder under `dir` with its content (folders as `<dir>`).
fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        let content = if e.file_type().is_dir() {
            b"<dir>".to_vec()
        } else {
            std::fs::read(e.path()).unwrap()
        };
        out.insert(rel, content);
    }
    out
}

/// Runs a command that must fail to write, and checks that `dir` is exactly as it was.
fn assert_fails_cleanly<S: AsRef<OsStr>>(what: &str, dir: &Path, limited: bool, args: &[S]) {
    let before = listing(dir);
    let out = cipolicy(limited, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(stderr.contains("cannot write"), "{what}: {stderr}");
    let after = listing(dir);
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(changed.is_empty(), "{what}: changed or left behind: {changed:?}");
}

/// The library, in a child process (this test binary, running only
/// `library_child_under_a_zero_file_size_limit`) under a zero file-size limit, so that the limit
/// does not reach the other tests' threads.
#[test]
fn library_writes_fail_cleanly() {
    let dir = common::scratch_dir("atomic-library");
    std::fs::write(dir.join("a.cip"), b"previous a").unwrap();
    std::fs::write(dir.join("b.xml"), b"previous b").unwrap();
    let before = listing(&dir);
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0 && exec \"$@\"")
        .arg("sh")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "library_child_under_a_zero_file_size_limit",
            "--nocapture",
        ])
        .env("CIPOLICY_ATOMIC_CHILD_DIR", &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert_eq!(listing(&dir), before);

    // The rename: a non-empty folder where the file goes (single file, and the second of a set,
    // after the first was renamed into place).
    let blocked = dir.join("blocked.cip");
    std::fs::create_dir_all(blocked.join("keep")).unwrap();
    let before = listing(&dir);
    assert!(fsio::write_atomic(&blocked, b"new").is_err());
    assert_eq!(listing(&dir), before);
    let (a, b) = (dir.join("a.cip"), dir.join("b.xml"));
    assert!(fsio::write_all_atomic(&[(&a, b"new a"), (&b, b"new b"), (&blocked, b"new")]).is_err());
    assert_eq!(listing(&dir), before);
}

/// Run by `library_writes_fail_cleanly` only, with `ulimit -f 0` in force.
#[test]
#[ignore = "run by library_writes_fail_cleanly under a file-size limit"]
fn library_child_under_a_zero_file_size_limit() {
    let dir = PathBuf::from(std::env::var_os("CIPOLICY_ATOMIC_CHILD_DIR").expect("run by library_writes_fail_cleanly"));
    let (a, b, new) = (dir.join("a.cip"), dir.join("b.xml"), dir.join("new.cip"));
    let e = fsio::write_atomic(&a, b"new a").unwrap_err();
    // EFBIG: the limit, not some other failure.
    assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge, "{e}");
    assert!(fsio::write_atomic(&new, b"new").is_err());
    assert!(fsio::write_all_atomic(&[(&a, b"new a"), (&b, b"new b")]).is_err());
    assert_eq!(std::fs::read(&a).unwrap(), b"previous a");
    assert_eq!(std::fs::read(&b).unwrap(), b"previous b");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

fn ok<S: AsRef<OsStr>>(args: &[S]) {
    let out = cipolicy(false, args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

const POLICY: &str = "testdata/valid/good-portable.xml";
const POLICY_ID: &str = "{0E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B}";

#[test]
fn compile_leaves_the_previous_binary_when_writing_fails() {
    let dir = common::scratch_dir("atomic-compile");
    let out = dir.join("out.cip");
    std::fs::write(&out, b"previous binary").unwrap();
    let input = repo(POLICY);
    assert_fails_cleanly(
        "compile, write",
        &dir,
        true,
        &[OsStr::new("compile"), input.as_os_str(), "-o".as_ref(), out.as_os_str()],
    );
    // The rename: the default output name is taken by a non-empty folder.
    std::fs::create_dir_all(dir.join(format!("{POLICY_ID}.cip/keep"))).unwrap();
    let folder = format!("{}/", dir.display());
    assert_fails_cleanly(
        "compile, rename",
        &dir,
        false,
        &["compile", input.to_str().unwrap(), "-o", &folder],
    );
}

#[test]
fn build_replaces_both_files_or_neither() {
    let dir = common::scratch_dir("atomic-build");
    let spec = repo("testdata/specs/deny-list.toml");
    ok(&[OsStr::new("build"), spec.as_os_str(), "-o".as_ref(), dir.as_os_str()]);
    let made = listing(&dir);
    assert_eq!(made.len(), 2, "{:?}", made.keys());
    let xml_name = made.keys().find(|k| k.ends_with(".xml")).unwrap().clone();
    let bin_name = made.keys().find(|k| !k.ends_with(".xml")).unwrap().clone();
    std::fs::write(dir.join(&xml_name), b"previous xml").unwrap();
    std::fs::write(dir.join(&bin_name), b"previous binary").unwrap();
    assert_fails_cleanly(
        "build, write",
        &dir,
        true,
        &[OsStr::new("build"), spec.as_os_str(), "-o".as_ref(), dir.as_os_str()],
    );
    // The XML is renamed into place first; the binary's rename then fails, and the XML must get
    // its previous content back.
    std::fs::remove_file(dir.join(&bin_name)).unwrap();
    std::fs::create_dir_all(dir.join(&bin_name).join("keep")).unwrap();
    assert_fails_cleanly(
        "build, rename",
        &dir,
        false,
        &[OsStr::new("build"), spec.as_os_str(), "-o".as_ref(), dir.as_os_str()],
    );
    assert_eq!(std::fs::read(dir.join(&xml_name)).unwrap(), b"previous xml");
}

#[test]
fn fmt_leaves_the_file_when_writing_fails() {
    let dir = common::scratch_dir("atomic-fmt");
    let file = dir.join("policy.xml");
    // Not canonical (CRLF), so that fmt has something to write.
    let text = std::fs::read_to_string(repo(POLICY)).unwrap().replace('\n', "\r\n");
    std::fs::write(&file, text).unwrap();
    assert_fails_cleanly(
        "fmt in place, write",
        &dir,
        true,
        &[OsStr::new("fmt"), file.as_os_str()],
    );
    std::fs::create_dir_all(dir.join("out.xml/keep")).unwrap();
    let out = dir.join("out.xml");
    assert_fails_cleanly(
        "fmt -o, rename",
        &dir,
        false,
        &[OsStr::new("fmt"), file.as_os_str(), "-o".as_ref(), out.as_os_str()],
    );
}

#[test]
fn decompile_leaves_the_previous_xml_when_writing_fails() {
    let dir = common::scratch_dir("atomic-decompile");
    let bin = dir.join("in.cip");
    ok(&[
        OsStr::new("compile"),
        repo(POLICY).as_os_str(),
        "-o".as_ref(),
        bin.as_os_str(),
    ]);
    let out = dir.join("out.xml");
    std::fs::write(&out, b"previous xml").unwrap();
    assert_fails_cleanly(
        "decompile, write",
        &dir,
        true,
        &[OsStr::new("decompile"), bin.as_os_str(), "-o".as_ref(), out.as_os_str()],
    );
    std::fs::remove_file(&out).unwrap();
    std::fs::create_dir_all(out.join("keep")).unwrap();
    assert_fails_cleanly(
        "decompile, rename",
        &dir,
        false,
        &[OsStr::new("decompile"), bin.as_os_str(), "-o".as_ref(), out.as_os_str()],
    );
}

#[test]
fn sign_leaves_the_previous_signed_file_when_writing_fails() {
    let Some(pki) = common::pki::Pki::new("atomic-sign-pki") else {
        return;
    };
    let dir = common::scratch_dir("atomic-sign");
    let out = dir.join("out.p7b");
    std::fs::write(&out, b"previous signed policy").unwrap();
    let (cert, key) = (pki.path("leaf.pem"), pki.path("leaf.key"));
    let args = |out: &Path| -> Vec<PathBuf> {
        [
            "sign",
            POLICY,
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--force",
            "-o",
        ]
        .iter()
        .map(|s| if *s == POLICY { repo(POLICY) } else { PathBuf::from(s) })
        .chain([out.to_path_buf()])
        .collect()
    };
    assert_fails_cleanly("sign, write", &dir, true, &args(&out));
    std::fs::remove_file(&out).unwrap();
    std::fs::create_dir_all(out.join("keep")).unwrap();
    assert_fails_cleanly("sign, rename", &dir, false, &args(&out));
}
