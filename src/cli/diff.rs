//! `cipolicy diff`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cipolicy::model::Policy;
use cipolicy::ops::diff::diff;
use cipolicy::spec::{self, BuildOptions, XmlReadError};
use cipolicy::xml;

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

fn read_xml(bytes: &[u8]) -> Result<Policy, XmlReadError> {
    xml::read(bytes).map(|d| d.policy).map_err(|e| XmlReadError {
        line: e.span.line,
        column: e.span.column,
        message: e.message,
    })
}

/// XML or binary by content; a `.toml` file is a spec and is built first.
fn load(path: &Path) -> Result<Policy, CliError> {
    let is_spec = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if !is_spec {
        return Ok(input::load_policy(path)?.policy);
    }
    let opts = BuildOptions {
        xml: Some(&read_xml),
        scanner: None,
    };
    spec::build_file(path, &opts).map(|b| b.policy).map_err(|e| {
        eprintln!("{e}");
        CliError::input(format!("{}: the spec has errors", path.display()))
    })
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
