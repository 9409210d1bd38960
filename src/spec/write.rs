//! Policy to spec text: the rules of a policy's kernel and user scenarios as `[signers.*]`,
//! `[[allow]]` and `[[deny]]` entries that a spec can `include` or paste.
//!
//! This is the inverse of including an XML policy and goes through the same intermediate form
//! ([`super::load::import_policy`]), so a fragment contributes exactly what including the policy
//! would, and whatever an include refuses (test signers, exceptions, hot-patch attributes) is
//! refused here too. The text is read back with the spec's own parser before it is returned: the
//! writer never hands out a fragment the reader rejects.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::diag::SourceText;
use super::ir::*;
use super::names;
use crate::model::Policy;
use crate::model::roots::{KNOWN_EKUS, oid_from_eku_value};

/// Why a policy could not be written as spec entries: one message per rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the policy cannot be written as a spec: {}", .0.join("; "))]
pub struct FragmentError(pub Vec<String>);

/// The FriendlyName endings ConfigCI (and `cipolicy scan`) give generated rules. A reason says
/// which file a rule came from; which of its hashes a rule is, the hash itself shows.
const GENERATED_SUFFIXES: &[&str] = &[
    " Hash Page Sha256",
    " Hash Page Sha1",
    " Hash Sha256",
    " Hash Sha1",
    " FileAttribute",
    " FileRule",
];

/// A reason from a FriendlyName: generated endings removed, blank names dropped.
pub(super) fn reason_of(friendly_name: Option<&str>) -> Option<String> {
    let name = friendly_name?.trim_end();
    let r = GENERATED_SUFFIXES
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name)
        .trim();
    (!r.is_empty()).then(|| r.to_string())
}

/// One hash or several.
#[derive(Serialize)]
#[serde(untagged)]
enum Hashes {
    One(String),
    Many(Vec<String>),
}

/// An `[[allow]]`/`[[deny]]` entry as written; field order is the order keys appear in.
#[derive(Serialize, Default)]
struct RuleOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    signer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<Hashes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    internal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_version: Option<String>,
    scenarios: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// A `[signers.NAME]` table as written.
#[derive(Serialize)]
struct SignerOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    root: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tbs: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oem_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ekus: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sign_time_after: Option<String>,
}

#[derive(Serialize)]
struct FragmentOut {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    signers: BTreeMap<String, SignerOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allow: Vec<RuleOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    deny: Vec<RuleOut>,
}

/// The rules of `policy`'s kernel (131) and user (12) scenarios as spec text: a `[signers.*]`
/// table per distinct signer and one `[[allow]]`/`[[deny]]` entry per rule, with the scenarios it
/// applies to and its FriendlyName as `reason`. Rules that differ only in scenario are one entry;
/// hash rules with the same reason and scenarios (the up to four hashes of one file) are one
/// entry with a list. Options, settings, update signers and IDs are not part of a fragment.
///
/// Signer table names are the publisher's (or certificate's) name made lower-case, plus the
/// first 8 hex digits of the SHA-256 of the signer's content, so fragments from different scans
/// can be included side by side without clashes.
pub fn fragment(policy: &Policy) -> Result<String, FragmentError> {
    let mut errs = Vec::new();
    let entries = super::load::import_policy(policy, 0, &mut errs);
    if !errs.is_empty() {
        return Err(FragmentError(errs));
    }
    let entries = merge(entries, &mut errs);
    let mut out = FragmentOut {
        signers: BTreeMap::new(),
        allow: Vec::new(),
        deny: Vec::new(),
    };
    // Hash entries grouped by (action, scenarios, reason), at their first position.
    let mut hash_groups: BTreeMap<(Act, Vec<&'static str>, Option<String>), usize> = BTreeMap::new();
    for e in &entries {
        let scenarios: Vec<&'static str> = e.scenarios.iter().map(|s| s.name()).collect();
        let list = match e.act {
            Act::Allow => &mut out.allow,
            Act::Deny => &mut out.deny,
        };
        match &e.target {
            Target::File(m) => {
                let reason = e.reason.clone();
                if let Some(h) = hash_only(m) {
                    let key = (e.act, scenarios.clone(), reason.clone());
                    if let Some(&i) = hash_groups.get(&key) {
                        match &mut list[i].hash {
                            Some(Hashes::Many(v)) => v.push(h),
                            Some(Hashes::One(first)) => list[i].hash = Some(Hashes::Many(vec![first.clone(), h])),
                            None => {}
                        }
                        continue;
                    }
                    hash_groups.insert(key, list.len());
                    list.push(RuleOut {
                        hash: Some(Hashes::One(h)),
                        scenarios,
                        reason,
                        ..RuleOut::default()
                    });
                    continue;
                }
                if m.file_path.is_some() && e.scenarios.contains(&Scn::Kernel) {
                    errs.push(format!("{}: path rules cannot apply to kernel mode", m.describe()));
                    continue;
                }
                let mut r = rule_out(m, &mut errs);
                r.scenarios = scenarios;
                r.reason = reason;
                list.push(r);
            }
            Target::Signer { signer, attribs } => {
                let Some(table) = signer_table(signer, &mut out.signers, &mut errs) else {
                    continue;
                };
                let mut r = match attribs {
                    Some(a) => rule_out(a, &mut errs),
                    None => RuleOut::default(),
                };
                r.signer = Some(table);
                r.scenarios = scenarios;
                r.reason = e.reason.clone();
                list.push(r);
            }
        }
    }
    if !errs.is_empty() {
        return Err(FragmentError(errs));
    }
    let text = toml::to_string(&out).map_err(|e| FragmentError(vec![format!("cannot write TOML: {e}")]))?;
    check_reads_back(&text)?;
    Ok(text)
}

/// Joins rules that differ only in scenario (first reason kept) and refuses a rule that is both
/// allowed and denied, as the spec reader would.
fn merge(entries: Vec<Entry>, errs: &mut Vec<String>) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut index: BTreeMap<(Act, String), usize> = BTreeMap::new();
    for mut e in entries {
        e.reason = reason_of(e.reason.as_deref());
        let canon = e.target.canonical();
        match index.get(&(e.act, canon.clone())) {
            Some(&i) => {
                let kept = &mut out[i];
                kept.scenarios.extend(e.scenarios);
                if kept.reason.is_none() {
                    kept.reason = e.reason;
                }
            }
            None => {
                index.insert((e.act, canon), out.len());
                out.push(e);
            }
        }
    }
    for ((act, canon), &i) in &index {
        if *act == Act::Allow && index.contains_key(&(Act::Deny, canon.clone())) {
            errs.push(format!("{} is both allowed and denied", out[i].target.describe()));
        }
    }
    out
}

/// The hash of a rule that matches only a hash.
fn hash_only(m: &FileMatch) -> Option<String> {
    let h = m.hash.as_ref()?;
    let only = FileMatch {
        hash: Some(h.clone()),
        ..FileMatch::default()
    };
    (*m == only).then(|| h.to_hex())
}

fn rule_out(m: &FileMatch, errs: &mut Vec<String>) -> RuleOut {
    if m.app_ids.is_some() {
        errs.push(format!("{}: AppIDs cannot be written in a spec", m.describe()));
    }
    RuleOut {
        hash: m.hash.as_ref().map(|h| Hashes::One(h.to_hex())),
        path: m.file_path.clone(),
        package: m.package_family_name.clone(),
        package_version: m.package_version.map(|v| v.to_string()),
        file_name: m.file_name.clone(),
        internal_name: m.internal_name.clone(),
        file_description: m.file_description.clone(),
        product_name: m.product_name.clone(),
        min_version: m.min_version.map(|v| v.to_string()),
        max_version: m.max_version.map(|v| v.to_string()),
        ..RuleOut::default()
    }
}

/// Lower-case ASCII letters and digits, other runs as one `-`, at most 40 characters.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() { "signer".into() } else { out.into() }
}

/// The `[signers.NAME]` table for `def`, added to `tables` on first use.
fn signer_table(def: &SignerDef, tables: &mut BTreeMap<String, SignerOut>, errs: &mut Vec<String>) -> Option<String> {
    let k = &def.key;
    let canonical = k.canonical();
    let base = k.publisher.as_deref().or(k.oem_id.as_deref()).unwrap_or(&def.name);
    let table = format!(
        "{}-{}",
        slug(base),
        const_hex::encode(&Sha256::digest(canonical.as_bytes())[..4])
    );
    if tables.contains_key(&table) {
        return Some(table);
    }
    let (root, tbs, name) = match &k.root {
        Root::Wellknown(id) => {
            let Some(root) = names::root_name(*id) else {
                errs.push(format!(
                    "signer {}: well-known root {id:#04X} has no spec name",
                    def.name
                ));
                return None;
            };
            let name = (def.name != names::root_display_name(*id)).then(|| def.name.clone());
            (Some(root), None, name)
        }
        Root::Tbs(h) => (None, Some(const_hex::encode_upper(h)), Some(def.name.clone())),
    };
    let mut ekus = Vec::new();
    for e in &k.ekus {
        let Some(oid) = oid_from_eku_value(&e.value) else {
            errs.push(format!(
                "signer {}: EKU value {} is not an OID",
                def.name,
                const_hex::encode_upper(&e.value)
            ));
            return None;
        };
        ekus.push(match KNOWN_EKUS.iter().find(|x| x.oid == oid) {
            Some(known) => known.short.to_string(),
            None => oid,
        });
    }
    tables.insert(
        table.clone(),
        SignerOut {
            root,
            tbs,
            name,
            publisher: k.publisher.clone(),
            issuer: k.issuer.clone(),
            oem_id: k.oem_id.clone(),
            ekus,
            sign_time_after: k.sign_time_after.map(|t| crate::model::SignTime(t).to_string()),
        },
    );
    Some(table)
}

/// Reads the fragment back with the spec parser; any complaint is the writer's failure to
/// express a rule, reported with the offending line.
fn check_reads_back(text: &str) -> Result<(), FragmentError> {
    let src = SourceText::new("fragment", text);
    let mut diags = Vec::new();
    super::parse::parse_file(&src, 0, std::path::Path::new(""), &mut diags);
    if diags.is_empty() {
        return Ok(());
    }
    Err(FragmentError(
        diags
            .into_iter()
            .map(|d| match &d.snippet {
                Some((line, _)) => format!("{} (`{}`)", d.message, line.trim()),
                None => d.message,
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_lose_generated_suffixes() {
        assert_eq!(
            reason_of(Some(r"C:\a\b.exe Hash Page Sha256")).as_deref(),
            Some(r"C:\a\b.exe")
        );
        assert_eq!(reason_of(Some("b.exe FileAttribute")).as_deref(), Some("b.exe"));
        assert_eq!(reason_of(Some("Teams")).as_deref(), Some("Teams"));
        assert_eq!(reason_of(Some("  ")), None);
        assert_eq!(reason_of(Some(" FileRule")), None);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("WDAC Fixture PCA 2024"), "wdac-fixture-pca-2024");
        assert_eq!(slug("  --  "), "signer");
        assert_eq!(slug("Contoso, Ltd."), "contoso-ltd");
    }
}
