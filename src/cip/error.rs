//! Errors of the binary codec: [`DecodeError`] for bytes that are not a policy this tool can
//! read, [`CompileError`] for models that cannot be written in the chosen format version.

use std::fmt;

use crate::model::Id;

/// A binary policy could not be read. Carries the byte offset where the offending field starts
/// and the structure being read there (`FileRules[12].Hash`, `section 5: FileRules[3]`, …).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at byte offset {offset} (0x{offset:X}) in {structure}: {kind}")]
pub struct DecodeError {
    /// Offset from the start of the raw policy.
    pub offset: usize,
    /// The structure or field being read.
    pub structure: String,
    /// What is wrong.
    pub kind: DecodeErrorKind,
}

/// What made a binary unreadable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// The input ends inside a field.
    #[error("the file ends early: {needed} more byte(s) needed, {available} left")]
    Truncated {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// A count promises more elements than the remaining bytes could hold.
    #[error("count {count} needs at least {min_bytes} bytes but only {available} remain")]
    CountTooLarge {
        /// The count as stored.
        count: u32,
        /// Smallest number of bytes that many elements occupy.
        min_bytes: u128,
        /// Bytes left in the input.
        available: usize,
    },
    /// An index points past the end of the array it refers to.
    #[error("index {index} is out of range: {what} has {len} element(s)")]
    IndexOutOfRange {
        /// The index as stored.
        index: u32,
        /// The array the index refers to.
        what: &'static str,
        /// Length of that array.
        len: usize,
    },
    /// Format version outside 1–11.
    #[error("format version {0} is not supported (this tool reads versions 1 to 11)")]
    UnsupportedVersion(u32),
    /// A section tag other than the expected one.
    #[error("expected section tag {expected}, found {found}")]
    BadSectionTag {
        /// The tag that must come next.
        expected: u32,
        /// The value found.
        found: u32,
    },
    /// The end tag is smaller than `format version + 1`.
    #[error("end tag {found} is smaller than format version + 1 = {expected}")]
    BadTerminator {
        /// `format_version + 1`.
        expected: u32,
        /// The value found.
        found: u32,
    },
    /// Bytes follow the end tag.
    #[error("{0} byte(s) follow the end tag")]
    TrailingBytes(usize),
    /// A field holds a value outside its domain.
    #[error("invalid {field}: {value}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// The offending value, rendered.
        value: String,
    },
    /// Padding or a string's trailing word is not zero.
    #[error("non-zero padding")]
    NonZeroPadding,
    /// A string's bytes are not UTF-16LE.
    #[error("string is not valid UTF-16LE ({0})")]
    BadString(&'static str),
    /// Valid binary content that the policy model has no way to hold.
    #[error("cannot be represented in a policy model: {0}")]
    NotRepresentable(String),
}

/// A policy model cannot be compiled to the requested binary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// Format version outside 1–11.
    #[error("format version {0} cannot be written (supported: 1 to 11; ConvertFrom-CIPolicy writes 7 or 8)")]
    UnsupportedVersion(u32),
    /// No GUID for the header.
    #[error(
        "the policy has no PolicyTypeID, BasePolicyID or PolicyID, so the binary header has no GUID; add a PolicyID and BasePolicyID"
    )]
    NoPolicyId,
    /// A feature the chosen format version has no field for.
    #[error(
        "{what} needs format version {needs} or later, but version {version} was requested; use --format-version {needs} or remove it"
    )]
    NotExpressible {
        /// The feature and where it is used.
        what: String,
        /// Lowest version that can hold it.
        needs: u32,
        /// The requested version.
        version: u32,
    },
    /// Non-empty `<AppSettings>`.
    #[error(
        "AppSettings cannot be compiled: the binary holds every setting definition of the application manifest that App/@Manifest points to ({manifest}), which cipolicy does not fetch; remove <AppSettings> or compile with AppControl Manager"
    )]
    AppSettings {
        /// The first app's manifest URI.
        manifest: String,
    },
    /// A reference to an ID that does not exist.
    #[error("{from} refers to {expected} `{id}`, which does not exist")]
    UnresolvedReference {
        /// Where the reference is (`Signer ID_SIGNER_1 FileAttribRef`).
        from: String,
        /// The missing ID.
        id: Id,
        /// What kind of element it must name.
        expected: &'static str,
    },
    /// A reference to an element of the wrong kind.
    #[error("{from} refers to `{id}`, which is {found}, but it must be {expected}")]
    WrongKind {
        /// Where the reference is.
        from: String,
        /// The referenced ID.
        id: Id,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: &'static str,
    },
    /// Two elements of one ID namespace share an ID.
    #[error("two {what} have the ID `{id}`; IDs must be unique")]
    DuplicateId {
        /// The namespace (`file rules`, `signers`, …).
        what: &'static str,
        /// The repeated ID.
        id: Id,
    },
    /// Malformed `AppIDs`.
    #[error("file rule `{rule}` has AppIDs `{value}`: {reason}")]
    BadAppIds {
        /// The rule ID.
        rule: Id,
        /// The attribute value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// An EKU with neither Value nor a usable OID.
    #[error("EKU `{id}` has no Value{}", .oid.as_ref().map(|o| format!(" and its OID `{o}` is not a dotted OID")).unwrap_or_default())]
    EkuWithoutValue {
        /// The EKU ID.
        id: Id,
        /// The OID attribute, if any.
        oid: Option<String>,
    },
    /// More elements than a u32 count can hold.
    #[error("too many {0} for a binary policy")]
    TooMany(&'static str),
    /// Two hot-patch rules give different sequences for the same target.
    #[error("{0}")]
    Hotpatch(String),
}

/// Something compile did that the user may not expect, though the output is valid.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum CompileWarning {
    /// An `<Option>` text no schema knows; ConvertFrom-CIPolicy ignores it and so do we.
    UnknownOptionDropped(String),
    /// An attribute that has no effect in the binary and was dropped.
    Ignored(String),
}

impl fmt::Display for CompileWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileWarning::UnknownOptionDropped(s) => write!(
                f,
                "rule option `{s}` is not a known option (options are case-sensitive) and was dropped, as ConvertFrom-CIPolicy does"
            ),
            CompileWarning::Ignored(s) => f.write_str(s),
        }
    }
}
