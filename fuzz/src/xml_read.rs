//! XML policy reader: `xml::read` and `valid::validate_xml` never panic; a document that reads
//! is written canonically, and the canonical text reads back to the same model and writes to the
//! same text.

use cipolicy::{valid, xml};

/// Runs the check on one input; panics on a failure.
pub fn check(data: &[u8]) {
    let _ = valid::validate_xml(data, &valid::Options::default());
    let Ok(doc) = xml::read(data) else { return };
    let text = xml::write(&doc.policy);
    let again = match xml::read(text.as_bytes()) {
        Ok(d) => d,
        Err(e) => panic!("canonical XML does not read back: {e}\n{text}"),
    };
    assert!(
        again.policy == doc.policy,
        "canonical XML reads back to another model\n{text}"
    );
    assert!(xml::write(&again.policy) == text, "canonical form is not a fixed point");
}
