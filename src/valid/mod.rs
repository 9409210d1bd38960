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

use crate::model::{Policy, SignTime};
use crate::xml::{self, Document, XmlError, tree};

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
    let mut findings = Vec::new();
    let mut schema_ran = false;
    if let Some(doc) = doc {
        match tree::parse(&doc.text) {
            Ok(root) => {
                findings.extend(schema::check(&root));
                schema_ran = true;
            }
            Err(e) => findings.push(not_well_formed(&e)),
        }
    }
    findings.extend(model_checks(policy, doc, opts, schema_ran));
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
    let mut findings = schema::check(&root);
    match xml::read(bytes) {
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
