//! A small positioned element tree built from quick-xml events. The policy reader maps it to the
//! model; the validator's schema layer walks it directly.
//!
//! A large document is read in two parts at once (see [`split`]); the tree, and every error,
//! is the one a single pass gives.

mod attrs;
mod decode;
mod events;
mod names;
mod split;

use std::borrow::Cow;

pub use decode::{decode, decode_owned};

use super::error::{Span, XmlError};

/// The SiPolicy namespace.
pub const NAMESPACE: &str = "urn:schemas-microsoft-com:sipolicy";

/// Deeper nesting than this is refused; SiPolicy documents are at most 7 levels deep.
const MAX_DEPTH: usize = 64;

/// An attribute with its unescaped, normalised value and positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Local name (`FileName`); borrowed for the names the SiPolicy schema uses.
    pub name: Cow<'static, str>,
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
    /// Local name; borrowed for the names the SiPolicy schema uses.
    pub name: Cow<'static, str>,
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

/// Parses a document into its root element. DTDs are refused; only the predefined entities and
/// character references are expanded; elements outside the SiPolicy namespace are refused.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    parse_split_at(text, split::split_point(text))
}

/// [`parse`] with the text from byte `at` on (the `<` of a start tag) read on a second thread
/// while the first part is read; `None` reads it all on this thread. Whatever `at` is, the
/// result is the one [`parse`] gives: public for the tests that hold it to that.
#[doc(hidden)]
pub fn parse_split_at(text: &str, at: Option<usize>) -> Result<Element, XmlError> {
    decode::check_start(text)?;
    decode::check_chars(text)?;
    match at.filter(|&at| at > 0 && text.is_char_boundary(at)) {
        None => events::parse(text, None),
        Some(at) => split::parse(text, at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
