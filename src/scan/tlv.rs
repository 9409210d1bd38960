//! Lenient reading of the few Microsoft-specific Authenticode structures (SpcSpOpusInfo,
//! SpcPeImageData's page-hash moniker) whose CHOICEs of implicitly tagged strings and
//! serialized-object octet strings are simpler to read by hand (over [`crate::der`]) than through
//! derived `der` types. Standard CMS and X.509 structures go through the `cms`/`x509-cert` crates.

pub use crate::der::Tlv;

/// Reads one TLV with a definite length at the start of `b` (lenient about length encodings).
pub fn tlv(b: &[u8]) -> Option<Tlv<'_>> {
    crate::der::Reader::lenient(b).next("Authenticode element").ok()
}

/// Every TLV in `b`, one after another; stops at the first malformed one.
pub fn items(b: &[u8]) -> Vec<Tlv<'_>> {
    let mut r = crate::der::Reader::lenient(b);
    let mut out = Vec::new();
    while let Ok(t) = r.next("Authenticode element") {
        out.push(t);
    }
    out
}

/// Decodes an SpcString (`[0] IMPLICIT BMPString` or `[1] IMPLICIT IA5String`), also accepting
/// the constructed forms some signers emit.
pub fn spc_string(t: &Tlv<'_>) -> Option<String> {
    let inner = if t.constructed() {
        match items(t.value).first() {
            Some(i) => i.value,
            None => return None,
        }
    } else {
        t.value
    };
    match t.tag & 0x1F {
        0 => {
            let units: Vec<u16> = inner
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        1 => Some(String::from_utf8_lossy(inner).into_owned()),
        _ => None,
    }
}

/// Depth-first search for an OBJECT IDENTIFIER with content `oid` and returns the TLV right after
/// it in the same constructed value. OCTET STRINGs that hold DER are searched too.
pub fn find_after_oid<'a>(b: &'a [u8], oid: &[u8], depth: u32) -> Option<Tlv<'a>> {
    if depth == 0 {
        return None;
    }
    let list = items(b);
    for (i, t) in list.iter().enumerate() {
        if t.tag == 0x06 && t.value == oid {
            return list.get(i + 1).copied();
        }
        let nested = t.constructed() || (t.tag == 0x04 && tlv(t.value).is_some());
        if nested && let Some(found) = find_after_oid(t.value, oid, depth - 1) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lengths_and_rejects_truncation() {
        assert_eq!(tlv(&[0x04, 0x02, 1, 2]).unwrap().value, &[1, 2]);
        assert!(tlv(&[0x04, 0x03, 1, 2]).is_none());
        assert!(tlv(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_none());
        let long = [0x30, 0x81, 0x01, 0x05];
        assert_eq!(tlv(&long).unwrap().raw.len(), 4);
        let s = tlv(&[0x80, 0x04, 0, b'h', 0, b'i']).unwrap();
        assert_eq!(spc_string(&s).as_deref(), Some("hi"));
    }
}
