//! `cipolicy decompile`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::{fsio, xml};

use super::{CliError, CmdResult, input};

/// Turn a binary policy (.cip, SiPolicy.p7b) back into policy XML.
///
/// IDs, names and comments are not stored in binaries; they are regenerated deterministically
/// (ID_ALLOW_A_1, ID_SIGNER_S_1, …). Compiling the result with the same --format-version gives
/// back exactly the input bytes.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Binary policy file.
    file: PathBuf,
    /// Write the XML here (atomically) instead of to standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(a: Args) -> CmdResult {
    let bytes = input::read_bytes(&a.file)?;
    let loaded = input::load_binary(&a.file, &bytes)?;
    let text = xml::write(&loaded.policy);
    match a.output {
        Some(p) if p.as_os_str() != "-" => fsio::write_atomic(&p, text.as_bytes())
            .map_err(|e| CliError::input(format!("cannot write {}: {e}", p.display())))?,
        _ => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
