//! `cipolicy set`.

use std::path::PathBuf;
use std::process::ExitCode;

use cipolicy::cert::CertFacts;
use cipolicy::model::{Guid, Version};
use cipolicy::ops::set::{AddSigner, Edit, apply, parse_hvci, parse_option, parse_setting};
use cipolicy::{fsio, xml};

use super::{CliError, CmdResult, input};

/// Edit a policy XML in place: options, version, IDs, name, HVCI, settings, signers.
///
/// The edits ConfigCI users make with Set-RuleOption, Set-CIPolicyVersion, Set-CIPolicyIdInfo,
/// Set-HVCIOptions, Set-CIPolicySetting and Add-SignerRule. Edits apply in this order: IDs, name,
/// version, HVCI, options, settings, signers. The file is rewritten in canonical form, atomically
/// (or written to -o).
///
/// HVCI values (HvciOptions bits): enabled = 1, strict = 2, debug = 4, disable-allowed = 8,
/// none = 0; combine with commas (enabled,strict = 3) or give the number.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES, disable_version_flag = true)]
pub struct Args {
    /// Policy XML file.
    file: PathBuf,
    /// Set a rule option, by Set-RuleOption number (0-21) or text ("3", "Enabled:Audit Mode",
    /// "audit mode"). Repeatable.
    #[arg(long = "option", value_name = "N|NAME")]
    options: Vec<String>,
    /// Remove the --option and --setting entries instead of setting them.
    #[arg(long)]
    delete: bool,
    /// Set VersionEx (four parts, e.g. 10.0.1.0).
    #[arg(long, value_name = "V")]
    version: Option<Version>,
    /// Set PolicyID (a base's BasePolicyID follows it).
    #[arg(long, value_name = "GUID")]
    policy_id: Option<Guid>,
    /// Make the policy a supplemental of this base (its own PolicyID makes it a base again).
    #[arg(long, value_name = "GUID")]
    base_policy_id: Option<Guid>,
    /// Set the policy name (PolicyInfo/Information/Name, shown by Windows, and FriendlyName).
    #[arg(long)]
    name: Option<String>,
    /// Set the free-text policy ID Windows shows in events (PolicyInfo/Information/Id).
    #[arg(long, value_name = "TEXT")]
    info_id: Option<String>,
    /// Set HvciOptions: enabled, strict, debug, disable-allowed, none, a comma list, or a number.
    #[arg(long, value_name = "VALUE")]
    hvci: Option<String>,
    /// Add or replace a secure setting: PROVIDER/KEY/VALUENAME=TYPE:VALUE with TYPE boolean,
    /// dword, binary (hex) or string; with --delete, PROVIDER/KEY/VALUENAME. Repeatable.
    #[arg(long = "setting", value_name = "SETTING")]
    settings: Vec<String>,
    /// Add a signer from a certificate (PEM or DER), as Add-SignerRule does: its TBS hash
    /// becomes the CertRoot and its CN the signer name. Say where with --user, --kernel,
    /// --update, --supplemental. Repeatable.
    #[arg(long = "add-signer", value_name = "CERT")]
    add_signers: Vec<PathBuf>,
    /// With --add-signer: allow (or with --deny, deny) in user mode (scenario 12).
    #[arg(long, requires = "add_signers")]
    user: bool,
    /// With --add-signer: allow (or deny) in kernel mode (scenario 131).
    #[arg(long, requires = "add_signers")]
    kernel: bool,
    /// With --add-signer: add to UpdatePolicySigners (may sign updates of this policy).
    #[arg(long, requires = "add_signers")]
    update: bool,
    /// With --add-signer: add to SupplementalPolicySigners (may sign supplementals of this base).
    #[arg(long, requires = "add_signers")]
    supplemental: bool,
    /// With --add-signer: deny instead of allow in the scenarios.
    #[arg(long, requires = "add_signers")]
    deny: bool,
    /// With --add-signer: also require this leaf CN (CertPublisher; Publisher level, where CERT is
    /// the issuing CA).
    #[arg(long, value_name = "CN", requires = "add_signers")]
    publisher: Option<String>,
    /// Write here instead of rewriting FILE (`-` for standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Validation errors of a policy, as (code, message).
fn error_codes(p: &cipolicy::model::Policy) -> Vec<(String, String)> {
    let report = cipolicy::valid::validate(p, None, &cipolicy::valid::Options::default());
    report
        .findings
        .into_iter()
        .filter(|f| f.severity == cipolicy::valid::Severity::Error)
        .map(|f| (f.code.to_string(), f.message))
        .collect()
}

fn usage(e: impl std::fmt::Display) -> CliError {
    CliError::input(e.to_string())
}

fn edits(a: &Args) -> Result<Vec<Edit>, CliError> {
    let mut edits = Vec::new();
    if let Some(g) = a.policy_id {
        edits.push(Edit::PolicyId(g));
    }
    if let Some(g) = a.base_policy_id {
        edits.push(Edit::BasePolicyId(g));
    }
    if let Some(n) = &a.name {
        edits.push(Edit::Name(n.clone()));
    }
    if let Some(n) = &a.info_id {
        edits.push(Edit::InfoId(n.clone()));
    }
    if let Some(v) = a.version {
        edits.push(Edit::Version(v));
    }
    if let Some(h) = &a.hvci {
        edits.push(Edit::Hvci(parse_hvci(h).map_err(usage)?));
    }
    for o in &a.options {
        edits.push(Edit::Option {
            option: parse_option(o).map_err(usage)?,
            delete: a.delete,
        });
    }
    for s in &a.settings {
        edits.push(parse_setting(s, a.delete).map_err(usage)?);
    }
    for c in &a.add_signers {
        let bytes = input::read_bytes(c)?;
        let cert = CertFacts::from_pem_or_der(&bytes).map_err(|e| CliError::input(format!("{}: {e}", c.display())))?;
        edits.push(Edit::AddSigner(AddSigner {
            cert,
            publisher: a.publisher.clone(),
            user: a.user,
            kernel: a.kernel,
            update: a.update,
            supplemental: a.supplemental,
            deny: a.deny,
        }));
    }
    if a.delete && a.options.is_empty() && a.settings.is_empty() {
        return Err(usage("--delete applies to --option and --setting; give one"));
    }
    if edits.is_empty() {
        return Err(usage("nothing to set; see `cipolicy set --help`"));
    }
    Ok(edits)
}

pub fn run(a: Args) -> CmdResult {
    let edits = edits(&a)?;
    let bytes = input::read_bytes(&a.file)?;
    let mut policy = input::load_xml(&a.file, &bytes)?.policy;
    let before = error_codes(&policy);
    for e in &edits {
        for n in apply(&mut policy, e).map_err(usage)? {
            eprintln!("note: {n}");
        }
    }
    // Edits are written even when they leave the policy invalid (a signing setup takes several
    // steps), but new validation errors are pointed out.
    for (code, message) in error_codes(&policy) {
        if !before.iter().any(|(c, _)| *c == code) {
            eprintln!("warning: the edit leaves a validation error: {code} {message}");
        }
    }
    let text = xml::write(&policy);
    let out = a.output.as_ref().unwrap_or(&a.file);
    if out.as_os_str() == "-" {
        print!("{text}");
    } else {
        fsio::write_atomic(out, text.as_bytes())
            .map_err(|e| CliError::input(format!("cannot write {}: {e}", out.display())))?;
    }
    Ok(ExitCode::SUCCESS)
}
