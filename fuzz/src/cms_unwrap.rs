//! CMS wrapper: `sign::unwrap` and `sign::verify` never panic on any bytes; unwrapped content is
//! a slice of the input; the binary validator (unwrap + decompile + checks) never panics.

use cipolicy::sign::{self, VerifyOptions};
use cipolicy::valid;

/// Runs the check on one input; panics on a failure.
pub fn check(data: &[u8]) {
    if let Ok(u) = sign::unwrap(data) {
        let end = u.content_offset + u.content.len();
        assert!(end <= data.len() && data[u.content_offset..end] == u.content[..]);
    }
    let report = sign::verify(data, &VerifyOptions::default());
    let _ = sign::render_human(&report);
    let _ = valid::validate_binary(
        data,
        Some("{00000000-0000-0000-0000-000000000000}.cip"),
        &valid::Options::default(),
    );
}
