//! The RT_VERSION resource (VS_VERSIONINFO): fixed FILEVERSION and the string tables
//! (rule-levels.md §4).
//!
//! Hand-written: the node walk is small, and it must bound every length by its parent and by the
//! file (wValueLength is known to be wrong in some linkers' output), which the PE crates either do
//! not parse or do not do leniently.

use super::headers::PeHeaders;
use crate::model::Version;
use crate::scan::bytes::{FormatError, slice, u16_at, u32_at};

/// `RT_VERSION`.
const RT_VERSION: u32 = 16;
/// `VS_FIXEDFILEINFO.dwSignature`.
const FIXED_SIGNATURE: u32 = 0xFEEF_04BD;
/// Never read more directory entries than this from one resource directory.
const MAX_DIR_ENTRIES: u64 = 4096;

/// One `StringTable` (`StringFileInfo/LLLLCCCC`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StringTable {
    /// The table key as stored: language and code page as 8 hex digits (`040904b0`).
    pub key: String,
    /// Strings in file order (first wins when a key repeats).
    pub strings: Vec<(String, String)>,
}

impl StringTable {
    /// The value for `key` (case-insensitive), trimmed; `None` when absent or blank.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// What the version resource says.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    /// Resource name (ID) the data came from.
    pub resource_id: u32,
    /// Resource language the data came from.
    pub language: u32,
    /// Fixed binary FILEVERSION (what WDAC compares `MinimumFileVersion` with).
    pub file_version: Option<Version>,
    /// Fixed binary PRODUCTVERSION.
    pub product_version: Option<Version>,
    /// `VarFileInfo/Translation` pairs (language, code page).
    pub translations: Vec<(u16, u16)>,
    /// Every string table, in file order.
    pub string_tables: Vec<StringTable>,
}

impl VersionInfo {
    /// The string for `key` chosen as `VerQueryValue`-based readers do: the first translation's
    /// table, then that language with code page 04E4, then with 04B0, then the first table.
    pub fn string(&self, key: &str) -> Option<&str> {
        let mut order: Vec<&StringTable> = Vec::new();
        if let Some(&(lang, cp)) = self.translations.first() {
            for cp in [cp, 0x04E4, 0x04B0] {
                let want = format!("{lang:04x}{cp:04x}");
                if let Some(t) = self.string_tables.iter().find(|t| t.key.eq_ignore_ascii_case(&want)) {
                    order.push(t);
                }
            }
        }
        order.extend(self.string_tables.first());
        order.into_iter().find_map(|t| t.get(key))
    }

    /// The table with this key (case-insensitive).
    pub fn table(&self, key: &str) -> Option<&StringTable> {
        self.string_tables.iter().find(|t| t.key.eq_ignore_ascii_case(key))
    }
}

struct DirEntry {
    id: Option<u32>,
    is_dir: bool,
    target: u32,
}

fn read_dir(buf: &[u8], h: &PeHeaders, base: u32, off: u32) -> Result<Vec<DirEntry>, FormatError> {
    let rva = base
        .checked_add(off)
        .ok_or_else(|| FormatError::new(0, "resource directory", "RVA overflow"))?;
    let at = h
        .rva_to_offset(rva, 16)
        .ok_or_else(|| FormatError::new(u64::from(rva), "IMAGE_RESOURCE_DIRECTORY", "RVA is not in the file"))?;
    let named = u64::from(u16_at(buf, at + 12, "IMAGE_RESOURCE_DIRECTORY")?);
    let ids = u64::from(u16_at(buf, at + 14, "IMAGE_RESOURCE_DIRECTORY")?);
    let n = (named + ids).min(MAX_DIR_ENTRIES);
    let entries = slice(buf, at + 16, n * 8, "IMAGE_RESOURCE_DIRECTORY_ENTRY array")?;
    Ok(entries
        .chunks_exact(8)
        .map(|e| {
            let name = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            let target = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
            DirEntry {
                id: (name & 0x8000_0000 == 0).then_some(name),
                is_dir: target & 0x8000_0000 != 0,
                target: target & 0x7FFF_FFFF,
            }
        })
        .collect())
}

/// Finds and parses the version resource. `Ok(None)` when the image has none.
pub fn read_version(buf: &[u8], h: &PeHeaders) -> Result<Option<VersionInfo>, FormatError> {
    let Some(dir) = h.data_dir(2) else { return Ok(None) };
    let base = dir.address;
    let types = read_dir(buf, h, base, 0)?;
    let Some(t) = types.iter().find(|e| e.id == Some(RT_VERSION) && e.is_dir) else {
        return Ok(None);
    };
    let names = read_dir(buf, h, base, t.target)?;
    let Some(name) = names
        .iter()
        .filter(|e| e.is_dir)
        .find(|e| e.id == Some(1))
        .or_else(|| names.iter().find(|e| e.is_dir))
    else {
        return Ok(None);
    };
    let langs = read_dir(buf, h, base, name.target)?;
    // The language-neutral copy when there are several (FILE_VER_GET_NEUTRAL), else the first.
    let Some(lang) = langs
        .iter()
        .filter(|e| !e.is_dir)
        .find(|e| e.id == Some(0))
        .or_else(|| langs.iter().find(|e| !e.is_dir))
    else {
        return Ok(None);
    };
    let entry_rva = base
        .checked_add(lang.target)
        .ok_or_else(|| FormatError::new(0, "IMAGE_RESOURCE_DATA_ENTRY", "RVA overflow"))?;
    let entry = h.rva_to_offset(entry_rva, 16).ok_or_else(|| {
        FormatError::new(
            u64::from(entry_rva),
            "IMAGE_RESOURCE_DATA_ENTRY",
            "RVA is not in the file",
        )
    })?;
    let data_rva = u32_at(buf, entry, "IMAGE_RESOURCE_DATA_ENTRY")?;
    let size = u32_at(buf, entry + 4, "IMAGE_RESOURCE_DATA_ENTRY")?;
    let data_off = h.rva_to_offset(data_rva, size).ok_or_else(|| {
        FormatError::new(
            entry,
            "IMAGE_RESOURCE_DATA_ENTRY",
            "version data is not inside one section",
        )
    })?;
    let data = slice(buf, data_off, u64::from(size), "VS_VERSIONINFO")?;
    let mut info = parse_version_block(data)
        .map_err(|(pos, problem)| FormatError::new(data_off + pos as u64, "VS_VERSIONINFO", problem))?;
    info.resource_id = name.id.unwrap_or(0);
    info.language = lang.id.unwrap_or(0);
    Ok(Some(info))
}

struct Node<'a> {
    key: String,
    value: &'a [u8],
    /// Offset of the first child and of the node end, relative to the block.
    children: (usize, usize),
    /// Offset of the value, relative to the block.
    value_start: usize,
}

fn align4(v: usize) -> usize {
    v.saturating_add(3) & !3
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// UTF-16LE text from `start` up to the first NUL or `end`; returns the text and the offset just
/// past the NUL (or `end`).
fn utf16z(b: &[u8], start: usize, end: usize) -> (String, usize) {
    let mut units = Vec::new();
    let mut p = start;
    while p + 2 <= end {
        let u = u16::from_le_bytes([b[p], b[p + 1]]);
        p += 2;
        if u == 0 {
            break;
        }
        units.push(u);
    }
    (String::from_utf16_lossy(&units), p)
}

/// One node at `pos`, bounded by `limit`; `None` when no node fits there.
fn node(b: &[u8], pos: usize, limit: usize) -> Option<(Node<'_>, usize)> {
    let len = usize::from(le16(b, pos)?);
    if len < 6 || pos + 6 > limit {
        return None;
    }
    let end = (pos + len).min(limit);
    let value_len = usize::from(le16(b, pos + 2)?);
    let wtype = le16(b, pos + 4)?;
    let (key, after_key) = utf16z(b, pos + 6, end);
    let value_start = align4(after_key).min(end);
    let value_bytes = if wtype == 1 { value_len * 2 } else { value_len };
    let value_end = (value_start + value_bytes).min(end);
    let node = Node {
        key,
        value: &b[value_start..value_end],
        children: (align4(value_end).min(end), end),
        value_start,
    };
    Some((node, align4(pos + len)))
}

/// The nodes between `start` and `end`.
fn children(b: &[u8], (start, end): (usize, usize)) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut pos = start;
    while let Some((n, next)) = node(b, pos, end) {
        out.push(n);
        pos = next;
    }
    out
}

fn fixed_version(ms: u32, ls: u32) -> Version {
    Version([(ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16])
}

/// Parses a VS_VERSIONINFO block. Errors carry the offset in the block.
pub fn parse_version_block(b: &[u8]) -> Result<VersionInfo, (usize, String)> {
    let (root, _) = node(b, 0, b.len()).ok_or((0, "no root node".to_string()))?;
    if root.key != "VS_VERSION_INFO" {
        return Err((6, format!("root key is `{}`, not VS_VERSION_INFO", root.key)));
    }
    let mut info = VersionInfo::default();
    if root.value.len() >= 24 {
        let u = |o: usize| u32::from_le_bytes([root.value[o], root.value[o + 1], root.value[o + 2], root.value[o + 3]]);
        if u(0) == FIXED_SIGNATURE {
            info.file_version = Some(fixed_version(u(8), u(12)));
            info.product_version = Some(fixed_version(u(16), u(20)));
        } else {
            return Err((root.value_start, "VS_FIXEDFILEINFO signature is not 0xFEEF04BD".into()));
        }
    }
    for child in children(b, root.children) {
        match child.key.as_str() {
            "StringFileInfo" => {
                for table in children(b, child.children) {
                    let mut t = StringTable {
                        key: table.key.clone(),
                        strings: Vec::new(),
                    };
                    for s in children(b, table.children) {
                        // Text up to the NUL or the node end: wValueLength is unreliable.
                        let (value, _) = utf16z(b, s.value_start, s.children.1);
                        if !t.strings.iter().any(|(k, _)| *k == s.key) {
                            t.strings.push((s.key, value));
                        }
                    }
                    info.string_tables.push(t);
                }
            }
            "VarFileInfo" => {
                for var in children(b, child.children) {
                    if var.key == "Translation" {
                        info.translations.extend(
                            var.value
                                .chunks_exact(4)
                                .map(|c| (u16::from_le_bytes([c[0], c[1]]), u16::from_le_bytes([c[2], c[3]]))),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(key: &str, strings: &[(&str, &str)]) -> StringTable {
        StringTable {
            key: key.to_string(),
            strings: strings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn string_choice_follows_translation_then_04e4_04b0_then_first() {
        // rule-levels.md §4.1.
        let v = VersionInfo {
            translations: vec![(0x0409, 0x0000)],
            string_tables: vec![
                table("040704b0", &[("OriginalFilename", "first.exe"), ("ProductName", "P")]),
                table("040904B0", &[("OriginalFilename", "b0.exe"), ("InternalName", "  ")]),
                table("040904e4", &[("OriginalFilename", "e4.exe")]),
                table("04090000", &[("FileDescription", "exact")]),
            ],
            ..VersionInfo::default()
        };
        assert_eq!(v.string("FileDescription"), Some("exact"));
        assert_eq!(v.string("originalfilename"), Some("e4.exe"));
        assert_eq!(v.string("ProductName"), Some("P"));
        // Blank values are absent.
        assert_eq!(v.string("InternalName"), None);
        let no_translation = VersionInfo {
            string_tables: vec![table("000004b0", &[("OriginalFilename", " drv.sys ")])],
            ..VersionInfo::default()
        };
        assert_eq!(no_translation.string("OriginalFilename"), Some("drv.sys"));
    }

    #[test]
    fn hostile_version_blocks_are_bounded() {
        assert!(parse_version_block(&[]).is_err());
        // wLength claims more than there is; children claim less than a header.
        let mut b = vec![0xFF, 0xFF, 0, 0, 0, 0];
        b.extend("VS_VERSION_INFO\0".encode_utf16().flat_map(u16::to_le_bytes));
        b.extend([2, 0, 0, 0]);
        let v = parse_version_block(&b).unwrap();
        assert!(v.file_version.is_none() && v.string_tables.is_empty());
    }
}
