//! The element declarations of the newest `cipolicy.xsd` (G3, HotCakeX's copy of the
//! `Microsoft.Security.CodeIntegrity` NuGet schema, 2026-08-21), transcribed by hand: the schema
//! file is third-party and is not shipped with cipolicy, and no maintained pure-Rust XSD
//! validator exists (crates.io has only 0.0.x experiments, and none would report positions of our
//! element tree or reproduce the libxml2 behaviour the tests compare against).
//!
//! Repetition bounds are the schema's: a `choice minOccurs=1 maxOccurs=N` of one element with
//! `maxOccurs=M` allows N×M of it in any order.

use super::types::*;

/// An element declaration.
#[derive(Debug)]
pub struct Decl {
    /// Local name.
    pub name: &'static str,
    /// Attribute declarations.
    pub attrs: &'static [AttrDecl],
    /// Content model.
    pub content: Content,
}

/// An attribute declaration.
#[derive(Debug)]
pub struct AttrDecl {
    /// Local name.
    pub name: &'static str,
    /// Type.
    pub ty: Ty,
    /// `use="required"`.
    pub required: bool,
}

/// A content model.
#[derive(Debug)]
pub enum Content {
    /// No children and no text at all (not even whitespace).
    Empty,
    /// Character data of a simple type; no child elements.
    Text(Ty),
    /// `xs:sequence` of particles, in order.
    Seq(&'static [Particle]),
    /// `xs:all`: each particle at most once, any order.
    All(&'static [Particle]),
    /// A repeated `xs:choice`: any of the elements, any order, at most this many in total.
    Repeat(&'static [&'static Decl], u64),
    /// A single `xs:choice`: exactly one of the elements.
    Choice(&'static [&'static Decl]),
}

/// An element particle with its occurrence bounds.
#[derive(Debug)]
pub struct Particle {
    /// The element.
    pub decl: &'static Decl,
    /// `minOccurs`.
    pub min: u64,
    /// `maxOccurs`.
    pub max: u64,
}

const UNBOUNDED: u64 = u64::MAX;
const TEN_MILLION: u64 = 10_000_000;

const fn p(decl: &'static Decl, min: u64, max: u64) -> Particle {
    Particle { decl, min, max }
}
const fn req(name: &'static str, ty: Ty) -> AttrDecl {
    AttrDecl {
        name,
        ty,
        required: true,
    }
}
const fn opt(name: &'static str, ty: Ty) -> AttrDecl {
    AttrDecl {
        name,
        ty,
        required: false,
    }
}

/// `OptionType`, in the schema's order.
pub const OPTION_TYPE: &[&str] = &[
    "Enabled:UMCI",
    "Enabled:Boot Menu Protection",
    "Enabled:Intelligent Security Graph Authorization",
    "Enabled:Invalidate EAs on Reboot",
    "Required:WHQL",
    "Enabled:Developer Mode Dynamic Code Trust",
    "Enabled:Allow Supplemental Policies",
    "Disabled:Runtime FilePath Rule Protection",
    "Enabled:Revoked Expired As Unsigned",
    "Enabled:Audit Mode",
    "Disabled:Flight Signing",
    "Enabled:Inherit Default Policy",
    "Enabled:Unsigned System Integrity Policy",
    "Enabled:Dynamic Code Security",
    "Required:EV Signers",
    "Enabled:Boot Audit On Failure",
    "Enabled:Advanced Boot Options Menu",
    "Disabled:Script Enforcement",
    "Required:Enforce Store Applications",
    "Enabled:Secure Setting Policy",
    "Enabled:Managed Installer",
    "Enabled:Update Policy No Reboot",
    "Enabled:Conditional Windows Lockdown Policy",
    "Disabled:Default Windows Certificate Remapping",
];

// ---- root and header -------------------------------------------------------------------------

pub static SI_POLICY: Decl = Decl {
    name: "SiPolicy",
    attrs: &[
        opt("FriendlyName", Ty::String),
        opt(
            "PolicyType",
            Ty::Enum(&["Base Policy", "Supplemental Policy", "AppID Tagging Policy"]),
        ),
    ],
    content: Content::All(&[
        p(&VERSION_EX, 1, 1),
        p(&POLICY_TYPE_ID, 0, 1),
        p(&PLATFORM_ID, 1, 1),
        p(&POLICY_ID, 0, 1),
        p(&BASE_POLICY_ID, 0, 1),
        p(&RULES, 1, 1),
        p(&EKUS, 0, 1),
        p(&FILE_RULES, 0, 1),
        p(&ARTIFACT_RULES, 0, 1),
        p(&SIGNERS, 0, 1),
        p(&SIGNING_SCENARIOS, 0, 1),
        p(&UPDATE_POLICY_SIGNERS, 0, 1),
        p(&CI_SIGNERS, 0, 1),
        p(&HVCI_OPTIONS, 0, 1),
        p(&SETTINGS, 0, 1),
        p(&MACROS, 0, 1),
        p(&SUPPLEMENTAL_POLICY_SIGNERS, 0, 1),
        p(&APP_SETTINGS, 0, 1),
    ]),
};

static VERSION_EX: Decl = Decl {
    name: "VersionEx",
    attrs: &[],
    content: Content::Text(Ty::VersionEx),
};
static POLICY_TYPE_ID: Decl = Decl {
    name: "PolicyTypeID",
    attrs: &[],
    content: Content::Text(Ty::Guid),
};
static PLATFORM_ID: Decl = Decl {
    name: "PlatformID",
    attrs: &[],
    content: Content::Text(Ty::Guid),
};
static POLICY_ID: Decl = Decl {
    name: "PolicyID",
    attrs: &[],
    content: Content::Text(Ty::Guid),
};
static BASE_POLICY_ID: Decl = Decl {
    name: "BasePolicyID",
    attrs: &[],
    content: Content::Text(Ty::Guid),
};
static HVCI_OPTIONS: Decl = Decl {
    name: "HvciOptions",
    attrs: &[],
    content: Content::Text(Ty::UInt),
};

static RULES: Decl = Decl {
    name: "Rules",
    attrs: &[],
    content: Content::Seq(&[p(&RULE, 0, 65535)]),
};
static RULE: Decl = Decl {
    name: "Rule",
    attrs: &[],
    content: Content::Seq(&[p(&OPTION, 1, 1)]),
};
static OPTION: Decl = Decl {
    name: "Option",
    attrs: &[],
    content: Content::Text(Ty::Enum(OPTION_TYPE)),
};

// ---- EKUs ------------------------------------------------------------------------------------

static EKUS: Decl = Decl {
    name: "EKUs",
    attrs: &[],
    content: Content::Repeat(&[&EKU], 255 * 255),
};
static EKU: Decl = Decl {
    name: "EKU",
    attrs: &[
        req("ID", Ty::Id(EKU_ID)),
        opt("Value", Ty::Hex),
        opt("OID", Ty::String),
        opt("FriendlyName", Ty::String),
    ],
    content: Content::Empty,
};

// ---- file rules ------------------------------------------------------------------------------

static FILE_RULES: Decl = Decl {
    name: "FileRules",
    attrs: &[],
    content: Content::Repeat(&[&ALLOW, &DENY, &FILE_ATTRIB, &FILE_RULE], UNBOUNDED),
};

macro_rules! file_rule_attrs {
    ($id:expr $(, $extra:expr)*) => {
        &[
            req("ID", Ty::Id($id)),
            opt("FriendlyName", Ty::String),
            opt("FileName", Ty::String),
            opt("InternalName", Ty::String),
            opt("FileDescription", Ty::String),
            opt("ProductName", Ty::String),
            opt("PackageFamilyName", Ty::String),
            opt("PackageVersion", Ty::VersionEx),
            opt("MinimumFileVersion", Ty::VersionEx),
            opt("MaximumFileVersion", Ty::VersionEx),
            opt("Hash", Ty::Hex),
            opt("AppIDs", Ty::AppIds),
            opt("FilePath", Ty::String),
            $($extra,)*
        ]
    };
}

static ALLOW: Decl = Decl {
    name: "Allow",
    attrs: file_rule_attrs!(
        ALLOW_ID,
        opt("RequireHotpatchID", Ty::Id(ALLOW_ID)),
        opt("MinimumHotpatchSequence", Ty::UInt),
        opt("MaximumHotpatchSequence", Ty::UInt)
    ),
    content: Content::Empty,
};
static DENY: Decl = Decl {
    name: "Deny",
    attrs: file_rule_attrs!(DENY_ID),
    content: Content::Empty,
};
static FILE_ATTRIB: Decl = Decl {
    name: "FileAttrib",
    attrs: file_rule_attrs!(FILE_ATTRIB_ID),
    content: Content::Empty,
};
static FILE_RULE: Decl = Decl {
    name: "FileRule",
    attrs: file_rule_attrs!(FILE_RULE_ID, req("Type", Ty::Enum(&["Match", "Exclude", "Attribute"]))),
    content: Content::Empty,
};

// ---- artifact rules --------------------------------------------------------------------------

static ARTIFACT_RULES: Decl = Decl {
    name: "ArtifactRules",
    attrs: &[],
    content: Content::Repeat(&[&ARTIFACT_RULE], UNBOUNDED),
};
static ARTIFACT_RULE: Decl = Decl {
    name: "ArtifactRule",
    attrs: &[
        req("ID", Ty::Id(ARTIFACT_ID)),
        req("ArtifactType", Ty::Enum(&["CIM", "Catalog"])),
        req("Action", Ty::Enum(&["Deny", "Allow"])),
        opt("FriendlyName", Ty::String),
        opt("ArtifactName", Ty::String),
        opt("ArtifactDescription", Ty::String),
        opt("MinimumVersion", Ty::VersionEx),
        opt("MaximumVersion", Ty::VersionEx),
    ],
    content: Content::Seq(&[p(&ARTIFACT_HASH, 0, 1)]),
};
static ARTIFACT_HASH: Decl = Decl {
    name: "ArtifactHash",
    attrs: &[],
    content: Content::Seq(&[p(&DIGEST, 1, 1)]),
};
static DIGEST: Decl = Decl {
    name: "Hash",
    attrs: &[],
    content: Content::Choice(&[&SHA256, &SHA384, &SHA512]),
};
static SHA256: Decl = Decl {
    name: "sha256",
    attrs: &[],
    content: Content::Text(Ty::HexLen(32)),
};
static SHA384: Decl = Decl {
    name: "sha384",
    attrs: &[],
    content: Content::Text(Ty::HexLen(48)),
};
static SHA512: Decl = Decl {
    name: "sha512",
    attrs: &[],
    content: Content::Text(Ty::HexLen(64)),
};

// ---- signers ---------------------------------------------------------------------------------

static SIGNERS: Decl = Decl {
    name: "Signers",
    attrs: &[],
    content: Content::Repeat(&[&SIGNER], UNBOUNDED),
};
static SIGNER: Decl = Decl {
    name: "Signer",
    attrs: &[
        opt("Name", Ty::String),
        req("ID", Ty::Id(SIGNER_ID)),
        opt("SignTimeAfter", Ty::DateTime),
    ],
    content: Content::Seq(&[
        p(&CERT_ROOT, 1, 1),
        p(&CERT_EKU, 0, 255),
        p(&CERT_ISSUER, 0, 1),
        p(&CERT_PUBLISHER, 0, 1),
        p(&CERT_OEM_ID, 0, 1),
        p(&FILE_ATTRIB_REF, 0, TEN_MILLION),
        p(&ARTIFACT_RULE_REF, 0, TEN_MILLION),
    ]),
};
static CERT_ROOT: Decl = Decl {
    name: "CertRoot",
    attrs: &[req("Type", Ty::Enum(&["TBS", "Wellknown"])), req("Value", Ty::Hex)],
    content: Content::Empty,
};
static CERT_EKU: Decl = Decl {
    name: "CertEKU",
    attrs: &[req("ID", Ty::Id(EKU_ID)), opt("Condition", Ty::Enum(&["Except"]))],
    content: Content::Empty,
};
static CERT_ISSUER: Decl = Decl {
    name: "CertIssuer",
    attrs: &[req("Value", Ty::String)],
    content: Content::Empty,
};
static CERT_PUBLISHER: Decl = Decl {
    name: "CertPublisher",
    attrs: &[req("Value", Ty::String)],
    content: Content::Empty,
};
static CERT_OEM_ID: Decl = Decl {
    name: "CertOemID",
    attrs: &[req("Value", Ty::String)],
    content: Content::Empty,
};
static FILE_ATTRIB_REF: Decl = Decl {
    name: "FileAttribRef",
    attrs: &[req("RuleID", Ty::Id(FILE_ATTRIB_ID))],
    content: Content::Empty,
};
static ARTIFACT_RULE_REF: Decl = Decl {
    name: "ArtifactRuleRef",
    attrs: &[req("RuleID", Ty::Id(ARTIFACT_ID))],
    content: Content::Empty,
};

// ---- signing scenarios -----------------------------------------------------------------------

static SIGNING_SCENARIOS: Decl = Decl {
    name: "SigningScenarios",
    attrs: &[],
    content: Content::Repeat(&[&SIGNING_SCENARIO], 255 * 255),
};
static SIGNING_SCENARIO: Decl = Decl {
    name: "SigningScenario",
    attrs: &[
        req("ID", Ty::Id(SCENARIO_ID)),
        opt("FriendlyName", Ty::String),
        req("Value", Ty::UByte),
        opt("InheritedScenarios", Ty::ScenarioIds),
        opt("MinimumHashAlgorithm", Ty::UShort),
    ],
    content: Content::Seq(&[
        p(&PRODUCT_SIGNERS, 1, 1),
        p(&ARTIFACT_SIGNERS, 0, 1),
        p(&TEST_SIGNERS, 0, 1),
        p(&TEST_SIGNING_SIGNERS, 0, 1),
        p(&APP_ID_TAGS, 0, 1),
    ]),
};
static PRODUCT_SIGNERS: Decl = Decl {
    name: "ProductSigners",
    attrs: &[],
    content: Content::All(&[
        p(&ALLOWED_SIGNERS, 0, 1),
        p(&DENIED_SIGNERS, 0, 1),
        p(&FILE_RULES_REF, 0, 1),
    ]),
};
static ARTIFACT_SIGNERS: Decl = Decl {
    name: "ArtifactSigners",
    attrs: &[],
    content: Content::All(&[
        p(&ALLOWED_SIGNERS, 0, 1),
        p(&DENIED_SIGNERS, 0, 1),
        p(&ARTIFACT_RULES_REF, 0, 1),
    ]),
};
static TEST_SIGNERS: Decl = Decl {
    name: "TestSigners",
    attrs: &[],
    content: Content::Seq(&[
        p(&ALLOWED_SIGNERS, 0, 1),
        p(&DENIED_SIGNERS, 0, 1),
        p(&FILE_RULES_REF, 0, 1),
    ]),
};
static TEST_SIGNING_SIGNERS: Decl = Decl {
    name: "TestSigningSigners",
    attrs: &[],
    content: Content::Seq(&[
        p(&ALLOWED_SIGNERS, 0, 1),
        p(&DENIED_SIGNERS, 0, 1),
        p(&FILE_RULES_REF, 0, 1),
    ]),
};
static ALLOWED_SIGNERS: Decl = Decl {
    name: "AllowedSigners",
    attrs: &[opt("Workaround", Ty::String)],
    content: Content::Seq(&[p(&ALLOWED_SIGNER, 1, TEN_MILLION)]),
};
static DENIED_SIGNERS: Decl = Decl {
    name: "DeniedSigners",
    attrs: &[opt("Workaround", Ty::String)],
    content: Content::Seq(&[p(&DENIED_SIGNER, 1, TEN_MILLION)]),
};
static ALLOWED_SIGNER: Decl = Decl {
    name: "AllowedSigner",
    attrs: &[req("SignerId", Ty::Id(SIGNER_ID))],
    content: Content::Seq(&[p(&EXCEPT_DENY_RULE, 0, TEN_MILLION)]),
};
static DENIED_SIGNER: Decl = Decl {
    name: "DeniedSigner",
    attrs: &[req("SignerId", Ty::Id(SIGNER_ID))],
    content: Content::Seq(&[p(&EXCEPT_ALLOW_RULE, 0, TEN_MILLION)]),
};
static EXCEPT_DENY_RULE: Decl = Decl {
    name: "ExceptDenyRule",
    attrs: &[req("DenyRuleID", Ty::Id(DENY_ID))],
    content: Content::Empty,
};
static EXCEPT_ALLOW_RULE: Decl = Decl {
    name: "ExceptAllowRule",
    attrs: &[req("AllowRuleID", Ty::Id(ALLOW_ID))],
    content: Content::Empty,
};
static FILE_RULES_REF: Decl = Decl {
    name: "FileRulesRef",
    attrs: &[opt("Workaround", Ty::String)],
    content: Content::Seq(&[p(&FILE_RULE_REF, 1, TEN_MILLION)]),
};
/// `FileRuleRef`: its RuleID is optional in the schema.
pub static FILE_RULE_REF: Decl = Decl {
    name: "FileRuleRef",
    attrs: &[opt("RuleID", Ty::Id(RULE_REF_ID))],
    content: Content::Empty,
};
static ARTIFACT_RULES_REF: Decl = Decl {
    name: "ArtifactRulesRef",
    attrs: &[opt("Workaround", Ty::String)],
    content: Content::Seq(&[p(&ARTIFACT_RULE_REF, 1, TEN_MILLION)]),
};
static APP_ID_TAGS: Decl = Decl {
    name: "AppIDTags",
    attrs: &[opt("EnforceDLL", Ty::Bool)],
    content: Content::Seq(&[p(&APP_ID_TAG, 0, 65535)]),
};
static APP_ID_TAG: Decl = Decl {
    name: "AppIDTag",
    attrs: &[req("Key", Ty::String), req("Value", Ty::String)],
    content: Content::Empty,
};

// ---- signer lists ----------------------------------------------------------------------------

static UPDATE_POLICY_SIGNERS: Decl = Decl {
    name: "UpdatePolicySigners",
    attrs: &[],
    content: Content::Repeat(&[&UPDATE_POLICY_SIGNER], UNBOUNDED),
};
static UPDATE_POLICY_SIGNER: Decl = Decl {
    name: "UpdatePolicySigner",
    attrs: &[req("SignerId", Ty::Id(SIGNER_ID))],
    content: Content::Empty,
};
static SUPPLEMENTAL_POLICY_SIGNERS: Decl = Decl {
    name: "SupplementalPolicySigners",
    attrs: &[],
    content: Content::Repeat(&[&SUPPLEMENTAL_POLICY_SIGNER], UNBOUNDED),
};
static SUPPLEMENTAL_POLICY_SIGNER: Decl = Decl {
    name: "SupplementalPolicySigner",
    attrs: &[req("SignerId", Ty::Id(SIGNER_ID))],
    content: Content::Empty,
};
static CI_SIGNERS: Decl = Decl {
    name: "CiSigners",
    attrs: &[],
    content: Content::Repeat(&[&CI_SIGNER], UNBOUNDED),
};
static CI_SIGNER: Decl = Decl {
    name: "CiSigner",
    attrs: &[req("SignerId", Ty::Id(SIGNER_ID))],
    content: Content::Empty,
};

// ---- settings, macros, app settings ----------------------------------------------------------

static SETTINGS: Decl = Decl {
    name: "Settings",
    attrs: &[],
    content: Content::Repeat(&[&SETTING], 65535 * 65535),
};
static SETTING: Decl = Decl {
    name: "Setting",
    attrs: &[
        req("Provider", Ty::String),
        req("Key", Ty::String),
        req("ValueName", Ty::String),
    ],
    content: Content::Seq(&[p(&SETTING_VALUE, 1, 1)]),
};
static SETTING_VALUE: Decl = Decl {
    name: "Value",
    attrs: &[],
    content: Content::Choice(&[&BOOLEAN, &DWORD, &BINARY, &STRING]),
};
static BOOLEAN: Decl = Decl {
    name: "Boolean",
    attrs: &[],
    content: Content::Text(Ty::Bool),
};
static DWORD: Decl = Decl {
    name: "DWord",
    attrs: &[],
    content: Content::Text(Ty::UInt),
};
static BINARY: Decl = Decl {
    name: "Binary",
    attrs: &[],
    content: Content::Text(Ty::Hex),
};
static STRING: Decl = Decl {
    name: "String",
    attrs: &[],
    content: Content::Text(Ty::String),
};
/// `Macros` (its `Macro/@Id` values must be unique).
pub static MACROS: Decl = Decl {
    name: "Macros",
    attrs: &[],
    content: Content::Seq(&[p(&MACRO, 1, UNBOUNDED)]),
};
static MACRO: Decl = Decl {
    name: "Macro",
    attrs: &[req("Id", Ty::MacroId), req("Value", Ty::MacroValue)],
    content: Content::Empty,
};
static APP_SETTINGS: Decl = Decl {
    name: "AppSettings",
    attrs: &[],
    content: Content::Seq(&[p(&APP, 0, UNBOUNDED)]),
};
static APP: Decl = Decl {
    name: "App",
    attrs: &[req("Manifest", Ty::AnyUri)],
    content: Content::Seq(&[p(&APP_SETTING, 0, UNBOUNDED)]),
};
static APP_SETTING: Decl = Decl {
    name: "Setting",
    attrs: &[opt("Name", Ty::String)],
    content: Content::Seq(&[p(&APP_SETTING_VALUE, 0, UNBOUNDED)]),
};
static APP_SETTING_VALUE: Decl = Decl {
    name: "Value",
    attrs: &[],
    content: Content::Text(Ty::String),
};
