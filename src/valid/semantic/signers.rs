//! Signers and EKUs (§3.9) and limits (§3.10).

use super::{Ctx, group_path};
use crate::model::roots::{eku_value_from_oid, oid_from_eku_value, well_known_root};
use crate::model::{Action, CertRoot, Eku, Policy, SCENARIO_USER, Signer};
use crate::valid::codes::Code;

/// The Windows Store EKU.
const STORE_EKU: &str = "1.3.6.1.4.1.311.76.3.1";

/// The dotted OID an EKU stands for, if it can be told.
pub fn eku_oid(e: &Eku) -> Option<String> {
    e.value
        .as_ref()
        .and_then(|v| oid_from_eku_value(&v.0))
        .or_else(|| e.oid.clone())
}

/// EKU OIDs a signer requires (`Condition="Except"` ones excluded), resolved through the policy.
pub fn required_ekus(p: &Policy, s: &Signer) -> Vec<Option<String>> {
    s.cert_ekus
        .iter()
        .filter(|c| c.condition.is_none())
        .map(|c| p.ekus.iter().find(|e| e.id == c.id).and_then(eku_oid))
        .collect()
}

pub fn check(cx: &mut Ctx<'_>) {
    let p = cx.p;
    for (i, s) in p.signers.iter().enumerate() {
        let root_path = format!("signers[{i}].cert_root@Value");
        match &s.cert_root {
            CertRoot::Wellknown(id) => {
                if well_known_root(*id).is_none() {
                    cx.emit_help(
                        Code::SG009,
                        &root_path,
                        format!("well-known root {id:#04X} is not in the known table"),
                        "known well-known roots are 03 to 16",
                    );
                }
            }
            CertRoot::Tbs(v) => {
                if ![16, 20, 32, 48, 64].contains(&v.len()) {
                    cx.emit_help(
                        Code::SG002,
                        &root_path,
                        format!("the TBS hash is {} bytes", v.len()),
                        "a TBS hash is the MD5 (16), SHA-1 (20), SHA-256 (32), SHA-384 (48) or SHA-512 (64) digest of the certificate's to-be-signed part",
                    );
                }
            }
        }
        if !cx.schema_ran && s.cert_ekus.len() > 255 {
            cx.emit(
                Code::LM001,
                &format!("signers[{i}]"),
                format!("{} CertEKUs; a signer may have at most 255", s.cert_ekus.len()),
            );
        }
        if let (Some(t), Some(now)) = (s.sign_time_after, cx.opts.now)
            && t > now
        {
            cx.emit(
                Code::SG008,
                &format!("signers[{i}]@SignTimeAfter"),
                format!("SignTimeAfter {t} is later than the reference time {now}: nothing signed so far matches"),
            );
        }
    }
    for (i, e) in p.ekus.iter().enumerate() {
        let path = format!("ekus[{i}]");
        let from_value = e.value.as_ref().map(|v| oid_from_eku_value(&v.0));
        match (&from_value, &e.oid) {
            (None, None) => cx.emit(Code::SG003, &path, format!("EKU `{}` has neither Value nor OID", e.id)),
            (Some(None), _) => cx.emit_help(
                Code::SG003,
                &format!("{path}@Value"),
                format!(
                    "EKU Value `{}` is not `01`, a length byte and a DER OID body",
                    e.value.as_ref().map(|v| v.to_hex()).unwrap_or_default()
                ),
                "e.g. the Code Signing EKU 1.3.6.1.5.5.7.3.3 is 01082B06010505070303",
            ),
            (Some(Some(v)), Some(oid)) if v != oid => cx.emit(
                Code::SG003,
                &format!("{path}@OID"),
                format!("EKU OID `{oid}` disagrees with its Value, which encodes {v}"),
            ),
            (None, Some(oid)) if eku_value_from_oid(oid).is_none() => cx.emit(
                Code::SG003,
                &format!("{path}@OID"),
                format!("EKU OID `{oid}` is not a dotted OID"),
            ),
            _ => {}
        }
    }

    // SG005: packaged-app rules mixed with a Store signer in user mode.
    let pfn_rule = p
        .file_rules
        .iter()
        .position(|r| r.package_family_name.is_some() && r.kind.action() == Action::Allow);
    if let Some(first) = pfn_rule {
        let store_signer = p
            .signing_scenarios
            .iter()
            .filter(|s| s.value == SCENARIO_USER)
            .flat_map(|s| s.product_signers.allowed.iter())
            .filter_map(|a| p.signer(a.signer_id.as_str()))
            .find(|s| required_ekus(p, s).iter().any(|o| o.as_deref() == Some(STORE_EKU)));
        if let Some(s) = store_signer {
            cx.emit_help(
                Code::SG005,
                &format!("file_rules[{first}]"),
                format!(
                    "PackageFamilyName rules and the Store signer `{}` both allow packaged apps",
                    s.id
                ),
                "once any PFN rule exists, every packaged app (inbox apps too) must be allowed by PFN",
            );
        }
    }

    // Limits.
    if p.ekus.len() > 255 {
        cx.emit(
            Code::LM001,
            "ekus",
            format!("{} EKUs; a policy may have at most 255", p.ekus.len()),
        );
    }
    if p.signing_scenarios.len() > 255 {
        cx.emit(
            Code::LM001,
            "signing_scenarios",
            format!("{} signing scenarios; at most 255", p.signing_scenarios.len()),
        );
    }
    if p.settings.len() > 65535 {
        cx.emit(
            Code::LM001,
            "settings",
            format!("{} settings; at most 65535", p.settings.len()),
        );
    }
    if !cx.schema_ran {
        if p.rules.len() > 65535 {
            cx.emit(
                Code::LM001,
                "rules",
                format!("{} rule options; at most 65535", p.rules.len()),
            );
        }
        for (i, s) in p.signing_scenarios.iter().enumerate() {
            if let Some(t) = &s.app_id_tags
                && t.tags.len() > 65535
            {
                cx.emit(
                    Code::LM001,
                    &format!("signing_scenarios[{i}].app_id_tags"),
                    format!("{} AppIDTags; at most 65535", t.tags.len()),
                );
            }
        }
    }
    for (i, s) in p.signing_scenarios.iter().enumerate() {
        for (g, group) in s.groups().into_iter().enumerate() {
            if group.denied.len() > 255 {
                cx.emit(
                    Code::LM002,
                    &group_path(i, g),
                    format!(
                        "{} DeniedSigners in one group; more than 255 is reported to make ConfigCI fail",
                        group.denied.len()
                    ),
                );
            }
        }
    }
}
