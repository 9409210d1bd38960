//! File rules: the core record (§4.2) and the per-rule parts of sections 3, 4, 5, 7 and 9.

use super::super::error::DecodeErrorKind;
use super::super::reader::{ReadResult, Reader, Table};
use super::Codec;
use super::prim::{put_strings, put_u32, read_strings};
use crate::model::Version;

/// File rule type code; the numeric order is the first sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BinRuleType {
    /// 0.
    Deny = 0,
    /// 1.
    Allow = 1,
    /// 2.
    FileAttrib = 2,
}

/// Hot-patch entry of an Allow rule (section 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BinHotpatch {
    /// Index of the Allow rule that `RequireHotpatchID` names.
    pub target: u32,
    /// `MinimumHotpatchSequence` of the target (default 0).
    pub minimum_sequence: u32,
    /// `MaximumHotpatchSequence` of the target (default `u32::MAX`).
    pub maximum_sequence: u32,
}

/// One file rule with every field of every section. Strings use "" for absent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BinFileRule {
    /// Type code.
    pub kind: BinRuleType,
    /// `FileName`.
    pub file_name: String,
    /// Minimum version slot (all-ones for a Deny without versions).
    pub minimum_version: Version,
    /// `Hash` bytes.
    pub hash: Vec<u8>,
    /// Section 3: `MaximumFileVersion` (0 when absent).
    pub maximum_version: Version,
    /// Section 3: AppIDs, macros expanded.
    pub app_ids: Vec<String>,
    /// Section 4.
    pub internal_name: String,
    /// Section 4.
    pub file_description: String,
    /// Section 4.
    pub product_name: String,
    /// Section 5.
    pub package_family_name: String,
    /// Section 5 (0 when absent).
    pub package_version: Version,
    /// Section 7.
    pub file_path: String,
    /// Section 9.
    pub hotpatch: Option<BinHotpatch>,
}

impl BinFileRule {
    /// A rule of `kind` with every field empty.
    pub fn new(kind: BinRuleType) -> Self {
        BinFileRule {
            kind,
            file_name: String::new(),
            minimum_version: Version::ZERO,
            hash: Vec::new(),
            maximum_version: Version::ZERO,
            app_ids: Vec::new(),
            internal_name: String::new(),
            file_description: String::new(),
            product_name: String::new(),
            package_family_name: String::new(),
            package_version: Version::ZERO,
            file_path: String::new(),
            hotpatch: None,
        }
    }

    /// Smallest encoding of the core record: type, empty string, version, empty blob.
    pub const MIN_SIZE: usize = 4 + 8 + 8 + 4;

    /// Section 3 part: maximum version and AppIDs.
    pub fn encode_v3(&self, out: &mut Vec<u8>) {
        self.maximum_version.encode(out);
        put_strings(out, &self.app_ids);
    }

    /// Reads the section 3 part.
    pub fn read_v3(&mut self, r: &mut Reader<'_>) -> ReadResult<()> {
        self.maximum_version = r.field("MaximumFileVersion", Version::read)?;
        self.app_ids = r.field("AppIDs", read_strings)?;
        Ok(())
    }

    /// Section 4 part: InternalName, FileDescription, ProductName.
    pub fn encode_v4(&self, out: &mut Vec<u8>) {
        self.internal_name.encode(out);
        self.file_description.encode(out);
        self.product_name.encode(out);
    }

    /// Reads the section 4 part.
    pub fn read_v4(&mut self, r: &mut Reader<'_>) -> ReadResult<()> {
        self.internal_name = r.field("InternalName", String::read)?;
        self.file_description = r.field("FileDescription", String::read)?;
        self.product_name = r.field("ProductName", String::read)?;
        Ok(())
    }

    /// Section 5 part: PackageFamilyName, PackageVersion.
    pub fn encode_v5(&self, out: &mut Vec<u8>) {
        self.package_family_name.encode(out);
        self.package_version.encode(out);
    }

    /// Reads the section 5 part.
    pub fn read_v5(&mut self, r: &mut Reader<'_>) -> ReadResult<()> {
        self.package_family_name = r.field("PackageFamilyName", String::read)?;
        self.package_version = r.field("PackageVersion", Version::read)?;
        Ok(())
    }

    /// Section 7 part: FilePath.
    pub fn encode_v7(&self, out: &mut Vec<u8>) {
        self.file_path.encode(out);
    }

    /// Reads the section 7 part.
    pub fn read_v7(&mut self, r: &mut Reader<'_>) -> ReadResult<()> {
        self.file_path = r.field("FilePath", String::read)?;
        Ok(())
    }
}

impl Codec for BinFileRule {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.kind as u32);
        self.file_name.encode(out);
        self.minimum_version.encode(out);
        self.hash.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        let kind = r.field("Type", |r| {
            let at = r.offset();
            match r.u32()? {
                0 => Ok(BinRuleType::Deny),
                1 => Ok(BinRuleType::Allow),
                2 => Ok(BinRuleType::FileAttrib),
                n => Err(r.error_at(
                    at,
                    DecodeErrorKind::BadValue {
                        field: "file rule type (0 Deny, 1 Allow, 2 FileAttrib)",
                        value: n.to_string(),
                    },
                )),
            }
        })?;
        let mut rule = BinFileRule::new(kind);
        rule.file_name = r.field("FileName", String::read)?;
        rule.minimum_version = r.field("MinimumFileVersion", Version::read)?;
        rule.hash = r.field("Hash", Vec::<u8>::read)?;
        Ok(rule)
    }
}

/// Section 9: `u32 count`, then per Allow rule with a `RequireHotpatchID`, in rule order: the
/// rule's index, the target's index, minimum and maximum sequence.
pub fn encode_hotpatches(rules: &[BinFileRule], out: &mut Vec<u8>) {
    let entries: Vec<(usize, &BinHotpatch)> = rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.hotpatch.as_ref().map(|h| (i, h)))
        .collect();
    super::prim::put_len(out, entries.len());
    for (i, h) in entries {
        super::prim::put_len(out, i);
        put_u32(out, h.target);
        put_u32(out, h.minimum_sequence);
        put_u32(out, h.maximum_sequence);
    }
}

/// Reads section 9 into `rules`. Entries must be in ascending rule order with each rule at most
/// once (the only order a writer produces), so that the bytes re-encode identically.
pub fn read_hotpatches(rules: &mut [BinFileRule], r: &mut Reader<'_>) -> ReadResult<()> {
    let n = r.field("count", |r| r.count(16))?;
    let mut last: Option<u32> = None;
    for i in 0..n {
        r.item("HotpatchEntries", i, |r| {
            let at = r.offset();
            let rule = r.field("rule", |r| r.index(Table::FileRules))?;
            if last.is_some_and(|l| rule <= l) {
                return Err(r.error_at(
                    at,
                    DecodeErrorKind::BadValue {
                        field: "hot-patch entry order (rule indexes must ascend)",
                        value: rule.to_string(),
                    },
                ));
            }
            last = Some(rule);
            let target = r.field("RequireHotpatchID", |r| r.index(Table::FileRules))?;
            let minimum_sequence = r.field("MinimumHotpatchSequence", |r| r.u32())?;
            let maximum_sequence = r.field("MaximumHotpatchSequence", |r| r.u32())?;
            if let Some(x) = rules.get_mut(rule as usize) {
                x.hotpatch = Some(BinHotpatch {
                    target,
                    minimum_sequence,
                    maximum_sequence,
                });
            }
            Ok(())
        })?;
    }
    Ok(())
}
