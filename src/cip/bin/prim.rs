//! Primitive encodings (cip-format.md §2): integers, GUIDs, packed versions, optional strings,
//! blobs and index lists.

use super::super::error::DecodeErrorKind;
use super::super::reader::{ReadResult, Reader, Table};
use super::Codec;
use crate::model::{Guid, Version};

/// Appends a little-endian u32.
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a little-endian u64.
pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a length as u32. Lengths come from in-memory data that the lowering step has already
/// checked against `u32::MAX`.
pub fn put_len(out: &mut Vec<u8>, n: usize) {
    put_u32(out, u32::try_from(n).unwrap_or(u32::MAX));
}

fn pad(out: &mut Vec<u8>, len: usize) {
    out.resize(out.len() + (4 - len % 4) % 4, 0);
}

impl Codec for Guid {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_windows_bytes());
    }

    fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        Ok(Guid::from_windows_bytes(r.bytes16()?))
    }
}

impl Codec for Version {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, self.to_u64());
    }

    fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        Ok(Version::from_u64(r.u64()?))
    }
}

/// An "optional string": u32 byte length, UTF-16LE bytes, zero padding to 4, and a trailing u32
/// that is always 0. The empty string is how an absent value is written, so the binary layer
/// uses `String` with "" meaning absent.
impl Codec for String {
    fn encode(&self, out: &mut Vec<u8>) {
        if self.is_empty() {
            // Most strings of a policy are absent fields: length 0 and the trailer.
            out.extend_from_slice(&[0; 8]);
            return;
        }
        if self.is_ascii() {
            // Nearly every string: each byte is one UTF-16 unit with a zero high byte, so the
            // length is known up front and the units are written into zeroed space in one pass.
            let len = 2 * self.len();
            put_len(out, len);
            let start = out.len();
            out.resize(start + len + (4 - len % 4) % 4 + 4, 0);
            for (unit, &b) in out[start..start + len].chunks_exact_mut(2).zip(self.as_bytes()) {
                unit[0] = b;
            }
            return;
        }
        let start = out.len();
        put_u32(out, 0);
        for unit in self.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        let len = out.len() - start - 4;
        out[start..start + 4].copy_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
        pad(out, len);
        put_u32(out, 0);
    }

    fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        let at = r.offset();
        let len = r.u32()? as usize;
        if !len.is_multiple_of(2) {
            return Err(r.error_at(at, DecodeErrorKind::BadString("odd byte length")));
        }
        let bytes = r.bytes(len)?;
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let s = String::from_utf16(&units)
            .map_err(|_| r.error_at(at + 4, DecodeErrorKind::BadString("unpaired surrogate")))?;
        r.padding(len)?;
        let trailer_at = r.offset();
        if r.u32()? != 0 {
            return Err(r.error_at(trailer_at, DecodeErrorKind::NonZeroPadding));
        }
        Ok(s)
    }
}

/// An upper bound of the encoded size of an optional string (UTF-8 never has fewer bytes than
/// UTF-16 has code units), for sizing the output buffer.
pub fn string_size_bound(s: &str) -> usize {
    4 + 2 * s.len() + 3 + 4
}

/// A "blob": u32 length, the bytes, zero padding to 4 (no trailing word).
impl Codec for Vec<u8> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(out, self.len());
        out.extend_from_slice(self);
        pad(out, self.len());
    }

    fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        let len = r.u32()? as usize;
        let v = r.bytes(len)?.to_vec();
        r.padding(len)?;
        Ok(v)
    }
}

/// Appends a counted index list.
pub fn put_indexes(out: &mut Vec<u8>, v: &[u32]) {
    put_len(out, v.len());
    for &i in v {
        put_u32(out, i);
    }
}

/// Reads a counted list of strings (AppIDs, app setting string sets).
pub fn read_strings(r: &mut Reader<'_>) -> ReadResult<Vec<String>> {
    let n = r.count(8)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(String::read(r)?);
    }
    Ok(v)
}

/// Appends a counted list of strings.
pub fn put_strings(out: &mut Vec<u8>, v: &[String]) {
    put_len(out, v.len());
    for s in v {
        s.encode(out);
    }
}

/// Reads an index list bounded by `table` inside a named field.
pub fn field_indexes(r: &mut Reader<'_>, name: &'static str, table: Table) -> ReadResult<Vec<u32>> {
    r.field(name, |r| r.index_list(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc<T: Codec>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        v.encode(&mut out);
        out
    }

    #[test]
    fn guid_and_version_layouts_from_the_doc() {
        let g: Guid = "{A244370E-44C9-4C06-B551-F6016E563076}".parse().unwrap();
        assert_eq!(
            enc(&g),
            [
                0x0e, 0x37, 0x44, 0xa2, 0xc9, 0x44, 0x06, 0x4c, 0xb5, 0x51, 0xf6, 0x01, 0x6e, 0x56, 0x30, 0x76
            ]
        );
        let v: Version = "10.3.0.1".parse().unwrap();
        assert_eq!(enc(&v), [0x01, 0, 0, 0, 0x03, 0, 0x0a, 0]);
        assert_eq!(Version::read(&mut Reader::new(&enc(&v))).unwrap(), v);
    }

    #[test]
    fn string_layout_from_the_doc() {
        // §12: FileName "*": len 2, "*", 2 bytes pad, trailer 0.
        assert_eq!(enc(&"*".to_string()), [2, 0, 0, 0, 0x2a, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(enc(&String::new()), [0; 8]);
        // "Information" is 22 bytes: 2 pad bytes then the trailer.
        let e = enc(&"Information".to_string());
        assert_eq!(e.len(), 4 + 22 + 2 + 4);
        assert_eq!(String::read(&mut Reader::new(&e)).unwrap(), "Information");
        let cjk = "安全专用".to_string();
        assert_eq!(String::read(&mut Reader::new(&enc(&cjk))).unwrap(), cjk);
    }

    #[test]
    fn string_rejects_garbage() {
        let mut odd = enc(&"ab".to_string());
        odd[0] = 3;
        assert!(String::read(&mut Reader::new(&odd)).is_err());
        let mut trailer = enc(&"a".to_string());
        let n = trailer.len();
        trailer[n - 1] = 1;
        assert_eq!(
            String::read(&mut Reader::new(&trailer)).unwrap_err().kind,
            DecodeErrorKind::NonZeroPadding
        );
        let lone_surrogate = [2, 0, 0, 0, 0x00, 0xD8, 0, 0, 0, 0, 0, 0];
        assert!(String::read(&mut Reader::new(&lone_surrogate)).is_err());
    }

    #[test]
    fn blob_layout() {
        assert_eq!(enc(&vec![1u8, 2, 3]), [3, 0, 0, 0, 1, 2, 3, 0]);
        assert_eq!(enc(&Vec::<u8>::new()), [0, 0, 0, 0]);
        let mut bad = enc(&vec![1u8]);
        bad[6] = 9;
        assert!(Vec::<u8>::read(&mut Reader::new(&bad)).is_err());
    }
}
