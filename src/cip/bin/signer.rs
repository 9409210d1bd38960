//! Signers (§4.3) with their section 3 (SignTimeAfter), section 10 (ArtifactRuleRef) and
//! section 11 (conditional CertEKU) parts.

use super::super::error::DecodeErrorKind;
use super::super::reader::{ReadResult, Reader, Table};
use super::Codec;
use super::prim::{field_indexes, put_indexes, put_len, put_u32};

/// `CertRoot`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BinRoot {
    /// Kind 0: TBS hash blob.
    Tbs(Vec<u8>),
    /// Kind 1: well-known root ID, stored as a u32.
    Wellknown(u8),
}

/// One signer. Strings use "" for absent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BinSigner {
    /// Root.
    pub root: BinRoot,
    /// CertEKU indexes (without `Condition`).
    pub ekus: Vec<u32>,
    /// `CertIssuer`.
    pub issuer: String,
    /// `CertPublisher`.
    pub publisher: String,
    /// `CertOemID`.
    pub oem_id: String,
    /// FileAttribRef indexes, document order.
    pub file_attrib_refs: Vec<u32>,
    /// Section 3: `SignTimeAfter` FILETIME, 0 when absent.
    pub sign_time_after: i64,
    /// Section 10: ArtifactRuleRef indexes.
    pub artifact_rule_refs: Vec<u32>,
    /// Section 11: CertEKU indexes with `Condition="Except"`.
    pub except_ekus: Vec<u32>,
}

impl BinSigner {
    /// Smallest encoding: kind, root word, EKU count, three empty strings, ref count.
    pub const MIN_SIZE: usize = 4 + 4 + 4 + 3 * 8 + 4;

    /// A signer with only its root.
    pub fn new(root: BinRoot) -> Self {
        BinSigner {
            root,
            ekus: Vec::new(),
            issuer: String::new(),
            publisher: String::new(),
            oem_id: String::new(),
            file_attrib_refs: Vec::new(),
            sign_time_after: 0,
            artifact_rule_refs: Vec::new(),
            except_ekus: Vec::new(),
        }
    }
}

impl Codec for BinSigner {
    fn encode(&self, out: &mut Vec<u8>) {
        match &self.root {
            BinRoot::Tbs(v) => {
                put_u32(out, 0);
                v.encode(out);
            }
            BinRoot::Wellknown(id) => {
                put_u32(out, 1);
                put_u32(out, u32::from(*id));
            }
        }
        put_indexes(out, &self.ekus);
        self.issuer.encode(out);
        self.publisher.encode(out);
        self.oem_id.encode(out);
        put_indexes(out, &self.file_attrib_refs);
    }

    fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        let root = r.field("CertRoot", |r| {
            let at = r.offset();
            match r.u32()? {
                0 => Ok(BinRoot::Tbs(Vec::<u8>::read(r)?)),
                1 => {
                    let at = r.offset();
                    let v = r.u32()?;
                    u8::try_from(v).map(BinRoot::Wellknown).map_err(|_| {
                        r.error_at(
                            at,
                            DecodeErrorKind::BadValue {
                                field: "well-known root ID (one byte)",
                                value: format!("0x{v:X}"),
                            },
                        )
                    })
                }
                n => Err(r.error_at(
                    at,
                    DecodeErrorKind::BadValue {
                        field: "root kind (0 TBS, 1 Wellknown)",
                        value: n.to_string(),
                    },
                )),
            }
        })?;
        let mut s = BinSigner::new(root);
        s.ekus = field_indexes(r, "CertEKU", Table::Ekus)?;
        s.issuer = r.field("CertIssuer", String::read)?;
        s.publisher = r.field("CertPublisher", String::read)?;
        s.oem_id = r.field("CertOemID", String::read)?;
        s.file_attrib_refs = field_indexes(r, "FileAttribRef", Table::FileRules)?;
        Ok(s)
    }
}

/// Writes the "signers that have a list" shape of sections 10 and 11: a count, then per signer
/// with a non-empty list, in signer order, its index and the list.
pub fn encode_signer_lists(signers: &[BinSigner], list: impl Fn(&BinSigner) -> &Vec<u32>, out: &mut Vec<u8>) {
    let with: Vec<(usize, &Vec<u32>)> = signers
        .iter()
        .enumerate()
        .map(|(i, s)| (i, list(s)))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    put_len(out, with.len());
    for (i, l) in with {
        put_len(out, i);
        put_indexes(out, l);
    }
}

/// Reads the shape written by [`encode_signer_lists`]. Signer indexes must ascend and lists must
/// be non-empty (what a writer produces), so that the bytes re-encode identically.
pub fn read_signer_lists(
    signers: &mut [BinSigner],
    table: Table,
    name: &'static str,
    list: impl Fn(&mut BinSigner) -> &mut Vec<u32>,
    r: &mut Reader<'_>,
) -> ReadResult<()> {
    let n = r.field("count", |r| r.count(8))?;
    let mut last: Option<u32> = None;
    for i in 0..n {
        r.item(name, i, |r| {
            let at = r.offset();
            let signer = r.field("signer", |r| r.index(Table::Signers))?;
            if last.is_some_and(|l| signer <= l) {
                return Err(r.error_at(
                    at,
                    DecodeErrorKind::BadValue {
                        field: "signer order (signer indexes must ascend)",
                        value: signer.to_string(),
                    },
                ));
            }
            last = Some(signer);
            let at = r.offset();
            let v = r.field("indexes", |r| r.index_list(table))?;
            if v.is_empty() {
                return Err(r.error_at(
                    at,
                    DecodeErrorKind::BadValue {
                        field: "list length (an entry is written only for a non-empty list)",
                        value: "0".into(),
                    },
                ));
            }
            if let Some(s) = signers.get_mut(signer as usize) {
                *list(s) = v;
            }
            Ok(())
        })?;
    }
    Ok(())
}
