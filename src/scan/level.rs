//! Rule levels and file-name attribute levels, with the names New-CIPolicy uses.

use std::fmt;
use std::str::FromStr;

/// A `-Level` / `-Fallback` value (rule-levels.md §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Level {
    /// Authenticode (or SIP) hashes, plus first-page hashes for PE images.
    Hash,
    /// The file's name attribute (OriginalFileName by default) and minimum version.
    FileName,
    /// The file's path (user mode only).
    FilePath,
    /// Issuing CA + publisher + minimum version for any file name.
    SignedVersion,
    /// Issuing CA + publisher (leaf CN).
    Publisher,
    /// Issuing CA + publisher + file name + minimum version.
    FilePublisher,
    /// The signing (leaf) certificate.
    LeafCertificate,
    /// The leaf's issuing CA.
    PcaCertificate,
    /// The top certificate of the chain.
    RootCertificate,
    /// Issuing CA + the WHQL EKU.
    Whql,
    /// WHQL + the OEM name (opus program name).
    WhqlPublisher,
    /// WHQLPublisher + file name + minimum version.
    WhqlFilePublisher,
    /// Package family name (packaged apps only; never applies to a folder scan).
    Pfn,
    /// No rule.
    None,
}

impl Level {
    /// Every level, in the order New-CIPolicy documents them.
    pub const ALL: &'static [Level] = &[
        Level::Hash,
        Level::FileName,
        Level::FilePath,
        Level::SignedVersion,
        Level::Publisher,
        Level::FilePublisher,
        Level::LeafCertificate,
        Level::PcaCertificate,
        Level::RootCertificate,
        Level::Whql,
        Level::WhqlPublisher,
        Level::WhqlFilePublisher,
        Level::Pfn,
        Level::None,
    ];

    /// The PowerShell name (`FilePublisher`, `WHQL`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Hash => "Hash",
            Level::FileName => "FileName",
            Level::FilePath => "FilePath",
            Level::SignedVersion => "SignedVersion",
            Level::Publisher => "Publisher",
            Level::FilePublisher => "FilePublisher",
            Level::LeafCertificate => "LeafCertificate",
            Level::PcaCertificate => "PcaCertificate",
            Level::RootCertificate => "RootCertificate",
            Level::Whql => "WHQL",
            Level::WhqlPublisher => "WHQLPublisher",
            Level::WhqlFilePublisher => "WHQLFilePublisher",
            Level::Pfn => "PFN",
            Level::None => "None",
        }
    }

    /// True for levels that produce signers.
    pub fn is_signer(self) -> bool {
        matches!(
            self,
            Level::SignedVersion
                | Level::Publisher
                | Level::FilePublisher
                | Level::LeafCertificate
                | Level::PcaCertificate
                | Level::RootCertificate
                | Level::Whql
                | Level::WhqlPublisher
                | Level::WhqlFilePublisher
        )
    }

    /// True for signer levels whose signers carry FileAttribRefs (`ID_SIGNER_F_…`).
    pub fn has_file_attribs(self) -> bool {
        matches!(
            self,
            Level::SignedVersion | Level::FilePublisher | Level::WhqlFilePublisher
        )
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The level name was not recognised.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown level `{0}` (expected one of: {list})", list = Level::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", "))]
pub struct LevelError(pub String);

impl FromStr for Level {
    type Err = LevelError;

    /// Case-insensitive, as PowerShell parameter values are.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .iter()
            .copied()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| LevelError(s.to_string()))
    }
}

/// `-SpecificFileNameLevel`: which version-resource string names a file (rule-levels.md §4.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum NameLevel {
    /// `OriginalFilename` → `FileName` attribute.
    #[default]
    OriginalFileName,
    /// `InternalName`.
    InternalName,
    /// `FileDescription`.
    FileDescription,
    /// `ProductName`.
    ProductName,
    /// Package family name (packaged apps; never found by a folder scan).
    PackageFamilyName,
    /// The file path (`FilePath` attribute).
    FilePath,
}

impl NameLevel {
    /// Every name level.
    pub const ALL: &'static [NameLevel] = &[
        NameLevel::OriginalFileName,
        NameLevel::InternalName,
        NameLevel::FileDescription,
        NameLevel::ProductName,
        NameLevel::PackageFamilyName,
        NameLevel::FilePath,
    ];

    /// The PowerShell name.
    pub fn as_str(self) -> &'static str {
        match self {
            NameLevel::OriginalFileName => "OriginalFileName",
            NameLevel::InternalName => "InternalName",
            NameLevel::FileDescription => "FileDescription",
            NameLevel::ProductName => "ProductName",
            NameLevel::PackageFamilyName => "PackageFamilyName",
            NameLevel::FilePath => "FilePath",
        }
    }

    /// The version-resource string key it reads, if any.
    pub fn resource_key(self) -> Option<&'static str> {
        match self {
            NameLevel::OriginalFileName => Some("OriginalFilename"),
            NameLevel::InternalName => Some("InternalName"),
            NameLevel::FileDescription => Some("FileDescription"),
            NameLevel::ProductName => Some("ProductName"),
            NameLevel::PackageFamilyName | NameLevel::FilePath => None,
        }
    }
}

impl FromStr for NameLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NameLevel::ALL
            .iter()
            .copied()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown file name level `{s}` (expected one of: {})",
                    NameLevel::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")
                )
            })
    }
}
