//! The spec's own intermediate form: rules as content (no IDs yet), so that duplicates can be
//! merged, conflicts found and IDs derived from content.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::ops::Range;

use crate::model::{HexBytes, Version};

/// Where something was written: source index (into the loader's file list) and byte span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    /// Index of the source file.
    pub src: usize,
    /// Byte span in it.
    pub span: Range<usize>,
}

/// A signing scenario. Kernel sorts first, as in every Microsoft policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scn {
    /// 131: kernel mode (drivers).
    Kernel,
    /// 12: user mode.
    User,
}

impl Scn {
    /// The `SigningScenario/@Value`.
    pub fn value(self) -> u8 {
        match self {
            Scn::Kernel => crate::model::SCENARIO_KERNEL,
            Scn::User => crate::model::SCENARIO_USER,
        }
    }

    /// One letter for IDs.
    pub fn letter(self) -> char {
        match self {
            Scn::Kernel => 'K',
            Scn::User => 'U',
        }
    }

    /// Spec name.
    pub fn name(self) -> &'static str {
        match self {
            Scn::Kernel => "kernel",
            Scn::User => "user",
        }
    }

    /// Parses a spec name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "kernel" => Some(Scn::Kernel),
            "user" => Some(Scn::User),
            _ => None,
        }
    }
}

/// Allow or deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Act {
    /// `[[allow]]`.
    Allow,
    /// `[[deny]]`.
    Deny,
}

impl Act {
    /// Table name in the spec.
    pub fn table(self) -> &'static str {
        match self {
            Act::Allow => "[[allow]]",
            Act::Deny => "[[deny]]",
        }
    }
}

/// The attributes a file rule matches on. Field order is the canonical order used for IDs.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileMatch {
    /// `Hash`.
    pub hash: Option<HexBytes>,
    /// `FilePath`.
    pub file_path: Option<String>,
    /// `PackageFamilyName`.
    pub package_family_name: Option<String>,
    /// `PackageVersion`.
    pub package_version: Option<Version>,
    /// `FileName` (original file name).
    pub file_name: Option<String>,
    /// `InternalName`.
    pub internal_name: Option<String>,
    /// `FileDescription`.
    pub file_description: Option<String>,
    /// `ProductName`.
    pub product_name: Option<String>,
    /// `MinimumFileVersion`.
    pub min_version: Option<Version>,
    /// `MaximumFileVersion`.
    pub max_version: Option<Version>,
    /// `AppIDs` (only from included XML).
    pub app_ids: Option<String>,
}

impl FileMatch {
    /// The word in the rule ID that says what kind of rule it is.
    pub fn kind_word(&self) -> &'static str {
        if self.hash.is_some() {
            "HASH"
        } else if self.file_path.is_some() {
            "PATH"
        } else if self.package_family_name.is_some() {
            "PFN"
        } else {
            "ATTR"
        }
    }

    /// Canonical text of the content, the input of rule IDs. One `name=value` per present field.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                let _ = writeln!(s, "{k}={v}");
            }
        };
        put("hash", self.hash.as_ref().map(HexBytes::to_hex));
        put("path", self.file_path.clone());
        put("pfn", self.package_family_name.clone());
        put("pkgver", self.package_version.map(|v| v.to_string()));
        put("file_name", self.file_name.clone());
        put("internal_name", self.internal_name.clone());
        put("file_description", self.file_description.clone());
        put("product_name", self.product_name.clone());
        put("min", self.min_version.map(|v| v.to_string()));
        put("max", self.max_version.map(|v| v.to_string()));
        put("app_ids", self.app_ids.clone());
        s
    }

    /// A short human description for messages (`hash 3F2A…`, `path %WINDIR%\*`).
    pub fn describe(&self) -> String {
        if let Some(h) = &self.hash {
            let hex = h.to_hex();
            return format!("hash {}", &hex[..hex.len().min(16)]);
        }
        if let Some(p) = &self.file_path {
            return format!("path {p}");
        }
        if let Some(p) = &self.package_family_name {
            return format!("package {p}");
        }
        let names = [
            &self.file_name,
            &self.internal_name,
            &self.file_description,
            &self.product_name,
        ];
        names
            .iter()
            .find_map(|n| n.as_ref().map(|n| format!("file {n}")))
            .unwrap_or_else(|| "file attributes".into())
    }
}

/// The certificate a signer chains to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Root {
    /// A well-known root by ID.
    Wellknown(u8),
    /// A TBS hash.
    Tbs(Vec<u8>),
}

/// An EKU a signer requires, by its encoded `Value` (`01` + length + OID body).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EkuReq {
    /// Encoded value.
    pub value: Vec<u8>,
}

/// What identifies a signer: everything in `<Signer>` that Windows matches on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignerKey {
    /// `CertRoot`.
    pub root: Root,
    /// `CertEKU`s, sorted.
    pub ekus: BTreeSet<EkuReq>,
    /// `CertIssuer`.
    pub issuer: Option<String>,
    /// `CertPublisher`.
    pub publisher: Option<String>,
    /// `CertOemID`.
    pub oem_id: Option<String>,
    /// `SignTimeAfter` as FILETIME ticks.
    pub sign_time_after: Option<i64>,
}

impl SignerKey {
    /// Canonical text, the input of signer IDs.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        match &self.root {
            Root::Wellknown(id) => {
                let _ = writeln!(s, "wellknown={id:02X}");
            }
            Root::Tbs(h) => {
                let _ = writeln!(s, "tbs={}", const_hex::encode_upper(h));
            }
        }
        for e in &self.ekus {
            let _ = writeln!(s, "eku={}", const_hex::encode_upper(&e.value));
        }
        for (k, v) in [
            ("issuer", &self.issuer),
            ("publisher", &self.publisher),
            ("oem", &self.oem_id),
        ] {
            if let Some(v) = v {
                let _ = writeln!(s, "{k}={v}");
            }
        }
        if let Some(t) = self.sign_time_after {
            let _ = writeln!(s, "after={t}");
        }
        s
    }
}

/// A signer with the name it shows (`Signer/@Name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerDef {
    /// Identity.
    pub key: SignerKey,
    /// Display name.
    pub name: String,
}

/// What a rule matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A file rule (hash, attributes, path, package family).
    File(FileMatch),
    /// Everything a signer signed (`attribs: None`), or only files with these attributes
    /// (FilePublisher-style, `attribs: Some`).
    Signer {
        /// The signer.
        signer: SignerDef,
        /// File attributes the signer is narrowed to.
        attribs: Option<FileMatch>,
    },
}

impl Target {
    /// Canonical text of what is matched (not the signer's display name).
    pub fn canonical(&self) -> String {
        match self {
            Target::File(m) => format!("file\n{}", m.canonical()),
            Target::Signer { signer, attribs } => match attribs {
                None => format!("signer\n{}", signer.key.canonical()),
                Some(a) => format!("signer\n{}attribs\n{}", signer.key.canonical(), a.canonical()),
            },
        }
    }

    /// Short description for messages.
    pub fn describe(&self) -> String {
        match self {
            Target::File(m) => m.describe(),
            Target::Signer { signer, attribs: None } => format!("signer {}", signer.name),
            Target::Signer {
                signer,
                attribs: Some(a),
            } => format!("signer {} with {}", signer.name, a.describe()),
        }
    }
}

/// One allow or deny rule after reading, before IDs.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Allow or deny.
    pub act: Act,
    /// What it matches.
    pub target: Target,
    /// Scenarios it applies to.
    pub scenarios: BTreeSet<Scn>,
    /// `reason`, written as FriendlyName.
    pub reason: Option<String>,
    /// Where it was written.
    pub loc: Loc,
    /// True for rules that came from an included XML policy or a scan, which may repeat each
    /// other or hand-written rules freely (they are merged); only hand-written repeats are errors.
    pub generated: bool,
}
