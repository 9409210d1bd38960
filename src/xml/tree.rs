//! A small positioned element tree built from quick-xml events. The policy reader maps it to the
//! model; the validator's schema layer walks it directly.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{NamespaceResolver, ResolveResult};
use quick_xml::reader::Reader;

use super::error::{LineIndex, Span, SpanCursor, XmlError};

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

/// Element and attribute names of the SiPolicy schema, sorted. A large policy has tens of
/// thousands of them; sharing these saves an allocation (and a free) for each.
const NAMES: &[&str] = &[
    "Action",
    "Allow",
    "AllowRuleID",
    "AllowedSigner",
    "AllowedSigners",
    "App",
    "AppIDTag",
    "AppIDTags",
    "AppIDs",
    "AppSettings",
    "ArtifactDescription",
    "ArtifactHash",
    "ArtifactName",
    "ArtifactRule",
    "ArtifactRuleRef",
    "ArtifactRules",
    "ArtifactRulesRef",
    "ArtifactSigners",
    "ArtifactType",
    "BasePolicyID",
    "Binary",
    "Boolean",
    "CertEKU",
    "CertIssuer",
    "CertOemID",
    "CertPublisher",
    "CertRoot",
    "CiSigner",
    "CiSigners",
    "Condition",
    "DWord",
    "DeniedSigner",
    "DeniedSigners",
    "Deny",
    "DenyRuleID",
    "EKU",
    "EKUs",
    "EnforceDLL",
    "ExceptAllowRule",
    "ExceptDenyRule",
    "FileAttrib",
    "FileAttribRef",
    "FileDescription",
    "FileName",
    "FilePath",
    "FileRule",
    "FileRuleRef",
    "FileRules",
    "FileRulesRef",
    "FriendlyName",
    "Hash",
    "HvciOptions",
    "ID",
    "Id",
    "InheritedScenarios",
    "InternalName",
    "Key",
    "Macro",
    "Macros",
    "Manifest",
    "MaximumFileVersion",
    "MaximumHotpatchSequence",
    "MaximumVersion",
    "MinimumFileVersion",
    "MinimumHashAlgorithm",
    "MinimumHotpatchSequence",
    "MinimumVersion",
    "Name",
    "OID",
    "Option",
    "PackageFamilyName",
    "PackageVersion",
    "PlatformID",
    "PolicyID",
    "PolicyType",
    "PolicyTypeID",
    "ProductName",
    "ProductSigners",
    "Provider",
    "RequireHotpatchID",
    "Rule",
    "RuleID",
    "Rules",
    "Setting",
    "Settings",
    "SiPolicy",
    "SignTimeAfter",
    "Signer",
    "SignerId",
    "Signers",
    "SigningScenario",
    "SigningScenarios",
    "String",
    "SupplementalPolicySigner",
    "SupplementalPolicySigners",
    "TestSigners",
    "TestSigningSigners",
    "Type",
    "UpdatePolicySigner",
    "UpdatePolicySigners",
    "Value",
    "ValueName",
    "VersionEx",
    "Workaround",
    "sha256",
    "sha384",
    "sha512",
];

/// Slots of [`NAME_TABLE`]: a power of two a few times the number of names, so that most
/// lookups find their name (or an empty slot) at the first probe.
const NAME_SLOTS: usize = 512;

/// An empty slot of [`NAME_TABLE`].
const NO_NAME: u8 = u8::MAX;

/// Hashes a name from its length and three of its bytes, which tell the schema's names apart
/// nearly always (a binary search over [`NAMES`] compared whole strings seven times a name).
const fn name_hash(b: &[u8]) -> usize {
    let (n, first, mid, last) = (b.len(), b[0] as usize, b[b.len() / 2] as usize, b[b.len() - 1] as usize);
    (n.wrapping_mul(31) ^ first.wrapping_mul(7) ^ mid.wrapping_mul(131) ^ last.wrapping_mul(17)) % NAME_SLOTS
}

/// Open-addressing table of indexes into [`NAMES`], built at compile time.
const NAME_TABLE: [u8; NAME_SLOTS] = {
    assert!(NAMES.len() < NO_NAME as usize && NAMES.len() * 2 < NAME_SLOTS);
    let mut table = [NO_NAME; NAME_SLOTS];
    let mut i = 0;
    while i < NAMES.len() {
        let mut slot = name_hash(NAMES[i].as_bytes());
        while table[slot] != NO_NAME {
            slot = (slot + 1) % NAME_SLOTS;
        }
        table[slot] = i as u8;
        i += 1;
    }
    table
};

/// `name`, borrowed from [`NAMES`] when it is there.
fn intern(name: &str) -> Cow<'static, str> {
    if !name.is_empty() {
        let mut slot = name_hash(name.as_bytes());
        while let Some(&known) = NAMES.get(NAME_TABLE[slot] as usize) {
            if known == name {
                return Cow::Borrowed(known);
            }
            slot = (slot + 1) % NAME_SLOTS;
        }
    }
    Cow::Owned(name.to_string())
}

/// Turns raw file bytes into text: UTF-8 (with or without BOM) or UTF-16 LE/BE (with a BOM, as
/// Windows PowerShell's `Out-File` writes it, or detected from the leading `<`).
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    let utf16 = |be: bool, skip: usize| {
        let body = &bytes[skip..];
        if !body.len().is_multiple_of(2) {
            return Err(XmlError::at_byte(
                bytes.len(),
                "UTF-16 document has an odd number of bytes (truncated?)",
            ));
        }
        let units = body.chunks_exact(2).map(|c| {
            if be {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        });
        let mut out = String::with_capacity(body.len() / 2);
        for (i, r) in char::decode_utf16(units).enumerate() {
            match r {
                Ok(c) => out.push(c),
                Err(_) => {
                    let idx = LineIndex::new(&out);
                    let span = idx.span(out.len());
                    return Err(XmlError::new(
                        span,
                        format!("invalid UTF-16 (unpaired surrogate) at byte {}", 2 + i * 2),
                    ));
                }
            }
        }
        Ok(Cow::Owned(out))
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest),
        [0xFF, 0xFE, ..] => utf16(false, 2),
        [0xFE, 0xFF, ..] => utf16(true, 2),
        // No BOM but a UTF-16 `<` first: XML 1.0 appendix F autodetection.
        [b'<', 0, ..] => utf16(false, 0),
        [0, b'<', ..] => utf16(true, 0),
        _ => utf8(bytes),
    }
}

/// [`decode`] of bytes the caller no longer needs: UTF-8 becomes the text in place, checked
/// once, instead of being checked and then copied (a large policy's copy was hundreds of fresh
/// pages).
pub fn decode_owned(mut bytes: Vec<u8>) -> Result<String, XmlError> {
    // The byte-order marks and UTF-16 detection of `decode`, in its order.
    let bom = match bytes.as_slice() {
        [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] | [b'<', 0, ..] | [0, b'<', ..] => {
            return decode(&bytes).map(Cow::into_owned);
        }
        _ => 0,
    };
    bytes.drain(..bom);
    String::from_utf8(bytes).map_err(|e| match utf8(e.as_bytes()) {
        Err(error) => error,
        // `from_utf8` refused these bytes, so `utf8` does too.
        Ok(_) => XmlError::at_byte(e.utf8_error().valid_up_to(), "the document is not valid UTF-8"),
    })
}

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        // `good` is valid UTF-8 by construction.
        let idx = LineIndex::new(std::str::from_utf8(good).unwrap_or_default());
        let span = idx.span(good.len());
        let declared = declared_encoding(bytes);
        let hint = if bytes.len() > 1 && bytes.iter().skip(1).step_by(2).take(64).all(|b| *b == 0) {
            " (this looks like UTF-16 without a byte-order mark; save it as UTF-8 or UTF-16 with a BOM)".to_string()
        } else if let Some(enc) = declared.filter(|e| !e.eq_ignore_ascii_case("utf-8")) {
            format!(" (it declares encoding=\"{enc}\"; only UTF-8 and UTF-16 are read: save it as UTF-8)")
        } else {
            String::new()
        };
        XmlError::new(span, format!("the document is not valid UTF-8{hint}"))
    })
}

/// The `encoding` of the XML declaration, when there is one at the start.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    let decl_end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..decl_end]).ok()?.strip_prefix("<?xml")?;
    let at = decl.find("encoding")? + "encoding".len();
    let rest = decl[at..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// XML 1.0 allows no control character but tab, LF and CR (§2.2): a NUL or an ESC is not text,
/// whatever a lenient parser makes of it.
fn check_chars(text: &str) -> Result<(), XmlError> {
    let bad = |b: &u8| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r');
    // Whole chunks are tested without an early exit, which the compiler turns into vector code
    // (a byte-at-a-time search was a millisecond of a large policy); only a chunk with a bad
    // byte is searched for it.
    const CHUNK: usize = 64;
    let clean = |chunk: &[u8]| !chunk.iter().fold(false, |found, b| found | bad(b));
    let first_bad = text
        .as_bytes()
        .chunks(CHUNK)
        .enumerate()
        .find(|(_, chunk)| !clean(chunk))
        .and_then(|(i, chunk)| chunk.iter().position(bad).map(|at| i * CHUNK + at));
    match first_bad {
        None => Ok(()),
        Some(at) => Err(XmlError::new(
            LineIndex::new(text).span(at),
            format!("control character U+{:04X} is not allowed in XML", text.as_bytes()[at]),
        )),
    }
}

/// Parses a document into its root element. DTDs are refused; only the predefined entities and
/// character references are expanded; elements outside the SiPolicy namespace are refused.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    // Errors are rare: they get a full line index; the positions of every element and attribute
    // come from a cursor that walks the text once.
    check_chars(text)?;
    let err = |offset: usize, msg: String| XmlError::new(LineIndex::new(text).span(offset), msg);
    let mut pos = SpanCursor::new(text);
    let mut reader = Reader::from_str(text);
    // quick-xml's `NsReader` opens a namespace scope for every element by walking its attributes
    // (a tenth of the parse of a large policy), but policies declare namespaces on the root
    // only. The same resolver is fed here only the tags whose attributes mention `xmlns`: the
    // others declare nothing, so the bindings in scope, and every resolution, are the same.
    let mut ns_scopes = NamespaceResolver::default();
    let cfg = reader.config_mut();
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;
    cfg.trim_text(false);

    // Open elements, each with where its children start in `done`; finished elements waiting
    // for their parent's end tag. Children and attributes are collected here and moved into
    // vectors of the exact size when their element ends, instead of growing a vector per element.
    let mut stack: Vec<(Element, usize, bool)> = Vec::new();
    let mut done: Vec<Element> = Vec::new();
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
                let is_empty = matches!(event, Event::Empty(_));
                let scoped = mentions_xmlns(e.attributes_raw());
                if scoped && let Err(e) = ns_scopes.push(e) {
                    // `NsReader` reports this without moving its error position.
                    let e = quick_xml::Error::from(e);
                    return Err(err(reader.error_position() as usize, syntax_message(&e)));
                }
                let (ns, _) = ns_scopes.resolve_element(e.name());
                // Skip leading whitespace the reader may count before `<`.
                let start = before + text.as_bytes()[before..].iter().position(|&b| b == b'<').unwrap_or(0);
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
                let span = pos.span(start);
                read_attrs(&ns_scopes, e, text, start, &mut pos, &mut scratch)?;
                // Exactly sized; `scratch` keeps its capacity for the next tag.
                let mut attrs = Vec::with_capacity(scratch.len());
                attrs.append(&mut scratch);
                let after = reader.buffer_position() as usize;
                let el = Element {
                    name,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                    span,
                    text_span: pos.span(after),
                };
                if is_empty {
                    close(&stack, &mut done, &mut root, el);
                    if scoped {
                        ns_scopes.pop();
                    }
                } else {
                    stack.push((el, done.len(), scoped));
                }
            }
            Event::End(_) => {
                // check_end_names guarantees a matching open element.
                if let Some((mut el, first_child, scoped)) = stack.pop() {
                    el.children = done.drain(first_child..).collect();
                    close(&stack, &mut done, &mut root, el);
                    if scoped {
                        ns_scopes.pop();
                    }
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                match stack.last_mut() {
                    Some((open, ..)) => open.text.push_str(&s),
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
                    Some((open, ..)) => open.text.push_str(&s),
                    None => return Err(err(before, "CDATA outside the root element".into())),
                }
            }
            Event::GeneralRef(r) => {
                let mut buf = [0u8; 4];
                let resolved: &str = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c.encode_utf8(&mut buf),
                        _ => return Err(err(before, "invalid character reference".into())),
                    }
                } else {
                    let name = r.to_string();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(v) => v,
                        None => {
                            return Err(err(
                                before,
                                format!(
                                    "unknown entity `&{name};`: only &lt; &gt; &amp; &quot; &apos; and character references are allowed"
                                ),
                            ));
                        }
                    }
                };
                match stack.last_mut() {
                    Some((open, ..)) => open.text.push_str(resolved),
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
    if let Some((open, ..)) = stack.last() {
        return Err(err(
            text.len(),
            format!(
                "unexpected end of document: <{}> (line {}) is not closed",
                open.name, open.span.line
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

/// Whether `raw` has `xmlns` anywhere: the tags that may declare namespaces. Found through the
/// `x`s (a substring search set itself up again for each tag).
fn mentions_xmlns(raw: &str) -> bool {
    let b = raw.as_bytes();
    memchr::memchr_iter(b'x', b).any(|i| b[i..].starts_with(b"xmlns"))
}

fn close(stack: &[(Element, usize, bool)], done: &mut Vec<Element>, root: &mut Option<Element>, el: Element) {
    if stack.is_empty() {
        *root = Some(el);
    } else {
        done.push(el);
    }
}

fn read_attrs(
    ns_scopes: &NamespaceResolver,
    e: &BytesStart<'_>,
    text: &str,
    tag_start: usize,
    pos: &mut SpanCursor<'_>,
    out: &mut Vec<Attr>,
) -> Result<(), XmlError> {
    if read_simple_attrs(e, text, pos, out) {
        return Ok(());
    }
    read_any_attrs(ns_scopes, e, text, tag_start, pos, out)
}

/// Reads the attributes when [`simple_attrs`] accepts them all; false (having read none) if not.
fn read_simple_attrs(e: &BytesStart<'_>, text: &str, pos: &mut SpanCursor<'_>, out: &mut Vec<Attr>) -> bool {
    if let Some(base) = offset_in(text, e.attributes_raw()) {
        let mut simple = [SimpleAttr::default(); MAX_SIMPLE_ATTRS];
        if let Some(n) = simple_attrs(e.attributes_raw(), &mut simple) {
            for a in &simple[..n] {
                out.push(Attr {
                    name: intern(&text[base + a.name.0..base + a.name.1]),
                    value: text[base + a.value.0..base + a.value.1].to_string(),
                    span: pos.span(base + a.name.0),
                    value_span: pos.span(base + a.value.0),
                });
            }
            return true;
        }
    }
    false
}

/// Reads any attributes quick-xml accepts, with the errors for those it does not.
fn read_any_attrs(
    ns_scopes: &NamespaceResolver,
    e: &BytesStart<'_>,
    text: &str,
    tag_start: usize,
    pos: &mut SpanCursor<'_>,
    out: &mut Vec<Attr>,
) -> Result<(), XmlError> {
    let err = |offset: usize, msg: String| XmlError::new(LineIndex::new(text).span(offset), msg);
    let mut offsets = AttributeOffsets::new(&text[tag_start..]);
    for a in e.attributes().with_checks(true) {
        let (name_off, value_off) = offsets
            .next()
            .map(|(n, v)| (tag_start + n, tag_start + v))
            .unwrap_or((tag_start, tag_start));
        let a = match a {
            Ok(a) => a,
            Err(error) => {
                let msg = match error {
                    quick_xml::events::attributes::AttrError::Duplicated(..) => {
                        let name: String = text[name_off..]
                            .chars()
                            .take_while(|c| !c.is_whitespace() && *c != '=')
                            .take(64)
                            .collect();
                        format!("duplicate attribute `{name}`: an attribute may appear only once per element")
                    }
                    other => format!("malformed attribute: {other}"),
                };
                return Err(err(name_off, msg));
            }
        };
        let key = a.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, local) = ns_scopes.resolve_attribute(key);
        match ns {
            ResolveResult::Unbound => {}
            ResolveResult::Bound(_) => continue, // xsi:…, xsd:… and other foreign attributes carry no policy data
            ResolveResult::Unknown(p) => {
                return Err(err(name_off, format!("attribute prefix `{p}` is not declared")));
            }
        }
        let value = a.normalized_value(XmlVersion::Implicit1_0).map_err(|error| {
            use quick_xml::escape::EscapeError as E;
            let (at, what) = match &error {
                quick_xml::Error::Escape(E::UnrecognizedEntity(r, name)) => (r.start.saturating_sub(1), format!("unknown entity `&{name};`")),
                quick_xml::Error::Escape(E::UnterminatedEntity(r)) => (r.start, "`&` without a closing `;`".to_string()),
                quick_xml::Error::Escape(E::InvalidCharRef(e)) => (0, format!("invalid character reference ({e})")),
                other => (0, other.to_string()),
            };
            err(
                value_off + at,
                format!("bad value of attribute `{}`: {what}; only &lt; &gt; &amp; &quot; &apos; and character references are allowed", key.as_ref()),
            )
        })?;
        out.push(Attr {
            name: intern(local.as_ref()),
            value: value.into_owned(),
            span: pos.span(name_off),
            value_span: pos.span(value_off),
        });
    }
    Ok(())
}

/// Where `part` (a slice of `text`, as quick-xml hands out when it reads from a `&str`) starts in
/// `text`; `None` if it is not a slice of it.
fn offset_in(text: &str, part: &str) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    (offset + part.len() <= text.len()).then_some(offset)
}

/// Tags with more attributes take the general path, so that the duplicate check here stays
/// a few comparisons (SiPolicy elements have at most 8 attributes).
const MAX_SIMPLE_ATTRS: usize = 16;

/// Byte ranges of an attribute's name and value in a tag's attribute text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SimpleAttr {
    name: (usize, usize),
    value: (usize, usize),
}

/// The attributes of `raw` (a start tag's text after its name) when every one is a plain
/// `name="value"`: no namespace prefix or declaration, no duplicate, and a value that attribute
/// value normalisation leaves as it is (no `&`, tab or line break). That is nearly every
/// attribute of a policy, and it needs neither quick-xml's attribute iterator, nor its
/// normaliser, nor a namespace lookup. `None` sends the tag to the general path, which reads
/// everything else and words the errors; this accepts only what quick-xml reads the same way.
fn simple_attrs(raw: &str, out: &mut [SimpleAttr; MAX_SIMPLE_ATTRS]) -> Option<usize> {
    let b = raw.as_bytes();
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let skip_ws = |mut i: usize| {
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        i
    };
    let mut n = 0;
    let mut i = skip_ws(0);
    while i < b.len() {
        let name_start = i;
        while i < b.len() && b[i] != b'=' && !ws(b[i]) {
            i += 1;
        }
        let name = &b[name_start..i];
        if name.is_empty() || name.contains(&b':') || name.starts_with(b"xmlns") {
            return None;
        }
        i = skip_ws(i);
        if b.get(i) != Some(&b'=') {
            return None;
        }
        i = skip_ws(i + 1);
        let quote = *b.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
        let value_start = i + 1;
        let value_len = b[value_start..].iter().position(|&c| c == quote)?;
        let value = &b[value_start..value_start + value_len];
        if value.iter().any(|c| matches!(c, b'&' | b'\t' | b'\r' | b'\n')) {
            return None;
        }
        let attr = SimpleAttr {
            name: (name_start, name_start + name.len()),
            value: (value_start, value_start + value_len),
        };
        if n == MAX_SIMPLE_ATTRS || out[..n].iter().any(|a| &b[a.name.0..a.name.1] == name) {
            return None;
        }
        out[n] = attr;
        n += 1;
        i = skip_ws(value_start + value_len + 1);
    }
    Some(n)
}

/// Byte offsets (relative to `<`) of each attribute's name and of its value, in order. quick-xml
/// does not report attribute positions, and error messages need them.
struct AttributeOffsets<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> AttributeOffsets<'a> {
    fn new(tag: &'a str) -> Self {
        let b = tag.as_bytes();
        let mut i = 1;
        // Skip the element name.
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        AttributeOffsets { b, i }
    }
}

impl Iterator for AttributeOffsets<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let (b, mut i) = (self.b, self.i);
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' || b[i] == b'/' {
            self.i = i;
            return None;
        }
        let name_start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() && b[i] != b'>' {
            i += 1;
        }
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'=') {
            i += 1;
        }
        let item = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
            let q = b[i];
            i += 1;
            let value_start = i;
            while i < b.len() && b[i] != q {
                i += 1;
            }
            i += 1;
            (name_start, value_start)
        } else {
            (name_start, i)
        };
        self.i = i;
        Some(item)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_offsets_skip_quoted_text() {
        let tag = r#"<Allow ID="a b=c" FileName='x'/>"#;
        let offs: Vec<_> = AttributeOffsets::new(tag).collect();
        assert_eq!(offs.len(), 2);
        assert_eq!(&tag[offs[1].0..offs[1].0 + 8], "FileName");
        assert_eq!(&tag[offs[1].1..offs[1].1 + 1], "x");
    }

    /// Reads the first tag of `doc` both ways: (simple path if it takes the tag, general path).
    fn both_paths(doc: &str) -> (Option<Vec<Attr>>, Result<Vec<Attr>, XmlError>) {
        let mut reader = Reader::from_str(doc);
        let event = reader.read_event().unwrap();
        let mut ns_scopes = NamespaceResolver::default();
        let (Event::Start(e) | Event::Empty(e)) = event else {
            panic!("no tag in {doc}")
        };
        let mut simple = Vec::new();
        let took = read_simple_attrs(&e, doc, &mut SpanCursor::new(doc), &mut simple);
        let mut any = Vec::new();
        ns_scopes.push(&e).unwrap();
        let general = read_any_attrs(&ns_scopes, &e, doc, 0, &mut SpanCursor::new(doc), &mut any).map(|()| any);
        (took.then_some(simple), general)
    }

    #[test]
    fn simple_attributes_read_as_the_general_path_reads_them() {
        let taken = [
            r#"<A ID="x" FriendlyName='a "b" c' Hash="00"/>"#,
            "<A\n\tID = \"x\"\r\n  Value=''>",
            r#"<A a="1"b="2" c="<>é"/>"#,
            r#"<A a.b-c_d="2"/>"#,
            "<A/>",
        ];
        for doc in taken {
            let (simple, general) = both_paths(doc);
            assert_eq!(simple.as_ref(), Some(&general.unwrap()), "{doc}");
        }
        let left = [
            r#"<A a="1" a="2"/>"#,
            r#"<A a="&amp;"/>"#,
            "<A a=\"x\ny\"/>",
            r#"<A xmlns="urn:x" a="1"/>"#,
            r#"<A xsi:type="x"/>"#,
            r#"<A xmlnsx="1"/>"#,
            r#"<A a=1/>"#,
            r#"<A a/>"#,
            r#"<A ="1"/>"#,
        ];
        for doc in left {
            assert_eq!(both_paths(doc).0, None, "{doc}");
        }
    }

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

    #[test]
    fn every_name_interns_to_itself() {
        assert!(
            NAMES.windows(2).all(|w| w[0] < w[1]),
            "NAMES must stay sorted and unique"
        );
        for name in NAMES {
            assert!(matches!(intern(name), Cow::Borrowed(n) if n == *name), "{name}");
        }
        for other in ["Unknown", "", "a", "fileRuleRef", "FileRuleRefs"] {
            assert!(matches!(intern(other), Cow::Owned(n) if n == other), "{other}");
        }
    }

    #[test]
    fn decode_owned_agrees_with_decode() {
        let utf16le: Vec<u8> = "<a/>".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let inputs: [&[u8]; 8] = [
            b"<a/>",
            b"\xEF\xBB\xBF<a/>",
            b"\xEF\xBB\xBF\xFF\xFE<",
            b"<a>\xC3</a>",
            b"<?xml version=\"1.0\" encoding=\"latin1\"?><a>\xE9</a>",
            b"\xFF\xFE<\x00",
            b"",
            &utf16le,
        ];
        for bytes in inputs {
            let owned = decode_owned(bytes.to_vec());
            assert_eq!(owned, decode(bytes).map(Cow::into_owned), "{bytes:?}");
        }
    }

    #[test]
    fn control_characters_are_found_in_any_chunk() {
        for at in [0, 1, 63, 64, 65, 127, 128, 200] {
            let mut text = "x".repeat(at);
            text.push('\u{1b}');
            text.push_str("\t\r\n y");
            let e = check_chars(&text).unwrap_err();
            assert_eq!(e.span.offset, at);
            assert!(e.message.contains("U+001B"));
            assert!(check_chars(&text.replace('\u{1b}', " ")).is_ok());
        }
    }

    #[test]
    fn decodes_utf16_with_bom() {
        let s = "<SiPolicy/>";
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).unwrap(), s);
        let mut be = vec![0xFE, 0xFF];
        be.extend(s.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode(&be).unwrap(), s);
    }
}
