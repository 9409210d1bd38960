//! A bounded DER walker that keeps byte offsets and the original bytes of every element. Shared
//! by policy signing (strict DER) and the Authenticode scanner (lenient: signers in the wild
//! emit non-minimal lengths).
//!
//! Hand-written on purpose: the `cms` crate decodes into owned types and re-sorts every
//! `SET OF` while decoding, so the exact bytes that a signature covers (the signed attributes as
//! the signer wrote them) and the offsets our errors report are lost; a few Microsoft-specific
//! Authenticode structures are also simpler to read leniently than through derived types. This
//! walker only splits tag-length-value triples; the leaves (OIDs, names, algorithm identifiers)
//! are decoded with `der`/`x509-cert`, and certificates with `x509-parser`.

/// A malformed element: where, in which structure, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {offset}: {detail}")]
pub struct DerError {
    /// Offset of the element in the whole input.
    pub offset: usize,
    /// The structure being read.
    pub what: &'static str,
    /// What is wrong.
    pub detail: String,
}

/// Universal tags used by CMS.
pub const INTEGER: u8 = 0x02;
/// `OCTET STRING`.
pub const OCTET_STRING: u8 = 0x04;
/// `OBJECT IDENTIFIER`.
pub const OID: u8 = 0x06;
/// `SEQUENCE` (constructed).
pub const SEQUENCE: u8 = 0x30;
/// `SET` (constructed).
pub const SET: u8 = 0x31;
/// `[0]` constructed.
pub const CTX0: u8 = 0xA0;
/// `[1]` constructed.
pub const CTX1: u8 = 0xA1;

/// One element: its tag, where it starts in the whole input, its full encoding and its value.
#[derive(Clone, Copy, Debug)]
pub struct Tlv<'a> {
    /// The identifier octet (only low-tag-number form is accepted).
    pub tag: u8,
    /// Offset of the identifier octet in the whole input.
    pub offset: usize,
    /// Tag, length and value.
    pub raw: &'a [u8],
    /// The value octets.
    pub value: &'a [u8],
    lenient: bool,
}

impl<'a> Tlv<'a> {
    /// Offset of the first value octet in the whole input.
    pub fn value_offset(&self) -> usize {
        self.offset + (self.raw.len() - self.value.len())
    }

    /// A reader over the children of this (constructed) element.
    pub fn children(&self) -> Reader<'a> {
        Reader {
            buf: self.value,
            pos: 0,
            base: self.value_offset(),
            lenient: self.lenient,
        }
    }

    /// True for a constructed encoding.
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// Fails unless the tag is `tag`; `what` names the structure for the message.
    pub fn expect(self, tag: u8, what: &'static str) -> Result<Self, DerError> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(DerError {
                offset: self.offset,
                what,
                detail: format!("expected tag 0x{tag:02X}, found 0x{:02X}", self.tag),
            })
        }
    }
}

/// Sequential reader over a run of elements.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
    lenient: bool,
}

impl<'a> Reader<'a> {
    /// A reader over a whole input (offset 0).
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
            lenient: false,
        }
    }

    /// A reader that also accepts non-minimal length encodings (still definite lengths only).
    pub fn lenient(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
            lenient: true,
        }
    }

    /// True when every element has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Absolute offset of the next element.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// The tag of the next element, without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Reads the next element; `what` names it for errors.
    pub fn next(&mut self, what: &'static str) -> Result<Tlv<'a>, DerError> {
        let start = self.pos;
        let offset = self.offset();
        let err = |detail: String| DerError { offset, what, detail };
        let rest = &self.buf[start..];
        let (&tag, after_tag) = rest
            .split_first()
            .ok_or_else(|| err("input ends where an element should start".into()))?;
        if tag & 0x1F == 0x1F {
            return Err(err(format!("high tag numbers are not used by CMS (tag 0x{tag:02X})")));
        }
        let (&first, after_len0) = after_tag
            .split_first()
            .ok_or_else(|| err("input ends inside a length".into()))?;
        let (len, len_octets) = if first < 0x80 {
            (usize::from(first), 1)
        } else if first == 0x80 {
            return Err(err("indefinite length (BER) is not DER".into()));
        } else {
            let n = usize::from(first & 0x7F);
            if n > 4 {
                return Err(err(format!("a {n}-octet length is larger than any input")));
            }
            let bytes = after_len0
                .get(..n)
                .ok_or_else(|| err("input ends inside a length".into()))?;
            if !self.lenient && (bytes[0] == 0 || (n == 1 && bytes[0] < 0x80)) {
                return Err(err("length not in minimal DER form".into()));
            }
            (bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), 1 + n)
        };
        let header = 1 + len_octets;
        let available = rest.len() - header;
        if len > available {
            return Err(err(format!(
                "length {len} runs past the end of its container ({available} bytes left)"
            )));
        }
        let raw = &rest[..header + len];
        self.pos = start + header + len;
        Ok(Tlv {
            tag,
            offset,
            raw,
            value: &raw[header..],
            lenient: self.lenient,
        })
    }

    /// Reads the next element and checks its tag.
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, DerError> {
        self.next(what)?.expect(tag, what)
    }

    /// Fails when elements are left over.
    pub fn finish(&self, what: &'static str) -> Result<(), DerError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DerError {
                offset: self.offset(),
                what,
                detail: format!("{} unexpected trailing bytes", self.buf.len() - self.pos),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements_with_offsets() {
        let data = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xAA];
        let mut r = Reader::new(&data);
        let seq = r.expect(SEQUENCE, "outer").unwrap();
        assert!(r.is_empty());
        let mut c = seq.children();
        let int = c.expect(INTEGER, "int").unwrap();
        assert_eq!((int.offset, int.value), (2, &[5u8][..]));
        let os = c.expect(OCTET_STRING, "os").unwrap();
        assert_eq!((os.offset, os.value_offset()), (5, 7));
        c.finish("outer").unwrap();
    }

    #[test]
    fn rejects_hostile_lengths() {
        for bad in [
            &[0x30, 0x80, 0x00, 0x00][..],
            &[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF],
            &[0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            &[0x30, 0x05, 0x00],
            &[0x30, 0x81, 0x05, 0, 0, 0, 0, 0],
            &[0x30],
            &[0x1F, 0x01, 0x00],
        ] {
            assert!(Reader::new(bad).next("x").is_err(), "{bad:02X?}");
        }
    }
}
