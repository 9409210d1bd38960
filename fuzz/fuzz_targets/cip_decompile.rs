//! Binary policy reader: `cip::decompile` never panics, and whatever it accepts compiles back
//! (same format version, default sort) to exactly the same bytes, with a model that is already
//! its own binary view.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cipolicy_fuzz::cip_decompile::check(data));
