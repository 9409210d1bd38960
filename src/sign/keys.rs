//! Loading the signing identity: certificate, chain and RSA private key.

use rsa::PrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;

use crate::cert::ParsedCert;

/// A certificate, the chain to embed with it, and the matching private key.
#[derive(Clone)]
pub struct SigningIdentity {
    /// The signer (leaf) certificate.
    pub cert: ParsedCert,
    /// Further certificates to embed (intermediates; a root is allowed but not needed).
    pub chain: Vec<ParsedCert>,
    /// The private key.
    pub key: PrivateKey,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("cert", &self.cert.facts.subject_name)
            .field(
                "chain",
                &self.chain.iter().map(|c| &c.facts.subject_name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Why a certificate or key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Certificate parse failure.
    #[error("certificate: {0}")]
    Cert(#[from] crate::cert::CertError),
    /// Private key parse failure.
    #[error("private key: {0}")]
    Key(String),
    /// PKCS#12 failure.
    #[error("PKCS#12: {0}")]
    Pkcs12(String),
    /// A readable key that Windows cannot use for a policy signature (not RSA): a refusal, not
    /// a bad input.
    #[error("private key: {0}: Windows accepts only RSA policy signatures")]
    NotRsa(&'static str),
}

pub use super::pkcs12::load_pkcs12;

/// Reads a PEM or DER private key: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
/// Encrypted PKCS#8 is refused with a pointer to PKCS#12, which takes a password safely.
pub fn load_private_key(bytes: &[u8]) -> Result<PrivateKey, KeyError> {
    let text = std::str::from_utf8(bytes).ok().filter(|t| t.contains("-----BEGIN"));
    if let Some(text) = text {
        if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err(KeyError::Key(
                "encrypted PKCS#8 keys are not read; use --pkcs12 (password from CIPOLICY_PKCS12_PASSWORD) or an unencrypted key".into(),
            ));
        }
        if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
            return PrivateKey::from_pkcs1_pem(text).map_err(|e| KeyError::Key(format!("PKCS#1 PEM: {e}")));
        }
        if text.contains("-----BEGIN PRIVATE KEY-----") {
            return PrivateKey::from_pkcs8_pem(text).map_err(|e| pkcs8_error("PKCS#8 PEM", e));
        }
        if text.contains("-----BEGIN EC PRIVATE KEY-----") {
            return Err(KeyError::NotRsa("an EC key"));
        }
        return Err(KeyError::Key(
            "no PRIVATE KEY or RSA PRIVATE KEY block in the PEM file".into(),
        ));
    }
    match PrivateKey::from_pkcs8_der(bytes) {
        Ok(k) => Ok(k),
        Err(p8) if p8.to_string().contains(EC_PUBLIC_KEY_OID) => Err(pkcs8_error("PKCS#8 DER", p8)),
        Err(p8) => PrivateKey::from_pkcs1_der(bytes)
            .map_err(|p1| KeyError::Key(format!("neither PKCS#8 DER ({p8}) nor PKCS#1 DER ({p1}) RSA key"))),
    }
}

const EC_PUBLIC_KEY_OID: &str = "1.2.840.10045.2.1";

fn pkcs8_error(what: &str, e: impl std::fmt::Display) -> KeyError {
    let text = e.to_string();
    if text.contains(EC_PUBLIC_KEY_OID) {
        KeyError::NotRsa("an EC key")
    } else {
        KeyError::Key(format!("{what}: {text}"))
    }
}

/// Reads the signer certificate (the first certificate of `cert_bytes`; any further PEM
/// certificates there join the chain), the chain files, and the key.
pub fn load_identity(cert_bytes: &[u8], chain: &[Vec<u8>], key_bytes: &[u8]) -> Result<SigningIdentity, KeyError> {
    let mut certs = ParsedCert::all_from_pem_or_der(cert_bytes)?;
    let cert = certs.remove(0);
    for c in chain {
        certs.extend(ParsedCert::all_from_pem_or_der(c)?);
    }
    Ok(SigningIdentity {
        cert,
        chain: certs,
        key: load_private_key(key_bytes)?,
    })
}

/// True when the certificate's public key is the key's public half.
pub fn key_matches_cert(key: &PrivateKey, cert: &ParsedCert) -> bool {
    use rsa::pkcs8::DecodePublicKey;
    match rsa::PublicKey::from_public_key_der(&cert.spki_der) {
        Ok(public) => public.n_bytes() == key.n_bytes() && public.e_bytes() == key.e_bytes(),
        // Keys the rsa crate refuses (too large, not RSA) cannot match an RSA private key it read.
        Err(_) => false,
    }
}

/// Modulus size of the private key in bits (whole bytes, as key sizes are quoted).
pub fn key_bits(key: &PrivateKey) -> usize {
    key.size() * 8
}
