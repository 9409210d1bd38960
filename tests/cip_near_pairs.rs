//! Near-pairs (`near-pairs/`): XML and binary with documented differences. After applying
//! exactly those differences they compile byte for byte, which checks the option-dropping quirk
//! and the introsort compatibility mode against real ConfigCI output.

mod common;

use cipolicy::cip::{self, CompileOptions, CompileWarning, SortAlgorithm};

fn load(dir: &std::path::Path, xml: &str, bin: &str) -> (cipolicy::model::Policy, Vec<u8>) {
    let p = cipolicy::xml::read(&std::fs::read(dir.join(xml)).unwrap())
        .unwrap()
        .policy;
    (p, std::fs::read(dir.join(bin)).unwrap())
}

fn compile(p: &cipolicy::model::Policy, sort: SortAlgorithm) -> cip::Compiled {
    cip::compile(
        p,
        &CompileOptions {
            format_version: 7,
            sort,
        },
    )
    .unwrap()
}

#[test]
fn mis_cased_option_is_dropped_as_configci_does() {
    // `Enabled:Boot Audit on Failure` (lower-case "on") is absent from the binary.
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join("near-pairs/hbkmon-testing-repo--wdac_allowall_audit--70e8d0f");
    let (p, expected) = load(&dir, "WDAC_AllowAll_Audit.xml", "SIPolicy.p7b");
    let c = compile(&p, SortAlgorithm::LegacyQuickSort);
    assert!(c.bytes == expected);
    assert_eq!(
        c.warnings,
        [CompileWarning::UnknownOptionDropped(
            "Enabled:Boot Audit on Failure".into()
        )]
    );
    // Its two identical `Allow FileName="*"` rules are swapped by the legacy quicksort only.
    assert!(compile(&p, SortAlgorithm::IntroSort).bytes != expected);
}

#[test]
fn introsort_reproduces_the_wdacme_and_later_mattmcphee_builds() {
    let Some(corpus) = common::corpus() else { return };
    let np = corpus.join("near-pairs");
    // Same rules as the pair in pairs/, built with a different tie order: introsort's.
    let dir = np.join("mattmcphee--current-policies--allow-hash-rules-a03--05a25b7");
    let (p, expected) = load(
        &dir,
        "Allow-Hash-Rules-A03.xml",
        "{8ce642d9-5a48-4e76-b59d-846482dc9cee}.CIP",
    );
    assert!(compile(&p, SortAlgorithm::IntroSort).bytes == expected);
    assert!(compile(&p, SortAlgorithm::LegacyQuickSort).bytes != expected);

    // WDACme: the author post-processed PlatformID and VersionEx (and at 55542b4 added the
    // Unsigned option); with those applied, 120+ path rules with ties match introsort.
    for commit in ["ebe2211", "28715b9", "46dff28", "55542b4"] {
        let dir = np.join(format!("wdacme--wdacme--{commit}"));
        let (mut p, expected) = load(&dir, "WDACme.xml", "{A244370E-44C9-4C06-00FF-F6016E563076}.cip");
        let info = cip::info(&expected).unwrap();
        p.platform_id = Some(info.platform_id);
        p.version_ex = info.version_ex;
        p.set_option(cipolicy::model::OptionKind::UnsignedSystemIntegrityPolicy, true);
        assert!(compile(&p, SortAlgorithm::IntroSort).bytes == expected, "{commit}");
        assert!(
            compile(&p, SortAlgorithm::LegacyQuickSort).bytes != expected,
            "{commit}"
        );
    }
}
