//! Names a spec uses for fixed things: well-known roots, scenarios, scan levels.

#[cfg(test)]
use crate::model::roots::WELL_KNOWN_ROOTS;
use crate::model::roots::well_known_root;

/// Spec names of the well-known roots (`root = "…"`), by `CertRoot Type="Wellknown"` ID. The
/// names are the project's own short forms of the certificate subjects in
/// [`crate::model::roots::WELL_KNOWN_ROOTS`] (year added where Microsoft has several roots of the
/// same name).
pub const ROOT_NAMES: &[(&str, u8)] = &[
    ("microsoft-authenticode-root", 0x03),
    ("microsoft-product-root-1997", 0x04),
    ("microsoft-product-root-2001", 0x05),
    ("microsoft-product-root-2010", 0x06),
    ("microsoft-standard-root-2011", 0x07),
    ("microsoft-code-verification-root-2006", 0x08),
    ("microsoft-test-root-1999", 0x09),
    ("microsoft-test-root-2010", 0x0A),
    ("microsoft-dmd-test-root", 0x0B),
    ("microsoft-dmd-root-2005", 0x0C),
    ("microsoft-dmd-preview-root-2005", 0x0D),
    ("microsoft-flight-root-2014", 0x0E),
    ("microsoft-third-party-marketplace-root", 0x0F),
    ("microsoft-ecc-testing-root-2017", 0x10),
    ("microsoft-ecc-development-root-2018", 0x11),
    ("microsoft-ecc-product-root-2018", 0x12),
    ("microsoft-ecc-devices-root-2017", 0x13),
    ("authroot-stl", 0x14),
    ("microsoft-oem-root-2017", 0x15),
    ("microsoft-identity-verification-root-2020", 0x16),
];

/// The well-known root ID for a spec name.
pub fn root_by_name(name: &str) -> Option<u8> {
    ROOT_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, id)| *id)
}

/// The spec name of a well-known root ID.
pub fn root_name(id: u8) -> Option<&'static str> {
    ROOT_NAMES.iter().find(|(_, i)| *i == id).map(|(n, _)| *n)
}

/// The Signer `Name` a well-known root gets when the spec gives none: the template name
/// Microsoft uses when there is one, else the certificate subject.
pub fn root_display_name(id: u8) -> String {
    well_known_root(id)
        .map(|r| r.template_name.unwrap_or(r.name).to_string())
        .unwrap_or_else(|| format!("Well-known root {id:02X}"))
}

/// True when every well-known root in the model has a spec name and vice versa.
#[cfg(test)]
fn roots_complete() -> bool {
    WELL_KNOWN_ROOTS.len() == ROOT_NAMES.len() && WELL_KNOWN_ROOTS.iter().all(|r| root_name(r.id).is_some())
}

/// Scan levels (`level = "…"`, `fallback = [...]`): New-CIPolicy's `-Level` names.
pub const SCAN_LEVELS: &[&str] = &[
    "Hash",
    "FileName",
    "FilePath",
    "SignedVersion",
    "Publisher",
    "FilePublisher",
    "LeafCertificate",
    "PcaCertificate",
    "RootCertificate",
    "WHQL",
    "WHQLPublisher",
    "WHQLFilePublisher",
    "PFN",
];

/// The canonical spelling of a scan level (case-insensitive, `-`/`_` ignored).
pub fn scan_level(name: &str) -> Option<&'static str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let want = norm(name);
    SCAN_LEVELS.iter().copied().find(|l| norm(l) == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_root_named_once() {
        assert!(roots_complete());
        let mut names: Vec<_> = ROOT_NAMES.iter().map(|(n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ROOT_NAMES.len());
        assert_eq!(root_by_name("Microsoft-Product-Root-2010"), Some(0x06));
        assert_eq!(scan_level("file-publisher"), Some("FilePublisher"));
        assert_eq!(scan_level("whql_file_publisher"), Some("WHQLFilePublisher"));
    }
}
