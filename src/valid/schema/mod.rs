//! Layer 1: the schema, checked on the positioned element tree.
//!
//! Reports what the newest `cipolicy.xsd` rejects (as libxml2 applies it; codes whose table row
//! has `xsd: true`), plus value formats the XSD fails to express but ConfigCI needs (FR005
//! versions, SG001 one-byte well-known roots, RF004 FileRuleRef without RuleID). The walk is
//! independent of the model reader, which is stricter in some places and more lenient in others
//! (it trims values, ignores child order, accepts a sign in numbers); see [`crate::valid`].

mod decl;
pub mod types;

use std::collections::BTreeMap;

use decl::{Content, Decl, Particle};
use types::{Ty, is_xml_space};

use super::codes::Code;
use super::finding::{Finding, Location};
use crate::model::Version;
use crate::suggest::did_you_mean;
use crate::xml::Span;
use crate::xml::tree::Element;

/// Checks a parsed document against the schema.
pub fn check(root: &Element) -> Vec<Finding> {
    let mut out = Vec::new();
    if root.name != "SiPolicy" {
        out.push(Finding::new(
            Code::ID001,
            at(root.span),
            format!("the root element is <{}>; expected <SiPolicy>", root.name),
        ));
        return out;
    }
    element(&decl::SI_POLICY, root, &mut out);
    out
}

fn at(span: Span) -> Location {
    Location::text(span, None)
}

fn names(decls: impl Iterator<Item = &'static Decl>) -> String {
    decls.map(|d| format!("<{}>", d.name)).collect::<Vec<_>>().join(", ")
}

fn element(decl: &'static Decl, el: &Element, out: &mut Vec<Finding>) {
    attributes(decl, el, out);
    match &decl.content {
        Content::Empty => {
            if let Some(c) = el.children.first() {
                out.push(Finding::new(
                    Code::XS001,
                    at(c.span),
                    format!(
                        "<{}> is not allowed in <{}>, which takes no child elements",
                        c.name, el.name
                    ),
                ));
            } else if !el.text.is_empty() {
                out.push(
                    Finding::new(
                        Code::XS005,
                        at(el.text_span),
                        format!("<{}> must be empty, not even whitespace", el.name),
                    )
                    .with_help(format!("write it as a self-closing tag: <{} … />", el.name)),
                );
            }
        }
        Content::Text(ty) => {
            if let Some(c) = el.children.first() {
                out.push(Finding::new(
                    Code::XS001,
                    at(c.span),
                    format!("<{}> is not allowed in <{}>, which holds only text", c.name, el.name),
                ));
            } else {
                value(*ty, &el.text, el.text_span, &|| format!("<{}>", el.name), out);
            }
        }
        Content::Seq(ps) => {
            element_only_text(el, out);
            sequence(el, ps, out);
        }
        Content::All(ps) => {
            element_only_text(el, out);
            all(el, ps, out);
        }
        Content::Repeat(ds, max) => {
            element_only_text(el, out);
            repeat(el, ds, *max, out);
        }
        Content::Choice(ds) => {
            element_only_text(el, out);
            choice(el, ds, out);
        }
    }
    for c in &el.children {
        if let Some(d) = child_decl(decl, &c.name) {
            element(d, c, out);
        }
    }
    if std::ptr::eq(decl, &decl::MACROS) {
        unique_macro_ids(el, out);
    }
}

fn child_decl(decl: &Decl, name: &str) -> Option<&'static Decl> {
    match &decl.content {
        Content::Seq(ps) | Content::All(ps) => ps.iter().map(|p| p.decl).find(|d| d.name == name),
        Content::Repeat(ds, _) | Content::Choice(ds) => ds.iter().copied().find(|d| d.name == name),
        Content::Empty | Content::Text(_) => None,
    }
}

fn element_only_text(el: &Element, out: &mut Vec<Finding>) {
    // Bytes rather than characters: XML spaces are ASCII, and any byte of another character
    // is not one (containers hold kilobytes of indentation, which decoding made slow).
    if el.text.bytes().any(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
        out.push(Finding::new(
            Code::XS005,
            at(el.text_span),
            format!("<{}> holds only elements; text is not allowed in it", el.name),
        ));
    }
}

fn unknown_child(el: &Element, c: &Element, expected: String, out: &mut Vec<Finding>) {
    let candidates: Vec<&str> = expected
        .split(", ")
        .map(|s| s.trim_start_matches('<').trim_end_matches('>'))
        .collect();
    let hint = did_you_mean(&c.name, candidates.iter().copied());
    out.push(Finding::new(
        Code::XS001,
        at(c.span),
        format!(
            "<{}> is not allowed in <{}>{hint}; expected {}",
            c.name,
            el.name,
            if expected.is_empty() {
                "nothing".to_string()
            } else {
                expected
            }
        ),
    ));
}

fn sequence(el: &Element, ps: &[Particle], out: &mut Vec<Finding>) {
    let order = names(ps.iter().map(|p| p.decl));
    // Particle names are distinct within each sequence of this schema, so the first match is
    // the only one.
    let mut i = 0;
    let mut count = 0u64;
    for c in &el.children {
        let Some(pos) = ps.iter().position(|p| p.decl.name == c.name) else {
            unknown_child(el, c, order, out);
            return;
        };
        if pos < i {
            out.push(
                Finding::new(
                    Code::XS003,
                    at(c.span),
                    format!("<{}> is out of order in <{}>", c.name, el.name),
                )
                .with_help(format!(
                    "the children of <{}> must come in this order: {order}",
                    el.name
                )),
            );
            return;
        }
        if pos == i && count > 0 {
            if count == ps[i].max {
                out.push(Finding::new(
                    Code::XS004,
                    at(c.span),
                    if ps[i].max == 1 {
                        format!("<{}> may appear only once in <{}>", c.name, el.name)
                    } else {
                        format!("<{}> may appear at most {} times in <{}>", c.name, ps[i].max, el.name)
                    },
                ));
                return;
            }
            count += 1;
            continue;
        }
        let have = |j: usize| if j == i { count } else { 0 };
        if let Some(q) = (i..pos).find(|&j| have(j) < ps[j].min) {
            let later = el.children.iter().any(|d| d.name == ps[q].decl.name);
            out.push(if later {
                Finding::new(
                    Code::XS003,
                    at(c.span),
                    format!("<{}> comes before <{}> in <{}>", c.name, ps[q].decl.name, el.name),
                )
                .with_help(format!(
                    "the children of <{}> must come in this order: {order}",
                    el.name
                ))
            } else {
                Finding::new(
                    Code::XS002,
                    at(c.span),
                    format!("<{}> needs <{}> before <{}>", el.name, ps[q].decl.name, c.name),
                )
            });
            return;
        }
        i = pos;
        count = 1;
    }
    let have = |j: usize| if j == i { count } else { 0 };
    if let Some(q) = (i..ps.len()).find(|&j| have(j) < ps[j].min) {
        out.push(missing_child(el, ps[q].decl, ps[q].min));
    }
}

fn missing_child(el: &Element, d: &Decl, min: u64) -> Finding {
    let what = if min > 1 {
        format!("at least {min} <{}>", d.name)
    } else {
        format!("<{}>", d.name)
    };
    let help = match d.name {
        "AllowedSigner" | "DeniedSigner" | "FileRuleRef" | "ArtifactRuleRef" | "Macro" => {
            Some(format!("remove the empty <{}> or add a <{}>", el.name, d.name))
        }
        _ => None,
    };
    let f = Finding::new(Code::XS002, at(el.span), format!("<{}> is missing {what}", el.name));
    match help {
        Some(h) => f.with_help(h),
        None => f,
    }
}

fn all(el: &Element, ps: &[Particle], out: &mut Vec<Finding>) {
    let mut counts = vec![0u64; ps.len()];
    let expected = names(ps.iter().map(|p| p.decl));
    for c in &el.children {
        match ps.iter().position(|p| p.decl.name == c.name) {
            None => unknown_child(el, c, expected.clone(), out),
            Some(i) => {
                counts[i] += 1;
                if counts[i] > ps[i].max {
                    out.push(Finding::new(
                        Code::XS004,
                        at(c.span),
                        format!("<{}> may appear only once in <{}>", c.name, el.name),
                    ));
                }
            }
        }
    }
    for (p, n) in ps.iter().zip(&counts) {
        if *n < p.min {
            out.push(missing_child(el, p.decl, p.min));
        }
    }
}

fn repeat(el: &Element, ds: &[&'static Decl], max: u64, out: &mut Vec<Finding>) {
    let expected = names(ds.iter().copied());
    let mut n = 0u64;
    for c in &el.children {
        if ds.iter().any(|d| d.name == c.name) {
            n += 1;
            if n == max.saturating_add(1) {
                out.push(Finding::new(
                    Code::XS004,
                    at(c.span),
                    format!("<{}> may hold at most {max} elements", el.name),
                ));
            }
        } else {
            unknown_child(el, c, expected.clone(), out);
        }
    }
}

fn choice(el: &Element, ds: &[&'static Decl], out: &mut Vec<Finding>) {
    let expected = names(ds.iter().copied());
    match el.children.as_slice() {
        [] => out.push(Finding::new(
            Code::XS002,
            at(el.span),
            format!("<{}> must hold one of {expected}", el.name),
        )),
        [first, rest @ ..] => {
            for c in std::iter::once(first).chain(rest) {
                if !ds.iter().any(|d| d.name == c.name) {
                    unknown_child(el, c, expected.clone(), out);
                    return;
                }
            }
            if let Some(second) = rest.first() {
                out.push(Finding::new(
                    Code::XS004,
                    at(second.span),
                    format!("<{}> must hold exactly one of {expected}", el.name),
                ));
            }
        }
    }
}

fn attributes(decl: &Decl, el: &Element, out: &mut Vec<Finding>) {
    for a in &el.attrs {
        let Some(ad) = decl.attrs.iter().find(|d| d.name == a.name) else {
            let hint = if decl.attrs.is_empty() {
                " (it takes no attributes)".to_string()
            } else {
                did_you_mean(&a.name, decl.attrs.iter().map(|d| d.name))
            };
            out.push(Finding::new(
                Code::XS007,
                at(a.span),
                format!("attribute `{}` is not allowed on <{}>{hint}", a.name, el.name),
            ));
            continue;
        };
        let what = || format!("{}/@{}", el.name, a.name);
        let ok = value(ad.ty, &a.value, a.value_span, &what, out);
        if ok && el.name == "CertRoot" && a.name == "Value" && el.attr("Type").is_some_and(|t| t.value == "Wellknown") {
            let digits = a.value.trim_matches(is_xml_space).len();
            if digits != 2 {
                out.push(
                    Finding::new(
                        Code::SG001,
                        at(a.value_span),
                        format!(
                            "a well-known CertRoot Value is one byte (two hex digits); `{}` is {} bytes",
                            a.value,
                            digits / 2
                        ),
                    )
                    .with_help("well-known roots are numbered 03 to 16, e.g. Value=\"06\""),
                );
            }
        }
    }
    for ad in decl.attrs.iter().filter(|d| d.required) {
        if el.attr(ad.name).is_none() {
            out.push(Finding::new(
                Code::XS006,
                at(el.span),
                format!("<{}> is missing its required attribute `{}`", el.name, ad.name),
            ));
        }
    }
    if std::ptr::eq(decl, &decl::FILE_RULE_REF) && el.attr("RuleID").is_none() {
        out.push(Finding::new(
            Code::RF004,
            at(el.span),
            "<FileRuleRef> has no RuleID: it refers to nothing (the schema allows it, ConfigCI does not)",
        ));
    }
}

/// Checks one value; returns true when the schema accepts it. `what` names the value in
/// messages (formatted only for a finding: most values are fine).
fn value(ty: Ty, text: &str, span: Span, what: &dyn Fn() -> String, out: &mut Vec<Finding>) -> bool {
    match types::check(ty, text) {
        Ok(()) => {
            if ty == Ty::VersionEx
                && let Err(e) = text.trim().parse::<Version>()
            {
                out.push(
                    Finding::new(
                        Code::FR005,
                        at(span),
                        format!("{} `{text}` is not a version: {e}", what()),
                    )
                    .with_help("write four dot-separated numbers from 0 to 65535, e.g. 10.0.0.0"),
                );
            }
            true
        }
        Err(e) => {
            out.push(Finding::new(e.code, at(span), format!("{}: {}", what(), e.message)));
            // The .NET-only AppIDs reading is a warning: the value still works with ConfigCI.
            e.code == Code::XS017
        }
    }
}

fn unique_macro_ids(el: &Element, out: &mut Vec<Finding>) {
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for m in el.children_named("Macro") {
        if let Some(id) = m.attr("Id") {
            if let Some(first) = seen.get(id.value.as_str()) {
                out.push(Finding::new(
                    Code::XS016,
                    at(id.value_span),
                    format!("Macro Id `{}` is already used at line {}", id.value, first.line),
                ));
            } else {
                seen.insert(&id.value, id.value_span);
            }
        }
    }
}
