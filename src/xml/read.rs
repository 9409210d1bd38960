//! Element tree → policy model.
//!
//! Children are accepted in any order (ConfigCI's XmlSerializer-based reader tolerates reordering,
//! and the root is an `xs:all`); order-sensitive XSD rules are the validator's schema layer's job.
//! Unknown elements and attributes are errors with a suggestion, because a misspelt attribute is
//! otherwise silently ignored by Windows' tools and the rule means something else.

use std::str::FromStr;

use super::error::{XmlError, shown};
use super::source::{Path, SourceMap};
use super::tree::{Attr, Element};
use crate::model::*;
use crate::suggest::did_you_mean;

struct Reader {
    map: SourceMap,
}

/// Checks that `el` has only the listed attributes and children, and that singletons are single.
fn check_shape(el: &Element, attrs: &[&str], children: &[&str], singletons: &[&str]) -> Result<(), XmlError> {
    for a in &el.attrs {
        if !attrs.contains(&&*a.name) {
            let hint = if attrs.is_empty() {
                " (it takes no attributes)".to_string()
            } else {
                did_you_mean(&a.name, attrs.iter().copied())
            };
            return Err(XmlError::new(
                a.span,
                format!("unknown attribute `{}` on <{}>{hint}", shown(&a.name), el.name),
            ));
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for c in &el.children {
        if !children.contains(&&*c.name) {
            let expected = if children.is_empty() {
                format!("<{}> takes no child elements", el.name)
            } else {
                format!(
                    "expected one of {}",
                    children.iter().map(|c| format!("<{c}>")).collect::<Vec<_>>().join(", ")
                )
            };
            let hint = did_you_mean(&c.name, children.iter().copied());
            return Err(XmlError::new(
                c.span,
                format!("unknown element <{}> in <{}>{hint}; {expected}", c.name, el.name),
            ));
        }
        if singletons.contains(&&*c.name) {
            if seen.contains(&&*c.name) {
                return Err(XmlError::new(
                    c.span,
                    format!("<{}> may appear only once in <{}>", c.name, el.name),
                ));
            }
            seen.push(&*c.name);
        }
    }
    if children.is_empty() && !el.text.trim().is_empty() && !attrs.is_empty() {
        return Err(XmlError::new(
            el.text_span,
            format!("<{}> takes no text content", el.name),
        ));
    }
    Ok(())
}

fn required<'a>(el: &'a Element, name: &str) -> Result<&'a Attr, XmlError> {
    el.attr(name).ok_or_else(|| {
        XmlError::new(
            el.span,
            format!("<{}> is missing its required attribute `{name}`", el.name),
        )
    })
}

fn parse_attr<T: FromStr>(a: &Attr, what: &str) -> Result<T, XmlError>
where
    T::Err: std::fmt::Display,
{
    a.value.trim().parse::<T>().map_err(|e| {
        XmlError::new(
            a.value_span,
            format!("{} is not a valid {what}: {e}{}", a.name, version_hint(what, &a.value)),
        )
    })
}

/// For a version with fewer than four numeric parts, suggests the padded form. Such versions
/// are refused on purpose, although the schema's pattern (unescaped dots) lets `1.1` through
/// and .NET's `System.Version` parses it: .NET leaves the missing parts undefined (-1), so
/// what ConfigCI compiles them to is not known, and a guessed version would break
/// anti-rollback comparisons.
fn version_hint(what: &str, text: &str) -> String {
    let parts: Vec<&str> = text.trim().split('.').collect();
    if what != "version"
        || parts.len() >= 4
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return String::new();
    }
    let mut padded = parts.join(".");
    for _ in parts.len()..4 {
        padded.push_str(".0");
    }
    format!(" (write it as `{padded}`: missing parts are not guessed)")
}

fn parse_text<T: FromStr>(el: &Element, what: &str) -> Result<T, XmlError>
where
    T::Err: std::fmt::Display,
{
    let t = el.text.trim();
    t.parse::<T>().map_err(|e| {
        XmlError::new(
            el.text_span,
            format!(
                "<{}> `{}` is not a valid {what}: {e}{}",
                el.name,
                shown(t),
                version_hint(what, t)
            ),
        )
    })
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn opt_string(el: &Element, name: &str) -> Option<String> {
    el.attr(name).map(|a| a.value.clone())
}

fn id_of(el: &Element, name: &str) -> Result<Id, XmlError> {
    Ok(Id(required(el, name)?.value.clone()))
}

/// Unsigned integer types the schema uses, with their range for error messages.
trait Unsigned: FromStr {
    const MAX: u64;
}
impl Unsigned for u8 {
    const MAX: u64 = u8::MAX as u64;
}
impl Unsigned for u16 {
    const MAX: u64 = u16::MAX as u64;
}
impl Unsigned for u32 {
    const MAX: u64 = u32::MAX as u64;
}

/// An unsigned integer with a readable range error.
struct Num<T>(T);

impl<T: Unsigned> FromStr for Num<T> {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<T>()
            .map(Num)
            .map_err(|_| format!("expected a whole number from 0 to {}", T::MAX))
    }
}

impl Reader {
    fn attr_spans(&mut self, path: Path, el: &Element) {
        self.map.record(path, el);
    }

    /// `parent.name`, or the top-level `name` when `parent` is `None`.
    fn at(&mut self, parent: Option<Path>, name: &'static str) -> Path {
        self.map.field(parent.unwrap_or(SourceMap::ROOT), name)
    }

    /// `parent.name[i]`, or the top-level `name[i]` when `parent` is `None`.
    fn at_item(&mut self, parent: Option<Path>, name: &'static str, i: usize) -> Path {
        self.map.field_item(parent.unwrap_or(SourceMap::ROOT), name, i)
    }

    fn policy(&mut self, root: &Element) -> Result<Policy, XmlError> {
        const CHILDREN: &[&str] = &[
            "VersionEx",
            "PolicyTypeID",
            "PlatformID",
            "PolicyID",
            "BasePolicyID",
            "Rules",
            "EKUs",
            "FileRules",
            "ArtifactRules",
            "Signers",
            "SigningScenarios",
            "UpdatePolicySigners",
            "CiSigners",
            "HvciOptions",
            "Settings",
            "Macros",
            "SupplementalPolicySigners",
            "AppSettings",
        ];
        if root.name != "SiPolicy" {
            return Err(XmlError::new(
                root.span,
                format!("the root element is <{}>; expected <SiPolicy>", root.name),
            ));
        }
        check_shape(root, &["FriendlyName", "PolicyType"], CHILDREN, CHILDREN)?;
        let at = self.at(None, "policy");
        self.attr_spans(at, root);
        let policy_type = match root.attr("PolicyType") {
            None => None,
            Some(a) => Some(PolicyType::parse(&a.value).ok_or_else(|| {
                XmlError::new(
                    a.value_span,
                    format!(
                        "PolicyType `{}` is not one of `Base Policy`, `Supplemental Policy`, `AppID Tagging Policy`{}",
                        shown(&a.value),
                        did_you_mean(&a.value, ["Base Policy", "Supplemental Policy", "AppID Tagging Policy"])
                    ),
                )
            })?),
        };
        let child = |name: &str| root.children.iter().find(|c| c.name == name);
        let version_el = child("VersionEx").ok_or_else(|| {
            XmlError::new(
                root.span,
                "<SiPolicy> has no <VersionEx>; it is required (e.g. <VersionEx>10.0.0.0</VersionEx>)",
            )
        })?;
        let at = self.at(None, "version_ex");
        self.attr_spans(at, version_el);
        let version_ex = parse_text::<Version>(version_el, "version")?;
        let mut guid = |name: &str, path: &'static str| -> Result<Option<Guid>, XmlError> {
            match child(name) {
                None => Ok(None),
                Some(el) => {
                    check_shape(el, &[], &[], &[])?;
                    let at = self.at(None, path);
                    self.attr_spans(at, el);
                    parse_text::<Guid>(el, "GUID").map(Some)
                }
            }
        };
        let policy_type_id = guid("PolicyTypeID", "policy_type_id")?;
        let platform_id = guid("PlatformID", "platform_id")?;
        let policy_id = guid("PolicyID", "policy_id")?;
        let base_policy_id = guid("BasePolicyID", "base_policy_id")?;

        let mut p = Policy {
            friendly_name: opt_string(root, "FriendlyName"),
            policy_type,
            version_ex,
            policy_type_id,
            platform_id,
            policy_id,
            base_policy_id,
            ..Policy::default()
        };
        if let Some(el) = child("Rules") {
            check_shape(el, &[], &["Rule"], &[])?;
            for (i, r) in el.children.iter().enumerate() {
                check_shape(r, &[], &["Option"], &["Option"])?;
                let opt = r
                    .children_named("Option")
                    .next()
                    .ok_or_else(|| XmlError::new(r.span, "<Rule> has no <Option>"))?;
                check_shape(opt, &[], &[], &[])?;
                let at = self.at_item(None, "rules", i);
                self.attr_spans(at, opt);
                p.rules.push(RuleOption::from_text(opt.text.trim()));
            }
        }
        if let Some(el) = child("EKUs") {
            check_shape(el, &[], &["EKU"], &[])?;
            for (i, e) in el.children.iter().enumerate() {
                let at = self.at_item(None, "ekus", i);
                p.ekus.push(self.eku(at, e)?);
            }
        }
        if let Some(el) = child("FileRules") {
            check_shape(el, &[], &["Allow", "Deny", "FileAttrib", "FileRule"], &[])?;
            p.file_rules.reserve_exact(el.children.len());
            for (i, e) in el.children.iter().enumerate() {
                let at = self.at_item(None, "file_rules", i);
                p.file_rules.push(self.file_rule(at, e)?);
            }
        }
        if let Some(el) = child("ArtifactRules") {
            check_shape(el, &[], &["ArtifactRule"], &[])?;
            for (i, e) in el.children.iter().enumerate() {
                let at = self.at_item(None, "artifact_rules", i);
                p.artifact_rules.push(self.artifact_rule(at, e)?);
            }
        }
        if let Some(el) = child("Signers") {
            check_shape(el, &[], &["Signer"], &[])?;
            for (i, e) in el.children.iter().enumerate() {
                let at = self.at_item(None, "signers", i);
                p.signers.push(self.signer(at, e)?);
            }
        }
        if let Some(el) = child("SigningScenarios") {
            check_shape(el, &[], &["SigningScenario"], &[])?;
            for (i, e) in el.children.iter().enumerate() {
                let at = self.at_item(None, "signing_scenarios", i);
                p.signing_scenarios.push(self.scenario(at, e)?);
            }
        }
        p.update_policy_signers = self.signer_refs(
            child("UpdatePolicySigners"),
            "UpdatePolicySigner",
            "update_policy_signers",
        )?;
        p.ci_signers = self.signer_refs(child("CiSigners"), "CiSigner", "ci_signers")?;
        p.supplemental_policy_signers = self.signer_refs(
            child("SupplementalPolicySigners"),
            "SupplementalPolicySigner",
            "supplemental_policy_signers",
        )?;
        if let Some(el) = child("HvciOptions") {
            check_shape(el, &[], &[], &[])?;
            let at = self.at(None, "hvci_options");
            self.attr_spans(at, el);
            p.hvci_options = Some(parse_text::<Num<u32>>(el, "HvciOptions value")?.0);
        }
        if let Some(el) = child("Settings") {
            check_shape(el, &[], &["Setting"], &[])?;
            for (i, e) in el.children.iter().enumerate() {
                let at = self.at_item(None, "settings", i);
                p.settings.push(self.setting(at, e)?);
            }
        }
        if let Some(el) = child("Macros") {
            check_shape(el, &[], &["Macro"], &[])?;
            for (i, e) in el.children.iter().enumerate() {
                check_shape(e, &["Id", "Value"], &[], &[])?;
                let at = self.at_item(None, "macros", i);
                self.attr_spans(at, e);
                p.macros.push(Macro {
                    id: required(e, "Id")?.value.clone(),
                    value: required(e, "Value")?.value.clone(),
                });
            }
        }
        if let Some(el) = child("AppSettings") {
            check_shape(el, &[], &["App"], &[])?;
            for (i, e) in el.children.iter().enumerate() {
                let at = self.at_item(None, "app_settings", i);
                p.app_settings.push(self.app(at, e)?);
            }
        }
        Ok(p)
    }

    fn eku(&mut self, path: Path, e: &Element) -> Result<Eku, XmlError> {
        check_shape(e, &["ID", "Value", "OID", "FriendlyName"], &[], &[])?;
        self.attr_spans(path, e);
        Ok(Eku {
            id: id_of(e, "ID")?,
            value: e
                .attr("Value")
                .map(|a| parse_attr::<HexBytes>(a, "hexBinary value"))
                .transpose()?,
            oid: opt_string(e, "OID"),
            friendly_name: opt_string(e, "FriendlyName"),
        })
    }

    fn file_rule(&mut self, path: Path, e: &Element) -> Result<FileRule, XmlError> {
        /// Every attribute a file rule may have: the common ones, then Allow's hotpatch ones,
        /// then FileRule's Type. Each kind's list below keeps this order, which is the order
        /// error hints consider them in.
        const ATTRS: [&str; 17] = [
            "ID",
            "FriendlyName",
            "FileName",
            "InternalName",
            "FileDescription",
            "ProductName",
            "PackageFamilyName",
            "PackageVersion",
            "MinimumFileVersion",
            "MaximumFileVersion",
            "Hash",
            "AppIDs",
            "FilePath",
            "RequireHotpatchID",
            "MinimumHotpatchSequence",
            "MaximumHotpatchSequence",
            "Type",
        ];
        const COMMON: usize = 13;
        const GENERIC: [&str; COMMON + 1] = {
            let mut out = [""; COMMON + 1];
            let mut i = 0;
            while i < COMMON {
                out[i] = ATTRS[i];
                i += 1;
            }
            out[COMMON] = ATTRS[16];
            out
        };
        let (kind, allowed): (_, &[&str]) = match &*e.name {
            "Allow" => (FileRuleKind::Allow, &ATTRS[..16]),
            "Deny" => (FileRuleKind::Deny, &ATTRS[..COMMON]),
            "FileAttrib" => (FileRuleKind::FileAttrib, &ATTRS[..COMMON]),
            _ => {
                let t = required(e, "Type")?;
                let kind = FileRuleKind::Generic(GenericRuleType::parse(&t.value).ok_or_else(|| {
                    XmlError::new(
                        t.value_span,
                        format!(
                            "FileRule Type `{}` is not one of `Match`, `Exclude`, `Attribute`{}",
                            shown(&t.value),
                            did_you_mean(&t.value, ["Match", "Exclude", "Attribute"])
                        ),
                    )
                })?);
                (kind, &GENERIC)
            }
        };
        check_shape(e, allowed, &[], &[])?;
        self.attr_spans(path, e);
        // One pass sorts the attributes into slots (`check_shape` let only known ones through)
        // instead of a search of the attribute list for each of the seventeen names.
        let mut slots: [Option<&Attr>; ATTRS.len()] = [None; ATTRS.len()];
        for a in &e.attrs {
            if let Some(i) = ATTRS.iter().position(|n| *n == a.name) {
                slots[i] = Some(a);
            }
        }
        let [
            id,
            friendly_name,
            file_name,
            internal_name,
            file_description,
            product_name,
            package_family_name,
            package_version,
            minimum_file_version,
            maximum_file_version,
            hash,
            app_ids,
            file_path,
            require_hotpatch_id,
            minimum_sequence,
            maximum_sequence,
            _,
        ] = slots;
        let string = |a: Option<&Attr>| a.map(|a| a.value.clone());
        let version = |a: Option<&Attr>| a.map(|a| parse_attr::<Version>(a, "version")).transpose();
        let seq = |a: Option<&Attr>| {
            a.map(|a| parse_attr::<Num<u32>>(a, "sequence number").map(|n| n.0))
                .transpose()
        };
        let id =
            id.ok_or_else(|| XmlError::new(e.span, format!("<{}> is missing its required attribute `ID`", e.name)))?;
        Ok(FileRule {
            kind,
            id: Id(id.value.clone()),
            friendly_name: string(friendly_name),
            file_name: string(file_name),
            internal_name: string(internal_name),
            file_description: string(file_description),
            product_name: string(product_name),
            package_family_name: string(package_family_name),
            package_version: version(package_version)?,
            minimum_file_version: version(minimum_file_version)?,
            maximum_file_version: version(maximum_file_version)?,
            hash: hash.map(|a| parse_attr::<HexBytes>(a, "hexBinary hash")).transpose()?,
            app_ids: string(app_ids),
            file_path: string(file_path),
            hotpatch: Hotpatch {
                require_hotpatch_id: require_hotpatch_id.map(|a| Id(a.value.clone())),
                minimum_sequence: seq(minimum_sequence)?,
                maximum_sequence: seq(maximum_sequence)?,
            },
        })
    }

    fn artifact_rule(&mut self, path: Path, e: &Element) -> Result<ArtifactRule, XmlError> {
        check_shape(
            e,
            &[
                "ID",
                "ArtifactType",
                "Action",
                "FriendlyName",
                "ArtifactName",
                "ArtifactDescription",
                "MinimumVersion",
                "MaximumVersion",
            ],
            &["ArtifactHash"],
            &["ArtifactHash"],
        )?;
        self.attr_spans(path, e);
        let t = required(e, "ArtifactType")?;
        let artifact_type = match t.value.as_str() {
            "CIM" => ArtifactType::Cim,
            "Catalog" => ArtifactType::Catalog,
            v => {
                return Err(XmlError::new(
                    t.value_span,
                    format!("ArtifactType `{}` is not one of `CIM`, `Catalog`", shown(v)),
                ));
            }
        };
        let a = required(e, "Action")?;
        let action = match a.value.as_str() {
            "Deny" => ArtifactAction::Deny,
            "Allow" => ArtifactAction::Allow,
            v => {
                return Err(XmlError::new(
                    a.value_span,
                    format!("Action `{}` is not one of `Deny`, `Allow`", shown(v)),
                ));
            }
        };
        let hash = match e.children_named("ArtifactHash").next() {
            None => None,
            Some(h) => {
                check_shape(h, &[], &["Hash"], &["Hash"])?;
                let hash = h
                    .children_named("Hash")
                    .next()
                    .ok_or_else(|| XmlError::new(h.span, "<ArtifactHash> has no <Hash>"))?;
                check_shape(
                    hash,
                    &[],
                    &["sha256", "sha384", "sha512"],
                    &["sha256", "sha384", "sha512"],
                )?;
                let [d] = hash.children.as_slice() else {
                    return Err(XmlError::new(
                        hash.span,
                        "<Hash> must hold exactly one of <sha256>, <sha384>, <sha512>",
                    ));
                };
                check_shape(d, &[], &[], &[])?;
                let alg = match &*d.name {
                    "sha256" => ArtifactHashAlg::Sha256,
                    "sha384" => ArtifactHashAlg::Sha384,
                    _ => ArtifactHashAlg::Sha512,
                };
                let at = self.at(Some(path), "hash");
                self.attr_spans(at, d);
                Some((alg, parse_text::<HexBytes>(d, "hexBinary digest")?))
            }
        };
        let version = |name: &str| e.attr(name).map(|a| parse_attr::<Version>(a, "version")).transpose();
        Ok(ArtifactRule {
            id: id_of(e, "ID")?,
            artifact_type,
            action,
            friendly_name: opt_string(e, "FriendlyName"),
            artifact_name: opt_string(e, "ArtifactName"),
            artifact_description: opt_string(e, "ArtifactDescription"),
            minimum_version: version("MinimumVersion")?,
            maximum_version: version("MaximumVersion")?,
            hash,
        })
    }

    fn signer(&mut self, path: Path, e: &Element) -> Result<Signer, XmlError> {
        check_shape(
            e,
            &["ID", "Name", "SignTimeAfter"],
            &[
                "CertRoot",
                "CertEKU",
                "CertIssuer",
                "CertPublisher",
                "CertOemID",
                "FileAttribRef",
                "ArtifactRuleRef",
            ],
            &["CertRoot", "CertIssuer", "CertPublisher", "CertOemID"],
        )?;
        self.attr_spans(path, e);
        let root_el = e
            .children_named("CertRoot")
            .next()
            .ok_or_else(|| XmlError::new(e.span, "<Signer> has no <CertRoot>; every signer needs one"))?;
        check_shape(root_el, &["Type", "Value"], &[], &[])?;
        let at = self.at(Some(path), "cert_root");
        self.attr_spans(at, root_el);
        let ty = required(root_el, "Type")?;
        let value_attr = required(root_el, "Value")?;
        let value = parse_attr::<HexBytes>(value_attr, "hexBinary value")?;
        let cert_root = match ty.value.as_str() {
            "TBS" => CertRoot::Tbs(value),
            "Wellknown" => match value.0.as_slice() {
                [b] => CertRoot::Wellknown(*b),
                _ => {
                    return Err(XmlError::new(
                        value_attr.value_span,
                        format!(
                            "a Wellknown CertRoot Value is one byte (e.g. `06`), found {} bytes",
                            value.len()
                        ),
                    ));
                }
            },
            v => {
                return Err(XmlError::new(
                    ty.value_span,
                    format!(
                        "CertRoot Type `{}` is not one of `TBS`, `Wellknown`{}",
                        shown(v),
                        did_you_mean(v, ["TBS", "Wellknown"])
                    ),
                ));
            }
        };
        let mut s = Signer::new(id_of(e, "ID")?, cert_root);
        s.name = opt_string(e, "Name");
        s.sign_time_after = e
            .attr("SignTimeAfter")
            .map(|a| parse_attr::<SignTime>(a, "xs:dateTime"))
            .transpose()?;
        let mut value_of = |name: &str, field: &'static str| -> Result<Option<String>, XmlError> {
            match e.children_named(name).next() {
                None => Ok(None),
                Some(c) => {
                    check_shape(c, &["Value"], &[], &[])?;
                    let at = self.at(Some(path), field);
                    self.attr_spans(at, c);
                    Ok(Some(required(c, "Value")?.value.clone()))
                }
            }
        };
        s.cert_issuer = value_of("CertIssuer", "cert_issuer")?;
        s.cert_publisher = value_of("CertPublisher", "cert_publisher")?;
        s.cert_oem_id = value_of("CertOemID", "cert_oem_id")?;
        for (i, c) in e.children_named("CertEKU").enumerate() {
            check_shape(c, &["ID", "Condition"], &[], &[])?;
            let at = self.at_item(Some(path), "cert_ekus", i);
            self.attr_spans(at, c);
            let condition = match c.attr("Condition") {
                None => None,
                Some(a) if a.value == "Except" => Some(EkuCondition::Except),
                Some(a) => {
                    return Err(XmlError::new(
                        a.value_span,
                        format!("CertEKU Condition `{}` is not `Except`", shown(&a.value)),
                    ));
                }
            };
            s.cert_ekus.push(CertEku {
                id: id_of(c, "ID")?,
                condition,
            });
        }
        for (i, c) in e.children_named("FileAttribRef").enumerate() {
            check_shape(c, &["RuleID"], &[], &[])?;
            let at = self.at_item(Some(path), "file_attrib_refs", i);
            self.attr_spans(at, c);
            s.file_attrib_refs.push(id_of(c, "RuleID")?);
        }
        for (i, c) in e.children_named("ArtifactRuleRef").enumerate() {
            check_shape(c, &["RuleID"], &[], &[])?;
            let at = self.at_item(Some(path), "artifact_rule_refs", i);
            self.attr_spans(at, c);
            s.artifact_rule_refs.push(id_of(c, "RuleID")?);
        }
        Ok(s)
    }

    fn scenario(&mut self, path: Path, e: &Element) -> Result<SigningScenario, XmlError> {
        const CHILDREN: &[&str] = &[
            "ProductSigners",
            "ArtifactSigners",
            "TestSigners",
            "TestSigningSigners",
            "AppIDTags",
        ];
        check_shape(
            e,
            &[
                "ID",
                "FriendlyName",
                "Value",
                "InheritedScenarios",
                "MinimumHashAlgorithm",
            ],
            CHILDREN,
            CHILDREN,
        )?;
        self.attr_spans(path, e);
        let value = parse_attr::<Num<u8>>(required(e, "Value")?, "scenario value (0-255)")?.0;
        let mut s = SigningScenario::new(id_of(e, "ID")?, value);
        s.friendly_name = opt_string(e, "FriendlyName");
        if let Some(a) = e.attr("InheritedScenarios") {
            s.inherited_scenarios = a
                .value
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(Id::from)
                .collect();
        }
        s.minimum_hash_algorithm = e
            .attr("MinimumHashAlgorithm")
            .map(|a| parse_attr::<Num<u16>>(a, "hash algorithm ID").map(|n| n.0))
            .transpose()?;
        if let Some(g) = e.children_named("ProductSigners").next() {
            let at = self.at(Some(path), "product_signers");
            s.product_signers = self.group(at, g, false)?.0;
        }
        if let Some(g) = e.children_named("TestSigners").next() {
            let at = self.at(Some(path), "test_signers");
            s.test_signers = self.group(at, g, false)?.0;
        }
        if let Some(g) = e.children_named("TestSigningSigners").next() {
            let at = self.at(Some(path), "test_signing_signers");
            s.test_signing_signers = self.group(at, g, false)?.0;
        }
        if let Some(g) = e.children_named("ArtifactSigners").next() {
            let at = self.at(Some(path), "artifact_signers");
            let (group, artifact_refs) = self.group(at, g, true)?;
            s.artifact_signers = ArtifactSignerGroup {
                allowed: group.allowed,
                denied: group.denied,
                artifact_rules_ref: artifact_refs,
            };
        }
        if let Some(t) = e.children_named("AppIDTags").next() {
            check_shape(t, &["EnforceDLL"], &["AppIDTag"], &[])?;
            let tags_at = self.at(Some(path), "app_id_tags");
            self.attr_spans(tags_at, t);
            let enforce_dll = match t.attr("EnforceDLL") {
                None => None,
                Some(a) => Some(parse_bool(&a.value).ok_or_else(|| {
                    XmlError::new(
                        a.value_span,
                        format!(
                            "EnforceDLL `{}` is not a boolean (`true`, `false`, `1`, `0`)",
                            shown(&a.value)
                        ),
                    )
                })?),
            };
            let mut tags = Vec::new();
            for (i, tag) in t.children.iter().enumerate() {
                check_shape(tag, &["Key", "Value"], &[], &[])?;
                let at = self.at_item(Some(tags_at), "tags", i);
                self.attr_spans(at, tag);
                tags.push((
                    required(tag, "Key")?.value.clone(),
                    required(tag, "Value")?.value.clone(),
                ));
            }
            s.app_id_tags = Some(AppIdTags { enforce_dll, tags });
        }
        Ok(s)
    }

    /// Reads a signer group; `artifact` selects `ArtifactRulesRef` instead of `FileRulesRef`.
    fn group(&mut self, path: Path, g: &Element, artifact: bool) -> Result<(SignerGroup, Vec<Id>), XmlError> {
        let refs_name = if artifact { "ArtifactRulesRef" } else { "FileRulesRef" };
        let children = ["AllowedSigners", "DeniedSigners", refs_name];
        check_shape(g, &[], &children, &children)?;
        self.attr_spans(path, g);
        let mut out = SignerGroup::default();
        let mut artifact_refs = Vec::new();
        if let Some(a) = g.children_named("AllowedSigners").next() {
            check_shape(a, &["Workaround"], &["AllowedSigner"], &[])?;
            for (i, s) in a.children.iter().enumerate() {
                check_shape(s, &["SignerId"], &["ExceptDenyRule"], &[])?;
                let p = self.at_item(Some(path), "allowed", i);
                self.attr_spans(p, s);
                let mut except = Vec::new();
                for (j, x) in s.children.iter().enumerate() {
                    check_shape(x, &["DenyRuleID"], &[], &[])?;
                    let at = self.at_item(Some(p), "except_deny_rules", j);
                    self.attr_spans(at, x);
                    except.push(id_of(x, "DenyRuleID")?);
                }
                out.allowed.push(AllowedSigner {
                    signer_id: id_of(s, "SignerId")?,
                    except_deny_rules: except,
                });
            }
        }
        if let Some(d) = g.children_named("DeniedSigners").next() {
            check_shape(d, &["Workaround"], &["DeniedSigner"], &[])?;
            for (i, s) in d.children.iter().enumerate() {
                check_shape(s, &["SignerId"], &["ExceptAllowRule"], &[])?;
                let p = self.at_item(Some(path), "denied", i);
                self.attr_spans(p, s);
                let mut except = Vec::new();
                for (j, x) in s.children.iter().enumerate() {
                    check_shape(x, &["AllowRuleID"], &[], &[])?;
                    let at = self.at_item(Some(p), "except_allow_rules", j);
                    self.attr_spans(at, x);
                    except.push(id_of(x, "AllowRuleID")?);
                }
                out.denied.push(DeniedSigner {
                    signer_id: id_of(s, "SignerId")?,
                    except_allow_rules: except,
                });
            }
        }
        if let Some(r) = g.children_named(refs_name).next() {
            let item = if artifact { "ArtifactRuleRef" } else { "FileRuleRef" };
            check_shape(r, &["Workaround"], &[item], &[])?;
            let field = if artifact {
                "artifact_rules_ref"
            } else {
                "file_rules_ref"
            };
            for (i, x) in r.children.iter().enumerate() {
                check_shape(x, &["RuleID"], &[], &[])?;
                let at = self.at_item(Some(path), field, i);
                self.attr_spans(at, x);
                let id = id_of(x, "RuleID")?;
                if artifact {
                    artifact_refs.push(id)
                } else {
                    out.file_rules_ref.push(id)
                }
            }
        }
        Ok((out, artifact_refs))
    }

    fn signer_refs(&mut self, el: Option<&Element>, item: &str, path: &'static str) -> Result<Vec<Id>, XmlError> {
        let Some(el) = el else { return Ok(Vec::new()) };
        check_shape(el, &[], &[item], &[])?;
        let list = self.at(None, path);
        self.attr_spans(list, el);
        let mut out = Vec::new();
        for (i, c) in el.children.iter().enumerate() {
            check_shape(c, &["SignerId"], &[], &[])?;
            let at = self.map.item(list, i);
            self.attr_spans(at, c);
            out.push(id_of(c, "SignerId")?);
        }
        Ok(out)
    }

    fn setting(&mut self, path: Path, e: &Element) -> Result<Setting, XmlError> {
        check_shape(e, &["Provider", "Key", "ValueName"], &["Value"], &["Value"])?;
        self.attr_spans(path, e);
        let v = e
            .children_named("Value")
            .next()
            .ok_or_else(|| XmlError::new(e.span, "<Setting> has no <Value>"))?;
        const TYPES: &[&str] = &["Boolean", "DWord", "Binary", "String"];
        check_shape(v, &[], TYPES, TYPES)?;
        let [t] = v.children.as_slice() else {
            return Err(XmlError::new(
                v.span,
                "<Value> must hold exactly one of <Boolean>, <DWord>, <Binary>, <String>",
            ));
        };
        check_shape(t, &[], &[], &[])?;
        let at = self.at(Some(path), "value");
        self.attr_spans(at, t);
        let value = match &*t.name {
            "Boolean" => SettingValue::Boolean(parse_bool(&t.text).ok_or_else(|| {
                XmlError::new(
                    t.text_span,
                    format!("<Boolean> `{}` is not an xs:boolean; use `true` or `false` (lower case: ConfigCI rejects `True`)", shown(t.text.trim())),
                )
            })?),
            "DWord" => SettingValue::DWord(parse_text::<Num<u32>>(t, "DWord")?.0),
            "Binary" => SettingValue::Binary(parse_text::<HexBytes>(t, "hexBinary value")?),
            _ => SettingValue::String(t.text.clone()),
        };
        Ok(Setting {
            provider: required(e, "Provider")?.value.clone(),
            key: required(e, "Key")?.value.clone(),
            value_name: required(e, "ValueName")?.value.clone(),
            value,
        })
    }

    fn app(&mut self, path: Path, e: &Element) -> Result<App, XmlError> {
        check_shape(e, &["Manifest"], &["Setting"], &[])?;
        self.attr_spans(path, e);
        let mut settings = Vec::new();
        for (i, s) in e.children.iter().enumerate() {
            check_shape(s, &["Name"], &["Value"], &[])?;
            let at = self.at_item(Some(path), "settings", i);
            self.attr_spans(at, s);
            let mut values = Vec::new();
            for v in &s.children {
                check_shape(v, &[], &[], &[])?;
                values.push(v.text.clone());
            }
            settings.push(AppSetting {
                name: opt_string(s, "Name"),
                values,
            });
        }
        Ok(App {
            manifest: required(e, "Manifest")?.value.clone(),
            settings,
        })
    }
}

/// Maps a parsed root element to a policy and the positions of its parts.
pub fn policy_from_tree(root: &Element) -> Result<(Policy, SourceMap), XmlError> {
    let mut r = Reader {
        map: SourceMap::with_capacity(root),
    };
    let p = r.policy(root)?;
    Ok((p, r.map))
}
