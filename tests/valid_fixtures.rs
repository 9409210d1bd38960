//! Every implemented check has a failing and a passing fixture in `testdata/valid/`, and the
//! human and JSON output of each fixture is snapshot-tested.
//!
//! A fixture starts with comments that drive this test:
//!
//! * `<!-- expect: RF003 RF004 -->`: these codes must be reported;
//! * `<!-- pass: UN001 FR010 -->`: these must not (`pass: *` = no finding at all). A check that
//!   runs only with an option ([`needs`]: `--cert`, `--previous`, `--base`, `--target`, `--now`)
//!   counts as passing only in a fixture given that option;
//! * `<!-- args: --target T --cert F --previous F --base F --now D -->`: options (paths relative to
//!   `testdata/valid/`);
//! * `<!-- mode: model -->`: validate the model without its document, as for a policy that did
//!   not come from XML (no schema layer, no positions).
//!
//! Checks that need very large policies (LM001, LM002, LM004, FP009) get documents generated
//! here instead of files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cipolicy::valid::{self, CertChain, Code, Options, Report, Status, render};
use cipolicy::xml;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/valid")
}

fn directive<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let tag = format!("<!-- {key}:");
    let start = text.find(&tag)? + tag.len();
    let end = start + text[start..].find("-->")?;
    Some(text[start..end].trim())
}

fn codes(list: Option<&str>) -> Vec<String> {
    list.map(|l| l.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

fn options(args: Option<&str>) -> Options {
    let mut o = Options::default();
    let parts: Vec<&str> = args.map(|a| a.split_whitespace().collect()).unwrap_or_default();
    let read_policy = |p: &str| xml::read(&std::fs::read(dir().join(p)).unwrap()).unwrap().policy;
    for pair in parts.chunks(2) {
        let [flag, value] = pair else {
            panic!("args come in pairs: {parts:?}")
        };
        match *flag {
            "--target" => o.target = Some(value.parse().unwrap()),
            "--cert" => o.cert = Some(CertChain::from_bytes(&std::fs::read(dir().join(value)).unwrap()).unwrap()),
            "--previous" => o.previous = Some(read_policy(value)),
            "--base" => o.base = Some(read_policy(value)),
            "--now" => o.now = Some(format!("{value}T00:00:00Z").parse().unwrap()),
            other => panic!("unknown fixture option {other}"),
        }
    }
    o
}

/// Validates a fixture; returns the report and the text for snippets.
fn run(text: &str) -> (Report, Option<String>) {
    let opts = options(directive(text, "args"));
    if directive(text, "mode") == Some("model") {
        let doc = xml::read(text.as_bytes()).expect("model-mode fixtures must read");
        (valid::validate(&doc.policy, None, &opts), None)
    } else {
        let v = valid::validate_xml(text.as_bytes(), &opts);
        (v.report, v.text)
    }
}

fn rendered(name: &str, report: &Report, text: Option<&str>) -> String {
    let input = render::Input { name, text, report };
    let human = render::human(&[input]);
    let json = serde_json::to_string_pretty(&render::json(&[input])).unwrap();
    format!("{human}\n---- json ----\n{json}\n")
}

#[test]
fn fixtures() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{} fixtures", files.len());
    let mut failing: BTreeSet<String> = BTreeSet::new();
    let mut passing: BTreeSet<String> = BTreeSet::new();
    let mut problems = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let (report, snippet_text) = run(&text);
        let found: BTreeSet<String> = report.findings.iter().map(|f| f.code.to_string()).collect();
        for c in codes(directive(&text, "expect")) {
            assert!(Code::from_text(&c).is_some(), "{name}: unknown code {c}");
            if !found.contains(&c) {
                problems.push(format!("{name}: expected {c}, found {found:?}"));
            }
            failing.insert(c);
        }
        let pass = codes(directive(&text, "pass"));
        let args = directive(&text, "args").unwrap_or("");
        let runs = |c: Code| needs(c).iter().all(|flag| args.split_whitespace().any(|a| a == *flag));
        if pass == ["*"] {
            if !report.findings.is_empty() {
                problems.push(format!("{name}: expected no finding, found {found:?}"));
            }
            // Only the checks that ran: a check that needs --cert passes vacuously without it.
            passing.extend(Code::ALL.iter().filter(|c| runs(**c)).map(|c| c.to_string()));
        } else {
            for c in pass {
                let Some(code) = Code::from_text(&c) else {
                    panic!("{name}: unknown code {c}")
                };
                if !runs(code) {
                    problems.push(format!(
                        "{name}: {c} is listed as passing but does not run without {}",
                        needs(code).join(" ")
                    ));
                }
                if found.contains(&c) {
                    problems.push(format!("{name}: {c} must not be reported"));
                }
                passing.insert(c);
            }
        }
        insta::assert_snapshot!(
            format!("valid_fixture__{}", name.trim_end_matches(".xml")),
            rendered(&name, &report, snippet_text.as_deref())
        );
    }
    for (code, _) in generated() {
        failing.insert(code.to_string());
    }
    failing.extend(other_inputs().into_iter().map(str::to_string));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for c in Code::ALL {
        // Audit codes are never reported by `validate`; tests/ops_audit.rs has their fixtures.
        // SN010 needs a signed file, made with a test PKI in tests/valid_signed.rs.
        if c.info().status == Status::Implemented
            && c.info().layer != cipolicy::valid::Layer::Audit
            && *c != Code::SN010
        {
            assert!(failing.contains(&c.to_string()), "{c} has no failing fixture");
            assert!(passing.contains(&c.to_string()), "{c} has no passing fixture");
        }
    }
}

/// The options without which a check does not run at all (`validate` skips it), so that only a
/// fixture given them can be its passing fixture.
fn needs(code: Code) -> &'static [&'static str] {
    use Code::*;
    match code {
        SN002 | SN003 | SN004 | SN006 => &["--cert"],
        SN005 => &["--cert", "--base"],
        SN007 | SN008 => &["--previous"],
        SN009 => &["--cert", "--previous"],
        RF011 | PT009 => &["--base"],
        SG008 => &["--now"],
        c if c.info().layer == cipolicy::valid::Layer::Target => &["--target"],
        _ => &[],
    }
}

/// Documents too large to keep as files, and the code each must trigger.
fn generated() -> Vec<(&'static str, String)> {
    let head = |body: &str| {
        format!(
            r#"<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy" PolicyType="Base Policy">
  <VersionEx>1.0.0.0</VersionEx>
  <PolicyID>{{0D5B7E64-7C1A-4F55-9F0A-3C5E2B0C4A01}}</PolicyID>
  <BasePolicyID>{{0D5B7E64-7C1A-4F55-9F0A-3C5E2B0C4A01}}</BasePolicyID>
  <PlatformID>{{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}}</PlatformID>
  <Rules><Rule><Option>Enabled:Unsigned System Integrity Policy</Option></Rule><Rule><Option>Enabled:UMCI</Option></Rule></Rules>
{body}
</SiPolicy>"#
        )
    };
    let ekus: String = (0..256)
        .map(|i| format!("<EKU ID=\"ID_EKU_E{i}\" Value=\"01082B06010505070303\"/>"))
        .collect();
    let cert_ekus =
        |range: std::ops::Range<usize>| -> String { range.map(|i| format!("<CertEKU ID=\"ID_EKU_E{i}\"/>")).collect() };
    let lm001 = head(&format!(
        "<EKUs>{ekus}</EKUs><Signers><Signer ID=\"ID_SIGNER_A\" Name=\"a\"><CertRoot Type=\"Wellknown\" Value=\"06\"/>{}</Signer><Signer ID=\"ID_SIGNER_B\" Name=\"b\"><CertRoot Type=\"Wellknown\" Value=\"07\"/>{}</Signer></Signers><SigningScenarios><SigningScenario Value=\"12\" ID=\"ID_SIGNINGSCENARIO_U\"><ProductSigners><AllowedSigners><AllowedSigner SignerId=\"ID_SIGNER_A\"/><AllowedSigner SignerId=\"ID_SIGNER_B\"/></AllowedSigners></ProductSigners></SigningScenario></SigningScenarios>",
        cert_ekus(0..128),
        cert_ekus(128..256)
    ));
    let denied: String = "<DeniedSigner SignerId=\"ID_SIGNER_A\"/>".repeat(256);
    let lm002 = head(&format!(
        "<Signers><Signer ID=\"ID_SIGNER_A\" Name=\"a\"><CertRoot Type=\"Wellknown\" Value=\"06\"/></Signer></Signers><SigningScenarios><SigningScenario Value=\"12\" ID=\"ID_SIGNINGSCENARIO_U\"><ProductSigners><DeniedSigners>{denied}</DeniedSigners></ProductSigners></SigningScenario></SigningScenarios>"
    ));
    let hashes: String = (0..10_001)
        .map(|i| format!("<Allow ID=\"ID_ALLOW_H{i}\" Hash=\"{i:064X}\"/>"))
        .collect();
    let refs: String = (0..10_001)
        .map(|i| format!("<FileRuleRef RuleID=\"ID_ALLOW_H{i}\"/>"))
        .collect();
    let lm004 = head(&format!(
        "<FileRules>{hashes}</FileRules><SigningScenarios><SigningScenario Value=\"12\" ID=\"ID_SIGNINGSCENARIO_U\"><ProductSigners><FileRulesRef>{refs}</FileRulesRef></ProductSigners></SigningScenario></SigningScenarios>"
    ));
    let long = format!("%OSDRIVE%\\{}\\*", "a".repeat(32_770));
    let fp009 = head(&format!(
        "<FileRules><Allow ID=\"ID_ALLOW_LONG\" FilePath=\"{long}\"/></FileRules><SigningScenarios><SigningScenario Value=\"12\" ID=\"ID_SIGNINGSCENARIO_U\"><ProductSigners><FileRulesRef><FileRuleRef RuleID=\"ID_ALLOW_LONG\"/></FileRulesRef></ProductSigners></SigningScenario></SigningScenarios>"
    ));
    vec![("LM001", lm001), ("LM002", lm002), ("LM004", lm004), ("FP009", fp009)]
}

#[test]
fn generated_large_documents() {
    for (code, text) in generated() {
        let v = valid::validate_xml(text.as_bytes(), &Options::default());
        let found: Vec<String> = v.report.findings.iter().map(|f| f.code.to_string()).collect();
        assert_eq!(found, vec![code.to_string()], "{code}: {found:?}");
    }
}

/// Binary and spec inputs, made here from the fixtures: checks only they can trigger (ID010,
/// BN001, SP001). Returns the codes proven to fail; the passing side is asserted here too.
fn other_inputs() -> Vec<&'static str> {
    let opts = Options::default();
    let text = std::fs::read(dir().join("good-portable.xml")).unwrap();
    let policy = xml::read(&text).unwrap().policy;
    let bytes = cipolicy::cip::compile(&policy, &Default::default()).unwrap().bytes;
    let right = format!("{}.cip", policy.policy_id.unwrap());
    let ok = valid::validate_binary(&bytes, Some(&right), &opts);
    assert!(ok.findings.is_empty(), "{:?}", ok.findings);
    let renamed = valid::validate_binary(&bytes, Some("policy.cip"), &opts);
    let codes: Vec<String> = renamed.findings.iter().map(|f| f.code.to_string()).collect();
    assert_eq!(codes, ["ID010"]);
    let broken = valid::validate_binary(&bytes[..bytes.len() / 2], Some(&right), &opts);
    assert_eq!(broken.findings.len(), 1);
    assert_eq!(broken.findings[0].code.to_string(), "BN001");
    assert!(matches!(broken.findings[0].location, valid::Location::Binary { offset, .. } if offset > 0));

    let spec_dir = std::env::temp_dir().join(format!("cipolicy-valid-spec-{}", std::process::id()));
    std::fs::create_dir_all(&spec_dir).unwrap();
    let good = spec_dir.join("good.toml");
    std::fs::write(
        &good,
        "[policy]\nname = \"Fixture\"\nversion = \"1.0.0.0\"\nmode = \"enforce\"\nscenarios = [\"user\"]\n\n[[allow]]\npath = \"%OSDRIVE%\\\\Tools\\\\*\"\n",
    )
    .unwrap();
    let v = valid::validate_spec_file(&good, &opts);
    assert!(!v.report.has_errors(), "{:?}", v.report.findings);
    let bad = spec_dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[policy]\nname = \"Fixture\"\nversion = \"1.0\"\nmode = \"audit\"\n",
    )
    .unwrap();
    let v = valid::validate_spec_file(&bad, &opts);
    assert!(v.report.incomplete);
    assert!(
        v.report.findings.iter().all(|f| f.code.to_string() == "SP001"),
        "{:?}",
        v.report.findings
    );
    assert!(
        matches!(v.report.findings[0].location, valid::Location::Text { line: 3, .. }),
        "{:?}",
        v.report.findings
    );
    let _ = std::fs::remove_dir_all(&spec_dir);
    vec!["ID010", "BN001", "SP001"]
}
