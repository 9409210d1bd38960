//! The few PE headers that hashing, the version resource, imports and signatures need.
//!
//! Hand-written rather than taken from goblin/object/pelite: the Authenticode byte ranges need the
//! exact file offsets of the CheckSum field and of the Certificate Table directory entry (which no
//! crate exposes), every failure must carry the byte offset and structure it happened at, and the
//! parser must stay usable on images that a full-featured parser rejects (so the caller can fall
//! back to the flat hash like wintrust does). Only fixed-size headers and one table whose size is
//! checked against the file are read; nothing allocates from a count in the file.

use crate::scan::bytes::{FormatError, slice, u16_at, u32_at};

/// `IMAGE_NT_OPTIONAL_HDR32_MAGIC`.
pub const MAGIC_PE32: u16 = 0x10B;
/// `IMAGE_NT_OPTIONAL_HDR64_MAGIC`.
pub const MAGIC_PE32_PLUS: u16 = 0x20B;
/// `IMAGE_FILE_DLL`.
pub const CHARACTERISTICS_DLL: u16 = 0x2000;

/// One section header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Index in the section table.
    pub index: usize,
    /// Name bytes (NUL-padded).
    pub name: [u8; 8],
    /// `VirtualSize`.
    pub virtual_size: u32,
    /// `VirtualAddress` (RVA).
    pub virtual_address: u32,
    /// `SizeOfRawData`.
    pub size_of_raw_data: u32,
    /// `PointerToRawData`.
    pub pointer_to_raw_data: u32,
}

/// A data directory entry (RVA and size; for the certificate table, a file offset and size).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataDir {
    /// RVA (or file offset for entry 4).
    pub address: u32,
    /// Size in bytes.
    pub size: u32,
}

/// Parsed PE headers with the file offsets hashing needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeHeaders {
    /// `e_lfanew`: offset of the `PE\0\0` signature.
    pub nt_offset: u64,
    /// `IMAGE_FILE_HEADER.Machine`.
    pub machine: u16,
    /// `IMAGE_FILE_HEADER.Characteristics`.
    pub characteristics: u16,
    /// Optional header magic (0x10B PE32, 0x20B PE32+).
    pub magic: u16,
    /// File offset of the optional header.
    pub optional_offset: u64,
    /// `SizeOfOptionalHeader`.
    pub optional_size: u64,
    /// `SizeOfHeaders`.
    pub size_of_headers: u32,
    /// `SectionAlignment`.
    pub section_alignment: u32,
    /// `FileAlignment`.
    pub file_alignment: u32,
    /// `Subsystem` (1 native, 2 GUI, 3 console, …).
    pub subsystem: u16,
    /// File offset of the CheckSum field (excluded from hashes).
    pub checksum_offset: u64,
    /// File offset of data directory entry 4 (Certificate Table), when present in the header.
    pub cert_dir_offset: Option<u64>,
    /// Data directories that fit in the optional header (at most 16).
    pub data_dirs: Vec<DataDir>,
    /// Section headers in table order.
    pub sections: Vec<Section>,
}

const DIR_CERTIFICATE: usize = 4;

impl PeHeaders {
    /// Reads the headers. Fails when the file is not a PE image or a header lies outside it.
    pub fn parse(buf: &[u8]) -> Result<Self, FormatError> {
        let mz = slice(buf, 0, 64, "IMAGE_DOS_HEADER")?;
        if &mz[..2] != b"MZ" {
            return Err(FormatError::new(0, "IMAGE_DOS_HEADER", "no MZ signature"));
        }
        let nt = u64::from(u32_at(buf, 0x3C, "IMAGE_DOS_HEADER.e_lfanew")?);
        if slice(buf, nt, 4, "IMAGE_NT_HEADERS.Signature")? != b"PE\0\0" {
            return Err(FormatError::new(
                nt,
                "IMAGE_NT_HEADERS.Signature",
                "no PE\\0\\0 signature",
            ));
        }
        let fh = nt + 4;
        slice(buf, fh, 20, "IMAGE_FILE_HEADER")?;
        let machine = u16_at(buf, fh, "IMAGE_FILE_HEADER")?;
        let nsections = u64::from(u16_at(buf, fh + 2, "IMAGE_FILE_HEADER")?);
        let optional_size = u64::from(u16_at(buf, fh + 16, "IMAGE_FILE_HEADER")?);
        let characteristics = u16_at(buf, fh + 18, "IMAGE_FILE_HEADER")?;
        let opt = fh + 20;
        let magic = u16_at(buf, opt, "IMAGE_OPTIONAL_HEADER.Magic")?;
        let (nrva_off, dir_off) = match magic {
            MAGIC_PE32 => (92, 96),
            MAGIC_PE32_PLUS => (108, 112),
            other => {
                return Err(FormatError::new(
                    opt,
                    "IMAGE_OPTIONAL_HEADER.Magic",
                    format!("unknown magic 0x{other:X}"),
                ));
            }
        };
        // Subsystem is the last field hashing needs to step over; a shorter header cannot be hashed.
        if optional_size < 70 {
            return Err(FormatError::new(
                fh + 16,
                "IMAGE_FILE_HEADER.SizeOfOptionalHeader",
                format!("{optional_size} bytes is too small for an optional header"),
            ));
        }
        slice(buf, opt, optional_size, "IMAGE_OPTIONAL_HEADER")?;
        let section_alignment = u32_at(buf, opt + 32, "IMAGE_OPTIONAL_HEADER")?;
        let file_alignment = u32_at(buf, opt + 36, "IMAGE_OPTIONAL_HEADER")?;
        let size_of_headers = u32_at(buf, opt + 60, "IMAGE_OPTIONAL_HEADER.SizeOfHeaders")?;
        let subsystem = u16_at(buf, opt + 68, "IMAGE_OPTIONAL_HEADER.Subsystem")?;
        let mut data_dirs = Vec::new();
        let mut cert_dir_offset = None;
        if optional_size >= nrva_off + 4 {
            let nrva = u64::from(u32_at(
                buf,
                opt + nrva_off,
                "IMAGE_OPTIONAL_HEADER.NumberOfRvaAndSizes",
            )?);
            // Only entries that lie inside the optional header count, and never more than 16.
            let fit = optional_size.saturating_sub(dir_off) / 8;
            let n = nrva.min(fit).min(16);
            for i in 0..n {
                let off = opt + dir_off + 8 * i;
                data_dirs.push(DataDir {
                    address: u32_at(buf, off, "IMAGE_DATA_DIRECTORY")?,
                    size: u32_at(buf, off + 4, "IMAGE_DATA_DIRECTORY")?,
                });
            }
            if n > DIR_CERTIFICATE as u64 {
                cert_dir_offset = Some(opt + dir_off + 8 * DIR_CERTIFICATE as u64);
            }
        }
        let table = opt + optional_size;
        let raw = slice(buf, table, nsections * 40, "IMAGE_SECTION_HEADER table")?;
        let sections = raw
            .chunks_exact(40)
            .enumerate()
            .map(|(index, s)| {
                let u = |o: usize| u32::from_le_bytes([s[o], s[o + 1], s[o + 2], s[o + 3]]);
                let mut name = [0u8; 8];
                name.copy_from_slice(&s[..8]);
                Section {
                    index,
                    name,
                    virtual_size: u(8),
                    virtual_address: u(12),
                    size_of_raw_data: u(16),
                    pointer_to_raw_data: u(20),
                }
            })
            .collect();
        Ok(PeHeaders {
            nt_offset: nt,
            machine,
            characteristics,
            magic,
            optional_offset: opt,
            optional_size,
            size_of_headers,
            section_alignment,
            file_alignment,
            subsystem,
            checksum_offset: opt + 64,
            cert_dir_offset,
            data_dirs,
            sections,
        })
    }

    /// Data directory `i`, when present and non-empty.
    pub fn data_dir(&self, i: usize) -> Option<DataDir> {
        self.data_dirs.get(i).copied().filter(|d| d.address != 0 && d.size != 0)
    }

    /// The certificate table as (file offset, size), when the directory entry is set.
    pub fn cert_table(&self) -> Option<DataDir> {
        self.data_dir(DIR_CERTIFICATE)
    }

    /// True for PE32+ images.
    pub fn is_pe32_plus(&self) -> bool {
        self.magic == MAGIC_PE32_PLUS
    }

    /// Maps an RVA to a file offset through the section table (or the headers, which are mapped at
    /// RVA 0), checking that `len` bytes from there stay inside the same section's raw data.
    pub fn rva_to_offset(&self, rva: u32, len: u32) -> Option<u64> {
        let rva = u64::from(rva);
        let len = u64::from(len);
        if rva + len <= u64::from(self.size_of_headers) {
            return Some(rva);
        }
        self.sections.iter().find_map(|s| {
            let va = u64::from(s.virtual_address);
            let raw = u64::from(s.size_of_raw_data);
            (rva >= va && rva - va + len <= raw).then(|| u64::from(s.pointer_to_raw_data) + (rva - va))
        })
    }
}
