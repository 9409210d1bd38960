//! MSI SIP path (OLE compound file, the MSI digest over streams and storages, the
//! DigitalSignature stream): `scan::facts_from_bytes` never panics on `.msi` files.
#![no_main]

use cipolicy::scan::{FactOptions, digest::DigestAlg, facts_from_bytes, msi};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = msi::read(data, &[DigestAlg::Sha256]);
    let f = facts_from_bytes("fuzz.msi", data, FactOptions::default());
    assert_eq!(f.size, data.len() as u64);
});
