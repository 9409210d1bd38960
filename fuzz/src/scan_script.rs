//! PowerShell SIP path (encoding detection, the signature block, its DER): never panics. The
//! last byte picks the extension (so real
//! scripts serve as seeds as they are).

use cipolicy::scan::{FactOptions, facts_from_bytes};

/// Runs the check on one input; panics on a failure.
pub fn check(data: &[u8]) {
    let Some(&sel) = data.last() else { return };
    let bytes = data;
    let name = ["fuzz.ps1", "fuzz.psm1", "fuzz.psd1", "fuzz.ps1"][usize::from(sel & 3)];
    let f = facts_from_bytes(name, bytes, FactOptions::default());
    assert_eq!(f.size, bytes.len() as u64);
}
