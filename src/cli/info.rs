//! `cipolicy info`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::report::info::{PolicyInfo, SourceInfo};

use super::{CmdResult, Format, input, print_json};

/// Show a policy's type, IDs, version, options, section counts and scenarios.
///
/// Accepts SiPolicy XML, binary policies (.cip / .p7b, signed or not) and allow-list specs
/// (.toml, built first as `cipolicy build` would).
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
    let info = if input::is_spec(&a.file) {
        let source = SourceInfo {
            kind: "spec".into(),
            ..SourceInfo::default()
        };
        PolicyInfo::new(&input::load_spec(&a.file)?, source)
    } else {
        let loaded = input::load_policy(&a.file)?;
        PolicyInfo::new(&loaded.policy, loaded.source)
    };
    match a.format {
        Format::Human => print!("{}", info.to_human()),
        Format::Json => print_json(&info)?,
    }
    Ok(ExitCode::SUCCESS)
}
