//! RSA PKCS#1 v1.5 signature checks and chain building from the embedded certificates to the
//! given trust anchors.

use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

use crate::cert::ParsedCert;

/// Digest of an RSA PKCS#1 v1.5 signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsaDigest {
    /// SHA-1 (old certificates only).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl RsaDigest {
    /// From a certificate signature algorithm OID (`sha256WithRSAEncryption`, …).
    pub fn from_rsa_signature_oid(oid: &str) -> Option<Self> {
        Some(match oid {
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => RsaDigest::Sha1,
            "1.2.840.113549.1.1.11" => RsaDigest::Sha256,
            "1.2.840.113549.1.1.12" => RsaDigest::Sha384,
            "1.2.840.113549.1.1.13" => RsaDigest::Sha512,
            _ => return None,
        })
    }

    /// From a digest algorithm OID.
    pub fn from_digest_oid(oid: &str) -> Option<Self> {
        Some(match oid {
            super::oids::SHA1 => RsaDigest::Sha1,
            super::oids::SHA256 => RsaDigest::Sha256,
            super::oids::SHA384 => RsaDigest::Sha384,
            super::oids::SHA512 => RsaDigest::Sha512,
            _ => return None,
        })
    }
}

/// Verifies an RSA PKCS#1 v1.5 signature over `msg` with the key in `spki_der`.
pub fn verify_rsa(spki_der: &[u8], digest: RsaDigest, msg: &[u8], sig: &[u8]) -> Result<(), String> {
    let key = rsa::PublicKey::from_public_key_der(spki_der).map_err(|e| format!("not a usable RSA key: {e}"))?;
    let sig = rsa::pkcs1v15::Signature::try_from(sig).map_err(|e| format!("malformed signature: {e}"))?;
    let r = match digest {
        RsaDigest::Sha1 => rsa::pkcs1v15::VerifyingKey::<Sha1>::new(key).verify(msg, &sig),
        RsaDigest::Sha256 => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(msg, &sig),
        RsaDigest::Sha384 => rsa::pkcs1v15::VerifyingKey::<Sha384>::new(key).verify(msg, &sig),
        RsaDigest::Sha512 => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(key).verify(msg, &sig),
    };
    r.map_err(|_| "the RSA check failed: another key, or the signed bytes or the signature were altered".to_string())
}

/// Checks that `issuer` signed `cert`.
pub fn verify_issued_by(cert: &ParsedCert, issuer: &ParsedCert) -> Result<(), String> {
    let digest = RsaDigest::from_rsa_signature_oid(&cert.facts.signature_oid).ok_or_else(|| {
        format!(
            "signature algorithm {} is not RSA PKCS#1 v1.5 with SHA-1/2",
            super::oids::describe(&cert.facts.signature_oid)
        )
    })?;
    verify_rsa(&issuer.spki_der, digest, &cert.tbs_der, &cert.signature)
}

/// Where a chain certificate came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertSource {
    /// The CMS certificates bag.
    Embedded,
    /// A `--trust` file.
    Trust,
}

/// One link of a built chain.
#[derive(Clone, Debug)]
pub struct Link<'a> {
    /// The certificate.
    pub cert: &'a ParsedCert,
    /// Where it came from.
    pub source: CertSource,
    /// Whether it is one of the trust anchors.
    pub anchor: bool,
    /// Result of checking its signature with the next link's key (`None` for the last link,
    /// unless it is self-signed).
    pub signature: Option<Result<(), String>>,
}

/// A chain from the leaf upwards, and why it stops where it does.
#[derive(Clone, Debug)]
pub struct Chain<'a> {
    /// Leaf first.
    pub links: Vec<Link<'a>>,
    /// True when it ends at a trust anchor with every signature verified.
    pub anchored: bool,
    /// Why it stops, when not anchored.
    pub stop: Option<String>,
}

const MAX_DEPTH: usize = 8;

/// Builds the chain of `leaf` through `embedded` to one of `trust` (if any).
pub fn build<'a>(leaf: &'a ParsedCert, embedded: &'a [ParsedCert], trust: &'a [ParsedCert]) -> Chain<'a> {
    let is_anchor = |c: &ParsedCert| trust.iter().any(|t| t.der == c.der);
    let source_of = |c: &ParsedCert| {
        if embedded.iter().any(|e| e.der == c.der) {
            CertSource::Embedded
        } else {
            CertSource::Trust
        }
    };
    let mut links = vec![Link {
        cert: leaf,
        source: source_of(leaf),
        anchor: is_anchor(leaf),
        signature: None,
    }];
    let mut stop = None;
    loop {
        let cur = links.last().map(|l| l.cert).unwrap_or(leaf);
        if is_anchor(cur) {
            break;
        }
        if cur.subject_der == cur.issuer_der {
            let r = verify_issued_by(cur, cur);
            if let Some(l) = links.last_mut() {
                l.signature = Some(r);
            }
            stop = Some(format!(
                "`{}` is self-signed and not a trust anchor",
                cur.facts.subject_name
            ));
            break;
        }
        if links.len() >= MAX_DEPTH {
            stop = Some(format!("chain longer than {MAX_DEPTH} certificates"));
            break;
        }
        // Issuers by name, embedded first; the first whose key verifies the signature wins.
        let candidates = embedded
            .iter()
            .chain(trust.iter())
            .filter(|c| c.subject_der == cur.issuer_der && c.der != cur.der);
        let mut last_err = None;
        let mut found = None;
        for c in candidates {
            match verify_issued_by(cur, c) {
                Ok(()) => {
                    found = Some(c);
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        match (found, last_err) {
            (Some(issuer), _) => {
                if let Some(l) = links.last_mut() {
                    l.signature = Some(Ok(()));
                }
                if links.iter().any(|l| l.cert.der == issuer.der) {
                    stop = Some("certificate loop".into());
                    break;
                }
                links.push(Link {
                    cert: issuer,
                    source: source_of(issuer),
                    anchor: is_anchor(issuer),
                    signature: None,
                });
            }
            (None, Some(e)) => {
                if let Some(l) = links.last_mut() {
                    l.signature = Some(Err(e.clone()));
                }
                stop = Some(format!(
                    "the signature of `{}` by its issuer: {e}",
                    cur.facts.subject_name
                ));
                break;
            }
            (None, None) => {
                stop = Some(format!(
                    "issuer `{}` of `{}` is neither embedded nor a trust anchor",
                    cur.facts.issuer_name, cur.facts.subject_name
                ));
                break;
            }
        }
    }
    let anchored = stop.is_none() && links.last().is_some_and(|l| l.anchor);
    Chain { links, anchored, stop }
}
