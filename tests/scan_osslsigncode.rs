//! Cross-checks against osslsigncode: the Authenticode digest and page-hash entry 0 it computes
//! (when verifying the fixtures, and when signing PE images these tests generate) equal ours.
//! Under CI=true a missing osslsigncode/openssl fails; elsewhere the tests print a notice and skip.
mod common;
#[path = "support/pegen.rs"]
mod pegen;

use std::path::{Path, PathBuf};
use std::process::Command;

use cipolicy::scan::digest::DigestAlg;
use cipolicy::scan::{FactOptions, FileFacts, Level, RuleOptions, WalkOptions, facts_from_bytes, run_scan};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cipolicy-ossl-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A throwaway self-signed certificate and key (`ec`: P-256 instead of RSA 2048).
fn keypair(dir: &Path, ec: bool) -> (PathBuf, PathBuf) {
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let mut cmd = Command::new("openssl");
    cmd.args([
        "req",
        "-x509",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=cipolicy scan test",
    ]);
    if ec {
        cmd.args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]);
    } else {
        cmd.args(["-newkey", "rsa:2048"]);
    }
    let st = cmd.arg("-keyout").arg(&key).arg("-out").arg(&cert).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    (key, cert)
}

fn sign(input: &Path, output: &Path, kp: &(PathBuf, PathBuf), hash: &str) {
    let _ = std::fs::remove_file(output);
    let st = Command::new("osslsigncode")
        .args(["sign", "-h", hash, "-ph", "-certs"])
        .arg(&kp.1)
        .arg("-key")
        .arg(&kp.0)
        .arg("-in")
        .arg(input)
        .arg("-out")
        .arg(output)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
}

fn facts(path: &Path) -> FileFacts {
    let bytes = std::fs::read(path).unwrap();
    facts_from_bytes(&path.to_string_lossy(), &bytes, FactOptions::default())
}

/// Signs `unsigned` with SHA-256 and SHA-1 page-hashed signatures and checks that the digests and
/// page-hash entry 0 osslsigncode embedded equal what we compute on the unsigned file.
fn check_against_signing(unsigned: &Path, dir: &Path, kp: &(PathBuf, PathBuf)) {
    let ours = facts(unsigned);
    assert_eq!(
        ours.hash_method,
        cipolicy::scan::HashMethod::Authenticode,
        "{unsigned:?}"
    );
    for (hash, alg) in [("sha256", DigestAlg::Sha256), ("sha1", DigestAlg::Sha1)] {
        let out = dir.join(format!("signed-{hash}.exe"));
        sign(unsigned, &out, kp, hash);
        let signed = facts(&out);
        let s = &signed.signatures[0];
        assert_eq!(s.digest_alg, Some(alg));
        let (want, page) = match alg {
            DigestAlg::Sha1 => (&ours.sha1, &ours.page_sha1),
            _ => (&ours.sha256, &ours.page_sha256),
        };
        assert_eq!(&s.embedded_digest, want, "{unsigned:?} {hash} Authenticode digest");
        let ph = s.page_hash.as_ref().expect("osslsigncode -ph embeds page hashes");
        assert_eq!(
            Some(&ph.first_page),
            page.as_ref(),
            "{unsigned:?} {hash} page-hash entry 0"
        );
        // The signed copy hashes to the same values (signer padding and the table are excluded).
        assert_eq!(signed.sha256, ours.sha256, "{unsigned:?} signed copy");
        assert_eq!(s.digest_matches, Some(true));
    }
}

#[test]
fn fixture_digests_equal_osslsigncode_calculated_digests() {
    let Some(dir) = common::fixtures() else { return };
    if common::tool("osslsigncode").is_none() {
        return;
    }
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.join("out")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".exe") || name.ends_with(".sys")) || !name.contains("signed") && !name.contains("whql") {
            continue;
        }
        let out = Command::new("osslsigncode")
            .arg("verify")
            .arg("-in")
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let ours = facts(&path);
        let calc: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("Calculated message digest :"))
            .map(str::trim)
            .collect();
        assert!(!calc.is_empty(), "{name}: {text}");
        for c in calc {
            assert!(
                c == ours.sha256.to_hex() || c == ours.sha1.to_hex(),
                "{name}: osslsigncode {c}"
            );
        }
        let page: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("Calculated page hash :"))
            .map(str::trim)
            .collect();
        for p in page {
            // "00000000" (offset of page 0) then the start of the entry-0 digest, truncated.
            let digest = p.trim_end_matches(" ...").trim_end_matches("...").trim();
            let digest = &digest[8..];
            let full = ours.page_sha256.as_ref().unwrap().to_hex();
            assert!(full.starts_with(digest), "{name}: page hash {digest} vs {full}");
        }
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}

#[test]
fn unsigned_fixtures_signed_by_osslsigncode() {
    let Some(fixtures) = common::fixtures() else { return };
    if common::tool("osslsigncode").is_none() || common::tool("openssl").is_none() {
        return;
    }
    let dir = tmpdir("fixtures");
    let kp = keypair(&dir, false);
    for name in ["hello.exe", "hello_overlay.exe", "fixdrv.sys"] {
        check_against_signing(&fixtures.join("out").join(name), &dir, &kp);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generated_images_signed_by_osslsigncode() {
    if common::tool("osslsigncode").is_none() || common::tool("openssl").is_none() {
        return;
    }
    let dir = tmpdir("generated");
    let kp = keypair(&dir, false);
    let mut specs = Vec::new();
    for (i, (pe32_plus, nt_offset, soh, overlay)) in [
        (true, 0x80, 0x400, 0),
        (true, 0x80, 0x400, 5),
        (false, 0x80, 0x400, 13),
        (false, 0xF8, 0x600, 8),
        (true, 0x200, 0x1000, 3),
        (true, 0x80, 0x200, 0),
        (false, 0x40, 0x1000, 4096 + 7),
    ]
    .into_iter()
    .enumerate()
    {
        specs.push(pegen::PeSpec {
            pe32_plus,
            nt_offset,
            size_of_headers: soh,
            overlay,
            sections: vec![0x200 * (i as u32 + 1), 0x1400, 0x200],
            seed: i as u64 + 11,
            ..pegen::PeSpec::default()
        });
    }
    // Many sections and one large one.
    specs.push(pegen::PeSpec {
        sections: (0..12).map(|i| 0x200 * (i + 1)).collect(),
        ..pegen::PeSpec::default()
    });
    specs.push(pegen::PeSpec {
        sections: vec![3 << 20],
        overlay: 1,
        ..pegen::PeSpec::default()
    });
    for (i, spec) in specs.iter().enumerate() {
        let path = dir.join(format!("gen{i}.exe"));
        std::fs::write(&path, pegen::build(spec)).unwrap();
        check_against_signing(&path, &dir, &kp);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ecdsa_signature_falls_back_and_is_reported() {
    let Some(fixtures) = common::fixtures() else { return };
    if common::tool("osslsigncode").is_none() || common::tool("openssl").is_none() {
        return;
    }
    let dir = tmpdir("ecdsa");
    let kp = keypair(&dir, true);
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    sign(&fixtures.join("out/hello.exe"), &tree.join("ec.exe"), &kp, "sha256");
    let f = facts(&tree.join("ec.exe"));
    assert_eq!(f.signatures.len(), 1);
    assert_eq!(f.signatures[0].digest_matches, Some(true));
    assert!(!f.signatures[0].usable());
    let rules = RuleOptions {
        level: Level::Publisher,
        fallbacks: vec![Level::Hash],
        ..RuleOptions::default()
    };
    let run = run_scan(std::slice::from_ref(&tree), &WalkOptions::default(), &rules).unwrap();
    assert!(run.rules.signers.is_empty());
    assert_eq!(run.rules.rules.len(), 4, "hash fallback: four hash rules");
    assert_eq!(run.summary.len(), 1, "{:?}", run.summary);
    assert!(run.summary[0].message.contains("ECDSA"), "{:?}", run.summary);
    assert!(
        run.summary[0].message.contains("fell back to Hash"),
        "{:?}",
        run.summary
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nested_signatures_give_one_signer_each() {
    let Some(fixtures) = common::fixtures() else { return };
    if common::tool("osslsigncode").is_none() || common::tool("openssl").is_none() {
        return;
    }
    let dir = tmpdir("nested");
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let (kp1, kp2) = (keypair(&a, false), keypair(&b, false));
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    let once = dir.join("once.exe");
    sign(&fixtures.join("out/hello.exe"), &once, &kp1, "sha1");
    let st = Command::new("osslsigncode")
        .args(["sign", "-nest", "-h", "sha256", "-certs"])
        .arg(&kp2.1)
        .arg("-key")
        .arg(&kp2.0)
        .arg("-in")
        .arg(&once)
        .arg("-out")
        .arg(tree.join("dual.exe"))
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let f = facts(&tree.join("dual.exe"));
    assert_eq!(f.signatures.len(), 2, "{:?}", f.problems);
    assert_eq!(f.signatures[0].path, vec![0]);
    assert_eq!(f.signatures[1].path, vec![0, 0]);
    assert_eq!(f.signatures[0].digest_alg, Some(DigestAlg::Sha1));
    assert_eq!(f.signatures[1].digest_alg, Some(DigestAlg::Sha256));
    assert!(f.signatures.iter().all(|s| s.usable()), "{:?}", f.signatures);
    // A one-certificate chain: Leaf level works, PCA-based levels do not (issuer not in the bag).
    let rules = RuleOptions {
        level: Level::LeafCertificate,
        ..RuleOptions::default()
    };
    let run = run_scan(std::slice::from_ref(&tree), &WalkOptions::default(), &rules).unwrap();
    assert_eq!(run.rules.signers.len(), 2, "one signer per signature");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn msi_with_extended_signature_prehash_matches_osslsigncode() {
    let Some(fixtures) = common::fixtures() else { return };
    if common::tool("osslsigncode").is_none() || common::tool("openssl").is_none() {
        return;
    }
    let dir = tmpdir("msidse");
    let kp = keypair(&dir, false);
    let plain = facts(&fixtures.join("out/fix.msi"));
    for hash in ["sha256", "sha1"] {
        let out = dir.join(format!("dse-{hash}.msi"));
        let st = Command::new("osslsigncode")
            .args(["sign", "-add-msi-dse", "-h", hash, "-certs"])
            .arg(&kp.1)
            .arg("-key")
            .arg(&kp.0)
            .arg("-in")
            .arg(fixtures.join("out/fix.msi"))
            .arg("-out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
        let f = facts(&out);
        assert_eq!(f.signatures.len(), 1, "{:?}", f.problems);
        let s = &f.signatures[0];
        // osslsigncode embedded H(pre-hash || content); ours must agree, and differ from the
        // plain SIP digest of the same content.
        assert_eq!(s.digest_matches, Some(true), "{hash}: {:?}", s.problems);
        assert!(s.usable());
        let ours = if hash == "sha1" { &f.sha1 } else { &f.sha256 };
        assert_eq!(&s.embedded_digest, ours);
        assert_ne!(f.sha256, plain.sha256);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
