//! The scanner and the spec together: `cipolicy scan --as spec` writes entries a spec can include
//! or paste, and the policy built from them has the same rules as `cipolicy scan`'s XML at every
//! level; a `[[scan]]` entry builds the same bytes as including that fragment, from any folder
//! and with any thread count.
mod common;
#[path = "support/pegen.rs"]
mod pegen;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use cipolicy::model::{CertRoot, Policy, SCENARIO_KERNEL, SCENARIO_USER};
use cipolicy::xml;

const PREFIX: &str = r"C:\fixtures";

fn cipolicy(cwd: &Path, args: &[&str], threads: Option<usize>) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cipolicy"));
    c.current_dir(cwd).args(args);
    if let Some(n) = threads {
        c.env("RAYON_NUM_THREADS", n.to_string());
    }
    let o = c.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "cipolicy {args:?}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn read_policy(path: &Path) -> Policy {
    xml::read(&std::fs::read(path).unwrap()).unwrap().policy
}

/// A FriendlyName as a reason: without the endings ConfigCI gives generated rules.
fn reason(name: Option<&str>) -> String {
    let n = name.unwrap_or("");
    let suffixes = [
        " Hash Page Sha256",
        " Hash Page Sha1",
        " Hash Sha256",
        " Hash Sha1",
        " FileAttribute",
        " FileRule",
    ];
    suffixes.iter().find_map(|s| n.strip_suffix(s)).unwrap_or(n).to_string()
}

/// What a policy allows and denies, one line per (scenario, rule), without IDs: a signer with
/// several FileAttribRefs is one line per attribute, as Windows matches them.
fn rules_by_content(p: &Policy) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let attrs = |id: &str| {
        let r = p.file_rule(id).unwrap_or_else(|| panic!("no rule {id}"));
        // ConfigCI's MinimumFileVersion="0.0.0.0" on FilePath rules matches every file; the spec
        // writes path rules without it (docs/spec.md).
        let min = r
            .minimum_file_version
            .filter(|v| r.file_path.is_none() || v.to_string() != "0.0.0.0");
        format!(
            "hash={:?} path={:?} pfn={:?} name={:?} internal={:?} desc={:?} product={:?} min={:?} max={:?} reason={:?}",
            r.hash.as_ref().map(|h| h.to_hex()),
            r.file_path,
            r.package_family_name,
            r.file_name,
            r.internal_name,
            r.file_description,
            r.product_name,
            min.map(|v| v.to_string()),
            r.maximum_file_version.map(|v| v.to_string()),
            reason(r.friendly_name.as_deref()),
        )
    };
    for sc in &p.signing_scenarios {
        let g = &sc.product_signers;
        let signers = g
            .allowed
            .iter()
            .map(|a| ("allow", &a.signer_id))
            .chain(g.denied.iter().map(|d| ("deny", &d.signer_id)));
        for (act, sid) in signers {
            let s = p.signer(sid.as_str()).unwrap();
            let root = match &s.cert_root {
                CertRoot::Tbs(h) => h.to_hex(),
                CertRoot::Wellknown(b) => format!("wellknown {b}"),
            };
            let mut ekus: Vec<String> = s
                .cert_ekus
                .iter()
                .map(|ce| {
                    let e = p.ekus.iter().find(|e| e.id == ce.id).unwrap();
                    e.value.as_ref().unwrap().to_hex()
                })
                .collect();
            ekus.sort();
            let signer = format!(
                "{} {act} signer root={root} name={:?} publisher={:?} issuer={:?} oem={:?} ekus={ekus:?}",
                sc.value, s.name, s.cert_publisher, s.cert_issuer, s.cert_oem_id
            );
            for r in &s.file_attrib_refs {
                out.insert(format!("{signer} with {}", attrs(r.as_str())));
            }
            if s.file_attrib_refs.is_empty() {
                out.insert(signer);
            }
        }
        for r in &g.file_rules_ref {
            let kind = p.file_rule(r.as_str()).unwrap().kind.element();
            out.insert(format!("{} {kind} {}", sc.value, attrs(r.as_str())));
        }
    }
    out
}

/// The scenarios a policy has rules in, as spec names.
fn scenarios_with_rules(p: &Policy) -> Vec<&'static str> {
    let mut v = Vec::new();
    for (value, name) in [(SCENARIO_KERNEL, "kernel"), (SCENARIO_USER, "user")] {
        if let Some(sc) = p.scenario(value) {
            let g = &sc.product_signers;
            if !g.allowed.is_empty() || !g.denied.is_empty() || !g.file_rules_ref.is_empty() {
                v.push(name);
            }
        }
    }
    v
}

fn spec_head(name: &str, scenarios: &[&str]) -> String {
    format!("[policy]\nname = \"{name}\"\nversion = \"1.0.0.0\"\nmode = \"audit\"\nscenarios = {scenarios:?}\n\n")
}

fn only_xml(dir: &Path) -> PathBuf {
    let mut xmls: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    assert_eq!(xmls.len(), 1, "{}", dir.display());
    xmls.pop().unwrap()
}

/// Per level: scan to XML and to spec entries, include the entries in a spec, build, compare.
/// Also: pasting the entries builds the same bytes as including them, and a `[[scan]]` entry of
/// the same folder at the same level builds the same bytes again.
#[test]
fn fragment_builds_the_rules_scan_writes_at_every_level() {
    let Some(fx) = common::fixtures() else { return };
    let files = fx.join("out");
    let files_str = files.to_str().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("Hash", &[]),
        ("FileName", &[]),
        ("FilePath", &[]),
        ("SignedVersion", &[]),
        ("Publisher", &[]),
        ("FilePublisher", &[]),
        ("LeafCertificate", &[]),
        ("PcaCertificate", &[]),
        ("RootCertificate", &[]),
        ("WHQL", &[]),
        ("WHQLPublisher", &[]),
        ("WHQLFilePublisher", &["FilePublisher", "Hash"]),
    ];
    let mut signer_levels = 0;
    for (level, fallback) in cases {
        let tmp = common::scratch_dir(&format!("scan-spec-{level}"));
        let fallback_arg = fallback.join(",");
        let mut args = vec![
            "scan",
            files_str,
            "--level",
            level,
            "--path-prefix",
            PREFIX,
            "--no-progress",
        ];
        if !fallback.is_empty() {
            args.extend(["--fallback", &fallback_arg]);
        }
        let scan_xml = tmp.join("scan.xml");
        let fragment = tmp.join("fragment.toml");
        let mut xml_args = args.clone();
        xml_args.extend(["-o", scan_xml.to_str().unwrap()]);
        cipolicy(&tmp, &xml_args, None);
        let mut spec_args = args.clone();
        spec_args.extend(["--as", "spec", "-o", fragment.to_str().unwrap()]);
        cipolicy(&tmp, &spec_args, None);

        let scanned = read_policy(&scan_xml);
        let want = rules_by_content(&scanned);
        assert!(!want.is_empty(), "{level}: the scan found nothing");
        let fragment_text = std::fs::read_to_string(&fragment).unwrap();
        if fragment_text.contains("[signers.") {
            signer_levels += 1;
        }
        let scenarios = scenarios_with_rules(&scanned);
        let head = spec_head(&format!("scan {level}"), &scenarios);

        // Included.
        std::fs::write(
            tmp.join("included.toml"),
            format!("include = [\"fragment.toml\"]\n{head}"),
        )
        .unwrap();
        let out = tmp.join("included");
        cipolicy(&tmp, &["build", "included.toml", "-o", out.to_str().unwrap()], None);
        let built_path = only_xml(&out);
        let built = read_policy(&built_path);
        let got = rules_by_content(&built);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{level}: missing {missing:#?}\nextra {extra:#?}\nfragment:\n{fragment_text}"
        );

        // Pasted.
        std::fs::write(tmp.join("pasted.toml"), format!("{head}{fragment_text}")).unwrap();
        let pasted = tmp.join("pasted");
        cipolicy(&tmp, &["build", "pasted.toml", "-o", pasted.to_str().unwrap()], None);
        assert_eq!(
            std::fs::read(only_xml(&pasted)).unwrap(),
            std::fs::read(&built_path).unwrap(),
            "{level}: pasting and including differ"
        );

        // A [[scan]] of the same folder at the same level.
        let scan_spec = format!(
            "{head}[[scan]]\nfolder = {files_str:?}\nlevel = \"{level}\"\nfallback = {fallback:?}\n\
             scenarios = {scenarios:?}\npath_prefix = '{PREFIX}'\n"
        );
        std::fs::write(tmp.join("scanning.toml"), scan_spec).unwrap();
        let scanning = tmp.join("scanning");
        cipolicy(
            &tmp,
            &["build", "scanning.toml", "-o", scanning.to_str().unwrap()],
            None,
        );
        assert_eq!(
            std::fs::read_to_string(only_xml(&scanning)).unwrap(),
            std::fs::read_to_string(&built_path).unwrap(),
            "{level}: [[scan]] and the included fragment differ"
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }
    assert!(signer_levels >= 9, "only {signer_levels} levels wrote signers");
}

/// Writes the generated tools folder that `testdata/specs/scan/tools.toml` scans.
fn make_tools(dir: &Path) {
    let tools = dir.join("tools");
    for sub in ["", "lib", "drivers"] {
        std::fs::create_dir_all(tools.join(sub)).unwrap();
    }
    let pe = |seed: u64, subsystem: u16| {
        pegen::build(&pegen::PeSpec {
            seed,
            subsystem,
            ..pegen::PeSpec::default()
        })
    };
    std::fs::write(tools.join("app.exe"), pe(1, 3)).unwrap();
    std::fs::write(tools.join("lib/helper.dll"), pe(2, 3)).unwrap();
    std::fs::write(tools.join("lib/other.dll"), pe(3, 2)).unwrap();
    std::fs::write(tools.join("drivers/filter.sys"), pe(4, 1)).unwrap();
    // Left out by `omit`, and not a program at all.
    std::fs::write(tools.join("app.exe.tmp"), pe(5, 3)).unwrap();
    std::fs::write(tools.join("readme.txt"), "not a program").unwrap();
}

/// A spec with `[[scan]]` entries over a generated folder: reviewed XML snapshot; the same bytes
/// when built from the spec's folder with one thread and from another folder with eight.
#[test]
fn scan_entries_build_deterministically() {
    let spec_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/specs/scan/tools.toml");
    let dir = common::scratch_dir("scan-spec-tools");
    std::fs::copy(&spec_src, dir.join("tools.toml")).unwrap();
    make_tools(&dir);
    let a = dir.join("a");
    cipolicy(&dir, &["build", "tools.toml", "-o", "a"], Some(1));
    let elsewhere = common::scratch_dir("scan-spec-elsewhere");
    let b = elsewhere.join("b");
    let spec_abs = dir.join("tools.toml");
    cipolicy(
        &elsewhere,
        &["build", spec_abs.to_str().unwrap(), "-o", b.to_str().unwrap()],
        Some(8),
    );
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&a), names(&b));
    assert_eq!(names(&a).len(), 2, "{:?}", names(&a));
    for n in names(&a) {
        assert_eq!(
            std::fs::read(a.join(&n)).unwrap(),
            std::fs::read(b.join(&n)).unwrap(),
            "{n} differs"
        );
    }
    let text = std::fs::read_to_string(only_xml(&a)).unwrap();
    // The tree's own paths never reach the output.
    assert!(!text.contains(dir.to_str().unwrap()));
    assert!(!text.contains("app.exe.tmp"));
    insta::assert_snapshot!("scan_entries_tools", text);
    // `validate` and `diff` build the spec the same way, scans included.
    let report = cipolicy::valid::validate_spec_file(&spec_abs, &Default::default());
    assert!(!report.report.has_errors(), "{:?}", report.report.findings);
    let same = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .current_dir(&dir)
        .args(["diff", "tools.toml", only_xml(&a).to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stdout));
}

/// A file that cannot be read, or a folder that does not exist, fails the build: the policy
/// would silently lack their rules. Nothing is written.
#[cfg(unix)]
#[test]
fn unreadable_files_and_missing_folders_fail_the_build() {
    let dir = common::scratch_dir("scan-spec-broken");
    make_tools(&dir);
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("tools/broken.exe")).unwrap();
    let spec = "[policy]\nname = \"broken\"\nversion = \"1.0.0.0\"\nmode = \"audit\"\nscenarios = [\"user\"]\n\n\
                [[scan]]\nfolder = \"tools\"\nlevel = \"Hash\"\n\n[[scan]]\nfolder = \"missing\"\nlevel = \"Hash\"\n";
    std::fs::write(dir.join("broken.toml"), spec).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .current_dir(&dir)
        .args(["build", "broken.toml", "-o", "out"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(r"error: scan of tools failed: tools\broken.exe: cannot read"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: scan of missing failed: no such file or folder"),
        "{stderr}"
    );
    assert!(stderr.contains("--> broken.toml:7:1"), "{stderr}");
    assert!(!dir.join("out").exists());
}
