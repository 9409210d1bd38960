//! Byte offsets in a text → 1-based line and column (in characters), for the front-ends that
//! report positions in text they read (XML policies, TOML specs).

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

/// The line starts of a text, kept apart from the text so that a type owning its text (the spec
/// front-end's `SourceText`) can hold them too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineStarts(Vec<usize>);

impl LineStarts {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineStarts(starts)
    }

    /// The position of byte `offset` of `text` (the text these starts were made from), clamped to
    /// the text and moved back to a character boundary.
    pub fn span(&self, text: &str, offset: usize) -> Span {
        let offset = floor_char_boundary(text, offset);
        let line = self.line_of(offset);
        let column = text[self.0[line]..offset].chars().count() + 1;
        Span {
            offset,
            line: line as u32 + 1,
            column: column as u32,
        }
    }

    /// The 0-based line holding byte `offset` (a character boundary of the text).
    pub fn line_of(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset) - 1
    }

    /// The byte range of 0-based `line` of `text`, without its line break (`\n`; a `\r` before it
    /// is kept).
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.0[line];
        let end = self.0.get(line + 1).map_or(text.len(), |next| next - 1);
        start..end
    }
}

/// `offset` clamped to `text` and moved back to the start of the character it falls in.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Maps byte offsets of one text to line:column.
#[derive(Clone, Debug)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: LineStarts,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Self {
        LineIndex {
            text,
            starts: LineStarts::new(text),
        }
    }

    /// The position of byte `offset` (clamped to the text).
    pub fn span(&self, offset: usize) -> Span {
        self.starts.span(self.text, offset)
    }
}

/// Computes spans for offsets that mostly come in increasing order (as a parser meets them), in
/// time proportional to the text walked since the previous call instead of a search per call.
#[derive(Clone, Debug)]
pub struct SpanCursor<'a> {
    text: &'a str,
    offset: usize,
    line: u32,
    column: u32,
}

impl<'a> SpanCursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        SpanCursor {
            text,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    /// The position of byte `offset` (clamped to the text, moved back to a character boundary),
    /// the same as [`LineIndex::span`] gives.
    pub fn span(&mut self, offset: usize) -> Span {
        let offset = floor_char_boundary(self.text, offset);
        if offset < self.offset {
            *self = SpanCursor::new(self.text);
        }
        // One pass that counts line breaks and ORs the bytes, without an early exit, so that it
        // compiles to vector code: the steps are mostly a few dozen bytes within one line, where
        // calling memchr twice and `is_ascii` cost more than the bytes (a loop that branched on
        // each byte was a third of the parse before either).
        let seg = &self.text.as_bytes()[self.offset..offset];
        let (breaks, ored) = seg
            .iter()
            .fold((0u32, 0u8), |(n, ored), &b| (n + u32::from(b == b'\n'), ored | b));
        let tail = if breaks == 0 {
            seg
        } else {
            self.line += breaks;
            self.column = 1;
            let last = seg.iter().rposition(|&b| b == b'\n').unwrap_or(0);
            &seg[last + 1..]
        };
        self.column += if ored.is_ascii() {
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
