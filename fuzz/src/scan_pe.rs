//! PE reader (headers, imports, version resource, Authenticode and page hashes, embedded
//! signatures and their certificates): `scan::facts_from_bytes` never panics; the rules a scan
//! makes from the facts (with fallbacks) become a policy that compiles and whose XML reads back.
//! The last byte picks the file name and the level, so that real files serve as seeds as they
//! are.

use cipolicy::cip::{self, CompileOptions};
use cipolicy::scan::{FactOptions, Level, emit, facts_from_bytes, rules};
use cipolicy::xml;

/// Runs the check on one input; panics on a failure.
pub fn check(data: &[u8]) {
    let Some(&sel) = data.last() else { return };
    let bytes = data;
    let name = ["fuzz.exe", "fuzz.dll", "fuzz.sys", "fuzz.bin"][usize::from(sel & 3)];
    let f = facts_from_bytes(
        name,
        bytes,
        FactOptions {
            flat_sha256: sel & 4 != 0,
        },
    );
    assert_eq!(f.size, bytes.len() as u64);
    let level = [
        Level::FilePublisher,
        Level::WhqlFilePublisher,
        Level::SignedVersion,
        Level::FileName,
    ][usize::from((sel >> 3) & 3)];
    let opts = rules::RuleOptions {
        level,
        fallbacks: vec![Level::Publisher, Level::Hash],
        ..rules::RuleOptions::default()
    };
    let set = rules::build(std::slice::from_ref(&f), &opts);
    let policy = emit::to_policy(&set, None);
    if let Err(e) = cip::compile(&policy, &CompileOptions::default()) {
        panic!("scanned rules do not compile: {e}");
    }
    let text = xml::write(&policy);
    match xml::read(text.as_bytes()) {
        Ok(d) => assert!(
            d.policy == policy,
            "scanned policy's XML reads back differently\n{text}"
        ),
        Err(e) => panic!("scanned policy's XML does not read back: {e}\n{text}"),
    }
}
