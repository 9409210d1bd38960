//! MSI SIP path (OLE compound file, the MSI digest over streams and storages, the
//! DigitalSignature stream): `scan::facts_from_bytes` never panics on `.msi` files.

use cipolicy::scan::{FactOptions, digest::DigestAlg, facts_from_bytes, msi};

/// Runs the check on one input; panics on a failure.
pub fn check(data: &[u8]) {
    let _ = msi::read(data, &[DigestAlg::Sha256]);
    let f = facts_from_bytes("fuzz.msi", data, FactOptions::default());
    assert_eq!(f.size, data.len() as u64);
}
