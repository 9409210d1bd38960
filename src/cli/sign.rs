//! `cipolicy sign`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cipolicy::model::Policy;
use cipolicy::sign::{self, DigestAlg, SignError, SignOptions, SigningIdentity};
use cipolicy::{cip, fsio, xml};

use super::{CliError, CmdResult, input};

/// Environment variable holding the PKCS#12 password (never taken from the command line).
pub const PKCS12_PASSWORD_ENV: &str = "CIPOLICY_PKCS12_PASSWORD";

/// Sign a binary policy: CMS SignedData version 1, as signtool writes it for policies.
///
/// Before signing it refuses (exit 1) when option 6 is still set, when the certificate chain
/// matches none of the policy's UpdatePolicySigners (or, with --base, none of the base's
/// SupplementalPolicySigners), when the key is not RSA 2048/3072/4096, or when the key is not
/// the certificate's. --force overrides the policy checks. The output is deterministic: the same
/// inputs give the same bytes (no signing time unless --signing-time is given).
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Policy to sign: a binary (.cip, unsigned SiPolicy.p7b) or XML, which is compiled first
    /// with the defaults of `cipolicy compile`.
    policy: PathBuf,
    /// Signer certificate, PEM or DER (further PEM certificates in the file join the chain).
    #[arg(long, required_unless_present = "pkcs12", conflicts_with = "pkcs12")]
    cert: Option<PathBuf>,
    /// Private key: PKCS#8 or PKCS#1, PEM or DER, unencrypted.
    #[arg(long, required_unless_present = "pkcs12", conflicts_with = "pkcs12")]
    key: Option<PathBuf>,
    /// Intermediate certificates to embed (PEM, several per file allowed). Embed every
    /// certificate an UpdatePolicySigner names: Windows has only what the file carries.
    #[arg(long, num_args = 1..)]
    chain: Vec<PathBuf>,
    /// PKCS#12 (.pfx/.p12) with certificate, chain and key. The password comes from the
    /// CIPOLICY_PKCS12_PASSWORD environment variable, or a prompt on a terminal.
    #[arg(long)]
    pkcs12: Option<PathBuf>,
    /// Signature digest (SHA-384/512 need Windows 11, or Windows 10 after the November 2022 update).
    #[arg(long, default_value = "sha256", value_parser = ["sha256", "sha384", "sha512"])]
    digest: String,
    /// Add a signingTime attribute with this time (RFC 3339, e.g. 2025-01-31T12:00:00Z).
    #[arg(long)]
    signing_time: Option<String>,
    /// Base policy of a supplemental: the signer must match its SupplementalPolicySigners.
    #[arg(long)]
    base: Option<PathBuf>,
    /// Sign despite refusals about the policy or key size.
    #[arg(long)]
    force: bool,
    /// Output file (default: POLICY with the extension .p7b; .signed.p7b if POLICY is a .p7b).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(a: Args) -> CmdResult {
    let bytes = input::read_bytes(&a.policy)?;
    let (content, policy) = policy_input(&a.policy, &bytes)?;
    let identity = load_identity(&a)?;
    let base = a.base.as_deref().map(load_related).transpose()?;
    let signing_time = a
        .signing_time
        .as_deref()
        .map(|t| sign::parse_time(t).map_err(|e| CliError::input(format!("--signing-time: {e}"))))
        .transpose()?;
    let opts = SignOptions {
        identity: &identity,
        digest: DigestAlg::parse(&a.digest).unwrap_or_default(),
        signing_time,
        policy: policy.as_ref(),
        base: base.as_ref(),
        force: a.force,
    };
    if a.force {
        for r in sign::checks::pre_sign(&identity, policy.as_ref(), base.as_ref()) {
            if r.overridable() {
                eprintln!("warning: --force overrides: {r}");
            }
        }
    }
    let signed = match sign::sign(&content, &opts) {
        Ok(s) => s,
        Err(e @ SignError::Refused(_)) => return Err(CliError::findings(e.to_string())),
        Err(e) => return Err(CliError::input(e.to_string())),
    };
    let out = a.output.unwrap_or_else(|| default_output(&a.policy));
    fsio::write_atomic(&out, &signed).map_err(|e| CliError::input(format!("cannot write {}: {e}", out.display())))?;
    eprintln!(
        "signed by `{}` ({} certificate(s) embedded): {}",
        identity.cert.facts.subject_name,
        1 + identity.chain.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// POLICY with the extension `.p7b`, or `.signed.p7b` when that would overwrite the input (an
/// unsigned legacy `SiPolicy.p7b`).
fn default_output(input: &Path) -> PathBuf {
    let out = input.with_extension("p7b");
    if out == input {
        input.with_extension("signed.p7b")
    } else {
        out
    }
}

/// The bytes to sign and, when it can be decoded, the policy they hold. XML is compiled with
/// the defaults of `cipolicy compile` (format version 8, legacy sort).
fn policy_input(path: &Path, bytes: &[u8]) -> Result<(Vec<u8>, Option<Policy>), CliError> {
    if xml::looks_like_xml(bytes) {
        let loaded = input::load_xml(path, bytes)?;
        let compiled = cip::compile(&loaded.policy, &cip::CompileOptions::default())
            .map_err(|e| CliError::input(format!("{}: cannot compile: {e}", path.display())))?;
        for w in &compiled.warnings {
            eprintln!("warning: {}: {w}", path.display());
        }
        return Ok((compiled.bytes, Some(loaded.policy)));
    }
    let u = sign::unwrap(bytes).map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    if u.cms.is_some() {
        return Err(CliError::input(format!(
            "{}: already signed; sign the unsigned .cip",
            path.display()
        )));
    }
    let policy = decode_binary(path, &u.content);
    Ok((u.content, policy))
}

/// The decoded binary policy, or `None` (with a note) when the codec cannot read it: signing
/// then refuses with "the policy could not be decoded" unless --force is given.
pub fn decode_binary(path: &Path, content: &[u8]) -> Option<Policy> {
    match cip::decompile(content) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!(
                "note: {}: the embedded binary policy could not be decoded: {e}",
                path.display()
            );
            None
        }
    }
}

/// Reads a policy given beside the one being signed or verified (`--base`, `--previous`): XML,
/// a binary, or a signed binary.
pub fn load_related(path: &Path) -> Result<Policy, CliError> {
    Ok(input::load_policy(path)?.policy)
}

fn load_identity(a: &Args) -> Result<SigningIdentity, CliError> {
    let chain: Vec<Vec<u8>> = a.chain.iter().map(|p| input::read_bytes(p)).collect::<Result<_, _>>()?;
    let key_err = |e: sign::KeyError| match e {
        sign::KeyError::NotRsa(_) => CliError::findings(format!("refusing to sign: {e}")),
        e => CliError::input(e.to_string()),
    };
    if let Some(p12) = &a.pkcs12 {
        let bytes = input::read_bytes(p12)?;
        let password = pkcs12_password()?;
        let mut id = sign::keys::load_pkcs12(&bytes, &password).map_err(key_err)?;
        for c in &chain {
            id.chain.extend(
                cipolicy::cert::ParsedCert::all_from_pem_or_der(c).map_err(|e| CliError::input(e.to_string()))?,
            );
        }
        return Ok(id);
    }
    let (Some(cert), Some(key)) = (&a.cert, &a.key) else {
        return Err(CliError::input("give --cert and --key, or --pkcs12"));
    };
    sign::keys::load_identity(&input::read_bytes(cert)?, &chain, &input::read_bytes(key)?).map_err(key_err)
}

fn pkcs12_password() -> Result<String, CliError> {
    if let Ok(p) = std::env::var(PKCS12_PASSWORD_ENV) {
        return Ok(p);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(CliError::input(format!(
            "--pkcs12 needs a password: set {PKCS12_PASSWORD_ENV} (it is never read from the command line)"
        )));
    }
    rpassword::prompt_password("PKCS#12 password: ")
        .map_err(|e| CliError::input(format!("cannot read the password: {e}")))
}
