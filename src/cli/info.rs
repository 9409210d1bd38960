//! `cipolicy info`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::report::info::PolicyInfo;

use super::{CmdResult, Format, input, print_json};

/// Show a policy's type, IDs, version, options, section counts and scenarios.
///
/// Accepts SiPolicy XML and binary policies (.cip / .p7b, signed or not).
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Policy file.
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(a: Args) -> CmdResult {
    let loaded = input::load_policy(&a.file)?;
    let info = PolicyInfo::new(&loaded.policy, loaded.source);
    match a.format {
        Format::Human => print!("{}", info.to_human()),
        Format::Json => print_json(&info)?,
    }
    Ok(ExitCode::SUCCESS)
}
