//! Raw file bytes to document text, and the characters XML allows in it.

use std::borrow::Cow;

use crate::xml::error::{LineIndex, XmlError};

/// Turns raw file bytes into text: UTF-8 (with or without BOM) or UTF-16 LE/BE (with a BOM, as
/// Windows PowerShell's `Out-File` writes it, or detected from the leading `<`).
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    let utf16 = |be: bool, skip: usize| {
        let body = &bytes[skip..];
        if !body.len().is_multiple_of(2) {
            return Err(XmlError::at_byte(
                bytes.len(),
                "UTF-16 document has an odd number of bytes (truncated?)",
            ));
        }
        let units = body.chunks_exact(2).map(|c| {
            if be {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        });
        let mut out = String::with_capacity(body.len() / 2);
        for (i, r) in char::decode_utf16(units).enumerate() {
            match r {
                Ok(c) => out.push(c),
                Err(_) => {
                    let idx = LineIndex::new(&out);
                    let span = idx.span(out.len());
                    return Err(XmlError::new(
                        span,
                        format!("invalid UTF-16 (unpaired surrogate) at byte {}", 2 + i * 2),
                    ));
                }
            }
        }
        Ok(Cow::Owned(out))
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest),
        [0xFF, 0xFE, ..] => utf16(false, 2),
        [0xFE, 0xFF, ..] => utf16(true, 2),
        // No BOM but a UTF-16 `<` first: XML 1.0 appendix F autodetection.
        [b'<', 0, ..] => utf16(false, 0),
        [0, b'<', ..] => utf16(true, 0),
        _ => utf8(bytes),
    }
}

/// [`decode`] of bytes the caller no longer needs: UTF-8 becomes the text in place, checked
/// once, instead of being checked and then copied (a large policy's copy was hundreds of fresh
/// pages).
pub fn decode_owned(mut bytes: Vec<u8>) -> Result<String, XmlError> {
    // The byte-order marks and UTF-16 detection of `decode`, in its order.
    let bom = match bytes.as_slice() {
        [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] | [b'<', 0, ..] | [0, b'<', ..] => {
            return decode(&bytes).map(Cow::into_owned);
        }
        _ => 0,
    };
    bytes.drain(..bom);
    String::from_utf8(bytes).map_err(|e| match utf8(e.as_bytes()) {
        Err(error) => error,
        // `from_utf8` refused these bytes, so `utf8` does too.
        Ok(_) => XmlError::at_byte(e.utf8_error().valid_up_to(), "the document is not valid UTF-8"),
    })
}

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        // `good` is valid UTF-8 by construction.
        let idx = LineIndex::new(std::str::from_utf8(good).unwrap_or_default());
        let span = idx.span(good.len());
        let declared = declared_encoding(bytes);
        let hint = if bytes.len() > 1 && bytes.iter().skip(1).step_by(2).take(64).all(|b| *b == 0) {
            " (this looks like UTF-16 without a byte-order mark; save it as UTF-8 or UTF-16 with a BOM)".to_string()
        } else if let Some(enc) = declared.filter(|e| !e.eq_ignore_ascii_case("utf-8")) {
            format!(" (it declares encoding=\"{enc}\"; only UTF-8 and UTF-16 are read: save it as UTF-8)")
        } else {
            String::new()
        };
        XmlError::new(span, format!("the document is not valid UTF-8{hint}"))
    })
}

/// The `encoding` of the XML declaration, when there is one at the start.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    let decl_end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..decl_end]).ok()?.strip_prefix("<?xml")?;
    let at = decl.find("encoding")? + "encoding".len();
    let rest = decl[at..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// A byte-order mark is the encoding's signature, read and dropped with it; a second one (an
/// editor that added its own) is a character before the document, where XML allows none.
/// quick-xml would skip it silently and count every position after it short.
pub(super) fn check_start(text: &str) -> Result<(), XmlError> {
    if text.starts_with('\u{FEFF}') {
        return Err(XmlError::at_byte(
            0,
            "the document starts with a second byte-order mark (U+FEFF): nothing may come before \
             the XML declaration or the root element; save the file with one byte-order mark or none",
        ));
    }
    Ok(())
}

/// XML 1.0 allows no control character but tab, LF and CR (§2.2): a NUL or an ESC is not text,
/// whatever a lenient parser makes of it.
pub(super) fn check_chars(text: &str) -> Result<(), XmlError> {
    let bad = |b: &u8| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r');
    // Whole chunks are tested without an early exit, which the compiler turns into vector code
    // (a byte-at-a-time search was a millisecond of a large policy); only a chunk with a bad
    // byte is searched for it.
    const CHUNK: usize = 64;
    let clean = |chunk: &[u8]| !chunk.iter().fold(false, |found, b| found | bad(b));
    let first_bad = text
        .as_bytes()
        .chunks(CHUNK)
        .enumerate()
        .find(|(_, chunk)| !clean(chunk))
        .and_then(|(i, chunk)| chunk.iter().position(bad).map(|at| i * CHUNK + at));
    match first_bad {
        None => Ok(()),
        Some(at) => Err(XmlError::new(
            LineIndex::new(text).span(at),
            format!("control character U+{:04X} is not allowed in XML", text.as_bytes()[at]),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_owned_agrees_with_decode() {
        let utf16le: Vec<u8> = "<a/>".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let inputs: [&[u8]; 8] = [
            b"<a/>",
            b"\xEF\xBB\xBF<a/>",
            b"\xEF\xBB\xBF\xFF\xFE<",
            b"<a>\xC3</a>",
            b"<?xml version=\"1.0\" encoding=\"latin1\"?><a>\xE9</a>",
            b"\xFF\xFE<\x00",
            b"",
            &utf16le,
        ];
        for bytes in inputs {
            let owned = decode_owned(bytes.to_vec());
            assert_eq!(owned, decode(bytes).map(Cow::into_owned), "{bytes:?}");
        }
    }

    #[test]
    fn a_second_byte_order_mark_is_refused_where_it_is() {
        const DOC: &str = "<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\"/>";
        let twice = [b"\xEF\xBB\xBF\xEF\xBB\xBF", DOC.as_bytes()].concat();
        let e = super::super::parse(&decode(&twice).unwrap()).unwrap_err();
        assert_eq!((e.span.offset, e.span.line, e.span.column), (0, 1, 1));
        assert!(e.message.contains("second byte-order mark"), "{}", e.message);
        assert!(crate::xml::looks_like_xml(&twice));
        // One mark, decoded away, is the usual case.
        let once = [b"\xEF\xBB\xBF", DOC.as_bytes()].concat();
        assert!(super::super::parse(&decode(&once).unwrap()).is_ok());
    }

    #[test]
    fn control_characters_are_found_in_any_chunk() {
        for at in [0, 1, 63, 64, 65, 127, 128, 200] {
            let mut text = "x".repeat(at);
            text.push('\u{1b}');
            text.push_str("\t\r\n y");
            let e = check_chars(&text).unwrap_err();
            assert_eq!(e.span.offset, at);
            assert!(e.message.contains("U+001B"));
            assert!(check_chars(&text.replace('\u{1b}', " ")).is_ok());
        }
    }

    #[test]
    fn decodes_utf16_with_bom() {
        let s = "<SiPolicy/>";
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).unwrap(), s);
        let mut be = vec![0xFE, 0xFF];
        be.extend(s.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode(&be).unwrap(), s);
    }
}
