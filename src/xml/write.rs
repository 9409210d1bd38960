//! Canonical SiPolicy XML writer.
//!
//! The canonical form: UTF-8 without BOM, LF line ends, two-space indent, an XML declaration,
//! root children in the schema's declaration order, attributes as `ID` first, then the naming
//! attribute (`FriendlyName`, or `Name` on signers), then the rest in schema declaration order;
//! `<Rules>`, `<EKUs>`, `<FileRules>`, `<Signers>`, `<SigningScenarios>`, `<UpdatePolicySigners>`
//! and `<CiSigners>` are always written (empty as `<X />`, as ConfigCI does), other containers only
//! when they hold something. Comments are not kept (the model has none; ConfigCI drops them too).
//! Hand-written rather than through an XML writer crate because every byte of the layout is
//! part of the output contract (snapshot tests and reviews diff it).

use std::fmt::Write as _;

use super::tree::NAMESPACE;
use crate::model::*;

struct Out {
    buf: String,
    depth: usize,
}

fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Attribute-value normalisation would turn these into spaces on reading.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Line-end normalisation would turn a bare CR into LF on reading.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

type Attrs<'a> = Vec<(&'static str, Option<String>)>;

impl Out {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.buf.push_str("  ");
        }
    }

    fn open_tag(&mut self, name: &str, attrs: &Attrs<'_>) {
        self.indent();
        self.buf.push('<');
        self.buf.push_str(name);
        for (k, v) in attrs {
            if let Some(v) = v {
                self.buf.push(' ');
                self.buf.push_str(k);
                self.buf.push_str("=\"");
                escape_attr(v, &mut self.buf);
                self.buf.push('"');
            }
        }
    }

    /// `<name attrs />`.
    fn empty(&mut self, name: &str, attrs: Attrs<'_>) {
        self.open_tag(name, &attrs);
        self.buf.push_str(" />\n");
    }

    /// `<name attrs>text</name>`.
    fn text(&mut self, name: &str, text: &str) {
        self.indent();
        let _ = write!(self.buf, "<{name}>");
        escape_text(text, &mut self.buf);
        let _ = writeln!(self.buf, "</{name}>");
    }

    /// `<name attrs>` + children + `</name>`, or `<name attrs />` when `body` writes nothing.
    fn element(&mut self, name: &str, attrs: Attrs<'_>, has_children: bool, body: impl FnOnce(&mut Out)) {
        self.open_tag(name, &attrs);
        if !has_children {
            self.buf.push_str(" />\n");
            return;
        }
        self.buf.push_str(">\n");
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.buf, "</{name}>");
    }
}

fn s(v: &Option<String>) -> Option<String> {
    v.clone()
}

fn v(v: &Option<Version>) -> Option<String> {
    v.map(|v| v.to_string())
}

fn id(i: &Id) -> Option<String> {
    Some(i.0.clone())
}

/// Writes a policy as canonical SiPolicy XML.
pub fn write(p: &Policy) -> String {
    let mut o = Out {
        buf: String::with_capacity(4096),
        depth: 0,
    };
    o.buf.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let root_attrs = vec![
        ("xmlns", Some(NAMESPACE.to_string())),
        ("FriendlyName", s(&p.friendly_name)),
        ("PolicyType", p.policy_type.map(|t| t.as_str().to_string())),
    ];
    o.element("SiPolicy", root_attrs, true, |o| {
        o.text("VersionEx", &p.version_ex.to_string());
        for (name, g) in [
            ("PolicyTypeID", p.policy_type_id),
            ("PlatformID", p.platform_id),
            ("PolicyID", p.policy_id),
            ("BasePolicyID", p.base_policy_id),
        ] {
            if let Some(g) = g {
                o.text(name, &g.to_string());
            }
        }
        o.element("Rules", vec![], !p.rules.is_empty(), |o| {
            for r in &p.rules {
                o.element("Rule", vec![], true, |o| o.text("Option", r.text()));
            }
        });
        o.element("EKUs", vec![], !p.ekus.is_empty(), |o| {
            for e in &p.ekus {
                o.empty(
                    "EKU",
                    vec![
                        ("ID", id(&e.id)),
                        ("FriendlyName", s(&e.friendly_name)),
                        ("Value", e.value.as_ref().map(HexBytes::to_hex)),
                        ("OID", s(&e.oid)),
                    ],
                );
            }
        });
        o.element("FileRules", vec![], !p.file_rules.is_empty(), |o| {
            for r in &p.file_rules {
                file_rule(o, r);
            }
        });
        if !p.artifact_rules.is_empty() {
            o.element("ArtifactRules", vec![], true, |o| {
                for r in &p.artifact_rules {
                    artifact_rule(o, r);
                }
            });
        }
        o.element("Signers", vec![], !p.signers.is_empty(), |o| {
            for sg in &p.signers {
                signer(o, sg);
            }
        });
        o.element("SigningScenarios", vec![], !p.signing_scenarios.is_empty(), |o| {
            for sc in &p.signing_scenarios {
                scenario(o, sc);
            }
        });
        signer_refs(
            o,
            "UpdatePolicySigners",
            "UpdatePolicySigner",
            &p.update_policy_signers,
            true,
        );
        signer_refs(o, "CiSigners", "CiSigner", &p.ci_signers, true);
        if let Some(h) = p.hvci_options {
            o.text("HvciOptions", &h.to_string());
        }
        if !p.settings.is_empty() {
            o.element("Settings", vec![], true, |o| {
                for st in &p.settings {
                    setting(o, st);
                }
            });
        }
        if !p.macros.is_empty() {
            o.element("Macros", vec![], true, |o| {
                for m in &p.macros {
                    o.empty(
                        "Macro",
                        vec![("Id", Some(m.id.clone())), ("Value", Some(m.value.clone()))],
                    );
                }
            });
        }
        signer_refs(
            o,
            "SupplementalPolicySigners",
            "SupplementalPolicySigner",
            &p.supplemental_policy_signers,
            false,
        );
        if !p.app_settings.is_empty() {
            o.element("AppSettings", vec![], true, |o| {
                for app in &p.app_settings {
                    o.element(
                        "App",
                        vec![("Manifest", Some(app.manifest.clone()))],
                        !app.settings.is_empty(),
                        |o| {
                            for st in &app.settings {
                                o.element("Setting", vec![("Name", s(&st.name))], !st.values.is_empty(), |o| {
                                    for val in &st.values {
                                        o.text("Value", val);
                                    }
                                });
                            }
                        },
                    );
                }
            });
        }
    });
    o.buf
}

fn file_rule(o: &mut Out, r: &FileRule) {
    let mut attrs: Attrs<'_> = vec![
        ("ID", id(&r.id)),
        ("FriendlyName", s(&r.friendly_name)),
        ("FileName", s(&r.file_name)),
        ("InternalName", s(&r.internal_name)),
        ("FileDescription", s(&r.file_description)),
        ("ProductName", s(&r.product_name)),
        ("PackageFamilyName", s(&r.package_family_name)),
        ("PackageVersion", v(&r.package_version)),
        ("MinimumFileVersion", v(&r.minimum_file_version)),
        ("MaximumFileVersion", v(&r.maximum_file_version)),
        ("Hash", r.hash.as_ref().map(HexBytes::to_hex)),
        ("AppIDs", s(&r.app_ids)),
        ("FilePath", s(&r.file_path)),
        (
            "RequireHotpatchID",
            r.hotpatch.require_hotpatch_id.as_ref().and_then(id),
        ),
        (
            "MinimumHotpatchSequence",
            r.hotpatch.minimum_sequence.map(|n| n.to_string()),
        ),
        (
            "MaximumHotpatchSequence",
            r.hotpatch.maximum_sequence.map(|n| n.to_string()),
        ),
    ];
    if let FileRuleKind::Generic(t) = r.kind {
        attrs.push(("Type", Some(t.as_str().to_string())));
    }
    o.empty(r.kind.element(), attrs);
}

fn artifact_rule(o: &mut Out, r: &ArtifactRule) {
    let attrs = vec![
        ("ID", id(&r.id)),
        ("FriendlyName", s(&r.friendly_name)),
        (
            "ArtifactType",
            Some(
                match r.artifact_type {
                    ArtifactType::Cim => "CIM",
                    ArtifactType::Catalog => "Catalog",
                }
                .to_string(),
            ),
        ),
        (
            "Action",
            Some(
                match r.action {
                    ArtifactAction::Deny => "Deny",
                    ArtifactAction::Allow => "Allow",
                }
                .to_string(),
            ),
        ),
        ("ArtifactName", s(&r.artifact_name)),
        ("ArtifactDescription", s(&r.artifact_description)),
        ("MinimumVersion", v(&r.minimum_version)),
        ("MaximumVersion", v(&r.maximum_version)),
    ];
    o.element("ArtifactRule", attrs, r.hash.is_some(), |o| {
        if let Some((alg, bytes)) = &r.hash {
            o.element("ArtifactHash", vec![], true, |o| {
                o.element("Hash", vec![], true, |o| o.text(alg.element(), &bytes.to_hex()));
            });
        }
    });
}

fn signer(o: &mut Out, sg: &Signer) {
    let attrs = vec![
        ("ID", id(&sg.id)),
        ("Name", s(&sg.name)),
        ("SignTimeAfter", sg.sign_time_after.map(|t| t.to_string())),
    ];
    o.element("Signer", attrs, true, |o| {
        let (ty, value) = match &sg.cert_root {
            CertRoot::Tbs(h) => ("TBS", h.to_hex()),
            CertRoot::Wellknown(b) => ("Wellknown", format!("{b:02X}")),
        };
        o.empty("CertRoot", vec![("Type", Some(ty.to_string())), ("Value", Some(value))]);
        for e in &sg.cert_ekus {
            o.empty(
                "CertEKU",
                vec![
                    ("ID", id(&e.id)),
                    ("Condition", e.condition.map(|_| "Except".to_string())),
                ],
            );
        }
        for (name, val) in [
            ("CertIssuer", &sg.cert_issuer),
            ("CertPublisher", &sg.cert_publisher),
            ("CertOemID", &sg.cert_oem_id),
        ] {
            if let Some(val) = val {
                o.empty(name, vec![("Value", Some(val.clone()))]);
            }
        }
        for r in &sg.file_attrib_refs {
            o.empty("FileAttribRef", vec![("RuleID", id(r))]);
        }
        for r in &sg.artifact_rule_refs {
            o.empty("ArtifactRuleRef", vec![("RuleID", id(r))]);
        }
    });
}

fn signer_lists(o: &mut Out, allowed: &[AllowedSigner], denied: &[DeniedSigner]) {
    if !allowed.is_empty() {
        o.element("AllowedSigners", vec![], true, |o| {
            for a in allowed {
                o.element(
                    "AllowedSigner",
                    vec![("SignerId", id(&a.signer_id))],
                    !a.except_deny_rules.is_empty(),
                    |o| {
                        for x in &a.except_deny_rules {
                            o.empty("ExceptDenyRule", vec![("DenyRuleID", id(x))]);
                        }
                    },
                );
            }
        });
    }
    if !denied.is_empty() {
        o.element("DeniedSigners", vec![], true, |o| {
            for d in denied {
                o.element(
                    "DeniedSigner",
                    vec![("SignerId", id(&d.signer_id))],
                    !d.except_allow_rules.is_empty(),
                    |o| {
                        for x in &d.except_allow_rules {
                            o.empty("ExceptAllowRule", vec![("AllowRuleID", id(x))]);
                        }
                    },
                );
            }
        });
    }
}

fn group(o: &mut Out, name: &str, g: &SignerGroup, always: bool) {
    if g.is_empty() && !always {
        return;
    }
    o.element(name, vec![], !g.is_empty(), |o| {
        signer_lists(o, &g.allowed, &g.denied);
        if !g.file_rules_ref.is_empty() {
            o.element("FileRulesRef", vec![], true, |o| {
                for r in &g.file_rules_ref {
                    o.empty("FileRuleRef", vec![("RuleID", id(r))]);
                }
            });
        }
    });
}

fn scenario(o: &mut Out, sc: &SigningScenario) {
    let inherited = (!sc.inherited_scenarios.is_empty()).then(|| {
        sc.inherited_scenarios
            .iter()
            .map(|i| i.0.as_str())
            .collect::<Vec<_>>()
            .join(",")
    });
    let attrs = vec![
        ("ID", id(&sc.id)),
        ("FriendlyName", s(&sc.friendly_name)),
        ("Value", Some(sc.value.to_string())),
        ("InheritedScenarios", inherited),
        ("MinimumHashAlgorithm", sc.minimum_hash_algorithm.map(|h| h.to_string())),
    ];
    o.element("SigningScenario", attrs, true, |o| {
        group(o, "ProductSigners", &sc.product_signers, true);
        let a = &sc.artifact_signers;
        if !a.is_empty() {
            o.element("ArtifactSigners", vec![], true, |o| {
                signer_lists(o, &a.allowed, &a.denied);
                if !a.artifact_rules_ref.is_empty() {
                    o.element("ArtifactRulesRef", vec![], true, |o| {
                        for r in &a.artifact_rules_ref {
                            o.empty("ArtifactRuleRef", vec![("RuleID", id(r))]);
                        }
                    });
                }
            });
        }
        group(o, "TestSigners", &sc.test_signers, false);
        group(o, "TestSigningSigners", &sc.test_signing_signers, false);
        if let Some(t) = &sc.app_id_tags {
            let attrs = vec![("EnforceDLL", t.enforce_dll.map(|b| b.to_string()))];
            o.element("AppIDTags", attrs, !t.tags.is_empty(), |o| {
                for (k, val) in &t.tags {
                    o.empty("AppIDTag", vec![("Key", Some(k.clone())), ("Value", Some(val.clone()))]);
                }
            });
        }
    });
}

fn signer_refs(o: &mut Out, outer: &str, inner: &str, ids: &[Id], always: bool) {
    if ids.is_empty() && !always {
        return;
    }
    o.element(outer, vec![], !ids.is_empty(), |o| {
        for i in ids {
            o.empty(inner, vec![("SignerId", id(i))]);
        }
    });
}

fn setting(o: &mut Out, st: &Setting) {
    let attrs = vec![
        ("Provider", Some(st.provider.clone())),
        ("Key", Some(st.key.clone())),
        ("ValueName", Some(st.value_name.clone())),
    ];
    o.element("Setting", attrs, true, |o| {
        o.element("Value", vec![], true, |o| {
            let text = match &st.value {
                SettingValue::Boolean(b) => b.to_string(),
                SettingValue::DWord(d) => d.to_string(),
                SettingValue::Binary(b) => b.to_hex(),
                SettingValue::String(t) => t.clone(),
            };
            o.text(st.value.type_name(), &text);
        });
    });
}
