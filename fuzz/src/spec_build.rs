//! TOML spec: `spec::build_text` never panics, with includes resolved against the project's
//! `testdata/specs` (so the fuzzer can reach the include and XML-merge paths) and no scanner.

use std::path::Path;

use cipolicy::spec::{self, BuildOptions, XmlReadError};
use cipolicy::{model::Policy, xml};

fn read_xml(bytes: &[u8]) -> Result<Policy, XmlReadError> {
    xml::read(bytes).map(|d| d.policy).map_err(|e| XmlReadError {
        line: 0,
        column: 0,
        message: e.to_string(),
    })
}

/// Runs the check on one input; panics on a failure.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The fuzz crate's folder, or the project's when the main crate's tests include this file.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = if root.join("testdata").is_dir() {
        root.join("testdata/specs")
    } else {
        root.join("../testdata/specs")
    };
    let opts = BuildOptions {
        xml: Some(&read_xml),
        scanner: None,
    };
    if let Ok(built) = spec::build_text("fuzz.toml", &dir, text, &opts) {
        let _ = built.xml_file_name();
        let _ = built.binary_file_name();
        // What a build produces is written as XML: it must read back.
        let canonical = xml::write(&built.policy);
        if let Err(e) = xml::read(canonical.as_bytes()) {
            panic!("a built policy's XML does not read back: {e}\n{canonical}");
        }
    }
}
