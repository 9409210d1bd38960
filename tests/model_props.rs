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
    if !has_empty_sort_name(p) {
        prop_assert!(
            again.bytes == compiled.bytes,
            "v{}: recompiling the decoded model gives other bytes",
            version
        );
    }
    Ok(true)
}

/// True when a file or artifact rule has an empty name among its sort keys: the one case where
/// recompiling the binary view may order rules differently (see `cip::binary_view_with`).
fn has_empty_sort_name(p: &Policy) -> bool {
    let files = p.file_rules.iter().flat_map(|r| {
        [
            &r.file_name,
            &r.internal_name,
            &r.file_description,
            &r.product_name,
            &r.package_family_name,
            &r.file_path,
        ]
    });
    let artifacts = p
        .artifact_rules
        .iter()
        .flat_map(|a| [&a.artifact_name, &a.artifact_description]);
    files.chain(artifacts).any(|n| n.as_deref() == Some(""))
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
