//! `cipolicy explain`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::ops::explain::{explain, to_human};
use cipolicy::scan::{FactOptions, facts_from_bytes};

use super::{CliError, CmdResult, Format, input, print_json};

/// Explain whether a policy allows files, and which rules decide it.
///
/// Each FILE is read as the scanner reads it (hashes, version resource, signatures with their
/// chains) and evaluated in each scenario it loads in (kernel-capable images in kernel and user
/// mode, everything else in user mode): which rules and signers match, deny precedence, and the
/// verdict — allowed, blocked, or not covered (implicitly denied). FilePath rules need the file's
/// Windows path: --as for one file, or --path-prefix (the path is PREFIX\NAME). Exits 0 when every
/// file is allowed in every scenario, 1 otherwise.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Policy file.
    policy: PathBuf,
    /// Files to explain.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The Windows path of the (single) FILE, for FilePath rules (e.g. 'C:\Tools\app.exe').
    #[arg(long = "as", value_name = "WINDOWS_PATH", conflicts_with = "path_prefix")]
    as_path: Option<String>,
    /// Windows folder the FILEs are in, for FilePath rules (e.g. 'C:\Program Files\App').
    #[arg(long, value_name = "PREFIX")]
    path_prefix: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(a: Args) -> CmdResult {
    if a.as_path.is_some() && a.files.len() != 1 {
        return Err(CliError::input(
            "--as names the Windows path of one file; use --path-prefix for several",
        ));
    }
    let policy = input::load_policy(&a.policy)?.policy;
    let mut out = Vec::new();
    for file in &a.files {
        let bytes = input::read_bytes(file)?;
        let shown = file.display().to_string();
        let facts = facts_from_bytes(&shown, &bytes, FactOptions::default());
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let windows_path = a.as_path.clone().or_else(|| {
            a.path_prefix
                .as_ref()
                .map(|p| format!("{}\\{name}", p.trim_end_matches(['\\', '/'])))
        });
        out.push(explain(&policy, &facts, windows_path.as_deref()));
    }
    match a.format {
        Format::Human => print!("{}", to_human(&out)),
        Format::Json => print_json(&out)?,
    }
    Ok(if out.iter().all(|e| e.allowed_everywhere()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
