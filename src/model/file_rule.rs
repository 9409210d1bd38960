//! `<FileRules>`: Allow, Deny, FileAttrib and generic FileRule elements.

use super::{HexBytes, Id, Version};

/// Which element a file rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum FileRuleKind {
    /// `<Allow>`.
    Allow,
    /// `<Deny>`.
    Deny,
    /// `<FileAttrib>`: attributes that signers refer to (FilePublisher and similar levels).
    FileAttrib,
    /// `<FileRule Type="…">` (newer schemas).
    Generic(GenericRuleType),
}

/// `FileRule/@Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum GenericRuleType {
    /// Behaves as Allow.
    Match,
    /// Behaves as Deny.
    Exclude,
    /// Behaves as FileAttrib.
    Attribute,
}

impl GenericRuleType {
    /// The attribute text.
    pub fn as_str(self) -> &'static str {
        match self {
            GenericRuleType::Match => "Match",
            GenericRuleType::Exclude => "Exclude",
            GenericRuleType::Attribute => "Attribute",
        }
    }

    /// Parses the attribute text (case-sensitive, as the XSD).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Match" => Some(GenericRuleType::Match),
            "Exclude" => Some(GenericRuleType::Exclude),
            "Attribute" => Some(GenericRuleType::Attribute),
            _ => None,
        }
    }
}

/// The effective action of a file rule once generic `FileRule`s are mapped to what they mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Action {
    /// Blocks what it matches.
    Deny,
    /// Allows what it matches.
    Allow,
    /// Only qualifies a signer.
    Attribute,
}

impl FileRuleKind {
    /// XML element name.
    pub fn element(self) -> &'static str {
        match self {
            FileRuleKind::Allow => "Allow",
            FileRuleKind::Deny => "Deny",
            FileRuleKind::FileAttrib => "FileAttrib",
            FileRuleKind::Generic(_) => "FileRule",
        }
    }

    /// What the rule does (`FileRule Type="Match"` is an Allow, and so on).
    pub fn action(self) -> Action {
        match self {
            FileRuleKind::Allow | FileRuleKind::Generic(GenericRuleType::Match) => Action::Allow,
            FileRuleKind::Deny | FileRuleKind::Generic(GenericRuleType::Exclude) => Action::Deny,
            FileRuleKind::FileAttrib | FileRuleKind::Generic(GenericRuleType::Attribute) => Action::Attribute,
        }
    }
}

/// Hot-patch attributes of an Allow rule (newest schema).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Hotpatch {
    /// `RequireHotpatchID`: the Allow rule this hot-patch applies to.
    pub require_hotpatch_id: Option<Id>,
    /// `MinimumHotpatchSequence`.
    pub minimum_sequence: Option<u32>,
    /// `MaximumHotpatchSequence`.
    pub maximum_sequence: Option<u32>,
}

impl Hotpatch {
    /// True when no hot-patch attribute is set.
    pub fn is_empty(&self) -> bool {
        self.require_hotpatch_id.is_none() && self.minimum_sequence.is_none() && self.maximum_sequence.is_none()
    }
}

/// One file rule with every attribute the newest schema allows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct FileRule {
    /// Element kind.
    pub kind: FileRuleKind,
    /// `ID` (not stored in binaries).
    pub id: Id,
    /// `FriendlyName` (not stored in binaries).
    pub friendly_name: Option<String>,
    /// `FileName` (the original file name from the version resource, or `*`).
    pub file_name: Option<String>,
    /// `InternalName`.
    pub internal_name: Option<String>,
    /// `FileDescription`.
    pub file_description: Option<String>,
    /// `ProductName`.
    pub product_name: Option<String>,
    /// `PackageFamilyName`.
    pub package_family_name: Option<String>,
    /// `PackageVersion`.
    pub package_version: Option<Version>,
    /// `MinimumFileVersion`.
    pub minimum_file_version: Option<Version>,
    /// `MaximumFileVersion`.
    pub maximum_file_version: Option<Version>,
    /// `Hash`: Authenticode, page or flat hash bytes.
    pub hash: Option<HexBytes>,
    /// `AppIDs`: a literal or a run of `$(Macro)` references.
    pub app_ids: Option<String>,
    /// `FilePath`, possibly with wildcards and `%OSDRIVE%`-style macros.
    pub file_path: Option<String>,
    /// Hot-patch attributes (Allow only).
    pub hotpatch: Hotpatch,
}

impl FileRule {
    /// A rule of `kind` with only its ID set.
    pub fn new(kind: FileRuleKind, id: impl Into<Id>) -> Self {
        FileRule {
            kind,
            id: id.into(),
            friendly_name: None,
            file_name: None,
            internal_name: None,
            file_description: None,
            product_name: None,
            package_family_name: None,
            package_version: None,
            minimum_file_version: None,
            maximum_file_version: None,
            hash: None,
            app_ids: None,
            file_path: None,
            hotpatch: Hotpatch::default(),
        }
    }
}
