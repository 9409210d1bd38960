//! `cipolicy verify`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::cert::ParsedCert;
use cipolicy::sign::{self, VerifyOptions};

use super::{CliError, CmdResult, Format, input, print_json};

/// Check a signed policy the way Windows would, as far as that is possible offline.
///
/// Checks the CMS structure and version (1; a v3 file can fail to boot), the content type, the
/// message digest, the RSA signature, the chain to --trust roots, which UpdatePolicySigner the
/// signer satisfies (by TBS of which embedded certificate, and CN), and with --previous that
/// the PolicyID is the same and VersionEx does not go down. Exit 1 when any check fails.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Signed policy (.p7b, or a signed .cip).
    file: PathBuf,
    /// Trusted root certificate(s), PEM or DER.
    #[arg(long, num_args = 1..)]
    trust: Vec<PathBuf>,
    /// Check certificate validity at this time (RFC 3339, or a date: 2018-01-01). Without it validity is not checked,
    /// so the result never depends on the clock.
    #[arg(long)]
    time: Option<String>,
    /// The policy this one replaces (XML, binary or signed): same PolicyID, VersionEx not lower,
    /// and the signer must satisfy its UpdatePolicySigners.
    #[arg(long)]
    previous: Option<PathBuf>,
    /// Base policy of a supplemental: the signer must match its SupplementalPolicySigners.
    #[arg(long)]
    base: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(a: Args) -> CmdResult {
    let bytes = input::read_bytes(&a.file)?;
    if bytes.is_empty() {
        return Err(CliError::input(format!(
            "{}: the file is empty; expected a signed policy",
            a.file.display()
        )));
    }
    if cipolicy::xml::looks_like_xml(&bytes) {
        return Err(CliError::input(format!(
            "{}: this is SiPolicy XML; a signed policy is a binary (`cipolicy compile`, then `cipolicy sign`)",
            a.file.display()
        )));
    }
    let mut trust = Vec::new();
    for t in &a.trust {
        let certs = ParsedCert::all_from_pem_or_der(&input::read_bytes(t)?)
            .map_err(|e| CliError::input(format!("{}: {e}", t.display())))?;
        trust.extend(certs);
    }
    let time = a
        .time
        .as_deref()
        .map(|t| sign::parse_time(t).map_err(|e| CliError::input(format!("--time: {e}"))))
        .transpose()?;
    let previous = a.previous.as_deref().map(super::sign::load_related).transpose()?;
    let base = a.base.as_deref().map(super::sign::load_related).transpose()?;
    let policy = sign::unwrap(&bytes)
        .ok()
        .and_then(|u| super::sign::decode_binary(&a.file, &u.content));
    let opts = VerifyOptions {
        trust,
        time,
        policy: policy.as_ref(),
        previous: previous.as_ref(),
        base: base.as_ref(),
    };
    let report = sign::verify(&bytes, &opts);
    match a.format {
        Format::Human => print!("{}", sign::render_human(&report)),
        Format::Json => print_json(&report)?,
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
