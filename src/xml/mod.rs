//! SiPolicy XML: the front-end ([`read`]) into the model and the canonical back-end ([`write`]).
//!
//! ```
//! let text = br#"<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy" PolicyType="Base Policy">
//!   <VersionEx>10.0.0.1</VersionEx>
//!   <PolicyID>{A244370E-44C9-4C06-B551-F6016E563076}</PolicyID>
//!   <BasePolicyID>{A244370E-44C9-4C06-B551-F6016E563076}</BasePolicyID>
//!   <PlatformID>{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}</PlatformID>
//!   <Rules><Rule><Option>Enabled:UMCI</Option></Rule></Rules>
//! </SiPolicy>"#;
//! let doc = cipolicy::xml::read(text).unwrap();
//! assert_eq!(doc.policy.version_ex.to_string(), "10.0.0.1");
//! let canonical = cipolicy::xml::write(&doc.policy);
//! assert_eq!(cipolicy::xml::read(canonical.as_bytes()).unwrap().policy, doc.policy);
//! ```

mod error;
mod read;
mod source;
pub mod tree;
mod write;

pub use error::{LineIndex, Span, XmlError};
pub use source::SourceMap;
pub use write::write;

use crate::model::Policy;

/// A policy read from XML, with the positions of its parts and the decoded text (for snippets).
#[derive(Clone, Debug)]
pub struct Document {
    /// The policy.
    pub policy: Policy,
    /// Positions of the policy's parts in `text`.
    pub source: SourceMap,
    /// The document as decoded text.
    pub text: String,
    /// The element tree of `text`, kept so that the validator's schema layer does not parse the
    /// document again.
    pub root: tree::Element,
}

impl Document {
    /// Maps the element tree parsed from `text` to a policy: what [`read`] does after parsing.
    pub fn from_tree(text: String, root: tree::Element) -> Result<Document, XmlError> {
        let (policy, source) = read::policy_from_tree(&root)?;
        Ok(Document {
            policy,
            source,
            text,
            root,
        })
    }

    /// [`Document::from_tree`], running `alongside` on the tree on a second thread meanwhile: for
    /// work that only reads the tree (the validator's schema layer), which then takes no time of
    /// its own where a core is free.
    pub fn from_tree_with<T: Send>(
        text: String,
        root: tree::Element,
        alongside: impl FnOnce(&tree::Element) -> T + Send,
    ) -> (Result<Document, XmlError>, T) {
        let (side, mapped) = crate::par::join(|| alongside(&root), || read::policy_from_tree(&root));
        let doc = mapped.map(|(policy, source)| Document {
            policy,
            source,
            text,
            root,
        });
        (doc, side)
    }
}

/// Reads a SiPolicy XML document (UTF-8 with or without BOM, or UTF-16 with BOM).
pub fn read(bytes: &[u8]) -> Result<Document, XmlError> {
    parse_text(tree::decode(bytes)?.into_owned())
}

fn parse_text(text: String) -> Result<Document, XmlError> {
    let root = tree::parse(&text)?;
    Document::from_tree(text, root)
}

/// True when the bytes look like an XML document (after byte-order marks and whitespace).
pub fn looks_like_xml(bytes: &[u8]) -> bool {
    // Any number of UTF-8 byte-order marks: the reader then says what is wrong with more than one.
    let mut b = bytes;
    while let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        b = rest;
    }
    if b.starts_with(&[0xFF, 0xFE]) || b.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'<')
}
