//! Positions and errors of the XML front-end.

use std::fmt;

/// A position in a text document: byte offset plus 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Span {
    /// Byte offset in the decoded text.
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value as an error message shows it: whole when short, else its start and its length, so a
/// hostile 100 MB attribute does not become a 100 MB message.
pub(crate) fn shown(value: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        None => value.into(),
        Some((cut, _)) => format!("{}… ({} characters)", &value[..cut], value.chars().count()).into(),
    }
}

/// Maps byte offsets of one text to line:column.
#[derive(Clone, Debug)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// The position of byte `offset` (clamped to the text).
    pub fn span(&self, offset: usize) -> Span {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let column = self.text[self.starts[line]..offset].chars().count() + 1;
        Span {
            offset,
            line: line as u32 + 1,
            column: column as u32,
        }
    }
}

/// Computes spans for offsets that mostly come in increasing order (as a parser meets them), in
/// time proportional to the text walked since the previous call instead of a search per call.
#[derive(Clone, Debug)]
pub(crate) struct SpanCursor<'a> {
    text: &'a str,
    offset: usize,
    line: u32,
    column: u32,
}

impl<'a> SpanCursor<'a> {
    /// A cursor at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        SpanCursor {
            text,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    /// The position of byte `offset` (clamped to the text, moved back to a character boundary),
    /// the same as [`LineIndex::span`] gives.
    pub(crate) fn span(&mut self, offset: usize) -> Span {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.offset {
            *self = SpanCursor::new(self.text);
        }
        // memchr and `is_ascii` instead of a loop that tested each byte (that loop was a third
        // of the parse): most steps are a short run of ASCII within one line.
        let seg = &self.text.as_bytes()[self.offset..offset];
        let tail = match memchr::memrchr(b'\n', seg) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', seg).count() as u32;
                self.column = 1;
                &seg[last + 1..]
            }
            None => seg,
        };
        self.column += if tail.is_ascii() {
            tail.len() as u32
        } else {
            // Characters are the bytes that are not UTF-8 continuation bytes.
            tail.iter().filter(|&&b| (b as i8) >= -0x40).count() as u32
        };
        self.offset = offset;
        Span {
            offset,
            line: self.line,
            column: self.column,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_columns() {
        let idx = LineIndex::new("ab\nc\u{e9}d\n");
        assert_eq!(
            idx.span(0),
            Span {
                offset: 0,
                line: 1,
                column: 1
            }
        );
        assert_eq!(
            idx.span(3),
            Span {
                offset: 3,
                line: 2,
                column: 1
            }
        );
        assert_eq!(
            idx.span(6),
            Span {
                offset: 6,
                line: 2,
                column: 3
            }
        );
        assert_eq!(idx.span(100).line, 3);
    }

    #[test]
    fn cursor_agrees_with_line_index() {
        let text = "ab\nc\u{e9}d\n\n  \u{1F600}x\r\ny";
        let idx = LineIndex::new(text);
        let mut cur = SpanCursor::new(text);
        // Forwards, repeated, backwards and past the end, including inside a character.
        for o in [0, 1, 3, 5, 5, 6, 7, 9, 13, 2, 8, 11, 16, 100] {
            assert_eq!(cur.span(o), idx.span(o), "offset {o}");
        }
    }
}
