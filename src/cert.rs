//! Facts about one X.509 certificate that policies care about: TBS hash, display names, EKUs,
//! key type. Shared by the scanner, the spec reader (`.cer` signers), `set --add-signer`, and
//! signing.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_parser::prelude::*;

/// Digest used for a certificate's TBS hash: the one in the certificate's own signature
/// algorithm (the algorithm its issuer signed it with), as WDAC does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum TbsAlg {
    /// MD5 (md5WithRSA, and md2WithRSA which WDAC also hashes with MD5-sized values).
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl TbsAlg {
    /// Picks the digest from a signature-algorithm OID (dotted), `None` when unknown.
    pub fn from_signature_oid(oid: &str) -> Option<Self> {
        Some(match oid {
            "1.2.840.113549.1.1.4" | "1.2.840.113549.1.1.2" => TbsAlg::Md5,
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" | "1.2.840.10040.4.3" | "1.2.840.10045.4.1" => TbsAlg::Sha1,
            "1.2.840.113549.1.1.11" | "2.16.840.1.101.3.4.3.2" | "1.2.840.10045.4.3.2" => TbsAlg::Sha256,
            "1.2.840.113549.1.1.12" | "2.16.840.1.101.3.4.3.3" | "1.2.840.10045.4.3.3" => TbsAlg::Sha384,
            "1.2.840.113549.1.1.13" | "2.16.840.1.101.3.4.3.4" | "1.2.840.10045.4.3.4" => TbsAlg::Sha512,
            _ => return None,
        })
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            TbsAlg::Md5 => Md5::digest(data).to_vec(),
            TbsAlg::Sha1 => Sha1::digest(data).to_vec(),
            TbsAlg::Sha256 => Sha256::digest(data).to_vec(),
            TbsAlg::Sha384 => Sha384::digest(data).to_vec(),
            TbsAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// Public-key kind of a certificate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum KeyKind {
    /// RSA with the modulus size in bits.
    Rsa {
        /// Modulus length.
        bits: usize,
    },
    /// Elliptic curve (not usable for WDAC signer rules).
    Ec,
    /// Anything else, by OID.
    Other {
        /// Algorithm OID.
        oid: String,
    },
}

/// The facts of one certificate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CertFacts {
    /// Simple display name of the subject (CN, else OU, O, e-mail).
    pub subject_name: String,
    /// Simple display name of the issuer.
    pub issuer_name: String,
    /// Full subject DN (RFC 4514 text).
    pub subject_dn: String,
    /// Full issuer DN.
    pub issuer_dn: String,
    /// Serial number, upper-case hex.
    pub serial: String,
    /// Digest used for the TBS hash, `None` when the signature algorithm is unknown.
    pub tbs_alg: Option<TbsAlg>,
    /// TBS hash (upper-case hex), `None` when the algorithm is unknown.
    pub tbs_hash: Option<String>,
    /// Signature algorithm OID.
    pub signature_oid: String,
    /// Extended key usages (dotted OIDs), in certificate order.
    pub ekus: Vec<String>,
    /// Public key kind.
    pub key: KeyKind,
    /// True when subject and issuer DNs are equal.
    pub self_issued: bool,
    /// notBefore, RFC 2822.
    pub not_before: String,
    /// notAfter, RFC 2822.
    pub not_after: String,
}

/// A certificate could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("not a valid X.509 certificate: {0}")]
pub struct CertError(pub String);

/// CryptoAPI's "simple display name": first CN, else OU, else O, else e-mail address.
fn simple_display_name(name: &X509Name<'_>) -> String {
    let first = |it: &mut dyn Iterator<Item = &AttributeTypeAndValue<'_>>| {
        it.next().and_then(|a| a.as_str().ok()).map(str::to_string)
    };
    first(&mut name.iter_common_name())
        .or_else(|| first(&mut name.iter_organizational_unit()))
        .or_else(|| first(&mut name.iter_organization()))
        .or_else(|| first(&mut name.iter_email()))
        .unwrap_or_default()
}

impl CertFacts {
    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertError(e.to_string()))?;
        Ok(Self::from_parsed(&cert))
    }

    /// Reads a PEM or DER certificate (the first one in a PEM file).
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, CertError> {
        Self::from_der(&pem_or_der_to_der(bytes)?)
    }

    /// Facts of an already parsed certificate.
    pub fn from_parsed(cert: &X509Certificate<'_>) -> Self {
        let signature_oid = cert.signature_algorithm.algorithm.to_id_string();
        let tbs_alg = TbsAlg::from_signature_oid(&signature_oid);
        let tbs_hash = tbs_alg.map(|a| const_hex::encode_upper(a.digest(cert.tbs_certificate.as_ref())));
        let ekus = match cert.extended_key_usage() {
            Ok(Some(ext)) => {
                let e = ext.value;
                let mut v: Vec<String> = Vec::new();
                for (flag, oid) in [
                    (e.server_auth, "1.3.6.1.5.5.7.3.1"),
                    (e.client_auth, "1.3.6.1.5.5.7.3.2"),
                    (e.code_signing, "1.3.6.1.5.5.7.3.3"),
                    (e.email_protection, "1.3.6.1.5.5.7.3.4"),
                    (e.time_stamping, "1.3.6.1.5.5.7.3.8"),
                    (e.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
                ] {
                    if flag {
                        v.push(oid.to_string());
                    }
                }
                v.extend(e.other.iter().map(|o| o.to_id_string()));
                v
            }
            _ => Vec::new(),
        };
        let key = match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => KeyKind::Rsa { bits: rsa.key_size() },
            Ok(x509_parser::public_key::PublicKey::EC(_)) => KeyKind::Ec,
            _ => KeyKind::Other {
                oid: cert.public_key().algorithm.algorithm.to_id_string(),
            },
        };
        CertFacts {
            subject_name: simple_display_name(cert.subject()),
            issuer_name: simple_display_name(cert.issuer()),
            subject_dn: cert.subject().to_string(),
            issuer_dn: cert.issuer().to_string(),
            serial: const_hex::encode_upper(cert.raw_serial()),
            tbs_alg,
            tbs_hash,
            signature_oid,
            ekus,
            key,
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            not_before: cert.validity().not_before.to_rfc2822().unwrap_or_default(),
            not_after: cert.validity().not_after.to_rfc2822().unwrap_or_default(),
        }
    }
}

/// Returns DER bytes from PEM (first CERTIFICATE block) or passes DER through.
pub fn pem_or_der_to_der(bytes: &[u8]) -> Result<Vec<u8>, CertError> {
    if looks_like_pem(bytes) {
        for pem in Pem::iter_from_buffer(bytes) {
            let pem = pem.map_err(|e| CertError(e.to_string()))?;
            if pem.label == "CERTIFICATE" {
                return Ok(pem.contents);
            }
        }
        return Err(CertError("PEM file holds no CERTIFICATE block".into()));
    }
    Ok(bytes.to_vec())
}

/// One certificate with the raw pieces needed to match CMS signer identifiers, build chains and
/// check signatures, alongside its [`CertFacts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedCert {
    /// The certificate's DER, as given.
    pub der: Vec<u8>,
    /// Names, TBS hash, EKUs, key kind.
    pub facts: CertFacts,
    /// DER of the subject Name.
    pub subject_der: Vec<u8>,
    /// DER of the issuer Name.
    pub issuer_der: Vec<u8>,
    /// Value octets of the serial-number INTEGER.
    pub serial_bytes: Vec<u8>,
    /// subjectKeyIdentifier value, when present.
    pub subject_key_id: Option<Vec<u8>>,
    /// DER of SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
    /// DER of the TBSCertificate (what the issuer signed).
    pub tbs_der: Vec<u8>,
    /// The issuer's signature over `tbs_der`.
    pub signature: Vec<u8>,
    /// notBefore, seconds since 1970-01-01 UTC.
    pub not_before_unix: i64,
    /// notAfter, seconds since 1970-01-01 UTC.
    pub not_after_unix: i64,
    /// basicConstraints cA.
    pub is_ca: bool,
}

impl ParsedCert {
    /// Reads a DER certificate; trailing bytes after it are refused.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| CertError(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CertError(format!("{} bytes after the certificate", rest.len())));
        }
        let subject_key_id = cert.iter_extensions().find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        });
        Ok(ParsedCert {
            der: der.to_vec(),
            facts: CertFacts::from_parsed(&cert),
            subject_der: cert.subject().as_raw().to_vec(),
            issuer_der: cert.issuer().as_raw().to_vec(),
            serial_bytes: cert.raw_serial().to_vec(),
            subject_key_id,
            spki_der: cert.public_key().raw.to_vec(),
            tbs_der: cert.tbs_certificate.as_ref().to_vec(),
            signature: cert.signature_value.data.to_vec(),
            not_before_unix: cert.validity().not_before.timestamp(),
            not_after_unix: cert.validity().not_after.timestamp(),
            is_ca: cert.is_ca(),
        })
    }

    /// Reads every certificate of a PEM file (in file order), or one DER certificate.
    pub fn all_from_pem_or_der(bytes: &[u8]) -> Result<Vec<Self>, CertError> {
        if !looks_like_pem(bytes) {
            return Ok(vec![Self::from_der(bytes)?]);
        }
        let mut out = Vec::new();
        for pem in Pem::iter_from_buffer(bytes) {
            let pem = pem.map_err(|e| CertError(e.to_string()))?;
            if pem.label == "CERTIFICATE" {
                out.push(Self::from_der(&pem.contents)?);
            }
        }
        if out.is_empty() {
            return Err(CertError("PEM file holds no CERTIFICATE block".into()));
        }
        Ok(out)
    }
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.starts_with(b"-----BEGIN")
        || bytes.iter().take(64).all(|b| b.is_ascii()) && bytes.windows(10).any(|w| w == b"-----BEGIN")
}
