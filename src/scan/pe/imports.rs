//! DLL names from the import directory, for the kernel/user-mode decision (rule-levels.md §5.1).

use super::headers::PeHeaders;
use crate::scan::bytes::{FormatError, slice};

/// Never read more import descriptors than this.
const MAX_DESCRIPTORS: u32 = 4096;
/// Longest DLL name read.
const MAX_NAME: u64 = 256;

/// The imported DLL names in descriptor order (as stored, not case-folded).
pub fn read_imports(buf: &[u8], h: &PeHeaders) -> Result<Vec<String>, FormatError> {
    let Some(dir) = h.data_dir(1) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for i in 0..MAX_DESCRIPTORS {
        let rva = dir
            .address
            .checked_add(i * 20)
            .ok_or_else(|| FormatError::new(0, "IMAGE_IMPORT_DESCRIPTOR", "import directory RVA overflows"))?;
        let at = h.rva_to_offset(rva, 20).ok_or_else(|| {
            FormatError::new(
                u64::from(rva),
                "IMAGE_IMPORT_DESCRIPTOR",
                "descriptor RVA is not in the file",
            )
        })?;
        let d = slice(buf, at, 20, "IMAGE_IMPORT_DESCRIPTOR")?;
        if d.iter().all(|&b| b == 0) {
            break;
        }
        let name_rva = u32::from_le_bytes([d[12], d[13], d[14], d[15]]);
        let name_at = h
            .rva_to_offset(name_rva, 1)
            .ok_or_else(|| FormatError::new(at + 12, "IMAGE_IMPORT_DESCRIPTOR.Name", "name RVA is not in the file"))?;
        let avail = (buf.len() as u64).saturating_sub(name_at).min(MAX_NAME);
        let raw = slice(buf, name_at, avail, "import DLL name")?;
        let name = raw.split(|&b| b == 0).next().unwrap_or_default();
        out.push(String::from_utf8_lossy(name).into_owned());
    }
    Ok(out)
}
