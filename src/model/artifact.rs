//! `<ArtifactRules>` (newest schema only; no Microsoft binary uses them yet).

use super::{HexBytes, Id, Version};

/// `ArtifactRule/@ArtifactType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ArtifactType {
    /// `CIM`.
    Cim,
    /// `Catalog`.
    Catalog,
}

/// `ArtifactRule/@Action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ArtifactAction {
    /// `Deny`.
    Deny,
    /// `Allow`.
    Allow,
}

/// Digest algorithm of `ArtifactHash/Hash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ArtifactHashAlg {
    /// `<sha256>`.
    Sha256,
    /// `<sha384>`.
    Sha384,
    /// `<sha512>`.
    Sha512,
}

impl ArtifactHashAlg {
    /// Element name.
    pub fn element(self) -> &'static str {
        match self {
            ArtifactHashAlg::Sha256 => "sha256",
            ArtifactHashAlg::Sha384 => "sha384",
            ArtifactHashAlg::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            ArtifactHashAlg::Sha256 => 32,
            ArtifactHashAlg::Sha384 => 48,
            ArtifactHashAlg::Sha512 => 64,
        }
    }
}

/// `<ArtifactRule>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ArtifactRule {
    /// `ID`.
    pub id: Id,
    /// `ArtifactType`.
    pub artifact_type: ArtifactType,
    /// `Action`.
    pub action: ArtifactAction,
    /// `FriendlyName`.
    pub friendly_name: Option<String>,
    /// `ArtifactName`.
    pub artifact_name: Option<String>,
    /// `ArtifactDescription`.
    pub artifact_description: Option<String>,
    /// `MinimumVersion` (schema default 0.0.0.0).
    pub minimum_version: Option<Version>,
    /// `MaximumVersion` (schema default 65535.65535.65535.65535).
    pub maximum_version: Option<Version>,
    /// `ArtifactHash/Hash`.
    pub hash: Option<(ArtifactHashAlg, HexBytes)>,
}
