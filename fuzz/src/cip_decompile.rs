//! Binary policy reader: `cip::decompile` never panics, and whatever it accepts compiles back
//! (same format version, default sort) to exactly the same bytes, with a model that is already
//! its own binary view.

use cipolicy::cip::{self, CompileOptions};

/// Runs the check on one input; panics on a failure.
pub fn check(data: &[u8]) {
    let _ = cip::info(data);
    let _ = cip::locate(data, data.len() / 2);
    let Ok(policy) = cip::decompile(data) else { return };
    let version = u32::from_le_bytes(data[..4].try_into().expect("decoded policies have a header"));
    let opts = CompileOptions {
        format_version: version,
        ..CompileOptions::default()
    };
    let compiled = match cip::compile(&policy, &opts) {
        Ok(c) => c,
        Err(e) => panic!("a decompiled policy does not compile: {e}"),
    };
    assert!(compiled.bytes == data, "recompiling gives other bytes");
    assert!(
        cip::binary_view_with(&policy, &opts) == policy,
        "binary view of a decoded policy differs"
    );
}
