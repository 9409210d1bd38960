//! Bounded little-endian reads over a file held in memory. Every read checks the range against the
//! buffer and reports where it failed, so hostile offsets become errors, not panics.

use std::fmt;

/// A structure in a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct FormatError {
    /// Byte offset in the file where the problem lies.
    pub offset: u64,
    /// The structure being read (`"IMAGE_NT_HEADERS"`, `"section table"`, …).
    pub structure: &'static str,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte 0x{:X}: {}", self.structure, self.offset, self.problem)
    }
}

impl FormatError {
    /// A new error.
    pub fn new(offset: u64, structure: &'static str, problem: impl Into<String>) -> Self {
        FormatError {
            offset,
            structure,
            problem: problem.into(),
        }
    }
}

/// The bytes `[off, off + len)` of `buf`, or an error naming `structure`.
pub fn slice<'a>(buf: &'a [u8], off: u64, len: u64, structure: &'static str) -> Result<&'a [u8], FormatError> {
    let end = off.checked_add(len);
    match end {
        Some(end) if end <= buf.len() as u64 => Ok(&buf[off as usize..end as usize]),
        _ => Err(FormatError::new(
            off,
            structure,
            format!("needs {len} bytes but the file has {} bytes", buf.len()),
        )),
    }
}

/// Little-endian u16 at `off`.
pub fn u16_at(buf: &[u8], off: u64, structure: &'static str) -> Result<u16, FormatError> {
    let b = slice(buf, off, 2, structure)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

/// Little-endian u32 at `off`.
pub fn u32_at(buf: &[u8], off: u64, structure: &'static str) -> Result<u32, FormatError> {
    let b = slice(buf, off, 4, structure)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Rounds `v` up to a multiple of `align` (a power of two), saturating.
pub fn align_up(v: u64, align: u64) -> u64 {
    v.checked_add(align - 1).map_or(u64::MAX, |x| x & !(align - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reads() {
        let b = [1u8, 2, 3, 4];
        assert_eq!(u16_at(&b, 2, "t").unwrap(), 0x0403);
        assert!(u32_at(&b, 1, "t").is_err());
        assert!(slice(&b, u64::MAX, 2, "t").is_err());
        assert_eq!(align_up(5, 8), 8);
        assert_eq!(align_up(u64::MAX, 8), u64::MAX);
    }
}
