//! MSI / MSP / MST SIP digest (rule-levels.md §2.2): the `cfb` crate reads the OLE compound file;
//! the digest covers every stream's content, children sorted by the raw UTF-16LE bytes of their
//! names, each storage followed by its CLSID, skipping the signature streams at the root. When
//! `\x05MsiDigitalSignatureEx` is present, the digest input starts with a "pre-hash": the digest
//! of every entry's metadata (name, CLSID, size, state bits, times) in the same order, as
//! osslsigncode and signify compute it.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use super::digest::{DigestAlg, MultiHasher};

/// OLE compound file magic.
pub const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const DIGITAL_SIGNATURE: &str = "\u{5}DigitalSignature";
const DIGITAL_SIGNATURE_EX: &str = "\u{5}MsiDigitalSignatureEx";
/// Storages nested deeper than this are refused.
const MAX_DEPTH: u32 = 32;

/// What an MSI holds for hashing.
pub struct Msi {
    /// SIP digests, in the order of the algorithms asked for.
    pub digests: Vec<Vec<u8>>,
    /// The `\x05DigitalSignature` stream (PKCS#7), when present.
    pub signature: Option<Vec<u8>>,
    /// True when `\x05MsiDigitalSignatureEx` is present (the digests then include the pre-hash).
    pub has_signature_ex: bool,
}

fn sort_key(name: &str) -> Vec<u8> {
    // osslsigncode compares min(lenA, lenB) bytes including the terminating NUL, which is the
    // same as comparing the NUL-terminated byte strings.
    name.encode_utf16()
        .chain(std::iter::once(0))
        .flat_map(u16::to_le_bytes)
        .collect()
}

type Cfb<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

fn hash_storage(cf: &mut Cfb<'_>, path: &Path, root: bool, h: &mut MultiHasher, depth: u32) -> std::io::Result<()> {
    if depth > MAX_DEPTH {
        return Err(std::io::Error::other("storages nested too deeply"));
    }
    let mut children: Vec<(Vec<u8>, PathBuf, bool)> = cf
        .read_storage(path)?
        .filter(|e| !(root && (e.name() == DIGITAL_SIGNATURE || e.name() == DIGITAL_SIGNATURE_EX)))
        .map(|e| (sort_key(e.name()), e.path().to_path_buf(), e.is_stream()))
        .collect();
    children.sort();
    let mut buf = vec![0u8; 64 * 1024];
    for (_, child, is_stream) in children {
        if is_stream {
            let mut s = cf.open_stream(&child)?;
            loop {
                let n = s.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
        } else {
            hash_storage(cf, &child, false, h, depth + 1)?;
        }
    }
    let clsid = *cf.entry(path)?.clsid();
    h.update(&clsid.to_bytes_le());
    Ok(())
}

/// FILETIME (100 ns since 1601) of a time cfb converted to `SystemTime`; exact on 64-bit hosts.
fn filetime(t: std::time::SystemTime) -> u64 {
    const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH_FILETIME.saturating_add((d.as_nanos() / 100) as u64),
        Err(e) => UNIX_EPOCH_FILETIME.saturating_sub((e.duration().as_nanos() / 100) as u64),
    }
}

fn prehash_entry(e: &cfb::Entry, h: &mut MultiHasher) {
    if !e.is_root() {
        h.update(&e.name().encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>());
    }
    if e.is_root() || e.is_storage() {
        h.update(&e.clsid().to_bytes_le());
    }
    if e.is_stream() {
        h.update(&(e.len() as u32).to_le_bytes());
    }
    h.update(&e.state_bits().to_le_bytes());
    if !e.is_root() {
        h.update(&filetime(e.created()).to_le_bytes());
        h.update(&filetime(e.modified()).to_le_bytes());
    }
}

fn prehash_storage(cf: &Cfb<'_>, path: &Path, h: &mut MultiHasher, depth: u32) -> std::io::Result<()> {
    if depth > MAX_DEPTH {
        return Err(std::io::Error::other("storages nested too deeply"));
    }
    prehash_entry(&cf.entry(path)?, h);
    let mut children: Vec<(Vec<u8>, cfb::Entry)> = cf
        .read_storage(path)?
        .filter(|e| e.name() != DIGITAL_SIGNATURE && e.name() != DIGITAL_SIGNATURE_EX)
        .map(|e| (sort_key(e.name()), e))
        .collect();
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, e) in children {
        if e.is_storage() {
            prehash_storage(cf, e.path(), h, depth + 1)?;
        } else {
            prehash_entry(&e, h);
        }
    }
    Ok(())
}

/// Reads an MSI-family file and computes its SIP digests with each algorithm in `algs`.
pub fn read(bytes: &[u8], algs: &[DigestAlg]) -> std::io::Result<Msi> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))?;
    let root = Path::new("/");
    let has_signature_ex = cf.is_stream(root.join(DIGITAL_SIGNATURE_EX));
    let mut h = MultiHasher::new(algs);
    if has_signature_ex {
        let mut pre = MultiHasher::new(algs);
        prehash_storage(&cf, root, &mut pre, 0)?;
        for (i, d) in pre.finish().iter().enumerate() {
            h.update_one(i, d);
        }
    }
    hash_storage(&mut cf, root, true, &mut h, 0)?;
    let signature = if cf.is_stream(Path::new("/").join(DIGITAL_SIGNATURE)) {
        let mut s = cf.open_stream(Path::new("/").join(DIGITAL_SIGNATURE))?;
        let mut v = Vec::new();
        // The stream length is bounded by the file, which is already in memory.
        s.read_to_end(&mut v)?;
        Some(v)
    } else {
        None
    };
    Ok(Msi {
        digests: h.finish(),
        signature,
        has_signature_ex,
    })
}
