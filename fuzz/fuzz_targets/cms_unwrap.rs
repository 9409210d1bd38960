//! CMS wrapper: `sign::unwrap` and `sign::verify` never panic on any bytes; unwrapped content is
//! a slice of the input; the binary validator (unwrap + decompile + checks) never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cipolicy_fuzz::cms_unwrap::check(data));
