//! Every XML policy in the shared corpus parses (or, for the few that are broken on purpose,
//! fails with a located error); the canonical writer is idempotent and loses nothing.
mod common;

use cipolicy::xml;

/// Corpus files that are not valid SiPolicy documents, with the reason their error must give.
/// Each must fail with a line:column error that mentions the text here.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    // `<Policy>` roots from a tool that invented its own format.
    (
        "wdac-enterprise-security/policies/BasePolicy.xml",
        "expected <SiPolicy>",
    ),
    (
        "wdac-enterprise-security/samples/deny-policies/deny-known-malware.xml",
        "expected <SiPolicy>",
    ),
    (
        "wdac-enterprise-security/templates/parametrized-base-policy.xml",
        "expected <SiPolicy>",
    ),
    (
        "wdac-enterprise-security/tests/fixtures/policies/sample-base-policy.xml",
        "expected <SiPolicy>",
    ),
    (
        "wdac-enterprise-security/samples/supplemental-policies/supplemental-developer-tools.xml",
        "expected <SiPolicy>",
    ),
    // Mismatched end tag: not well-formed XML.
    ("Recommended_Driver_Blocklist.2021-07-23.712b1c5.xml", "malformed XML"),
    // A version with a `_1` suffix, which ConfigCI rejects too (WDAC-Toolkit#269).
    (
        "loldrivers/detections/wdac/Denylist.xml",
        "MinimumFileVersion is not a valid version",
    ),
    // 2016 policies with a two-part `<VersionEx>1.0</VersionEx>` (the first also has an empty
    // `<HvciOptions>`). The schema's pattern (unescaped dots) accepts them; the reader refuses
    // them on purpose, since ConfigCI's .NET parse leaves the missing parts undefined and a
    // guessed version would break anti-rollback (see `version_hint` in src/xml/read.rs).
    (
        "BypassDenyPolicy.2016-09-12.63b5afe.xml",
        "<VersionEx> `1.0` is not a valid version",
    ),
    ("BypassDenyPolicy.2016-09-18.0631bfb.xml", "(write it as `1.1.0.0`"),
    (
        "BypassDenyPolicy.2016-09-28.1834f3e.xml",
        "<VersionEx> `1.2` is not a valid version",
    ),
    (
        "BypassDenyPolicy.2016-09-28.77042c1.xml",
        "<VersionEx> `1.2` is not a valid version",
    ),
    // A misspelt `FilePAth` attribute: Windows' tools would silently drop it and the Deny would
    // block nothing it was meant to.
    (
        "wdacme--allowall_v1.0.1.1--208e0b1/AllowAll_v1.0.1.1.xml",
        "unknown attribute `FilePAth` on <Deny> (did you mean `FilePath`?)",
    ),
];

#[test]
fn every_corpus_xml_reads_and_formats_canonically() {
    let Some(corpus) = common::corpus() else { return };
    let files = common::files_with_ext(&corpus, &[".xml"]);
    assert!(
        files.len() >= 195 + 38,
        "expected the whole corpus, found {} XML files",
        files.len()
    );
    let mut failures = Vec::new();
    let mut expected_hits = vec![false; EXPECTED_FAILURES.len()];
    for path in &files {
        let rel = path.strip_prefix(&corpus).unwrap().to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(path).unwrap();
        let expected = EXPECTED_FAILURES.iter().position(|(suffix, _)| rel.ends_with(suffix));
        match (xml::read(&bytes), expected) {
            (Ok(doc), None) => {
                let once = xml::write(&doc.policy);
                let reread = xml::read(once.as_bytes())
                    .unwrap_or_else(|e| panic!("{rel}: canonical output does not read back: {e}"));
                assert_eq!(
                    reread.policy, doc.policy,
                    "{rel}: model changed through the canonical writer"
                );
                assert_eq!(xml::write(&reread.policy), once, "{rel}: fmt is not idempotent");
            }
            (Ok(_), Some(i)) => failures.push(format!(
                "{rel}: expected to fail ({}) but parsed",
                EXPECTED_FAILURES[i].1
            )),
            (Err(e), Some(i)) => {
                expected_hits[i] = true;
                let msg = e.to_string();
                assert!(msg.contains(EXPECTED_FAILURES[i].1), "{rel}: wrong error: {msg}");
                assert!(e.span.line >= 1 && e.span.column >= 1);
            }
            (Err(e), None) => failures.push(format!("{rel}: {e}")),
        }
    }
    for (i, hit) in expected_hits.iter().enumerate() {
        assert!(
            hit,
            "expected-failure file {} not found in the corpus",
            EXPECTED_FAILURES[i].0
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus XML files failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
