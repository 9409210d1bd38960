//! The one table of finding codes: code, severity, layer, title, evidence, and whether the check is
//! implemented. `docs/validation-codes.md` is rendered from it ([`markdown`]) and a test keeps the
//! two in sync. Evidence keys (`[S1]`, `§3.2`) refer to the validation catalogue the project
//! keeps for its developers (`validation.md`).

use std::fmt;

use super::finding::Severity;

/// Which layer of the validator reports a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// Layer 1: what the newest `cipolicy.xsd` requires, plus the stricter value formats it fails
    /// to express, checked on the positioned element tree.
    Schema,
    /// Layer 2: meaning — references, uniqueness, policy-type rules, file-rule content, limits.
    Semantic,
    /// Checks that depend on the declared `--target` Windows build.
    Target,
    /// Layer 3: what signing and replacing a signed policy needs.
    Signing,
    /// `cipolicy audit`: security-review heuristics over valid policies (never reported by
    /// `validate`).
    Audit,
}

impl Layer {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Schema => "schema",
            Layer::Semantic => "semantic",
            Layer::Target => "target",
            Layer::Signing => "signing",
            Layer::Audit => "audit",
        }
    }
}

/// Whether a code's check exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Implemented and tested with a failing and a passing fixture.
    Implemented,
    /// Not implemented; the text says why.
    NotImplemented(&'static str),
}

/// The table row of a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code text (`RF003`).
    pub code: &'static str,
    /// Severity of every finding with this code.
    pub severity: Severity,
    /// Reporting layer.
    pub layer: Layer,
    /// True when the XSD itself (as libxml2 applies it) rejects every document with this
    /// finding: the schema layer's verdict is "invalid" exactly when one of these is present.
    pub xsd: bool,
    /// Short title.
    pub title: &'static str,
    /// Where the rule comes from.
    pub source: &'static str,
    /// Implemented or not.
    pub status: Status,
}

macro_rules! codes {
    ($( $code:ident : $sev:ident, $layer:ident, $xsd:literal, $title:literal, $source:literal, $status:expr; )*) => {
        /// A finding code. `Display` and serde give the code text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[allow(clippy::upper_case_acronyms)]
        pub enum Code {
            $(
                #[doc = $title]
                $code,
            )*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// The code's table row.
            pub fn info(self) -> &'static CodeInfo {
                match self {
                    $(Code::$code => &CodeInfo {
                        code: stringify!($code),
                        severity: Severity::$sev,
                        layer: Layer::$layer,
                        xsd: $xsd,
                        title: $title,
                        source: $source,
                        status: $status,
                    },)*
                }
            }
        }
    };
}

use Status::{Implemented as Done, NotImplemented as Todo};

codes! {
    // ---- Layer 1: schema -------------------------------------------------------------------
    ID001: Error, Schema, true, "Not a well-formed SiPolicy document (encoding, XML syntax, DTD, root element or namespace)",
        "§3.1 ID001; XML 1.0; ConfigCI refuses DTDs (mattifestation/DeviceGuardBypassMitigationRules#5). A DOCTYPE is refused although libxml2 would accept one.", Done;
    BN001: Error, Schema, false, "Binary policy (raw or CMS-signed) that cannot be read",
        "cip-format.md; the binary codec's bounded reader", Done;
    SP001: Error, Schema, false, "Allow-list spec (TOML) that cannot be built into a policy",
        "docs/spec.md; the spec front-end's diagnostics", Done;
    XS000: Error, Schema, false, "The XML reader could not map the document to a policy; semantic checks were skipped",
        "cipolicy's reader is stricter than the XSD where the XSD fails to say what ConfigCI needs (§1.3: versions, well-known roots, dates after 1601, required FileRuleRef/@RuleID)", Done;
    ID002: Error, Schema, true, "An ID or ID reference does not match its XSD pattern (upper-case only, type prefix)",
        "§1.3 ID patterns; §3.1 ID002; \"Pattern constraint failed\" (WDAC-Toolkit#484)", Done;
    XS001: Error, Schema, true, "Element not allowed here",
        "cipolicy.xsd content models (§1.2)", Done;
    XS002: Error, Schema, true, "Required child element missing (e.g. PlatformID, Rules, CertRoot, ProductSigners, or an empty AllowedSigners/DeniedSigners/FileRulesRef/Macros)",
        "§1.2 minOccurs; \"AllowedSigners … has incomplete content\" (§3.11)", Done;
    XS003: Error, Schema, true, "Child elements out of order inside an xs:sequence (Signer, SigningScenario, TestSigners, …)",
        "§1.2: Signer and SigningScenario children are sequences [verified: CertPublisher after FileAttribRef fails]", Done;
    XS004: Error, Schema, true, "Element occurs more often than allowed (maxOccurs, or twice inside an xs:all)",
        "§1.2 maxOccurs (CertEKU 255 per Signer, Rule 65535, AppIDTag 65535; one of each root child)", Done;
    XS005: Error, Schema, true, "Text where the content model allows none",
        "XSD element-only and empty content", Done;
    XS006: Error, Schema, true, "Required attribute missing",
        "§1.2 use=\"required\"", Done;
    XS007: Error, Schema, true, "Attribute not declared for this element",
        "§1.2; a misspelt attribute is otherwise silently dropped by Windows' tools", Done;
    XS008: Error, Schema, true, "Value is not one of the enumerated values (case-sensitive)",
        "§1.2/§2: OptionType, PolicyType, CertRoot/@Type, FileRule/@Type, ArtifactType, Action, CertEKU/@Condition", Done;
    XS009: Error, Schema, true, "GUID is not `{8-4-4-4-12}` hex in braces",
        "§1.3 GuidType (braces mandatory)", Done;
    XS010: Error, Schema, true, "Value is not hexBinary (an even number of hex digits)",
        "§1.3 hexBinary", Done;
    XS011: Error, Schema, true, "Digest has the wrong length for its algorithm (sha256 32, sha384 48, sha512 64 bytes)",
        "§1.2 ArtifactHash digest types", Done;
    XS012: Error, Schema, true, "Not a whole number in range (unsignedByte 0-255, unsignedShort 0-65535, unsignedInt 0-4294967295)",
        "§1.3; libxml2 also refuses a sign or surrounding spaces", Done;
    XS013: Error, Schema, true, "Not an xs:boolean (`true`, `false`, `1`, `0`)",
        "§1.3; \"The string 'True' is not a valid Boolean value\" (PowerShell#21286)", Done;
    XS014: Error, Schema, true, "Not an xs:dateTime",
        "§1.3 SignTimeType", Done;
    XS015: Error, Schema, true, "Value does not match its XSD pattern (VersionExType, MacroIdType, MacroValueStringType, AppIdType, SigningScenarioIDsType, anyURI)",
        "§1.3", Done;
    XS016: Error, Schema, true, "Macro Id used twice (xs:unique UniqueMacroId)",
        "§1.1: the only identity constraint in the schema", Done;
    XS017: Warning, Schema, true, "Literal AppIDs value that standard XSD regular expressions reject (`^` is a literal there) although .NET, and so ConfigCI, accepts it",
        "§1.3 AppIdType: the pattern was written for .NET, where `^` anchors; libxml2 reads `^` as a character", Done;

    // ---- Layer 2: identity ------------------------------------------------------------------
    ID003: Error, Semantic, false, "Duplicate ID (Signers, EKUs, SigningScenarios, ArtifactRules, or the one namespace shared by all FileRules children)",
        "§3.1 ID003: HotCakeX deserializer; BinaryOpsForward's single fileRuleIdToIndexMap [code]; the XSD does not catch it [verified]", Done;
    ID004: Error, Semantic, false, "SigningScenario Value is 0 or used by two scenarios",
        "§3.1 ID004: HotCakeX rejects 0 [code]", Done;
    ID012: Warning, Semantic, false, "SigningScenario Value other than 12 (user mode) or 131 (kernel mode)",
        "§3.1 ID004 (warning part): other values are undocumented", Done;
    ID005: Error, Semantic, false, "Legacy PolicyTypeID together with PolicyID or BasePolicyID",
        "§3.1 ID005: ConvertFrom-CIPolicy \"Existing legacy Code Integrity policy can have PolicyTypeID …\" (WDAC-Toolkit#241)", Done;
    ID006: Error, Semantic, false, "Multiple-policy-format policy without both PolicyID and BasePolicyID",
        "§3.1 ID006: HotCakeX NeedBothIDsValidationError", Done;
    ID007: Error, Semantic, false, "PolicyID/BasePolicyID do not fit the policy type (base and AppID tagging: equal; supplemental: different)",
        "§3.1 ID007: HotCakeX IDsMismatchValidationError [code]", Done;
    ID008: Warning, Semantic, false, "PolicyType attribute absent in a multiple-policy-format policy (read as a base policy)",
        "§3.1 ID008 [code]", Done;
    ID009: Error, Semantic, false, "PolicyID is the GUID of a policy that ships with Windows",
        "§1.5, §3.1 ID009 [S6]", Done;
    ID013: Warning, Semantic, false, "PlatformID is not the standard {2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}",
        "§1.5, §3.1 ID009 (warning part); a public guide ships a typo'd PlatformID [S31]", Done;
    ID010: Warning, Semantic, false, "Binary file name is not {PolicyID}.cip (multiple-policy format) or SiPolicy.p7b (legacy)",
        "§3.1 ID010 [S2]; WDAC-Toolkit#130; CiTool on 22621+ accepts any name [S25]", Done;
    ID011: Info, Semantic, false, "ID naming conventions (ID_ALLOW_A_n, _0/_1 merge suffixes)",
        "§3.1 ID011", Todo("not a rule: conventions only; IDs need only their pattern (ID002) and uniqueness (ID003)");

    // ---- Layer 2: options --------------------------------------------------------------------
    OP001: Error, Semantic, false, "Rule option listed twice",
        "§2: HotCakeX \"The following policy rule option is being used twice\" [verified; code]", Done;
    OP002: Error, Semantic, false, "Rule option text that no schema generation defines",
        "§2; ConvertFrom-CIPolicy drops it silently (corpus observation 8). In XML the schema layer reports it as XS008.", Done;
    OP003: Warning, Semantic, false, "Unsupported or undocumented rule option (Boot Menu Protection, Secure Setting Policy, Conditional Windows Lockdown Policy, Windows Lockdown Trial Mode, Default Windows Certificate Remapping)",
        "§2 options 1 and 21 and the unnumbered ones; HotCakeX hides them (HWS PR #912)", Done;
    OP004: Warning, Semantic, false, "Required:EV Signers: documented as unsupported, reported to block non-EV drivers even in audit mode",
        "§2 option 8 [S25]", Done;
    OP005: Warning, Semantic, false, "Invalidate EAs on Reboot (15) without Intelligent Security Graph (14)",
        "§2 option 15 [S9]", Done;

    // ---- Layer 2: references -----------------------------------------------------------------
    RF001: Error, Semantic, false, "SignerId reference (Allowed/Denied/Update/Supplemental/Ci signer) names no Signer",
        "§3.2 RF001: HotCakeX BinaryOpsForward throws [code]; the XSD does not catch it [verified]", Done;
    RF002: Error, Semantic, false, "CertEKU names no EKU",
        "§3.2 RF002: HotCakeX SignerCertEkuReferenceError", Done;
    RF003: Error, Semantic, false, "FileAttribRef names no FileAttrib (or names an Allow/Deny)",
        "§3.2 RF003: HotCakeX FileAttribRefTypeInvalidError", Done;
    RF004: Error, Semantic, false, "FileRuleRef without RuleID, or naming no Allow, Deny or FileRule (FileAttribs cannot be referenced)",
        "§3.2 RF004 (RuleID is optional in the XSD but required to mean anything); WDAC-Toolkit#157", Done;
    RF005: Error, Semantic, false, "ExceptDenyRule names no Deny rule",
        "§3.2 RF005 [code]", Done;
    RF006: Error, Semantic, false, "ExceptAllowRule names no Allow rule",
        "§3.2 RF006 [code]", Done;
    RF007: Error, Semantic, false, "InheritedScenarios names no SigningScenario",
        "§3.2 RF007 [code]", Done;
    RF008: Error, Semantic, false, "RequireHotpatchID names no other Allow rule, names itself, or forms a chain",
        "§3.2 RF008 [code]", Done;
    RF009: Error, Semantic, false, "ArtifactRuleRef names no ArtifactRule",
        "§3.2 RF009 [code]", Done;
    RF010: Error, Semantic, false, "AppIDs macro reference names no Macro, or a macro-form AppIDs has text besides $(Id) tokens",
        "§3.2 RF010 [code]; §1.3 AppIdType", Done;
    RF011: Error, Semantic, false, "Supplemental policy's base (given with --base) has another PolicyID, is not a base policy, or lacks option 17",
        "§3.2 RF011; §3.12: a supplemental whose base lacks 17 is not expanded [S32]", Done;

    // ---- Layer 2: unused and redundant ---------------------------------------------------------
    UN001: Warning, Semantic, false, "Signer referenced by no scenario or signer list",
        "§3.3 UN001", Done;
    UN002: Warning, Semantic, false, "Allow/Deny/FileRule referenced by no FileRuleRef or exception: it has no effect",
        "§3.3 UN002", Done;
    UN003: Warning, Semantic, false, "FileAttrib referenced by no Signer",
        "§3.3 UN003", Done;
    UN004: Warning, Semantic, false, "EKU referenced by no CertEKU, or Macro referenced by no AppIDs",
        "§3.3 UN004; Merge-CIPolicy drops unused EKUs [S25]", Done;
    UN005: Warning, Semantic, false, "Signer both allowed and denied in one signer group (deny wins)",
        "§3.3 UN005; §3.6", Done;
    UN006: Info, Semantic, false, "Identical rules or signers under different IDs",
        "§3.3 UN006", Done;
    UN007: Warning, Semantic, false, "SupplementalPolicySigners in a base without option 17, or in an unsigned base",
        "§3.3 UN007", Done;
    UN008: Warning, Semantic, false, "User-mode scenario (12) present but Enabled:UMCI absent: its rules are inert",
        "§3.3 UN008; §2 option 0", Done;
    UN009: Info, Semantic, false, "Settings not sorted by Provider, Key, ValueName",
        "§3.3 UN009: the COM doc says settings must be ordered [S14]; a compiler should sort", Done;

    // ---- Layer 2: file rules -------------------------------------------------------------------
    FR001: Error, Semantic, false, "Hash rule that also has FileName, InternalName, FileDescription, ProductName, PackageFamilyName, a version or FilePath",
        "§3.4 FR001: HotCakeX \"has Hash property but also has other file properties\" [code]", Done;
    FR002: Error, Semantic, false, "Rule without Hash and without FileName, InternalName, FileDescription, ProductName, PackageFamilyName or FilePath (a version alone)",
        "§3.4 FR002: ConvertFrom-CIPolicy \"There is invalid file rule with ID …\" (WDAC-Toolkit#210)", Done;
    FR003: Error, Semantic, false, "MinimumFileVersion greater than MaximumFileVersion",
        "§3.4 FR003 [code]", Done;
    FR004: Error, Semantic, false, "AppIDs combined with InternalName, FileDescription, ProductName or PackageFamilyName",
        "§3.4 FR004: HotCakeX \"the native converter rejects these metadata fields with AppIDs\" [code]", Done;
    FR005: Error, Semantic, false, "Version is not four dot-separated numbers 0-65535",
        "§3.4 FR005; §1.3 VersionExType (the XSD pattern accepts `abc`); WDAC-Toolkit#269", Done;
    FR006: Error, Semantic, false, "FileRule/@Type does not fit the rule's ID prefix",
        "§3.4 FR006 [code]", Done;
    FR007: Error, Semantic, false, "Setting with empty Provider, Key or ValueName, or more than 65535 Settings and AppIDTags together",
        "§3.4 FR007 [code]", Done;
    FR008: Error, Semantic, false, "AppIDTags outside the user-mode scenario (12)",
        "§3.4 FR008 [code]", Done;
    FR009: Error, Semantic, false, "ArtifactRule MinimumVersion greater than MaximumVersion, or an empty artifact digest",
        "§3.4 FR009 [code]", Done;
    FR010: Warning, Semantic, false, "Deny rule with only MinimumFileVersion (blocks versions at or below it) or only MaximumFileVersion (blocks at or above)",
        "§3.4 FR010 [S1] version table", Done;
    FR011: Info, Semantic, false, "Allow-all rule (FileName=\"*\"): legitimate only in deny-list policies",
        "§3.4 FR011 [S11]", Done;

    // ---- Layer 2: policy type and signing shape ------------------------------------------------
    PT001: Error, Semantic, false, "Signed policy (no Enabled:Unsigned System Integrity Policy) without UpdatePolicySigners",
        "§3.5 PT001: ConvertFrom-CIPolicy \"Signed policy is required, but no UpdatePolicySigner is specified\" (windows-itpro-docs PR#11898) [S3]", Done;
    PT002: Error, Semantic, false, "Signed base with Enabled:Allow Supplemental Policies but no SupplementalPolicySigners",
        "§3.5 PT002 [S2][S3]; HotCakeX MissingSupPolSignersValidationError (S-mode policy exempt)", Done;
    PT003: Error, Semantic, false, "Supplemental policy with Enabled:Allow Supplemental Policies",
        "§3.5 PT003: WDAC-Toolkit#155", Done;
    PT004: Error, Semantic, false, "Supplemental policy with SupplementalPolicySigners",
        "§3.5 PT004 [S25]: causes boot failure", Done;
    PT005: Warning, Semantic, false, "Supplemental policy sets an option that only a base policy can set (ignored)",
        "§3.5 PT005: allowed are 5, 6, 13, 14, 18 [S1][S32]", Done;
    PT006: Warning, Semantic, false, "Supplemental policy with Deny rules or DeniedSigners (ignored: supplementals only widen trust)",
        "§3.5 PT006 [S25]; WDAC-Toolkit#138/#139", Done;
    PT007: Error, Semantic, false, "Legacy single-policy format (PolicyTypeID) with Enabled:Allow Supplemental Policies",
        "§3.5 PT007 [S2][S23]", Done;
    PT008: Error, Semantic, false, "AppID tagging policy with a scenario other than 12, or without AppIDTags",
        "§3.5 PT008 [S18][code]", Done;
    PT009: Warning, Semantic, false, "Supplemental signed-ness differs from its base (given with --base): unsigned supplementals of a signed base are ignored",
        "§3.5 PT009 [S1][S25]", Done;

    // ---- Layer 2: hashes ---------------------------------------------------------------------
    HS001: Error, Semantic, false, "File-rule Hash is not 20 (SHA-1) or 32 (SHA-256) bytes: it can never match",
        "§3.7 HS001 [S8][S1]; corpus observation 10 (hex-of-hex hashes)", Done;
    HS002: Warning, Semantic, false, "Deny hash set (by ConfigCI's FriendlyName convention) lacks the SHA-256 or page-hash variants: the file may not be blocked",
        "§3.7 HS002 [S1]", Done;
    HS005: Info, Semantic, false, "Allow hash set (by ConfigCI's FriendlyName convention) lacks the SHA-256 or page-hash variants",
        "§3.7 HS002 (allow part) [S1]", Done;
    HS003: Info, Semantic, false, "Flat-file hashes of non-conformant PE files",
        "§3.7 HS003", Todo("nothing to check: flat and Authenticode hashes cannot be told apart without the file");
    HS004: Info, Semantic, false, "Hash rules placed in the scenario that matches the file type",
        "§3.7 HS004", Todo("needs the files: the file type is not in the policy");

    // ---- Layer 2: FilePath rules -------------------------------------------------------------
    FP001: Error, Semantic, false, "FilePath rule used in the kernel-mode scenario (131)",
        "§3.8 FP001 [S1]: path rules cannot allow kernel drivers", Done;
    FP003: Error, Semantic, false, "FilePath uses a %VARIABLE% other than %OSDRIVE%, %WINDIR%, %SYSTEM32%",
        "§3.8 FP003 [S1]; Wizard Helper.GetEnvPath [S23]", Done;
    FP004: Warning, Semantic, false, "FilePath looks like a folder but has no trailing `*`: it allows only a file of that exact name",
        "§3.8 FP004; WDAC-Toolkit#135, #116", Done;
    FP006: Warning, Semantic, false, "FilePath under a user-writable location while the runtime admin-writable check is on (no option 18): the rule will not work",
        "§3.8 FP006, §6.3 [S1][S29]", Done;
    FP008: Warning, Semantic, false, "Exception (ExceptAllowRule/ExceptDenyRule) pointing at a FilePath rule: path rules cannot be exceptions",
        "§3.8 FP008 [S12]", Done;
    FP009: Error, Semantic, false, "FilePath longer than 32767 characters",
        "§3.8 FP009; FilePathType", Done;

    // ---- Layer 2: signers and EKUs -----------------------------------------------------------
    SG001: Error, Semantic, false, "Well-known CertRoot Value is not exactly one byte",
        "§3.9 SG001: the binary stores a one-byte index [code]; the XSD accepts two bytes [verified]", Done;
    SG009: Warning, Semantic, false, "Well-known CertRoot ID not in the known table (0x03-0x16)",
        "§3.9 SG001 (warning part), §6.2", Done;
    SG002: Error, Semantic, false, "TBS CertRoot is not 16, 20, 32, 48 or 64 bytes (MD5, SHA-1, SHA-256, SHA-384, SHA-512)",
        "§3.9 SG002; rule-levels.md §3.3", Done;
    SG003: Error, Semantic, false, "EKU Value is not `01` + length + DER OID body, disagrees with its OID, or the EKU has neither",
        "§3.9 SG003; rule-levels.md §3.5", Done;
    SG004: Info, Semantic, false, "Signer rule level (Publisher, FilePublisher, WHQL)",
        "§3.9 SG004", Todo("explanation, not a check: belongs to `explain`");
    SG005: Warning, Semantic, false, "PackageFamilyName rules mixed with a Store-signer allow in user mode: every packaged app then needs a PFN rule",
        "§3.9 SG005 [S16]; detected by the Store EKU 1.3.6.1.4.1.311.76.3.1 on an allowed user-mode signer", Done;
    SG007: Info, Semantic, false, "Signer rules do not match ECDSA-signed files",
        "§3.9 SG007 [S1][S5]", Todo("needs the signed files, not the policy");
    SG008: Warning, Semantic, false, "SignTimeAfter in the future (relative to --now or SOURCE_DATE_EPOCH)",
        "§3.9 SG008 [inferred]; runs only with a reference time, since output must not depend on the clock", Done;

    // ---- Layer 2: limits ---------------------------------------------------------------------
    LM001: Error, Semantic, false, "More than the schema maximum: 65535 rule options, 255 EKUs, 255 CertEKUs per signer, 255 signing scenarios, 65535 settings, 65535 AppIDTags",
        "§3.10 LM001", Done;
    LM002: Warning, Semantic, false, "More than 255 DeniedSigners in one signer group",
        "§3.10 LM002 (user report, LOLDrivers#334)", Done;
    LM003: Error, Semantic, false, "Binary header offsets must fit 16 bits",
        "§3.10 LM003 [code]", Todo("needs header offsets from the binary encoder (`cipolicy::cip`), which does not report them; a policy large enough to overflow them is beyond any seen");
    LM004: Info, Semantic, false, "More than 10000 hash rules: evaluation gets slow",
        "§3.10 LM004 [S11]", Done;
    LM005: Info, Semantic, false, "More than 32 active policies on pre-April-2024 builds bugchecks",
        "§3.10 LM005 [S2][S5]", Todo("deployment property: needs the set of policies on the machine, not one policy");

    // ---- Target gating -----------------------------------------------------------------------
    LM006: Error, Target, false, "Option or policy feature not supported by the --target Windows build",
        "§3.10 LM006, §2 [S1][S12]: multiple-policy format, supplementals and options 17/18 need 1903/Server 2022; 16 needs 1709; 19 needs 1803; 11 not on 1607/Server 2016; 13/14 need Server 2019; AppID tagging needs 2004", Done;
    LM007: Warning, Target, false, "XML construct that only the newest schemas know (FileRule, AppIDTags, ArtifactRules, hot-patch attributes, CertEKU/@Condition, EKU/@OID, AppSettings, option 21): older ConfigCI builds refuse it",
        "§1.4 portable profile", Done;
    FP002: Error, Target, false, "FilePath wildcard not supported by the target (Windows 10 and Server 2022: one `*`, at the start or end; `?` and mid-path `*` need Windows 11)",
        "§3.8 FP002 [S1]", Done;
    FP005: Error, Target, false, "FilePath rules need Windows 10 1903+ / Server 2022+",
        "§3.8 FP005 [S12]; windows-itpro-docs#9383", Done;
    FP007: Warning, Target, false, "MSI allowed by FilePath on Windows 10 / Server 2022 or older needs option 18",
        "§3.8 FP007 [S5]", Done;
    SG006: Error, Target, false, "PackageFamilyName wildcard needs Windows 11",
        "§3.9 SG006 [S16]", Done;

    // ---- Layer 3: signing --------------------------------------------------------------------
    SN001: Error, Signing, false, "Signed policy whose UpdatePolicySigners name no signer with a usable root (an existing Signer with a TBS hash of valid length or a known well-known root)",
        "§4.1.1 [S3]", Done;
    SN002: Error, Signing, false, "The --cert certificate satisfies none of the policy's UpdatePolicySigners (TBS of a chain certificate, CertPublisher = leaf CN, CertEKU on the leaf)",
        "§4.1.1, §4.4 [S4]; HotCakeX CertificatePresence", Done;
    SN003: Error, Signing, false, "The --cert key is not RSA 2048, 3072 or 4096",
        "§4.3; §3.12 [S3][S15]: other keys fail to boot", Done;
    SN004: Warning, Signing, false, "The --cert leaf lacks the Code Signing EKU (1.3.6.1.5.5.7.3.3)",
        "§4.3 [S15]: whether CI requires it is unknown", Done;
    SN005: Error, Signing, false, "The --cert certificate satisfies none of the --base policy's SupplementalPolicySigners",
        "§4.1.3 [S3]", Done;
    SN006: Info, Signing, false, "The --cert certificate satisfies none of this base's SupplementalPolicySigners: supplementals need another certificate",
        "§4.1.2", Done;
    SN007: Error, Signing, false, "VersionEx lower than the --previous policy's (anti-rollback: a signed replacement with a lower version fails to boot)",
        "§4.5 [S3][S4]", Done;
    SN008: Error, Signing, false, "PolicyID differs from the --previous policy's: it is not a replacement",
        "§4.1.4 [S3][S4]", Done;
    SN009: Error, Signing, false, "The --cert certificate satisfies none of the --previous policy's UpdatePolicySigners: Windows will not apply the update",
        "§3.12, §4.4 [S4]", Done;
    SN010: Error, Signing, false, "Signed file (.p7b) shape: SignedData v1, eContentType 1.3.6.1.4.1.311.79.1, one SignerInfo, digest, embedded chain",
        "§4.3, §4.6.1, §3.12", Done;

    // ---- Audit (`cipolicy audit`, security review; tests/ops_audit.rs has a trigger and a near miss per code) --
    AU001: Error, Audit, false, "Audit mode is on: nothing is blocked",
        "§6.1 AU001; rated high", Done;
    AU002: Error, Audit, false, "User-mode rules without Enabled:UMCI: user mode is not enforced",
        "§6.1 AU002; rated high", Done;
    AU003: Warning, Audit, false, "Unsigned policy (option 6): any administrator can replace or remove it",
        "§6.1 AU003; rated medium", Done;
    AU004: Warning, Audit, false, "Advanced boot options menu (option 9) is on",
        "§6.1 AU004; rated medium", Done;
    AU005: Warning, Audit, false, "Boot audit on failure (option 10) is on",
        "§6.1 AU005; rated low", Done;
    AU006: Warning, Audit, false, "Script enforcement is disabled (option 11)",
        "§6.1 AU006; rated medium", Done;
    AU007: Warning, Audit, false, "Intelligent Security Graph authorization (option 14)",
        "§6.1 AU007; rated medium", Done;
    AU008: Warning, Audit, false, "ISG without Invalidate EAs on Reboot (option 14 without 15)",
        "§6.1 AU008; rated low", Done;
    AU009: Warning, Audit, false, "Managed installer (option 13)",
        "§6.1 AU009; rated medium", Done;
    AU010: Error, Audit, false, "Runtime FilePath rule protection is disabled (option 18)",
        "§6.1 AU010; rated high", Done;
    AU011: Warning, Audit, false, "Supplemental policies are allowed (option 17) without tight control",
        "§6.1 AU011; rated medium", Done;
    AU012: Info, Audit, false, "Hardening options not set",
        "§6.1 AU012; rated info", Done;
    AU013: Warning, Audit, false, "Required:EV Signers (option 8) is set",
        "§6.1 AU013; rated medium", Done;
    AU014: Warning, Audit, false, "Undocumented option set",
        "§6.1 AU014; rated low", Done;
    AU015: Warning, Audit, false, "Unsigned policy that lists UpdatePolicySigners",
        "ours (not in the catalogue): an unsigned policy cannot use its update signers; rated low", Done;
    AU020: Error, Audit, false, "Allow-all rule in an allow-list",
        "§6.1 AU020; rated critical", Done;
    AU021: Error, Audit, false, "Well-known root 0x14 (AuthRoot.STL) is trusted",
        "§6.1 AU021; rated critical", Done;
    AU022: Warning, Audit, false, "Test, development or flight root is trusted",
        "§6.1 AU022; rated medium", Done;
    AU023: Warning, Audit, false, "Microsoft product root trusted in user mode without EKU or file limits",
        "§6.1 AU023; rated medium", Done;
    AU024: Error, Audit, false, "Certificate-authority-level signer without publisher or file limits",
        "§6.1 AU024; rated high", Done;
    AU025: Warning, Audit, false, "Publisher-level trust in a vendor that ships interpreters",
        "§6.1 AU025; rated low", Done;
    AU026: Error, Audit, false, "Allow by file attributes only, without a signer",
        "§6.1 AU026; rated high", Done;
    AU027: Error, Audit, false, "Root that certifies third-party signers is trusted",
        "§6.1 AU023b; rated high", Done;
    AU028: Warning, Audit, false, "Code Verification Root (0x08) trusted in user mode",
        "§6.1 AU023c; rated medium", Done;
    AU030: Error, Audit, false, "FilePath allow rule in a user-writable location",
        "§6.1 AU030; rated high", Done;
    AU031: Error, Audit, false, "Broad FilePath wildcard",
        "§6.1 AU031; rated high", Done;
    AU032: Warning, Audit, false, "FilePath deny rule",
        "§6.1 AU032; rated medium", Done;
    AU033: Warning, Audit, false, "FilePath rule on a network, removable or hard-coded drive",
        "§6.1 AU033; rated low", Done;
    AU040: Error, Audit, false, "Microsoft-signer allow-list without the recommended block rules",
        "§6.1 AU040; rated high", Done;
    AU041: Warning, Audit, false, "Kernel allow-list without driver deny rules",
        "§6.1 AU041; rated medium", Done;
    AU042: Error, Audit, false, "Deny rules in a supplemental policy",
        "§6.1 AU042; rated high", Done;
    AU043: Warning, Audit, false, "Deny rule with only a minimum or only a maximum version",
        "§6.1 AU043; rated medium", Done;
    AU044: Warning, Audit, false, "Deny hash set without all hash variants",
        "§6.1 AU044; rated medium", Done;
    AU045: Warning, Audit, false, "SHA-1-only hash rules",
        "§6.1 AU045; rated low", Done;
    AU046: Warning, Audit, false, "Deny rule that never applies",
        "§6.1 AU046; rated low", Done;
    AU050: Warning, Audit, false, "Scenario without Windows' own signers",
        "§6.1 AU050; rated medium", Done;
    AU051: Warning, Audit, false, "Packaged-app rules mixed with Store signer rules",
        "§6.1 AU051; rated medium", Done;
    AU052: Info, Audit, false, "Very many hash rules",
        "§6.1 AU052; rated info", Done;
    AU053: Warning, Audit, false, "Broad signer listed in CiSigners",
        "§6.1 AU053; rated low", Done;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().code)
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.info().code)
    }
}

impl Code {
    /// Looks a code up by its text.
    pub fn from_text(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.info().code == s)
    }
}

/// Renders the table as the Markdown page `docs/validation-codes.md`.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("# Validation codes\n\n");
    out.push_str(
        "Generated from `src/valid/codes.rs` by `cargo test --test valid_codes_doc` (set `UPDATE_DOCS=1` to \
         rewrite); do not edit by hand.\n\n",
    );
    out.push_str(
        "Layers: **schema** = what the newest `cipolicy.xsd` requires, checked on the positioned element tree, \
         plus value formats the XSD fails to express; **semantic** = meaning; **target** = depends on \
         `--target`; **signing** = what signing or replacing a signed policy needs; **audit** = the security-review \
         heuristics of `cipolicy audit` (severity error for high and critical ratings, warning for medium and \
         low). Column *XSD* marks the \
         codes whose presence means the XSD itself (as libxml2 applies it) rejects the document.\n\n",
    );
    out.push_str(
        "Evidence keys (`§3.2`, `[S1]`, `[code]`) refer to the validation catalogue kept for the project's \
         developers (`validation.md`, with its source list); issue numbers are on the named GitHub \
         repositories.\n\n",
    );
    out.push_str(
        "Targets (`--target`): win10-1607, win10-1709, win10-1803, win10-1903, win10-2004, win11-21h2, \
         win11-22h2, server2016, server2019, server2022, server2025, portable.\n\n",
    );
    out.push_str("| Code | Severity | Layer | XSD | Title | Source | Status |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    let mut codes: Vec<Code> = Code::ALL.to_vec();
    codes.sort_by_key(|c| c.info().code);
    for c in codes {
        let i = c.info();
        let status = match i.status {
            Status::Implemented => "implemented".to_string(),
            Status::NotImplemented(why) => format!("not implemented: {why}"),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            i.code,
            i.severity,
            i.layer.as_str(),
            if i.xsd { "yes" } else { "" },
            md_cell(i.title),
            md_cell(i.source),
            md_cell(&status)
        ));
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            let i = c.info();
            assert!(seen.insert(i.code), "{} twice", i.code);
            assert_eq!(i.code.len(), 5, "{}", i.code);
            assert_eq!(Code::from_text(i.code), Some(*c));
            assert!(!i.xsd || i.layer == Layer::Schema);
        }
    }
}
