//! Attributes of a start tag: a fast path for the plain `name="value"` that nearly every policy
//! attribute is, and quick-xml's reader (with the errors) for everything else.

use quick_xml::XmlVersion;
use quick_xml::events::BytesStart;
use quick_xml::name::{NamespaceResolver, ResolveResult};
#[cfg(test)]
use quick_xml::{events::Event, reader::Reader};

use super::Attr;
use super::names::intern;
use crate::xml::error::{LineIndex, SpanCursor, XmlError};

pub(super) fn read_attrs(
    ns_scopes: &NamespaceResolver,
    e: &BytesStart<'_>,
    text: &str,
    tag_start: usize,
    pos: &mut SpanCursor<'_>,
    out: &mut Vec<Attr>,
) -> Result<(), XmlError> {
    if read_simple_attrs(e, text, pos, out) {
        return Ok(());
    }
    read_any_attrs(ns_scopes, e, text, tag_start, pos, out)
}

/// Reads the attributes when [`simple_attrs`] accepts them all; false (having read none) if not.
fn read_simple_attrs(e: &BytesStart<'_>, text: &str, pos: &mut SpanCursor<'_>, out: &mut Vec<Attr>) -> bool {
    if let Some(base) = offset_in(text, e.attributes_raw()) {
        let mut simple = [SimpleAttr::default(); MAX_SIMPLE_ATTRS];
        if let Some(n) = simple_attrs(e.attributes_raw(), &mut simple) {
            for a in &simple[..n] {
                out.push(Attr {
                    name: intern(&text[base + a.name.0..base + a.name.1]),
                    value: text[base + a.value.0..base + a.value.1].to_string(),
                    span: pos.span(base + a.name.0),
                    value_span: pos.span(base + a.value.0),
                });
            }
            return true;
        }
    }
    false
}

/// Reads any attributes quick-xml accepts, with the errors for those it does not.
fn read_any_attrs(
    ns_scopes: &NamespaceResolver,
    e: &BytesStart<'_>,
    text: &str,
    tag_start: usize,
    pos: &mut SpanCursor<'_>,
    out: &mut Vec<Attr>,
) -> Result<(), XmlError> {
    let err = |offset: usize, msg: String| XmlError::new(LineIndex::new(text).span(offset), msg);
    let mut offsets = AttributeOffsets::new(&text[tag_start..]);
    for a in e.attributes().with_checks(true) {
        let (name_off, value_off) = offsets
            .next()
            .map(|(n, v)| (tag_start + n, tag_start + v))
            .unwrap_or((tag_start, tag_start));
        let a = match a {
            Ok(a) => a,
            Err(error) => {
                let msg = match error {
                    quick_xml::events::attributes::AttrError::Duplicated(..) => {
                        let name: String = text[name_off..]
                            .chars()
                            .take_while(|c| !c.is_whitespace() && *c != '=')
                            .take(64)
                            .collect();
                        format!("duplicate attribute `{name}`: an attribute may appear only once per element")
                    }
                    other => format!("malformed attribute: {other}"),
                };
                return Err(err(name_off, msg));
            }
        };
        let key = a.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, local) = ns_scopes.resolve_attribute(key);
        match ns {
            ResolveResult::Unbound => {}
            ResolveResult::Bound(_) => continue, // xsi:…, xsd:… and other foreign attributes carry no policy data
            ResolveResult::Unknown(p) => {
                return Err(err(name_off, format!("attribute prefix `{p}` is not declared")));
            }
        }
        let value = a.normalized_value(XmlVersion::Implicit1_0).map_err(|error| {
            use quick_xml::escape::EscapeError as E;
            let (at, what) = match &error {
                quick_xml::Error::Escape(E::UnrecognizedEntity(r, name)) => (r.start.saturating_sub(1), format!("unknown entity `&{name};`")),
                quick_xml::Error::Escape(E::UnterminatedEntity(r)) => (r.start, "`&` without a closing `;`".to_string()),
                quick_xml::Error::Escape(E::InvalidCharRef(e)) => (0, format!("invalid character reference ({e})")),
                other => (0, other.to_string()),
            };
            err(
                value_off + at,
                format!("bad value of attribute `{}`: {what}; only &lt; &gt; &amp; &quot; &apos; and character references are allowed", key.as_ref()),
            )
        })?;
        out.push(Attr {
            name: intern(local.as_ref()),
            value: value.into_owned(),
            span: pos.span(name_off),
            value_span: pos.span(value_off),
        });
    }
    Ok(())
}

/// Where `part` (a slice of `text`, as quick-xml hands out when it reads from a `&str`) starts in
/// `text`; `None` if it is not a slice of it.
fn offset_in(text: &str, part: &str) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    (offset + part.len() <= text.len()).then_some(offset)
}

/// Tags with more attributes take the general path, so that the duplicate check here stays
/// a few comparisons (SiPolicy elements have at most 8 attributes).
const MAX_SIMPLE_ATTRS: usize = 16;

/// Byte ranges of an attribute's name and value in a tag's attribute text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SimpleAttr {
    name: (usize, usize),
    value: (usize, usize),
}

/// The attributes of `raw` (a start tag's text after its name) when every one is a plain
/// `name="value"`: no namespace prefix or declaration, no duplicate, and a value that attribute
/// value normalisation leaves as it is (no `&`, tab or line break). That is nearly every
/// attribute of a policy, and it needs neither quick-xml's attribute iterator, nor its
/// normaliser, nor a namespace lookup. `None` sends the tag to the general path, which reads
/// everything else and words the errors; this accepts only what quick-xml reads the same way.
fn simple_attrs(raw: &str, out: &mut [SimpleAttr; MAX_SIMPLE_ATTRS]) -> Option<usize> {
    let b = raw.as_bytes();
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let skip_ws = |mut i: usize| {
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        i
    };
    let mut n = 0;
    let mut i = skip_ws(0);
    while i < b.len() {
        let name_start = i;
        while i < b.len() && b[i] != b'=' && !ws(b[i]) {
            i += 1;
        }
        let name = &b[name_start..i];
        if name.is_empty() || name.contains(&b':') || name.starts_with(b"xmlns") {
            return None;
        }
        i = skip_ws(i);
        if b.get(i) != Some(&b'=') {
            return None;
        }
        i = skip_ws(i + 1);
        let quote = *b.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
        let value_start = i + 1;
        let value_len = b[value_start..].iter().position(|&c| c == quote)?;
        let value = &b[value_start..value_start + value_len];
        if value.iter().any(|c| matches!(c, b'&' | b'\t' | b'\r' | b'\n')) {
            return None;
        }
        let attr = SimpleAttr {
            name: (name_start, name_start + name.len()),
            value: (value_start, value_start + value_len),
        };
        if n == MAX_SIMPLE_ATTRS || out[..n].iter().any(|a| &b[a.name.0..a.name.1] == name) {
            return None;
        }
        out[n] = attr;
        n += 1;
        i = skip_ws(value_start + value_len + 1);
    }
    Some(n)
}

/// Byte offsets (relative to `<`) of each attribute's name and of its value, in order. quick-xml
/// does not report attribute positions, and error messages need them.
struct AttributeOffsets<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> AttributeOffsets<'a> {
    fn new(tag: &'a str) -> Self {
        let b = tag.as_bytes();
        let mut i = 1;
        // Skip the element name.
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        AttributeOffsets { b, i }
    }
}

impl Iterator for AttributeOffsets<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let (b, mut i) = (self.b, self.i);
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' || b[i] == b'/' {
            self.i = i;
            return None;
        }
        let name_start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() && b[i] != b'>' {
            i += 1;
        }
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'=') {
            i += 1;
        }
        let item = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
            let q = b[i];
            i += 1;
            let value_start = i;
            while i < b.len() && b[i] != q {
                i += 1;
            }
            i += 1;
            (name_start, value_start)
        } else {
            (name_start, i)
        };
        self.i = i;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_offsets_skip_quoted_text() {
        let tag = r#"<Allow ID="a b=c" FileName='x'/>"#;
        let offs: Vec<_> = AttributeOffsets::new(tag).collect();
        assert_eq!(offs.len(), 2);
        assert_eq!(&tag[offs[1].0..offs[1].0 + 8], "FileName");
        assert_eq!(&tag[offs[1].1..offs[1].1 + 1], "x");
    }

    /// Reads the first tag of `doc` both ways: (simple path if it takes the tag, general path).
    fn both_paths(doc: &str) -> (Option<Vec<Attr>>, Result<Vec<Attr>, XmlError>) {
        let mut reader = Reader::from_str(doc);
        let event = reader.read_event().unwrap();
        let mut ns_scopes = NamespaceResolver::default();
        let (Event::Start(e) | Event::Empty(e)) = event else {
            panic!("no tag in {doc}")
        };
        let mut simple = Vec::new();
        let took = read_simple_attrs(&e, doc, &mut SpanCursor::new(doc), &mut simple);
        let mut any = Vec::new();
        ns_scopes.push(&e).unwrap();
        let general = read_any_attrs(&ns_scopes, &e, doc, 0, &mut SpanCursor::new(doc), &mut any).map(|()| any);
        (took.then_some(simple), general)
    }

    #[test]
    fn simple_attributes_read_as_the_general_path_reads_them() {
        let taken = [
            r#"<A ID="x" FriendlyName='a "b" c' Hash="00"/>"#,
            "<A\n\tID = \"x\"\r\n  Value=''>",
            r#"<A a="1"b="2" c="<>é"/>"#,
            r#"<A a.b-c_d="2"/>"#,
            "<A/>",
        ];
        for doc in taken {
            let (simple, general) = both_paths(doc);
            assert_eq!(simple.as_ref(), Some(&general.unwrap()), "{doc}");
        }
        let left = [
            r#"<A a="1" a="2"/>"#,
            r#"<A a="&amp;"/>"#,
            "<A a=\"x\ny\"/>",
            r#"<A xmlns="urn:x" a="1"/>"#,
            r#"<A xsi:type="x"/>"#,
            r#"<A xmlnsx="1"/>"#,
            r#"<A a=1/>"#,
            r#"<A a/>"#,
            r#"<A ="1"/>"#,
        ];
        for doc in left {
            assert_eq!(both_paths(doc).0, None, "{doc}");
        }
    }
}
