//! Object identifiers used by signed policies, and their display names.

/// `signedData` (RFC 5652).
pub const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// `id-data`.
pub const DATA: &str = "1.2.840.113549.1.7.1";
/// szOID for CI policy content, the eContentType signtool writes with `/p7co`.
pub const CI_POLICY_CONTENT: &str = "1.3.6.1.4.1.311.79.1";
/// `contentType` signed attribute.
pub const ATTR_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
/// `messageDigest` signed attribute.
pub const ATTR_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
/// `signingTime` signed attribute.
pub const ATTR_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
/// `rsaEncryption`: what signtool (and Microsoft's own signed policies) write as the
/// SignerInfo signature algorithm.
pub const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// SHA-256.
pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
/// SHA-384.
pub const SHA384: &str = "2.16.840.1.101.3.4.2.2";
/// SHA-512.
pub const SHA512: &str = "2.16.840.1.101.3.4.2.3";
/// SHA-1.
pub const SHA1: &str = "1.3.14.3.2.26";
/// Code-signing EKU.
pub const EKU_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";

/// A short display name for a known OID.
pub fn name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        SIGNED_DATA => "signedData",
        DATA => "data",
        CI_POLICY_CONTENT => "CI policy content",
        ATTR_CONTENT_TYPE => "contentType",
        ATTR_MESSAGE_DIGEST => "messageDigest",
        ATTR_SIGNING_TIME => "signingTime",
        "1.3.6.1.4.1.311.2.1.12" => "SpcSpOpusInfo",
        "1.2.840.113549.1.9.16.2.47" => "signingCertificateV2",
        "1.2.840.113549.1.9.15" => "smimeCapabilities",
        RSA_ENCRYPTION => "rsaEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.2.1" => "ecPublicKey",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        SHA256 => "sha256",
        SHA384 => "sha384",
        SHA512 => "sha512",
        SHA1 => "sha1",
        "1.2.840.113549.2.5" => "md5",
        "2.16.840.1.101.3.4.2.8" => "sha3-256",
        "2.16.840.1.101.3.4.2.9" => "sha3-384",
        "2.16.840.1.101.3.4.2.10" => "sha3-512",
        _ => return None,
    })
}

/// `name (oid)` or the bare OID.
pub fn describe(oid: &str) -> String {
    match name(oid) {
        Some(n) => format!("{n} ({oid})"),
        None => oid.to_string(),
    }
}
