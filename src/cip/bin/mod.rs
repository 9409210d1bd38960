//! The binary layer: one struct per on-disk structure, each with its encoder and its reader side
//! by side. [`BinPolicy`] holds exactly what the bytes hold (IDs are array indexes, absent
//! strings are ""), so `encode(read(bytes)) == bytes` for every input the reader accepts.
//!
//! Layout: cip-format.md §1–§5. The reader is strict about what a writer always produces (zero
//! padding, zero string trailers, the 0x40 header word, ascending entries in sections 9–11), which
//! is what makes that identity hold.

mod artifact;
mod prim;
mod rule;
mod scenario;
mod setting;
mod signer;

pub use artifact::BinArtifactRule;
pub use prim::{put_u32, put_u64};
pub use rule::{BinFileRule, BinHotpatch, BinRuleType};
pub use scenario::{BinScenario, BinSignerGroup, BinSignerRef};
pub use setting::{BinApp, BinAppDefinition, BinAppValue, BinSetting, BinSettingValue};
pub use signer::{BinRoot, BinSigner};

use super::error::DecodeErrorKind;
use super::reader::{ReadResult, Reader, Table};
use crate::model::{Guid, Version};
use prim::{field_indexes, put_indexes, put_len};

/// A structure with a fixed encoding that needs no outside context.
pub trait Codec: Sized {
    /// Appends the encoding.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads one value at the reader's position.
    fn read(r: &mut Reader<'_>) -> ReadResult<Self>;
}

/// Lowest and highest format versions this codec reads and writes.
pub const MIN_FORMAT_VERSION: u32 = 1;
/// See [`MIN_FORMAT_VERSION`].
pub const MAX_FORMAT_VERSION: u32 = 11;

/// The value of the header word at 0x40 in every known binary.
pub const BODY_OFFSET: u32 = 0x40;

/// Byte offset of the option flags in the header.
pub const OPTIONS_OFFSET: usize = 0x24;

const SECTION_NAMES: [&str; 12] = [
    "",
    "",
    "",
    "section 3",
    "section 4",
    "section 5",
    "section 6",
    "section 7",
    "section 8",
    "section 9",
    "section 10",
    "section 11",
];

/// A whole raw (unsigned) binary policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BinPolicy {
    /// Format version (header 0x00); decides which sections follow the core body.
    pub format_version: u32,
    /// Header GUID (PolicyTypeID or BasePolicyID).
    pub header_guid: Guid,
    /// PlatformID.
    pub platform_id: Guid,
    /// Option flags.
    pub options: u32,
    /// VersionEx.
    pub version_ex: Version,
    /// EKU values.
    pub ekus: Vec<Vec<u8>>,
    /// File rules, sorted order, with every section's fields.
    pub file_rules: Vec<BinFileRule>,
    /// Signers with their section fields.
    pub signers: Vec<BinSigner>,
    /// UpdatePolicySigners.
    pub update_policy_signers: Vec<u32>,
    /// CiSigners.
    pub ci_signers: Vec<u32>,
    /// Signing scenarios.
    pub scenarios: Vec<BinScenario>,
    /// HvciOptions.
    pub hvci_options: u32,
    /// Secure settings, sorted order.
    pub settings: Vec<BinSetting>,
    /// Section 6: PolicyID.
    pub policy_id: Guid,
    /// Section 6: BasePolicyID.
    pub base_policy_id: Guid,
    /// Section 6: SupplementalPolicySigners.
    pub supplemental_policy_signers: Vec<u32>,
    /// Section 8: AppSettings.
    pub app_settings: Vec<BinApp>,
    /// Section 10: artifact rules, sorted order.
    pub artifact_rules: Vec<BinArtifactRule>,
    /// The end tag: `format_version + 1` when written; readers accept anything larger.
    pub end_tag: u32,
}

impl BinPolicy {
    /// Encodes the whole policy.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size_hint());
        put_u32(&mut out, self.format_version);
        self.header_guid.encode(&mut out);
        self.platform_id.encode(&mut out);
        put_u32(&mut out, self.options);
        put_len(&mut out, self.ekus.len());
        put_len(&mut out, self.file_rules.len());
        put_len(&mut out, self.signers.len());
        put_len(&mut out, self.scenarios.len());
        self.version_ex.encode(&mut out);
        put_u32(&mut out, BODY_OFFSET);
        for e in &self.ekus {
            e.encode(&mut out);
        }
        for r in &self.file_rules {
            r.encode(&mut out);
        }
        for s in &self.signers {
            s.encode(&mut out);
        }
        put_indexes(&mut out, &self.update_policy_signers);
        put_indexes(&mut out, &self.ci_signers);
        for s in &self.scenarios {
            s.encode(&mut out);
        }
        put_u32(&mut out, self.hvci_options);
        put_len(&mut out, self.settings.len());
        for s in &self.settings {
            s.encode(&mut out);
        }
        for tag in 3..=self.format_version.min(MAX_FORMAT_VERSION) {
            put_u32(&mut out, tag);
            self.encode_section(tag, &mut out);
        }
        put_u32(&mut out, self.end_tag);
        out
    }

    /// At least the encoded size in nearly every policy (file rules, signers and scenarios are
    /// bounded; settings and app settings are guessed), so that the output buffer of a large
    /// policy is allocated once instead of grown and copied.
    fn size_hint(&self) -> usize {
        let s = prim::string_size_bound;
        let list = |v: &[u32]| 4 + 4 * v.len();
        let rules: usize = self
            .file_rules
            .iter()
            .map(|r| {
                4 + s(&r.file_name)
                    + 8
                    + 4
                    + r.hash.len()
                    + 3
                    + 8
                    + 4
                    + r.app_ids.iter().map(|a| s(a)).sum::<usize>()
                    + s(&r.internal_name)
                    + s(&r.file_description)
                    + s(&r.product_name)
                    + s(&r.package_family_name)
                    + 8
                    + s(&r.file_path)
                    + 16
            })
            .sum();
        let signers: usize = self
            .signers
            .iter()
            .map(|g| {
                8 + match &g.root {
                    BinRoot::Tbs(v) => v.len() + 3,
                    BinRoot::Wellknown(_) => 0,
                } + list(&g.ekus)
                    + s(&g.issuer)
                    + s(&g.publisher)
                    + s(&g.oem_id)
                    + list(&g.file_attrib_refs)
                    + 8
                    + list(&g.artifact_rule_refs)
                    + list(&g.except_ekus)
            })
            .sum();
        let group = |g: &BinSignerGroup| {
            12 + 4 * g.rules.len()
                + [&g.allowed, &g.denied]
                    .iter()
                    .flat_map(|l| l.iter())
                    .map(|r| 8 + 4 * r.exceptions.len())
                    .sum::<usize>()
        };
        let scenarios: usize = self
            .scenarios
            .iter()
            .map(|c| {
                12 + 4 * c.inherited.len() + c.groups.iter().map(group).sum::<usize>() + group(&c.artifact_signers)
            })
            .sum();
        let ekus: usize = self.ekus.iter().map(|e| 4 + e.len() + 3).sum();
        0x48 + ekus + rules + signers + scenarios + self.settings.len() * 256 + self.artifact_rules.len() * 256 + 1024
    }

    fn encode_section(&self, tag: u32, out: &mut Vec<u8>) {
        match tag {
            3 => {
                for r in &self.file_rules {
                    r.encode_v3(out);
                }
                for s in &self.signers {
                    put_u64(out, s.sign_time_after as u64);
                }
            }
            4 => self.file_rules.iter().for_each(|r| r.encode_v4(out)),
            5 => self.file_rules.iter().for_each(|r| r.encode_v5(out)),
            6 => {
                self.policy_id.encode(out);
                self.base_policy_id.encode(out);
                put_indexes(out, &self.supplemental_policy_signers);
            }
            7 => self.file_rules.iter().for_each(|r| r.encode_v7(out)),
            8 => {
                put_len(out, self.app_settings.len());
                for a in &self.app_settings {
                    a.encode(out);
                }
            }
            9 => rule::encode_hotpatches(&self.file_rules, out),
            10 => {
                put_len(out, self.artifact_rules.len());
                for a in &self.artifact_rules {
                    a.encode(out);
                }
                signer::encode_signer_lists(&self.signers, |s| &s.artifact_rule_refs, out);
                for s in &self.scenarios {
                    s.artifact_signers.encode(out);
                }
            }
            11 => signer::encode_signer_lists(&self.signers, |s| &s.except_ekus, out),
            _ => {}
        }
    }

    /// Reads a whole raw policy; every byte must be consumed.
    pub fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        let (mut p, counts) = r.field("header", read_header)?;
        let [n_ekus, n_rules, n_signers, n_scenarios] = counts;
        r.set_len(Table::Ekus, n_ekus as usize);
        r.set_len(Table::FileRules, n_rules as usize);
        r.set_len(Table::Signers, n_signers as usize);
        r.set_len(Table::Scenarios, n_scenarios as usize);

        let n = r.check_count(0x28, n_ekus, 4)?;
        p.ekus = Vec::with_capacity(n);
        for i in 0..n {
            p.ekus.push(r.item("EKUs", i, Vec::<u8>::read)?);
        }
        let n = r.check_count(0x2C, n_rules, BinFileRule::MIN_SIZE)?;
        p.file_rules = Vec::with_capacity(n);
        for i in 0..n {
            p.file_rules.push(r.item("FileRules", i, BinFileRule::read)?);
        }
        let n = r.check_count(0x30, n_signers, BinSigner::MIN_SIZE)?;
        p.signers = Vec::with_capacity(n);
        for i in 0..n {
            p.signers.push(r.item("Signers", i, BinSigner::read)?);
        }
        p.update_policy_signers = field_indexes(r, "UpdatePolicySigners", Table::Signers)?;
        p.ci_signers = field_indexes(r, "CiSigners", Table::Signers)?;
        let n = r.check_count(0x34, n_scenarios, BinScenario::MIN_SIZE)?;
        p.scenarios = Vec::with_capacity(n);
        for i in 0..n {
            p.scenarios.push(r.item("SigningScenarios", i, BinScenario::read)?);
        }
        p.hvci_options = r.field("HvciOptions", |r| r.u32())?;
        let n = r.field("Settings", |r| r.count(BinSetting::MIN_SIZE))?;
        p.settings = Vec::with_capacity(n);
        for i in 0..n {
            p.settings.push(r.item("Settings", i, BinSetting::read)?);
        }
        for tag in 3..=p.format_version {
            r.section(SECTION_NAMES[tag as usize], |r| {
                let at = r.offset();
                let found = r.field("tag", |r| r.u32())?;
                if found != tag {
                    return Err(r.error_at(at, DecodeErrorKind::BadSectionTag { expected: tag, found }));
                }
                p.read_section(tag, r)
            })?;
        }
        p.end_tag = r.field("end tag", |r| {
            let at = r.offset();
            let found = r.u32()?;
            let expected = p.format_version + 1;
            if found < expected {
                return Err(r.error_at(at, DecodeErrorKind::BadTerminator { expected, found }));
            }
            Ok(found)
        })?;
        if r.remaining() > 0 {
            return Err(r.error_at(r.offset(), DecodeErrorKind::TrailingBytes(r.remaining())));
        }
        Ok(p)
    }

    fn read_section(&mut self, tag: u32, r: &mut Reader<'_>) -> ReadResult<()> {
        match tag {
            3 => {
                for (i, rule) in self.file_rules.iter_mut().enumerate() {
                    r.item("FileRules", i, |r| rule.read_v3(r))?;
                }
                for (i, s) in self.signers.iter_mut().enumerate() {
                    s.sign_time_after = r.item("Signers", i, |r| r.field("SignTimeAfter", |r| r.i64()))?;
                }
            }
            4 => {
                for (i, rule) in self.file_rules.iter_mut().enumerate() {
                    r.item("FileRules", i, |r| rule.read_v4(r))?;
                }
            }
            5 => {
                for (i, rule) in self.file_rules.iter_mut().enumerate() {
                    r.item("FileRules", i, |r| rule.read_v5(r))?;
                }
            }
            6 => {
                self.policy_id = r.field("PolicyID", Guid::read)?;
                self.base_policy_id = r.field("BasePolicyID", Guid::read)?;
                self.supplemental_policy_signers = field_indexes(r, "SupplementalPolicySigners", Table::Signers)?;
            }
            7 => {
                for (i, rule) in self.file_rules.iter_mut().enumerate() {
                    r.item("FileRules", i, |r| rule.read_v7(r))?;
                }
            }
            8 => {
                let n = r.field("count", |r| r.count(8 + 4))?;
                self.app_settings = Vec::with_capacity(n);
                for i in 0..n {
                    self.app_settings.push(r.item("AppSettings", i, BinApp::read)?);
                }
            }
            9 => rule::read_hotpatches(&mut self.file_rules, r)?,
            10 => {
                let n = r.field("count", |r| r.count(BinArtifactRule::MIN_SIZE))?;
                self.artifact_rules = Vec::with_capacity(n);
                for i in 0..n {
                    self.artifact_rules
                        .push(r.item("ArtifactRules", i, BinArtifactRule::read)?);
                }
                r.set_len(Table::ArtifactRules, n);
                r.field("ArtifactRuleRef", |r| {
                    signer::read_signer_lists(
                        &mut self.signers,
                        Table::ArtifactRules,
                        "Signers",
                        |s| &mut s.artifact_rule_refs,
                        r,
                    )
                })?;
                for (i, s) in self.scenarios.iter_mut().enumerate() {
                    s.artifact_signers = r.item("SigningScenarios", i, |r| {
                        r.field("ArtifactSigners", |r| BinSignerGroup::read(r, Table::ArtifactRules))
                    })?;
                }
            }
            11 => signer::read_signer_lists(&mut self.signers, Table::Ekus, "Signers", |s| &mut s.except_ekus, r)?,
            _ => {}
        }
        Ok(())
    }
}

fn read_header(r: &mut Reader<'_>) -> ReadResult<(BinPolicy, [u32; 4])> {
    let format_version = r.field("format version", |r| {
        let v = r.u32()?;
        if !(MIN_FORMAT_VERSION..=MAX_FORMAT_VERSION).contains(&v) {
            return Err(r.error_at(0, DecodeErrorKind::UnsupportedVersion(v)));
        }
        Ok(v)
    })?;
    let header_guid = r.field("PolicyTypeID/BasePolicyID", Guid::read)?;
    let platform_id = r.field("PlatformID", Guid::read)?;
    let options = r.field("option flags", |r| r.u32())?;
    let mut counts = [0u32; 4];
    for (c, name) in counts
        .iter_mut()
        .zip(["EKU count", "FileRule count", "Signer count", "SigningScenario count"])
    {
        *c = r.field(name, |r| r.u32())?;
    }
    let version_ex = r.field("VersionEx", Version::read)?;
    r.field("body offset", |r| {
        let at = r.offset();
        let v = r.u32()?;
        if v != BODY_OFFSET {
            return Err(r.error_at(
                at,
                DecodeErrorKind::BadValue {
                    field: "header word at 0x40 (always 0x40)",
                    value: format!("0x{v:X}"),
                },
            ));
        }
        Ok(())
    })?;
    let p = BinPolicy {
        format_version,
        header_guid,
        platform_id,
        options,
        version_ex,
        ekus: Vec::new(),
        file_rules: Vec::new(),
        signers: Vec::new(),
        update_policy_signers: Vec::new(),
        ci_signers: Vec::new(),
        scenarios: Vec::new(),
        hvci_options: 0,
        settings: Vec::new(),
        policy_id: Guid::NIL,
        base_policy_id: Guid::NIL,
        supplemental_policy_signers: Vec::new(),
        app_settings: Vec::new(),
        artifact_rules: Vec::new(),
        end_tag: format_version + 1,
    };
    Ok((p, counts))
}
