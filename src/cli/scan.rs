//! `cipolicy scan`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::model::Guid;
use cipolicy::scan::rules::PcaChoice;
use cipolicy::scan::{Level, NameLevel, RuleOptions, WalkOptions, emit, run_scan};
use cipolicy::{fsio, spec, xml};

use super::{CliError, CmdResult, Format, print_json};

/// What `scan` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputKind {
    /// SiPolicy XML.
    #[default]
    Xml,
    /// Allow-list spec entries (TOML `[signers.*]` and `[[allow]]`) to include in a spec.
    Spec,
}

/// Which certificate PcaCertificate, Publisher and the like use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Pca {
    /// The certificate directly above the leaf.
    #[default]
    Issuer,
    /// The highest certificate below a self-signed root.
    Top,
}

/// Scan files and folders and generate allow rules, like New-CIPolicy -ScanPath.
///
/// PE images (by content), PowerShell scripts and Windows Installer files are hashed in parallel;
/// each file gets rules at --level, or at the first --fallback level it qualifies for. With neither
/// --user-mode nor --kernel-mode both are scanned (New-CIPolicy -UserPEs): kernel-capable images go
/// to the kernel (131) and user (12) scenarios, everything else to user mode only. Files that
/// could not be read or got no rule are listed in a summary on stderr; they never stop the scan.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Files or folders to scan.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Rule level.
    #[arg(long, default_value = "Hash", value_parser = parse_level)]
    level: Level,
    /// Fallback levels, in order (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = parse_level)]
    fallback: Vec<Level>,
    /// Scan user-mode files (scenario 12).
    #[arg(long)]
    user_mode: bool,
    /// Scan kernel-mode images (scenario 131).
    #[arg(long)]
    kernel_mode: bool,
    /// Leave out paths matching this glob (relative to the scan root); repeatable.
    #[arg(long, value_name = "GLOB")]
    omit: Vec<String>,
    /// Output file (default, or `-`: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output kind.
    #[arg(long = "as", value_enum, default_value_t)]
    output_kind: OutputKind,
    /// Version-resource attribute that names files (FileName, FilePublisher levels).
    #[arg(long, default_value = "OriginalFileName", value_parser = parse_name_level)]
    specific_file_name_level: NameLevel,
    /// When OriginalFileName is missing, try InternalName, FileDescription, ProductName.
    #[arg(long)]
    allow_file_name_fallbacks: bool,
    /// Certificate used as the "PCA".
    #[arg(long, value_enum, default_value_t)]
    pca: Pca,
    /// Show paths under this prefix instead of the scan root (e.g. 'C:\Program Files\App').
    #[arg(long, value_name = "PREFIX")]
    path_prefix: Option<String>,
    /// PolicyID (default: derived from the rules).
    #[arg(long)]
    policy_id: Option<Guid>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Do not follow symbolic links.
    #[arg(long)]
    no_follow: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Summary format (json: counts, summary and, without -o, the output text on stdout).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse().map_err(|e: cipolicy::scan::level::LevelError| e.to_string())
}

fn parse_name_level(s: &str) -> Result<NameLevel, String> {
    s.parse()
}

pub fn run(a: Args) -> CmdResult {
    let both = !a.user_mode && !a.kernel_mode;
    let rules = RuleOptions {
        level: a.level,
        fallbacks: a.fallback.clone(),
        user_mode: a.user_mode || both,
        kernel_mode: a.kernel_mode || both,
        name_level: a.specific_file_name_level,
        name_fallbacks: a.allow_file_name_fallbacks,
        pca: match a.pca {
            Pca::Issuer => PcaChoice::Issuer,
            Pca::Top => PcaChoice::Top,
        },
    };
    // A FilePath rule holds the path Windows will see; a path on this machine (a Linux or a
    // build agent's folder) would allow nothing there, so the Windows folder must be named.
    let wants_path = std::iter::once(&a.level)
        .chain(&a.fallback)
        .any(|l| *l == Level::FilePath);
    if wants_path && a.path_prefix.is_none() && !cfg!(windows) {
        return Err(CliError::input(
            "FilePath rules need --path-prefix, the Windows folder the scanned files will be in \
             (e.g. --path-prefix 'C:\\Program Files\\App'): this machine's paths mean nothing to Windows",
        ));
    }
    let walk = WalkOptions {
        omit: a.omit,
        no_follow: a.no_follow,
        path_prefix: a.path_prefix,
        threads: a.threads,
        progress: !a.no_progress,
        all_files: false,
        flat_sha256: false,
    };
    for p in &a.paths {
        if !p.exists() {
            return Err(CliError::input(format!("{}: no such file or folder", p.display())));
        }
    }
    let run = run_scan(&a.paths, &walk, &rules).map_err(|e| CliError::input(e.to_string()))?;
    let policy = emit::to_policy(&run.rules, a.policy_id);
    let text = match a.output_kind {
        OutputKind::Xml => xml::write(&policy),
        OutputKind::Spec => {
            let entries = spec::fragment(&policy).map_err(|e| CliError::input(e.to_string()))?;
            format!("{}{entries}", fragment_header(a.level, &a.fallback))
        }
    };
    // `-o -` is standard output, as for `fmt` and `merge`.
    let output = a.output.as_ref().filter(|o| o.as_os_str() != "-");
    if let Some(out) = output {
        fsio::write_atomic(out, text.as_bytes())
            .map_err(|e| CliError::input(format!("cannot write {}: {e}", out.display())))?;
    }
    match a.format {
        Format::Human => {
            if output.is_none() {
                print!("{text}");
            }
            eprintln!(
                "scanned {} files ({} skipped as not PE/script/installer): {} file rules, {} signers",
                run.output.files.len(),
                run.output.skipped,
                run.rules.rules.len(),
                run.rules.signers.len()
            );
            for i in &run.summary {
                eprintln!("  {}: {}", i.path, i.message);
            }
        }
        Format::Json => {
            let v = serde_json::json!({
                "files": run.output.files.len(),
                "skipped": run.output.skipped,
                "file_rules": run.rules.rules.len(),
                "signers": run.rules.signers.len(),
                "summary": run.summary,
                "output": if output.is_none() { Some(&text) } else { None },
            });
            print_json(&v)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The comment a spec fragment starts with: what made it and how to use it.
fn fragment_header(level: Level, fallback: &[Level]) -> String {
    let mut levels = level.to_string();
    for f in fallback {
        levels.push_str(&format!(", then {f}"));
    }
    format!(
        "# Rules from `cipolicy scan` (level {levels}). Include this file from a spec\n\
         # (include = [\"this-file.toml\"]) or paste it in; docs/spec.md describes the entries.\n\n"
    )
}
