//! The reader of a whole document: quick-xml events to the element tree, with every error. The
//! second part of a split parse ([`super::split`]) shares its element building.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{NamespaceResolver, ResolveResult};
use quick_xml::reader::Reader;

use super::attrs::read_attrs;
use super::names::intern;
use super::split::{self, Fragment};
use super::{Attr, Element, MAX_DEPTH, NAMESPACE};
use crate::xml::error::{LineIndex, SpanCursor, XmlError};

/// An element whose end tag has not been read yet.
pub(super) struct Open {
    pub el: Element,
    /// Where its children start among the finished elements waiting for their parent.
    pub first_child: usize,
    /// Whether its tag declared namespaces, opening a scope.
    pub scoped: bool,
    /// Whether its tag name has a prefix (`<p:FileRules>`): then its end tag does not carry its
    /// local name.
    pub prefixed: bool,
}

impl Open {
    /// The element with its children, which are the finished elements from `first_child` on.
    pub fn finish(self, done: &mut Vec<Element>) -> Element {
        let mut el = self.el;
        el.children = done.drain(self.first_child..).collect();
        el
    }
}

/// The second part of a split parse, read elsewhere: where it starts, how to stop it, and how to
/// wait for it.
pub(super) struct Tail<'a> {
    pub at: usize,
    pub cancel: &'a AtomicBool,
    pub join: Box<dyn FnOnce() -> Option<Fragment> + 'a>,
}

/// A reader of `text` configured as both parts need it. The whole-document reader checks end tags
/// against start tags; the second part's reader cannot (it meets the end tags of elements opened
/// before it), so it checks its own and reports the others.
pub(super) fn new_reader(text: &str, whole: bool) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    let cfg = reader.config_mut();
    cfg.check_end_names = whole;
    cfg.allow_unmatched_ends = !whole;
    cfg.expand_empty_elements = false;
    cfg.trim_text(false);
    reader
}

/// Where the tag of a start event read from byte `before` begins: the reader may count leading
/// whitespace before its `<`.
pub(super) fn tag_start(text: &str, before: usize) -> usize {
    before + text.as_bytes()[before..].iter().position(|&b| b == b'<').unwrap_or(0)
}

/// The element a start tag opens, without children yet: name, attributes and positions.
#[allow(clippy::too_many_arguments)]
pub(super) fn element(
    text: &str,
    e: &BytesStart<'_>,
    name: Cow<'static, str>,
    start: usize,
    after: usize,
    ns_scopes: &NamespaceResolver,
    pos: &mut SpanCursor<'_>,
    scratch: &mut Vec<Attr>,
) -> Result<Element, XmlError> {
    let span = pos.span(start);
    read_attrs(ns_scopes, e, text, start, pos, scratch)?;
    // Exactly sized; `scratch` keeps its capacity for the next tag.
    let mut attrs = Vec::with_capacity(scratch.len());
    attrs.append(scratch);
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
        span,
        text_span: pos.span(after),
    })
}

/// The characters an entity or character reference stands for, or why it is refused.
pub(super) fn reference(r: &BytesRef<'_>) -> Result<Cow<'static, str>, String> {
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(Cow::Owned(c.to_string())),
            _ => Err("invalid character reference".into()),
        };
    }
    let name = r.to_string();
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(Cow::Borrowed)
        .ok_or_else(|| {
            format!(
                "unknown entity `&{name};`: only &lt; &gt; &amp; &quot; &apos; and character references are allowed"
            )
        })
}

/// Whether `raw` has `xmlns` anywhere: the tags that may declare namespaces. Found through the
/// `x`s (a substring search set itself up again for each tag).
pub(super) fn mentions_xmlns(raw: &str) -> bool {
    let b = raw.as_bytes();
    memchr::memchr_iter(b'x', b).any(|i| b[i..].starts_with(b"xmlns"))
}

/// Room for the finished elements waiting for their parent, from the number of tags in `text`:
/// they peak at the children of the longest list (a policy's file rules), and growing the vector
/// to that copied it over and over into fresh memory. Capped, so that a hostile document of
/// nothing but tags reserves a few MB at most; past that the vector grows as usual.
pub(super) fn pending_capacity(text: &str) -> usize {
    const MAX: usize = 1 << 15;
    (memchr::memchr_iter(b'<', text.as_bytes()).count() / 2).min(MAX)
}

/// Files a finished element: under its parent (which is open) or as the root.
pub(super) fn close(stack: &[Open], done: &mut Vec<Element>, root: &mut Option<Element>, el: Element) {
    if stack.is_empty() {
        *root = Some(el);
    } else {
        done.push(el);
    }
}

/// Reads `text` into its root element, splicing in `tail` when the reader reaches it in element
/// content and it holds what this reader would have read (see [`split`]).
pub(super) fn parse(text: &str, mut tail: Option<Tail<'_>>) -> Result<Element, XmlError> {
    // Errors are rare: they get a full line index; the positions of every element and attribute
    // come from a cursor that walks the text once.
    let err = |offset: usize, msg: String| XmlError::new(LineIndex::new(text).span(offset), msg);
    let mut pos = SpanCursor::new(text);
    let mut reader = new_reader(text, true);
    // quick-xml's `NsReader` opens a namespace scope for every element by walking its attributes
    // (a tenth of the parse of a large policy), but policies declare namespaces on the root
    // only. The same resolver is fed here only the tags whose attributes mention `xmlns`: the
    // others declare nothing, so the bindings in scope, and every resolution, are the same.
    let mut ns_scopes = NamespaceResolver::default();

    // Open elements; finished elements waiting for their parent's end tag. Children and
    // attributes are collected here and moved into vectors of the exact size when their element
    // ends, instead of growing a vector per element.
    let mut stack: Vec<Open> = Vec::new();
    // When a second thread reads from `at` on, only the first part's tags are counted here.
    let first_part = tail.as_ref().map_or(text, |t| &text[..t.at]);
    let mut done: Vec<Element> = Vec::with_capacity(pending_capacity(first_part));
    let mut scratch: Vec<Attr> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => return Err(err(reader.error_position() as usize, syntax_message(&e))),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let start = tag_start(text, before);
                if let Some(t) = tail.take_if(|t| start >= t.at) {
                    if start > t.at {
                        // The split point was not in element content (a comment, an attribute
                        // value): the second part is of no use.
                        t.cancel.store(true, Ordering::Relaxed);
                    } else if let Some(root) =
                        (t.join)().and_then(|f| split::splice(f, &mut stack, &mut done, &mut root, &mut ns_scopes))
                    {
                        return Ok(root);
                    }
                }
                let is_empty = matches!(event, Event::Empty(_));
                let scoped = mentions_xmlns(e.attributes_raw());
                if scoped && let Err(e) = ns_scopes.push(e) {
                    // `NsReader` reports this without moving its error position.
                    let e = quick_xml::Error::from(e);
                    return Err(err(reader.error_position() as usize, syntax_message(&e)));
                }
                let (ns, _) = ns_scopes.resolve_element(e.name());
                let name = intern(e.local_name().as_ref());
                if root.is_some() {
                    return Err(err(start, format!("content after the root element: <{name}>")));
                }
                if !matches!(ns, ResolveResult::Bound(n) if n.as_ref() == NAMESPACE) {
                    let ns_text = match &ns {
                        ResolveResult::Bound(n) => format!("namespace `{}`", n.as_ref()),
                        ResolveResult::Unbound => "no namespace".to_string(),
                        ResolveResult::Unknown(p) => format!("undeclared prefix `{p}`"),
                    };
                    let expected = if stack.is_empty() {
                        "the root <SiPolicy>"
                    } else {
                        "an element"
                    };
                    return Err(err(
                        start,
                        format!("<{name}> is in {ns_text}; expected {expected} in namespace `{NAMESPACE}`"),
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(err(start, format!("elements nested deeper than {MAX_DEPTH} levels")));
                }
                let after = reader.buffer_position() as usize;
                let el = element(text, e, name, start, after, &ns_scopes, &mut pos, &mut scratch)?;
                if is_empty {
                    close(&stack, &mut done, &mut root, el);
                    if scoped {
                        ns_scopes.pop();
                    }
                } else {
                    let prefixed = e.name().prefix().is_some();
                    stack.push(Open {
                        el,
                        first_child: done.len(),
                        scoped,
                        prefixed,
                    });
                }
            }
            Event::End(_) => {
                // check_end_names guarantees a matching open element.
                if let Some(open) = stack.pop() {
                    let scoped = open.scoped;
                    let el = open.finish(&mut done);
                    close(&stack, &mut done, &mut root, el);
                    if scoped {
                        ns_scopes.pop();
                    }
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                match stack.last_mut() {
                    Some(open) => open.el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => {
                        let start = before + (s.len() - s.trim_start().len());
                        return Err(err(start, "text outside the root element".into()));
                    }
                }
            }
            Event::CData(c) => {
                let s = c.xml10_content();
                match stack.last_mut() {
                    Some(open) => open.el.text.push_str(&s),
                    None => return Err(err(before, "CDATA outside the root element".into())),
                }
            }
            Event::GeneralRef(r) => {
                let resolved = reference(&r).map_err(|msg| err(before, msg))?;
                match stack.last_mut() {
                    Some(open) => open.el.text.push_str(&resolved),
                    None => return Err(err(before, "entity reference outside the root element".into())),
                }
            }
            Event::DocType(_) => {
                return Err(err(
                    before + text[before..].find('<').unwrap_or(0),
                    "DTDs (<!DOCTYPE …>) are refused: entity declarations could expand without bound or fetch external files; ConfigCI refuses them too".into(),
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(err(
            text.len(),
            format!(
                "unexpected end of document: <{}> (line {}) is not closed",
                open.el.name, open.el.span.line
            ),
        ));
    }
    root.ok_or_else(|| {
        err(
            text.len(),
            "the document has no root element; expected <SiPolicy>".into(),
        )
    })
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
