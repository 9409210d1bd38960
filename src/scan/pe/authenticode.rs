//! Which bytes of a PE image the Authenticode digest and WDAC's first-page hash cover
//! (rule-levels.md §1.2 and §1.3), and hashing them.
//!
//! Written here because the popular `authenticode` crate omits the zero padding that signers and
//! wintrust apply to images whose length is not a multiple of 8 (§1.2), and no crate computes the
//! first-page hash.

use super::headers::PeHeaders;
use crate::scan::bytes::FormatError;
use crate::scan::digest::{DigestAlg, MultiHasher};

/// WDAC's page size for the first-page hash: 4 KiB on x86, x64 and ARM64 (not SectionAlignment).
pub const PAGE_SIZE: u64 = 4096;

/// The byte ranges of a file that make up a digest, plus trailing zero bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashPlan {
    /// Half-open `[start, end)` file ranges, hashed in this order.
    pub ranges: Vec<(u64, u64)>,
    /// Zero bytes appended after the ranges.
    pub zero_pad: u64,
}

impl HashPlan {
    /// Feeds the planned bytes of `buf` to `hasher`. The plan must come from the same buffer.
    pub fn feed(&self, buf: &[u8], hasher: &mut MultiHasher) {
        for &(a, b) in &self.ranges {
            hasher.update(&buf[a as usize..b as usize]);
        }
        hasher.update_zeros(self.zero_pad);
    }

    /// Digest of the planned bytes with each algorithm in `algs`, in that order.
    pub fn digest(&self, buf: &[u8], algs: &[DigestAlg]) -> Vec<Vec<u8>> {
        let mut h = MultiHasher::new(algs);
        self.feed(buf, &mut h);
        h.finish()
    }
}

/// `[0, end)` minus the CheckSum and Certificate Table entry holes.
fn header_ranges(h: &PeHeaders, end: u64) -> Vec<(u64, u64)> {
    let mut holes = vec![(h.checksum_offset, h.checksum_offset + 4)];
    if let Some(d) = h.cert_dir_offset {
        holes.push((d, d + 8));
    }
    holes.sort_unstable();
    let mut out = Vec::new();
    let mut pos = 0;
    for (a, b) in holes {
        let (a, b) = (a.min(end), b.min(end));
        if a > pos {
            out.push((pos, a));
        }
        pos = pos.max(b);
    }
    if end > pos {
        out.push((pos, end));
    }
    out
}

/// The Authenticode plan in the specification's form: headers minus the two holes, sections with
/// raw data sorted by file offset, the data after them up to the certificate table, and zero
/// padding to a multiple of 8. Errors mean the image does not conform and the caller should use
/// the flat file hash, as `CryptCATAdminCalcHashFromFileHandle3` does with its fallback flag.
pub fn authenticode_plan(buf: &[u8], h: &PeHeaders) -> Result<HashPlan, FormatError> {
    let len = buf.len() as u64;
    let soh = u64::from(h.size_of_headers);
    let last_hole_end = h.cert_dir_offset.map_or(h.checksum_offset + 4, |d| d + 8);
    if soh > len || soh < last_hole_end {
        return Err(FormatError::new(
            h.optional_offset + 60,
            "IMAGE_OPTIONAL_HEADER.SizeOfHeaders",
            format!("0x{soh:X} does not cover the optional header or exceeds the file (0x{len:X} bytes)"),
        ));
    }
    let cert_size = match h.cert_table() {
        Some(ct) => {
            let (off, size) = (u64::from(ct.address), u64::from(ct.size));
            if off < soh || off + size > len {
                return Err(FormatError::new(
                    h.cert_dir_offset.unwrap_or(0),
                    "Certificate Table directory entry",
                    format!("table [0x{off:X}, +0x{size:X}) lies in the headers or past the end of the file"),
                ));
            }
            size
        }
        None => 0,
    };
    let mut ranges = header_ranges(h, soh);
    let mut secs: Vec<_> = h.sections.iter().filter(|s| s.size_of_raw_data != 0).collect();
    secs.sort_by_key(|s| (s.pointer_to_raw_data, s.index));
    let mut sum = soh;
    for s in secs {
        let a = u64::from(s.pointer_to_raw_data);
        let b = a + u64::from(s.size_of_raw_data);
        if b > len {
            return Err(FormatError::new(
                h.optional_offset + h.optional_size + 40 * s.index as u64,
                "IMAGE_SECTION_HEADER",
                format!(
                    "section {} raw data [0x{a:X}, 0x{b:X}) runs past the end of the file",
                    s.index
                ),
            ));
        }
        ranges.push((a, b));
        sum += b - a;
    }
    let end = len - cert_size;
    if end > sum {
        ranges.push((sum, end));
    }
    Ok(HashPlan {
        ranges,
        zero_pad: (8 - end % 8) % 8,
    })
}

/// The first-page plan: `[0, min(SizeOfHeaders, 4096))` minus the two holes, zero-filled to
/// 4096 bytes (entry 0 of a page-hash table).
pub fn first_page_plan(buf: &[u8], h: &PeHeaders) -> Result<HashPlan, FormatError> {
    let soh = u64::from(h.size_of_headers);
    if soh > buf.len() as u64 {
        return Err(FormatError::new(
            h.optional_offset + 60,
            "IMAGE_OPTIONAL_HEADER.SizeOfHeaders",
            "exceeds the file",
        ));
    }
    let end = soh.min(PAGE_SIZE);
    Ok(HashPlan {
        ranges: header_ranges(h, end),
        zero_pad: PAGE_SIZE - end,
    })
}
