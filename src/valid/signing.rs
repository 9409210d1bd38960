//! Layer 3: what signing, and replacing a signed policy, needs (§4).
//!
//! A signer rule matches a certificate chain the way file signers do (§4.4): `CertRoot` TBS equals
//! the TBS hash of a certificate in the chain, `CertPublisher` (if any) equals the leaf's common
//! name, and every `CertEKU` (without `Condition="Except"`) is on the leaf. Well-known roots are
//! Microsoft's and cannot be checked offline. `CertIssuer` and `CertOemID` are not compared: what
//! Windows does with them for policy signers is not public.

use super::codes::Code;
use super::finding::{Finding, Location};
use super::semantic::Ctx;
use super::semantic::signers::required_ekus;
use crate::cert::{CertError, CertFacts, KeyKind, pem_or_der_to_der};
use crate::model::{CertRoot, Id, OptionKind, Policy, PolicyType, Signer};

const CODE_SIGNING_EKU: &str = "1.3.6.1.5.5.7.3.3";

/// A certificate chain given with `--cert`: the leaf that will sign, and any intermediates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertChain {
    /// Every certificate in the file, in file order.
    pub certs: Vec<CertFacts>,
    /// Index of the leaf: the certificate that issued none of the others.
    pub leaf: usize,
}

impl CertChain {
    /// Reads a DER certificate, or every `CERTIFICATE` block of a PEM file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CertError> {
        let mut certs = Vec::new();
        let is_pem = bytes.windows(10).any(|w| w == b"-----BEGIN");
        if is_pem {
            for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
                let pem = pem.map_err(|e| CertError(e.to_string()))?;
                if pem.label == "CERTIFICATE" {
                    certs.push(CertFacts::from_der(&pem.contents)?);
                }
            }
            if certs.is_empty() {
                return Err(CertError("the PEM file holds no CERTIFICATE block".into()));
            }
        } else {
            certs.push(CertFacts::from_der(&pem_or_der_to_der(bytes)?)?);
        }
        let leaf = (0..certs.len())
            .find(|&i| {
                !certs
                    .iter()
                    .enumerate()
                    .any(|(j, c)| j != i && c.issuer_dn == certs[i].subject_dn && !c.self_issued)
            })
            .unwrap_or(0);
        Ok(CertChain { certs, leaf })
    }

    /// The signing certificate.
    pub fn leaf(&self) -> &CertFacts {
        &self.certs[self.leaf]
    }
}

/// Whether a signer rule matches a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// It matches.
    Yes,
    /// It does not, and why.
    No(String),
    /// Cannot be told offline (well-known root).
    Unknown(String),
}

/// Matches one signer rule of `p` against a chain.
pub fn signer_matches(p: &Policy, s: &Signer, chain: &CertChain) -> Match {
    let leaf = chain.leaf();
    match &s.cert_root {
        CertRoot::Wellknown(id) => {
            return Match::Unknown(format!(
                "`{}` trusts well-known root {id:#04X}, which only Microsoft issues from",
                s.id
            ));
        }
        CertRoot::Tbs(v) => {
            let want = v.to_hex();
            if !chain
                .certs
                .iter()
                .any(|c| c.tbs_hash.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&want)))
            {
                return Match::No(format!("`{}`: no certificate in the chain has TBS hash {want}", s.id));
            }
        }
    }
    if let Some(publisher) = &s.cert_publisher
        && *publisher != leaf.subject_name
    {
        return Match::No(format!(
            "`{}`: CertPublisher `{publisher}` is not the leaf's name `{}`",
            s.id, leaf.subject_name
        ));
    }
    for oid in required_ekus(p, s) {
        match oid {
            None => return Match::No(format!("`{}`: requires an EKU that cannot be resolved", s.id)),
            Some(o) if !leaf.ekus.contains(&o) => {
                return Match::No(format!("`{}`: the leaf lacks the required EKU {o}", s.id));
            }
            Some(_) => {}
        }
    }
    Match::Yes
}

/// Matches a list of signer IDs; returns the mismatch reasons when none matches.
fn any_matches(p: &Policy, ids: &[Id], chain: &CertChain) -> Result<(), Vec<String>> {
    let mut why = Vec::new();
    for id in ids {
        match p.signer(id.as_str()) {
            None => why.push(format!("`{id}`: no such signer")),
            Some(s) => match signer_matches(p, s, chain) {
                Match::Yes => return Ok(()),
                Match::No(r) | Match::Unknown(r) => why.push(r),
            },
        }
    }
    Err(why)
}

fn usable(s: &Signer) -> bool {
    match &s.cert_root {
        CertRoot::Tbs(v) => [16, 20, 32, 48, 64].contains(&v.len()),
        CertRoot::Wellknown(id) => crate::model::roots::well_known_root(*id).is_some(),
    }
}

fn cert_name(chain: &CertChain) -> String {
    format!("`{}`", chain.leaf().subject_name)
}

pub(crate) fn check(cx: &mut Ctx<'_>) {
    let p = cx.p;
    if p.is_signed()
        && !p.update_policy_signers.is_empty()
        && !p
            .update_policy_signers
            .iter()
            .any(|id| p.signer(id.as_str()).is_some_and(usable))
    {
        cx.emit_help(
            Code::SN001,
            "update_policy_signers",
            "no UpdatePolicySigner names an existing signer with a usable root, so no certificate can sign updates",
            "an update signer needs a CertRoot TBS hash of 16, 20, 32, 48 or 64 bytes, or a known well-known root",
        );
    }

    let Some(chain) = &cx.opts.cert else {
        previous(cx, None);
        return;
    };
    let leaf = chain.leaf();
    match leaf.key {
        KeyKind::Rsa { bits } if [2048, 3072, 4096].contains(&bits) => {}
        ref k => {
            let what = match k {
                KeyKind::Rsa { bits } => format!("an RSA {bits}-bit key"),
                KeyKind::Ec => "an elliptic-curve key".to_string(),
                KeyKind::Other { oid } => format!("a key of algorithm {oid}"),
            };
            cx.out.push(
                Finding::new(
                    Code::SN003,
                    Location::Input,
                    format!(
                        "--cert {} has {what}; policy signing needs RSA 2048, 3072 or 4096",
                        cert_name(chain)
                    ),
                )
                .with_help("Windows fails to boot with a policy signed by another key type"),
            );
        }
    }
    if !leaf.ekus.iter().any(|e| e == CODE_SIGNING_EKU) {
        cx.out.push(Finding::new(
            Code::SN004,
            Location::Input,
            format!(
                "--cert {} has no Code Signing EKU ({CODE_SIGNING_EKU}); Microsoft's recipe includes it",
                cert_name(chain)
            ),
        ));
    }
    if let Err(why) = any_matches(p, &p.update_policy_signers, chain) {
        let msg = if p.update_policy_signers.is_empty() {
            format!(
                "--cert {} cannot sign this policy: it has no UpdatePolicySigners",
                cert_name(chain)
            )
        } else {
            format!("--cert {} satisfies none of the UpdatePolicySigners", cert_name(chain))
        };
        cx.emit_help(Code::SN002, "update_policy_signers", msg, why.join("; "));
    }
    match p.effective_type() {
        PolicyType::Supplemental => {
            if let Some(base) = &cx.opts.base
                && let Err(why) = any_matches(base, &base.supplemental_policy_signers, chain)
            {
                cx.emit_help(
                    Code::SN005,
                    "base_policy_id",
                    format!(
                        "--cert {} satisfies none of the --base policy's SupplementalPolicySigners, so the base will not accept this supplemental",
                        cert_name(chain)
                    ),
                    if why.is_empty() {
                        "the base has no SupplementalPolicySigners".to_string()
                    } else {
                        why.join("; ")
                    },
                );
            }
        }
        PolicyType::Base => {
            if p.has_option(OptionKind::AllowSupplementalPolicies)
                && !p.supplemental_policy_signers.is_empty()
                && any_matches(p, &p.supplemental_policy_signers, chain).is_err()
            {
                cx.emit(
                    Code::SN006,
                    "supplemental_policy_signers",
                    format!(
                        "--cert {} satisfies none of the SupplementalPolicySigners: supplementals must be signed with another certificate",
                        cert_name(chain)
                    ),
                );
            }
        }
        PolicyType::AppIdTagging => {}
    }
    previous(cx, Some(chain));
}

/// SN007–SN009: replacing `--previous`.
fn previous(cx: &mut Ctx<'_>, chain: Option<&CertChain>) {
    let Some(prev) = &cx.opts.previous else { return };
    let p = cx.p;
    if p.version_ex < prev.version_ex {
        cx.emit_help(
            Code::SN007,
            "version_ex",
            format!(
                "VersionEx {} is lower than the previous policy's {}",
                p.version_ex, prev.version_ex
            ),
            "a signed replacement with a lower version fails to boot; raise VersionEx",
        );
    }
    if prev.policy_id != p.policy_id || prev.policy_type_id != p.policy_type_id {
        let show = |q: &Policy| {
            q.policy_id
                .or(q.policy_type_id)
                .map(|g| g.to_string())
                .unwrap_or_else(|| "(none)".into())
        };
        cx.emit(
            Code::SN008,
            "policy_id",
            format!(
                "PolicyID {} differs from the previous policy's {}: this is a new policy, not a replacement",
                show(p),
                show(prev)
            ),
        );
    }
    if let Some(chain) = chain
        && prev.is_signed()
        && let Err(why) = any_matches(prev, &prev.update_policy_signers, chain)
    {
        cx.emit_help(
            Code::SN009,
            "update_policy_signers",
            format!(
                "--cert {} satisfies none of the previous policy's UpdatePolicySigners: Windows will not apply this update",
                cert_name(chain)
            ),
            if why.is_empty() {
                "the previous policy has no UpdatePolicySigners".to_string()
            } else {
                why.join("; ")
            },
        );
    }
}
