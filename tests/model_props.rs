//! Property tests over generated valid models (`support/model_strategy.rs`): model → XML → model
//! is the identity, and model → binary → model is the identity up to what the binary cannot
//! hold, which `cip::binary_view_with` states in one place.
//!
//! The default case count is small, for CI. A long campaign:
//!
//! ```sh
//! PROPTEST_CASES=20000 cargo test --release --test model_props
//! ```

#[path = "support/model_strategy.rs"]
mod model_strategy;

use cipolicy::cip::{self, CompileError, CompileOptions, SortAlgorithm};
use cipolicy::model::Policy;
use cipolicy::xml;
use proptest::prelude::*;

/// 64 cases unless `PROPTEST_CASES` says otherwise; failures are not persisted to files (a
/// failure found becomes an explicit regression test).
fn config() -> ProptestConfig {
    let mut c = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 64;
    }
    c
}

/// The XML identity, with a readable failure.
fn xml_round_trip(p: &Policy) -> Result<(), TestCaseError> {
    let text = xml::write(p);
    let back = xml::read(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(&back.policy, p, "{}", text);
    prop_assert_eq!(xml::write(&back.policy), text);
    Ok(())
}

/// The binary identity at one format version and sort. Returns false when the policy needs a
/// later format version than `version` (which is then a refusal, never a silent drop).
fn binary_round_trip(p: &Policy, version: u32, sort: SortAlgorithm) -> Result<bool, TestCaseError> {
    let opts = CompileOptions {
        format_version: version,
        sort,
    };
    let compiled = match cip::compile(p, &opts) {
        Ok(c) => c,
        Err(CompileError::NotExpressible { needs, .. }) if needs > version => return Ok(false),
        Err(e) => return Err(TestCaseError::fail(format!("v{version}: {e}\n{}", xml::write(p)))),
    };
    let back = cip::decompile_with(&compiled.bytes, sort)
        .map_err(|e| TestCaseError::fail(format!("v{version}: decompile: {e}\n{}", xml::write(p))))?;
    let view = cip::binary_view_with(p, &opts);
    prop_assert_eq!(&back, &view, "v{} {:?}\n{}", version, sort, xml::write(p));
    let again = cip::compile(&back, &opts).map_err(|e| TestCaseError::fail(format!("recompile: {e}")))?;
    prop_assert!(
        again.bytes == compiled.bytes,
        "v{}: recompiling the decoded model gives other bytes",
        version
    );
    Ok(true)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn model_to_xml_to_model_is_the_identity(p in model_strategy::policy()) {
        xml_round_trip(&p)?;
    }

    #[test]
    fn model_to_binary_to_model_is_the_binary_view(p in model_strategy::policy(), legacy_sort in any::<bool>()) {
        let mut p = p;
        // AppSettings cannot be compiled (binary_view_with's docs); everything else can.
        p.app_settings.clear();
        let sort = if legacy_sort { SortAlgorithm::LegacyQuickSort } else { SortAlgorithm::IntroSort };
        prop_assert!(binary_round_trip(&p, 11, sort)?, "format version 11 holds every feature");
        binary_round_trip(&p, 8, sort)?;
    }
}

#[test]
fn an_empty_name_sorts_as_absent() {
    // Found by `model_to_binary_to_model_is_the_binary_view`: with `FileName=""` sorted after an
    // absent FileName, the compiled order was one that no decoded model (the binary stores both
    // as empty) sorts back to, and the decoder refused it as out of order.
    let text = r#"<?xml version="1.0" encoding="utf-8"?>
<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy" PolicyType="Base Policy">
  <VersionEx>1.0.0.0</VersionEx>
  <PolicyID>{0E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B}</PolicyID>
  <BasePolicyID>{0E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B}</BasePolicyID>
  <PlatformID>{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}</PlatformID>
  <Rules><Rule><Option>Enabled:Unsigned System Integrity Policy</Option></Rule></Rules>
  <FileRules>
    <FileAttrib ID="ID_FILEATTRIB_A" FileName="" />
    <FileAttrib ID="ID_FILEATTRIB_B" Hash="01" />
  </FileRules>
</SiPolicy>"#;
    let p = xml::read(text.as_bytes()).unwrap().policy;
    for sort in [SortAlgorithm::LegacyQuickSort, SortAlgorithm::IntroSort] {
        assert!(binary_round_trip(&p, 11, sort).unwrap());
    }
}
