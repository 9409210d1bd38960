//! `cipolicy audit`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cipolicy::ops::audit::{self, Rating};

use super::validate::Format;
use super::{CliError, CmdResult, input};

/// Review policies for risky trust: the security heuristics of an allow-list audit.
///
/// Where `validate` says whether a policy is correct, `audit` says where a correct policy trusts
/// more than intended: audit mode left on, risky options (ISG, managed installer, option 18,
/// unsigned), well-known roots that trust broad sets (AuthRoot, test and flight roots, third-party
/// roots), CA-level signers, attribute-only allows, FilePath rules in user-writable places and
/// broad wildcards, missing Microsoft block rules, deny rules that do not work (in supplementals,
/// half-open version bounds, missing hash variants), and more. Every finding has a stable code
/// (AU001-AU053, listed in docs/validation-codes.md with the validator's codes), a rating in its
/// message ([critical], [high], [medium], [low], [info]) and help. Ratings map to severities:
/// critical and high are errors, medium and low warnings. Inputs: SiPolicy XML, binary policies,
/// or specs (.toml). Exits 1 when a finding is rated --fail-on or worse (default: high).
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Policy files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Lowest rating that makes the exit code 1.
    #[arg(long, value_enum, default_value_t)]
    fail_on: FailOn,
}

/// `--fail-on`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Critical findings only.
    Critical,
    /// High or critical.
    #[default]
    High,
    /// Medium or worse.
    Medium,
    /// Low or worse.
    Low,
    /// Any finding.
    Info,
    /// Never (exit 0 whatever is found).
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Rating> {
        Some(match self {
            FailOn::Critical => Rating::Critical,
            FailOn::High => Rating::High,
            FailOn::Medium => Rating::Medium,
            FailOn::Low => Rating::Low,
            FailOn::Info => Rating::Info,
            FailOn::Never => return None,
        })
    }
}

struct Done {
    name: String,
    text: Option<String>,
    report: cipolicy::valid::Report,
    worst: Option<Rating>,
}

fn audit_file(path: &Path) -> Result<Done, CliError> {
    let name = path.display().to_string();
    let (policy, doc) = if input::is_spec(path) {
        (input::load_spec(path)?, None)
    } else {
        let loaded = input::load_policy(path)?;
        (loaded.policy, loaded.xml)
    };
    let worst = audit::audit(&policy).iter().map(|h| h.rating).max();
    let report = audit::report(&policy, doc.as_ref());
    Ok(Done {
        name,
        text: doc.map(|d| d.text),
        report,
        worst,
    })
}

pub fn run(a: Args) -> CmdResult {
    let done = a.files.iter().map(|p| audit_file(p)).collect::<Result<Vec<_>, _>>()?;
    super::validate::print_reports(
        a.format,
        done.iter().map(|d| (d.name.as_str(), d.text.as_deref(), &d.report)),
    )?;
    let failed = a
        .fail_on
        .threshold()
        .is_some_and(|t| done.iter().any(|d| d.worst.is_some_and(|w| w >= t)));
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
