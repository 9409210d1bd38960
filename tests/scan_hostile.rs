//! Hostile and broken inputs: truncation at every length, random corruption, bogus offsets and
//! huge counts give typed, located problems and fall back to the flat hash; nothing panics; bad
//! files and symlink loops become summary lines while the scan goes on.
mod common;
#[path = "support/pegen.rs"]
mod pegen;

use cipolicy::scan::{
    FactOptions, HashMethod, Level, RuleOptions, WalkOptions, digest, facts_from_bytes, pe, run_scan,
};

fn facts(name: &str, b: &[u8]) -> cipolicy::scan::FileFacts {
    facts_from_bytes(name, b, FactOptions { flat_sha256: true })
}

fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let mut v = vec![("gen.exe".to_string(), pegen::build(&pegen::PeSpec::default()))];
    if let Some(dir) = common::fixtures() {
        for e in std::fs::read_dir(dir.join("out")).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                v.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    v.sort();
    v
}

#[test]
fn every_truncation_is_handled() {
    for (name, bytes) in fixture_files() {
        let step = if bytes.len() > 4096 { 7 } else { 1 };
        for len in (0..bytes.len()).step_by(step) {
            let f = facts(&name, &bytes[..len]);
            assert_eq!(f.size, len as u64);
            assert!(!f.sha256.is_empty(), "{name} truncated to {len}");
        }
    }
}

#[test]
fn random_corruption_never_panics() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for (name, bytes) in fixture_files() {
        for _ in 0..300 {
            let mut b = bytes.clone();
            for _ in 0..(1 + next() % 4) {
                let at = (next() % b.len() as u64) as usize;
                match next() % 3 {
                    0 => b[at] ^= 1 << (next() % 8),
                    1 => {
                        let end = (at + 4).min(b.len());
                        b[at..end].fill(0xFF);
                    }
                    _ => b[at] = 0,
                }
            }
            let _ = facts(&name, &b);
        }
    }
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn bogus_offsets_and_counts_give_located_errors() {
    let good = pegen::build(&pegen::PeSpec::default());
    let h = pe::PeHeaders::parse(&good).unwrap();
    let opt = h.optional_offset as usize;

    // e_lfanew far past the end.
    let mut b = good.clone();
    put32(&mut b, 0x3C, 0xFFFF_FFF0);
    let err = pe::PeHeaders::parse(&b).unwrap_err();
    assert_eq!(err.offset, 0xFFFF_FFF0);
    assert_eq!(err.structure, "IMAGE_NT_HEADERS.Signature");
    let f = facts("x.exe", &b);
    assert_eq!(f.hash_method, HashMethod::FlatFallback);
    assert_eq!(f.sha256.0, digest::digest(digest::DigestAlg::Sha256, &b));
    assert!(
        f.problems[0].contains("IMAGE_NT_HEADERS.Signature at byte 0xFFFFFFF0"),
        "{:?}",
        f.problems
    );

    // 65535 sections: the table would run past the end; nothing is allocated for it.
    let mut b = good.clone();
    b[h.nt_offset as usize + 6..h.nt_offset as usize + 8].copy_from_slice(&0xFFFFu16.to_le_bytes());
    let err = pe::PeHeaders::parse(&b).unwrap_err();
    assert_eq!(err.structure, "IMAGE_SECTION_HEADER table");

    // Certificate table pointing past the end of the file: non-conformant, flat hash.
    let mut b = good.clone();
    let cert_dir = h.cert_dir_offset.unwrap() as usize;
    put32(&mut b, cert_dir, 0x7FFF_FFF0);
    put32(&mut b, cert_dir + 4, 0x100);
    let f = facts("x.exe", &b);
    assert_eq!(f.hash_method, HashMethod::FlatFallback);
    assert!(
        f.problems.iter().any(|p| p.contains("Certificate Table")),
        "{:?}",
        f.problems
    );

    // SizeOfHeaders larger than the file.
    let mut b = good.clone();
    put32(&mut b, opt + 60, 0xFFFF_0000);
    let f = facts("x.exe", &b);
    assert_eq!(f.hash_method, HashMethod::FlatFallback);
    assert!(
        f.problems.iter().any(|p| p.contains("SizeOfHeaders")),
        "{:?}",
        f.problems
    );

    // A section whose raw data runs past the end.
    let mut b = good.clone();
    let st = opt + h.optional_size as usize;
    put32(&mut b, st + 16, 0x7000_0000);
    let f = facts("x.exe", &b);
    assert_eq!(f.hash_method, HashMethod::FlatFallback);
    assert!(
        f.problems.iter().any(|p| p.contains("IMAGE_SECTION_HEADER")),
        "{:?}",
        f.problems
    );

    // Overlapping sections (both at the same file offset) are hashed as the spec says, twice.
    let mut b = good.clone();
    put32(&mut b, st + 40 + 20, h.sections[0].pointer_to_raw_data);
    let f = facts("x.exe", &b);
    assert_eq!(f.hash_method, HashMethod::Authenticode);

    // Resource directory at a bogus RVA with a huge entry count: version lost, hashes kept.
    let mut b = good.clone();
    let res_dir = opt + if h.is_pe32_plus() { 112 } else { 96 } + 2 * 8;
    put32(&mut b, res_dir, 0x1000);
    put32(&mut b, res_dir + 4, 0x100);
    let sec0 = h.sections[0].pointer_to_raw_data as usize;
    b[sec0 + 12..sec0 + 16].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    let f = facts("x.exe", &b);
    assert_eq!(f.hash_method, HashMethod::Authenticode);
    assert!(
        f.problems.iter().any(|p| p.contains("version resource")),
        "{:?}",
        f.problems
    );

    // Import directory pointing nowhere.
    let mut b = good.clone();
    let imp_dir = opt + if h.is_pe32_plus() { 112 } else { 96 } + 8;
    put32(&mut b, imp_dir, 0x00FF_0000);
    put32(&mut b, imp_dir + 4, 0x100);
    let f = facts("x.exe", &b);
    assert!(
        f.problems.iter().any(|p| p.contains("IMAGE_IMPORT_DESCRIPTOR")),
        "{:?}",
        f.problems
    );

    // A certificate table with a record whose length overruns it.
    let mut b = good.clone();
    let end = b.len() as u32;
    b.extend_from_slice(&[0xFF, 0xFF, 0, 0, 0, 2, 2, 0, 0x30, 0x80, 0, 0, 0, 0, 0, 0]);
    put32(&mut b, cert_dir, end);
    put32(&mut b, cert_dir + 4, 16);
    let f = facts("x.exe", &b);
    assert!(
        f.problems.iter().any(|p| p.contains("WIN_CERTIFICATE")),
        "{:?}",
        f.problems
    );
}

#[cfg(unix)]
#[test]
fn bad_files_and_symlink_loops_are_summary_lines() {
    let dir = std::env::temp_dir().join(format!("cipolicy-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let good = pegen::build(&pegen::PeSpec::default());
    std::fs::write(dir.join("good.exe"), &good).unwrap();
    std::fs::write(dir.join("truncated.exe"), &good[..300]).unwrap();
    std::fs::write(dir.join("notes.txt"), b"not a PE").unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(dir.join("missing"), dir.join("dangling.exe")).unwrap();
    let run = run_scan(
        std::slice::from_ref(&dir),
        &WalkOptions {
            path_prefix: Some(r"C:\t".into()),
            ..WalkOptions::default()
        },
        &RuleOptions {
            level: Level::Hash,
            ..RuleOptions::default()
        },
    )
    .unwrap();
    assert_eq!(run.output.files.len(), 2);
    assert_eq!(run.output.skipped, 1);
    let lines: Vec<String> = run
        .summary
        .iter()
        .map(|i| format!("{}: {}", i.path, i.message))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].starts_with(r"C:\t\dangling.exe: cannot read"), "{lines:#?}");
    assert!(lines[1].starts_with(r"C:\t\sub\loop: symbolic link loop"), "{lines:#?}");
    assert!(lines[2].starts_with(r"C:\t\truncated.exe: malformed PE"), "{lines:#?}");
    // Both files still got hash rules: the broken one by its flat hash.
    assert_eq!(run.rules.rules.len(), 4 + 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_root_shows_under_the_prefix_by_name() {
    let dir = std::env::temp_dir().join(format!("cipolicy-fileroot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("one.exe");
    std::fs::write(&file, pegen::build(&pegen::PeSpec::default())).unwrap();
    let walk = WalkOptions {
        path_prefix: Some(r"C:\App\".into()),
        ..WalkOptions::default()
    };
    let run = run_scan(std::slice::from_ref(&file), &walk, &RuleOptions::default()).unwrap();
    assert_eq!(run.output.files[0].path, r"C:\App\one.exe");
    let _ = std::fs::remove_dir_all(&dir);
}
