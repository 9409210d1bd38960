//! Reading policy files of any supported kind, with errors that name the file and position.

use std::path::Path;

use cipolicy::model::Policy;
use cipolicy::report::info::{SignerSummary, SourceInfo};
use cipolicy::spec::{self, BuildOptions, ScanRequest};
use cipolicy::{wiring, xml};

use super::CliError;

/// A policy read from a file.
pub struct Loaded {
    /// The policy.
    pub policy: Policy,
    /// What kind of file it was.
    pub source: SourceInfo,
    /// The XML document, when the input was XML.
    pub xml: Option<xml::Document>,
}

/// Reads a file, mapping I/O errors to exit code 2.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))
}

/// Reads an XML policy.
pub fn load_xml(path: &Path, bytes: &[u8]) -> Result<Loaded, CliError> {
    let doc = xml::read(bytes).map_err(|e| CliError::input(format!("{}:{e}", path.display())))?;
    Ok(Loaded {
        policy: doc.policy.clone(),
        source: SourceInfo {
            kind: "xml".into(),
            ..SourceInfo::default()
        },
        xml: Some(doc),
    })
}

/// Whether a file is an allow-list spec (by its `.toml` extension: specs and policies are told
/// apart by name because a TOML file has no magic).
pub fn is_spec(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// Builds the policy an allow-list spec describes, as `cipolicy build` does (includes read,
/// `[[scan]]` entries scanned). Spec errors are printed and exit with code 2.
pub fn load_spec(path: &Path) -> Result<Policy, CliError> {
    let scanner = |r: &ScanRequest<'_>| wiring::scan_folder(r, &|w| eprintln!("warning: {w}"));
    let opts = BuildOptions {
        xml: Some(&wiring::read_xml),
        scanner: Some(&scanner),
    };
    spec::build_file(path, &opts).map(|b| b.policy).map_err(|e| {
        eprintln!("{e}");
        CliError::input(format!("{}: the spec has errors", path.display()))
    })
}

/// Reads a policy in any supported format, chosen by content, not by file name.
pub fn load_policy(path: &Path) -> Result<Loaded, CliError> {
    let bytes = read_bytes(path)?;
    if bytes.is_empty() {
        return Err(CliError::input(format!(
            "{}: the file is empty; expected a policy (XML or binary)",
            path.display()
        )));
    }
    if xml::looks_like_xml(&bytes) {
        return load_xml(path, &bytes);
    }
    load_binary(path, &bytes)
}

/// Reads a binary policy, raw or CMS-signed.
pub fn load_binary(path: &Path, bytes: &[u8]) -> Result<Loaded, CliError> {
    if xml::looks_like_xml(bytes) {
        return Err(CliError::input(format!(
            "{}: this is SiPolicy XML, not a binary policy (`cipolicy compile` makes the binary)",
            path.display()
        )));
    }
    if is_spec(path) {
        return Err(CliError::input(format!(
            "{}: this is an allow-list spec, not a binary policy (`cipolicy build` makes the binary)",
            path.display()
        )));
    }
    let unwrapped = cipolicy::sign::unwrap(bytes).map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let content = &unwrapped.content;
    let policy = cipolicy::cip::decompile(content)
        .map_err(|e| CliError::input(format!("{}: not a readable binary policy: {e}", path.display())))?;
    let signers = unwrapped
        .cms
        .iter()
        .flat_map(|c| &c.signers)
        .map(|s| SignerSummary {
            subject: s
                .subject
                .clone()
                .unwrap_or_else(|| "(certificate not in the file)".into()),
            issuer: s.issuer.clone().unwrap_or_default(),
            tbs_hash: s.tbs_hash.clone(),
        })
        .collect();
    Ok(Loaded {
        policy,
        source: SourceInfo {
            kind: if unwrapped.cms.is_some() {
                "signed binary"
            } else {
                "binary"
            }
            .into(),
            format_version: content.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            signers,
        },
        xml: None,
    })
}
