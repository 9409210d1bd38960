//! Typed access to a position-preserving TOML tree (`toml::de::DeTable`), reporting wrong types
//! and unknown keys at the exact key or value.
//!
//! The spec is walked by hand rather than deserialised with serde because serde stops at the
//! first error and reports unknown fields without the key's position or a suggestion; a spec
//! author wants every problem at once, each with line, column and a "did you mean".

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, SourceText};
use crate::suggest;

/// One TOML value with its byte span.
pub type Val<'i> = Spanned<DeValue<'i>>;

/// Collects diagnostics for one source file.
pub struct Ctx<'s> {
    /// The file being read.
    pub src: &'s SourceText,
    /// Where problems go.
    pub errors: &'s mut Vec<Diagnostic>,
}

impl Ctx<'_> {
    /// Reports a problem at `span`.
    pub fn err(&mut self, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
        let d = self.src.diag(span, message, help);
        self.errors.push(d);
    }
}

/// A TOML table being read, named for messages (`[policy]`, `[[allow]]`, `[signers.contoso]`).
#[derive(Clone)]
pub struct Tab<'a, 'i> {
    /// The entries.
    pub t: &'a DeTable<'i>,
    /// Span of the table (its header for standard tables).
    pub span: Range<usize>,
    /// How messages name the table.
    pub what: String,
}

/// The TOML type name for messages.
fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Reports that `key` holds the wrong type.
pub fn wrong_type(cx: &mut Ctx<'_>, key: &str, v: &Val<'_>, expected: &str) {
    cx.err(
        v.span(),
        format!("`{key}` must be {expected}, found {}", type_name(v.get_ref())),
        None,
    );
}

/// Parses an integer value as written (decimal, hex, octal or binary).
pub fn int_value(v: &DeValue<'_>) -> Option<i128> {
    let i = v.as_integer()?;
    let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
    let (neg, digits) = match digits.strip_prefix('-') {
        Some(d) => (true, d.to_string()),
        None => (false, digits.strip_prefix('+').unwrap_or(&digits).to_string()),
    };
    let body = match i.radix() {
        16 => digits.trim_start_matches("0x"),
        8 => digits.trim_start_matches("0o"),
        2 => digits.trim_start_matches("0b"),
        _ => &digits,
    };
    let n = i128::from_str_radix(body, i.radix()).ok()?;
    Some(if neg { -n } else { n })
}

impl<'a, 'i> Tab<'a, 'i> {
    /// Wraps a table value.
    pub fn new(t: &'a DeTable<'i>, span: Range<usize>, what: impl Into<String>) -> Self {
        Tab {
            t,
            span,
            what: what.into(),
        }
    }

    /// Reports every key not in `allowed`, with a suggestion from `allowed`.
    pub fn check_keys(&self, cx: &mut Ctx<'_>, allowed: &[&str]) {
        for (k, _) in self.t.iter() {
            let name: &str = k.get_ref();
            if !allowed.contains(&name) {
                let help = suggest::closest(name, allowed.iter().copied())
                    .map(|c| format!("did you mean `{c}`?"))
                    .or_else(|| Some(format!("expected one of: {}", allowed.join(", "))));
                cx.err(k.span(), format!("unknown key `{name}` in {}", self.what), help);
            }
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&'a Val<'i>> {
        self.t.get(key)
    }

    /// Span of the key `key` when present, else of the table.
    pub fn key_span(&self, key: &str) -> Range<usize> {
        self.t
            .get_key_value(key)
            .map(|(k, _)| k.span())
            .unwrap_or_else(|| self.span.clone())
    }

    /// Span of the key and its value (for "remove this line" messages).
    pub fn entry_span(&self, key: &str) -> Range<usize> {
        match self.t.get_key_value(key) {
            Some((k, v)) => k.span().start..v.span().end.max(k.span().end),
            None => self.span.clone(),
        }
    }

    /// Reports a required key that is missing.
    pub fn missing(&self, cx: &mut Ctx<'_>, key: &str, help: Option<String>) {
        cx.err(self.span.clone(), format!("{} needs `{key}`", self.what), help);
    }

    /// A string value.
    pub fn str(&self, cx: &mut Ctx<'_>, key: &str) -> Option<(String, Range<usize>)> {
        let v = self.get(key)?;
        match v.get_ref().as_str() {
            Some(s) => Some((s.to_string(), v.span())),
            None => {
                wrong_type(cx, key, v, "a string");
                None
            }
        }
    }

    /// A boolean value.
    pub fn bool(&self, cx: &mut Ctx<'_>, key: &str) -> Option<(bool, Range<usize>)> {
        let v = self.get(key)?;
        match v.get_ref().as_bool() {
            Some(b) => Some((b, v.span())),
            None => {
                wrong_type(cx, key, v, "true or false");
                None
            }
        }
    }

    /// A string or an array of strings, as a list.
    pub fn str_list(&self, cx: &mut Ctx<'_>, key: &str) -> Option<Vec<(String, Range<usize>)>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(vec![(s.to_string(), v.span())]),
            DeValue::Array(a) => {
                let mut out = Vec::new();
                for item in a.iter() {
                    match item.get_ref().as_str() {
                        Some(s) => out.push((s.to_string(), item.span())),
                        None => wrong_type(cx, &format!("{key}[]"), item, "a string"),
                    }
                }
                Some(out)
            }
            _ => {
                wrong_type(cx, key, v, "a string or an array of strings");
                None
            }
        }
    }

    /// A sub-table (standard or inline).
    pub fn table(&self, cx: &mut Ctx<'_>, key: &str, what: impl Into<String>) -> Option<Tab<'a, 'i>> {
        let v = self.get(key)?;
        match v.get_ref().as_table() {
            Some(t) => Some(Tab::new(t, self.key_span(key), what)),
            None => {
                wrong_type(cx, key, v, "a table");
                None
            }
        }
    }

    /// An array of tables (`[[key]]` or an array of inline tables).
    pub fn tables(&self, cx: &mut Ctx<'_>, key: &str, what: &str) -> Vec<Tab<'a, 'i>> {
        let Some(v) = self.get(key) else { return Vec::new() };
        match v.get_ref() {
            DeValue::Array(a) => a
                .iter()
                .filter_map(|item| match item.get_ref().as_table() {
                    Some(t) => Some(Tab::new(t, header_span(cx.src, item.span()), what)),
                    None => {
                        wrong_type(cx, &format!("{key}[]"), item, "a table");
                        None
                    }
                })
                .collect(),
            _ => {
                wrong_type(cx, key, v, &format!("an array of tables, written [[{key}]]"));
                Vec::new()
            }
        }
    }
}

/// The span of a `[[header]]` line when `span` starts at one, else `span` itself, so that
/// "missing key" errors underline the header rather than the whole table.
fn header_span(src: &SourceText, span: Range<usize>) -> Range<usize> {
    let text = &src.text;
    let start = span.start.min(text.len());
    if text[start..].starts_with('[') {
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        start..text[start..end].trim_end().len() + start
    } else {
        span
    }
}
