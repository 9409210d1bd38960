//! `merge` over the corpus and over the project's own test policies.
mod common;

use std::path::{Path, PathBuf};

use cipolicy::model::Policy;
use cipolicy::ops::merge::{MergeError, MergeOptions, merge};
use cipolicy::xml;

fn load(path: &Path) -> Option<Policy> {
    let bytes = std::fs::read(path).unwrap();
    xml::read(&bytes).ok().map(|d| d.policy)
}

/// Validation errors (codes and messages) of a policy.
fn errors(p: &Policy) -> Vec<String> {
    cipolicy::valid::validate(p, None, &Default::default())
        .findings
        .into_iter()
        .filter(|f| f.severity == cipolicy::valid::Severity::Error)
        .map(|f| format!("{} {}", f.code, f.message))
        .collect()
}

fn canonical(ps: &[&Policy], opts: MergeOptions) -> Result<String, MergeError> {
    merge(ps, opts).map(|m| xml::write(&m.policy))
}

#[test]
fn self_merge_is_a_no_op_for_every_corpus_policy() {
    let Some(corpus) = common::corpus() else { return };
    let mut merged = 0;
    let mut refused: Vec<String> = Vec::new();
    for path in common::files_with_ext(&corpus, &[".xml"]) {
        let Some(p) = load(&path) else { continue };
        let t = std::time::Instant::now();
        let once = match canonical(&[&p], MergeOptions::default()) {
            Ok(x) => x,
            Err(e) => {
                refused.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let twice = canonical(&[&p, &p], MergeOptions::default()).unwrap();
        assert_eq!(once, twice, "{}", path.display());
        // The normal form is a fixed point and reads back as the same policy.
        let back = xml::read(once.as_bytes()).unwrap().policy;
        assert_eq!(
            canonical(&[&back], MergeOptions::default()).unwrap(),
            once,
            "{}",
            path.display()
        );
        merged += 1;
        if t.elapsed().as_millis() > 300 {
            eprintln!("{} ms {}", t.elapsed().as_millis(), path.display());
        }
    }
    eprintln!("merged {merged} policies with themselves; refused: {refused:#?}");
    assert!(merged > 100);
}

fn testdata(name: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/merge").join(name);
    load(&path).unwrap_or_else(|| panic!("{name} does not parse"))
}

#[test]
fn merge_of_two_team_policies() {
    let (a, b) = (testdata("lob-a.xml"), testdata("lob-b.xml"));
    let ab = merge(&[&a, &b], MergeOptions::default()).unwrap();
    let ba = merge(&[&b, &a], MergeOptions::default()).unwrap();
    let text = xml::write(&ab.policy);
    assert_eq!(text, xml::write(&ba.policy), "merge must not depend on input order");
    assert_eq!(xml::read(text.as_bytes()).unwrap().policy, ab.policy);
    assert_eq!(errors(&ab.policy), Vec::<String>::new());
    insta::assert_snapshot!("merge_lob_a_b_xml", text);
    insta::assert_debug_snapshot!("merge_lob_a_b_notes", ab.notes);
}

#[test]
fn merge_refuses_mixed_types_unless_asked() {
    let (a, s) = (testdata("lob-a.xml"), testdata("supplemental.xml"));
    let err = merge(&[&a, &s], MergeOptions::default()).unwrap_err();
    assert!(matches!(err, MergeError::MixedTypes(_)), "{err}");
    insta::assert_snapshot!("merge_mixed_refused", err.to_string());
    let opts = MergeOptions {
        allow_mixed_types: true,
    };
    let m = merge(&[&s, &a], opts).unwrap();
    assert_eq!(
        xml::write(&m.policy),
        xml::write(&merge(&[&a, &s], opts).unwrap().policy)
    );
    // The base keeps its IDs and gains the supplemental's rule.
    assert_eq!(m.policy.policy_id, a.policy_id);
    assert_eq!(m.policy.base_policy_id, a.policy_id);
    assert!(m.policy.file_rules.iter().any(|r| r.id.as_str() == "ID_ALLOW_CALC"));
    insta::assert_debug_snapshot!("merge_mixed_notes", m.notes);
}

#[test]
fn merge_refuses_conflicts_and_dangling_references() {
    let a = testdata("lob-a.xml");
    let mut b = testdata("lob-b.xml");
    b.settings.push(cipolicy::model::Setting {
        provider: "Contoso".into(),
        key: "Agent".into(),
        value_name: "Mode".into(),
        value: cipolicy::model::SettingValue::DWord(2),
    });
    let mut c = a.clone();
    c.settings.push(cipolicy::model::Setting {
        provider: "Contoso".into(),
        key: "Agent".into(),
        value_name: "Mode".into(),
        value: cipolicy::model::SettingValue::DWord(1),
    });
    let err = merge(&[&c, &b], MergeOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "setting Contoso/Agent/Mode has different values in the inputs (DWord 1 vs DWord 2); make them agree \
         first (`cipolicy set POLICY --setting …`)"
    );
    let mut d = a.clone();
    d.signing_scenarios[1]
        .product_signers
        .file_rules_ref
        .push("ID_ALLOW_NOWHERE".into());
    let err = merge(&[&a, &d], MergeOptions::default()).unwrap_err();
    assert_eq!(
        err,
        MergeError::Dangling {
            input: 2,
            what: "FileRuleRef",
            id: "ID_ALLOW_NOWHERE".into()
        }
    );
    let mut s1 = testdata("supplemental.xml");
    let s2 = s1.clone();
    s1.base_policy_id = b.policy_id;
    s1.policy_id = "{6F1F0E52-9B0E-4C55-8B1A-2A0E3C4D5E09}".parse().ok();
    let err = merge(&[&s1, &s2], MergeOptions::default()).unwrap_err();
    assert!(matches!(err, MergeError::DifferentBases(_)), "{err}");
}

/// The Microsoft template folders the task names.
fn template_sets(corpus: &Path) -> Vec<Vec<PathBuf>> {
    [
        "xml/ms-examplepolicies-insider",
        "xml/wdac-toolkit/WDAC-Policy-Wizard/app/Resources/policyTemplates",
    ]
    .iter()
    .map(|d| common::files_with_ext(&corpus.join(d), &[".xml"]))
    .collect()
}

#[test]
fn microsoft_templates_merge_pairwise() {
    let Some(corpus) = common::corpus() else { return };
    let mut summary: Vec<String> = Vec::new();
    let mut valid_pairs = 0;
    for set in template_sets(&corpus) {
        let policies: Vec<(String, Policy)> = set
            .iter()
            .filter_map(|p| Some((p.file_name()?.to_string_lossy().into_owned(), load(p)?)))
            .collect();
        for (i, (na, a)) in policies.iter().enumerate() {
            for (nb, b) in &policies[i + 1..] {
                let mixed = a.effective_type() != b.effective_type();
                let opts = MergeOptions {
                    allow_mixed_types: mixed,
                };
                if mixed {
                    assert!(merge(&[a, b], MergeOptions::default()).is_err());
                }
                let ab = match merge(&[a, b], opts) {
                    Ok(m) => m,
                    Err(e) => {
                        summary.push(format!("{na} + {nb}: refused: {e}"));
                        continue;
                    }
                };
                let ba = merge(&[b, a], opts).unwrap();
                let text = xml::write(&ab.policy);
                assert_eq!(text, xml::write(&ba.policy), "{na} + {nb} is not commutative");
                let back = xml::read(text.as_bytes()).unwrap().policy;
                assert_eq!(back, ab.policy, "{na} + {nb} does not read back");
                // Valid inputs give a valid result.
                if errors(a).is_empty() && errors(b).is_empty() {
                    let e = errors(&ab.policy);
                    assert!(e.is_empty(), "{na} + {nb}: {e:#?}");
                    valid_pairs += 1;
                }
                // A union loses nothing: every item of each input is still there.
                for (n, p) in [(na, a), (nb, b)] {
                    let d = cipolicy::ops::diff::diff(p, &ab.policy, n, "merged");
                    for c in &d.changes {
                        // Items only go; an allowed signer may lose exceptions another input did not
                        // have (the union of "allowed except X" and "allowed" is "allowed").
                        use cipolicy::ops::diff::{Effect, Op};
                        let ok = match c.op {
                            Op::Added => true,
                            Op::Removed => false,
                            Op::Changed => {
                                matches!(c.section.as_str(), "header" | "settings")
                                    || (c.item == "allowed signer" && c.effect == Effect::Widens)
                            }
                        };
                        assert!(ok, "{na} + {nb} vs {n}: {c:?}");
                    }
                }
                summary.push(format!(
                    "{na} + {nb}: {} rules, {} signers{}",
                    ab.policy.file_rules.len(),
                    ab.policy.signers.len(),
                    if mixed { " (mixed types)" } else { "" }
                ));
            }
        }
    }
    eprintln!("{valid_pairs} pairs of valid templates merged into valid policies");
    assert!(valid_pairs > 100);
    insta::assert_snapshot!("merge_templates_pairwise", summary.join("\n"));
}
