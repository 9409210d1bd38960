//! CMS SignedData (`.p7b`) around binary policies: unwrap, sign, verify.
//!
//! A signed policy is a DER `ContentInfo` holding `signedData` **version 1** whose encapsulated
//! content (eContentType `1.3.6.1.4.1.311.79.1`) is the raw `.cip` bytes, with one SignerInfo
//! (issuerAndSerialNumber, RSA PKCS#1 v1.5, signed attributes contentType + messageDigest).
//! Microsoft's own signed driver policy has exactly this shape, with `rsaEncryption` as the
//! SignerInfo signature algorithm and no signingTime; the version must be 1 although RFC 5652
//! (and OpenSSL, and the `cms` builder) would write 3 for this content type.
//!
//! Security notes: verification uses public keys only. Signing uses `rsa`'s default signer,
//! which blinds the private-key operation with OS randomness (the output stays deterministic,
//! PKCS#1 v1.5 has no random input); RUSTSEC-2023-0071 (Marvin, a timing side channel in RSA
//! private-key operations, exploitable by someone who can time many of them) does not reach an
//! offline command run once per policy.
//!
//! This module never parses XML or binary policies: callers decode the policy with the
//! format modules and pass the [`crate::model::Policy`] in.

mod build;
pub mod chain;
pub mod checks;
pub mod keys;
mod matching;
pub mod oids;
mod pkcs12;
use crate::der as tlv;
mod unwrap;
mod verify;

pub use build::{DigestAlg, SignOptions, sign};
pub use checks::Refusal;
pub use keys::{KeyError, SigningIdentity};
pub use matching::{MatchOutcome, SignerMatch, match_signers};
pub use verify::{ChainEntry, Check, Status, VerifyOptions, VerifyReport, render_human, verify};

pub use unwrap::{
    AlgId, Attr, BagCert, CmsEnvelope, MAX_KNOWN_FORMAT, SignerId, SignerSummary, Unwrapped, sid_matches, unwrap,
};

/// Why a file could not be read, or a signature not be made.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// Fewer than four bytes.
    #[error("file too short for a policy ({len} bytes)")]
    TooShort {
        /// Input length.
        len: usize,
    },
    /// Neither DER nor a binary policy header.
    #[error(
        "neither a CMS signed policy (DER SEQUENCE) nor a binary policy (first u32 is {first_u32}, known format versions are 1 to {max})",
        max = MAX_KNOWN_FORMAT
    )]
    NotAPolicy {
        /// The first little-endian u32.
        first_u32: u32,
    },
    /// Malformed DER or CMS structure.
    #[error("at byte {offset} ({what}): {detail}")]
    Structure {
        /// Offset in the input.
        offset: usize,
        /// The structure being read.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A ContentInfo that is not signedData.
    #[error(
        "at byte {offset}: ContentInfo holds {} instead of signedData",
        oids::describe(content_type)
    )]
    NotSignedData {
        /// Offset of the ContentInfo value.
        offset: usize,
        /// The content type found.
        content_type: String,
    },
    /// The SignedData has no eContent (a detached signature).
    #[error("at byte {offset}: the signature is detached (no encapsulated content); Windows needs the policy embedded")]
    Detached {
        /// Offset of the EncapsulatedContentInfo.
        offset: usize,
    },
    /// Signing was refused; see each [`Refusal`].
    #[error("refusing to sign:{}", .0.iter().map(|r| format!("\n  - {r}")).collect::<String>())]
    Refused(Vec<Refusal>),
    /// The CMS structure could not be encoded.
    #[error("could not build the signature: {0}")]
    Encode(String),
    /// A certificate in the bag could not be parsed.
    #[error("at byte {offset}: certificate in the CMS bag is invalid: {detail}")]
    Certificate {
        /// Offset of the certificate.
        offset: usize,
        /// Parser message.
        detail: String,
    },
}

/// Display form of a DER Name (RFC 4514 text), or its hex when it does not parse.
pub(crate) fn describe_name(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, n)) => n.to_string(),
        Err(_) => const_hex::encode_upper(der),
    }
}

/// Parses an RFC 3339 / xs:dateTime (`2018-01-01T00:00:00Z`; no zone means UTC) or a date
/// (`2018-01-01`, midnight UTC), for `--signing-time`, `--time` and `validate --now`.
pub fn parse_sign_time(text: &str) -> Result<crate::model::SignTime, crate::model::SignTimeError> {
    let is_date = text.len() == 10 && text.bytes().filter(|&b| b == b'-').count() == 2;
    if is_date {
        format!("{text}T00:00:00Z").parse()
    } else {
        text.parse()
    }
}

/// [`parse_sign_time`] as seconds since 1970-01-01 UTC.
pub fn parse_time(text: &str) -> Result<i64, crate::model::SignTimeError> {
    let t = parse_sign_time(text)?;
    Ok(t.0.div_euclid(10_000_000) - 11_644_473_600)
}

impl From<tlv::DerError> for SignError {
    fn from(e: tlv::DerError) -> Self {
        SignError::Structure {
            offset: e.offset,
            what: e.what,
            detail: e.detail,
        }
    }
}
