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

/// Maps byte offsets of one text to line:column.
#[derive(Clone, Debug)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// The last position asked for, as (byte offset, column): positions come mostly in document
    /// order, and counting characters from there rather than from the line start keeps a
    /// document on one long line (200 000 attributes on one element) linear instead of quadratic.
    last: std::cell::Cell<(usize, usize)>,
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
        LineIndex {
            text,
            starts,
            last: std::cell::Cell::new((0, 1)),
        }
    }

    /// The position of byte `offset` (clamped to the text).
    pub fn span(&self, offset: usize) -> Span {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let (last_offset, last_column) = self.last.get();
        let column = if (self.starts[line]..=offset).contains(&last_offset) {
            last_column + self.text[last_offset..offset].chars().count()
        } else {
            self.text[self.starts[line]..offset].chars().count() + 1
        };
        self.last.set((offset, column));
        Span {
            offset,
            line: line as u32 + 1,
            column: column as u32,
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
    fn columns_do_not_depend_on_the_order_of_questions() {
        let text = "a\u{e9}b\n\u{1F600}cd\ne\u{e9}\u{e9}f\n";
        let fresh = |o: usize| LineIndex::new(text).span(o);
        let idx = LineIndex::new(text);
        // Forwards, backwards, across lines, repeated, and inside a character.
        for o in (0..=text.len())
            .chain((0..=text.len()).rev())
            .chain([4, 12, 4, 4, 2, 13, 7])
        {
            assert_eq!(idx.span(o), fresh(o), "at {o}");
        }
    }
}
