//! Subcommands. Each module holds its clap arguments and a `run` of a few lines.

mod audit;
mod build;
mod compile;
mod decompile;
mod diff;
mod explain;
mod fmt;
mod hash;
mod info;
mod input;
mod merge;
mod scan;
mod set;
mod sign;
mod validate;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit-code table shown in every `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  findings: validation errors, `--check` differences, failed verification, refused signing
  2  bad input or usage: unreadable or malformed files, invalid arguments";

/// Compiler and toolkit for Windows App Control for Business (WDAC) code-integrity policies.
///
/// Reads SiPolicy XML, binary policies (.cip, SiPolicy.p7b, signed or not) and allow-list specs;
/// writes canonical XML and byte-exact binaries, deterministically, on any OS.
#[derive(Debug, Parser)]
#[command(name = "cipolicy", version, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Audit(audit::Args),
    Build(build::Args),
    Compile(compile::Args),
    Decompile(decompile::Args),
    Fmt(fmt::Args),
    Hash(hash::Args),
    Info(info::Args),
    Merge(merge::Args),
    Diff(diff::Args),
    Explain(explain::Args),
    Set(Box<set::Args>),
    Scan(scan::Args),
    Sign(sign::Args),
    Verify(verify::Args),
    Validate(validate::Args),
}

/// Output format for reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    #[default]
    Human,
    /// JSON for pipelines.
    Json,
}

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    /// Process exit code.
    pub code: u8,
    /// Message printed after `error: `.
    pub message: String,
}

impl CliError {
    /// Exit code 2: unreadable or malformed input, bad usage.
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
        }
    }

    /// Exit code 1: the input was read but the command's check failed.
    pub fn findings(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}

/// Result of a subcommand: the exit code to end with.
pub type CmdResult = Result<ExitCode, CliError>;

/// Parses arguments, runs the subcommand, prints errors and maps them to exit codes.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Audit(a) => audit::run(a),
        Command::Build(a) => build::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Decompile(a) => decompile::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Hash(a) => hash::run(a),
        Command::Info(a) => info::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Set(a) => set::run(*a),
        Command::Scan(a) => scan::run(a),
        Command::Sign(a) => sign::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Validate(a) => validate::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Prints JSON to stdout.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::input(format!("cannot encode JSON: {e}")))?;
    println!("{text}");
    Ok(())
}
