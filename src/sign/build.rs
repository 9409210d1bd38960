//! Producing a signed policy: CMS SignedData v1 the way signtool writes it for policies.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Tag};
use rsa::PrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::checks::{self, Refusal};
use super::keys::SigningIdentity;
use super::{SignError, oids};
use crate::cert::ParsedCert;
use crate::model::Policy;

/// Message digest of the signature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestAlg {
    /// SHA-256: accepted by every Windows version that takes signed policies.
    #[default]
    Sha256,
    /// SHA-384: Windows 11, and Windows 10 / Server 2019+ after the November 2022 update.
    Sha384,
    /// SHA-512: as SHA-384.
    Sha512,
}

impl DigestAlg {
    /// Parses `sha256`, `sha384` or `sha512` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Some(DigestAlg::Sha256),
            "sha384" | "sha-384" => Some(DigestAlg::Sha384),
            "sha512" | "sha-512" => Some(DigestAlg::Sha512),
            _ => None,
        }
    }

    /// Dotted OID.
    pub fn oid(self) -> &'static str {
        match self {
            DigestAlg::Sha256 => oids::SHA256,
            DigestAlg::Sha384 => oids::SHA384,
            DigestAlg::Sha512 => oids::SHA512,
        }
    }

    /// The digest for an OID, when it is one of these three.
    pub fn from_oid(oid: &str) -> Option<Self> {
        [DigestAlg::Sha256, DigestAlg::Sha384, DigestAlg::Sha512]
            .into_iter()
            .find(|d| d.oid() == oid)
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            DigestAlg::Sha256 => Sha256::digest(data).to_vec(),
            DigestAlg::Sha384 => Sha384::digest(data).to_vec(),
            DigestAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// What to sign with and how.
#[derive(Debug)]
pub struct SignOptions<'a> {
    /// Certificate, chain and key.
    pub identity: &'a SigningIdentity,
    /// Signature digest.
    pub digest: DigestAlg,
    /// `signingTime` attribute, seconds since 1970-01-01 UTC. `None` (the default) leaves it out,
    /// so that the same inputs give the same bytes.
    pub signing_time: Option<i64>,
    /// The policy being signed, decoded by the caller, for the pre-signing checks. `None` means
    /// it could not be checked, which is itself a refusal unless forced.
    pub policy: Option<&'a Policy>,
    /// For a supplemental policy: its base, whose SupplementalPolicySigners must match.
    pub base: Option<&'a Policy>,
    /// Sign despite refusals that can be overridden.
    pub force: bool,
}

/// Signs a binary policy. Runs [`checks::pre_sign`] first and refuses with
/// [`SignError::Refused`] unless every refusal is overridable and `force` is set.
pub fn sign(policy_bytes: &[u8], opts: &SignOptions<'_>) -> Result<Vec<u8>, SignError> {
    let refusals = checks::pre_sign(opts.identity, opts.policy, opts.base);
    let blocking: Vec<Refusal> = refusals
        .into_iter()
        .filter(|r| !opts.force || !r.overridable())
        .collect();
    if !blocking.is_empty() {
        return Err(SignError::Refused(blocking));
    }
    build(policy_bytes, opts.identity, opts.digest, opts.signing_time)
}

fn oid(s: &str) -> ObjectIdentifier {
    // Only called with the constants of `oids`, which are valid.
    ObjectIdentifier::new_unwrap(s)
}

fn alg(s: &str) -> AlgorithmIdentifierOwned {
    // Microsoft writes NULL parameters for both the digest and rsaEncryption (observation 9).
    AlgorithmIdentifierOwned {
        oid: oid(s),
        parameters: Some(Any::null()),
    }
}

fn enc(e: der::Error) -> SignError {
    SignError::Encode(e.to_string())
}

fn x509(c: &ParsedCert) -> Result<x509_cert::Certificate, SignError> {
    x509_cert::Certificate::from_der(&c.der)
        .map_err(|e| SignError::Encode(format!("certificate `{}` is not strict DER: {e}", c.facts.subject_name)))
}

/// Days-from-civil based conversion, so that the attribute never depends on a clock or zone.
fn signing_time_attr(unix: i64) -> Result<Attribute, SignError> {
    let secs = u64::try_from(unix).map_err(|_| SignError::Encode("signing time before 1970".into()))?;
    let dt = der::DateTime::from_unix_duration(std::time::Duration::from_secs(secs)).map_err(enc)?;
    // RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise.
    let time = if dt.year() < 2050 {
        x509_cert::time::Time::UtcTime(der::asn1::UtcTime::from_date_time(dt).map_err(enc)?)
    } else {
        x509_cert::time::Time::GeneralTime(der::asn1::GeneralizedTime::from_date_time(dt))
    };
    attribute(oids::ATTR_SIGNING_TIME, Any::encode_from(&time).map_err(enc)?)
}

fn attribute(kind: &str, value: Any) -> Result<Attribute, SignError> {
    let mut values = SetOfVec::new();
    values.insert(value).map_err(enc)?;
    Ok(Attribute { oid: oid(kind), values })
}

fn rsa_sign(key: &PrivateKey, digest: DigestAlg, msg: &[u8]) -> Result<Vec<u8>, SignError> {
    let key = key.clone();
    let sig = match digest {
        DigestAlg::Sha256 => rsa::pkcs1v15::SigningKey::<Sha256>::new(key).try_sign(msg),
        DigestAlg::Sha384 => rsa::pkcs1v15::SigningKey::<Sha384>::new(key).try_sign(msg),
        DigestAlg::Sha512 => rsa::pkcs1v15::SigningKey::<Sha512>::new(key).try_sign(msg),
    };
    sig.map(|s| s.to_vec())
        .map_err(|e| SignError::Encode(format!("RSA signing failed: {e}")))
}

/// Builds the SignedData without any policy checks.
pub(crate) fn build(
    content: &[u8],
    id: &SigningIdentity,
    digest: DigestAlg,
    signing_time: Option<i64>,
) -> Result<Vec<u8>, SignError> {
    // The value octets are the policy itself. Wrapping `OctetString::new(x).to_der()` instead
    // would nest a second OCTET STRING (anchors.md §3.5 pitfall).
    let econtent = Any::new(Tag::OctetString, content.to_vec()).map_err(enc)?;
    let eci = EncapsulatedContentInfo {
        econtent_type: oid(oids::CI_POLICY_CONTENT),
        econtent: Some(econtent),
    };

    let mut attrs = SetOfVec::new();
    attrs
        .insert(attribute(
            oids::ATTR_CONTENT_TYPE,
            Any::encode_from(&oid(oids::CI_POLICY_CONTENT)).map_err(enc)?,
        )?)
        .map_err(enc)?;
    let md = OctetString::new(digest.digest(content)).map_err(enc)?;
    attrs
        .insert(attribute(
            oids::ATTR_MESSAGE_DIGEST,
            Any::encode_from(&md).map_err(enc)?,
        )?)
        .map_err(enc)?;
    if let Some(t) = signing_time {
        attrs.insert(signing_time_attr(t)?).map_err(enc)?;
    }
    let signature = rsa_sign(&id.key, digest, &attrs.to_der().map_err(enc)?)?;

    let leaf = x509(&id.cert)?;
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: leaf.tbs_certificate().issuer().clone(),
            serial_number: leaf.tbs_certificate().serial_number().clone(),
        }),
        digest_alg: alg(digest.oid()),
        signed_attrs: Some(attrs),
        // signtool and Microsoft's own signed policies write rsaEncryption here (observation 9).
        signature_algorithm: alg(oids::RSA_ENCRYPTION),
        signature: OctetString::new(signature).map_err(enc)?,
        unsigned_attrs: None,
    };

    let mut certs = vec![CertificateChoices::Certificate(leaf)];
    for c in &id.chain {
        if c.der != id.cert.der {
            certs.push(CertificateChoices::Certificate(x509(c)?));
        }
    }
    let mut set = SetOfVec::new();
    for c in certs {
        // A certificate given twice is embedded once.
        if !set.iter().any(|x| *x == c) {
            set.insert(c).map_err(enc)?;
        }
    }
    let mut digests = SetOfVec::new();
    digests.insert(alg(digest.oid())).map_err(enc)?;
    let sd = SignedData {
        // Windows expects 1; RFC 5652 would say 3 for this content type (anchors.md §3.4).
        version: CmsVersion::V1,
        digest_algorithms: digests,
        encap_content_info: eci,
        certificates: Some(CertificateSet(set)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer]).map_err(enc)?),
    };
    ContentInfo {
        content_type: oid(oids::SIGNED_DATA),
        content: Any::encode_from(&sd).map_err(enc)?,
    }
    .to_der()
    .map_err(enc)
}
