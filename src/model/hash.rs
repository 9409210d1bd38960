//! Byte strings written as hexBinary: hashes, TBS values, EKU values, Binary settings.

use std::fmt;
use std::str::FromStr;

/// Raw bytes that the XML writes as upper-case hex.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HexBytes(pub Vec<u8>);

/// The text was not valid hexBinary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// Odd number of hex digits.
    #[error("hex value has an odd number of digits ({0})")]
    OddLength(usize),
    /// A character that is not a hex digit.
    #[error("`{ch}` at position {pos} is not a hex digit")]
    BadDigit {
        /// The offending character.
        ch: char,
        /// 1-based character position in the value.
        pos: usize,
    },
}

impl HexBytes {
    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Upper-case hex text.
    pub fn to_hex(&self) -> String {
        const_hex::encode_upper(&self.0)
    }
}

impl FromStr for HexBytes {
    type Err = HexError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The common case, an even number of hex digits, is decoded into a vector of the exact
        // size by const-hex's vector code (decoding a digit at a time, through a match, was a
        // thirtieth of reading a large policy). const-hex takes a `0x` prefix off, but
        // then fewer bytes come out than `out` holds, which it refuses. Anything else takes the
        // checks below, which word the errors.
        if s.len().is_multiple_of(2) {
            let mut out = vec![0; s.len() / 2];
            if const_hex::decode_to_slice(s, &mut out).is_ok() {
                return Ok(HexBytes(out));
            }
        }
        // The byte scan is the common path; the character walk only finds the culprit.
        if !s.bytes().all(|b| b.is_ascii_hexdigit())
            && let Some((pos, ch)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_hexdigit())
        {
            return Err(HexError::BadDigit { ch, pos: pos + 1 });
        }
        // Only hex digits remain, so the length is odd (an even one was decoded above).
        Err(HexError::OddLength(s.len()))
    }
}

impl fmt::Display for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl From<Vec<u8>> for HexBytes {
    fn from(v: Vec<u8>) -> Self {
        HexBytes(v)
    }
}

impl serde::Serialize for HexBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_byte_as_hex_does() {
        let bytes: Vec<u8> = (0..=255).collect();
        for text in [
            const_hex::encode(&bytes),
            const_hex::encode_upper(&bytes),
            String::new(),
        ] {
            assert_eq!(text.parse::<HexBytes>().unwrap().0, const_hex::decode(&text).unwrap());
        }
        // A `0x` prefix is not hexBinary.
        for text in ["0x00", "0X00", "0x", "0xAB12"] {
            assert!(text.parse::<HexBytes>().is_err(), "{text}");
        }
        // Every byte in either position of a pair is refused unless it is a hex digit.
        for b in 0..=255u8 {
            for text in [vec![b, b'0'], vec![b'0', b], vec![b, b'0', b'0']] {
                let Ok(text) = String::from_utf8(text) else { continue };
                let ok = text.len() == 2 && (b as char).is_ascii_hexdigit();
                assert_eq!(text.parse::<HexBytes>().is_ok(), ok, "{text:?}");
            }
        }
    }

    #[test]
    fn round_trip_and_errors() {
        let h: HexBytes = "0aFf".parse().unwrap();
        assert_eq!(h.0, vec![0x0a, 0xff]);
        assert_eq!(h.to_string(), "0AFF");
        assert_eq!("abc".parse::<HexBytes>(), Err(HexError::OddLength(3)));
        assert_eq!("0g".parse::<HexBytes>(), Err(HexError::BadDigit { ch: 'g', pos: 2 }));
        assert!("".parse::<HexBytes>().unwrap().is_empty());
    }
}
