//! Embedded Authenticode signatures: PKCS#7 SignedData with an SpcIndirectDataContent, read with
//! the `cms` crate; certificate facts come from [`crate::cert`].

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Encode, Reader, SliceReader, Tagged};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::digest::{self, DigestAlg};
use super::tlv;
use crate::cert::{CertFacts, KeyKind};
use crate::model::HexBytes;

const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const OID_SPC_INDIRECT_DATA: &str = "1.3.6.1.4.1.311.2.1.4";
const OID_SPC_PE_IMAGE_DATA: &str = "1.3.6.1.4.1.311.2.1.15";
const OID_SPC_SIPINFO: &str = "1.3.6.1.4.1.311.2.1.30";
const OID_SPC_SP_OPUS_INFO: &str = "1.3.6.1.4.1.311.2.1.12";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const OID_NESTED_SIGNATURE: &str = "1.3.6.1.4.1.311.2.4.1";
/// Content octets of 1.3.6.1.4.1.311.2.3.1 (page hashes, SHA-1).
const PAGE_HASHES_V1: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x03, 0x01];
/// Content octets of 1.3.6.1.4.1.311.2.3.2 (page hashes, SHA-256).
const PAGE_HASHES_V2: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x03, 0x02];
/// Nested signatures deeper than this are not followed.
const MAX_NESTING: u32 = 4;

/// `SpcAttributeTypeAndOptionalValue`.
#[derive(Clone, Debug, der::Sequence)]
struct SpcAttributeTypeAndOptionalValue {
    kind: ObjectIdentifier,
    value: Option<Any>,
}

/// `DigestInfo`.
#[derive(Clone, Debug, der::Sequence)]
struct DigestInfo {
    algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

/// `SpcIndirectDataContent`.
#[derive(Clone, Debug, der::Sequence)]
struct SpcIndirectDataContent {
    data: SpcAttributeTypeAndOptionalValue,
    message_digest: DigestInfo,
}

/// What the signed content describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedSubject {
    /// `SpcPeImageData`: a PE image.
    PeImage,
    /// `SpcSigInfo`: a SIP subject (scripts, MSI).
    SipInfo,
    /// Anything else.
    Other,
}

/// Page-hash table entry 0 as embedded by the signer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EmbeddedPageHash {
    /// SHA-1 (v1 table) or SHA-256 (v2 table).
    pub alg: DigestAlg,
    /// Digest of page 0.
    pub first_page: HexBytes,
}

/// One signature (one SignerInfo) found in a file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SignatureFacts {
    /// Where it sits: index in the file's list of signature blobs, then nested indexes.
    pub path: Vec<usize>,
    /// What the signed content describes.
    pub subject: SignedSubject,
    /// File digest algorithm named in the signed content.
    pub digest_alg: Option<DigestAlg>,
    /// The file digest the signer embedded.
    pub embedded_digest: HexBytes,
    /// Whether `embedded_digest` equals the digest recomputed from the file (set by the caller).
    pub digest_matches: Option<bool>,
    /// Whether the SignerInfo's messageDigest attribute equals the digest of the signed content.
    pub content_digest_matches: Option<bool>,
    /// Whether the leaf's RSA key verifies the SignerInfo signature over the signed attributes
    /// (`None`: not an RSA PKCS#1 v1.5 signature, or the attributes could not be located).
    pub signature_valid: Option<bool>,
    /// Page-hash table entry 0, when the signer embedded page hashes.
    pub page_hash: Option<EmbeddedPageHash>,
    /// SpcSpOpusInfo programName (the OEM/program name WHQLPublisher uses as CertOemID).
    pub opus_program_name: Option<String>,
    /// SpcSpOpusInfo moreInfo URL.
    pub opus_more_info: Option<String>,
    /// Signing chain, leaf first, built from the signature's certificate bag.
    pub chain: Vec<CertFacts>,
    /// Every certificate in the bag (timestamping ones too), in DER set order.
    pub certificates: Vec<CertFacts>,
    /// Why this signature cannot back signer rules, when it cannot.
    pub problems: Vec<String>,
}

impl SignatureFacts {
    /// The signing certificate.
    pub fn leaf(&self) -> Option<&CertFacts> {
        self.chain.first()
    }

    /// The leaf's issuer as found in the bag (the "PCA", rule-levels.md §3.2).
    pub fn issuer(&self) -> Option<&CertFacts> {
        self.chain.get(1)
    }

    /// The top of the chain as far as the bag goes.
    pub fn top(&self) -> Option<&CertFacts> {
        self.chain.last()
    }

    /// True when the signature can back signer rules: the file digest matches, the signed content
    /// digest matches, a leaf was found and its key is RSA of at most 4096 bits.
    pub fn usable(&self) -> bool {
        self.digest_matches == Some(true)
            && self.content_digest_matches != Some(false)
            && self.signature_valid != Some(false)
            && self
                .leaf()
                .is_some_and(|l| matches!(l.key, KeyKind::Rsa { bits } if bits <= 4096))
            && self.leaf().is_some_and(|l| l.tbs_hash.is_some())
    }
}

/// A bag certificate with what chain building needs.
struct BagCert {
    der: Vec<u8>,
    facts: CertFacts,
    spki: Vec<u8>,
    subject: Vec<u8>,
    issuer: Vec<u8>,
    serial: Vec<u8>,
    ski: Option<Vec<u8>>,
    aki: Option<Vec<u8>>,
}

fn bag_cert(c: &Certificate) -> Option<BagCert> {
    let der = c.to_der().ok()?;
    let facts = CertFacts::from_der(&der).ok()?;
    let tbs = c.tbs_certificate();
    let ski = tbs
        .get_extension::<SubjectKeyIdentifier>()
        .ok()
        .flatten()
        .map(|(_, s)| s.0.as_bytes().to_vec());
    let aki = tbs
        .get_extension::<AuthorityKeyIdentifier>()
        .ok()
        .flatten()
        .and_then(|(_, a)| a.key_identifier.map(|k| k.as_bytes().to_vec()));
    Some(BagCert {
        der,
        facts,
        spki: tbs.subject_public_key_info().to_der().ok()?,
        subject: tbs.subject().to_der().ok()?,
        issuer: tbs.issuer().to_der().ok()?,
        serial: tbs.serial_number().as_bytes().to_vec(),
        ski,
        aki,
    })
}

/// Longest chain followed. Real Authenticode chains have 2 to 4 certificates; the limit keeps a
/// hostile bag (thousands of certificates whose names link in a ring) linear to walk.
const MAX_CHAIN: usize = 16;

/// Walks issuer links inside the bag from `leaf`, preferring a key-identifier match when several
/// certificates share the issuer name (cross-certificates). A certificate is used once, by
/// position and by content (a bag may hold copies), so loops end.
fn build_chain(bag: &[BagCert], leaf: usize) -> Vec<usize> {
    let mut chain = vec![leaf];
    let mut used = vec![false; bag.len()];
    used[leaf] = true;
    let mut cur = leaf;
    while chain.len() < MAX_CHAIN {
        let c = &bag[cur];
        if c.subject == c.issuer {
            break;
        }
        let candidates: Vec<usize> = (0..bag.len())
            // Raw DER first; the DN text too, since issuers re-encode names (PrintableString vs
            // UTF8String) and CryptoAPI matches them after normalisation.
            .filter(|&i| !used[i] && (bag[i].subject == c.issuer || bag[i].facts.subject_dn == c.facts.issuer_dn))
            .filter(|&i| !chain.iter().any(|&j| bag[j].der == bag[i].der))
            .collect();
        let next = candidates
            .iter()
            .copied()
            .find(|&i| c.aki.is_some() && bag[i].ski == c.aki)
            .or_else(|| candidates.first().copied());
        match next {
            Some(n) => {
                chain.push(n);
                used[n] = true;
                cur = n;
            }
            None => break,
        }
    }
    chain
}

fn find_signer_cert(bag: &[BagCert], sid: &SignerIdentifier) -> Option<usize> {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            let issuer = isn.issuer.to_der().ok()?;
            let serial = isn.serial_number.as_bytes();
            bag.iter().position(|c| c.issuer == issuer && c.serial == serial)
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            let want = ski.0.as_bytes();
            bag.iter().position(|c| c.ski.as_deref() == Some(want))
        }
    }
}

fn opus(value: &Any) -> (Option<String>, Option<String>) {
    let (mut program, mut more) = (None, None);
    if value.tag() != der::Tag::Sequence {
        return (None, None);
    }
    for field in tlv::items(value.value()) {
        let Some(inner) = tlv::tlv(field.value) else { continue };
        match field.tag {
            0xA0 => program = tlv::spc_string(&inner),
            // SpcLink: [0] url (IA5) is the usual choice; [2] file is an SpcString.
            0xA1 => {
                more = match inner.tag & 0x1F {
                    0 => Some(String::from_utf8_lossy(inner.value).into_owned()),
                    2 => tlv::tlv(inner.value).and_then(|s| tlv::spc_string(&s)),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    (program, more)
}

fn page_hash(value: &Any) -> Option<EmbeddedPageHash> {
    let der = value.to_der().ok()?;
    for (oid, alg, len) in [
        (PAGE_HASHES_V2, DigestAlg::Sha256, 32),
        (PAGE_HASHES_V1, DigestAlg::Sha1, 20),
    ] {
        if let Some(set) = tlv::find_after_oid(&der, oid, 10) {
            let table = tlv::items(set.value).into_iter().find(|t| t.tag == 0x04)?;
            let entry = table.value.get(4..4 + len)?;
            return Some(EmbeddedPageHash {
                alg,
                first_page: HexBytes(entry.to_vec()),
            });
        }
    }
    None
}

/// Reads every signature in one PKCS#7 blob (trailing padding allowed), nested ones included.
/// `path` is the position given to the first signature found.
pub fn read_signatures(blob: &[u8], path: Vec<usize>) -> Result<Vec<SignatureFacts>, String> {
    let mut out = Vec::new();
    read_into(blob, path, MAX_NESTING, &mut out)?;
    Ok(out)
}

fn read_into(blob: &[u8], path: Vec<usize>, depth: u32, out: &mut Vec<SignatureFacts>) -> Result<(), String> {
    let mut reader = SliceReader::new(blob).map_err(|e| format!("PKCS#7: {e}"))?;
    let ci: ContentInfo = reader.decode().map_err(|e| format!("PKCS#7 ContentInfo: {e}"))?;
    if ci.content_type.to_string() != OID_SIGNED_DATA {
        return Err(format!("PKCS#7 content type {} is not SignedData", ci.content_type));
    }
    let sd: SignedData = ci.content.decode_as().map_err(|e| format!("PKCS#7 SignedData: {e}"))?;
    if sd.encap_content_info.econtent_type.to_string() != OID_SPC_INDIRECT_DATA {
        return Err(format!(
            "signed content type {} is not SpcIndirectDataContent",
            sd.encap_content_info.econtent_type
        ));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("SignedData has no content")?;
    let indirect: SpcIndirectDataContent = econtent
        .decode_as()
        .map_err(|e| format!("SpcIndirectDataContent: {e}"))?;
    let subject = match indirect.data.kind.to_string().as_str() {
        OID_SPC_PE_IMAGE_DATA => SignedSubject::PeImage,
        OID_SPC_SIPINFO => SignedSubject::SipInfo,
        _ => SignedSubject::Other,
    };
    let digest_alg = DigestAlg::from_oid(&indirect.message_digest.algorithm.oid.to_string());
    let page = match (subject, &indirect.data.value) {
        (SignedSubject::PeImage, Some(v)) => page_hash(v),
        _ => None,
    };
    let bag: Vec<BagCert> = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => bag_cert(c),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    for (i, si) in sd.signer_infos.0.iter().enumerate() {
        let mut sig_path = path.clone();
        if i > 0 {
            // Several SignerInfos in one blob are rare; give each its own position.
            sig_path.push(i);
        }
        let mut facts = signer_facts(
            si,
            &bag,
            econtent,
            &indirect,
            subject,
            digest_alg,
            page.clone(),
            sig_path.clone(),
        );
        facts.signature_valid = verify_signer(blob, si, &bag);
        if facts.signature_valid == Some(false) {
            facts
                .problems
                .push("signature over the signed attributes does not verify with the leaf key".to_string());
        }
        out.push(facts);
        // Nested signatures ride in the unsigned attributes.
        let nested: Vec<&Any> = si
            .unsigned_attrs
            .iter()
            .flat_map(|a| a.iter())
            .filter(|a| a.oid.to_string() == OID_NESTED_SIGNATURE)
            .flat_map(|a| a.values.iter())
            .collect();
        for (n, value) in nested.into_iter().enumerate() {
            let mut p = sig_path.clone();
            p.push(n);
            if depth == 0 {
                break;
            }
            match value.to_der() {
                Ok(der) => {
                    if let Err(e) = read_into(&der, p.clone(), depth - 1, out) {
                        out.push(broken(p, format!("nested signature: {e}")));
                    }
                }
                Err(e) => out.push(broken(p, format!("nested signature: {e}"))),
            }
        }
    }
    Ok(())
}

/// A placeholder for a signature that could not be read, so that it is reported.
pub fn broken(path: Vec<usize>, problem: String) -> SignatureFacts {
    SignatureFacts {
        path,
        subject: SignedSubject::Other,
        digest_alg: None,
        embedded_digest: HexBytes::default(),
        digest_matches: None,
        content_digest_matches: None,
        signature_valid: None,
        page_hash: None,
        opus_program_name: None,
        opus_more_info: None,
        chain: Vec::new(),
        certificates: Vec::new(),
        problems: vec![problem],
    }
}

#[allow(clippy::too_many_arguments)]
fn signer_facts(
    si: &SignerInfo,
    bag: &[BagCert],
    econtent: &Any,
    indirect: &SpcIndirectDataContent,
    subject: SignedSubject,
    digest_alg: Option<DigestAlg>,
    page_hash: Option<EmbeddedPageHash>,
    path: Vec<usize>,
) -> SignatureFacts {
    let mut problems = Vec::new();
    let (mut program, mut more, mut message_digest) = (None, None, None);
    for attr in si.signed_attrs.iter().flat_map(|a| a.iter()) {
        let Some(value) = attr.values.get(0) else { continue };
        match attr.oid.to_string().as_str() {
            OID_SPC_SP_OPUS_INFO => (program, more) = opus(value),
            OID_MESSAGE_DIGEST => message_digest = value.decode_as::<OctetString>().ok(),
            _ => {}
        }
    }
    // PKCS#7 v1.5 signs the content octets of the SpcIndirectDataContent SEQUENCE.
    let content_digest_matches = match (DigestAlg::from_oid(&si.digest_alg.oid.to_string()), &message_digest) {
        (Some(alg), Some(md)) => Some(digest::digest(alg, econtent.value()) == md.as_bytes()),
        _ => None,
    };
    if content_digest_matches == Some(false) {
        problems.push("messageDigest attribute does not match the signed content".to_string());
    }
    let chain: Vec<CertFacts> = match find_signer_cert(bag, &si.sid) {
        Some(leaf) => build_chain(bag, leaf)
            .into_iter()
            .map(|i| bag[i].facts.clone())
            .collect(),
        None => {
            problems.push("signing certificate is not in the certificate bag".to_string());
            Vec::new()
        }
    };
    if let Some(leaf) = chain.first() {
        match leaf.key {
            KeyKind::Rsa { bits } if bits > 4096 => {
                problems.push(format!("leaf key is RSA {bits} bits; signer rules need at most 4096"))
            }
            KeyKind::Rsa { .. } => {}
            KeyKind::Ec => problems.push("leaf key is ECDSA; WDAC signer rules need RSA".to_string()),
            KeyKind::Other { ref oid } => problems.push(format!("leaf key algorithm {oid} is not RSA")),
        }
    }
    if digest_alg.is_none() {
        problems.push(format!(
            "unknown file digest algorithm {}",
            indirect.message_digest.algorithm.oid
        ));
    }
    SignatureFacts {
        path,
        subject,
        digest_alg,
        embedded_digest: HexBytes(indirect.message_digest.digest.as_bytes().to_vec()),
        digest_matches: None,
        content_digest_matches,
        signature_valid: None,
        page_hash,
        opus_program_name: program,
        opus_more_info: more,
        chain,
        certificates: bag.iter().map(|c| c.facts.clone()).collect(),
        problems,
    }
}

/// PKCS#1 DigestInfo prefixes (DER up to the digest octets) by algorithm.
fn digest_info_prefix(alg: DigestAlg) -> &'static [u8] {
    match alg {
        DigestAlg::Md5 => &[
            0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00, 0x04, 0x10,
        ],
        DigestAlg::Sha1 => &[
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
        ],
        DigestAlg::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
            0x20,
        ],
        DigestAlg::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
            0x30,
        ],
        DigestAlg::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
            0x40,
        ],
    }
}

/// The signed attributes exactly as stored in `blob` (re-tagged as a SET), for the SignerInfo
/// whose signature value is `signature`. Read from the original bytes because `der` sorts SET OF
/// elements on decoding, and the signature covers the signer's own encoding.
fn raw_signed_attrs(blob: &[u8], signature: &[u8]) -> Option<Vec<u8>> {
    let ci = tlv::tlv(blob)?;
    let explicit = tlv::items(ci.value).into_iter().find(|t| t.tag == 0xA0)?;
    let sd = tlv::tlv(explicit.value)?;
    let infos = tlv::items(sd.value).into_iter().rev().find(|t| t.tag == 0x31)?;
    for info in tlv::items(infos.value) {
        let fields = tlv::items(info.value);
        if !fields.iter().any(|f| f.tag == 0x04 && f.value == signature) {
            continue;
        }
        let attrs = fields.iter().find(|f| f.tag == 0xA0)?;
        // Same length octets as stored, only the tag changes from [0] to SET.
        let header_len = attrs.raw.len() - attrs.value.len();
        let mut der = vec![0x31];
        der.extend_from_slice(&length_octets(attrs.value.len(), header_len));
        der.extend_from_slice(attrs.value);
        return Some(der);
    }
    None
}

/// DER length octets for `len`, in the same form (short or `header_len - 2` long bytes) as stored.
fn length_octets(len: usize, header_len: usize) -> Vec<u8> {
    if header_len <= 2 {
        return vec![len as u8];
    }
    let n = header_len - 2;
    let mut h = vec![0x80 | n as u8];
    for i in (0..n).rev() {
        h.push((len >> (8 * i)) as u8);
    }
    h
}

fn verify_signer(blob: &[u8], si: &SignerInfo, bag: &[BagCert]) -> Option<bool> {
    use rsa::pkcs8::DecodePublicKey;
    // Only RSA PKCS#1 v1.5 (rsaEncryption or the shaXWithRSA OIDs) is checked here.
    let sig_oid = si.signature_algorithm.oid.to_string();
    if !(sig_oid == "1.2.840.113549.1.1.1" || sig_oid.starts_with("1.2.840.113549.1.1.")) || sig_oid.ends_with(".10") {
        return None;
    }
    let leaf = &bag[find_signer_cert(bag, &si.sid)?];
    let key = rsa::PublicKey::from_public_key_der(&leaf.spki).ok()?;
    let alg = DigestAlg::from_oid(&si.digest_alg.oid.to_string())?;
    let attrs = raw_signed_attrs(blob, si.signature.as_bytes())?;
    let prefix = digest_info_prefix(alg);
    let mut hashed = prefix.to_vec();
    hashed.extend(digest::digest(alg, &attrs));
    let scheme = rsa::Pkcs1v15Sign {
        hash_len: None,
        prefix: Box::new([]),
    };
    Some(key.verify(scheme, &hashed, si.signature.as_bytes()).is_ok())
}
