//! PE reader (headers, imports, version resource, Authenticode and page hashes, embedded
//! signatures and their certificates): `scan::facts_from_bytes` never panics; the rules a scan
//! makes from the facts (with fallbacks) become a policy that compiles and whose XML reads back.
//! The last byte picks the file name and the level, so that real files serve as seeds as they
//! are.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cipolicy_fuzz::scan_pe::check(data));
