//! The allow-list spec: a short TOML file that describes a policy, turned into the model
//! deterministically. The format is documented in `docs/spec.md`.
//!
//! ```
//! use cipolicy::spec;
//! let text = r#"
//! [policy]
//! name = "Example"
//! version = "1.0.0.0"
//! mode = "audit"
//! scenarios = ["user"]
//!
//! [[allow]]
//! path = "%PROGRAMFILES%\\Contoso\\*"
//! "#;
//! let err = spec::build_text("example.toml", ".".as_ref(), text, &spec::BuildOptions::default()).unwrap_err();
//! assert!(err.to_string().contains("`%PROGRAMFILES%` is not a FilePath macro"));
//! ```
//!
//! Reading keeps every position (`toml::de::DeTable`), so each error names file, line and
//! column. Includes of other specs and of XML policies are merged before IDs are derived from
//! content (`docs/spec.md` describes the ID scheme and the output order). This module does not
//! read XML or scan files itself (format modules meet only in the model): the caller passes an
//! XML reader and a [`Scanner`], both of which hand back a [`Policy`]. The other way round,
//! [`fragment`] writes the rules of a policy (an XML policy, a scan result) as spec entries.

mod diag;
mod emit;
mod ir;
mod load;
mod names;
mod packs;
mod parse;
mod walk;
mod write;

use std::path::Path;

pub use diag::{Diagnostic, SpecErrors};
pub use names::{ROOT_NAMES, SCAN_LEVELS};
pub use packs::{PACKS, pack};
pub use write::{FragmentError, fragment};

use crate::model::{Guid, Policy};

/// Namespace of the PolicyIDs the spec derives from policy names:
/// `{13939371-54BE-4AD7-AEC7-880FE376F270}`. A spec without `id` gets
/// UUIDv5(this namespace, UTF-8 bytes of `name`), so renaming a policy changes its ID.
pub const NAMESPACE: Guid = Guid(uuid::Uuid::from_u128(0x13939371_54BE_4AD7_AEC7_880FE376F270));

/// An XML policy could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlReadError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// Reads SiPolicy XML into the model (the caller supplies it, normally from `crate::xml`).
pub type XmlReader<'a> = &'a dyn Fn(&[u8]) -> Result<Policy, XmlReadError>;

/// One `[[scan]]` entry, as the scanner receives it.
#[derive(Clone, Debug)]
pub struct ScanRequest<'a> {
    /// Folder to scan, resolved against the spec's folder.
    pub folder: &'a Path,
    /// Rule level, New-CIPolicy spelling (one of [`SCAN_LEVELS`]).
    pub level: &'static str,
    /// Fallback levels, in order.
    pub fallback: &'a [&'static str],
    /// Scenario values to generate rules for (12 user, 131 kernel).
    pub scenarios: Vec<u8>,
    /// Globs of files to leave out, relative to `folder`.
    pub omit: &'a [String],
    /// What the files' paths start with in FilePath rules and FriendlyNames, in place of the
    /// folder on this machine: `path_prefix` from the spec, else `folder` as written there (`/`
    /// turned into `\`). It comes from the spec's text alone, so rules do not depend on where
    /// the spec is built from.
    pub path_prefix: &'a str,
}

/// Scans a folder into a policy whose scenarios hold the generated rules. The caller supplies
/// it: `cipolicy build` passes one that runs `crate::scan` (see `crate::wiring`), since this
/// module must not import the scanner. Its rules are merged like an included XML policy's; their
/// FriendlyNames become reasons unless the `[[scan]]` entry gives one, so the scanner must name
/// files by [`ScanRequest::path_prefix`], never by the folder it actually read.
pub type Scanner<'a> = &'a dyn Fn(&ScanRequest<'_>) -> Result<Policy, String>;

/// What a build may use besides the spec itself.
#[derive(Clone, Copy, Default)]
pub struct BuildOptions<'a> {
    /// Reader for `include`d and `base` XML policies; without it they are an error.
    pub xml: Option<XmlReader<'a>>,
    /// Scanner for `[[scan]]` entries; without it they are an error.
    pub scanner: Option<Scanner<'a>>,
}

/// A policy built from a spec.
#[derive(Clone, Debug)]
pub struct Built {
    /// The policy.
    pub policy: Policy,
    /// `[policy] name`.
    pub name: String,
}

impl Built {
    /// `NAME.xml`, with characters that are unsafe in file names replaced by `_`.
    pub fn xml_file_name(&self) -> String {
        let safe: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || " ._-()".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let safe = safe.trim_matches(|c| c == ' ' || c == '.');
        // Windows reserves device names whatever the extension (`CON.xml` is the console).
        let stem = safe
            .split('.')
            .next()
            .unwrap_or_default()
            .trim_end()
            .to_ascii_uppercase();
        let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
            || (stem.len() == 4
                && (stem.starts_with("COM") || stem.starts_with("LPT"))
                && stem.as_bytes()[3].is_ascii_digit());
        match (safe.is_empty(), reserved) {
            (true, _) => "policy.xml".to_string(),
            (false, true) => format!("{safe}_.xml"),
            (false, false) => format!("{safe}.xml"),
        }
    }

    /// `{PolicyID}.cip`, or `SiPolicy.p7b` for the legacy single-policy format.
    pub fn binary_file_name(&self) -> String {
        match self.policy.policy_id {
            Some(id) if !self.policy.is_legacy() => format!("{id}.cip"),
            _ => "SiPolicy.p7b".to_string(),
        }
    }
}

/// Builds the policy a spec file describes. Relative paths in the spec (includes, `cert`,
/// `base`, scan folders) resolve against the spec's own folder.
pub fn build_file(path: &Path, opts: &BuildOptions<'_>) -> Result<Built, SpecErrors> {
    let display = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| SpecErrors(vec![Diagnostic::file(&display, format!("cannot read spec: {e}"), None)]))?;
    let text = spec_text(&display, bytes)?;
    let dir = path.parent().unwrap_or(Path::new(""));
    build(&display, dir, text, std::fs::canonicalize(path).ok(), Some(path), opts)
}

/// Builds a spec given as text (`display` names it in messages; relative paths resolve against
/// `dir`).
pub fn build_text(display: &str, dir: &Path, text: &str, opts: &BuildOptions<'_>) -> Result<Built, SpecErrors> {
    build(display, dir, text.to_string(), None, None, opts)
}

fn spec_text(display: &str, bytes: Vec<u8>) -> Result<String, SpecErrors> {
    let bytes = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        SpecErrors(vec![Diagnostic::file(
            display,
            format!(
                "the spec is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            None,
        )])
    })
}

fn build(
    display: &str,
    dir: &Path,
    text: String,
    canonical: Option<std::path::PathBuf>,
    top: Option<&Path>,
    opts: &BuildOptions<'_>,
) -> Result<Built, SpecErrors> {
    let mut loaded = load::load(display, dir, text, canonical, opts.xml, opts.scanner);
    if !loaded.errors.is_empty() {
        return Err(SpecErrors::normalised(std::mem::take(&mut loaded.errors)));
    }
    let name = loaded.policy.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    match emit::emit(&mut loaded, top, opts.xml) {
        Ok(policy) => Ok(Built { policy, name }),
        Err(errors) => Err(SpecErrors::normalised(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_name(name: &str) -> String {
        Built {
            policy: Policy::default(),
            name: name.into(),
        }
        .xml_file_name()
    }

    #[test]
    fn xml_file_names_are_safe_on_windows() {
        assert_eq!(file_name("Contoso Base (v2)"), "Contoso Base (v2).xml");
        assert_eq!(file_name("a/b\\c:d*e"), "a_b_c_d_e.xml");
        assert_eq!(file_name(" .. "), "policy.xml");
        assert_eq!(file_name("CON"), "CON_.xml");
        assert_eq!(file_name("nul.policy"), "nul.policy_.xml");
        assert_eq!(file_name("com7"), "com7_.xml");
        assert_eq!(file_name("COMPANY"), "COMPANY.xml");
        assert_eq!(file_name("LPT"), "LPT.xml");
    }
}
