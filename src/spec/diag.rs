//! Spec diagnostics: an error with the file, line and column it is about, an optional hint, and
//! the source line it points at.
//!
//! The renderer is written here rather than taken from a diagnostics crate because its exact
//! output is part of the snapshot-tested contract and must not move with a dependency upgrade.

use std::fmt;
use std::ops::Range;

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
    starts: Vec<usize>,
}

impl SourceText {
    /// Indexes `text`.
    pub fn new(file: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        SourceText {
            file: file.into(),
            text,
            starts,
        }
    }

    /// A diagnostic about the bytes `span` of this text.
    pub fn diag(&self, span: Range<usize>, message: impl Into<String>, help: Option<String>) -> Diagnostic {
        let clamp = |mut o: usize| {
            o = o.min(self.text.len());
            while !self.text.is_char_boundary(o) {
                o -= 1;
            }
            o
        };
        let start = clamp(span.start);
        let end = clamp(span.end.max(span.start));
        let line = self.starts.partition_point(|&s| s <= start) - 1;
        let line_start = self.starts[line];
        let line_end = self.text[line_start..]
            .find('\n')
            .map_or(self.text.len(), |i| line_start + i);
        let column = self.text[line_start..start].chars().count() + 1;
        let line_text = self.text[line_start..line_end].trim_end_matches('\r').to_string();
        let width = self.text[start..end.min(line_end).max(start)].chars().count().max(1);
        Diagnostic {
            file: self.file.clone(),
            line: line as u32 + 1,
            column: column as u32,
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
            let text = text.replace('\t', " ");
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {text}")?;
            let lead = " ".repeat(self.column as usize - 1);
            writeln!(f, "{pad} | {lead}{}", "^".repeat(*width as usize))?;
        }
        if let Some(h) = &self.help {
            writeln!(f, "{pad} = help: {h}")?;
        }
        Ok(())
    }
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
    }
}
