//! `cipolicy diff`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cipolicy::model::Policy;
use cipolicy::ops::diff::diff;

use super::{CliError, CmdResult, Format, input, print_json};

/// Show what changed between two policies, by meaning rather than by text.
///
/// Each side is SiPolicy XML, a binary policy (.cip / SiPolicy.p7b, unsigned) or an allow-list
/// spec (.toml). IDs, element order, FriendlyNames and signer names are ignored; rules and
/// signers are compared by content, per scenario. Reports options, rules and signers added,
/// removed or changed, version and ID changes, and a verdict: NEW allows strictly more, strictly
/// less, the same, or something different. Exits 1 when there are differences, like diff(1).
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// The old policy.
    old: PathBuf,
    /// The new policy.
    new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// XML or binary by content; a `.toml` file is a spec and is built first.
fn load(path: &Path) -> Result<Policy, CliError> {
    if input::is_spec(path) {
        return input::load_spec(path);
    }
    Ok(input::load_policy(path)?.policy)
}

pub fn run(a: Args) -> CmdResult {
    let old = load(&a.old)?;
    let new = load(&a.new)?;
    let report = diff(&old, &new, &a.old.display().to_string(), &a.new.display().to_string());
    match a.format {
        Format::Human => print!("{}", report.to_human()),
        Format::Json => print_json(&report)?,
    }
    Ok(if report.has_changes() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
