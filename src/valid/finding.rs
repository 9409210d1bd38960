//! Findings and where they point.

use std::fmt;

use super::codes::Code;
use crate::xml::Span;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: worth knowing, nothing to fix.
    Info,
    /// Probably a mistake, or something that will not work as written on some machines.
    Warning,
    /// The policy is invalid: a compiler must refuse it, or Windows rejects or mishandles it.
    Error,
}

impl Severity {
    /// Lower-case name (`error`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding points.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    /// A position in a text input (SiPolicy XML, or a TOML spec).
    Text {
        /// 1-based line.
        line: u32,
        /// 1-based column, in characters.
        column: u32,
        /// Byte offset in the decoded text.
        offset: usize,
        /// The model path the finding is about (`file_rules[3]@Hash`), when it is about one.
        #[serde(skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// A position in a binary input (`.cip`, `.p7b`).
    Binary {
        /// Byte offset in the file.
        offset: u64,
        /// The binary structure at that offset (`header.option flags`, `FileRules[12].Hash`,
        /// `section 6: PolicyID`), as the decoder names it.
        section: String,
        /// The model path the finding is about (`file_rules[29]@Hash`): decompiling reorders
        /// file rules, so it can differ from the structure's index.
        #[serde(skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// A part of the policy model, for inputs without positions (a model built in memory).
    Model {
        /// Model path (`signers[2].cert_root`).
        path: String,
    },
    /// The input as a whole, or something outside it (a `--previous` or `--cert` file).
    Input,
}

impl Location {
    /// A text position.
    pub fn text(span: Span, path: Option<String>) -> Self {
        Location::Text {
            line: span.line,
            column: span.column,
            offset: span.offset,
            path,
        }
    }

    /// Sort key: position in the input (inputs without positions sort first).
    pub(crate) fn sort_key(&self) -> (u64, u64) {
        match self {
            Location::Text { line, column, .. } => (u64::from(*line), u64::from(*column)),
            Location::Binary { offset, .. } => (*offset, 0),
            Location::Model { .. } | Location::Input => (0, 0),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Text { line, column, .. } => write!(f, "{line}:{column}"),
            Location::Binary { offset, section, path } => {
                write!(f, "byte {offset:#x} ({section}")?;
                match path {
                    Some(p) => write!(f, "; model {p})"),
                    None => f.write_str(")"),
                }
            }
            Location::Model { path } => f.write_str(path),
            Location::Input => Ok(()),
        }
    }
}

/// One problem found in a policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Finding {
    /// Stable code (`RF003`); its severity, title and evidence are in [`super::codes`].
    pub code: Code,
    /// Severity (the code's).
    pub severity: Severity,
    /// What is wrong, about this instance.
    pub message: String,
    /// Where.
    pub location: Location,
    /// How to fix it, when there is more to say than the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Finding {
    /// A finding of `code` with its table severity.
    pub fn new(code: Code, location: Location, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.info().severity,
            message: message.into(),
            location,
            help: None,
        }
    }

    /// Adds help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The findings for one input, sorted by position, then code.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Findings in input order.
    pub findings: Vec<Finding>,
    /// True when the input could not be read into a policy, so the semantic and signing checks
    /// did not run.
    pub incomplete: bool,
}

impl Report {
    /// Builds a report, sorting and de-duplicating the findings.
    pub fn new(mut findings: Vec<Finding>, incomplete: bool) -> Self {
        findings.sort_by(|a, b| {
            (a.location.sort_key(), a.code, &a.message).cmp(&(b.location.sort_key(), b.code, &b.message))
        });
        findings.dedup();
        Report { findings, incomplete }
    }

    /// Number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// True when any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// True when the schema (libxml2 with the newest XSD) would reject the document.
    pub fn xsd_invalid(&self) -> bool {
        self.findings.iter().any(|f| f.code.info().xsd)
    }
}
