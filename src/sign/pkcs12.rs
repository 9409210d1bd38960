//! Reading a PKCS#12 (`.pfx`/`.p12`) file: certificate, chain and RSA private key.
//!
//! Written here rather than taken from a crate: RustCrypto's `pkcs12` 0.2.0-pre.0 (and
//! `p12-keystore`, built on it) pins `cms = "=0.3.0-pre.1"`, a second CMS generation beside the
//! `cms` 0.3.0-rc.0 this project uses, and it has no decryption of its own anyway. The
//! structures are walked with the same bounded DER reader as signed policies; the cryptography
//! is from crates: `pkcs5` (PBES2: PBKDF2 + AES-CBC, what OpenSSL 3 and Windows' AES256-SHA256
//! export write), `des`/`cbc` (pbeWithSHAAnd3-KeyTripleDES-CBC, Windows' TripleDES-SHA1
//! default), `hmac` with SHA-1/SHA-2 for the integrity MAC. Only the key-derivation function of
//! RFC 7292 appendix B, which no crate of this generation offers, is written out below.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
use hmac::{KeyInit, Mac};
use rsa::PrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use sha1::Sha1;
use sha2::digest::block_api::BlockSizeUser;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::keys::{KeyError, SigningIdentity, key_matches_cert};
use super::unwrap::oid;
use crate::cert::ParsedCert;
use crate::der::{self as tlv, Reader, Tlv};

const ID_DATA: &str = "1.2.840.113549.1.7.1";
const ID_ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const KEY_BAG: &str = "1.2.840.113549.1.12.10.1.1";
const SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const CERT_BAG: &str = "1.2.840.113549.1.12.10.1.3";
const X509_CERT: &str = "1.2.840.113549.1.9.22.1";
const PBES2: &str = "1.2.840.113549.1.5.13";
const PBE_SHA1_3DES: &str = "1.2.840.113549.1.12.1.3";
const PBE_SHA1_RC2_40: &str = "1.2.840.113549.1.12.1.6";
const PBMAC1: &str = "1.2.840.113549.1.5.14";

/// More iterations than any real file uses; bounds the work a hostile file can demand.
const MAX_ITERATIONS: u64 = 10_000_000;

fn err(msg: impl Into<String>) -> KeyError {
    KeyError::Pkcs12(msg.into())
}

fn structure(e: impl std::fmt::Display) -> KeyError {
    err(e.to_string())
}

fn int_value(t: Tlv<'_>, what: &'static str) -> Result<u64, KeyError> {
    let t = t.expect(tlv::INTEGER, what).map_err(structure)?;
    if t.value.is_empty() || t.value.len() > 8 || t.value[0] & 0x80 != 0 {
        return Err(err(format!("{what}: not a small positive integer")));
    }
    Ok(t.value.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)))
}

/// Reads a PKCS#12 file protected by `password`. The signer is the certificate whose public key
/// is the private key's; every other certificate becomes the chain.
pub fn load_pkcs12(bytes: &[u8], password: &str) -> Result<SigningIdentity, KeyError> {
    let mut top = Reader::new(bytes);
    let pfx = top.expect(tlv::SEQUENCE, "PFX").map_err(structure)?;
    let mut r = pfx.children();
    let version = int_value(r.next("PFX.version").map_err(structure)?, "PFX.version")?;
    if version != 3 {
        return Err(err(format!("PFX version {version}, expected 3")));
    }
    let auth_safe = r.expect(tlv::SEQUENCE, "PFX.authSafe").map_err(structure)?;
    let data = data_content(auth_safe)?;
    if r.is_empty() {
        return Err(err("no MAC: the file's integrity cannot be checked"));
    }
    verify_mac(
        r.expect(tlv::SEQUENCE, "PFX.macData").map_err(structure)?,
        data,
        password,
    )?;

    let mut keys: Vec<PrivateKey> = Vec::new();
    let mut certs: Vec<ParsedCert> = Vec::new();
    let mut safes = Reader::new(data);
    let safes = safes.expect(tlv::SEQUENCE, "AuthenticatedSafe").map_err(structure)?;
    let mut sr = safes.children();
    while !sr.is_empty() {
        let ci = sr
            .expect(tlv::SEQUENCE, "AuthenticatedSafe ContentInfo")
            .map_err(structure)?;
        let mut cr = ci.children();
        let kind = oid(
            cr.next("ContentInfo.contentType").map_err(structure)?,
            "ContentInfo.contentType",
        )
        .map_err(structure)?;
        let plain = match kind.as_str() {
            ID_DATA => data_content(ci)?.to_vec(),
            ID_ENCRYPTED_DATA => decrypt_encrypted_data(ci, password)?,
            other => {
                return Err(err(format!(
                    "unsupported AuthenticatedSafe content {other} (public-key privacy mode)"
                )));
            }
        };
        read_safe_contents(&plain, password, &mut keys, &mut certs)?;
    }
    let key = match keys.len() {
        1 => keys.remove(0),
        0 => return Err(err("the file holds no private key")),
        n => {
            return Err(err(format!(
                "the file holds {n} private keys; export only the signing key"
            )));
        }
    };
    let pos = certs
        .iter()
        .position(|c| key_matches_cert(&key, c))
        .ok_or_else(|| err("no certificate in the file belongs to the private key"))?;
    let cert = certs.remove(pos);
    Ok(SigningIdentity {
        cert,
        chain: certs,
        key,
    })
}

/// The OCTET STRING inside an id-data ContentInfo.
fn data_content<'a>(ci: Tlv<'a>) -> Result<&'a [u8], KeyError> {
    let mut r = ci.children();
    let kind = oid(
        r.next("ContentInfo.contentType").map_err(structure)?,
        "ContentInfo.contentType",
    )
    .map_err(structure)?;
    if kind != ID_DATA {
        return Err(err(format!(
            "expected data content, found {kind} (public-key integrity mode is not supported)"
        )));
    }
    let explicit = r.expect(tlv::CTX0, "ContentInfo.content").map_err(structure)?;
    let mut er = explicit.children();
    let octets = er.next("data").map_err(structure)?;
    if octets.tag == 0x24 {
        return Err(err(
            "constructed (BER) OCTET STRING: re-export the file with OpenSSL or Windows",
        ));
    }
    Ok(octets.expect(tlv::OCTET_STRING, "data").map_err(structure)?.value)
}

fn verify_mac(mac_data: Tlv<'_>, data: &[u8], password: &str) -> Result<(), KeyError> {
    let mut r = mac_data.children();
    let digest_info = r.expect(tlv::SEQUENCE, "MacData.mac").map_err(structure)?;
    let salt = r.expect(tlv::OCTET_STRING, "MacData.macSalt").map_err(structure)?.value;
    let iterations = if r.is_empty() {
        1
    } else {
        int_value(r.next("MacData.iterations").map_err(structure)?, "MacData.iterations")?
    };
    check_iterations(iterations)?;
    let mut dr = digest_info.children();
    let alg = dr
        .expect(tlv::SEQUENCE, "DigestInfo.digestAlgorithm")
        .map_err(structure)?;
    let expected = dr
        .expect(tlv::OCTET_STRING, "DigestInfo.digest")
        .map_err(structure)?
        .value;
    let alg_oid = oid(
        alg.children().next("digestAlgorithm").map_err(structure)?,
        "digestAlgorithm",
    )
    .map_err(structure)?;
    let pw = bmp_password(password);
    let ok = match alg_oid.as_str() {
        super::oids::SHA1 => mac_matches::<Sha1>(&pw, salt, iterations, data, expected),
        super::oids::SHA256 => mac_matches::<Sha256>(&pw, salt, iterations, data, expected),
        super::oids::SHA384 => mac_matches::<Sha384>(&pw, salt, iterations, data, expected),
        super::oids::SHA512 => mac_matches::<Sha512>(&pw, salt, iterations, data, expected),
        PBMAC1 => return Err(err("PBMAC1 integrity (OpenSSL -pbmac1_pbkdf2) is not supported")),
        other => return Err(err(format!("unsupported MAC digest {other}"))),
    };
    if ok {
        Ok(())
    } else {
        Err(err("wrong password (the integrity MAC does not match)"))
    }
}

fn check_iterations(n: u64) -> Result<(), KeyError> {
    if n == 0 || n > MAX_ITERATIONS {
        return Err(err(format!("iteration count {n} is outside 1..={MAX_ITERATIONS}")));
    }
    Ok(())
}

fn mac_matches<D>(pw: &[u8], salt: &[u8], iterations: u64, data: &[u8], expected: &[u8]) -> bool
where
    D: Digest + BlockSizeUser + Clone + hmac::EagerHash,
{
    let key = kdf::<D>(pw, salt, 3, iterations, <D as Digest>::output_size());
    let Ok(mut mac) = <hmac::Hmac<D> as KeyInit>::new_from_slice(&key) else {
        return false;
    };
    mac.update(data);
    mac.verify_slice(expected).is_ok()
}

/// The password as PKCS#12 wants it for its own KDF: UTF-16BE with a two-byte terminator.
fn bmp_password(password: &str) -> Vec<u8> {
    let mut out: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
    out.extend([0, 0]);
    out
}

/// RFC 7292 appendix B.2: derives `n` bytes of key (`id` 1), IV (2) or MAC key (3).
fn kdf<D: Digest + BlockSizeUser>(pw: &[u8], salt: &[u8], id: u8, iterations: u64, n: usize) -> Vec<u8> {
    let u = <D as Digest>::output_size();
    let v = D::block_size();
    let fill = |src: &[u8]| -> Vec<u8> {
        if src.is_empty() {
            return Vec::new();
        }
        let len = v * src.len().div_ceil(v);
        src.iter().copied().cycle().take(len).collect()
    };
    let mut i_buf = fill(salt);
    i_buf.extend(fill(pw));
    let d = vec![id; v];
    let mut out = Vec::with_capacity(n + u);
    while out.len() < n {
        let mut a = D::new().chain_update(&d).chain_update(&i_buf).finalize().to_vec();
        for _ in 1..iterations {
            a = D::digest(&a).to_vec();
        }
        out.extend(&a);
        if out.len() >= n {
            break;
        }
        let b: Vec<u8> = a.iter().copied().cycle().take(v).collect();
        for block in i_buf.chunks_mut(v) {
            // block = (block + b + 1) mod 2^(8v), big-endian.
            let mut carry = 1u16;
            for k in (0..v).rev() {
                let s = u16::from(block[k]) + u16::from(b[k]) + carry;
                block[k] = s as u8;
                carry = s >> 8;
            }
        }
    }
    out.truncate(n);
    out
}

/// Decrypts with the algorithm in `alg` (an AlgorithmIdentifier element).
fn decrypt(alg: Tlv<'_>, ciphertext: &[u8], password: &str) -> Result<Vec<u8>, KeyError> {
    let alg_oid = oid(
        alg.children().next("encryptionAlgorithm").map_err(structure)?,
        "encryptionAlgorithm",
    )
    .map_err(structure)?;
    match alg_oid.as_str() {
        PBES2 => {
            let scheme =
                pkcs5::EncryptionScheme::try_from(alg.raw).map_err(|e| err(format!("PBES2 parameters: {e}")))?;
            if let pkcs5::EncryptionScheme::Pbes2(p) = &scheme
                && let pkcs5::pbes2::Kdf::Pbkdf2(k) = &p.kdf
            {
                check_iterations(u64::from(k.iteration_count))?;
            }
            scheme
                .decrypt(password.as_bytes(), ciphertext)
                .map_err(|e| err(format!("PBES2 decryption failed (wrong password?): {e}")))
        }
        PBE_SHA1_3DES => {
            let mut r = alg.children();
            r.next("algorithm").map_err(structure)?;
            let params = r.expect(tlv::SEQUENCE, "pkcs-12PbeParams").map_err(structure)?;
            let mut pr = params.children();
            let salt = pr.expect(tlv::OCTET_STRING, "salt").map_err(structure)?.value;
            let iterations = int_value(pr.next("iterations").map_err(structure)?, "iterations")?;
            check_iterations(iterations)?;
            let pw = bmp_password(password);
            let key = kdf::<Sha1>(&pw, salt, 1, iterations, 24);
            let iv = kdf::<Sha1>(&pw, salt, 2, iterations, 8);
            let dec = cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
                .map_err(|_| err("3DES key setup failed"))?;
            dec.decrypt_padded_vec::<Pkcs7>(ciphertext)
                .map_err(|_| err("3DES decryption failed (wrong password?)"))
        }
        PBE_SHA1_RC2_40 => Err(err(
            "RC2-40 encryption (OpenSSL -legacy) is not supported; re-export with AES (OpenSSL 3 default) or 3DES",
        )),
        other => Err(err(format!("unsupported encryption algorithm {other}"))),
    }
}

fn decrypt_encrypted_data(ci: Tlv<'_>, password: &str) -> Result<Vec<u8>, KeyError> {
    let mut r = ci.children();
    r.next("contentType").map_err(structure)?;
    let explicit = r.expect(tlv::CTX0, "EncryptedData").map_err(structure)?;
    let ed = explicit
        .children()
        .expect(tlv::SEQUENCE, "EncryptedData")
        .map_err(structure)?;
    let mut er = ed.children();
    er.next("EncryptedData.version").map_err(structure)?;
    let eci = er.expect(tlv::SEQUENCE, "EncryptedContentInfo").map_err(structure)?;
    let mut ir = eci.children();
    ir.next("contentType").map_err(structure)?;
    let alg = ir
        .expect(tlv::SEQUENCE, "contentEncryptionAlgorithm")
        .map_err(structure)?;
    let content = ir.next("encryptedContent").map_err(structure)?;
    if content.tag != 0x80 {
        return Err(err(format!(
            "encryptedContent with tag 0x{:02X} (constructed BER is not supported)",
            content.tag
        )));
    }
    decrypt(alg, content.value, password)
}

fn read_safe_contents(
    plain: &[u8],
    password: &str,
    keys: &mut Vec<PrivateKey>,
    certs: &mut Vec<ParsedCert>,
) -> Result<(), KeyError> {
    let mut top = Reader::new(plain);
    let safe = top.expect(tlv::SEQUENCE, "SafeContents").map_err(structure)?;
    let mut r = safe.children();
    while !r.is_empty() {
        let bag = r.expect(tlv::SEQUENCE, "SafeBag").map_err(structure)?;
        let mut br = bag.children();
        let kind = oid(br.next("SafeBag.bagId").map_err(structure)?, "SafeBag.bagId").map_err(structure)?;
        let value = br.expect(tlv::CTX0, "SafeBag.bagValue").map_err(structure)?;
        let inner = value.children().next("bagValue").map_err(structure)?;
        match kind.as_str() {
            KEY_BAG => keys.push(pkcs8_key(inner.raw)?),
            SHROUDED_KEY_BAG => {
                let epki = inner
                    .expect(tlv::SEQUENCE, "EncryptedPrivateKeyInfo")
                    .map_err(structure)?;
                let mut er = epki.children();
                let alg = er.expect(tlv::SEQUENCE, "encryptionAlgorithm").map_err(structure)?;
                let data = er.expect(tlv::OCTET_STRING, "encryptedData").map_err(structure)?;
                let der = zeroize::Zeroizing::new(decrypt(alg, data.value, password)?);
                keys.push(pkcs8_key(&der)?);
            }
            CERT_BAG => {
                let mut cr = inner.expect(tlv::SEQUENCE, "CertBag").map_err(structure)?.children();
                let cert_type = oid(cr.next("certId").map_err(structure)?, "certId").map_err(structure)?;
                if cert_type != X509_CERT {
                    continue;
                }
                let wrapped = cr.expect(tlv::CTX0, "certValue").map_err(structure)?;
                let octets = wrapped
                    .children()
                    .expect(tlv::OCTET_STRING, "certValue")
                    .map_err(structure)?;
                certs.push(ParsedCert::from_der(octets.value)?);
            }
            // CRL, secret and nested bags carry nothing a signer needs.
            _ => {}
        }
    }
    Ok(())
}

fn pkcs8_key(der: &[u8]) -> Result<PrivateKey, KeyError> {
    PrivateKey::from_pkcs8_der(der).map_err(|e| {
        if e.to_string().contains("1.2.840.10045.2.1") {
            err("the key is an EC key: Windows accepts only RSA policy signatures")
        } else {
            err(format!("private key: {e}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The classic published vector for the RFC 7292 KDF (OpenSSL's `PKCS12_key_gen_uni`
    /// tests): password "smeg", salt 0A58CF64530D823F, id 1, one iteration, 24 bytes. The
    /// integration tests also read files written by `openssl pkcs12 -export`.
    #[test]
    fn kdf_matches_the_openssl_vector() {
        let salt = [0x0A, 0x58, 0xCF, 0x64, 0x53, 0x0D, 0x82, 0x3F];
        let k = kdf::<Sha1>(&bmp_password("smeg"), &salt, 1, 1, 24);
        assert_eq!(
            const_hex::encode_upper(k),
            "8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3"
        );
    }
}
