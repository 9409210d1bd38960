//! `cipolicy hash`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cipolicy::cert::{CertFacts, ParsedCert};
use cipolicy::scan::report::facts_text;
use cipolicy::scan::{WalkOptions, walk::scan_paths};

use super::{CliError, CmdResult, Format, print_json};

/// Print the facts WDAC rules are made of, for files or folders.
///
/// Authenticode (or PowerShell/MSI SIP) SHA-1 and SHA-256, first-page hashes, flat SHA-256, PE
/// version resource, and every embedded signature with its chain (TBS hashes, names, EKUs,
/// program name). Every file is hashed, whatever its kind. Certificate files (.cer, .crt, .pem,
/// .der) also get their certificate facts: names, TBS hash by the certificate's own signature
/// digest (what a CertRoot TBS signer rule holds) and the SHA-256 TBS hash, EKUs.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Files or folders.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// A certificate file's facts.
#[derive(serde::Serialize)]
struct Certificate {
    path: String,
    #[serde(flatten)]
    facts: CertFacts,
    /// SHA-256 of the TBS whatever the certificate's signature digest (some tools key on it).
    tbs_sha256: String,
}

fn certificate(path: &str) -> Option<Certificate> {
    let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
    if !matches!(ext.as_str(), "cer" | "crt" | "pem" | "der") {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let der = cipolicy::cert::pem_or_der_to_der(&bytes).ok()?;
    let parsed = ParsedCert::from_der(&der).ok()?;
    let tbs_sha256 = const_hex::encode_upper(&<sha2::Sha256 as sha2::Digest>::digest(&parsed.tbs_der)[..]);
    Some(Certificate {
        path: path.to_string(),
        facts: parsed.facts,
        tbs_sha256,
    })
}

fn certificate_text(c: &Certificate) -> String {
    let f = &c.facts;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  certificate:        {} (issued by {})",
        f.subject_name, f.issuer_name
    );
    match (&f.tbs_hash, f.tbs_alg) {
        (Some(h), Some(alg)) => {
            let _ = writeln!(
                s,
                "  tbs hash:           {h} ({alg:?}, the certificate's signature digest)"
            );
        }
        _ => {
            let _ = writeln!(
                s,
                "  tbs hash:           (unknown signature algorithm {})",
                f.signature_oid
            );
        }
    }
    let _ = writeln!(s, "  tbs sha256:         {}", c.tbs_sha256);
    if !f.ekus.is_empty() {
        let _ = writeln!(s, "  ekus:               {}", f.ekus.join(", "));
    }
    s
}

pub fn run(a: Args) -> CmdResult {
    for p in &a.files {
        if !p.exists() {
            return Err(CliError::input(format!("{}: no such file or folder", p.display())));
        }
    }
    let walk = WalkOptions {
        all_files: true,
        flat_sha256: true,
        ..WalkOptions::default()
    };
    let out = scan_paths(&a.files, &walk).map_err(|e| CliError::input(e.to_string()))?;
    let certificates: Vec<Certificate> = out.files.iter().filter_map(|f| certificate(&f.path)).collect();
    match a.format {
        Format::Human => {
            for f in &out.files {
                print!("{}", facts_text(f));
                if let Some(c) = certificates.iter().find(|c| c.path == f.path) {
                    print!("{}", certificate_text(c));
                }
            }
            for i in &out.issues {
                eprintln!("{}: {}", i.path, i.message);
            }
        }
        Format::Json => print_json(&serde_json::json!({
            "files": out.files,
            "certificates": certificates,
            "issues": out.issues,
        }))?,
    }
    // A one-off check that could not read what it was given must not look like a success.
    match out.issues.len() {
        0 => Ok(ExitCode::SUCCESS),
        n => Err(CliError::input(format!("{n} path(s) could not be hashed"))),
    }
}
