//! MSI SIP path (OLE compound file, the MSI digest over streams and storages, the
//! DigitalSignature stream): `scan::facts_from_bytes` never panics on `.msi` files.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cipolicy_fuzz::scan_msi::check(data));
