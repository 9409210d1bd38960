//! Spec diagnostics: an error with the file, line and column it is about, an optional hint, and
//! the source line it points at.
//!
//! The renderer is written here rather than taken from a diagnostics crate because its exact
//! output is part of the snapshot-tested contract and must not move with a dependency upgrade.

use std::fmt;
use std::ops::Range;

use crate::text_pos::{LineStarts, floor_char_boundary};

/// One problem found in a spec (or in a file a spec names).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Diagnostic {
    /// The file, as the user named it (joined to the including spec's folder for includes).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it (a "did you mean", an allowed set, a replacement), when known.
    pub help: Option<String>,
    /// The source line and how many characters to underline from `column`.
    #[serde(skip)]
    pub snippet: Option<(String, u32)>,
}

/// Maps byte offsets of one source text to positions and snippets.
#[derive(Clone, Debug)]
pub struct SourceText {
    /// Display name.
    pub file: String,
    /// The text.
    pub text: String,
    starts: LineStarts,
}

impl SourceText {
    /// Indexes `text`.
    pub fn new(file: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        SourceText {
            file: file.into(),
            starts: LineStarts::new(&text),
            text,
        }
    }

    /// A diagnostic about the bytes `span` of this text.
    pub fn diag(&self, span: Range<usize>, message: impl Into<String>, help: Option<String>) -> Diagnostic {
        let at = self.starts.span(&self.text, span.start);
        let end = floor_char_boundary(&self.text, span.end.max(span.start));
        let line = self.starts.line_range(&self.text, at.line as usize - 1);
        let line_text = self.text[line.clone()].trim_end_matches('\r').to_string();
        let width = self.text[at.offset..end.min(line.end).max(at.offset)]
            .chars()
            .count()
            .max(1);
        Diagnostic {
            file: self.file.clone(),
            line: at.line,
            column: at.column,
            message: message.into(),
            help,
            snippet: (!self.text.is_empty()).then_some((line_text, width as u32)),
        }
    }
}

impl Diagnostic {
    /// A diagnostic about a whole file (no position inside it).
    pub fn file(file: impl Into<String>, message: impl Into<String>, help: Option<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: 1,
            column: 1,
            message: message.into(),
            help,
            snippet: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    /// ```text
    /// error: unknown key `min_verison` in [[allow]]
    ///   --> spec.toml:7:1
    ///    |
    ///  7 | min_verison = "1.0.0.0"
    ///    | ^^^^^^^^^^^
    ///    = help: did you mean `min_version`?
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let num = self.line.to_string();
        let pad = " ".repeat(num.len());
        writeln!(f, "{pad}--> {}:{}:{}", self.file, self.line, self.column)?;
        if let Some((text, width)) = &self.snippet {
            let (text, lead, width) = window(&text.replace('\t', " "), self.column as usize - 1, *width as usize);
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {text}")?;
            writeln!(f, "{pad} | {}{}", " ".repeat(lead), "^".repeat(width))?;
        }
        if let Some(h) = &self.help {
            writeln!(f, "{pad} = help: {h}")?;
        }
        Ok(())
    }
}

/// At most this many characters of a source line are shown.
const MAX_SNIPPET: usize = 120;

/// Cuts a long line to a window around the marked characters, so that a minified or generated
/// line does not flood the terminal. Returns the text, the caret offset and the caret width.
fn window(line: &str, start: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= MAX_SNIPPET {
        return (line.to_string(), start, width);
    }
    let width = width.clamp(1, MAX_SNIPPET / 2);
    let from = start.saturating_sub(MAX_SNIPPET / 4).min(chars.len());
    let to = (from + MAX_SNIPPET).min(chars.len());
    let mut text: String = chars[from..to].iter().collect();
    let mut lead = start - from;
    if from > 0 {
        text.insert(0, '…');
        lead += 1;
    }
    if to < chars.len() {
        text.push('…');
    }
    (text, lead, width)
}

/// Every problem found in one build, in file then position order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SpecErrors(pub Vec<Diagnostic>);

impl SpecErrors {
    /// Sorts by file, line, column and message and drops exact repeats, so the report is stable.
    pub fn normalised(mut v: Vec<Diagnostic>) -> Self {
        v.sort();
        v.dedup();
        SpecErrors(v)
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_render() {
        let src = SourceText::new("a.toml", "x = 1\n\tmin_verison = \"é\"\n");
        let d = src.diag(7..18, "unknown key", Some("did you mean `min_version`?".into()));
        assert_eq!((d.line, d.column), (2, 2));
        let text = d.to_string();
        assert!(text.contains("--> a.toml:2:2"), "{text}");
        assert!(text.contains("2 |  min_verison"), "{text}");
        assert!(text.contains("|  ^^^^^^^^^^^\n"), "{text}");
        let end = src.diag(1000..1000, "eof", None);
        assert_eq!(end.line, 3);
        let long = SourceText::new("b.toml", format!("x = [{}]", "1, ".repeat(500)));
        let text = long.diag(1000..1001, "here", None).to_string();
        assert!(text.lines().all(|l| l.chars().count() < 140), "{text}");
        let caret = text.lines().find(|l| l.contains('^')).unwrap();
        let line = text.lines().find(|l| l.starts_with("1 |")).unwrap();
        let at = caret.chars().position(|c| c == '^').unwrap();
        assert_eq!(line.chars().nth(at), Some(' '), "{text}");
    }
}
