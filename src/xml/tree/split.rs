//! Reading a large document in two parts at once.
//!
//! The second part starts at the `<` of a start tag past the middle of the text and is read on a
//! second thread as a fragment: the elements it holds whole, the character data between them, and
//! the end tags of elements opened before it. The whole-document reader reads up to that `<` as
//! always, then splices the fragment in only if it holds exactly what that reader would have read
//! itself: the point is in element content, the default namespace there is SiPolicy's and the
//! fragment neither declares nor uses another, its end tags close the elements open there, and
//! nothing in it was unusual (an error, a DTD, text after the root). Otherwise the whole-document
//! reader reads on alone. Either way the tree, and every error, are those of one pass.

use std::sync::atomic::{AtomicBool, Ordering};

use quick_xml::events::Event;
use quick_xml::name::{NamespaceResolver, QName, ResolveResult};

use super::events::{self, Open, Tail};
use super::names::intern;
use super::{Element, MAX_DEPTH, NAMESPACE};
use crate::xml::error::{SpanCursor, XmlError};

/// Smaller documents are read in one pass: a second thread costs more than it saves.
const MIN_SPLIT: usize = 128 * 1024;

/// How far past the middle a split point is looked for.
const SEARCH: usize = 64 * 1024;

/// Where the second part of `text` should start: the `<` of a start tag that begins a line, at or
/// past the middle. `None` when `text` is small or has no such tag near its middle.
pub(super) fn split_point(text: &str) -> Option<usize> {
    if text.len() < MIN_SPLIT {
        return None;
    }
    let b = text.as_bytes();
    // Past the middle: the second half of a policy has more elements to the byte (its signing
    // scenarios list a FileRuleRef per rule).
    let mid = b.len() * 9 / 16;
    let end = (mid + SEARCH).min(b.len());
    memchr::memchr_iter(b'\n', &b[mid..end]).find_map(|nl| {
        let mut i = mid + nl + 1;
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r') {
            i += 1;
        }
        let name_start = b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_');
        (b.get(i) == Some(&b'<') && name_start).then_some(i)
    })
}

/// Parses `text`, reading it from `at` on (a character boundary) on a second thread.
pub(super) fn parse(text: &str, at: usize) -> Result<Element, XmlError> {
    let cancel = AtomicBool::new(false);
    crate::par::with_helper(
        || fragment(text, at, &cancel),
        |second| {
            let tail = Tail {
                at,
                cancel: &cancel,
                // A panic there is a bug to hear about, not a reason to read on alone.
                join: Box::new(|| second().unwrap_or_else(|p| std::panic::resume_unwind(p))),
            };
            let result = events::parse(text, Some(tail));
            cancel.store(true, Ordering::Relaxed);
            result
        },
    )
}

/// What the second part holds, in document order.
pub(super) struct Fragment {
    items: Vec<Item>,
    /// The most of its own elements open at once, for the depth limit.
    max_open: usize,
}

enum Item {
    /// An element read whole.
    Element(Element),
    /// Character data outside the fragment's elements, up to the next end tag of an element
    /// opened before it (or the end): all of it belongs to the element open there. `plain` is
    /// false if any of it came from CDATA or a reference, which no text after the root may.
    Text { text: String, plain: bool },
    /// The end tag of an element opened before the fragment: its name.
    End(String),
}

/// Reads `text` from `at` on as a fragment; `None` when anything in it needs the context of the
/// first part to be read right (or is an error: the whole-document reader words errors).
fn fragment(text: &str, at: usize, cancel: &AtomicBool) -> Option<Fragment> {
    let mut reader = events::new_reader(&text[at..], false);
    let mut pos = SpanCursor::starting_at(text, at);
    // Attributes without a prefix are in no namespace whatever is declared: the fragment refuses
    // prefixes, so it needs no bindings.
    let no_bindings = NamespaceResolver::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut done: Vec<Element> = Vec::with_capacity(events::pending_capacity(&text[at..]));
    let mut scratch = Vec::new();
    let mut items = Vec::new();
    let mut outside = (String::new(), true);
    let mut max_open = 0;
    let flush = |outside: &mut (String, bool), items: &mut Vec<Item>| {
        if !outside.0.is_empty() || !outside.1 {
            let (text, plain) = std::mem::replace(outside, (String::new(), true));
            items.push(Item::Text { text, plain });
        }
    };
    loop {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        let before = at + reader.buffer_position() as usize;
        let event = reader.read_event().ok()?;
        let (chars, plain) = match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if events::mentions_xmlns(e.attributes_raw()) || e.name().prefix().is_some() || stack.len() >= MAX_DEPTH
                {
                    return None;
                }
                max_open = max_open.max(stack.len() + 1);
                let start = events::tag_start(text, before);
                let after = at + reader.buffer_position() as usize;
                let name = intern(e.local_name().as_ref());
                let el = events::element(text, e, name, start, after, &no_bindings, &mut pos, &mut scratch).ok()?;
                if matches!(event, Event::Empty(_)) {
                    file(&stack, &mut done, &mut items, el);
                } else {
                    stack.push(Open {
                        el,
                        first_child: done.len(),
                        scoped: false,
                        prefixed: false,
                    });
                }
                continue;
            }
            Event::End(ref e) => {
                match stack.pop() {
                    Some(open) => {
                        if e.name().as_ref() != open.el.name {
                            return None;
                        }
                        let el = open.finish(&mut done);
                        file(&stack, &mut done, &mut items, el);
                    }
                    None => {
                        flush(&mut outside, &mut items);
                        items.push(Item::End(e.name().as_ref().to_owned()));
                    }
                }
                continue;
            }
            Event::Text(ref t) => (t.xml10_content(), true),
            Event::CData(ref c) => (c.xml10_content(), false),
            Event::GeneralRef(ref r) => (events::reference(r).ok()?, false),
            Event::PI(_) | Event::Comment(_) => continue,
            Event::Decl(_) | Event::DocType(_) => return None,
            Event::Eof => break,
        };
        match stack.last_mut() {
            Some(open) => open.el.text.push_str(&chars),
            None => {
                outside.0.push_str(&chars);
                outside.1 &= plain;
            }
        }
    }
    if !stack.is_empty() {
        return None;
    }
    flush(&mut outside, &mut items);
    Some(Fragment { items, max_open })
}

/// Files an element the fragment finished: under its parent in the fragment, or as an item.
fn file(stack: &[Open], done: &mut Vec<Element>, items: &mut Vec<Item>, el: Element) {
    if stack.is_empty() {
        items.push(Item::Element(el));
    } else {
        done.push(el);
    }
}

/// Splices `frag` into the whole-document reader's state at the fragment's start, finishing the
/// tree: its root, or `None` (the state untouched) if the fragment does not hold what that reader
/// would have read from there.
pub(super) fn splice(
    frag: Fragment,
    stack: &mut Vec<Open>,
    done: &mut Vec<Element>,
    root: &mut Option<Element>,
    ns_scopes: &mut NamespaceResolver,
) -> Option<Element> {
    let (default_ns, _) = ns_scopes.resolve_element(QName("x"));
    let in_sipolicy = matches!(default_ns, ResolveResult::Bound(n) if n.as_ref() == NAMESPACE);
    if stack.is_empty() || root.is_some() || !in_sipolicy || stack.len() + frag.max_open > MAX_DEPTH {
        return None;
    }
    // A dry run first, so that a refusal leaves the state as it was.
    let mut depth = stack.len();
    // Once an element that declared namespaces is closed, the default namespace may differ.
    let mut scope_closed = false;
    for item in &frag.items {
        let fits = match item {
            Item::Element(_) => depth > 0 && !scope_closed,
            Item::Text { text, plain } => depth > 0 || (*plain && text.trim().is_empty()),
            Item::End(name) => {
                let open = depth.checked_sub(1).map(|d| &stack[d]);
                depth = depth.saturating_sub(1);
                scope_closed |= open.is_some_and(|o| o.scoped);
                open.is_some_and(|o| !o.prefixed && o.el.name == name.as_str())
            }
        };
        if !fits {
            return None;
        }
    }
    if depth != 0 {
        return None;
    }
    done.reserve(frag.items.len());
    for item in frag.items {
        match item {
            Item::Element(el) => done.push(el),
            Item::Text { text, .. } => {
                if let Some(open) = stack.last_mut() {
                    open.el.text.push_str(&text);
                }
            }
            Item::End(_) => {
                let open = stack.pop()?;
                let scoped = open.scoped;
                let el = open.finish(done);
                events::close(stack, done, root, el);
                if scoped {
                    ns_scopes.pop();
                }
            }
        }
    }
    root.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rules: usize) -> String {
        let mut doc = format!("<SiPolicy xmlns=\"{NAMESPACE}\">\n  <FileRules>\n");
        for i in 0..rules {
            doc.push_str(&format!("    <Allow ID=\"ID_{i}\" FileName=\"f{i}.exe\"/>\n"));
        }
        doc.push_str("  </FileRules>\n  <Signers />\n</SiPolicy>\n");
        doc
    }

    #[test]
    fn split_points_are_start_tags_past_the_middle() {
        let doc = policy(4000);
        let at = split_point(&doc).expect("a large policy splits");
        assert!(at >= doc.len() / 2 && doc[at..].starts_with("<Allow "), "{at}");
        assert_eq!(split_point(&policy(10)), None);
    }

    #[test]
    fn the_fragment_is_what_the_tree_gets() {
        let doc = policy(200);
        let at = doc.find("<Allow ID=\"ID_100\"").unwrap();
        let one_pass = events::parse(&doc, None).unwrap();
        let mut frag = fragment(&doc, at, &AtomicBool::new(false)).expect("a plain fragment reads");
        assert_eq!(frag.max_open, 1);
        let ends = frag.items.iter().filter_map(|i| match i {
            Item::End(n) => Some(n.as_str()),
            _ => None,
        });
        assert_eq!(ends.collect::<Vec<_>>(), ["FileRules", "SiPolicy"]);
        assert!(matches!(frag.items.last(), Some(Item::Text { text, plain: true }) if text == "\n"));
        // Marked, so that the tree shows whether the fragment was spliced in or read again.
        let Some(Item::Element(first)) = frag.items.iter_mut().find(|i| matches!(i, Item::Element(_))) else {
            panic!("no element in the fragment")
        };
        first.text.push_str("spliced");
        let cancel = AtomicBool::new(false);
        let tail = Tail {
            at,
            cancel: &cancel,
            join: Box::new(move || Some(frag)),
        };
        let mut root = events::parse(&doc, Some(tail)).unwrap();
        let rules = &mut root.children[0].children;
        assert_eq!(rules[100].text, "spliced");
        rules[100].text.clear();
        assert_eq!(root, one_pass);
    }

    #[test]
    fn fragments_needing_the_first_part_are_refused() {
        let cancel = AtomicBool::new(false);
        let inner = |s: &str| format!("<A>\n  {s}\n</A>\n");
        for doc in [
            inner("<p:B/>"),
            inner("<B xmlns=\"urn:x\"/>"),
            inner("<B></C>"),
            inner("<B>"),
            inner("<!DOCTYPE x>"),
            inner("<B a=\"&x;\"/>"),
            inner("<?xml version=\"1.0\"?>"),
        ] {
            assert!(fragment(&doc, 0, &cancel).is_none(), "{doc}");
        }
        assert!(fragment(&inner("<B/>"), 0, &cancel).is_some());
        cancel.store(true, Ordering::Relaxed);
        assert!(
            fragment(&inner("<B/>"), 0, &cancel).is_none(),
            "a cancelled fragment stops"
        );
    }
}
