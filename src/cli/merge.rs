//! `cipolicy merge`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::ops::merge::{MergeError, MergeOptions, merge};
use cipolicy::{fsio, xml};

use super::{CliError, CmdResult, input};

/// Merge policies into one: the content-based union of what they allow.
///
/// Identical rules and signers collapse (compared by content, not ID); IDs stay as they were,
/// and an ID that names different content in two inputs gets a content-derived suffix on one of
/// them. Options are the union; settings must agree (policy names are joined). The result does
/// not depend on the order of the inputs. Base and supplemental policies are not merged together
/// unless --allow-mixed-types is given. Notes about what the merge decided go to standard error.
/// A merged policy with validation errors (which come from invalid inputs) is not written unless
/// --allow-invalid.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Policy XML files to merge.
    #[arg(required = true, num_args = 1..)]
    inputs: Vec<PathBuf>,
    /// Output file (`-` for standard output).
    #[arg(short, long)]
    output: PathBuf,
    /// Merge base and supplemental policies together (the result is a base policy).
    #[arg(long)]
    allow_mixed_types: bool,
    /// Write the merged policy even when it has validation errors.
    #[arg(long)]
    allow_invalid: bool,
}

pub fn run(a: Args) -> CmdResult {
    let loaded = a
        .inputs
        .iter()
        .map(|p| input::load_policy(p))
        .collect::<Result<Vec<_>, _>>()?;
    let policies: Vec<&cipolicy::model::Policy> = loaded.iter().map(|l| &l.policy).collect();
    let opts = MergeOptions {
        allow_mixed_types: a.allow_mixed_types,
    };
    let merged = merge(&policies, opts).map_err(|e| match e {
        MergeError::Dangling { input, .. } => CliError::input(format!("{}: {e}", a.inputs[input - 1].display())),
        e => CliError::findings(e.to_string()),
    })?;
    for n in &merged.notes {
        eprintln!("note: {n}");
    }
    super::validate::gate("merged policy", &merged.policy, None, a.allow_invalid)?;
    let text = xml::write(&merged.policy);
    if a.output.as_os_str() == "-" {
        print!("{text}");
    } else {
        fsio::write_atomic(&a.output, text.as_bytes())
            .map_err(|e| CliError::input(format!("cannot write {}: {e}", a.output.display())))?;
    }
    Ok(ExitCode::SUCCESS)
}
