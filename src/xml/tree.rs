//! A small positioned element tree built from quick-xml events. The policy reader maps it to the
//! model; the validator's schema layer walks it directly.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::error::{LineIndex, Span, XmlError};

/// The SiPolicy namespace.
pub const NAMESPACE: &str = "urn:schemas-microsoft-com:sipolicy";

/// Deeper nesting than this is refused; SiPolicy documents are at most 7 levels deep.
const MAX_DEPTH: usize = 64;

/// An attribute with its unescaped, normalised value and positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Local name (`FileName`).
    pub name: String,
    /// Value after entity expansion and attribute-value normalisation.
    pub value: String,
    /// Where the attribute name starts.
    pub span: Span,
    /// Where the value starts (just after the opening quote).
    pub value_span: Span,
}

/// An element in the SiPolicy namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Attributes other than namespace declarations and foreign-namespace ones, in document order.
    pub attrs: Vec<Attr>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Concatenated character data directly inside the element (entities expanded).
    pub text: String,
    /// Where the start tag begins (`<`).
    pub span: Span,
    /// Where the character data starts (the position after the start tag when there is none).
    pub text_span: Span,
}

impl Element {
    /// The attribute with this local name.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// Child elements with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Turns raw file bytes into text: UTF-8 (with or without BOM) or UTF-16 LE/BE (with a BOM, as
/// Windows PowerShell's `Out-File` writes it, or detected from the leading `<`).
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    let utf16 = |be: bool, skip: usize| {
        let body = &bytes[skip..];
        if !body.len().is_multiple_of(2) {
            return Err(XmlError::at_byte(
                bytes.len(),
                "UTF-16 document has an odd number of bytes (truncated?)",
            ));
        }
        let units = body.chunks_exact(2).map(|c| {
            if be {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        });
        let mut out = String::with_capacity(body.len() / 2);
        for (i, r) in char::decode_utf16(units).enumerate() {
            match r {
                Ok(c) => out.push(c),
                Err(_) => {
                    let idx = LineIndex::new(&out);
                    let span = idx.span(out.len());
                    return Err(XmlError::new(
                        span,
                        format!("invalid UTF-16 (unpaired surrogate) at byte {}", 2 + i * 2),
                    ));
                }
            }
        }
        Ok(Cow::Owned(out))
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest),
        [0xFF, 0xFE, ..] => utf16(false, 2),
        [0xFE, 0xFF, ..] => utf16(true, 2),
        // No BOM but a UTF-16 `<` first: XML 1.0 appendix F autodetection.
        [b'<', 0, ..] => utf16(false, 0),
        [0, b'<', ..] => utf16(true, 0),
        _ => utf8(bytes),
    }
}

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        // `good` is valid UTF-8 by construction.
        let idx = LineIndex::new(std::str::from_utf8(good).unwrap_or_default());
        let span = idx.span(good.len());
        let hint = if bytes.len() > 1 && bytes.iter().skip(1).step_by(2).take(64).all(|b| *b == 0) {
            " (this looks like UTF-16 without a byte-order mark; save it as UTF-8 or UTF-16 with a BOM)"
        } else {
            ""
        };
        XmlError::new(span, format!("the document is not valid UTF-8{hint}"))
    })
}

struct Open {
    el: Element,
}

/// Parses a document into its root element. DTDs are refused; only the predefined entities and
/// character references are expanded; elements outside the SiPolicy namespace are refused.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let idx = LineIndex::new(text);
    let mut reader = NsReader::from_str(text);
    let cfg = reader.config_mut();
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;
    cfg.trim_text(false);

    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let (ns, event) = match reader.read_resolved_event() {
            Ok(ev) => ev,
            Err(e) => {
                return Err(XmlError::new(
                    idx.span(reader.error_position() as usize),
                    syntax_message(&e),
                ));
            }
        };
        let ns_ok = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == NAMESPACE);
        let ns_text = match &ns {
            ResolveResult::Bound(n) => format!("namespace `{}`", n.as_ref()),
            ResolveResult::Unbound => "no namespace".to_string(),
            ResolveResult::Unknown(p) => format!("undeclared prefix `{p}`"),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                // Skip leading whitespace the reader may count before `<`.
                let start = before + text[before..].find('<').unwrap_or(0);
                let span = idx.span(start);
                let name = e.local_name().as_ref().to_string();
                if root.is_some() {
                    return Err(XmlError::new(span, format!("content after the root element: <{name}>")));
                }
                if !ns_ok {
                    let expected = if stack.is_empty() {
                        "the root <SiPolicy>"
                    } else {
                        "an element"
                    };
                    return Err(XmlError::new(
                        span,
                        format!("<{name}> is in {ns_text}; expected {expected} in namespace `{NAMESPACE}`"),
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::new(
                        span,
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let attrs = read_attrs(&reader, e, text, start, &idx)?;
                let after = reader.buffer_position() as usize;
                let el = Element {
                    name,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                    span,
                    text_span: idx.span(after),
                };
                if is_empty {
                    close(&mut stack, &mut root, el);
                } else {
                    stack.push(Open { el });
                }
            }
            Event::End(_) => {
                // check_end_names guarantees a matching open element.
                if let Some(open) = stack.pop() {
                    close(&mut stack, &mut root, open.el);
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                match stack.last_mut() {
                    Some(open) => open.el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => {
                        let start = before + (s.len() - s.trim_start().len());
                        return Err(XmlError::new(idx.span(start), "text outside the root element"));
                    }
                }
            }
            Event::CData(c) => {
                let s = c.xml10_content().into_owned();
                match stack.last_mut() {
                    Some(open) => open.el.text.push_str(&s),
                    None => return Err(XmlError::new(idx.span(before), "CDATA outside the root element")),
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => return Err(XmlError::new(idx.span(before), "invalid character reference")),
                    }
                } else {
                    let name = r.to_string();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(v) => v.to_string(),
                        None => {
                            return Err(XmlError::new(
                                idx.span(before),
                                format!(
                                    "unknown entity `&{name};`: only &lt; &gt; &amp; &quot; &apos; and character references are allowed"
                                ),
                            ));
                        }
                    }
                };
                match stack.last_mut() {
                    Some(open) => open.el.text.push_str(&resolved),
                    None => {
                        return Err(XmlError::new(
                            idx.span(before),
                            "entity reference outside the root element",
                        ));
                    }
                }
            }
            Event::DocType(_) => {
                return Err(XmlError::new(
                    idx.span(before + text[before..].find('<').unwrap_or(0)),
                    "DTDs (<!DOCTYPE …>) are refused: entity declarations could expand without bound or fetch external files; ConfigCI refuses them too",
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError::new(
            idx.span(text.len()),
            format!(
                "unexpected end of document: <{}> (line {}) is not closed",
                open.el.name, open.el.span.line
            ),
        ));
    }
    root.ok_or_else(|| {
        XmlError::new(
            idx.span(text.len()),
            "the document has no root element; expected <SiPolicy>",
        )
    })
}

fn close(stack: &mut [Open], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.el.children.push(el),
        None => *root = Some(el),
    }
}

fn read_attrs(
    reader: &NsReader<&[u8]>,
    e: &BytesStart<'_>,
    text: &str,
    tag_start: usize,
    idx: &LineIndex,
) -> Result<Vec<Attr>, XmlError> {
    let mut out = Vec::new();
    let offsets = attribute_offsets(&text[tag_start..]);
    for (i, a) in e.attributes().with_checks(true).enumerate() {
        let (name_off, value_off) = offsets
            .get(i)
            .map(|(n, v)| (tag_start + n, tag_start + v))
            .unwrap_or((tag_start, tag_start));
        let a = match a {
            Ok(a) => a,
            Err(err) => {
                let msg = match err {
                    quick_xml::events::attributes::AttrError::Duplicated(..) => {
                        "duplicate attribute: an attribute may appear only once per element".to_string()
                    }
                    other => format!("malformed attribute: {other}"),
                };
                return Err(XmlError::new(idx.span(name_off), msg));
            }
        };
        let key = a.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, local) = reader.resolver().resolve_attribute(key);
        match ns {
            ResolveResult::Unbound => {}
            ResolveResult::Bound(_) => continue, // xsi:…, xsd:… and other foreign attributes carry no policy data
            ResolveResult::Unknown(p) => {
                return Err(XmlError::new(
                    idx.span(name_off),
                    format!("attribute prefix `{p}` is not declared"),
                ));
            }
        }
        let value = a.normalized_value(XmlVersion::Implicit1_0).map_err(|err| {
            use quick_xml::escape::EscapeError as E;
            let (at, what) = match &err {
                quick_xml::Error::Escape(E::UnrecognizedEntity(r, name)) => (r.start.saturating_sub(1), format!("unknown entity `&{name};`")),
                quick_xml::Error::Escape(E::UnterminatedEntity(r)) => (r.start, "`&` without a closing `;`".to_string()),
                quick_xml::Error::Escape(E::InvalidCharRef(e)) => (0, format!("invalid character reference ({e})")),
                other => (0, other.to_string()),
            };
            XmlError::new(
                idx.span(value_off + at),
                format!("bad value of attribute `{}`: {what}; only &lt; &gt; &amp; &quot; &apos; and character references are allowed", key.as_ref()),
            )
        })?;
        out.push(Attr {
            name: local.as_ref().to_string(),
            value: value.into_owned(),
            span: idx.span(name_off),
            value_span: idx.span(value_off),
        });
    }
    Ok(out)
}

/// Byte offsets (relative to `<`) of each attribute's name and of its value, in order. quick-xml
/// does not report attribute positions, and error messages need them.
fn attribute_offsets(tag: &str) -> Vec<(usize, usize)> {
    let b = tag.as_bytes();
    let mut out = Vec::new();
    let mut i = 1;
    // Skip the element name.
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
        i += 1;
    }
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' || b[i] == b'/' {
            break;
        }
        let name_start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() && b[i] != b'>' {
            i += 1;
        }
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'=') {
            i += 1;
        }
        if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
            let q = b[i];
            i += 1;
            out.push((name_start, i));
            while i < b.len() && b[i] != q {
                i += 1;
            }
            i += 1;
        } else {
            out.push((name_start, i));
        }
    }
    out
}

fn syntax_message(e: &quick_xml::Error) -> String {
    use quick_xml::Error as E;
    match e {
        E::IllFormed(ill) => format!("malformed XML: {ill}"),
        E::Syntax(s) => format!("malformed XML: {s}"),
        E::Escape(esc) => format!("bad escape: {esc}"),
        E::Namespace(n) => format!("namespace error: {n}"),
        other => format!("malformed XML: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_offsets_skip_quoted_text() {
        let tag = r#"<Allow ID="a b=c" FileName='x'/>"#;
        let offs = attribute_offsets(tag);
        assert_eq!(offs.len(), 2);
        assert_eq!(&tag[offs[1].0..offs[1].0 + 8], "FileName");
        assert_eq!(&tag[offs[1].1..offs[1].1 + 1], "x");
    }

    #[test]
    fn builds_tree_with_positions() {
        let doc = "<?xml version=\"1.0\"?>\n<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\">\n  <VersionEx>1.0.0.0</VersionEx>\n  <A x=\"&amp;&#65;\"/>\n</SiPolicy>";
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "SiPolicy");
        assert_eq!((root.span.line, root.span.column), (2, 1));
        assert_eq!(root.children[0].text, "1.0.0.0");
        let a = &root.children[1];
        assert_eq!(a.attrs[0].value, "&A");
        assert_eq!((a.attrs[0].span.line, a.attrs[0].span.column), (4, 6));
    }

    #[test]
    fn decodes_utf16_with_bom() {
        let s = "<SiPolicy/>";
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).unwrap(), s);
        let mut be = vec![0xFE, 0xFF];
        be.extend(s.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode(&be).unwrap(), s);
    }
}
