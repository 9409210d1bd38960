//! One spec file: TOML text to [`ParsedFile`], with every value checked where it is written.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, SourceText};
use super::ir::*;
use super::names;
use super::walk::{Ctx, Tab, Val, int_value, wrong_type};
use crate::cert::CertFacts;
use crate::model::roots::{KNOWN_EKUS, eku_value_from_oid};
use crate::model::{DEBUG_POLICY_AUGMENTED, Guid, HexBytes, OptionKind, Setting, SettingValue, SignTime, Version};
use crate::suggest;

/// `[policy] type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `base`.
    Base,
    /// `supplemental`.
    Supplemental,
    /// `appid-tagging`.
    AppIdTagging,
}

/// `[policy] mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Block what is not allowed.
    Enforce,
    /// Log only (option 3).
    Audit,
}

/// `[policy] base` of a supplemental.
#[derive(Clone, Debug)]
pub enum BaseRef {
    /// A PolicyID.
    Id(Guid),
    /// A base spec or XML policy, resolved against the spec's folder.
    Path(PathBuf, Loc),
}

/// The `[policy]` table.
#[derive(Clone, Debug)]
pub struct PolicySection {
    /// Span of the table header.
    pub loc: Loc,
    /// `name`.
    pub name: String,
    /// `id`.
    pub id: Option<Guid>,
    /// `info_id`.
    pub info_id: Option<String>,
    /// `version`.
    pub version: Version,
    /// `type`.
    pub kind: Kind,
    /// Where `type` is (or the table).
    pub kind_loc: Loc,
    /// `base`.
    pub base: Option<BaseRef>,
    /// `mode`.
    pub mode: Option<Mode>,
    /// `signed`.
    pub signed: bool,
    /// Where `signed` is (or the table).
    pub signed_loc: Loc,
    /// `options`, each with its position.
    pub options: Vec<(OptionKind, Loc)>,
    /// `hvci`.
    pub hvci: Option<u32>,
    /// `scenarios`.
    pub scenarios: BTreeSet<Scn>,
    /// `format = "legacy"`.
    pub legacy: bool,
    /// Where `format` is (or the table).
    pub format_loc: Loc,
    /// `update_signers`.
    pub update_signers: Vec<(String, Loc)>,
    /// `supplemental_signers`.
    pub supplemental_signers: Vec<(String, Loc)>,
    /// `appid_tags`.
    pub appid_tags: Vec<(String, String)>,
    /// `appid_enforce_dll`.
    pub appid_enforce_dll: Option<bool>,
}

/// What an allow/deny entry names before signer names are resolved.
#[derive(Clone, Debug)]
pub enum RawTarget {
    /// A file rule.
    File(FileMatch),
    /// A named signer, optionally narrowed to file attributes.
    Signer {
        /// `signer`.
        name: String,
        /// Where the name is.
        name_loc: Loc,
        /// File attributes.
        attribs: Option<FileMatch>,
    },
}

/// An `[[allow]]` or `[[deny]]` entry (one per hash when `hash` is a list).
#[derive(Clone, Debug)]
pub struct RawEntry {
    /// Allow or deny.
    pub act: Act,
    /// What it matches.
    pub target: RawTarget,
    /// `scenarios`.
    pub scenarios: BTreeSet<Scn>,
    /// Where `scenarios` is (or the entry).
    pub scenarios_loc: Loc,
    /// `reason`.
    pub reason: Option<String>,
    /// The entry's header.
    pub loc: Loc,
}

/// A `[signers.NAME]` table.
#[derive(Clone, Debug)]
pub struct NamedSigner {
    /// `NAME`.
    pub name: String,
    /// Content.
    pub def: SignerDef,
    /// Where it is defined.
    pub loc: Loc,
}

/// A `[[scan]]` entry.
#[derive(Clone, Debug)]
pub struct ScanEntry {
    /// `folder`, resolved against the spec's folder.
    pub folder: PathBuf,
    /// `level`, canonical spelling.
    pub level: &'static str,
    /// `fallback`, canonical spellings.
    pub fallback: Vec<&'static str>,
    /// `scenarios`.
    pub scenarios: BTreeSet<Scn>,
    /// `omit` globs, relative to `folder`.
    pub omit: Vec<String>,
    /// `path_prefix`, else `folder` as written with `\\` separators.
    pub path_prefix: String,
    /// `reason`.
    pub reason: Option<String>,
    /// The entry's header.
    pub loc: Loc,
}

/// A `[[setting]]` entry.
#[derive(Clone, Debug)]
pub struct SettingEntry {
    /// The setting.
    pub setting: Setting,
    /// Where.
    pub loc: Loc,
}

/// One spec file, read.
#[derive(Clone, Debug, Default)]
pub struct ParsedFile {
    /// `[policy]`.
    pub policy: Option<PolicySection>,
    /// `include`, each resolved against the spec's folder.
    pub includes: Vec<(PathBuf, Loc)>,
    /// `[signers.*]`.
    pub signers: Vec<NamedSigner>,
    /// `[[allow]]` and `[[deny]]`.
    pub entries: Vec<RawEntry>,
    /// `[[scan]]`.
    pub scans: Vec<ScanEntry>,
    /// `[[setting]]`.
    pub settings: Vec<SettingEntry>,
    /// Names of `[signers.*]` tables that had errors (references to them are not reported again).
    pub broken_signers: Vec<String>,
}

const TOP_KEYS: &[&str] = &["include", "policy", "signers", "allow", "deny", "scan", "setting"];
const POLICY_KEYS: &[&str] = &[
    "name",
    "id",
    "info_id",
    "version",
    "type",
    "base",
    "mode",
    "signed",
    "options",
    "hvci",
    "scenarios",
    "format",
    "update_signers",
    "supplemental_signers",
    "appid_tags",
    "appid_enforce_dll",
];
const SIGNER_KEYS: &[&str] = &[
    "root",
    "tbs",
    "cert",
    "name",
    "publisher",
    "issuer",
    "oem_id",
    "ekus",
    "sign_time_after",
];
const RULE_KEYS: &[&str] = &[
    "hash",
    "path",
    "package",
    "package_version",
    "file_name",
    "internal_name",
    "file_description",
    "product_name",
    "min_version",
    "max_version",
    "signer",
    "scenarios",
    "reason",
];
const SCAN_KEYS: &[&str] = &[
    "folder",
    "level",
    "fallback",
    "scenarios",
    "omit",
    "path_prefix",
    "reason",
];
const SETTING_KEYS: &[&str] = &["provider", "key", "value_name", "value", "binary"];
/// File-path macros Windows expands (select-types-of-rules-to-create.md).
const PATH_MACROS: &[&str] = &["OSDRIVE", "WINDIR", "SYSTEM32"];
/// Longest FilePath (the schema's unused FilePathType).
const MAX_PATH_LEN: usize = 32767;

struct Reader<'s, 'e> {
    cx: Ctx<'e>,
    src_idx: usize,
    dir: &'s Path,
}

impl Reader<'_, '_> {
    fn loc(&self, span: Range<usize>) -> Loc {
        Loc {
            src: self.src_idx,
            span,
        }
    }
}

/// Reads one spec file. Problems go to `errors`; what could be read is returned regardless.
pub fn parse_file(src: &SourceText, src_idx: usize, dir: &Path, errors: &mut Vec<Diagnostic>) -> ParsedFile {
    let doc = match DeTable::parse(&src.text) {
        Ok(d) => d,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            errors.push(src.diag(span, format!("invalid TOML: {msg}"), None));
            return ParsedFile::default();
        }
    };
    let mut r = Reader {
        cx: Ctx { src, errors },
        src_idx,
        dir,
    };
    let top = Tab::new(doc.get_ref(), 0..0, "the spec");
    top.check_keys(&mut r.cx, TOP_KEYS);
    let mut out = ParsedFile::default();
    if let Some(list) = top.str_list(&mut r.cx, "include") {
        for (p, span) in list {
            let loc = r.loc(span);
            out.includes.push((dir.join(p), loc));
        }
    }
    if let Some(t) = top.table(&mut r.cx, "policy", "[policy]") {
        out.policy = read_policy(&mut r, &t);
    }
    if let Some(t) = top.table(&mut r.cx, "signers", "[signers]") {
        for (k, v) in t.t.iter() {
            let name = k.get_ref().to_string();
            let what = format!("[signers.{name}]");
            match v.get_ref().as_table() {
                Some(st) => {
                    let tab = Tab::new(st, k.span(), what);
                    match read_signer(&mut r, &tab) {
                        Some(def) => {
                            let loc = r.loc(k.span());
                            out.signers.push(NamedSigner { name, def, loc });
                        }
                        None => out.broken_signers.push(name),
                    }
                }
                None => wrong_type(&mut r.cx, &format!("signers.{name}"), v, "a table"),
            }
        }
    }
    for act in [Act::Allow, Act::Deny] {
        let key = if act == Act::Allow { "allow" } else { "deny" };
        for t in top.tables(&mut r.cx, key, act.table()) {
            read_entry(&mut r, &t, act, &mut out.entries);
        }
    }
    for t in top.tables(&mut r.cx, "scan", "[[scan]]") {
        if let Some(s) = read_scan(&mut r, &t) {
            out.scans.push(s);
        }
    }
    for t in top.tables(&mut r.cx, "setting", "[[setting]]") {
        if let Some(s) = read_setting(&mut r, &t) {
            out.settings.push(s);
        }
    }
    out
}

fn parse_version(r: &mut Reader<'_, '_>, t: &Tab<'_, '_>, key: &str) -> Option<Version> {
    let (s, span) = t.str(&mut r.cx, key)?;
    match s.parse::<Version>() {
        Ok(v) => Some(v),
        Err(e) => {
            r.cx.err(
                span,
                format!("`{key}` is not a version: {e}"),
                Some("write four numbers 0-65535, like \"10.0.19041.0\"".into()),
            );
            None
        }
    }
}

fn parse_scenarios(r: &mut Reader<'_, '_>, t: &Tab<'_, '_>, default: &[Scn]) -> BTreeSet<Scn> {
    let Some(list) = t.str_list(&mut r.cx, "scenarios") else {
        return default.iter().copied().collect();
    };
    let mut out = BTreeSet::new();
    for (s, span) in list {
        match Scn::parse(&s) {
            Some(sc) => {
                out.insert(sc);
            }
            None => {
                let help = suggest::closest(&s, ["user", "kernel"])
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| "scenarios are \"user\" (12) and \"kernel\" (131)".into());
                r.cx.err(span, format!("unknown scenario `{s}`"), Some(help));
            }
        }
    }
    if out.is_empty()
        && t.get("scenarios")
            .is_some_and(|v| v.get_ref().as_array().is_some_and(|a| a.is_empty()))
    {
        r.cx.err(
            t.entry_span("scenarios"),
            "`scenarios` is empty",
            Some("list \"user\", \"kernel\" or both".into()),
        );
    }
    out
}

fn read_policy(r: &mut Reader<'_, '_>, t: &Tab<'_, '_>) -> Option<PolicySection> {
    t.check_keys(&mut r.cx, POLICY_KEYS);
    let loc = r.loc(t.span.clone());
    let name = match t.str(&mut r.cx, "name") {
        Some((n, span)) if n.trim().is_empty() => {
            r.cx.err(span, "`name` is empty", None);
            None
        }
        Some((n, _)) => Some(n),
        None => {
            if t.get("name").is_none() {
                t.missing(
                    &mut r.cx,
                    "name",
                    Some("add `name = \"…\"`; it names the policy and its XML file".into()),
                );
            }
            None
        }
    };
    let id = t.str(&mut r.cx, "id").and_then(|(s, span)| match s.parse::<Guid>() {
        Ok(g) => Some(g),
        Err(e) => {
            r.cx.err(span, format!("`id` is not a GUID: {e}"), None);
            None
        }
    });
    let info_id = t.str(&mut r.cx, "info_id").map(|(s, _)| s);
    let version = parse_version(r, t, "version");
    if t.get("version").is_none() {
        t.missing(
            &mut r.cx,
            "version",
            Some("add `version = \"1.0.0.0\"` and raise it with every change (signed policies cannot go down)".into()),
        );
    }
    let mut kind = Kind::Base;
    if let Some((s, span)) = t.str(&mut r.cx, "type") {
        kind = match s.as_str() {
            "base" => Kind::Base,
            "supplemental" => Kind::Supplemental,
            "appid-tagging" => Kind::AppIdTagging,
            _ => {
                let allowed = ["base", "supplemental", "appid-tagging"];
                let help = suggest::closest(&s, allowed)
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| "use \"base\", \"supplemental\" or \"appid-tagging\"".into());
                r.cx.err(span, format!("unknown policy type `{s}`"), Some(help));
                Kind::Base
            }
        };
    }
    let kind_loc = r.loc(t.key_span("type"));
    let base = t.str(&mut r.cx, "base").map(|(s, span)| match s.parse::<Guid>() {
        Ok(g) => BaseRef::Id(g),
        Err(_) => BaseRef::Path(r.dir.join(&s), r.loc(span)),
    });
    let mode = t.str(&mut r.cx, "mode").and_then(|(s, span)| match s.as_str() {
        "enforce" => Some(Mode::Enforce),
        "audit" => Some(Mode::Audit),
        _ => {
            let help = suggest::closest(&s, ["enforce", "audit"])
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| "use \"enforce\" or \"audit\"".into());
            r.cx.err(span, format!("unknown mode `{s}`"), Some(help));
            None
        }
    });
    let signed = t.bool(&mut r.cx, "signed").map(|(b, _)| b).unwrap_or(false);
    let signed_loc = r.loc(t.entry_span("signed"));
    let mut options = Vec::new();
    if let Some(v) = t.get("options") {
        match v.get_ref() {
            DeValue::Array(a) => {
                for item in a.iter() {
                    if let Some(o) = read_option(r, item) {
                        options.push((o, r.loc(item.span())));
                    }
                }
            }
            _ => wrong_type(&mut r.cx, "options", v, "an array of option names or numbers"),
        }
    }
    let hvci = t.get("hvci").and_then(|v| read_hvci(r, v));
    let default_scenarios: &[Scn] = if kind == Kind::AppIdTagging {
        &[Scn::User]
    } else {
        &[Scn::Kernel, Scn::User]
    };
    let scenarios = parse_scenarios(r, t, default_scenarios);
    let mut legacy = false;
    if let Some((s, span)) = t.str(&mut r.cx, "format") {
        match s.as_str() {
            "multiple" => {}
            "legacy" => legacy = true,
            _ => r.cx.err(
                span,
                format!("unknown format `{s}`"),
                Some("use \"multiple\" (the default, {PolicyID}.cip) or \"legacy\" (SiPolicy.p7b)".into()),
            ),
        }
    }
    let format_loc = r.loc(t.entry_span("format"));
    let names = |r: &mut Reader<'_, '_>, key: &str| {
        t.str_list(&mut r.cx, key)
            .unwrap_or_default()
            .into_iter()
            .map(|(n, span)| (n, r.loc(span)))
            .collect::<Vec<_>>()
    };
    let update_signers = names(r, "update_signers");
    let supplemental_signers = names(r, "supplemental_signers");
    let mut appid_tags = Vec::new();
    if let Some(tags) = t.table(&mut r.cx, "appid_tags", "[policy.appid_tags]") {
        for (k, v) in tags.t.iter() {
            match v.get_ref().as_str() {
                Some(s) => appid_tags.push((k.get_ref().to_string(), s.to_string())),
                None => wrong_type(&mut r.cx, &format!("appid_tags.{}", k.get_ref()), v, "a string"),
            }
        }
    }
    let appid_enforce_dll = t.bool(&mut r.cx, "appid_enforce_dll").map(|(b, _)| b);
    Some(PolicySection {
        loc,
        name: name?,
        id,
        info_id,
        version: version?,
        kind,
        kind_loc,
        base,
        mode,
        signed,
        signed_loc,
        options,
        hvci,
        scenarios,
        legacy,
        format_loc,
        update_signers,
        supplemental_signers,
        appid_tags,
        appid_enforce_dll,
    })
}

fn read_option(r: &mut Reader<'_, '_>, v: &Val<'_>) -> Option<OptionKind> {
    let text = match v.get_ref() {
        DeValue::String(s) => s.to_string(),
        DeValue::Integer(_) => int_value(v.get_ref()).map(|n| n.to_string()).unwrap_or_default(),
        _ => {
            wrong_type(&mut r.cx, "options[]", v, "an option name or number");
            return None;
        }
    };
    if text.trim() == DEBUG_POLICY_AUGMENTED.to_string() || text.eq_ignore_ascii_case("Allowed:Debug Policy Augmented")
    {
        r.cx.err(
            v.span(),
            "option 7 (Allowed:Debug Policy Augmented) has no XML form in any schema and cannot be set",
            None,
        );
        return None;
    }
    if let Some(o) = OptionKind::lookup(&text) {
        return Some(o);
    }
    let names: Vec<&str> = OptionKind::ALL.iter().map(|o| o.xml_name()).collect();
    let bare: Vec<&str> = names.iter().map(|n| n.split_once(':').map_or(*n, |(_, b)| b)).collect();
    let help = suggest::closest(&text, names.iter().copied())
        .or_else(|| {
            suggest::closest(&text, bare.iter().copied()).and_then(|b| names.iter().copied().find(|n| n.ends_with(b)))
        })
        .map(|c| format!("did you mean `{c}`?"))
        .unwrap_or_else(|| "use the XML text (\"Enabled:UMCI\") or the Set-RuleOption number (0-21)".into());
    r.cx.err(v.span(), format!("unknown rule option `{text}`"), Some(help));
    None
}

fn read_hvci(r: &mut Reader<'_, '_>, v: &Val<'_>) -> Option<u32> {
    match v.get_ref() {
        DeValue::String(s) => match s.as_ref() {
            "off" => Some(0),
            "enabled" => Some(1),
            "strict" => Some(1 | 2),
            _ => {
                r.cx.err(
                    v.span(),
                    format!("unknown hvci setting `{s}`"),
                    Some("use \"off\", \"enabled\", \"strict\" or the HvciOptions number".into()),
                );
                None
            }
        },
        DeValue::Integer(_) => match int_value(v.get_ref()).and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                r.cx.err(v.span(), "`hvci` must fit in 32 bits unsigned", None);
                None
            }
        },
        _ => {
            wrong_type(&mut r.cx, "hvci", v, "\"off\", \"enabled\", \"strict\" or a number");
            None
        }
    }
}

fn parse_hex(r: &mut Reader<'_, '_>, key: &str, s: &str, span: Range<usize>) -> Option<Vec<u8>> {
    match s.parse::<HexBytes>() {
        Ok(h) if h.is_empty() => {
            r.cx.err(span, format!("`{key}` is empty"), None);
            None
        }
        Ok(h) => Some(h.0),
        Err(e) => {
            r.cx.err(span, format!("`{key}` is not hex: {e}"), None);
            None
        }
    }
}

fn read_signer(r: &mut Reader<'_, '_>, t: &Tab<'_, '_>) -> Option<SignerDef> {
    t.check_keys(&mut r.cx, SIGNER_KEYS);
    let sources: Vec<&str> = ["root", "tbs", "cert"]
        .into_iter()
        .filter(|k| t.get(k).is_some())
        .collect();
    if sources.len() != 1 {
        let msg = if sources.is_empty() {
            format!("{} needs one of `root`, `tbs` or `cert`", t.what)
        } else {
            format!(
                "{} has both `{}` and `{}`; give only one",
                t.what, sources[0], sources[1]
            )
        };
        let span = if sources.len() > 1 {
            t.key_span(sources[1])
        } else {
            t.span.clone()
        };
        r.cx.err(
            span,
            msg,
            Some("`root` names a well-known root, `tbs` is a certificate's TBS hash, `cert` a .cer/.pem file".into()),
        );
        return None;
    }
    let mut name = t.str(&mut r.cx, "name").map(|(n, _)| n);
    let root = if let Some(v) = t.get("root") {
        let id = match v.get_ref() {
            DeValue::String(s) => names::root_by_name(s).or_else(|| {
                let all = names::ROOT_NAMES.iter().map(|(n, _)| *n);
                let help = suggest::closest(s, all)
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| "see docs/spec.md for the list, or give the one-byte ID (0x06)".into());
                r.cx.err(v.span(), format!("unknown well-known root `{s}`"), Some(help));
                None
            }),
            DeValue::Integer(_) => {
                let id = int_value(v.get_ref()).and_then(|n| u8::try_from(n).ok());
                match id.filter(|i| names::root_name(*i).is_some()) {
                    Some(i) => Some(i),
                    None => {
                        r.cx.err(
                            v.span(),
                            "no well-known root has this ID",
                            Some("known IDs are 0x03 to 0x16".into()),
                        );
                        None
                    }
                }
            }
            _ => {
                wrong_type(&mut r.cx, "root", v, "a well-known root name or ID");
                None
            }
        }?;
        name.get_or_insert_with(|| names::root_display_name(id));
        Root::Wellknown(id)
    } else if let Some((s, span)) = t.str(&mut r.cx, "tbs") {
        let h = parse_hex(r, "tbs", &s, span.clone())?;
        if ![16, 20, 32, 48, 64].contains(&h.len()) {
            r.cx.err(
                span,
                format!("`tbs` is {} hex digits; a TBS hash has 32 (MD5), 40 (SHA-1), 64 (SHA-256), 96 (SHA-384) or 128 (SHA-512)", s.len()),
                None,
            );
            return None;
        }
        if name.is_none() {
            t.missing(
                &mut r.cx,
                "name",
                Some("give the certificate's common name; it becomes the Signer's Name".into()),
            );
            return None;
        }
        Root::Tbs(h)
    } else {
        let (p, span) = t.str(&mut r.cx, "cert")?;
        let path = r.dir.join(&p);
        let bytes = match crate::fsio::read_named(&path) {
            Ok(b) => b,
            Err(e) => {
                r.cx.err(span, format!("cannot read certificate {}: {e}", path.display()), None);
                return None;
            }
        };
        let facts = match CertFacts::from_pem_or_der(&bytes) {
            Ok(f) => f,
            Err(e) => {
                r.cx.err(span, format!("{}: {e}", path.display()), None);
                return None;
            }
        };
        let Some(tbs) = facts.tbs_hash.as_deref().and_then(|h| const_hex::decode(h).ok()) else {
            r.cx.err(
                span,
                format!(
                    "the certificate's signature algorithm {} is not one WDAC hashes TBS values with",
                    facts.signature_oid
                ),
                None,
            );
            return None;
        };
        name.get_or_insert(facts.subject_name);
        Root::Tbs(tbs)
    };
    let mut ekus = BTreeSet::new();
    for (e, span) in t.str_list(&mut r.cx, "ekus").unwrap_or_default() {
        let oid = KNOWN_EKUS
            .iter()
            .find(|k| k.short.eq_ignore_ascii_case(&e))
            .map(|k| k.oid.to_string())
            .unwrap_or_else(|| e.clone());
        match eku_value_from_oid(&oid) {
            Some(value) if oid.contains('.') => {
                ekus.insert(EkuReq { value });
            }
            _ => {
                let help = suggest::closest(&e, KNOWN_EKUS.iter().map(|k| k.short))
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| {
                        let shorts: Vec<_> = KNOWN_EKUS.iter().map(|k| k.short).collect();
                        format!("use a dotted OID or one of: {}", shorts.join(", "))
                    });
                r.cx.err(span, format!("unknown EKU `{e}`"), Some(help));
            }
        }
    }
    let opt = |r: &mut Reader<'_, '_>, k: &str| t.str(&mut r.cx, k).map(|(s, _)| s);
    let publisher = opt(r, "publisher");
    let issuer = opt(r, "issuer");
    let oem_id = opt(r, "oem_id");
    let sign_time_after = t.get("sign_time_after").and_then(|v| {
        let text = match v.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Datetime(d) => d.to_string(),
            _ => {
                wrong_type(&mut r.cx, "sign_time_after", v, "a date-time");
                return None;
            }
        };
        match text.parse::<SignTime>() {
            Ok(st) => Some(st.0),
            Err(e) => {
                r.cx.err(v.span(), e.to_string(), None);
                None
            }
        }
    });
    Some(SignerDef {
        key: SignerKey {
            root,
            ekus,
            issuer,
            publisher,
            oem_id,
            sign_time_after,
        },
        name: name.unwrap_or_default(),
    })
}

fn check_path(r: &mut Reader<'_, '_>, path: &str, span: Range<usize>) -> bool {
    if path.len() > MAX_PATH_LEN {
        r.cx.err(span, format!("`path` is longer than {MAX_PATH_LEN} characters"), None);
        return false;
    }
    if path.is_empty() {
        r.cx.err(span, "`path` is empty", None);
        return false;
    }
    let mut rest = path;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('%') else {
            r.cx.err(
                span,
                "`path` has an unclosed `%` macro",
                Some("the allowed macros are %OSDRIVE%, %WINDIR% and %SYSTEM32%".into()),
            );
            return false;
        };
        let m = &after[..end];
        if !PATH_MACROS.contains(&m) {
            let help = suggest::closest(m, PATH_MACROS.iter().copied())
                .map(|c| format!("did you mean `%{c}%`? (macros are upper-case)"))
                .unwrap_or_else(|| {
                    "Windows expands only %OSDRIVE%, %WINDIR% and %SYSTEM32% in FilePath rules; write other folders out"
                        .into()
                });
            r.cx.err(span, format!("`%{m}%` is not a FilePath macro"), Some(help));
            return false;
        }
        rest = &after[end + 1..];
    }
    true
}

/// Attribute keys of a file rule and the fields they fill.
const NAME_KEYS: &[&str] = &["file_name", "internal_name", "file_description", "product_name"];

fn read_entry(r: &mut Reader<'_, '_>, t: &Tab<'_, '_>, act: Act, out: &mut Vec<RawEntry>) {
    t.check_keys(&mut r.cx, RULE_KEYS);
    let loc = r.loc(t.span.clone());
    let scenarios = parse_scenarios(r, t, &[Scn::User]);
    let scenarios_loc = r.loc(t.entry_span("scenarios"));
    let reason = match t.str(&mut r.cx, "reason") {
        Some((s, span)) if s.trim().is_empty() => {
            r.cx.err(
                span,
                "`reason` is empty",
                Some("say why the rule exists, or leave `reason` out".into()),
            );
            None
        }
        other => other.map(|(s, _)| s),
    };
    let present: Vec<&str> = RULE_KEYS
        .iter()
        .copied()
        .filter(|k| !matches!(*k, "scenarios" | "reason" | "signer") && t.get(k).is_some())
        .collect();
    let mut m = FileMatch::default();
    let mut ok = true;
    let conflict = |r: &mut Reader<'_, '_>, a: &str, b: &str, why: &str| {
        r.cx.err(
            t.key_span(b),
            format!("`{b}` cannot be combined with `{a}` in one rule"),
            Some(why.to_string()),
        );
    };
    for k in NAME_KEYS {
        if let Some((s, span)) = t.str(&mut r.cx, k) {
            if s.is_empty() {
                r.cx.err(
                    span,
                    format!("`{k}` is empty"),
                    Some("use \"*\" to match any value".into()),
                );
                ok = false;
            }
            let slot = match *k {
                "file_name" => &mut m.file_name,
                "internal_name" => &mut m.internal_name,
                "file_description" => &mut m.file_description,
                _ => &mut m.product_name,
            };
            *slot = Some(s);
        }
    }
    m.min_version = parse_version(r, t, "min_version");
    m.max_version = parse_version(r, t, "max_version");
    m.package_version = parse_version(r, t, "package_version");
    if let Some((p, span)) = t.str(&mut r.cx, "path") {
        ok &= check_path(r, &p, span);
        m.file_path = Some(p);
    }
    if let Some((p, span)) = t.str(&mut r.cx, "package") {
        if p.is_empty() {
            r.cx.err(span, "`package` is empty", None);
            ok = false;
        }
        m.package_family_name = Some(p);
    }
    let signer = t.str(&mut r.cx, "signer");
    // One rule kind per entry: hash, path, package, signer (optionally narrowed), or attributes.
    let kinds: Vec<&str> = ["hash", "path", "package", "signer"]
        .into_iter()
        .filter(|k| t.get(k).is_some())
        .collect();
    if kinds.len() > 1 {
        conflict(
            r,
            kinds[0],
            kinds[1],
            "write one entry per rule: a hash, a path, a package, or a signer (with optional file attributes)",
        );
        return;
    }
    let others: Vec<&str> = present
        .iter()
        .copied()
        .filter(|k| !["hash", "path", "package"].contains(k))
        .collect();
    match kinds.first().copied() {
        Some("hash") => {
            if let Some(o) = others.first() {
                conflict(
                    r,
                    "hash",
                    o,
                    "a hash rule matches the file's hash only; other attributes are not allowed with it",
                );
                return;
            }
        }
        Some("path") => {
            if let Some(o) = others.first() {
                conflict(r, "path", o, "a path rule matches the file path only");
                return;
            }
        }
        Some("package") => {
            if let Some(o) = others.iter().find(|k| **k != "package_version") {
                conflict(
                    r,
                    "package",
                    o,
                    "a package rule takes only `package_version` besides the family name",
                );
                return;
            }
        }
        _ => {
            if t.get("package_version").is_some() {
                r.cx.err(t.key_span("package_version"), "`package_version` needs `package`", None);
                return;
            }
        }
    }
    if let (Some(min), Some(max)) = (m.min_version, m.max_version)
        && min > max
    {
        r.cx.err(
            t.key_span("max_version"),
            format!("`max_version` {max} is lower than `min_version` {min}"),
            None,
        );
        ok = false;
    }
    let has_name = NAME_KEYS.iter().any(|k| t.get(k).is_some());
    if kinds.is_empty() && !has_name {
        if others.is_empty() {
            r.cx.err(
                t.span.clone(),
                format!("{} matches nothing", act.table()),
                Some("give `hash`, `path`, `package`, `signer`, or file attributes like `file_name`".into()),
            );
        } else {
            r.cx.err(
                t.span.clone(),
                format!("{} has only a version; it needs a file attribute", act.table()),
                Some("add `file_name = \"*\"` to match any file within the version range".into()),
            );
        }
        return;
    }
    if !ok {
        return;
    }
    if let Some((name, span)) = signer {
        let attribs = if others.is_empty() {
            None
        } else if !has_name {
            r.cx.err(
                t.span.clone(),
                "a signer rule narrowed by version needs a file attribute",
                Some("add `file_name = \"*\"` to allow every file from this signer at or above the version".into()),
            );
            return;
        } else {
            Some(m)
        };
        let name_loc = r.loc(span);
        out.push(RawEntry {
            act,
            target: RawTarget::Signer {
                name,
                name_loc,
                attribs,
            },
            scenarios,
            scenarios_loc,
            reason,
            loc,
        });
        return;
    }
    if t.get("hash").is_some() {
        for (h, span) in t.str_list(&mut r.cx, "hash").unwrap_or_default() {
            let Some(bytes) = parse_hex(r, "hash", &h, span.clone()) else {
                continue;
            };
            if bytes.len() != 20 && bytes.len() != 32 {
                r.cx.err(
                    span,
                    format!(
                        "`hash` is {} hex digits; a file hash has 40 (SHA-1) or 64 (SHA-256)",
                        h.len()
                    ),
                    Some("WDAC matches SHA-1 and SHA-256 Authenticode or page hashes only".into()),
                );
                continue;
            }
            out.push(RawEntry {
                act,
                target: RawTarget::File(FileMatch {
                    hash: Some(HexBytes(bytes)),
                    ..FileMatch::default()
                }),
                scenarios: scenarios.clone(),
                scenarios_loc: scenarios_loc.clone(),
                reason: reason.clone(),
                loc: r.loc(span),
            });
        }
        return;
    }
    out.push(RawEntry {
        act,
        target: RawTarget::File(m),
        scenarios,
        scenarios_loc,
        reason,
        loc,
    });
}

fn read_scan(r: &mut Reader<'_, '_>, t: &Tab<'_, '_>) -> Option<ScanEntry> {
    let errors_before = r.cx.errors.len();
    t.check_keys(&mut r.cx, SCAN_KEYS);
    let loc = r.loc(t.span.clone());
    let folder = t.str(&mut r.cx, "folder");
    if t.get("folder").is_none() {
        t.missing(&mut r.cx, "folder", None);
    }
    let level_of = |r: &mut Reader<'_, '_>, s: &str, span: Range<usize>| {
        names::scan_level(s).or_else(|| {
            let help = suggest::closest(s, names::SCAN_LEVELS.iter().copied())
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| format!("levels: {}", names::SCAN_LEVELS.join(", ")));
            r.cx.err(span, format!("unknown scan level `{s}`"), Some(help));
            None
        })
    };
    let level = match t.str(&mut r.cx, "level") {
        Some((s, span)) => level_of(r, &s, span),
        None => {
            if t.get("level").is_none() {
                t.missing(&mut r.cx, "level", Some("e.g. `level = \"FilePublisher\"`".into()));
            }
            None
        }
    };
    let mut fallback = Vec::new();
    for (s, span) in t.str_list(&mut r.cx, "fallback").unwrap_or_default() {
        if let Some(l) = level_of(r, &s, span) {
            fallback.push(l);
        }
    }
    let scenarios = parse_scenarios(r, t, &[Scn::User]);
    let omit = t
        .str_list(&mut r.cx, "omit")
        .unwrap_or_default()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let reason = t.str(&mut r.cx, "reason").map(|(s, _)| s);
    let prefix = t.str(&mut r.cx, "path_prefix");
    let (folder, _) = folder?;
    let path_prefix = match &prefix {
        Some((p, _)) => p.clone(),
        None => folder.replace('/', "\\"),
    };
    if level == Some("FilePath") || fallback.contains(&"FilePath") {
        let span = prefix.map_or_else(|| t.key_span("folder"), |(_, span)| span);
        if !is_windows_absolute(&path_prefix) {
            r.cx.err(
                span,
                format!("FilePath rules need the files' path on Windows, and `{path_prefix}` is not one"),
                Some("add `path_prefix = 'C:\\Program Files\\Contoso'`: where this folder is on the machines the policy is for".into()),
            );
        } else {
            check_path(r, &path_prefix, span);
        }
    }
    if r.cx.errors.len() > errors_before {
        return None;
    }
    Some(ScanEntry {
        folder: r.dir.join(folder),
        level: level?,
        fallback,
        scenarios,
        omit,
        path_prefix,
        reason,
        loc,
    })
}

/// `C:\…`, `\\server\…` or a path starting with one of the FilePath macros.
fn is_windows_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    let drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/');
    let macro_ = PATH_MACROS.iter().any(|m| p.starts_with(&format!("%{m}%")));
    drive || p.starts_with("\\\\") || macro_
}

fn read_setting(r: &mut Reader<'_, '_>, t: &Tab<'_, '_>) -> Option<SettingEntry> {
    t.check_keys(&mut r.cx, SETTING_KEYS);
    let loc = r.loc(t.span.clone());
    let field = |r: &mut Reader<'_, '_>, k: &str| match t.str(&mut r.cx, k) {
        Some((s, span)) if s.is_empty() => {
            r.cx.err(span, format!("`{k}` is empty"), None);
            None
        }
        Some((s, _)) => Some(s),
        None => {
            if t.get(k).is_none() {
                t.missing(&mut r.cx, k, None);
            }
            None
        }
    };
    let provider = field(r, "provider");
    let key = field(r, "key");
    let value_name = field(r, "value_name");
    let value = match (t.get("value"), t.get("binary")) {
        (Some(_), Some(_)) => {
            r.cx.err(t.key_span("binary"), "give `value` or `binary`, not both", None);
            None
        }
        (None, Some(_)) => {
            let (s, span) = t.str(&mut r.cx, "binary")?;
            parse_hex(r, "binary", &s, span).map(|b| SettingValue::Binary(HexBytes(b)))
        }
        (Some(v), None) => match v.get_ref() {
            DeValue::Boolean(b) => Some(SettingValue::Boolean(*b)),
            DeValue::String(s) => Some(SettingValue::String(s.to_string())),
            DeValue::Integer(_) => match int_value(v.get_ref()).and_then(|n| u32::try_from(n).ok()) {
                Some(n) => Some(SettingValue::DWord(n)),
                None => {
                    r.cx.err(v.span(), "a DWord setting must be 0 to 4294967295", None);
                    None
                }
            },
            _ => {
                wrong_type(&mut r.cx, "value", v, "a boolean, an integer (DWord) or a string");
                None
            }
        },
        (None, None) => {
            t.missing(
                &mut r.cx,
                "value",
                Some("or `binary = \"HEX\"` for a Binary setting".into()),
            );
            None
        }
    };
    let (provider, key, value_name, value) = (provider?, key?, value_name?, value?);
    if provider == "PolicyInfo" && key == "Information" {
        r.cx.err(
            t.span.clone(),
            "the PolicyInfo settings are written from [policy]",
            Some("set `name` and `info_id` in [policy] instead".into()),
        );
        return None;
    }
    Some(SettingEntry {
        setting: Setting {
            provider,
            key,
            value_name,
            value,
        },
        loc,
    })
}
