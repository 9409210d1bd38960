//! A minimal DER TLV walker for the few Microsoft-specific Authenticode structures
//! (SpcSpOpusInfo, SpcPeImageData's page-hash moniker) whose CHOICEs of implicitly tagged strings
//! and serialized-object octet strings are simpler to read leniently by hand than through derived
//! `der` types. Standard CMS and X.509 structures go through the `cms`/`x509-cert` crates.

/// One TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet (single-byte tags only).
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
    /// Bytes used by the whole TLV.
    pub len: usize,
}

impl Tlv<'_> {
    /// True for a constructed encoding.
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }
}

/// Reads one TLV with a definite length at the start of `b`.
pub fn tlv(b: &[u8]) -> Option<Tlv<'_>> {
    let tag = *b.first()?;
    if tag & 0x1F == 0x1F {
        return None;
    }
    let l0 = *b.get(1)?;
    let (len, hdr) = if l0 < 0x80 {
        (usize::from(l0), 2)
    } else {
        let n = usize::from(l0 & 0x7F);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    let content = b.get(hdr..end)?;
    Some(Tlv { tag, content, len: end })
}

/// Every TLV in `b`, one after another; stops at the first malformed one.
pub fn items(mut b: &[u8]) -> Vec<Tlv<'_>> {
    let mut out = Vec::new();
    while let Some(t) = tlv(b) {
        out.push(t);
        b = &b[t.len..];
    }
    out
}

/// Decodes an SpcString (`[0] IMPLICIT BMPString` or `[1] IMPLICIT IA5String`), also accepting
/// the constructed forms some signers emit.
pub fn spc_string(t: &Tlv<'_>) -> Option<String> {
    let inner = if t.constructed() {
        match items(t.content).first() {
            Some(i) => i.content,
            None => return None,
        }
    } else {
        t.content
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
        if t.tag == 0x06 && t.content == oid {
            return list.get(i + 1).copied();
        }
        let nested = t.constructed() || (t.tag == 0x04 && tlv(t.content).is_some());
        if nested && let Some(found) = find_after_oid(t.content, oid, depth - 1) {
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
        assert_eq!(tlv(&[0x04, 0x02, 1, 2]).unwrap().content, &[1, 2]);
        assert!(tlv(&[0x04, 0x03, 1, 2]).is_none());
        assert!(tlv(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_none());
        let long = [0x30, 0x81, 0x01, 0x05];
        assert_eq!(tlv(&long).unwrap().len, 4);
        let s = tlv(&[0x80, 0x04, 0, b'h', 0, b'i']).unwrap();
        assert_eq!(spc_string(&s).as_deref(), Some("hi"));
    }
}
