//! Signing scenarios (§4.5) and their section 10 (ArtifactSigners) part.

use super::super::error::DecodeErrorKind;
use super::super::reader::{ReadResult, Reader, Table};
use super::prim::{field_indexes, put_indexes, put_len, put_u32};

/// An AllowedSigner or DeniedSigner: signer index and its exception rule indexes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BinSignerRef {
    /// Signer index.
    pub signer: u32,
    /// ExceptDenyRule (allowed) or ExceptAllowRule (denied) file-rule indexes, document order.
    pub exceptions: Vec<u32>,
}

/// ProductSigners, TestSigners, TestSigningSigners or ArtifactSigners: allowed, denied and the
/// referenced rules (file rules, or artifact rules for ArtifactSigners).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BinSignerGroup {
    /// AllowedSigners.
    pub allowed: Vec<BinSignerRef>,
    /// DeniedSigners.
    pub denied: Vec<BinSignerRef>,
    /// FileRulesRef (or ArtifactRulesRef) indexes, ascending as written.
    pub rules: Vec<u32>,
}

impl BinSignerGroup {
    /// Three zero counts.
    pub const MIN_SIZE: usize = 12;

    /// Encodes the group.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for list in [&self.allowed, &self.denied] {
            put_len(out, list.len());
            for s in list {
                put_u32(out, s.signer);
                put_indexes(out, &s.exceptions);
            }
        }
        put_indexes(out, &self.rules);
    }

    /// Reads a group whose rule list indexes `rules_table`.
    pub fn read(r: &mut Reader<'_>, rules_table: Table) -> ReadResult<Self> {
        let allowed = r.field("AllowedSigners", read_refs)?;
        let denied = r.field("DeniedSigners", read_refs)?;
        let rules = field_indexes(
            r,
            if rules_table == Table::ArtifactRules {
                "ArtifactRulesRef"
            } else {
                "FileRulesRef"
            },
            rules_table,
        )?;
        Ok(BinSignerGroup { allowed, denied, rules })
    }

    /// True when all three lists are empty.
    pub fn is_empty(&self) -> bool {
        self.allowed.is_empty() && self.denied.is_empty() && self.rules.is_empty()
    }
}

fn read_refs(r: &mut Reader<'_>) -> ReadResult<Vec<BinSignerRef>> {
    let n = r.count(8)?;
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        v.push(r.item("", i, |r| {
            let signer = r.field("SignerId", |r| r.index(Table::Signers))?;
            let exceptions = field_indexes(r, "Except", Table::FileRules)?;
            Ok(BinSignerRef { signer, exceptions })
        })?);
    }
    Ok(v)
}

/// One signing scenario.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BinScenario {
    /// `Value` (131 kernel, 12 user). Stored as u32; values above 255 are refused on read
    /// because the schema type is a byte.
    pub value: u8,
    /// InheritedScenarios indexes.
    pub inherited: Vec<u32>,
    /// `MinimumHashAlgorithm` CALG value (stored as u32; the model holds 16 bits).
    pub minimum_hash_algorithm: u16,
    /// ProductSigners, TestSigners, TestSigningSigners.
    pub groups: [BinSignerGroup; 3],
    /// Section 10: ArtifactSigners.
    pub artifact_signers: BinSignerGroup,
}

impl BinScenario {
    /// Smallest encoding.
    pub const MIN_SIZE: usize = 4 + 4 + 4 + 3 * BinSignerGroup::MIN_SIZE;

    /// Encodes the core record.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, u32::from(self.value));
        put_indexes(out, &self.inherited);
        put_u32(out, u32::from(self.minimum_hash_algorithm));
        for g in &self.groups {
            g.encode(out);
        }
    }

    /// Reads the core record.
    pub fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        let value = r.field("Value", |r| {
            let at = r.offset();
            let v = r.u32()?;
            u8::try_from(v).map_err(|_| {
                r.error_at(
                    at,
                    DecodeErrorKind::BadValue {
                        field: "scenario Value (one byte: 131 kernel, 12 user)",
                        value: v.to_string(),
                    },
                )
            })
        })?;
        let inherited = field_indexes(r, "InheritedScenarios", Table::Scenarios)?;
        let minimum_hash_algorithm = r.field("MinimumHashAlgorithm", |r| {
            let at = r.offset();
            let v = r.u32()?;
            u16::try_from(v).map_err(|_| {
                r.error_at(
                    at,
                    DecodeErrorKind::BadValue {
                        field: "MinimumHashAlgorithm (a 16-bit CALG value)",
                        value: format!("0x{v:X}"),
                    },
                )
            })
        })?;
        let product = r.field("ProductSigners", |r| BinSignerGroup::read(r, Table::FileRules))?;
        let test = r.field("TestSigners", |r| BinSignerGroup::read(r, Table::FileRules))?;
        let test_signing = r.field("TestSigningSigners", |r| BinSignerGroup::read(r, Table::FileRules))?;
        Ok(BinScenario {
            value,
            inherited,
            minimum_hash_algorithm,
            groups: [product, test, test_signing],
            artifact_signers: BinSignerGroup::default(),
        })
    }
}
