//! Every corpus policy validates without errors, except the ones listed here, each with the
//! reason its errors are real; the warnings and infos over the corpus are snapshot-tested as
//! counts per code. No target is declared: the corpus policies do not say which build they are
//! for, so target gating is off (the profile they were written for is "whatever ConfigCI ran").
//!
//! The 12 files that fail to read on purpose (`EXPECTED_FAILURES` in `tests/xml_corpus.rs`) appear
//! here too, with the schema-layer code that reports the same problem.
mod common;

use std::collections::BTreeMap;

use cipolicy::valid::{self, Options, Severity};

/// (path fragment, error codes, why the errors are real).
const EXPECTED_ERRORS: &[(&str, &str, &str)] = &[
    (
        "wdac-enterprise-security/",
        "ID001",
        "`<Policy>` roots from a tool with its own format",
    ),
    (
        "Recommended_Driver_Blocklist.2021-07-23.712b1c5.xml",
        "ID001",
        "mismatched end tag",
    ),
    (
        "loldrivers/detections/wdac/Denylist.xml",
        "XS015",
        "versions with a `_1` suffix (WDAC-Toolkit#269)",
    ),
    (
        "BypassDenyPolicy.2016-09-12.63b5afe.xml",
        "FR005 XS012",
        "two-part VersionEx and an empty HvciOptions",
    ),
    ("BypassDenyPolicy.2016-09-", "FR005", "two-part VersionEx"),
    (
        "near-pairs/wdacme--allowall_v1.0.1.1--208e0b1/",
        "XS007",
        "misspelt `FilePAth` attribute",
    ),
    (
        "hbkmon-testing-repo--wdac_allowall_audit",
        "XS008",
        "`Enabled:Boot Audit on Failure` is not the schema's spelling; ConfigCI dropped it (corpus observation 8)",
    ),
    (
        "near-pairs/wdac-toolkit--wdacpolicy--f1fa49f/",
        "XS009",
        "PolicyID without braces",
    ),
    (
        "pairs/wdac-toolkit--wdacpolicy/WDACPolicy.xml",
        "HS001",
        "64-byte hex-of-hex hashes from the AppLocker converter (corpus observation 10)",
    ),
    (
        "wdacme--wdacme--55542b4/WDACme.xml",
        "FP003 PT001",
        "`%REMOVABLE%`, and signed (no option 6) without UpdatePolicySigners",
    ),
    (
        "wdacme--wdacme--",
        "FP003",
        "`%REMOVABLE%` is not a FilePath macro Windows documents",
    ),
    (
        "xml/wdacme/WDACme.xml",
        "FP003 PT001",
        "`%REMOVABLE%`, and signed (no option 6) without UpdatePolicySigners",
    ),
    (
        "xml/wdacme/AllowAll_v1.0.1.1.xml",
        "FP003",
        "`%REMOVABLE%` is not a FilePath macro Windows documents",
    ),
    (
        "SiPolicy Sample.xml",
        "FP001 FR004 SG002 SG003 SN001",
        "HotCakeX's serializer test sample with deliberately odd values",
    ),
    (
        "FullCoverage.AppIDTagging.xml",
        "SG002",
        "HotCakeX unit-test fixture with a 4-byte TBS",
    ),
    (
        "FullCoverage.Base.xml",
        "FP001 FP003 SG002",
        "HotCakeX unit-test fixture covering every field with placeholder values",
    ),
    (
        "Resources/EmptyPolicy.2025-02-1",
        "PT001",
        "an empty template: signed until option 6 or signers are added",
    ),
    (
        "mattifestation-wdacpolicies/Policies/",
        "PT001",
        "signed (no option 6) without UpdatePolicySigners; newer ConfigCI refuses to convert it",
    ),
    (
        "AppSpecificPolicyTemplate.",
        "PT001",
        "a template: signed until option 6 or signers are added",
    ),
    (
        "SmartAppControl.",
        "ID009",
        "Microsoft's own Smart App Control policy source; ID009 guards against reusing its GUID",
    ),
    (
        "WinSiPolicy.",
        "ID009",
        "Microsoft's own S mode policy source; ID009 guards against reusing its GUID",
    ),
    ("WDAC_Policy.2025-04-09.0a5b163.xml", "ID006", "no BasePolicyID"),
    (
        "WDAC_Policy.2025-04-09.e2a2fdb.xml",
        "ID007",
        "base policy whose BasePolicyID is the driver block list's GUID",
    ),
    (
        "WDAC_Policy.2025-04-09.582a5fe.xml",
        "ID007",
        "base policy whose BasePolicyID is the driver block list's GUID",
    ),
    (
        "Empty_Supplemental.2021-01-28.75b3c38.xml",
        "PT007",
        "Wizard template: legacy PolicyTypeID with option 17, which the Wizard strips when building",
    ),
    (
        "SignedReputable - SingleFormat.2022-12-02",
        "PT007",
        "Wizard template: legacy PolicyTypeID with option 17, which the Wizard strips when building",
    ),
    (
        "SignedReputable - SingleFormat.2024-10-17",
        "PT007",
        "Wizard template: legacy PolicyTypeID with option 17, which the Wizard strips when building",
    ),
];

#[test]
fn corpus_policies_have_no_unexpected_errors() {
    let Some(corpus) = common::corpus() else { return };
    let files = common::files_with_ext(&corpus, &[".xml"]);
    let mut problems = Vec::new();
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut used = vec![false; EXPECTED_ERRORS.len()];
    let mut incomplete = 0;
    for path in &files {
        let rel = path.strip_prefix(&corpus).unwrap().to_string_lossy().replace('\\', "/");
        let v = valid::validate_xml(&std::fs::read(path).unwrap(), &Options::default());
        incomplete += usize::from(v.report.incomplete);
        let errors: std::collections::BTreeSet<String> = v
            .report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.code.to_string())
            .collect();
        let errors = errors.into_iter().collect::<Vec<_>>().join(" ");
        match EXPECTED_ERRORS.iter().position(|(frag, _, _)| rel.contains(frag)) {
            Some(i) => {
                used[i] = true;
                if errors != EXPECTED_ERRORS[i].1 {
                    problems.push(format!(
                        "{rel}: expected errors {:?}, found {errors:?}",
                        EXPECTED_ERRORS[i].1
                    ));
                }
            }
            None if !errors.is_empty() => problems.push(format!("{rel}: unexpected errors {errors}")),
            None => {}
        }
        let mut seen_here = std::collections::BTreeSet::new();
        for f in &v.report.findings {
            let key = format!("{} {}", f.code, f.severity);
            let e = counts.entry(key.clone()).or_default();
            e.0 += 1;
            if seen_here.insert(key) {
                e.1 += 1;
            }
        }
    }
    for (i, u) in used.iter().enumerate() {
        assert!(
            u,
            "EXPECTED_ERRORS entry {:?} matched no corpus file",
            EXPECTED_ERRORS[i].0
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The 12 EXPECTED_FAILURES of tests/xml_corpus.rs are exactly the unreadable ones.
    assert_eq!(incomplete, 12, "files the reader refuses");
    let table: String = counts
        .iter()
        .map(|(k, (n, files))| format!("{k}: {n} in {files} files\n"))
        .collect();
    insta::assert_snapshot!(format!("{} corpus XML files\n{table}", files.len()));
}
