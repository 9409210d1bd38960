//! Reading a policy file that may be wrapped in CMS SignedData.

use super::oids;
use super::{SignError, describe_name};
use crate::cert::ParsedCert;
use crate::der::{self as tlv, Reader, Tlv};

/// Highest binary policy format version known (anchors.md §3.6: currently 1–11).
pub const MAX_KNOWN_FORMAT: u32 = 11;

/// A policy file taken apart: the raw binary policy and, when it was signed, the CMS envelope.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Unwrapped {
    /// The binary policy: the whole input for an unsigned file, the encapsulated content of a
    /// signed one.
    #[serde(skip)]
    pub content: Vec<u8>,
    /// Offset of the content in the input (0 for an unsigned file).
    pub content_offset: usize,
    /// The CMS envelope, `None` for an unsigned (raw) policy.
    pub cms: Option<CmsEnvelope>,
}

/// An algorithm identifier.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AlgId {
    /// Dotted OID.
    pub oid: String,
    /// Display name, when known.
    pub name: Option<&'static str>,
    /// DER of the parameters, when present (upper-case hex; `0500` is NULL).
    pub params: Option<String>,
}

/// The SignedData of a signed policy.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CmsEnvelope {
    /// `SignedData.version` (Windows expects 1).
    pub version: i64,
    /// Offset of the version INTEGER's value octet (the byte a v3→v1 patch changes).
    pub version_offset: usize,
    /// `digestAlgorithms`.
    pub digest_algorithms: Vec<AlgId>,
    /// `eContentType`, dotted.
    pub econtent_type: String,
    /// The `certificates` bag, in file order.
    pub certificates: Vec<BagCert>,
    /// Entries of `certificates` that are not plain X.509 certificates (skipped).
    pub other_certificate_formats: usize,
    /// Number of entries in `crls`.
    pub crls: usize,
    /// `signerInfos`, in file order.
    pub signers: Vec<SignerSummary>,
}

/// One certificate of the bag.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BagCert {
    /// Offset in the input.
    pub offset: usize,
    /// The certificate.
    #[serde(flatten, serialize_with = "ser_facts")]
    pub cert: ParsedCert,
}

fn ser_facts<S: serde::Serializer>(c: &ParsedCert, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&c.facts, s)
}

/// How a SignerInfo names its certificate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignerId {
    /// `issuerAndSerialNumber` (SignerInfo version 1).
    IssuerAndSerialNumber {
        /// Issuer DN.
        issuer: String,
        /// Serial number, upper-case hex.
        serial: String,
        /// DER of the issuer Name.
        #[serde(skip)]
        issuer_der: Vec<u8>,
        /// Value octets of the serial INTEGER.
        #[serde(skip)]
        serial_bytes: Vec<u8>,
    },
    /// `subjectKeyIdentifier` (SignerInfo version 3).
    SubjectKeyIdentifier {
        /// Key identifier, upper-case hex.
        key_id: String,
        /// Raw key identifier.
        #[serde(skip)]
        bytes: Vec<u8>,
    },
}

/// One signed attribute.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Attr {
    /// Dotted OID.
    pub oid: String,
    /// Display name, when known.
    pub name: Option<&'static str>,
    /// DER of each value.
    #[serde(skip)]
    pub values: Vec<Vec<u8>>,
}

/// One SignerInfo.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SignerSummary {
    /// `SignerInfo.version`.
    pub version: i64,
    /// `sid`.
    pub sid: SignerId,
    /// Index into [`CmsEnvelope::certificates`] of the certificate `sid` names, if it is there.
    pub certificate: Option<usize>,
    /// Subject display name of that certificate.
    pub subject: Option<String>,
    /// Issuer display name of that certificate.
    pub issuer: Option<String>,
    /// Serial number (upper-case hex) of that certificate.
    pub serial: Option<String>,
    /// TBS hash of that certificate (by its own signature digest).
    pub tbs_hash: Option<String>,
    /// `digestAlgorithm`.
    pub digest_algorithm: AlgId,
    /// `signatureAlgorithm`.
    pub signature_algorithm: AlgId,
    /// Signed attributes, in file order (empty when absent).
    pub signed_attributes: Vec<Attr>,
    /// True when the `[0] signedAttrs` element is present.
    pub has_signed_attributes: bool,
    /// Offset of the signed attributes element, when present.
    pub signed_attributes_offset: Option<usize>,
    /// OIDs of the unsigned attributes.
    pub unsigned_attributes: Vec<String>,
    /// Signature octets.
    #[serde(skip)]
    pub signature: Vec<u8>,
    /// Offset of the signature value.
    pub signature_offset: usize,
    /// The DER the signature covers when signed attributes are present: the `[0]` element
    /// re-tagged as `SET OF` (RFC 5652 §5.4), with the signer's own byte order kept.
    #[serde(skip)]
    pub signed_attrs_der: Option<Vec<u8>>,
}

impl SignerSummary {
    /// The values of the first signed attribute with this OID.
    pub fn attribute(&self, oid: &str) -> Option<&Attr> {
        self.signed_attributes.iter().find(|a| a.oid == oid)
    }
}

/// Takes a policy file apart: a DER ContentInfo holding signedData, or a raw binary policy.
///
/// Raw policies are recognised by their first little-endian u32, the format version (1 to
/// [`MAX_KNOWN_FORMAT`]); the binary itself is not decoded here.
pub fn unwrap(bytes: &[u8]) -> Result<Unwrapped, SignError> {
    match bytes.first() {
        Some(&tlv::SEQUENCE) => unwrap_cms(bytes),
        _ => {
            let Some(head) = bytes.get(..4) else {
                return Err(SignError::TooShort { len: bytes.len() });
            };
            let format = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            if !(1..=MAX_KNOWN_FORMAT).contains(&format) {
                return Err(SignError::NotAPolicy { first_u32: format });
            }
            Ok(Unwrapped {
                content: bytes.to_vec(),
                content_offset: 0,
                cms: None,
            })
        }
    }
}

fn structure(offset: usize, what: &'static str, detail: impl Into<String>) -> SignError {
    SignError::Structure {
        offset,
        what,
        detail: detail.into(),
    }
}

/// Decodes an OBJECT IDENTIFIER element to dotted text.
pub(crate) fn oid(t: Tlv<'_>, what: &'static str) -> Result<String, SignError> {
    let t = t.expect(tlv::OID, what)?;
    der::asn1::ObjectIdentifier::from_bytes(t.value)
        .map(|o| o.to_string())
        .map_err(|e| structure(t.offset, what, format!("bad object identifier: {e}")))
}

/// Decodes a small non-negative INTEGER.
fn small_int(t: Tlv<'_>, what: &'static str) -> Result<i64, SignError> {
    let t = t.expect(tlv::INTEGER, what)?;
    match t.value {
        [v] if *v < 0x80 => Ok(i64::from(*v)),
        _ => Err(structure(
            t.offset,
            what,
            format!(
                "expected a small non-negative integer, found {} value bytes",
                t.value.len()
            ),
        )),
    }
}

fn alg_id(t: Tlv<'_>, what: &'static str) -> Result<AlgId, SignError> {
    let t = t.expect(tlv::SEQUENCE, what)?;
    let mut r = t.children();
    let oid = oid(r.next(what)?, what)?;
    let params = if r.is_empty() {
        None
    } else {
        Some(const_hex::encode_upper(r.next(what)?.raw))
    };
    r.finish(what)?;
    Ok(AlgId {
        name: oids::name(&oid),
        oid,
        params,
    })
}

fn unwrap_cms(bytes: &[u8]) -> Result<Unwrapped, SignError> {
    let mut top = Reader::new(bytes);
    let ci = top.expect(tlv::SEQUENCE, "ContentInfo")?;
    top.finish("ContentInfo")?;
    let mut r = ci.children();
    let content_type = oid(r.next("ContentInfo.contentType")?, "ContentInfo.contentType")?;
    if content_type != oids::SIGNED_DATA {
        return Err(SignError::NotSignedData {
            offset: ci.value_offset(),
            content_type,
        });
    }
    let explicit = r.expect(tlv::CTX0, "ContentInfo.content")?;
    r.finish("ContentInfo")?;
    let mut inner = explicit.children();
    let sd = inner.expect(tlv::SEQUENCE, "SignedData")?;
    inner.finish("ContentInfo.content")?;

    let mut r = sd.children();
    let version_tlv = r.next("SignedData.version")?;
    let version = small_int(version_tlv, "SignedData.version")?;
    let version_offset = version_tlv.value_offset();

    let algs = r.expect(tlv::SET, "SignedData.digestAlgorithms")?;
    let mut digest_algorithms = Vec::new();
    let mut ar = algs.children();
    while !ar.is_empty() {
        digest_algorithms.push(alg_id(
            ar.next("DigestAlgorithmIdentifier")?,
            "DigestAlgorithmIdentifier",
        )?);
    }

    let eci = r.expect(tlv::SEQUENCE, "EncapsulatedContentInfo")?;
    let mut er = eci.children();
    let econtent_type = oid(er.next("eContentType")?, "eContentType")?;
    if er.is_empty() {
        return Err(SignError::Detached { offset: eci.offset });
    }
    let wrapper = er.expect(tlv::CTX0, "eContent")?;
    er.finish("EncapsulatedContentInfo")?;
    let mut wr = wrapper.children();
    let octets = wr.next("eContent")?;
    if octets.tag == 0x24 {
        return Err(structure(
            octets.offset,
            "eContent",
            "constructed OCTET STRING (BER) is not DER",
        ));
    }
    let octets = octets.expect(tlv::OCTET_STRING, "eContent")?;
    wr.finish("eContent")?;

    let mut certificates = Vec::new();
    let mut other_certificate_formats = 0;
    if r.peek_tag() == Some(tlv::CTX0) {
        let bag = r.next("SignedData.certificates")?;
        let mut br = bag.children();
        while !br.is_empty() {
            let c = br.next("CertificateChoices")?;
            if c.tag != tlv::SEQUENCE {
                other_certificate_formats += 1;
                continue;
            }
            let cert = ParsedCert::from_der(c.raw).map_err(|e| SignError::Certificate {
                offset: c.offset,
                detail: e.0,
            })?;
            certificates.push(BagCert { offset: c.offset, cert });
        }
    }
    let mut crls = 0;
    if r.peek_tag() == Some(tlv::CTX1) {
        let c = r.next("SignedData.crls")?;
        let mut cr = c.children();
        while !cr.is_empty() {
            cr.next("RevocationInfoChoice")?;
            crls += 1;
        }
    }
    let infos = r.expect(tlv::SET, "SignedData.signerInfos")?;
    r.finish("SignedData")?;
    let mut signers = Vec::new();
    let mut ir = infos.children();
    while !ir.is_empty() {
        signers.push(signer_info(ir.next("SignerInfo")?, &certificates)?);
    }

    Ok(Unwrapped {
        content: octets.value.to_vec(),
        content_offset: octets.value_offset(),
        cms: Some(CmsEnvelope {
            version,
            version_offset,
            digest_algorithms,
            econtent_type,
            certificates,
            other_certificate_formats,
            crls,
            signers,
        }),
    })
}

fn signer_info(t: Tlv<'_>, certs: &[BagCert]) -> Result<SignerSummary, SignError> {
    let t = t.expect(tlv::SEQUENCE, "SignerInfo")?;
    let mut r = t.children();
    let version = small_int(r.next("SignerInfo.version")?, "SignerInfo.version")?;
    let sid_tlv = r.next("SignerInfo.sid")?;
    let sid = match sid_tlv.tag {
        tlv::SEQUENCE => {
            let mut sr = sid_tlv.children();
            let issuer = sr.expect(tlv::SEQUENCE, "IssuerAndSerialNumber.issuer")?;
            let serial = sr.expect(tlv::INTEGER, "IssuerAndSerialNumber.serialNumber")?;
            sr.finish("IssuerAndSerialNumber")?;
            SignerId::IssuerAndSerialNumber {
                issuer: describe_name(issuer.raw),
                serial: const_hex::encode_upper(serial.value),
                issuer_der: issuer.raw.to_vec(),
                serial_bytes: serial.value.to_vec(),
            }
        }
        0x80 => SignerId::SubjectKeyIdentifier {
            key_id: const_hex::encode_upper(sid_tlv.value),
            bytes: sid_tlv.value.to_vec(),
        },
        other => {
            return Err(structure(
                sid_tlv.offset,
                "SignerInfo.sid",
                format!("expected issuerAndSerialNumber or [0] subjectKeyIdentifier, found tag 0x{other:02X}"),
            ));
        }
    };
    let digest_algorithm = alg_id(r.next("SignerInfo.digestAlgorithm")?, "SignerInfo.digestAlgorithm")?;

    let mut signed_attributes = Vec::new();
    let mut signed_attrs_der = None;
    let mut signed_attributes_offset = None;
    if r.peek_tag() == Some(tlv::CTX0) {
        let sa = r.next("SignerInfo.signedAttrs")?;
        signed_attributes = attributes(sa)?;
        let mut der = sa.raw.to_vec();
        der[0] = tlv::SET;
        signed_attrs_der = Some(der);
        signed_attributes_offset = Some(sa.offset);
    }
    let signature_algorithm = alg_id(
        r.next("SignerInfo.signatureAlgorithm")?,
        "SignerInfo.signatureAlgorithm",
    )?;
    let sig = r.expect(tlv::OCTET_STRING, "SignerInfo.signature")?;
    let mut unsigned_attributes = Vec::new();
    if r.peek_tag() == Some(tlv::CTX1) {
        let ua = r.next("SignerInfo.unsignedAttrs")?;
        unsigned_attributes = attributes(ua)?.into_iter().map(|a| a.oid).collect();
    }
    r.finish("SignerInfo")?;

    let certificate = certs.iter().position(|c| sid_matches(&sid, &c.cert));
    let cert = certificate.map(|i| &certs[i].cert);
    Ok(SignerSummary {
        version,
        sid,
        certificate,
        subject: cert.map(|c| c.facts.subject_name.clone()),
        issuer: cert.map(|c| c.facts.issuer_name.clone()),
        serial: cert.map(|c| c.facts.serial.clone()),
        tbs_hash: cert.and_then(|c| c.facts.tbs_hash.clone()),
        digest_algorithm,
        signature_algorithm,
        has_signed_attributes: signed_attrs_der.is_some(),
        signed_attributes,
        signed_attributes_offset,
        unsigned_attributes,
        signature: sig.value.to_vec(),
        signature_offset: sig.value_offset(),
        signed_attrs_der,
    })
}

/// True when `sid` names this certificate.
pub fn sid_matches(sid: &SignerId, cert: &ParsedCert) -> bool {
    match sid {
        SignerId::IssuerAndSerialNumber {
            issuer_der,
            serial_bytes,
            ..
        } => *issuer_der == cert.issuer_der && *serial_bytes == cert.serial_bytes,
        SignerId::SubjectKeyIdentifier { bytes, .. } => cert.subject_key_id.as_deref() == Some(bytes.as_slice()),
    }
}

fn attributes(t: Tlv<'_>) -> Result<Vec<Attr>, SignError> {
    let mut out = Vec::new();
    let mut r = t.children();
    while !r.is_empty() {
        let a = r.expect(tlv::SEQUENCE, "Attribute")?;
        let mut ar = a.children();
        let oid = oid(ar.next("Attribute.attrType")?, "Attribute.attrType")?;
        let set = ar.expect(tlv::SET, "Attribute.attrValues")?;
        ar.finish("Attribute")?;
        let mut values = Vec::new();
        let mut vr = set.children();
        while !vr.is_empty() {
            values.push(vr.next("AttributeValue")?.raw.to_vec());
        }
        out.push(Attr {
            name: oids::name(&oid),
            oid,
            values,
        });
    }
    Ok(out)
}
