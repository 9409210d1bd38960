//! `cipolicy hash` reproduces expected.json; `cipolicy scan` writes XML / spec and a JSON summary.
mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn cipolicy(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn hash_json_reproduces_expected_json() {
    let Some(dir) = common::fixtures() else { return };
    let out_dir = dir.join("out");
    let (code, stdout, stderr) = cipolicy(&["hash", "--format", "json", out_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let got: Value = serde_json::from_str(&stdout).unwrap();
    let files = got["files"].as_array().unwrap();
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut checked = 0;
    for (key, e) in expected.as_object().unwrap() {
        let name = key.rsplit(':').next().unwrap();
        if key.starts_with("cert:") {
            continue; // checked from `cipolicy hash out/pki` below
        }
        let f = files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(&format!("/{name}")))
            .unwrap_or_else(|| panic!("{name} missing"));
        let pairs: &[(&str, &str)] = if key.contains(':') {
            &[
                ("sip_sha1", "sha1"),
                ("sip_sha256", "sha256"),
                ("flat_sha256", "flat_sha256"),
            ]
        } else {
            &[
                ("authenticode_sha1", "sha1"),
                ("authenticode_sha256", "sha256"),
                ("page_hash_sha1", "page_sha1"),
                ("page_hash_sha256", "page_sha256"),
                ("flat_sha256", "flat_sha256"),
            ]
        };
        for (ek, gk) in pairs {
            assert_eq!(f[gk], e[ek], "{name} {gk}");
        }
        if !key.contains(':') {
            assert_eq!(f["size"], e["size"], "{name}");
            assert_eq!(f["version"]["file_version"], e["fixed_file_version"], "{name}");
            assert_eq!(f["pe"]["subsystem"], e["subsystem"], "{name}");
            for (i, es) in e["signatures"].as_array().unwrap().iter().enumerate() {
                let s = &f["signatures"][i];
                assert_eq!(s["embedded_digest"], es["embedded_digest"], "{name}");
                assert_eq!(s["opus_program_name"], es["opus_program_name"], "{name}");
                for ec in es["certificates"].as_array().unwrap() {
                    let c = s["certificates"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|c| c["subject_name"] == ec["subject"])
                        .unwrap();
                    assert_eq!(c["tbs_hash"], ec["tbs"], "{name}");
                }
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn scan_writes_xml_spec_and_json_summary() {
    let Some(dir) = common::fixtures() else { return };
    let out_dir = dir.join("out");
    let tmp = std::env::temp_dir().join(format!("cipolicy-cli-scan-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let xml = tmp.join("p.xml");
    let (code, stdout, stderr) = cipolicy(&[
        "scan",
        out_dir.to_str().unwrap(),
        "--level",
        "filepublisher",
        "--fallback",
        "Publisher,Hash",
        "--omit",
        "s_*",
        "-o",
        xml.to_str().unwrap(),
        "--format",
        "json",
        "--threads",
        "3",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["files"], 10, "{v}");
    assert!(v["output"].is_null());
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(text.contains("<FileAttrib ID=\"ID_FILEATTRIB_F_1\""));
    assert!(!text.contains("s_crlf"));
    let (code, stdout, _) = cipolicy(&["scan", out_dir.to_str().unwrap(), "--as", "spec", "--kernel-mode"]);
    assert_eq!(code, 0);
    let spec: toml::Table = stdout.parse().unwrap();
    let allow = spec["allow"].as_array().unwrap();
    // fixdrv.sys and fixdrv_whql.sys hash the same: one kernel entry with four hashes, those
    // expected.json gives for fixdrv.sys.
    assert_eq!(allow.len(), 1, "{stdout}");
    assert_eq!(allow[0]["scenarios"].as_array().unwrap().len(), 1);
    assert!(allow[0]["reason"].as_str().unwrap().ends_with("fixdrv.sys"));
    let hashes: Vec<&str> = allow[0]["hash"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let drv = &expected["fixdrv.sys"];
    for key in [
        "authenticode_sha1",
        "authenticode_sha256",
        "page_hash_sha1",
        "page_hash_sha256",
    ] {
        assert!(hashes.contains(&drv[key].as_str().unwrap()), "{key} {hashes:?}");
    }
    assert!(
        stdout.starts_with("# Rules from `cipolicy scan` (level Hash)"),
        "{stdout}"
    );
    let (code, _, stderr) = cipolicy(&["scan", out_dir.to_str().unwrap(), "--level", "Bogus"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown level"), "{stderr}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn hash_json_reproduces_expected_certificates() {
    let Some(dir) = common::fixtures() else { return };
    let pki = dir.join("out/pki");
    let (code, stdout, stderr) = cipolicy(&["hash", "--format", "json", pki.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let got: Value = serde_json::from_str(&stdout).unwrap();
    let certs = got["certificates"].as_array().unwrap();
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut checked = 0;
    for (key, e) in expected.as_object().unwrap() {
        let Some(name) = key.strip_prefix("cert:") else {
            continue;
        };
        let c = certs
            .iter()
            .find(|c| c["path"].as_str().unwrap().ends_with(&format!("/{name}.pem")))
            .unwrap_or_else(|| panic!("{name}.pem missing from {stdout}"));
        assert_eq!(c["subject_name"], e["subject"], "{name}");
        assert_eq!(c["issuer_name"], e["issuer"], "{name}");
        assert_eq!(c["tbs_hash"], e["tbs"], "{name}");
        assert_eq!(c["tbs_sha256"], e["tbs_sha256"], "{name}");
        assert_eq!(
            c["ekus"].as_array().unwrap().len(),
            e["eku"].as_array().unwrap().len(),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 6, "{checked} certificates");
}

/// FilePath rules from this machine's paths would allow nothing on Windows: refused without
/// --path-prefix (also as a fallback level), accepted with it.
#[cfg(not(windows))]
#[test]
fn file_path_level_needs_a_windows_prefix() {
    let Some(dir) = common::fixtures() else { return };
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    for args in [
        &["scan", out, "--level", "FilePath", "-o", "-"][..],
        &["scan", out, "--level", "Publisher", "--fallback", "FilePath", "-o", "-"][..],
    ] {
        let (code, _, stderr) = cipolicy(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains("--path-prefix"), "{stderr}");
    }
    let (code, stdout, stderr) = cipolicy(&[
        "scan",
        out,
        "--level",
        "FilePath",
        "--path-prefix",
        "C:\\Program Files\\Fixtures",
        "-o",
        "-",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("FilePath=\"C:\\Program Files\\Fixtures\\"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn hash_names_what_it_cannot_hash_and_fails() {
    // A FIFO (which would block a reader forever) and a device are named as issues, and a
    // one-off check that hashed nothing of what it was given does not exit 0.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hash-special");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let (code, _, stderr) = cipolicy(&["hash", fifo.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("pipe: not a regular file"), "{stderr}");
    let (code, stdout, stderr) = cipolicy(&["hash", "--format", "json", "/dev/null"]);
    assert_eq!(code, 2, "{stderr}");
    let got: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(got["files"].as_array().unwrap().len(), 0);
    assert!(
        got["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file")
    );
    // In a folder, the regular files are still hashed.
    std::fs::write(dir.join("a.ps1"), "Write-Output 1\n").unwrap();
    let (code, stdout, _) = cipolicy(&["hash", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    let got: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(got["files"].as_array().unwrap().len(), 1);
}
