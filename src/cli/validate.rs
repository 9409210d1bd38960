//! `cipolicy validate`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cipolicy::model::SignTime;
use cipolicy::valid::{self, CertChain, Options, Severity, Target, render};

use super::{CliError, CmdResult, input, print_json};

/// Check policies against the schema, the semantic rules and the signing requirements.
///
/// Every finding has a stable code (see docs/validation-codes.md). The schema layer checks what
/// the newest cipolicy.xsd requires; the semantic layer what ConfigCI and Windows need; the
/// signing layer what signing or replacing a signed policy needs (--cert, --previous, --base).
/// Exit 1 when any input has an error (or a warning, with --deny-warnings); exit 2 when an input
/// or option file cannot be read at all.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Policy files: SiPolicy XML, binary (.cip, .p7b, signed or not), or allow-list specs
    /// (.toml).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Windows build the policies are for: win10-1607, win10-1709, win10-1803, win10-1903,
    /// win10-2004, win11-21h2, win11-22h2, server2016, server2019, server2022, server2025, or
    /// portable (everything that supports the multiple-policy format).
    #[arg(long, value_parser = parse_target)]
    target: Option<Target>,
    /// Certificate that will sign the policies (PEM or DER; a PEM file may add intermediates).
    #[arg(long, value_name = "CERT")]
    cert: Option<PathBuf>,
    /// The deployed policy these replace: VersionEx must not go down, PolicyID must stay, and
    /// --cert must satisfy its UpdatePolicySigners.
    #[arg(long, value_name = "OLD")]
    previous: Option<PathBuf>,
    /// The base policy of supplemental policies.
    #[arg(long, value_name = "BASE")]
    base: Option<PathBuf>,
    /// Reference time for time-dependent checks (xs:dateTime or YYYY-MM-DD); defaults to
    /// $SOURCE_DATE_EPOCH when set. Without either, those checks are skipped.
    #[arg(long, value_parser = parse_now)]
    now: Option<SignTime>,
    /// Treat warnings as errors for the exit code.
    #[arg(long)]
    deny_warnings: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Output formats of `validate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text with source snippets.
    #[default]
    Human,
    /// JSON.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

fn parse_target(s: &str) -> Result<Target, String> {
    s.parse().map_err(|e: valid::TargetError| e.to_string())
}

fn parse_now(s: &str) -> Result<SignTime, String> {
    cipolicy::sign::parse_sign_time(s).map_err(|e| e.to_string())
}

/// `SOURCE_DATE_EPOCH` (seconds since 1970) as a FILETIME.
fn source_date_epoch() -> Option<SignTime> {
    let secs: i64 = std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()?;
    const SECS_1601_TO_1970: i64 = 11_644_473_600;
    secs.checked_add(SECS_1601_TO_1970)?
        .checked_mul(10_000_000)
        .map(SignTime)
}

fn load_other(path: &Path, what: &str) -> Result<cipolicy::model::Policy, CliError> {
    input::load_policy(path)
        .map(|l| l.policy)
        .map_err(|e| CliError::input(format!("{what}: {}", e.message)))
}

/// A validated input.
struct Done {
    name: String,
    text: Option<String>,
    report: valid::Report,
}

pub fn run(a: Args) -> CmdResult {
    let cert = match &a.cert {
        None => None,
        Some(p) => {
            let bytes = input::read_bytes(p)?;
            Some(CertChain::from_bytes(&bytes).map_err(|e| CliError::input(format!("--cert {}: {e}", p.display())))?)
        }
    };
    let opts = Options {
        target: a.target,
        cert,
        previous: a.previous.as_deref().map(|p| load_other(p, "--previous")).transpose()?,
        base: a.base.as_deref().map(|p| load_other(p, "--base")).transpose()?,
        now: a.now.or_else(source_date_epoch),
    };
    let mut done = Vec::new();
    let mut unreadable = false;
    for path in &a.files {
        match validate_file(path, &opts) {
            Ok(d) => done.push(d),
            Err(e) => {
                eprintln!("error: {}", e.message);
                unreadable = true;
            }
        }
    }
    print_reports(
        a.format,
        done.iter().map(|d| (d.name.as_str(), d.text.as_deref(), &d.report)),
    )?;
    if unreadable {
        return Ok(ExitCode::from(2));
    }
    let failed = done
        .iter()
        .any(|d| d.report.has_errors() || (a.deny_warnings && d.report.count(Severity::Warning) > 0));
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn validate_file(path: &Path, opts: &Options) -> Result<Done, CliError> {
    let name = path.display().to_string();
    if input::is_spec(path) {
        if !path.is_file() {
            return Err(CliError::input(format!("cannot read {name}: no such file")));
        }
        let v = valid::validate_spec_file(path, opts);
        return Ok(Done {
            name,
            text: v.text,
            report: v.report,
        });
    }
    let bytes = input::read_bytes(path)?;
    if bytes.is_empty() {
        return Err(CliError::input(format!("{name}: the file is empty; expected a policy")));
    }
    if !cipolicy::xml::looks_like_xml(&bytes) {
        let file_name = path.file_name().map(|n| n.to_string_lossy().to_string());
        let report = valid::validate_binary(&bytes, file_name.as_deref(), opts);
        return Ok(Done {
            name,
            text: None,
            report,
        });
    }
    let v = valid::validate_xml(&bytes, opts);
    Ok(Done {
        name,
        text: v.text,
        report: v.report,
    })
}

/// Prints reports, one per input file `(name, source text, report)`, in `format`.
pub fn print_reports<'a>(
    format: Format,
    files: impl Iterator<Item = (&'a str, Option<&'a str>, &'a valid::Report)>,
) -> Result<(), CliError> {
    let inputs: Vec<render::Input<'_>> = files
        .map(|(name, text, report)| render::Input { name, text, report })
        .collect();
    match format {
        Format::Human => print!("{}", render::human(&inputs)),
        Format::Json => print_json(&render::json(&inputs))?,
        Format::Sarif => print_json(&render::sarif(&inputs))?,
    }
    Ok(())
}

/// Validates a policy about to be written as an artifact (`compile`, `build`): errors refuse the
/// artifact (exit 1) unless `allow_invalid`, in which case they are printed and writing goes on.
pub fn gate(
    name: &str,
    policy: &cipolicy::model::Policy,
    doc: Option<&cipolicy::xml::Document>,
    allow_invalid: bool,
) -> Result<(), CliError> {
    let report = valid::validate(policy, doc, &Options::default());
    judge(name, report, doc.map(|d| d.text.as_str()), allow_invalid)
}

/// The verdict of [`gate`] on a report already made; `text` is the document's, for snippets.
pub fn judge(name: &str, report: valid::Report, text: Option<&str>, allow_invalid: bool) -> Result<(), CliError> {
    let errors = report.count(Severity::Error);
    if errors == 0 {
        return Ok(());
    }
    let only_errors = valid::Report::new(
        report
            .findings
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect(),
        report.incomplete,
    );
    let input = render::Input {
        name,
        text,
        report: &only_errors,
    };
    eprint!("{}", render::human(&[input]));
    if allow_invalid {
        eprintln!("warning: {name}: writing the output despite {errors} validation error(s) (--allow-invalid)");
        Ok(())
    } else {
        Err(CliError::findings(format!(
            "{name}: refused: {errors} validation error(s); fix them (see `cipolicy validate`) or pass --allow-invalid"
        )))
    }
}
