//! `cipolicy build`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cipolicy::cip::{self, CompileOptions};
use cipolicy::spec::{self, BuildOptions, ScanRequest};
use cipolicy::{fsio, wiring, xml};

use super::{CliError, CmdResult};

/// The pack built when no spec is given.
const DEFAULT_PACK: &str = "restrict-app-execution";

/// Build policy XML and the binary from an allow-list spec (TOML).
///
/// Writes NAME.xml (NAME from [policy] name) and {PolicyID}.cip into the output folder,
/// atomically; the same spec always gives the same bytes. Without SPEC, builds the built-in
/// pack rules/restrict-app-execution.toml. Spec errors are printed with file:line:column and
/// exit with code 2. The spec format is described in docs/spec.md.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Spec file, or `builtin:NAME` for a built-in pack (allow-microsoft, default-windows,
    /// restrict-app-execution, supplemental-example).
    spec: Option<String>,
    /// Output folder (created when missing).
    #[arg(short, long, default_value = ".")]
    output: PathBuf,
    /// Binary format version to write (1-11; default 8, what current Microsoft tooling ships).
    #[arg(long, value_name = "N")]
    format_version: Option<u32>,
    /// Write the outputs even when `cipolicy validate` finds errors in the built policy.
    #[arg(long)]
    allow_invalid: bool,
}

pub fn run(a: Args) -> CmdResult {
    let scanner = |r: &ScanRequest<'_>| wiring::scan_folder(r, &|w| eprintln!("warning: {w}"));
    let opts = BuildOptions {
        xml: Some(&wiring::read_xml),
        scanner: Some(&scanner),
    };
    let builtin = match a.spec.as_deref() {
        None => Some(DEFAULT_PACK),
        Some(s) => s.strip_prefix("builtin:"),
    };
    let built = match (builtin, &a.spec) {
        (Some(name), _) => {
            let text = spec::pack(name).ok_or_else(|| {
                let names: Vec<&str> = spec::PACKS.iter().map(|(n, _)| *n).collect();
                CliError::input(format!(
                    "no built-in pack `{name}`; the packs are: {}",
                    names.join(", ")
                ))
            })?;
            let display = format!("rules/{name}.toml (built in)");
            spec::build_text(&display, Path::new("rules"), text, &opts)
        }
        (None, Some(path)) => spec::build_file(Path::new(path), &opts),
        (None, None) => unreachable!("no spec means the default pack"),
    };
    let built = built.map_err(|e| {
        eprintln!("{e}");
        let n = e.0.len();
        CliError::input(format!(
            "{} not built: {n} error{} in the spec",
            a.spec.as_deref().unwrap_or(DEFAULT_PACK),
            if n == 1 { "" } else { "s" }
        ))
    })?;
    super::validate::gate(
        a.spec.as_deref().unwrap_or(DEFAULT_PACK),
        &built.policy,
        None,
        a.allow_invalid,
    )?;
    let mut copts = CompileOptions::default();
    if let Some(v) = a.format_version {
        copts.format_version = v;
    }
    // Compile before writing anything, so a policy the binary cannot express leaves no artifact.
    let compiled = cip::compile(&built.policy, &copts).map_err(|e| CliError::input(format!("cannot compile: {e}")))?;
    for w in &compiled.warnings {
        eprintln!("warning: {w}");
    }
    std::fs::create_dir_all(&a.output)
        .map_err(|e| CliError::input(format!("cannot create {}: {e}", a.output.display())))?;
    let xml_path = a.output.join(built.xml_file_name());
    let bin_path = a.output.join(built.binary_file_name());
    let text = xml::write(&built.policy);
    // Both files or neither: a failed write or rename leaves the previous pair as it was.
    fsio::write_all_atomic(&[(&xml_path, text.as_bytes()), (&bin_path, compiled.bytes.as_slice())]).map_err(|e| {
        CliError::input(format!(
            "cannot write {} and {}: {e}",
            xml_path.display(),
            bin_path.display()
        ))
    })?;
    for path in [&xml_path, &bin_path] {
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
