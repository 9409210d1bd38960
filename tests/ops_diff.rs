//! `diff`: empty for a policy and itself, insensitive to IDs, order and names, and the changes
//! and verdicts of known edits.
mod common;

use std::path::Path;

use cipolicy::model::{FileRule, FileRuleKind, GenericRuleType, OptionKind, Policy, Version};
use cipolicy::ops::diff::{Verdict, diff};
use cipolicy::xml;

fn load(path: &Path) -> Option<Policy> {
    xml::read(&std::fs::read(path).unwrap()).ok().map(|d| d.policy)
}

fn example() -> Policy {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policies/example-base.xml")).unwrap()
}

#[test]
fn diff_of_every_corpus_policy_with_itself_is_empty() {
    let Some(corpus) = common::corpus() else { return };
    let mut n = 0;
    for path in common::files_with_ext(&corpus, &[".xml"]) {
        let Some(p) = load(&path) else { continue };
        let d = diff(&p, &p, "a", "b");
        assert!(d.changes.is_empty(), "{}: {:#?}", path.display(), d.changes);
        assert_eq!(d.verdict, Verdict::Identical);
        n += 1;
    }
    assert!(n > 100);
}

/// Renames every ID, reverses every list, renames everything that has a display name, and writes
/// a `FileRule Type="Match"` for an `Allow`: none of it is a semantic change.
fn relabel(p: &Policy) -> Policy {
    let mut q = p.clone();
    let re = |id: &mut cipolicy::model::Id| id.0 = format!("{}_RENAMED", id.0);
    q.friendly_name = Some("renamed".into());
    for r in &mut q.file_rules {
        re(&mut r.id);
        r.friendly_name = Some("renamed".into());
        if r.kind == FileRuleKind::Allow {
            r.kind = FileRuleKind::Generic(GenericRuleType::Match);
        }
        if let Some(t) = &mut r.hotpatch.require_hotpatch_id {
            re(t);
        }
    }
    for a in &mut q.artifact_rules {
        re(&mut a.id);
    }
    for e in &mut q.ekus {
        re(&mut e.id);
    }
    for s in &mut q.signers {
        re(&mut s.id);
        s.name = None;
        s.file_attrib_refs.iter_mut().for_each(re);
        s.cert_ekus.iter_mut().for_each(|c| re(&mut c.id));
        s.file_attrib_refs.reverse();
        s.artifact_rule_refs.iter_mut().for_each(re);
    }
    for sc in &mut q.signing_scenarios {
        re(&mut sc.id);
        sc.inherited_scenarios.iter_mut().for_each(re);
        sc.friendly_name = None;
        let art = &mut sc.artifact_signers;
        art.artifact_rules_ref.iter_mut().for_each(re);
        for a in &mut art.allowed {
            re(&mut a.signer_id);
            a.except_deny_rules.iter_mut().for_each(re);
        }
        for d in &mut art.denied {
            re(&mut d.signer_id);
            d.except_allow_rules.iter_mut().for_each(re);
        }
        for g in [
            &mut sc.product_signers,
            &mut sc.test_signers,
            &mut sc.test_signing_signers,
        ] {
            g.file_rules_ref.iter_mut().for_each(re);
            g.file_rules_ref.reverse();
            for a in &mut g.allowed {
                re(&mut a.signer_id);
                a.except_deny_rules.iter_mut().for_each(re);
            }
            for d in &mut g.denied {
                re(&mut d.signer_id);
                d.except_allow_rules.iter_mut().for_each(re);
            }
            g.allowed.reverse();
            g.denied.reverse();
        }
    }
    for l in [
        &mut q.update_policy_signers,
        &mut q.supplemental_policy_signers,
        &mut q.ci_signers,
    ] {
        l.iter_mut().for_each(re);
        l.reverse();
    }
    q.file_rules.reverse();
    q.signers.reverse();
    q.signing_scenarios.reverse();
    q.rules.reverse();
    q
}

#[test]
fn ids_order_and_names_are_not_differences() {
    let p = example();
    let d = diff(&p, &relabel(&p), "a", "b");
    assert!(d.changes.is_empty(), "{:#?}", d.changes);
    let Some(corpus) = common::corpus() else { return };
    for rel in [
        "xml/ms-examplepolicies-insider/DefaultWindows_Enforced.2024-10-13.daace2c.xml",
        "xml/ms-examplepolicies-insider/RecommendedDriverBlock_Enforced.2025-05-05.cfd57ec.xml",
        "xml/hotcakex/AppControl Manager/eXclude/App Control Unit Tests/FullCoverage.Base.xml",
    ] {
        let p = load(&corpus.join(rel)).unwrap();
        let d = diff(&p, &relabel(&p), "a", "b");
        assert!(d.changes.is_empty(), "{rel}: {:#?}", d.changes);
    }
}

#[test]
fn compiled_defaults_are_not_differences() {
    let p = example();
    let mut q = p.clone();
    // What ConvertFrom-CIPolicy stores the same way.
    q.hvci_options = p.hvci_options.or(Some(0));
    for sc in &mut q.signing_scenarios {
        sc.minimum_hash_algorithm
            .get_or_insert(cipolicy::model::DEFAULT_MINIMUM_HASH_ALGORITHM);
    }
    for r in &mut q.file_rules {
        if r.kind == FileRuleKind::Deny && r.minimum_file_version == Some(Version::MAX) {
            r.minimum_file_version = None;
        }
        if r.kind == FileRuleKind::FileAttrib && r.maximum_file_version.is_none() {
            r.maximum_file_version = Some(Version::ZERO);
        }
    }
    assert_ne!(p, q);
    assert!(diff(&p, &q, "a", "b").changes.is_empty());
}

fn human(old: &Policy, new: &Policy) -> (Verdict, String) {
    let d = diff(old, new, "old.xml", "new.xml");
    (d.verdict, d.to_human())
}

#[test]
fn known_edits() {
    let p = example();

    // Adding a hash rule to user mode widens.
    let mut q = p.clone();
    let mut r = FileRule::new(FileRuleKind::Allow, "ID_ALLOW_NEW");
    r.friendly_name = Some("new.exe Hash Sha256".into());
    r.hash = Some(cipolicy::model::HexBytes(vec![0xAB; 32]));
    q.file_rules.push(r);
    q.signing_scenarios[1]
        .product_signers
        .file_rules_ref
        .push("ID_ALLOW_NEW".into());
    let (v, text) = human(&p, &q);
    assert_eq!(v, Verdict::More);
    insta::assert_snapshot!("diff_add_allow_rule", text);

    // Turning audit mode off and bumping the version narrows; the version is neutral.
    let mut q = p.clone();
    q.set_option(OptionKind::AuditMode, false);
    q.version_ex = "1.0.0.1".parse().unwrap();
    let (v, text) = human(&p, &q);
    assert_eq!(v, Verdict::Less);
    insta::assert_snapshot!("diff_audit_off", text);

    // Raising a FileAttrib's minimum version narrows the signer it belongs to.
    let mut q = p.clone();
    let fa = q
        .file_rules
        .iter_mut()
        .find(|r| r.kind == FileRuleKind::FileAttrib)
        .unwrap();
    fa.minimum_file_version = Some("3.0.0.0".parse().unwrap());
    let (v, text) = human(&p, &q);
    assert_eq!(v, Verdict::Less);
    insta::assert_snapshot!("diff_fileattrib_version", text);

    // The bare deny (every version) becomes "versions up to 1.0.0.0": it blocks less.
    let mut q = p.clone();
    let deny = q.file_rules.iter_mut().find(|r| r.kind == FileRuleKind::Deny).unwrap();
    deny.minimum_file_version = Some("1.0.0.0".parse().unwrap());
    let (v, text) = human(&p, &q);
    assert_eq!(v, Verdict::More, "{text}");
    insta::assert_snapshot!("diff_deny_range", text);
    assert_eq!(human(&q, &p).0, Verdict::Less);

    // Removing a signer from user mode and adding a deny: less. Removing a deny: more.
    let mut q = p.clone();
    q.signing_scenarios[1]
        .product_signers
        .allowed
        .retain(|a| a.signer_id.as_str() != "ID_SIGNER_CONTOSO");
    let (v, text) = human(&p, &q);
    assert_eq!(v, Verdict::Less);
    insta::assert_snapshot!("diff_remove_signer", text);
    let mut q = p.clone();
    q.signing_scenarios[1]
        .product_signers
        .file_rules_ref
        .retain(|r| r.as_str() != "ID_DENY_PSEXEC");
    let (v, text) = human(&p, &q);
    assert_eq!(v, Verdict::More);
    insta::assert_snapshot!("diff_unreference_deny", text);

    // Widening one thing and narrowing another is "different"; metadata alone is "same".
    let mut q = p.clone();
    q.set_option(OptionKind::AuditMode, false);
    q.set_option(OptionKind::DisabledScriptEnforcement, true);
    assert_eq!(human(&p, &q).0, Verdict::Different);
    let mut q = p.clone();
    q.version_ex = "2.0.0.0".parse().unwrap();
    q.policy_id = "{11111111-2222-3333-4444-555555555555}".parse().ok();
    assert_eq!(human(&p, &q).0, Verdict::Same);
}

/// What a binary keeps is what diff compares: compiling and decompiling changes nothing.
#[test]
fn diff_of_xml_and_its_compiled_binary_is_empty() {
    let Some(corpus) = common::corpus() else { return };
    let (mut n, mut refused) = (0, 0);
    let mut failures = Vec::new();
    for path in common::files_with_ext(&corpus, &[".xml"]) {
        let Some(p) = load(&path) else { continue };
        let Ok(c) = cipolicy::cip::compile(&p, &Default::default()) else {
            refused += 1;
            continue;
        };
        let back = cipolicy::cip::decompile(&c.bytes).unwrap();
        let d = diff(&p, &back, "xml", "binary");
        if !d.changes.is_empty() {
            failures.push(format!("{}: {}", path.display(), d.to_human()));
        }
        n += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{n} policies round-tripped through the binary; {refused} refused by the compiler");
    assert!(n > 100);
}

fn manifest(dir: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// Microsoft-compiled (or ConfigCI-compiled) binaries and the XML they were built from: no
/// semantic difference.
#[test]
fn corpus_pairs_have_no_differences() {
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join("pairs");
    let mut n = 0;
    for row in manifest(&dir) {
        let (name, xml_name, bin_name) = (&row[0], &row[2], &row[3]);
        let p = load(&dir.join(name).join(xml_name)).unwrap();
        let bytes = std::fs::read(dir.join(name).join(bin_name)).unwrap();
        let b = cipolicy::cip::decompile(&bytes).unwrap();
        let d = diff(&p, &b, xml_name, bin_name);
        assert!(d.changes.is_empty(), "{name}: {}", d.to_human());
        n += 1;
    }
    assert_eq!(n, 38);
}

/// Near pairs: the differences the corpus manifest describes in words, found by diff.
#[test]
fn corpus_near_pairs_show_their_documented_differences() {
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join("near-pairs");
    let mut out = String::new();
    for row in manifest(&dir) {
        let (name, status, xml_name, bin_name) = (&row[0], &row[1], &row[2], &row[3]);
        let Some(p) = load(&dir.join(name).join(xml_name)) else {
            out.push_str(&format!("== {name} ({status}): XML does not parse\n"));
            continue;
        };
        let bytes = std::fs::read(dir.join(name).join(bin_name)).unwrap();
        let b = cipolicy::cip::decompile(&bytes).unwrap();
        let d = diff(&p, &b, xml_name, bin_name);
        match status.as_str() {
            // Same content; a mis-cased option the compiler ignores is no difference either.
            "exact-content" | "near-options" => assert!(d.changes.is_empty(), "{name}: {}", d.to_human()),
            // Header fields (and for one, option 6) only.
            s if s.starts_with("near-header") => {
                for c in &d.changes {
                    assert!(c.section == "header" || c.section == "options", "{name}: {c:?}");
                }
            }
            _ => {}
        }
        if status == "related" {
            // Too long to keep whole: count the changes per section and kind.
            let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
            for c in &d.changes {
                *counts
                    .entry(format!("{} / {} {:?}", c.section, c.item, c.op))
                    .or_default() += 1;
            }
            out.push_str(&format!("== {name} ({status}): {:?}\n", d.verdict));
            for (k, v) in counts {
                out.push_str(&format!("  {v} x {k}\n"));
            }
        } else {
            out.push_str(&format!("== {name} ({status})\n{}", d.to_human()));
        }
    }
    insta::assert_snapshot!("near_pairs", out);
}
