//! `cipolicy fmt`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::{fsio, xml};

use super::{CliError, CmdResult, input};

/// Rewrite a policy XML in canonical form.
///
/// Canonical form: UTF-8, LF, two-space indent, schema element order, stable attribute order
/// (ID first). XML comments are not kept. Without -o or --check the file is rewritten in place,
/// atomically.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Policy XML file.
    file: PathBuf,
    /// Write here instead of rewriting FILE (`-` for standard output).
    #[arg(short, long, conflicts_with = "check")]
    output: Option<PathBuf>,
    /// Change nothing; exit 1 when FILE is not in canonical form.
    #[arg(long)]
    check: bool,
}

pub fn run(a: Args) -> CmdResult {
    let bytes = input::read_bytes(&a.file)?;
    let doc = input::load_xml(&a.file, &bytes)?
        .xml
        .expect("load_xml keeps the document");
    let canonical = xml::write(&doc.policy);
    if a.check {
        if bytes == canonical.as_bytes() {
            return Ok(ExitCode::SUCCESS);
        }
        let line = first_difference_line(&String::from_utf8_lossy(&bytes), &canonical);
        return Err(CliError::findings(format!(
            "{} is not in canonical form (first difference at line {line}); run `cipolicy fmt {}`",
            a.file.display(),
            a.file.display()
        )));
    }
    match a.output {
        Some(p) if p.as_os_str() == "-" => print!("{canonical}"),
        Some(p) => write(&p, &canonical)?,
        None => write(&a.file, &canonical)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn write(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    fsio::write_atomic(path, text.as_bytes())
        .map_err(|e| CliError::input(format!("cannot write {}: {e}", path.display())))
}

fn first_difference_line(a: &str, b: &str) -> usize {
    a.lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.lines().count().min(b.lines().count()))
        + 1
}
