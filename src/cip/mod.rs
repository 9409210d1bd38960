//! The binary policy format (`.cip`, raw `SiPolicy.p7b` content): model → bytes byte-identical
//! with ConvertFrom-CIPolicy, and bytes → model.
//!
//! Layers: [`bin`] holds one struct per on-disk structure with its encoder and bounded reader
//! side by side; `lower` turns a [`Policy`] into those structs (ID resolution, defaults, option
//! bits, derived settings, the rule sort), `raise` turns them back (regenerated IDs, defaults
//! omitted). The reference is `cip-format.md` in the shared docs.
//!
//! This module reads and writes the raw policy only; unwrapping or producing a CMS-signed
//! `.p7b` is the `sign` module's job.
//!
//! # Which format version is written
//!
//! [`CompileOptions::default`] writes **format version 8**: the sections of versions 3–8, with
//! an empty AppSettings section and end tag 9. This is what Microsoft's current tooling ships
//! (the 2025/2026 vulnerable-driver block lists and 2025 ConvertFrom-CIPolicy builds); Windows
//! reads any version from the knowledge it has, so 8 loads everywhere 7 does. ConvertFrom-CIPolicy
//! builds of 2022 to mid-2025 wrote version 7 (`--format-version 7` reproduces them byte for byte);
//! versions 9–11 are AppControl Manager's extensions (hot-patch, artifact rules, conditional EKUs)
//! and are written only when asked for. The content never changes the version: every section of
//! the chosen version is written, empty if unused, and a feature the version has no field for is
//! an error ([`CompileError::NotExpressible`]), never a silent drop.

pub mod bin;
pub mod error;
mod fold;
mod located;
mod lower;
mod raise;
pub mod reader;
mod shared;
pub mod sort;
mod view;

pub use error::{CompileError, CompileWarning, DecodeError, DecodeErrorKind};
pub use located::{BinaryMap, BinarySpot};
pub use sort::SortAlgorithm;
pub use view::{binary_view, binary_view_with};

use crate::model::{Guid, OptionKind, Policy, Version};
use bin::BinPolicy;
use reader::Reader;

/// The format version [`CompileOptions::default`] writes (see the module docs).
pub const DEFAULT_FORMAT_VERSION: u32 = 8;

/// How to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// Format version to write (1–11; default 8, see the module docs).
    pub format_version: u32,
    /// Sort algorithm that places file rules with equal sort keys (default: the .NET Framework
    /// legacy quicksort of ConvertFrom-CIPolicy in Windows PowerShell).
    pub sort: SortAlgorithm,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            format_version: DEFAULT_FORMAT_VERSION,
            sort: SortAlgorithm::LegacyQuickSort,
        }
    }
}

/// A compiled policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// The raw binary policy.
    pub bytes: Vec<u8>,
    /// Things dropped or ignored on the way (unknown options, …).
    pub warnings: Vec<CompileWarning>,
}

/// Compiles a policy to the raw binary format.
pub fn compile(policy: &Policy, opts: &CompileOptions) -> Result<Compiled, CompileError> {
    let (bin, warnings) = lower::lower(policy, opts)?;
    Ok(Compiled {
        bytes: bin.encode(),
        warnings,
    })
}

/// Decompiles a raw binary policy (any format version 1–11) into a model that compiles back, at
/// the same format version and with the default sort, to exactly these bytes. A binary that no
/// model compiles to (file rules, artifact rules or settings out of sorted order, …) is refused
/// with [`DecodeErrorKind::NotRepresentable`]; [`info`] still reads it.
pub fn decompile(bytes: &[u8]) -> Result<Policy, DecodeError> {
    decompile_with(bytes, SortAlgorithm::default())
}

/// [`decompile`] for a compiler that will use `sort`: only the order of rules with equal sort
/// keys differs.
pub fn decompile_with(bytes: &[u8], sort: SortAlgorithm) -> Result<Policy, DecodeError> {
    let bin = BinPolicy::read(&mut Reader::new(bytes))?;
    raise_bin(bytes, &bin, sort)
}

/// [`decompile`], plus where each part of the model is in `bytes`: the map is keyed by the
/// returned model's paths (`file_rules[3]@Hash`), so a finding about the model can point at its
/// bytes even though decompiling reorders file rules.
pub fn decompile_located(bytes: &[u8]) -> Result<(Policy, BinaryMap), DecodeError> {
    let sort = SortAlgorithm::default();
    let mut r = Reader::with_trace(bytes);
    let bin = BinPolicy::read(&mut r)?;
    let policy = raise_bin(bytes, &bin, sort)?;
    let map = located::build(&r.into_spans(), &bin, &policy, sort);
    Ok((policy, map))
}

fn raise_bin(bytes: &[u8], bin: &BinPolicy, sort: SortAlgorithm) -> Result<Policy, DecodeError> {
    raise::raise(bin, sort).map_err(|e| DecodeError {
        offset: structure_offset(bytes, &e.structure),
        structure: e.structure,
        kind: DecodeErrorKind::NotRepresentable(e.message),
    })
}

/// Byte offset where the named structure starts (0 if not found).
fn structure_offset(bytes: &[u8], structure: &str) -> usize {
    let mut r = Reader::finding(bytes, structure);
    let _ = BinPolicy::read(&mut r);
    r.into_spans().first().map_or(0, |s| s.start)
}

/// The innermost structure of a raw binary policy that contains byte `offset`, for diagnostics
/// (`"section 3: FileRules[12].MaximumFileVersion"`). Reads as far as the bytes allow.
pub fn locate(bytes: &[u8], offset: usize) -> String {
    let mut r = Reader::locating(bytes, offset);
    let failure = BinPolicy::read(&mut r).err();
    match (r.into_spans().pop(), failure) {
        (Some(s), _) => s.structure,
        (None, Some(e)) if offset >= e.offset => format!("{} (unreadable: {})", e.structure, e.kind),
        _ if offset >= bytes.len() => "past the end".to_string(),
        _ => "unknown".to_string(),
    }
}

/// Header facts and counts of a binary policy, for `info`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BinaryInfo {
    /// Format version.
    pub format_version: u32,
    /// Header GUID (PolicyTypeID, or BasePolicyID).
    pub header_guid: Guid,
    /// PlatformID.
    pub platform_id: Guid,
    /// Raw option flags.
    pub option_flags: u32,
    /// Options whose bit is set.
    pub options: Vec<OptionKind>,
    /// Bit 30: built from a supplemental policy.
    pub supplemental: bool,
    /// VersionEx.
    pub version_ex: Version,
    /// PolicyID (format 6+).
    pub policy_id: Option<Guid>,
    /// BasePolicyID (format 6+).
    pub base_policy_id: Option<Guid>,
    /// Number of EKUs.
    pub ekus: usize,
    /// Number of Allow rules.
    pub allow_rules: usize,
    /// Number of Deny rules.
    pub deny_rules: usize,
    /// Number of FileAttrib rules.
    pub file_attribs: usize,
    /// Number of signers.
    pub signers: usize,
    /// Number of signing scenarios.
    pub scenarios: usize,
    /// Number of secure settings.
    pub settings: usize,
    /// HvciOptions.
    pub hvci_options: u32,
    /// End tag (normally format version + 1).
    pub end_tag: u32,
    /// Size of the raw policy in bytes.
    pub size: usize,
}

/// Reads a raw binary policy and summarises it.
pub fn info(bytes: &[u8]) -> Result<BinaryInfo, DecodeError> {
    let b = BinPolicy::read(&mut Reader::new(bytes))?;
    let count = |t: bin::BinRuleType| b.file_rules.iter().filter(|r| r.kind == t).count();
    Ok(BinaryInfo {
        format_version: b.format_version,
        header_guid: b.header_guid,
        platform_id: b.platform_id,
        option_flags: b.options,
        options: lower::options_from_bits(b.options),
        supplemental: b.options & crate::model::BIT_SUPPLEMENTAL != 0,
        version_ex: b.version_ex,
        policy_id: (b.format_version >= 6).then_some(b.policy_id),
        base_policy_id: (b.format_version >= 6).then_some(b.base_policy_id),
        ekus: b.ekus.len(),
        allow_rules: count(bin::BinRuleType::Allow),
        deny_rules: count(bin::BinRuleType::Deny),
        file_attribs: count(bin::BinRuleType::FileAttrib),
        signers: b.signers.len(),
        scenarios: b.scenarios.len(),
        settings: b.settings.len(),
        hvci_options: b.hvci_options,
        end_tag: b.end_tag,
        size: bytes.len(),
    })
}
