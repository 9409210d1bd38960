//! PowerShell SIP path (encoding detection, the signature block, its DER): never panics. The
//! last byte picks the extension (so real
//! scripts serve as seeds as they are).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cipolicy_fuzz::scan_script::check(data));
