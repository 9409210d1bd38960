//! PE images: headers, Authenticode and first-page plans, version resource, imports, embedded
//! signatures.

pub mod authenticode;
pub mod headers;
pub mod imports;
pub mod version;

use crate::scan::bytes::{FormatError, align_up, slice, u16_at, u32_at};
pub use headers::PeHeaders;

/// `WIN_CERT_TYPE_PKCS_SIGNED_DATA`.
const WIN_CERT_TYPE_PKCS_SIGNED_DATA: u16 = 2;
/// Never read more WIN_CERTIFICATE records than this.
const MAX_CERT_RECORDS: usize = 64;

/// Which mode an image can load in (rule-levels.md §5.1, AppControl Manager's heuristic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageMode {
    /// Loads only in user mode.
    User,
    /// A driver or kernel-mode DLL.
    Kernel,
    /// Cannot tell: goes to both scenarios.
    Unknown,
}

/// DLLs whose import marks an image as user mode.
const USER_DLLS: &[&str] = &[
    "kernel32.dll",
    "kernelbase.dll",
    "mscoree.dll",
    "ntdll.dll",
    "user32.dll",
];
/// DLLs whose import marks an image as kernel mode.
const KERNEL_DLLS: &[&str] = &["ntoskrnl.exe", "hal.dll", "ci.dll", "ksecdd.sys", "fltmgr.sys"];

/// Classifies an image from its file name and imports: `.sys` is kernel; any import of a core
/// user-mode DLL (or an API set) is user; an import of the kernel or HAL (or any `.sys`) is kernel;
/// no imports is user; anything else is unknown.
pub fn classify(file_name: &str, imports: &[String]) -> ImageMode {
    if file_name.to_ascii_lowercase().ends_with(".sys") {
        return ImageMode::Kernel;
    }
    let lower: Vec<String> = imports.iter().map(|s| s.to_ascii_lowercase()).collect();
    if lower.is_empty()
        || lower
            .iter()
            .any(|d| USER_DLLS.contains(&d.as_str()) || d.starts_with("api-ms-win-") || d.starts_with("ext-ms-"))
    {
        return ImageMode::User;
    }
    if lower
        .iter()
        .any(|d| KERNEL_DLLS.contains(&d.as_str()) || d.ends_with(".sys"))
    {
        return ImageMode::Kernel;
    }
    ImageMode::Unknown
}

/// The PKCS#7 blobs of every `WIN_CERTIFICATE` of type 2 in the certificate table, with the file
/// offset of each.
pub fn signature_blobs<'a>(buf: &'a [u8], h: &PeHeaders) -> Result<Vec<(u64, &'a [u8])>, FormatError> {
    let Some(ct) = h.cert_table() else {
        return Ok(Vec::new());
    };
    let start = u64::from(ct.address);
    let table = slice(buf, start, u64::from(ct.size), "certificate table")?;
    let end = start + table.len() as u64;
    let mut out = Vec::new();
    let mut pos = start;
    while pos + 8 <= end && out.len() < MAX_CERT_RECORDS {
        let len = u64::from(u32_at(buf, pos, "WIN_CERTIFICATE.dwLength")?);
        let kind = u16_at(buf, pos + 6, "WIN_CERTIFICATE.wCertificateType")?;
        if len < 8 || pos + len > end {
            return Err(FormatError::new(
                pos,
                "WIN_CERTIFICATE",
                format!("dwLength {len} does not fit in the certificate table"),
            ));
        }
        if kind == WIN_CERT_TYPE_PKCS_SIGNED_DATA {
            out.push((pos + 8, &buf[(pos + 8) as usize..(pos + len) as usize]));
        }
        pos = align_up(pos + len, 8);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn kernel_user_classification() {
        // rule-levels.md §5.1.
        assert_eq!(classify("x.SYS", &[]), ImageMode::Kernel);
        assert_eq!(classify("a.exe", &[]), ImageMode::User);
        assert_eq!(classify("a.exe", &v(&["KERNEL32.dll"])), ImageMode::User);
        assert_eq!(classify("smss.exe", &v(&["ntdll.dll"])), ImageMode::User);
        assert_eq!(classify("k.dll", &v(&["HAL.dll", "ntoskrnl.exe"])), ImageMode::Kernel);
        assert_eq!(classify("k.dll", &v(&["PCIIDEX.SYS"])), ImageMode::Kernel);
        assert_eq!(
            classify("a.dll", &v(&["api-ms-win-crt-runtime-l1-1-0.dll"])),
            ImageMode::User
        );
        assert_eq!(classify("a.dll", &v(&["vcruntime140.dll"])), ImageMode::Unknown);
    }
}
