//! TOML spec: `spec::build_text` never panics, with includes resolved against the project's
//! `testdata/specs` (so the fuzzer can reach the include and XML-merge paths) and no scanner.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cipolicy_fuzz::spec_build::check(data));
