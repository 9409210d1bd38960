//! The facts of one file: kind, the hashes WDAC rules use, version resource, signatures.

use super::digest::{self, DigestAlg, MultiHasher};
use super::pe::authenticode::{authenticode_plan, first_page_plan};
use super::pe::version::{VersionInfo, read_version};
use super::pe::{ImageMode, PeHeaders, classify, imports::read_imports, signature_blobs};
use super::sig::{self, SignatureFacts};
use super::{msi, script};
use crate::model::HexBytes;

/// What kind of file this is, by content (PE, OLE) and then by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// PE executable.
    Exe,
    /// PE DLL (IMAGE_FILE_DLL set).
    Dll,
    /// PE driver (`.sys`, or a kernel-mode image).
    Sys,
    /// PowerShell script.
    Ps1,
    /// PowerShell module.
    Psm1,
    /// PowerShell data file.
    Psd1,
    /// Windows Installer package.
    Msi,
    /// Windows Installer patch.
    Msp,
    /// Windows Installer transform.
    Mst,
    /// Anything else (flat hash only; not enforced by WDAC).
    Other,
}

impl FileKind {
    /// True for PE images.
    pub fn is_pe(self) -> bool {
        matches!(self, FileKind::Exe | FileKind::Dll | FileKind::Sys)
    }

    /// True for the kinds WDAC enforces and a scan turns into rules.
    pub fn is_enforced(self) -> bool {
        self != FileKind::Other
    }
}

/// How `sha1`/`sha256` were computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HashMethod {
    /// Authenticode PE image hash.
    Authenticode,
    /// The image does not conform to the Authenticode layout: flat file hash, as wintrust's
    /// non-conformant fallback does.
    FlatFallback,
    /// PowerShell SIP digest.
    PowershellSip,
    /// MSI SIP digest.
    MsiSip,
    /// Flat file hash (no SIP).
    Flat,
}

/// PE header facts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PeFacts {
    /// `IMAGE_FILE_HEADER.Machine`.
    pub machine: u16,
    /// True for PE32+.
    pub pe32_plus: bool,
    /// `Subsystem`.
    pub subsystem: u16,
    /// `Characteristics`.
    pub characteristics: u16,
    /// `SizeOfHeaders`.
    pub size_of_headers: u32,
    /// Imported DLL names, in descriptor order.
    pub imports: Vec<String>,
    /// Kernel/user classification.
    pub mode: ImageMode,
}

/// Everything a scan learns about one file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileFacts {
    /// Display path (what friendly names and FilePath rules use).
    pub path: String,
    /// File size in bytes.
    pub size: u64,
    /// File kind.
    pub kind: FileKind,
    /// How `sha1`/`sha256` were computed.
    pub hash_method: HashMethod,
    /// SHA-1 of the file as WDAC hashes it (Authenticode, SIP, or flat).
    pub sha1: HexBytes,
    /// SHA-256 of the file as WDAC hashes it.
    pub sha256: HexBytes,
    /// First-page SHA-1 (PE only).
    pub page_sha1: Option<HexBytes>,
    /// First-page SHA-256 (PE only).
    pub page_sha256: Option<HexBytes>,
    /// Flat SHA-256 of the whole file, when asked for.
    pub flat_sha256: Option<HexBytes>,
    /// PE header facts.
    pub pe: Option<PeFacts>,
    /// Version resource.
    pub version: Option<VersionInfo>,
    /// Embedded signatures, nested ones included, in file order.
    pub signatures: Vec<SignatureFacts>,
    /// Problems that did not stop the file from being hashed.
    pub problems: Vec<String>,
}

impl FileFacts {
    /// The file name part of the display path.
    pub fn file_name(&self) -> &str {
        self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path)
    }

    /// Which mode the file runs in (scripts and installers are user mode).
    pub fn mode(&self) -> ImageMode {
        self.pe.as_ref().map_or(ImageMode::User, |p| p.mode)
    }

    /// Signatures that can back signer rules.
    pub fn usable_signatures(&self) -> impl Iterator<Item = &SignatureFacts> {
        self.signatures.iter().filter(|s| s.usable())
    }
}

/// Options for [`facts_from_bytes`].
#[derive(Clone, Copy, Debug, Default)]
pub struct FactOptions {
    /// Also compute the flat SHA-256 of the whole file (one more pass).
    pub flat_sha256: bool,
}

fn ext_lower(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

fn kind_from_ext(ext: &str) -> Option<FileKind> {
    Some(match ext {
        "ps1" => FileKind::Ps1,
        "psm1" => FileKind::Psm1,
        "psd1" => FileKind::Psd1,
        "msi" => FileKind::Msi,
        "msp" => FileKind::Msp,
        "mst" => FileKind::Mst,
        _ => return None,
    })
}

struct Hashed {
    method: HashMethod,
    sha1: Vec<u8>,
    sha256: Vec<u8>,
}

fn flat(bytes: &[u8], method: HashMethod) -> Hashed {
    let mut h = MultiHasher::new(&[DigestAlg::Sha1, DigestAlg::Sha256]);
    h.update(bytes);
    let mut d = h.finish();
    Hashed {
        method,
        sha256: d.pop().unwrap_or_default(),
        sha1: d.pop().unwrap_or_default(),
    }
}

/// Collects the facts of one file held in memory. Never fails: what cannot be read is recorded
/// in `problems` and the hashes fall back as WDAC's do.
pub fn facts_from_bytes(path: &str, bytes: &[u8], opts: FactOptions) -> FileFacts {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let ext = ext_lower(name);
    let mut f = FileFacts {
        path: path.to_string(),
        size: bytes.len() as u64,
        kind: FileKind::Other,
        hash_method: HashMethod::Flat,
        sha1: HexBytes::default(),
        sha256: HexBytes::default(),
        page_sha1: None,
        page_sha256: None,
        flat_sha256: opts
            .flat_sha256
            .then(|| HexBytes(digest::digest(DigestAlg::Sha256, bytes))),
        pe: None,
        version: None,
        signatures: Vec::new(),
        problems: Vec::new(),
    };
    let hashed = if bytes.starts_with(b"MZ") {
        pe_facts(&mut f, name, &ext, bytes)
    } else if bytes.starts_with(&msi::OLE_MAGIC) && matches!(ext.as_str(), "msi" | "msp" | "mst") {
        f.kind = kind_from_ext(&ext).unwrap_or(FileKind::Other);
        msi_facts(&mut f, bytes)
    } else if matches!(ext.as_str(), "ps1" | "psm1" | "psd1") {
        f.kind = kind_from_ext(&ext).unwrap_or(FileKind::Other);
        script_facts(&mut f, bytes)
    } else {
        flat(bytes, HashMethod::Flat)
    };
    f.hash_method = hashed.method;
    f.sha1 = HexBytes(hashed.sha1);
    f.sha256 = HexBytes(hashed.sha256);
    f
}

/// Checks each signature's embedded digest against `recompute(alg)`.
fn check_digests(sigs: &mut [SignatureFacts], mut recompute: impl FnMut(DigestAlg) -> Option<Vec<u8>>) {
    for s in sigs {
        let Some(alg) = s.digest_alg else { continue };
        let ok = recompute(alg).is_some_and(|d| d == s.embedded_digest.0);
        s.digest_matches = Some(ok);
        if !ok {
            s.problems
                .push("embedded file digest does not match the file (modified after signing?)".to_string());
        }
    }
}

fn read_blob(f: &mut FileFacts, blob: &[u8], index: usize, where_: &str) {
    match sig::read_signatures(blob, vec![index]) {
        Ok(mut v) => f.signatures.append(&mut v),
        Err(e) => {
            f.problems.push(format!("{where_}: {e}"));
            f.signatures.push(sig::broken(vec![index], e));
        }
    }
}

fn pe_facts(f: &mut FileFacts, name: &str, ext: &str, bytes: &[u8]) -> Hashed {
    f.kind = match ext {
        "sys" => FileKind::Sys,
        "dll" => FileKind::Dll,
        _ => FileKind::Exe,
    };
    let h = match PeHeaders::parse(bytes) {
        Ok(h) => h,
        Err(e) => {
            f.problems.push(format!("malformed PE ({e}); flat hash used"));
            return flat(bytes, HashMethod::FlatFallback);
        }
    };
    let imports = read_imports(bytes, &h).unwrap_or_else(|e| {
        f.problems.push(format!("import table unreadable: {e}"));
        Vec::new()
    });
    let mode = classify(name, &imports);
    if ext != "sys" && ext != "dll" {
        f.kind = if mode == ImageMode::Kernel {
            FileKind::Sys
        } else if h.characteristics & super::pe::headers::CHARACTERISTICS_DLL != 0 {
            FileKind::Dll
        } else {
            FileKind::Exe
        };
    }
    f.pe = Some(PeFacts {
        machine: h.machine,
        pe32_plus: h.is_pe32_plus(),
        subsystem: h.subsystem,
        characteristics: h.characteristics,
        size_of_headers: h.size_of_headers,
        imports,
        mode,
    });
    match read_version(bytes, &h) {
        Ok(v) => f.version = v,
        Err(e) => f.problems.push(format!("version resource unreadable: {e}")),
    }
    let plan = match authenticode_plan(bytes, &h) {
        Ok(p) => p,
        Err(e) => {
            f.problems
                .push(format!("image does not conform to Authenticode ({e}); flat hash used"));
            let hashed = flat(bytes, HashMethod::FlatFallback);
            if let Ok(blobs) = signature_blobs(bytes, &h) {
                for (i, (_, blob)) in blobs.iter().enumerate() {
                    read_blob(f, blob, i, "signature");
                }
            }
            check_digests(&mut f.signatures, |_| None);
            return hashed;
        }
    };
    let mut d = plan.digest(bytes, &[DigestAlg::Sha1, DigestAlg::Sha256]);
    let hashed = Hashed {
        method: HashMethod::Authenticode,
        sha256: d.pop().unwrap_or_default(),
        sha1: d.pop().unwrap_or_default(),
    };
    if let Ok(page) = first_page_plan(bytes, &h) {
        let mut p = page.digest(bytes, &[DigestAlg::Sha1, DigestAlg::Sha256]);
        f.page_sha256 = p.pop().map(HexBytes);
        f.page_sha1 = p.pop().map(HexBytes);
    }
    match signature_blobs(bytes, &h) {
        Ok(blobs) => {
            for (i, (off, blob)) in blobs.iter().enumerate() {
                read_blob(f, blob, i, &format!("signature at byte 0x{off:X}"));
            }
        }
        Err(e) => f.problems.push(format!("certificate table unreadable: {e}")),
    }
    let (s1, s256) = (hashed.sha1.clone(), hashed.sha256.clone());
    check_digests(&mut f.signatures, |alg| match alg {
        DigestAlg::Sha1 => Some(s1.clone()),
        DigestAlg::Sha256 => Some(s256.clone()),
        other => plan.digest(bytes, &[other]).pop(),
    });
    for s in &mut f.signatures {
        let Some(ph) = &s.page_hash else { continue };
        let ours = match ph.alg {
            DigestAlg::Sha1 => &f.page_sha1,
            _ => &f.page_sha256,
        };
        if ours.as_ref() != Some(&ph.first_page) {
            s.problems
                .push("embedded page-hash entry 0 differs from the first-page hash".to_string());
        }
    }
    hashed
}

fn script_facts(f: &mut FileFacts, bytes: &[u8]) -> Hashed {
    let s = script::split(bytes);
    let hashed = flat(&s.hashed, HashMethod::PowershellSip);
    match s.signature {
        Some(Ok(der)) => read_blob(f, &der, 0, "signature block"),
        Some(Err(e)) => {
            f.problems.push(format!("signature block: {e}"));
            f.signatures.push(sig::broken(vec![0], e));
        }
        None => {}
    }
    let (s1, s256) = (hashed.sha1.clone(), hashed.sha256.clone());
    check_digests(&mut f.signatures, |alg| match alg {
        DigestAlg::Sha1 => Some(s1.clone()),
        DigestAlg::Sha256 => Some(s256.clone()),
        other => Some(digest::digest(other, &s.hashed)),
    });
    hashed
}

fn msi_facts(f: &mut FileFacts, bytes: &[u8]) -> Hashed {
    let m = match msi::read(bytes, &[DigestAlg::Sha1, DigestAlg::Sha256]) {
        Ok(m) => m,
        Err(e) => {
            f.problems
                .push(format!("compound file unreadable ({e}); flat hash used"));
            return flat(bytes, HashMethod::Flat);
        }
    };
    let mut d = m.digests;
    let hashed = Hashed {
        method: HashMethod::MsiSip,
        sha256: d.pop().unwrap_or_default(),
        sha1: d.pop().unwrap_or_default(),
    };
    if let Some(der) = m.signature {
        read_blob(f, &der, 0, "DigitalSignature stream");
    }
    let (s1, s256) = (hashed.sha1.clone(), hashed.sha256.clone());
    check_digests(&mut f.signatures, |alg| match alg {
        DigestAlg::Sha1 => Some(s1.clone()),
        DigestAlg::Sha256 => Some(s256.clone()),
        other => msi::read(bytes, &[other]).ok().and_then(|mut m| m.digests.pop()),
    });
    hashed
}
