//! Errors of the XML front-end.

use std::fmt;

pub use crate::text_pos::{LineIndex, Span, SpanCursor};

/// A value as an error message shows it: whole when short, else its start and its length, so a
/// hostile 100 MB attribute does not become a 100 MB message.
pub(crate) fn shown(value: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        None => value.into(),
        Some((cut, _)) => format!("{}… ({} characters)", &value[..cut], value.chars().count()).into(),
    }
}

/// An XML document could not be read as a policy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct XmlError {
    /// Where.
    pub span: Span,
    /// What, and what was expected.
    pub message: String,
}

impl XmlError {
    /// An error at a position.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        XmlError {
            span,
            message: message.into(),
        }
    }

    /// An error at a byte offset of raw input that is not text yet (line 1).
    pub fn at_byte(offset: usize, message: impl Into<String>) -> Self {
        XmlError {
            span: Span {
                offset,
                line: 1,
                column: offset as u32 + 1,
            },
            message: message.into(),
        }
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)
    }
}
