//! Files to facts to rules: the hashes WDAC computes (Authenticode, first page, PowerShell and
//! MSI SIP digests, flat), the version resource, embedded signatures and their chains
//! (rule-levels.md §1–§4), and rule generation at every level (§5).

pub mod bytes;
pub mod digest;
mod facts;
pub mod msi;
pub mod pe;
pub mod script;
pub mod sig;
mod tlv;

pub use facts::{FactOptions, FileFacts, FileKind, HashMethod, PeFacts, facts_from_bytes};
pub use pe::ImageMode;
pub use pe::version::{StringTable, VersionInfo};
pub use sig::{SignatureFacts, SignedSubject};
pub mod emit;
pub mod level;
pub mod rules;
pub mod walk;

pub use level::{Level, NameLevel};
pub use rules::{RuleOptions, RuleSet};
pub mod report;

pub use walk::{Issue, ScanOutput, WalkOptions};

/// A whole scan: files walked and hashed, rules generated, summary lines.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScanRun {
    /// Files and read problems.
    pub output: ScanOutput,
    /// Rules generated.
    pub rules: RuleSet,
    /// One line per file needing attention (read problems, fallbacks, files left without rules).
    pub summary: Vec<Issue>,
}

/// Walks `roots`, hashes in parallel and generates rules.
pub fn run_scan(
    roots: &[std::path::PathBuf],
    walk: &WalkOptions,
    rules: &RuleOptions,
) -> Result<ScanRun, walk::GlobError> {
    let output = walk::scan_paths(roots, walk)?;
    let set = rules::build(&output.files, rules);
    let summary = report::summary(&output, &set);
    Ok(ScanRun {
        output,
        rules: set,
        summary,
    })
}
