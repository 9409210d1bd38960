//! Reports as text for people (source snippets with the span underlined), JSON, and SARIF 2.1.0.

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};
use serde_json::{Value, json};

use super::codes::{Code, Status};
use super::finding::{Location, Report, Severity};

/// One validated input, ready to render.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The file name as the user gave it.
    pub name: &'a str,
    /// The decoded text, for snippets (`None` for binaries or undecodable input).
    pub text: Option<&'a str>,
    /// The findings.
    pub report: &'a Report,
}

/// Length in bytes of what to underline at `offset`: an element name after `<`, an attribute
/// value (when the offset follows a quote), an attribute name, or text up to the next markup.
fn underline(text: &str, offset: usize) -> std::ops::Range<usize> {
    if offset > text.len() || !text.is_char_boundary(offset) {
        return text.len()..text.len();
    }
    let rest = &text[offset..];
    let end = if let Some(name) = rest.strip_prefix('<') {
        1 + name
            .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
            .unwrap_or(name.len())
    } else if let Some(q @ (b'"' | b'\'')) = offset.checked_sub(1).map(|i| text.as_bytes()[i]) {
        rest.find(q as char).unwrap_or(rest.len())
    } else {
        let stop = rest.find(['<', '\n', '=', '"']).unwrap_or(rest.len());
        rest[..stop].trim_end().len()
    };
    offset..offset + end
}

/// Longest line shown as a snippet, in bytes.
const MAX_SNIPPET_LINE: usize = 1024;

/// Length in bytes of the line holding `offset`.
fn line_len(text: &str, offset: usize) -> usize {
    // Only as far as needed to know it is too long: a cost per finding bounded by the limit.
    let offset = offset.min(text.len());
    let b = text.as_bytes();
    let before = offset.min(MAX_SNIPPET_LINE + 1);
    let start = match b[offset - before..offset].iter().rposition(|&c| c == b'\n') {
        Some(i) => offset - before + i + 1,
        None if before == offset => 0,
        None => return usize::MAX,
    };
    let after = &b[offset..b.len().min(offset + MAX_SNIPPET_LINE + 1)];
    let end = after.iter().position(|&c| c == b'\n').unwrap_or(after.len());
    offset + end - start
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Text for people: every finding with a source snippet, then a summary line per input.
pub fn human(inputs: &[Input<'_>]) -> String {
    let mut out = String::new();
    let config = Config::default();
    for input in inputs {
        let file = SimpleFile::new(input.name, input.text.unwrap_or(""));
        for f in &input.report.findings {
            let info = f.code.info();
            let mut d = match f.severity {
                Severity::Error => Diagnostic::error(),
                Severity::Warning => Diagnostic::warning(),
                Severity::Info => Diagnostic::note(),
            }
            .with_code(info.code)
            .with_message(&f.message);
            let mut notes = Vec::new();
            match (&f.location, input.text) {
                (Location::Text { offset, .. }, Some(text)) if line_len(text, *offset) <= MAX_SNIPPET_LINE => {
                    d = d.with_labels(vec![
                        Label::primary((), underline(text, *offset)).with_message(info.title),
                    ]);
                }
                // No text, or a line too long to show for every finding on it (a document on
                // one line with thousands of findings would print the line thousands of times).
                (Location::Text { line, column, .. }, _) => {
                    notes.push(format!("at {}:{line}:{column}", input.name));
                }
                (l @ Location::Binary { .. }, _) => notes.push(format!("at {}: {l}", input.name)),
                (Location::Model { path }, _) => notes.push(format!("at {}: {path}", input.name)),
                (Location::Input, _) => notes.push(format!("in {}", input.name)),
            }
            if let Some(h) = &f.help {
                notes.push(format!("help: {h}"));
            }
            d = d.with_notes(notes);
            match term::emit_into_string(&config, &file, &d) {
                Ok(s) => out.push_str(&s),
                Err(e) => out.push_str(&format!(
                    "{}: {}[{}]: {} ({e})\n",
                    input.name, f.severity, info.code, f.message
                )),
            }
        }
        let r = input.report;
        out.push_str(&format!(
            "{}: {}, {}, {}\n",
            input.name,
            plural(r.count(Severity::Error), "error"),
            plural(r.count(Severity::Warning), "warning"),
            plural(r.count(Severity::Info), "info")
        ));
        if r.incomplete {
            out.push_str(&format!(
                "{}: the policy could not be read, so the semantic and signing checks did not run\n",
                input.name
            ));
        }
    }
    out
}

/// JSON: one object per input with its findings and counts.
pub fn json(inputs: &[Input<'_>]) -> Value {
    let files: Vec<Value> = inputs
        .iter()
        .map(|i| {
            let findings: Vec<Value> = i
                .report
                .findings
                .iter()
                .map(|f| {
                    let mut v = json!({
                        "code": f.code,
                        "severity": f.severity,
                        "title": f.code.info().title,
                        "message": f.message,
                        "location": f.location,
                    });
                    if let Some(h) = &f.help {
                        v["help"] = json!(h);
                    }
                    v
                })
                .collect();
            json!({
                "file": i.name,
                "complete": !i.report.incomplete,
                "errors": i.report.count(Severity::Error),
                "warnings": i.report.count(Severity::Warning),
                "infos": i.report.count(Severity::Info),
                "findings": findings,
            })
        })
        .collect();
    json!({ "files": files })
}

/// Percent-encodes what a relative URI reference cannot hold, keeping `/`.
fn file_uri(name: &str) -> String {
    let name = name.replace('\\', "/");
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// SARIF 2.1.0: one run; the rules are the codes the results use, with their titles, evidence
/// and default levels; each result points at its file and, for text, line and column.
pub fn sarif(inputs: &[Input<'_>]) -> Value {
    let mut used: Vec<Code> = inputs
        .iter()
        .flat_map(|i| i.report.findings.iter().map(|f| f.code))
        .collect();
    used.sort_by_key(|c| c.info().code);
    used.dedup();
    let rules: Vec<Value> = used
        .iter()
        .map(|c| {
            let i = c.info();
            let status = match i.status {
                Status::Implemented => String::new(),
                Status::NotImplemented(w) => format!(" (not implemented: {w})"),
            };
            json!({
                "id": i.code,
                "name": i.code,
                "shortDescription": { "text": i.title },
                "fullDescription": { "text": format!("{}. Source: {}{status}", i.title, i.source) },
                "help": { "text": format!("{} (layer: {}). Source: {}", i.title, i.layer.as_str(), i.source) },
                "defaultConfiguration": { "level": level(i.severity) },
                "properties": { "tags": [i.layer.as_str()] },
            })
        })
        .collect();
    let mut results = Vec::new();
    for input in inputs {
        for f in &input.report.findings {
            let rule_index = used.iter().position(|c| *c == f.code).unwrap_or(0);
            let artifact = json!({ "uri": file_uri(input.name) });
            let physical = match &f.location {
                Location::Text { line, column, .. } => json!({
                    "artifactLocation": artifact,
                    "region": { "startLine": line, "startColumn": column },
                }),
                Location::Binary { offset, .. } => json!({
                    "artifactLocation": artifact,
                    "region": { "byteOffset": offset },
                }),
                Location::Model { .. } | Location::Input => json!({ "artifactLocation": artifact }),
            };
            let mut location = json!({ "physicalLocation": physical });
            match &f.location {
                Location::Text { path: Some(p), .. } | Location::Model { path: p } => {
                    location["logicalLocations"] = json!([{ "fullyQualifiedName": p }]);
                }
                Location::Binary { section, path, .. } => {
                    // The model path (as for text inputs) first, then the binary structure.
                    let mut logical: Vec<Value> = path.iter().map(|p| json!({ "fullyQualifiedName": p })).collect();
                    logical.push(json!({ "name": section }));
                    location["logicalLocations"] = json!(logical);
                }
                _ => {}
            }
            let mut text = f.message.clone();
            if let Some(h) = &f.help {
                text.push_str(&format!(" Help: {h}"));
            }
            results.push(json!({
                "ruleId": f.code,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [location],
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cipolicy",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn underlines() {
        let t = r#"<Allow ID="ID_ALLOW_A" FileNme="x"/><V>1.2</V>"#;
        assert_eq!(&t[underline(t, 0)], "<Allow");
        assert_eq!(&t[underline(t, 11)], "ID_ALLOW_A");
        assert_eq!(&t[underline(t, 23)], "FileNme");
        let v = t.find("1.2").unwrap();
        assert_eq!(&t[underline(t, v)], "1.2");
        assert_eq!(underline(t, 1000), t.len()..t.len());
    }

    #[test]
    fn line_lengths() {
        let t = "ab\ncde\n";
        assert_eq!([0, 2, 3, 6, 7, 99].map(|o| line_len(t, o)), [2, 2, 3, 3, 0, 0]);
        let long = format!("x\n{}\ny", "a".repeat(MAX_SNIPPET_LINE + 1));
        for o in [2, 500, MAX_SNIPPET_LINE + 2] {
            assert!(line_len(&long, o) > MAX_SNIPPET_LINE, "{o}");
        }
        assert_eq!(line_len(&long, long.len()), 1);
        let edge = "a".repeat(MAX_SNIPPET_LINE);
        assert_eq!(line_len(&edge, MAX_SNIPPET_LINE / 2), MAX_SNIPPET_LINE);
    }

    #[test]
    fn uris() {
        assert_eq!(file_uri(r"a b\c%.xml"), "a%20b/c%25.xml");
    }
}
