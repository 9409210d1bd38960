//! The validator: schema, semantic and signing checks over a policy, returning findings with
//! stable codes ([`codes`]). It never prints; [`render`] turns reports into text, JSON or SARIF.
//!
//! Three layers:
//!
//! 1. **Schema** ([`schema`]): what the newest `cipolicy.xsd` requires, checked on the positioned
//!    element tree (content models and order, required attributes, enumerations, ID patterns,
//!    value types, the unique Macro Id), plus value formats the XSD cannot express.
//! 2. **Semantics**: unique IDs, references, unused items, option rules per policy type,
//!    file-rule content, hashes, FilePath rules, signers, limits, and target gating.
//! 3. **Signing**: UpdatePolicySigners, `--cert`, `--previous`, `--base`.
//!
//! The schema layer walks the element tree independently of the model reader
//! ([`crate::xml::read`]). The reader is stricter than the XSD in places (four-part versions,
//! one-byte well-known roots, a required `FileRuleRef/@RuleID`) and more lenient in others (it
//! trims values, ignores child order, accepts `+12`); when it refuses a document the refusal is
//! reported as XS000 and the semantic layer, which needs the model, is skipped.
//!
//! ```
//! let xml = br#"<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy" PolicyType="Base Policy">
//!   <VersionEx>1.0.0.0</VersionEx>
//!   <PolicyID>{5E1B7C5A-2B43-4B8E-9C1D-0C8E0A2F9A11}</PolicyID>
//!   <BasePolicyID>{5E1B7C5A-2B43-4B8E-9C1D-0C8E0A2F9A11}</BasePolicyID>
//!   <PlatformID>{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}</PlatformID>
//!   <Rules><Rule><Option>Enabled:UMCI</Option></Rule></Rules>
//! </SiPolicy>"#;
//! let v = cipolicy::valid::validate_xml(xml, &cipolicy::valid::Options::default());
//! // Option 6 is absent, so the policy must be signed and needs UpdatePolicySigners.
//! assert!(v.report.findings.iter().any(|f| f.code.to_string() == "PT001"));
//! ```

pub mod codes;
mod finding;
pub mod render;
pub mod schema;
mod semantic;
mod signing;
pub mod target;

pub use codes::{Code, CodeInfo, Layer, Status};
pub use finding::{Finding, Location, Report, Severity};
pub use signing::{CertChain, Match, signer_matches};
pub use target::{Target, TargetError};

use std::path::Path;

use crate::model::{Policy, SignTime};
use crate::xml::{Document, XmlError, tree};

/// What to validate against, beyond the policy itself.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The Windows build the policy is for; `None` disables target gating.
    pub target: Option<Target>,
    /// The certificate (chain) that will sign the policy.
    pub cert: Option<CertChain>,
    /// The deployed policy this one replaces (anti-rollback, same ID, update signers).
    pub previous: Option<Policy>,
    /// The base policy of a supplemental.
    pub base: Option<Policy>,
    /// Reference time for time-dependent checks (SG008). `None` skips them, so that results do
    /// not depend on the clock.
    pub now: Option<SignTime>,
}

/// Validates a policy. Pass the XML document it was read from, if any, to get the schema layer
/// and source positions.
pub fn validate(policy: &Policy, doc: Option<&Document>, opts: &Options) -> Report {
    match doc {
        Some(doc) => validate_document(policy, doc, schema::check(&doc.root), opts),
        None => Report::new(model_checks(policy, None, opts, false), false),
    }
}

/// [`validate`] of a document whose schema-layer findings are already known: those of
/// [`schema::check`] on `doc.root`, computed alongside the reading of the document
/// ([`Document::from_tree_with`]).
pub fn validate_document(policy: &Policy, doc: &Document, schema_findings: Vec<Finding>, opts: &Options) -> Report {
    let mut findings = schema_findings;
    findings.extend(model_checks(policy, Some(doc), opts, true));
    Report::new(findings, false)
}

fn model_checks(policy: &Policy, doc: Option<&Document>, opts: &Options, schema_ran: bool) -> Vec<Finding> {
    let mut cx = semantic::Ctx::new(policy, doc.map(|d| &d.source), opts, schema_ran);
    semantic::run(&mut cx);
    signing::check(&mut cx);
    cx.out
}

fn not_well_formed(e: &XmlError) -> Finding {
    Finding::new(Code::ID001, Location::text(e.span, None), e.message.clone())
}

/// The result of validating XML bytes.
#[derive(Clone, Debug)]
pub struct XmlValidation {
    /// Findings.
    pub report: Report,
    /// The decoded text, for snippets (absent when the bytes could not be decoded).
    pub text: Option<String>,
    /// The document, when the reader accepted it.
    pub document: Option<Document>,
}

/// Validates SiPolicy XML bytes: the schema layer always runs when the document is well-formed;
/// the semantic and signing layers run when the reader can map it to a policy.
pub fn validate_xml(bytes: &[u8], opts: &Options) -> XmlValidation {
    let text = match tree::decode(bytes) {
        Ok(t) => t.into_owned(),
        Err(e) => {
            return XmlValidation {
                report: Report::new(vec![not_well_formed(&e)], true),
                text: None,
                document: None,
            };
        }
    };
    let root = match tree::parse(&text) {
        Ok(r) => r,
        Err(e) => {
            return XmlValidation {
                report: Report::new(vec![not_well_formed(&e)], true),
                text: Some(text),
                document: None,
            };
        }
    };
    let (doc, mut findings) = Document::from_tree_with(text.clone(), root, schema::check);
    match doc {
        Ok(doc) => {
            findings.extend(model_checks(&doc.policy, Some(&doc), opts, true));
            XmlValidation {
                report: Report::new(findings, false),
                text: Some(text),
                document: Some(doc),
            }
        }
        Err(e) => {
            let root_refused = findings.iter().any(|f| f.code == Code::ID001);
            let same_spot = findings.iter().any(|f| {
                f.severity == Severity::Error
                    && matches!(f.location, Location::Text { offset, .. } if offset == e.span.offset)
            });
            if !root_refused && !same_spot {
                findings.push(Finding::new(
                    Code::XS000,
                    Location::text(e.span, None),
                    format!("{}; semantic and signing checks were skipped", e.message),
                ));
            }
            XmlValidation {
                report: Report::new(findings, true),
                text: Some(text),
                document: None,
            }
        }
    }
}

/// Validates a binary policy, raw (`.cip`) or CMS-signed (`.p7b`). `file_name` (the name the file
/// is deployed under) enables the ID010 check. Findings about the policy point at the bytes of
/// the structure they are about (offset in the file, the decoder's structure name, and the model
/// path, which names items by position since the binary holds no IDs: `file_rules[3]@Hash`).
pub fn validate_binary(bytes: &[u8], file_name: Option<&str>, opts: &Options) -> Report {
    let unwrapped = match crate::sign::unwrap(bytes) {
        Ok(u) => u,
        Err(e) => {
            let f = Finding::new(
                Code::BN001,
                Location::Binary {
                    offset: 0,
                    section: "file".into(),
                    path: None,
                },
                e.to_string(),
            );
            return Report::new(vec![f], true);
        }
    };
    let (policy, map) = match crate::cip::decompile_located(&unwrapped.content) {
        Ok(p) => p,
        Err(e) => {
            let f = Finding::new(
                Code::BN001,
                Location::Binary {
                    offset: (unwrapped.content_offset + e.offset) as u64,
                    section: e.structure.clone(),
                    path: None,
                },
                e.kind.to_string(),
            );
            return Report::new(vec![f], true);
        }
    };
    let mut findings = model_checks(&policy, None, opts, false);
    for f in &mut findings {
        locate_in_binary(&mut f.location, &map, unwrapped.content_offset);
    }
    if let Some(name) = file_name {
        let expected = match policy.policy_id {
            Some(id) if !policy.is_legacy() => format!("{id}.cip"),
            _ => "SiPolicy.p7b".to_string(),
        };
        if !name.eq_ignore_ascii_case(&expected) {
            findings.push(
                Finding::new(
                    Code::ID010,
                    Location::Input,
                    format!("the file is named `{name}`; Windows looks for `{expected}`"),
                )
                .with_help("CiTool on Windows 11 22H2+ accepts any name; other deployment paths need this one"),
            );
        }
    }
    if unwrapped.cms.is_some() {
        findings.extend(envelope_findings(bytes, &policy));
    }
    Report::new(findings, false)
}

/// Turns a model path into the position of its structure in the file, when the decoder
/// recorded it (or an enclosing structure).
fn locate_in_binary(location: &mut Location, map: &crate::cip::BinaryMap, content_offset: usize) {
    let Location::Model { path } = location else { return };
    if let Some((_, spot)) = map.get(path) {
        *location = Location::Binary {
            offset: (content_offset + spot.offset) as u64,
            section: spot.structure.clone(),
            path: Some(std::mem::take(path)),
        };
    }
}

/// SN010: what Windows requires of a signed file's CMS envelope, as `cipolicy verify` checks it
/// (SignedData v1, the policy content type, one SignerInfo, digest and signature, RSA key).
/// Trust and signer-rule checks are left to `verify`, which is given the trust anchors.
fn envelope_findings(bytes: &[u8], policy: &Policy) -> Vec<Finding> {
    let opts = crate::sign::VerifyOptions {
        policy: Some(policy),
        ..Default::default()
    };
    let report = crate::sign::verify(bytes, &opts);
    report
        .failures()
        .filter(|c| c.code.starts_with("cms.") || c.code.starts_with("signer."))
        .map(|c| {
            Finding::new(
                Code::SN010,
                Location::Binary {
                    offset: 0,
                    section: "CMS SignedData".into(),
                    path: None,
                },
                format!("{}: {}", c.code, c.message),
            )
            .with_help("Windows refuses to load a signed policy whose envelope is wrong; `cipolicy verify` shows the full report")
        })
        .collect()
}

/// The result of validating an allow-list spec.
#[derive(Clone, Debug)]
pub struct SpecValidation {
    /// Findings: the spec's own errors (SP001, with positions), or the built policy's.
    pub report: Report,
    /// The spec text, for snippets.
    pub text: Option<String>,
}

/// Validates an allow-list spec (TOML) by building it, as `cipolicy build` does (includes read,
/// `[[scan]]` entries scanned), and checking the policy it describes.
pub fn validate_spec_file(path: &Path, opts: &Options) -> SpecValidation {
    // A scan's per-file notes (no rule at any level, unusable signature) are `build`'s to print.
    let scanner = |r: &crate::spec::ScanRequest<'_>| crate::wiring::scan_folder(r, &|_| {});
    let build = crate::spec::BuildOptions {
        xml: Some(&crate::wiring::read_xml),
        scanner: Some(&scanner),
    };
    let text = std::fs::read_to_string(path).ok();
    match crate::spec::build_file(path, &build) {
        Ok(built) => SpecValidation {
            report: Report::new(model_checks(&built.policy, None, opts, false), false),
            text,
        },
        Err(errors) => {
            let shown = path.display().to_string();
            let findings = errors
                .0
                .iter()
                .map(|d| {
                    let location = if d.file == shown {
                        // Offsets are not part of spec diagnostics; line and column are.
                        let offset = text.as_deref().map_or(0, |t| offset_of(t, d.line, d.column));
                        Location::Text {
                            line: d.line,
                            column: d.column,
                            offset,
                            path: None,
                        }
                    } else {
                        Location::Input
                    };
                    let msg = if d.file == shown {
                        d.message.clone()
                    } else {
                        format!("{}:{}:{}: {}", d.file, d.line, d.column, d.message)
                    };
                    let f = Finding::new(Code::SP001, location, msg);
                    match &d.help {
                        Some(h) => f.with_help(h.clone()),
                        None => f,
                    }
                })
                .collect();
            SpecValidation {
                report: Report::new(findings, true),
                text,
            }
        }
    }
}

/// Byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(rest.len(), |(i, _)| i)
}
