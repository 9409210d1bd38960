//! `cipolicy compile`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cipolicy::cip::{self, CompileOptions, SortAlgorithm};
use cipolicy::model::Policy;
use cipolicy::{fsio, valid, xml};

use super::{CliError, CmdResult, input};

/// Compile a policy XML to the binary format.
///
/// Writes `{PolicyID}.cip` for multiple-policy-format policies and `SiPolicy.p7b` for legacy
/// single-policy ones (PolicyTypeID only) into the output folder, or exactly PATH when -o names
/// a file. The bytes are those ConvertFrom-CIPolicy writes. The default format version is 8
/// (what Microsoft ships today; ConvertFrom-CIPolicy of 2022 to mid-2025 wrote 7); a feature the
/// chosen version cannot hold is an error, never dropped. The output is unsigned. A policy with
/// validation errors (see `cipolicy validate`) is refused unless --allow-invalid.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Policy XML file.
    file: PathBuf,
    /// Output folder (default: the current folder), or the output file when it does not name an
    /// existing folder and does not end with a path separator.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Binary format version to write (1 to 11).
    #[arg(long, default_value_t = cip::DEFAULT_FORMAT_VERSION,
          value_parser = clap::value_parser!(u32).range(1..=11))]
    format_version: u32,
    /// How rules with equal sort keys are ordered: `legacy` is ConvertFrom-CIPolicy in Windows
    /// PowerShell; `introsort` is .NET Core / .NET 4.5+ hosts (pwsh 7, the WDAC Wizard).
    #[arg(long, value_enum, default_value_t = Sort::Legacy)]
    sort: Sort,
    /// Write the binary even when `cipolicy validate` finds errors (they are still printed).
    #[arg(long)]
    allow_invalid: bool,
}

/// `--sort` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Sort {
    /// .NET Framework legacy quicksort.
    Legacy,
    /// .NET introsort.
    Introsort,
}

/// The file name Windows expects for the policy: `{PolicyID}.cip`, or `SiPolicy.p7b` for the
/// legacy single-policy format.
pub fn default_file_name(p: &Policy) -> String {
    match p.policy_id {
        Some(id) if !p.is_legacy() => format!("{id}.cip"),
        _ => "SiPolicy.p7b".to_string(),
    }
}

fn output_path(output: Option<&Path>, p: &Policy) -> PathBuf {
    match output {
        None => PathBuf::from(default_file_name(p)),
        Some(o) => {
            let names_folder = o.is_dir() || o.as_os_str().to_string_lossy().ends_with(std::path::is_separator);
            if names_folder {
                o.join(default_file_name(p))
            } else {
                o.to_path_buf()
            }
        }
    }
}

pub fn run(a: Args) -> CmdResult {
    let name = a.file.display().to_string();
    let bytes = input::read_bytes(&a.file)?;
    let unreadable = |e: xml::XmlError| CliError::input(format!("{name}:{e}"));
    // The steps of `xml::read`, with the input's bytes becoming the text in place (not copied),
    // and the schema layer checking the tree on a second thread while it is mapped to the model.
    let text = xml::tree::decode_owned(bytes).map_err(unreadable)?;
    let root = xml::tree::parse(&text).map_err(unreadable)?;
    let (doc, schema_findings) = xml::Document::from_tree_with(text, root, valid::schema::check);
    let doc = doc.map_err(unreadable)?;
    let opts = CompileOptions {
        format_version: a.format_version,
        sort: match a.sort {
            Sort::Legacy => SortAlgorithm::LegacyQuickSort,
            Sort::Introsort => SortAlgorithm::IntroSort,
        },
    };
    let path = output_path(a.output.as_deref(), &doc.policy);
    // Then the rest of the validation, and meanwhile the encoding and the writing of the output to
    // a temporary file, flushed to disk. That file replaces `path` only when the validation lets
    // it, so what is printed, refused and written is as if the steps ran one after the other.
    let (compiled, gated) = cipolicy::par::join(
        || {
            cip::compile(&doc.policy, &opts).map(|compiled| {
                let staged = fsio::stage(&path, &compiled.bytes);
                (compiled, staged)
            })
        },
        || {
            let report = valid::validate_document(&doc.policy, &doc, schema_findings, &valid::Options::default());
            super::validate::judge(&name, report, Some(&doc.text), a.allow_invalid)
        },
    );
    gated?;
    let (compiled, staged) = compiled.map_err(|e| CliError::input(format!("{name}: cannot compile: {e}")))?;
    for w in &compiled.warnings {
        eprintln!("warning: {name}: {w}");
    }
    staged
        .and_then(fsio::Staged::commit)
        .map_err(|e| CliError::input(format!("cannot write {}: {e}", path.display())))?;
    println!(
        "{} ({} bytes, format version {})",
        path.display(),
        compiled.bytes.len(),
        a.format_version
    );
    // The process ends after this: dropping the tree, the source map and the policy would visit
    // each of their tens of thousands of allocations for nothing.
    std::mem::forget(doc);
    Ok(ExitCode::SUCCESS)
}
