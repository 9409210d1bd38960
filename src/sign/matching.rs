//! Which `<Signer>` of a policy a signing chain satisfies, with the reason for each.
//!
//! Matching follows signer-rule semantics (validation.md §4.4): `CertRoot Type="TBS"` must equal
//! the TBS hash (by the certificate's own signature digest) of some certificate in the chain;
//! `CertPublisher`, when present, must equal the leaf's common name; `CertEKU`, when present,
//! must be on the leaf. Well-known roots name Windows' built-in roots and cannot be checked
//! without them.

use crate::cert::ParsedCert;
use crate::model::{CertRoot, EkuCondition, Id, Policy, roots};

/// The result of checking one signer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum MatchOutcome {
    /// The chain satisfies the signer.
    Matched {
        /// Index in the chain (0 = leaf) of the certificate whose TBS hash equals CertRoot.
        cert_index: usize,
        /// Its subject display name.
        cert_subject: String,
        /// The TBS hash that matched (upper-case hex).
        tbs_hash: String,
        /// CertPublisher that matched the leaf CN, when the signer has one.
        publisher: Option<String>,
        /// Parts of the signer that were not checked (CertIssuer, CertOemID).
        unchecked: Vec<String>,
    },
    /// `CertRoot Type="Wellknown"`: cannot be checked offline.
    Unverifiable {
        /// Why.
        reason: String,
    },
    /// The chain does not satisfy it.
    NoMatch {
        /// Why.
        reason: String,
    },
    /// The signer ID is not defined in `<Signers>`.
    Missing,
}

/// One signer checked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SignerMatch {
    /// The signer's ID.
    pub signer_id: String,
    /// Its `Name`, when the policy has one (binary policies have none).
    pub name: Option<String>,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: MatchOutcome,
}

impl SignerMatch {
    /// True when matched.
    pub fn is_match(&self) -> bool {
        matches!(self.outcome, MatchOutcome::Matched { .. })
    }
}

/// Checks each signer named in `ids` against a chain (leaf first).
pub fn match_signers(policy: &Policy, ids: &[Id], chain: &[&ParsedCert]) -> Vec<SignerMatch> {
    ids.iter()
        .map(|id| {
            let Some(signer) = policy.signer(id.as_str()) else {
                return SignerMatch {
                    signer_id: id.to_string(),
                    name: None,
                    outcome: MatchOutcome::Missing,
                };
            };
            SignerMatch {
                signer_id: id.to_string(),
                name: signer.name.clone(),
                outcome: match_one(policy, signer, chain),
            }
        })
        .collect()
}

fn match_one(policy: &Policy, signer: &crate::model::Signer, chain: &[&ParsedCert]) -> MatchOutcome {
    let Some(leaf) = chain.first() else {
        return MatchOutcome::NoMatch {
            reason: "no signer certificate".into(),
        };
    };
    let want = match &signer.cert_root {
        CertRoot::Wellknown(id) => {
            let name = roots::well_known_root(*id).map_or("an unknown root", |r| r.name);
            return MatchOutcome::Unverifiable {
                reason: format!(
                    "CertRoot is well-known root 0x{id:02X} ({name}); Windows' built-in roots are not available offline"
                ),
            };
        }
        CertRoot::Tbs(h) => h.to_hex().to_ascii_uppercase(),
    };
    let Some(cert_index) = chain
        .iter()
        .position(|c| c.facts.tbs_hash.as_deref() == Some(want.as_str()))
    else {
        return MatchOutcome::NoMatch {
            reason: format!("no certificate in the chain has TBS hash {want}"),
        };
    };
    if let Some(p) = &signer.cert_publisher
        && *p != leaf.facts.subject_name
    {
        return MatchOutcome::NoMatch {
            reason: format!(
                "TBS matches {} but CertPublisher `{p}` differs from the leaf's CN `{}`",
                chain[cert_index].facts.subject_name, leaf.facts.subject_name
            ),
        };
    }
    for ce in &signer.cert_ekus {
        let eku = policy.ekus.iter().find(|e| e.id == ce.id);
        let oid = eku.and_then(|e| {
            e.oid
                .clone()
                .or_else(|| e.value.as_ref().and_then(|v| roots::oid_from_eku_value(&v.0)))
        });
        let Some(oid) = oid else {
            return MatchOutcome::NoMatch {
                reason: format!("CertEKU `{}` names no EKU the policy defines", ce.id),
            };
        };
        let has = leaf.facts.ekus.contains(&oid);
        let except = ce.condition == Some(EkuCondition::Except);
        if has == except {
            return MatchOutcome::NoMatch {
                reason: if except {
                    format!("the leaf has EKU {oid}, which CertEKU excludes")
                } else {
                    format!("the leaf lacks EKU {oid} that CertEKU requires")
                },
            };
        }
    }
    let mut unchecked = Vec::new();
    if let Some(i) = &signer.cert_issuer {
        unchecked.push(format!("CertIssuer `{i}`"));
    }
    if let Some(o) = &signer.cert_oem_id {
        unchecked.push(format!("CertOemID `{o}`"));
    }
    MatchOutcome::Matched {
        cert_index,
        cert_subject: chain[cert_index].facts.subject_name.clone(),
        tbs_hash: want,
        publisher: signer.cert_publisher.clone(),
        unchecked,
    }
}
