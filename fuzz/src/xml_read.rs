//! XML policy reader: `xml::read` and `valid::validate_xml` never panic; a document that reads
//! is written canonically, and the canonical text reads back to the same model and writes to the
//! same text.

use cipolicy::xml::tree;
use cipolicy::{valid, xml};

/// Runs the check on one input; panics on a failure.
pub fn check(data: &[u8]) {
    split_reads_as_one_pass(data);
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

/// Reading the document in two parts gives the one-pass tree or error, wherever the second part
/// starts: here at the first `<` past a third, a half and two thirds of the text.
fn split_reads_as_one_pass(data: &[u8]) {
    let Ok(text) = tree::decode(data) else { return };
    let one_pass = tree::parse_split_at(&text, None);
    for k in 1..4 {
        let from = text.len() * k / 4;
        if let Some(at) = text.as_bytes()[from..].iter().position(|&b| b == b'<') {
            let split = tree::parse_split_at(&text, Some(from + at));
            assert!(split == one_pass, "split at byte {} reads differently", from + at);
        }
    }
}
