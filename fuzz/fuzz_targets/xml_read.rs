//! XML policy reader: `xml::read` and `valid::validate_xml` never panic; a document that reads
//! is written canonically, and the canonical text reads back to the same model and writes to the
//! same text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cipolicy_fuzz::xml_read::check(data));
