//! Artifact rules of section 10 (§5.7, known only from AppControl Manager).

use super::super::error::DecodeErrorKind;
use super::super::reader::{ReadResult, Reader};
use super::Codec;
use super::prim::put_u32;
use crate::model::Version;

/// One artifact rule. Strings use "" for absent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BinArtifactRule {
    /// 0 CIM, 1 Catalog.
    pub artifact_type: u32,
    /// 0 Deny, 1 Allow.
    pub action: u32,
    /// `ArtifactName`.
    pub name: String,
    /// `ArtifactDescription`.
    pub description: String,
    /// `MinimumVersion` (default 0).
    pub minimum_version: Version,
    /// `MaximumVersion` (default all-ones).
    pub maximum_version: Version,
    /// Hash bytes (32, 48 or 64 long, or empty).
    pub hash: Vec<u8>,
}

impl BinArtifactRule {
    /// Smallest encoding.
    pub const MIN_SIZE: usize = 4 + 4 + 8 + 8 + 8 + 8 + 4;
}

fn small_enum(r: &mut Reader<'_>, field: &'static str) -> ReadResult<u32> {
    let at = r.offset();
    match r.u32()? {
        v @ (0 | 1) => Ok(v),
        v => Err(r.error_at(
            at,
            DecodeErrorKind::BadValue {
                field,
                value: v.to_string(),
            },
        )),
    }
}

impl Codec for BinArtifactRule {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.artifact_type);
        put_u32(out, self.action);
        self.name.encode(out);
        self.description.encode(out);
        self.minimum_version.encode(out);
        self.maximum_version.encode(out);
        self.hash.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        let artifact_type = r.field("ArtifactType", |r| small_enum(r, "artifact type (0 CIM, 1 Catalog)"))?;
        let action = r.field("Action", |r| small_enum(r, "artifact action (0 Deny, 1 Allow)"))?;
        let name = r.field("ArtifactName", String::read)?;
        let description = r.field("ArtifactDescription", String::read)?;
        let minimum_version = r.field("MinimumVersion", Version::read)?;
        let maximum_version = r.field("MaximumVersion", Version::read)?;
        let hash = r.field("Hash", |r| {
            let at = r.offset();
            let h = Vec::<u8>::read(r)?;
            if !matches!(h.len(), 0 | 32 | 48 | 64) {
                return Err(r.error_at(
                    at,
                    DecodeErrorKind::NotRepresentable(format!(
                        "artifact hash of {} bytes (only SHA-256/384/512 digests exist)",
                        h.len()
                    )),
                ));
            }
            Ok(h)
        })?;
        Ok(BinArtifactRule {
            artifact_type,
            action,
            name,
            description,
            minimum_version,
            maximum_version,
            hash,
        })
    }
}
