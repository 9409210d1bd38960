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
#[inline]
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
    /// 1-based number of the line the cursor is in.
    line: u32,
    /// Where that line starts.
    line_start: usize,
    /// Where its `\n` is (the text's length for the last line).
    line_end: usize,
    /// Whether the text is ASCII from byte `ascii_from` on: then no line there needs testing.
    ascii: bool,
    ascii_from: usize,
    /// Whether the line is ASCII, so that a column is a byte difference.
    line_ascii: bool,
    /// The last offset asked for, and its column (for lines that are not ASCII).
    offset: usize,
    column: u32,
}

impl<'a> SpanCursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Self::at_start(text, text.is_ascii())
    }

    /// A cursor for offsets from `offset` on (moved back to a character boundary), for a reader
    /// that starts there: it counts the lines before it once instead of walking them.
    pub fn starting_at(text: &'a str, offset: usize) -> Self {
        let offset = floor_char_boundary(text, offset);
        let before = &text.as_bytes()[..offset];
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        // Only the text from here on is tested for ASCII: the reader of the first part tests the
        // rest.
        let mut cursor = Self::at_start(text, text[line_start..].is_ascii());
        cursor.ascii_from = line_start;
        cursor.line = memchr::memchr_iter(b'\n', &before[..line_start]).count() as u32 + 1;
        cursor.enter_line(line_start);
        cursor
    }

    fn at_start(text: &'a str, ascii: bool) -> Self {
        let mut cursor = SpanCursor {
            text,
            line: 1,
            line_start: 0,
            line_end: 0,
            ascii,
            ascii_from: 0,
            line_ascii: true,
            offset: 0,
            column: 1,
        };
        cursor.enter_line(0);
        cursor
    }

    #[inline(never)]
    fn enter_line(&mut self, start: usize) {
        let rest = &self.text.as_bytes()[start..];
        let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        self.line_start = start;
        self.line_end = start + len;
        self.line_ascii = (self.ascii && start >= self.ascii_from) || rest[..len].is_ascii();
        self.offset = start;
        self.column = 1;
    }

    /// The position of byte `offset` (clamped to the text, moved back to a character boundary),
    /// the same as [`LineIndex::span`] gives.
    // Inlined into the parser, which calls it for every element and attribute: the call itself
    // cost about as much as the common case's work. Entering a line stays out of line.
    #[inline]
    pub fn span(&mut self, offset: usize) -> Span {
        let offset = floor_char_boundary(self.text, offset);
        if offset < self.offset {
            *self = match self.ascii_from {
                0 => SpanCursor::at_start(self.text, self.ascii),
                _ => SpanCursor::new(self.text),
            };
        }
        // Lines are found with memchr and tested for ASCII once each, when the cursor enters
        // them: most calls then land in the current ASCII line and cost a subtraction (walking
        // the bytes between calls was a tenth of the parse of a large policy).
        while offset > self.line_end {
            self.line += 1;
            self.enter_line(self.line_end + 1);
        }
        let column = if self.line_ascii {
            (offset - self.line_start) as u32 + 1
        } else {
            // Characters are the bytes that are not UTF-8 continuation bytes.
            let seg = &self.text.as_bytes()[self.offset..offset];
            self.column + seg.iter().filter(|&&b| (b as i8) >= -0x40).count() as u32
        };
        self.offset = offset;
        self.column = column;
        Span {
            offset,
            line: self.line,
            column,
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
        // Every increasing walk with steps of 0 to 3 bytes, over ASCII and non-ASCII lines, empty
        // lines and a text that ends with a line break.
        for text in ["\u{e9}a\n\nab\u{1F600}c\ndef\n\u{e9}\n", "a\n\nabc\r\ndef\n\n"] {
            increasing_walks_agree(text);
        }
    }

    #[test]
    fn cursor_starting_anywhere_agrees_with_line_index() {
        // Non-ASCII before and after ASCII lines; every start, then every offset again from the
        // beginning (a step back restarts the cursor, which must then test the first part too).
        for text in ["ab\nc\u{e9}d\n\n  \u{1F600}x\r\ny", "\u{e9}\u{e9}\nab\ncd\n"] {
            let idx = LineIndex::new(text);
            for start in 0..=text.len() + 1 {
                let mut cur = SpanCursor::starting_at(text, start);
                for o in (start..=text.len() + 1).chain(0..=text.len()) {
                    assert_eq!(cur.span(o), idx.span(o), "start {start}, offset {o}");
                }
            }
        }
    }

    fn increasing_walks_agree(text: &str) {
        let idx = LineIndex::new(text);
        for step in 0..4 {
            for first in 0..4 {
                let mut cur = SpanCursor::new(text);
                let mut o = first;
                while o <= text.len() + 1 {
                    assert_eq!(cur.span(o), idx.span(o), "offset {o}, step {step}");
                    o += step.max(1);
                }
            }
        }
    }
}
