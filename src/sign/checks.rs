//! Checks made before signing: a signed policy that Windows cannot update, or that a machine
//! rejects at boot, is worse than none.

use std::fmt;

use super::keys::{self, SigningIdentity};
use super::matching::{MatchOutcome, SignerMatch, match_signers};
use crate::cert::{KeyKind, ParsedCert};
use crate::model::{OptionKind, Policy, PolicyType};

/// Key sizes Windows accepts for policy signing (anchors.md §3.3).
pub const ALLOWED_RSA_BITS: [usize; 3] = [2048, 3072, 4096];

/// The signer list a chain must match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerList {
    /// The policy's own `UpdatePolicySigners`.
    UpdatePolicySigners,
    /// The base policy's `SupplementalPolicySigners` (for a supplemental).
    BaseSupplementalPolicySigners,
}

impl fmt::Display for SignerList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignerList::UpdatePolicySigners => "UpdatePolicySigners",
            SignerList::BaseSupplementalPolicySigners => "base policy's SupplementalPolicySigners",
        })
    }
}

/// A reason not to sign.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// No decoded policy was given, so nothing could be checked.
    PolicyNotChecked,
    /// Option 6 (`Enabled:Unsigned System Integrity Policy`) is still set.
    UnsignedOptionSet,
    /// No signer of the list matches the certificate chain.
    NoMatchingSigner {
        /// Which list.
        list: SignerList,
        /// Each signer tried, with the reason it failed.
        tried: Vec<SignerMatch>,
    },
    /// The base policy does not allow supplementals (option 17 absent).
    BaseDisallowsSupplementals,
    /// The supplemental names another base.
    WrongBase {
        /// The supplemental's BasePolicyID.
        expected: String,
        /// The given base's PolicyID.
        found: String,
    },
    /// The certificate key is not RSA.
    KeyNotRsa {
        /// What it is.
        kind: String,
    },
    /// RSA, but not 2048, 3072 or 4096 bits.
    KeySize {
        /// Modulus bits.
        bits: usize,
    },
    /// The private key is not the certificate's.
    KeyMismatch,
}

impl Refusal {
    /// Whether `--force` may override it. A non-RSA certificate or a key that is not the
    /// certificate's cannot give a signature that verifies, and Windows rejects RSA keys of other
    /// sizes, so forcing those would only produce a file no machine loads.
    pub fn overridable(&self) -> bool {
        !matches!(
            self,
            Refusal::KeyNotRsa { .. } | Refusal::KeySize { .. } | Refusal::KeyMismatch
        )
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::PolicyNotChecked => write!(
                f,
                "the policy could not be decoded, so option 6 and the signer rules were not checked"
            ),
            Refusal::UnsignedOptionSet => write!(
                f,
                "option 6 `Enabled:Unsigned System Integrity Policy` is still set; remove it before signing"
            ),
            Refusal::NoMatchingSigner { list, tried } => {
                if tried.is_empty() {
                    return match list {
                        SignerList::UpdatePolicySigners => write!(
                            f,
                            "the policy has no UpdatePolicySigners: once deployed signed it could never be updated or removed"
                        ),
                        SignerList::BaseSupplementalPolicySigners => write!(
                            f,
                            "the base policy has no SupplementalPolicySigners: it accepts no signed supplemental"
                        ),
                    };
                }
                write!(f, "the certificate chain matches none of the {list}:")?;
                for t in tried {
                    let name = t.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
                    let why = match &t.outcome {
                        MatchOutcome::NoMatch { reason } => reason.clone(),
                        MatchOutcome::Unverifiable { reason } => format!("cannot be checked: {reason}"),
                        MatchOutcome::Missing => "not defined in <Signers>".into(),
                        MatchOutcome::Matched { .. } => "matched".into(),
                    };
                    write!(f, "\n    {}{name}: {why}", t.signer_id)?;
                }
                if tried
                    .iter()
                    .any(|t| matches!(t.outcome, MatchOutcome::Unverifiable { .. }))
                {
                    write!(
                        f,
                        "\n    (--force signs anyway when you know the chain ends at that well-known root)"
                    )?;
                }
                Ok(())
            }
            Refusal::BaseDisallowsSupplementals => write!(
                f,
                "the base policy lacks option 17 `Enabled:Allow Supplemental Policies`"
            ),
            Refusal::WrongBase { expected, found } => write!(
                f,
                "the supplemental's BasePolicyID is {expected} but the given base's PolicyID is {found}"
            ),
            Refusal::KeyNotRsa { kind } => write!(
                f,
                "the certificate key is {kind}; Windows accepts only RSA policy signatures"
            ),
            Refusal::KeySize { bits } => write!(f, "the RSA key has {bits} bits; Windows accepts 2048, 3072 or 4096"),
            Refusal::KeyMismatch => write!(f, "the private key does not belong to the certificate"),
        }
    }
}

/// The chain the signature will carry: the leaf then the given chain, for signer matching.
pub fn chain_of(id: &SigningIdentity) -> Vec<&ParsedCert> {
    std::iter::once(&id.cert).chain(id.chain.iter()).collect()
}

/// Every reason not to sign this policy with this identity (empty when it may be signed).
pub fn pre_sign(id: &SigningIdentity, policy: Option<&Policy>, base: Option<&Policy>) -> Vec<Refusal> {
    let mut out = Vec::new();
    match &id.cert.facts.key {
        KeyKind::Rsa { bits } => {
            if !ALLOWED_RSA_BITS.contains(bits) {
                out.push(Refusal::KeySize { bits: *bits });
            }
        }
        KeyKind::Ec => out.push(Refusal::KeyNotRsa {
            kind: "an elliptic-curve key".into(),
        }),
        KeyKind::Other { oid } => out.push(Refusal::KeyNotRsa {
            kind: format!("a key of algorithm {oid}"),
        }),
    }
    if matches!(id.cert.facts.key, KeyKind::Rsa { .. }) && !keys::key_matches_cert(&id.key, &id.cert) {
        out.push(Refusal::KeyMismatch);
    }
    let Some(policy) = policy else {
        out.push(Refusal::PolicyNotChecked);
        return out;
    };
    out.extend(policy_refusals(policy, base, &chain_of(id)));
    out
}

/// The policy-side refusals for a chain (leaf first).
pub fn policy_refusals(policy: &Policy, base: Option<&Policy>, chain: &[&ParsedCert]) -> Vec<Refusal> {
    let mut out = Vec::new();
    if policy.has_option(OptionKind::UnsignedSystemIntegrityPolicy) {
        out.push(Refusal::UnsignedOptionSet);
    }
    let own = match_signers(policy, &policy.update_policy_signers, chain);
    if !own.iter().any(SignerMatch::is_match) {
        out.push(Refusal::NoMatchingSigner {
            list: SignerList::UpdatePolicySigners,
            tried: own,
        });
    }
    if let Some(base) = base
        && policy.effective_type() == PolicyType::Supplemental
    {
        if let (Some(want), Some(have)) = (policy.base_policy_id, base.policy_id.or(base.policy_type_id))
            && want != have
        {
            out.push(Refusal::WrongBase {
                expected: want.to_string(),
                found: have.to_string(),
            });
        }
        if !base.has_option(OptionKind::AllowSupplementalPolicies) {
            out.push(Refusal::BaseDisallowsSupplementals);
        }
        let sup = match_signers(base, &base.supplemental_policy_signers, chain);
        if !sup.iter().any(SignerMatch::is_match) {
            out.push(Refusal::NoMatchingSigner {
                list: SignerList::BaseSupplementalPolicySigners,
                tried: sup,
            });
        }
    }
    out
}
