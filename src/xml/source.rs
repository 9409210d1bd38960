//! Positions of the model's parts in the XML text.
//!
//! The reader records a span for nearly every element and attribute, but spans are looked up only
//! for findings. So the map is a tree of path segments built without formatting or allocating a
//! path per entry (that was a third of the time of reading a large policy); lookups parse the
//! queried path instead.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::error::Span;
use super::tree::Element;

/// Where each part of the model came from. Paths are model paths (`file_rules[3]`,
/// `signing_scenarios[0].product_signers.allowed[1]`), with `@Attr` for an attribute's value
/// (`file_rules[3]@FileName`) and `#text` for an element's character data (`version_ex#text`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceMap {
    /// `nodes[0]` is the unnamed root; every other node names one path segment.
    nodes: Vec<Node>,
    /// Attribute value spans; each recorded node owns one contiguous run.
    attrs: Vec<(Cow<'static, str>, Span)>,
    /// The `[i]` children of the nodes that have any (`Node::items`), at index i (`NONE` for a
    /// gap): a few lists (`file_rules`, `signers`, ...) instead of a vector in every node.
    item_lists: Vec<Vec<u32>>,
}

impl Default for SourceMap {
    fn default() -> Self {
        SourceMap {
            nodes: vec![Node::new(0, Seg::Field(""))],
            attrs: Vec::new(),
            item_lists: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seg {
    /// `.name` (or `name` at the start of a path).
    Field(&'static str),
    /// `[i]`.
    Item(u32),
}

/// A path segment. Child fields are a linked list (a node has a handful at most); recorded
/// spans use line 0 for "none" (a real position has line 1 or more).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    parent: u32,
    seg: Seg,
    /// Set when the path itself was recorded (intermediate segments like `file_rules` are not).
    span: Span,
    text: Span,
    /// Range in `SourceMap::attrs`.
    attrs: (u32, u32),
    /// The first child field, and the next field of the same parent.
    first_field: u32,
    next_field: u32,
    /// Index in `SourceMap::item_lists`.
    items: u32,
}

impl Node {
    fn new(parent: u32, seg: Seg) -> Self {
        Node {
            parent,
            seg,
            span: Span::default(),
            text: Span::default(),
            attrs: (0, 0),
            first_field: NONE,
            next_field: NONE,
            items: NONE,
        }
    }
}

/// A recorded span, or `None` for the line-0 placeholder.
fn recorded(span: Span) -> Option<Span> {
    (span.line != 0).then_some(span)
}

const NONE: u32 = u32::MAX;

/// A path in a [`SourceMap`] under construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Path(u32);

impl SourceMap {
    /// An empty map with room for every element and attribute under `root` (nearly all are
    /// recorded; growing the vectors one doubling at a time copied them over and over).
    pub(crate) fn with_capacity(root: &Element) -> Self {
        fn count(el: &Element, n: &mut (usize, usize)) {
            n.0 += 1;
            n.1 += el.attrs.len();
            for c in &el.children {
                count(c, n);
            }
        }
        let mut n = (0, 0);
        count(root, &mut n);
        let mut map = SourceMap::default();
        // Fields that group items (`file_rules`) are nodes too.
        map.nodes.reserve(n.0 + n.0 / 2);
        map.attrs.reserve(n.1);
        map
    }

    /// The empty path, parent of the top-level segments.
    pub(crate) const ROOT: Path = Path(0);

    fn new_node(&mut self, parent: Path, seg: Seg) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(Node::new(parent.0, seg));
        id
    }

    /// The child fields of node `parent`.
    fn fields(&self, parent: usize) -> impl Iterator<Item = u32> + '_ {
        let some = |c: u32| (c != NONE).then_some(c);
        std::iter::successors(some(self.nodes[parent].first_field), move |&c| {
            some(self.nodes[c as usize].next_field)
        })
    }

    fn find_field(&self, parent: usize, name: &str) -> Option<u32> {
        // The reader names fields with the same static strings every time: the address decides
        // nearly every comparison (the root has a score of fields, asked for once per element).
        let named = |same: &dyn Fn(&str) -> bool| {
            self.fields(parent)
                .find(|c| matches!(self.nodes[*c as usize].seg, Seg::Field(f) if same(f)))
        };
        named(&|f| std::ptr::eq(f, name)).or_else(|| named(&|f| f == name))
    }

    /// The `[i]` child of node `parent`.
    fn find_item(&self, parent: usize, i: usize) -> Option<u32> {
        let list = self.item_lists.get(self.nodes[parent].items as usize)?;
        list.get(i).copied().filter(|c| *c != NONE)
    }

    /// `parent.name` (or `name` under [`Self::ROOT`]).
    pub(crate) fn field(&mut self, parent: Path, name: &'static str) -> Path {
        if let Some(c) = self.find_field(parent.0 as usize, name) {
            return Path(c);
        }
        let c = self.new_node(parent, Seg::Field(name));
        let p = &mut self.nodes[parent.0 as usize];
        let next = std::mem::replace(&mut p.first_field, c);
        self.nodes[c as usize].next_field = next;
        Path(c)
    }

    /// `parent[i]`.
    pub(crate) fn item(&mut self, parent: Path, i: usize) -> Path {
        let p = parent.0 as usize;
        if let Some(c) = self.find_item(p, i) {
            return Path(c);
        }
        let c = self.new_node(parent, Seg::Item(i as u32));
        if self.nodes[p].items == NONE {
            self.nodes[p].items = self.item_lists.len() as u32;
            self.item_lists.push(Vec::new());
        }
        let items = &mut self.item_lists[self.nodes[p].items as usize];
        // `i` is the position of an element in its parent, so the gap (if any) is bounded by
        // the document's size.
        if items.len() <= i {
            items.resize(i + 1, NONE);
        }
        items[i] = c;
        Path(c)
    }

    /// `parent.name[i]`.
    pub(crate) fn field_item(&mut self, parent: Path, name: &'static str, i: usize) -> Path {
        let f = self.field(parent, name);
        self.item(f, i)
    }

    /// Records the element at `path`: its start, each attribute's value (`path@Name`) and its
    /// character data when it has any (`path#text`).
    pub(crate) fn record(&mut self, path: Path, el: &Element) {
        let start = self.attrs.len() as u32;
        self.attrs
            .extend(el.attrs.iter().map(|a| (a.name.clone(), a.value_span)));
        let node = &mut self.nodes[path.0 as usize];
        node.span = el.span;
        node.text = if el.text.is_empty() {
            Span::default()
        } else {
            el.text_span
        };
        node.attrs = (start, self.attrs.len() as u32);
    }

    /// The span recorded for `path`, or for its closest recorded ancestor (`a[1].b@C` → `a[1].b`
    /// → `a[1]` → `a`).
    pub fn get(&self, path: &str) -> Option<Span> {
        let mut node = 0usize;
        let mut best = None;
        let mut rest = path;
        let mut first = true;
        loop {
            let (index, after) = match rest.as_bytes().first() {
                None => return best,
                Some(b'@') => {
                    let name = &rest[1..];
                    let name = &name[..name.find(['.', '[', '@', '#']).unwrap_or(name.len())];
                    let (s, e) = self.nodes[node].attrs;
                    let found = self.attrs[s as usize..e as usize].iter().find(|(n, _)| n == name);
                    return found.map(|(_, span)| *span).or(best);
                }
                Some(b'#') => {
                    return match &rest[1..] {
                        "text" => recorded(self.nodes[node].text).or(best),
                        _ => best,
                    };
                }
                Some(b'[') => {
                    let Some(close) = rest.find(']') else { return best };
                    let Ok(i) = rest[1..close].parse::<u32>() else {
                        return best;
                    };
                    let after = &rest[close + 1..];
                    if !(after.is_empty() || after.starts_with(['.', '[', '@', '#'])) {
                        return best;
                    }
                    (i, after)
                }
                Some(_) => {
                    let body = if first {
                        rest
                    } else if let Some(b) = rest.strip_prefix('.') {
                        b
                    } else {
                        return best;
                    };
                    let end = body.find(['.', '[', '@', '#']).unwrap_or(body.len());
                    let name = &body[..end];
                    let Some(c) = self.find_field(node, name) else {
                        return best;
                    };
                    node = c as usize;
                    best = recorded(self.nodes[node].span).or(best);
                    rest = &body[end..];
                    first = false;
                    continue;
                }
            };
            let Some(c) = self.find_item(node, index as usize) else {
                return best;
            };
            node = c as usize;
            best = recorded(self.nodes[node].span).or(best);
            rest = after;
            first = false;
        }
    }

    /// Every recorded path and span, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (String, Span)> {
        let mut out = Vec::new();
        for (i, n) in self.nodes.iter().enumerate().skip(1) {
            let Some(span) = recorded(n.span) else { continue };
            let path = self.path_of(i);
            for (name, s) in &self.attrs[n.attrs.0 as usize..n.attrs.1 as usize] {
                out.push((format!("{path}@{name}"), *s));
            }
            if let Some(t) = recorded(n.text) {
                out.push((format!("{path}#text"), t));
            }
            out.push((path, span));
        }
        out.sort();
        out.into_iter()
    }

    fn path_of(&self, mut i: usize) -> String {
        let mut segs = Vec::new();
        while i != 0 {
            segs.push(self.nodes[i].seg);
            i = self.nodes[i].parent as usize;
        }
        let mut out = String::new();
        for (k, seg) in segs.iter().rev().enumerate() {
            match seg {
                Seg::Field(f) if k == 0 => out.push_str(f),
                Seg::Field(f) => {
                    out.push('.');
                    out.push_str(f);
                }
                Seg::Item(n) => {
                    let _ = write!(out, "[{n}]");
                }
            }
        }
        out
    }
}
