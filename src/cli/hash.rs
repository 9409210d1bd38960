//! `cipolicy hash`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::scan::report::facts_text;
use cipolicy::scan::{WalkOptions, walk::scan_paths};

use super::{CliError, CmdResult, Format, print_json};

/// Print the facts WDAC rules are made of, for files or folders.
///
/// Authenticode (or PowerShell/MSI SIP) SHA-1 and SHA-256, first-page hashes, flat SHA-256, PE
/// version resource, and every embedded signature with its chain (TBS hashes, names, EKUs,
/// program name). Every file is hashed, whatever its kind.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Files or folders.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(a: Args) -> CmdResult {
    for p in &a.files {
        if !p.exists() {
            return Err(CliError::input(format!("{}: no such file or folder", p.display())));
        }
    }
    let walk = WalkOptions {
        all_files: true,
        flat_sha256: true,
        ..WalkOptions::default()
    };
    let out = scan_paths(&a.files, &walk).map_err(|e| CliError::input(e.to_string()))?;
    match a.format {
        Format::Human => {
            for f in &out.files {
                print!("{}", facts_text(f));
            }
            for i in &out.issues {
                eprintln!("{}: {}", i.path, i.message);
            }
        }
        Format::Json => print_json(&serde_json::json!({ "files": out.files, "issues": out.issues }))?,
    }
    Ok(ExitCode::SUCCESS)
}
