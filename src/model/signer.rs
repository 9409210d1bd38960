//! `<EKUs>` and `<Signers>`.

use super::{HexBytes, Id, SignTime};

/// `<EKU>`: an extended key usage a signer can require.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Eku {
    /// `ID`.
    pub id: Id,
    /// `Value`: `01`, length, OID body (the DER encoding with the tag byte replaced by 01).
    pub value: Option<HexBytes>,
    /// `OID` in dotted form (newest schema).
    pub oid: Option<String>,
    /// `FriendlyName`.
    pub friendly_name: Option<String>,
}

/// `CertRoot`: the certificate a signer chains to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CertRoot {
    /// `Type="TBS"`: hash of a certificate's to-be-signed part.
    Tbs(HexBytes),
    /// `Type="Wellknown"`: one of Windows' well-known roots, by its one-byte ID.
    Wellknown(u8),
}

/// `CertEKU/@Condition`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum EkuCondition {
    /// The signer matches when the certificate does **not** have the EKU.
    Except,
}

/// `<CertEKU>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CertEku {
    /// Reference to an [`Eku`].
    pub id: Id,
    /// `Condition`.
    pub condition: Option<EkuCondition>,
}

/// `<Signer>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Signer {
    /// `ID`.
    pub id: Id,
    /// `Name` (not stored in binaries).
    pub name: Option<String>,
    /// `SignTimeAfter`.
    pub sign_time_after: Option<SignTime>,
    /// `CertRoot`.
    pub cert_root: CertRoot,
    /// `CertEKU` elements, in order.
    pub cert_ekus: Vec<CertEku>,
    /// `CertIssuer/@Value`.
    pub cert_issuer: Option<String>,
    /// `CertPublisher/@Value`: the leaf certificate's common name.
    pub cert_publisher: Option<String>,
    /// `CertOemID/@Value`.
    pub cert_oem_id: Option<String>,
    /// `FileAttribRef/@RuleID`, in order.
    pub file_attrib_refs: Vec<Id>,
    /// `ArtifactRuleRef/@RuleID`, in order (newest schema).
    pub artifact_rule_refs: Vec<Id>,
}

impl Signer {
    /// A signer with only its ID and root set.
    pub fn new(id: impl Into<Id>, cert_root: CertRoot) -> Self {
        Signer {
            id: id.into(),
            name: None,
            sign_time_after: None,
            cert_root,
            cert_ekus: Vec::new(),
            cert_issuer: None,
            cert_publisher: None,
            cert_oem_id: None,
            file_attrib_refs: Vec::new(),
            artifact_rule_refs: Vec::new(),
        }
    }
}
