//! .NET `OrdinalIgnoreCase` folding (cip-format.md §7.2): every UTF-16 code unit is mapped
//! through the simple upper-case mapping, and strings compare by the mapped code units.
//!
//! Nearly every name in a policy is ASCII, so ASCII strings take a byte path (for ASCII, UTF-8
//! bytes and UTF-16 code units are the same numbers, so the order is the same); everything else
//! goes through [`upper_unit`], which computes the mapping per code unit when it is needed rather
//! than building a 65,536-entry table in every process.

use std::cmp::Ordering;

/// Simple upper-case mapping of one UTF-16 code unit, as .NET's `OrdinalIgnoreCase` does:
/// surrogates map to themselves, and a character whose upper case is not one BMP character
/// (Rust only offers the full mapping: `ß` → `SS`, ligatures) keeps its own value, which is the
/// simple mapping in nearly every case.
#[inline]
pub fn upper_unit(u: u16) -> u16 {
    if u < 0x80 {
        u16::from((u as u8).to_ascii_uppercase())
    } else {
        upper_non_ascii(u)
    }
}

// Out of line: rare, and `to_uppercase` is a table search that should not bloat the ASCII loops.
#[inline(never)]
fn upper_non_ascii(u: u16) -> u16 {
    let Some(c) = char::from_u32(u32::from(u)) else {
        return u;
    };
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(x), None) if (x as u32) <= 0xFFFF => x as u32 as u16,
        _ => u,
    }
}

/// Appends the folded UTF-16 code units of `s` to `out`.
fn fold_into(s: &str, out: &mut Vec<u16>) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| u16::from(b.to_ascii_uppercase())));
    } else {
        out.extend(s.encode_utf16().map(upper_unit));
    }
}

/// A string prepared for ordinal ignore-case comparison: its UTF-16 code units, upper-cased.
pub fn fold(s: &str) -> Vec<u16> {
    let mut v = Vec::with_capacity(s.len());
    fold_into(s, &mut v);
    v
}

/// Ordinal ignore-case comparison with upper-case folding (§7.2), without allocating.
pub fn compare_ignore_case(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|x| x.to_ascii_uppercase())
            .cmp(b.bytes().map(|x| x.to_ascii_uppercase()))
    } else {
        a.encode_utf16().map(upper_unit).cmp(b.encode_utf16().map(upper_unit))
    }
}
