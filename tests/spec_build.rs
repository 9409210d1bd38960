//! Building specs: XML snapshots of every rule pack and example spec, determinism (twice, from
//! another folder), local diffs when a rule is added, certificate signers against the shared
//! fixtures, XML includes from the shared corpus, and schema validation with xmllint.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use cipolicy::model::{CertRoot, Policy};
use cipolicy::spec::{self, BuildOptions, XmlReadError};
use cipolicy::xml;

fn read_xml(bytes: &[u8]) -> Result<Policy, XmlReadError> {
    xml::read(bytes).map(|d| d.policy).map_err(|e| XmlReadError {
        line: e.span.line,
        column: e.span.column,
        message: e.message,
    })
}

fn opts() -> BuildOptions<'static> {
    BuildOptions {
        xml: Some(&read_xml),
        scanner: None,
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn specs_in(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

fn build_xml(path: &Path) -> (Policy, String) {
    let built = spec::build_file(path, &opts()).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
    let text = xml::write(&built.policy);
    (built.policy, text)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cipolicy-spec-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn packs_and_examples_snapshot() {
    let mut all = specs_in("rules");
    assert_eq!(all.len(), spec::PACKS.len(), "every rules/*.toml is a built-in pack");
    all.extend(specs_in("testdata/specs"));
    for path in all {
        let (policy, text) = build_xml(&path);
        let name = format!(
            "{}__{}",
            path.parent().unwrap().file_name().unwrap().to_string_lossy(),
            path.file_stem().unwrap().to_string_lossy()
        );
        insta::assert_snapshot!(name.clone(), text);
        // The XML reads back to the same model: the output is well-formed and complete.
        assert_eq!(xml::read(text.as_bytes()).unwrap().policy, policy, "{}", path.display());
        // The binary: its size and SHA-256, and that it decompiles to what the XML says.
        let bin =
            cipolicy::cip::compile(&policy, &Default::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let digest = const_hex::encode_upper(<sha2::Sha256 as sha2::Digest>::digest(&bin.bytes));
        insta::assert_snapshot!(
            format!("{name}__binary"),
            format!("{} bytes, SHA-256 {digest}", bin.bytes.len())
        );
        let back = cipolicy::cip::decompile(&bin.bytes).unwrap();
        assert_eq!(back, cipolicy::cip::binary_view(&policy), "{}", path.display());
    }
}

#[test]
fn builtin_packs_equal_the_files() {
    for (name, text) in spec::PACKS {
        let file = std::fs::read_to_string(root().join("rules").join(format!("{name}.toml"))).unwrap();
        assert_eq!(*text, file, "{name}");
        let from_text = spec::build_text(name, &root().join("rules"), text, &opts()).unwrap();
        let (from_file, _) = build_xml(&root().join("rules").join(format!("{name}.toml")));
        assert_eq!(from_text.policy, from_file);
    }
}

fn cli_build(cwd: &Path, spec: &str, out: &Path) -> Vec<(String, Vec<u8>)> {
    let o = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .current_dir(cwd)
        .arg("build")
        .arg(spec)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn builds_are_identical_twice_and_from_another_folder() {
    let elsewhere = temp_dir("cwd");
    for rel in [
        "testdata/specs/full-example.toml",
        "testdata/specs/supplemental-by-path.toml",
        "rules/restrict-app-execution.toml",
    ] {
        let a = cli_build(root(), rel, &temp_dir("a"));
        let b = cli_build(root(), rel, &temp_dir("b"));
        let abs = root().join(rel);
        let c = cli_build(&elsewhere, abs.to_str().unwrap(), &temp_dir("c"));
        assert!(!a.is_empty());
        assert_eq!(a, b, "{rel}: two builds differ");
        assert_eq!(a, c, "{rel}: building from another folder differs");
    }
    // No argument builds the restrict-app-execution pack, from any folder.
    let d = cli_build(&elsewhere, "builtin:restrict-app-execution", &temp_dir("d"));
    let e = cli_build(root(), "rules/restrict-app-execution.toml", &temp_dir("e"));
    let o = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .current_dir(&elsewhere)
        .args(["build", "-o", "out"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(d, e);
    assert_eq!(
        std::fs::read(elsewhere.join("out/Restrict app execution (cipolicy reconstruction).xml")).unwrap(),
        e[0].1
    );
}

/// Adds one rule to a spec and checks that the XML diff is only that rule's lines.
#[test]
fn adding_one_rule_changes_only_its_lines() {
    let path = root().join("testdata/specs/full-example.toml");
    let base = std::fs::read_to_string(&path).unwrap();
    let dir = path.parent().unwrap();
    let cases = [
        (
            "hash",
            "\n[[allow]]\nhash = \"00112233445566778899AABBCCDDEEFF00112233\"\nreason = \"one more\"\n",
            vec!["<Allow ID=\"ID_ALLOW_U_HASH_", "<FileRuleRef RuleID=\"ID_ALLOW_U_HASH_"],
        ),
        (
            "file publisher",
            "\n[[allow]]\nsigner = \"contoso-code\"\nfile_name = \"New.exe\"\nmin_version = \"1.0.0.0\"\n",
            vec![
                "<FileAttrib ID=\"ID_FILEATTRIB_U_",
                "<Signer ID=\"ID_SIGNER_U_F_",
                "<CertRoot Type=\"TBS\"",
                "<CertPublisher Value=\"Contoso Ltd\"",
                "<FileAttribRef RuleID=\"ID_FILEATTRIB_U_",
                "</Signer>",
                "<AllowedSigner SignerId=\"ID_SIGNER_U_F_",
                "<CiSigner SignerId=\"ID_SIGNER_U_F_",
            ],
        ),
    ];
    let before = xml::write(&spec::build_text("s.toml", dir, &base, &opts()).unwrap().policy);
    for (what, extra, expected) in cases {
        let after = xml::write(
            &spec::build_text("s.toml", dir, &format!("{base}{extra}"), &opts())
                .unwrap()
                .policy,
        );
        let diff = similar::TextDiff::from_lines(&before, &after);
        let mut added = Vec::new();
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Delete => panic!("{what}: removed line {change}"),
                similar::ChangeTag::Insert => added.push(change.value().trim().to_string()),
                similar::ChangeTag::Equal => {}
            }
        }
        assert_eq!(added.len(), expected.len(), "{what}: {added:#?}");
        for (line, want) in added.iter().zip(&expected) {
            assert!(line.starts_with(want), "{what}: `{line}` should start with `{want}`");
        }
    }
}

#[test]
fn signer_from_certificate_uses_its_own_tbs_digest() {
    let Some(fx) = common::fixtures() else { return };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fx.join("expected.json")).unwrap()).unwrap();
    let dir = temp_dir("cert");
    for (file, key) in [
        ("pca.pem", "cert:pca"),
        ("pca1.pem", "cert:pca1"),
        ("leaf.pem", "cert:leaf"),
    ] {
        let cert = fx.join("out/pki").join(file);
        let text = format!(
            "[policy]\nname = \"cert\"\nversion = \"1.0.0.0\"\nmode = \"enforce\"\nscenarios = [\"user\"]\n\n\
             [signers.s]\ncert = {:?}\npublisher = \"WDAC Fixture Publisher\"\n\n[[allow]]\nsigner = \"s\"\n",
            cert.to_str().unwrap()
        );
        let built = spec::build_text("cert.toml", &dir, &text, &opts()).unwrap();
        let s = &built.policy.signers[0];
        let want = &expected[key];
        let CertRoot::Tbs(tbs) = &s.cert_root else {
            panic!("{file}: not a TBS root")
        };
        assert_eq!(tbs.to_hex(), want["tbs"].as_str().unwrap(), "{file}");
        assert_eq!(s.name.as_deref(), want["subject"].as_str(), "{file}");
    }
}

#[test]
fn includes_microsoft_block_rules_from_the_corpus() {
    let Some(corpus) = common::corpus() else { return };
    for pair in [
        "mattmcphee--current-policies-audit-mode--microsoft-windows-recommended-user-mode-blocklist-a00",
        "ms-vulnerable-driver-blocklist--sipolicy_enforced",
    ] {
        include_one(&corpus.join("pairs").join(pair));
    }
}

fn include_one(pair: &Path) {
    let Some(xml_path) = std::fs::read_dir(pair)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "xml"))
    else {
        panic!("no XML in {}", pair.display())
    };
    let included = xml::read(&std::fs::read(&xml_path).unwrap()).unwrap().policy;
    let dir = temp_dir("include");
    let text = format!(
        "include = [{:?}]\n\n[policy]\nname = \"With block rules\"\nversion = \"1.0.0.0\"\nmode = \"audit\"\n",
        xml_path.to_str().unwrap()
    );
    let built = spec::build_text("with-blocks.toml", &dir, &text, &opts()).unwrap();
    // The same deny rules and denied (signer, file attributes) pairs, per scenario, compared by
    // content: IDs and duplicates with different IDs are not kept.
    let (rules_in, signers_in) = deny_content(&included);
    let (rules_out, signers_out) = deny_content(&built.policy);
    assert!(!rules_in.is_empty() || !signers_in.is_empty(), "{}", xml_path.display());
    assert_eq!(rules_out, rules_in, "{}", xml_path.display());
    assert_eq!(signers_out, signers_in, "{}", xml_path.display());
    let text = xml::write(&built.policy);
    assert_eq!(xml::read(text.as_bytes()).unwrap().policy, built.policy);
}

/// Validates XML with xmllint against the newest and the oldest schema in the corpus (the
/// `\$` escape is patched for libxml2, as validation.md §1.1 explains), when both exist.
#[test]
fn output_validates_against_the_schemas() {
    let Some(corpus) = common::corpus() else { return };
    let Some(xmllint) = common::tool("xmllint") else { return };
    let dir = temp_dir("xsd");
    let schemas = [
        ("g3", "schema/hotcakex/cipolicy.2026-08-21.7cbcc1f.xsd"),
        ("g1", "schema/wdac-toolkit/cipolicy.2020-01-29.f018cb6.xsd"),
    ];
    let mut specs = specs_in("rules");
    specs.extend(specs_in("testdata/specs"));
    for (generation, rel) in schemas {
        let xsd = std::fs::read_to_string(corpus.join(rel)).unwrap().replace("\\$", "$");
        let xsd_path = dir.join(format!("{generation}.xsd"));
        std::fs::write(&xsd_path, xsd).unwrap();
        for spec_path in &specs {
            let (policy, text) = build_xml(spec_path);
            // AppID tagging is newer than the oldest schema.
            if generation == "g1" && policy.policy_type == Some(cipolicy::model::PolicyType::AppIdTagging) {
                continue;
            }
            let out = dir.join("policy.xml");
            std::fs::write(&out, text).unwrap();
            let o = Command::new(&xmllint)
                .args(["--noout", "--schema"])
                .arg(&xsd_path)
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{} against {generation}: {}",
                spec_path.display(),
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

fn rule_key(r: &cipolicy::model::FileRule) -> String {
    format!(
        "{:?}",
        (
            r.hash.as_ref().map(|h| h.to_hex()),
            &r.file_name,
            &r.internal_name,
            &r.file_description,
            &r.product_name,
            &r.package_family_name,
            r.package_version,
            r.minimum_file_version,
            r.maximum_file_version,
            &r.file_path,
            &r.app_ids,
        )
    )
}

type Keys = std::collections::BTreeSet<(u8, String)>;

/// Deny file rules and denied signers (flattened per FileAttribRef) of each scenario, by content.
fn deny_content(p: &Policy) -> (Keys, Keys) {
    let mut rules = Keys::new();
    let mut signers = Keys::new();
    for sc in &p.signing_scenarios {
        for r in &sc.product_signers.file_rules_ref {
            let rule = p.file_rule(r.as_str()).unwrap();
            if rule.kind.element() == "Deny" {
                rules.insert((sc.value, rule_key(rule)));
            }
        }
        for d in &sc.product_signers.denied {
            let s = p.signer(d.signer_id.as_str()).unwrap();
            let ekus: Vec<String> = s
                .cert_ekus
                .iter()
                .map(|e| {
                    p.ekus
                        .iter()
                        .find(|x| x.id == e.id)
                        .unwrap()
                        .value
                        .as_ref()
                        .unwrap()
                        .to_hex()
                })
                .collect();
            let id = format!(
                "{:?}",
                (&s.cert_root, ekus, &s.cert_issuer, &s.cert_publisher, &s.cert_oem_id)
            );
            if s.file_attrib_refs.is_empty() {
                signers.insert((sc.value, id.clone()));
            }
            for a in &s.file_attrib_refs {
                signers.insert((sc.value, format!("{id} {}", rule_key(p.file_rule(a.as_str()).unwrap()))));
            }
        }
    }
    (rules, signers)
}

/// `[[scan]]` entries reach the scanner with the folder resolved against the spec's folder and
/// canonical level names; what it returns is merged like an included policy.
#[test]
fn scan_entries_go_through_the_supplied_scanner() {
    use cipolicy::model::{FileRule, FileRuleKind, HexBytes, Id, SigningScenario};
    use std::cell::RefCell;
    let seen: RefCell<Vec<String>> = RefCell::new(Vec::new());
    let scanner = |req: &spec::ScanRequest<'_>| -> Result<Policy, String> {
        seen.borrow_mut().push(format!(
            "{} {} {:?} {:?} {:?} {}",
            req.folder.display(),
            req.level,
            req.fallback,
            req.scenarios,
            req.omit,
            req.path_prefix
        ));
        let mut p = Policy::new_base(cipolicy::model::Guid::NIL);
        let mut rule = FileRule::new(FileRuleKind::Allow, "ID_ALLOW_A_1");
        rule.friendly_name = Some("app.exe Hash Sha256".into());
        rule.hash = Some(HexBytes(vec![0xAB; 32]));
        p.file_rules.push(rule);
        let mut sc = SigningScenario::new("ID_SIGNINGSCENARIO_X", 12);
        sc.product_signers.file_rules_ref.push(Id::from("ID_ALLOW_A_1"));
        p.signing_scenarios.push(sc);
        Ok(p)
    };
    let text = "[policy]\nname = \"scan\"\nversion = \"1.0.0.0\"\nmode = \"audit\"\nscenarios = [\"user\"]\n\n\
                [[scan]]\nfolder = \"apps\"\nlevel = \"file-publisher\"\nfallback = [\"hash\"]\nomit = [\"**/*.tmp\"]\n\n\
                [[allow]]\nhash = \"ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB\"\n";
    let opts = BuildOptions {
        xml: None,
        scanner: Some(&scanner),
    };
    let built = spec::build_text("scan.toml", Path::new("specs"), text, &opts).unwrap();
    assert_eq!(
        *seen.borrow(),
        vec![r#"specs/apps FilePublisher ["Hash"] [12] ["**/*.tmp"] apps"#.to_string()]
    );
    // The scanned hash equals the hand-written one: merged into one rule, the hand-written
    // entry first (no reason), the scanner's FriendlyName filling the gap (without ConfigCI's
    // " Hash Sha256" ending, as `cipolicy scan --as spec` writes it).
    assert_eq!(built.policy.file_rules.len(), 1);
    assert_eq!(built.policy.file_rules[0].friendly_name.as_deref(), Some("app.exe"));
    let without = spec::build_text("scan.toml", Path::new("specs"), text, &BuildOptions::default()).unwrap_err();
    assert!(
        without.to_string().contains("no file scanner was supplied"),
        "{without}"
    );
}

/// docs/spec.md shows the complete example and its fragment unchanged, and every well-known
/// root name the reader accepts.
#[test]
fn reference_page_shows_the_tested_example() {
    let doc = std::fs::read_to_string(root().join("docs/spec.md")).unwrap();
    for f in [
        "testdata/specs/full-example.toml",
        "testdata/specs/parts/contoso-signers.toml",
    ] {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        assert!(
            doc.contains(&format!("```toml\n{text}```")),
            "{f} is not shown verbatim"
        );
    }
    for (name, id) in spec::ROOT_NAMES {
        assert!(doc.contains(&format!("| `{name}` | 0x{id:02X} |")), "{name}");
    }
}

/// An included policy with rules for a scenario the spec does not have is refused, not
/// silently cut (the cut rules could be denies).
#[test]
fn included_rules_outside_the_policy_scenarios_are_refused() {
    let Some(corpus) = common::corpus() else { return };
    let xml_path = corpus.join("pairs/ms-vulnerable-driver-blocklist--sipolicy_enforced/SiPolicy_Enforced.xml");
    let text = format!(
        "include = [{:?}]\n\n[policy]\nname = \"user only\"\nversion = \"1.0.0.0\"\nmode = \"audit\"\nscenarios = [\"user\"]\n\n[[allow]]\nfile_name = \"*\"\n",
        xml_path.to_str().unwrap()
    );
    let err = spec::build_text("user-only.toml", &temp_dir("scn"), &text, &opts()).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert!(err.0[0].message.contains("kernel-mode rules"), "{err}");
    assert!(err.0[0].file.ends_with("SiPolicy_Enforced.xml"), "{err}");
}
