//! The fuzz targets' checks (`fuzz/src/*.rs`, the same code `cargo fuzz` runs) over the inputs
//! kept in `tests/fuzz-regressions/TARGET/` (each one crashed a target once; the fix is named in
//! `tests/fuzz-regressions/README.md`) and over a few seeds of the project's own, so that the
//! targets keep compiling and every crash found stays fixed.

#[path = "../fuzz/src/cip_decompile.rs"]
mod cip_decompile;
#[path = "../fuzz/src/cms_unwrap.rs"]
mod cms_unwrap;
#[path = "support/pegen.rs"]
mod pegen;
#[path = "../fuzz/src/scan_msi.rs"]
mod scan_msi;
#[path = "../fuzz/src/scan_pe.rs"]
mod scan_pe;
#[path = "../fuzz/src/scan_script.rs"]
mod scan_script;
#[path = "../fuzz/src/spec_build.rs"]
mod spec_build;
#[path = "../fuzz/src/xml_read.rs"]
mod xml_read;

use std::path::{Path, PathBuf};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every file under `dir`, sorted (none when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    v.sort();
    v
}

/// Runs `check` on every kept crash input of `target` and on `seeds`; returns how many ran.
fn run(target: &str, check: fn(&[u8]), seeds: Vec<Vec<u8>>) -> usize {
    let mut n = 0;
    for f in files(&repo("tests/fuzz-regressions").join(target)) {
        let bytes = std::fs::read(&f).unwrap();
        let r = std::panic::catch_unwind(|| check(&bytes));
        assert!(r.is_ok(), "{target}: {} fails again", f.display());
        n += 1;
    }
    for s in seeds {
        check(&s);
        n += 1;
    }
    n
}

fn testdata(ext: &str) -> Vec<Vec<u8>> {
    files(&repo("testdata"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn compiled() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for x in testdata("xml") {
        let Ok(d) = cipolicy::xml::read(&x) else { continue };
        for v in [1, 7, 8, 11] {
            let opts = cipolicy::cip::CompileOptions {
                format_version: v,
                ..Default::default()
            };
            if let Ok(c) = cipolicy::cip::compile(&d.policy, &opts) {
                out.push(c.bytes);
            }
        }
    }
    out
}

#[test]
fn xml_read() {
    assert!(run("xml_read", xml_read::check, testdata("xml")) > 50);
}

#[test]
fn spec_build() {
    let mut seeds = testdata("toml");
    seeds.extend(files(&repo("rules")).into_iter().map(|p| std::fs::read(p).unwrap()));
    assert!(run("spec_build", spec_build::check, seeds) > 30);
}

#[test]
fn cip_decompile() {
    assert!(run("cip_decompile", cip_decompile::check, compiled()) > 50);
}

#[test]
fn cms_unwrap() {
    run(
        "cms_unwrap",
        cms_unwrap::check,
        compiled().into_iter().step_by(7).collect(),
    );
}

#[test]
fn scan_pe() {
    let seeds = (0..4u64)
        .map(|i| {
            pegen::build(&pegen::PeSpec {
                pe32_plus: i % 2 == 0,
                seed: i,
                ..pegen::PeSpec::default()
            })
        })
        .collect();
    run("scan_pe", scan_pe::check, seeds);
}

#[test]
fn scan_msi() {
    run("scan_msi", scan_msi::check, Vec::new());
}

#[test]
fn scan_script() {
    run(
        "scan_script",
        scan_script::check,
        vec![
            b"Write-Host hi\r\n".to_vec(),
            b"\xEF\xBB\xBFx\n# SIG # Begin signature block\n# MIIB\n# SIG # End signature block\n".to_vec(),
        ],
    );
}
