//! `audit`: security-review heuristics for allow-lists (validation.md §6), each with a stable
//! code, a rating and help. Unlike the validator, which says whether a policy is *valid*, the
//! auditor says where a valid policy trusts more than its author probably meant.
//!
//! Codes follow the catalogue (validation.md §6.1), except that its AU023b and AU023c are AU027
//! and AU028 here (codes are five characters). Ratings follow the catalogue (critical, high,
//! medium, low, info); AU015 (an unsigned policy that lists update signers) is ours. Hits carry the model path of
//! what they are about (`file_rules[3]`, `signing_scenarios[1].product_signers.allowed[0]`), so
//! a renderer can point into the source.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::roots::{oid_from_eku_value, well_known_root};
use crate::model::{
    Action, CertRoot, FileRule, OptionKind, Policy, PolicyType, RuleOption, SCENARIO_KERNEL, SCENARIO_USER, Signer,
    SigningScenario, Version,
};

/// How serious a hit is for a security review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    /// Worth knowing.
    Info,
    /// Minor.
    Low,
    /// Should be looked at.
    Medium,
    /// Weakens the policy considerably.
    High,
    /// Defeats the policy's purpose.
    Critical,
}

/// One heuristic's table row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check {
    /// Stable code (`AU021`).
    pub code: &'static str,
    /// Rating.
    pub rating: Rating,
    /// Short title.
    pub title: &'static str,
    /// What to do about it.
    pub help: &'static str,
}

macro_rules! checks {
    ($( $code:literal, $rating:ident, $title:literal, $help:literal; )*) => {
        /// Every heuristic, in code order.
        pub const CHECKS: &[Check] = &[$(Check { code: $code, rating: Rating::$rating, title: $title, help: $help },)*];
    };
}

checks! {
    "AU001", High, "Audit mode is on: nothing is blocked",
        "Remove option 3 (`cipolicy set POLICY --option 3 --delete`) once the audit events are clean.";
    "AU002", High, "User-mode rules without Enabled:UMCI: user mode is not enforced",
        "Set option 0 (`--option 0`), or drop the user-mode scenario if the policy is meant for drivers only.";
    "AU003", Medium, "Unsigned policy (option 6): any administrator can replace or remove it",
        "Where tamper resistance matters, sign the policy: add UpdatePolicySigners, remove option 6, sign with `cipolicy sign`.";
    "AU004", Medium, "Advanced boot options menu (option 9) is on",
        "Physically present users reach the F8 menu; Microsoft advises removing option 9 after testing.";
    "AU005", Low, "Boot audit on failure (option 10) is on",
        "A blocked boot-critical driver turns enforcement into audit; remove option 10 after testing.";
    "AU006", Medium, "Script enforcement is disabled (option 11)",
        "PowerShell, WSH and mshta run unrestricted; remove option 11 unless scripts are controlled elsewhere.";
    "AU007", Medium, "Intelligent Security Graph authorization (option 14)",
        "ISG trusts files by reputation; keep it out of policies for high-value or offline devices.";
    "AU008", Low, "ISG without Invalidate EAs on Reboot (option 14 without 15)",
        "Add option 15 so that reputation is re-checked after a reboot.";
    "AU009", Medium, "Managed installer (option 13)",
        "Anything a managed installer writes is trusted; make sure only administrators can run it.";
    "AU010", High, "Runtime FilePath rule protection is disabled (option 18)",
        "FilePath rules then also allow folders that users can write; remove option 18.";
    "AU011", Medium, "Supplemental policies are allowed (option 17) without tight control",
        "In an unsigned base any administrator can add a supplemental; sign the base and list narrow SupplementalPolicySigners.";
    "AU012", Info, "Hardening options not set",
        "Consider Required:WHQL (2), Disabled:Flight Signing (4), Required:Enforce Store Applications (12), Dynamic Code Security (19), Revoked Expired As Unsigned (20).";
    "AU013", Medium, "Required:EV Signers (option 8) is set",
        "Documented as unsupported, reported to block non-EV drivers even in audit mode; remove option 8.";
    "AU014", Low, "Undocumented option set",
        "Remove options whose effect Microsoft does not document.";
    "AU015", Low, "Unsigned policy that lists UpdatePolicySigners",
        "Update signers only protect a signed policy; finish the signing setup (remove option 6 and sign) or drop them.";
    "AU020", Critical, "Allow-all rule in an allow-list",
        "FileName=\"*\" allows every file that is not denied, which makes the other allow rules pointless; keep allow-all only in deny-list policies.";
    "AU021", Critical, "Well-known root 0x14 (AuthRoot.STL) is trusted",
        "This trusts code chaining to any root in the Windows trusted-root program; trust specific signers instead.";
    "AU022", Medium, "Test, development or flight root is trusted",
        "Test and flight signing is not for production; remove these signers (or set Disabled:Flight Signing for 0x0E).";
    "AU023", Medium, "Microsoft product root trusted in user mode without EKU or file limits",
        "Trusts all Microsoft-signed code, including tools that bypass App Control; add the recommended block rules (AU040).";
    "AU024", High, "Certificate-authority-level signer without publisher or file limits",
        "A PCA or root certificate trusts everything it certifies (for a public CA: every customer); add CertPublisher or FileAttribRef, or sign at leaf level.";
    "AU025", Low, "Publisher-level trust in a vendor that ships interpreters",
        "Every file of the publisher is trusted, including script hosts and debuggers; add FileAttribRef limits or block rules.";
    "AU026", High, "Allow by file attributes only, without a signer",
        "FileName, InternalName, FileDescription and ProductName come from the file's own version resource: any unsigned file can claim them. Tie them to a signer (FilePublisher level) or use hashes.";
    "AU027", High, "Root that certifies third-party signers is trusted",
        "0x16 (Trusted Signing), 0x0F (Third Party Marketplace) and 0x15 (OEM) certify other companies' signers: close to trusting any commercially signed code.";
    "AU028", Medium, "Code Verification Root (0x08) trusted in user mode",
        "Historically the root of cross-certificates for third-party kernel signing CAs; drop it from user mode unless needed.";
    "AU030", High, "FilePath allow rule in a user-writable location",
        "Users can drop files there; allow by signer or hash instead (with option 18 this is critical: Windows does not even check).";
    "AU031", High, "Broad FilePath wildcard",
        "A leading wildcard, a drive-root wildcard or a wildcard inside the path matches user folders; name the folder exactly and end with \\*.";
    "AU032", Medium, "FilePath deny rule",
        "Path denies are bypassed by copying or renaming the file; deny by signer, attributes or hash.";
    "AU033", Low, "FilePath rule on a network, removable or hard-coded drive",
        "Use the %OSDRIVE%, %WINDIR% and %SYSTEM32% macros; avoid network and removable paths.";
    "AU040", High, "Microsoft-signer allow-list without the recommended block rules",
        "Microsoft-signed tools such as mshta, msbuild and wmic bypass App Control; merge Microsoft's recommended user-mode block rules or deploy them as a second base policy.";
    "AU041", Medium, "Kernel allow-list without driver deny rules",
        "Deploy the vulnerable driver block list (on by default from Windows 11 22H2, with HVCI, S mode and Smart App Control).";
    "AU042", High, "Deny rules in a supplemental policy",
        "Windows ignores denies in supplementals; put them in a base policy.";
    "AU043", Medium, "Deny rule with only a minimum or only a maximum version",
        "A deny with only MinimumFileVersion blocks versions up to it, with only MaximumFileVersion versions from it up: the opposite of what an allow means. Check the intent.";
    "AU044", Medium, "Deny hash set without all hash variants",
        "Windows computes the hash that fits how a file is signed; deny all four (SHA-1, SHA-256, page SHA-1, page SHA-256) or the file may slip through.";
    "AU045", Low, "SHA-1-only hash rules",
        "Add SHA-256 hashes (`cipolicy scan --level Hash` writes all four).";
    "AU046", Low, "Deny rule that never applies",
        "The rule is referenced from no scenario and no exception; reference it or remove it.";
    "AU050", Medium, "Scenario without Windows' own signers",
        "A policy not built on a Microsoft template blocks Windows components; start from DefaultWindows or AllowMicrosoft.";
    "AU051", Medium, "Packaged-app rules mixed with Store signer rules",
        "When any PackageFamilyName rule exists, every packaged app (including inbox apps) must be allowed by PFN.";
    "AU052", Info, "Very many hash rules",
        "Tens of thousands of hash rules slow evaluation; prefer signer rules where vendors sign.";
    "AU053", Low, "Broad signer listed in CiSigners",
        "CiSigners are trusted by Code Integrity for all builds; list specific signers only.";
}

/// The row of a code.
pub fn check(code: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.code == code)
}

/// One finding of the audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// Stable code.
    pub code: &'static str,
    /// Rating (the code's).
    pub rating: Rating,
    /// About this instance.
    pub message: String,
    /// Model path of what it is about (empty for the policy as a whole).
    pub path: String,
    /// What to do (the code's).
    pub help: &'static str,
}

struct Audit<'a> {
    p: &'a Policy,
    hits: Vec<Hit>,
}

const TEST_ROOTS: [u8; 7] = [0x09, 0x0A, 0x0B, 0x0D, 0x0E, 0x10, 0x11];
const PRODUCT_ROOTS: [u8; 5] = [0x04, 0x05, 0x06, 0x07, 0x12];
const THIRD_PARTY_ROOTS: [u8; 3] = [0x0F, 0x15, 0x16];
const STORE_EKU: &str = "1.3.6.1.4.1.311.76.3.1";

/// Microsoft's recommended user-mode block rules name these files (validation.md §6.1 AU040).
pub const BLOCK_RULE_FILES: &[&str] = &[
    "addinprocess.exe",
    "addinprocess32.exe",
    "addinutil.exe",
    "aspnet_compiler.exe",
    "bash.exe",
    "bginfo.exe",
    "cdb.exe",
    "cscript.exe",
    "csi.exe",
    "dbghost.exe",
    "dbgsvc.exe",
    "dnx.exe",
    "dotnet.exe",
    "fsi.exe",
    "fsianycpu.exe",
    "infdefaultinstall.exe",
    "installutil.exe",
    "kd.exe",
    "kill.exe",
    "lxrun.exe",
    "lxssmanager.dll",
    "microsoft.build.dll",
    "microsoft.build.framework.dll",
    "microsoft.workflow.compiler.exe",
    "msbuild.exe",
    "mshta.exe",
    "ntkd.exe",
    "ntsd.exe",
    "powershellcustomhost.exe",
    "rcsi.exe",
    "runscripthelper.exe",
    "texttransform.exe",
    "visualuiaverifynative.exe",
    "wfc.exe",
    "windbg.exe",
    "wmic.exe",
    "wscript.exe",
    "wsl.exe",
    "wslconfig.exe",
    "wslhost.exe",
];

/// Folders users can write to (validation.md §6.3), macros expanded, lower case.
const USER_WRITABLE: &[&str] = &[
    "c:\\users\\",
    "c:\\programdata\\",
    "c:\\windows\\temp\\",
    "c:\\windows\\tasks\\",
    "c:\\windows\\tracing\\",
    "c:\\windows\\system32\\tasks\\",
    "c:\\windows\\system32\\spool\\printers\\",
    "c:\\windows\\system32\\spool\\servers\\",
    "c:\\windows\\system32\\spool\\drivers\\color\\",
    "c:\\windows\\system32\\fxstmp\\",
    "c:\\windows\\system32\\com\\dmp\\",
    "c:\\windows\\system32\\microsoft\\crypto\\rsa\\machinekeys\\",
];

fn expand(path: &str) -> String {
    let mut s = path.replace('/', "\\").to_ascii_lowercase();
    for (m, v) in [
        ("%system32%", "c:\\windows\\system32"),
        ("%windir%", "c:\\windows"),
        ("%osdrive%", "c:"),
    ] {
        s = s.replace(m, v);
    }
    s
}

/// An Allow that matches every file.
fn is_allow_all(r: &FileRule) -> bool {
    r.kind.action() == Action::Allow
        && r.hash.is_none()
        && (r.file_name.as_deref() == Some("*") || r.file_path.as_deref() == Some("*"))
}

fn scenario_name(v: u8) -> &'static str {
    match v {
        SCENARIO_USER => "user mode (12)",
        SCENARIO_KERNEL => "kernel mode (131)",
        _ => "a scenario",
    }
}

fn signer_label(s: &Signer) -> String {
    let root = match &s.cert_root {
        CertRoot::Wellknown(b) => format!(
            "well-known root {b:02X} ({})",
            well_known_root(*b).map_or("unknown", |r| r.name)
        ),
        CertRoot::Tbs(h) => format!("TBS {}", h.to_hex()),
    };
    match &s.name {
        Some(n) => format!("{} \"{n}\" ({root})", s.id),
        None => format!("{} ({root})", s.id),
    }
}

/// Name contains a CA-like word (CA, PCA, Root, Authority) as a whole word.
fn looks_like_ca(name: &str) -> bool {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| matches!(w.to_ascii_lowercase().as_str(), "ca" | "pca" | "root" | "authority"))
}

impl<'a> Audit<'a> {
    fn hit(&mut self, code: &'static str, path: impl Into<String>, message: impl Into<String>) {
        let c = check(code).expect("codes come from the table");
        self.hits.push(Hit {
            code,
            rating: c.rating,
            message: message.into(),
            path: path.into(),
            help: c.help,
        });
    }

    fn has(&self, o: OptionKind) -> bool {
        self.p.has_option(o)
    }

    fn option_path(&self, o: OptionKind) -> String {
        self.p
            .rules
            .iter()
            .position(|r| r.known() == Some(o))
            .map_or_else(String::new, |i| format!("rules[{i}]"))
    }

    fn base(&self) -> bool {
        self.p.effective_type() == PolicyType::Base
    }

    fn scenarios(&self) -> impl Iterator<Item = (usize, &'a SigningScenario)> + 'a {
        self.p.signing_scenarios.iter().enumerate()
    }

    /// (scenario index, entry index, signer) for every allowed product signer that resolves.
    fn allowed_signers(&self) -> Vec<(usize, usize, &'a SigningScenario, &'a Signer)> {
        let mut v = Vec::new();
        for (i, sc) in self.scenarios() {
            for (j, a) in sc.product_signers.allowed.iter().enumerate() {
                if let Some(s) = self.p.signer(a.signer_id.as_str()) {
                    v.push((i, j, sc, s));
                }
            }
        }
        v
    }

    /// (scenario index, ref index, scenario, rule) for every file rule referenced from
    /// ProductSigners/FileRulesRef.
    fn referenced_rules(&self) -> Vec<(usize, usize, &'a SigningScenario, &'a FileRule)> {
        let mut v = Vec::new();
        for (i, sc) in self.scenarios() {
            for (j, id) in sc.product_signers.file_rules_ref.iter().enumerate() {
                if let Some(r) = self.p.file_rule(id.as_str()) {
                    v.push((i, j, sc, r));
                }
            }
        }
        v
    }

    fn rule_path(&self, r: &FileRule) -> String {
        self.p
            .file_rules
            .iter()
            .position(|x| std::ptr::eq(x, r))
            .map_or_else(String::new, |i| format!("file_rules[{i}]"))
    }

    fn signer_ekus(&self, s: &Signer) -> Vec<String> {
        s.cert_ekus
            .iter()
            .filter_map(|ce| self.p.ekus.iter().find(|e| e.id == ce.id))
            .filter_map(|e| {
                e.value
                    .as_ref()
                    .and_then(|v| oid_from_eku_value(&v.0))
                    .or_else(|| e.oid.clone())
            })
            .collect()
    }

    fn options(&mut self) {
        let simple: [(OptionKind, &'static str, &str); 8] = [
            (
                OptionKind::AuditMode,
                "AU001",
                "Enabled:Audit Mode (3) is set: Windows logs instead of blocking",
            ),
            (
                OptionKind::AdvancedBootOptionsMenu,
                "AU004",
                "Enabled:Advanced Boot Options Menu (9) is set",
            ),
            (
                OptionKind::BootAuditOnFailure,
                "AU005",
                "Enabled:Boot Audit On Failure (10) is set",
            ),
            (
                OptionKind::DisabledScriptEnforcement,
                "AU006",
                "Disabled:Script Enforcement (11) is set",
            ),
            (
                OptionKind::IntelligentSecurityGraphAuthorization,
                "AU007",
                "Enabled:Intelligent Security Graph Authorization (14) is set",
            ),
            (
                OptionKind::ManagedInstaller,
                "AU009",
                "Enabled:Managed Installer (13) is set",
            ),
            (
                OptionKind::DisabledRuntimeFilePathRuleProtection,
                "AU010",
                "Disabled:Runtime FilePath Rule Protection (18) is set",
            ),
            (OptionKind::RequiredEvSigners, "AU013", "Required:EV Signers (8) is set"),
        ];
        for (o, code, msg) in simple {
            if self.has(o) {
                let path = self.option_path(o);
                self.hit(code, path, msg);
            }
        }
        // An allow-list in user mode: allowed signers or allow rules other than allow-all.
        let user_allow_list = self.p.scenario(SCENARIO_USER).is_some_and(|s| {
            !s.product_signers.allowed.is_empty()
                || s.product_signers.file_rules_ref.iter().any(|id| {
                    self.p
                        .file_rule(id.as_str())
                        .is_some_and(|r| r.kind.action() == Action::Allow && !is_allow_all(r))
                })
        });
        if self.base() && user_allow_list && !self.has(OptionKind::Umci) {
            self.hit(
                "AU002",
                "",
                "scenario 12 has rules, but Enabled:UMCI (0) is absent, so they are not enforced",
            );
        }
        if self.base() && self.has(OptionKind::UnsignedSystemIntegrityPolicy) {
            let path = self.option_path(OptionKind::UnsignedSystemIntegrityPolicy);
            self.hit(
                "AU003",
                path,
                "Enabled:Unsigned System Integrity Policy (6) is set: the policy is not protected against tampering",
            );
        }
        if self.has(OptionKind::UnsignedSystemIntegrityPolicy) && !self.p.update_policy_signers.is_empty() {
            self.hit(
                "AU015",
                "update_policy_signers",
                format!(
                    "option 6 makes the policy unsigned, yet it lists {} UpdatePolicySigner(s)",
                    self.p.update_policy_signers.len()
                ),
            );
        }
        if self.has(OptionKind::IntelligentSecurityGraphAuthorization) && !self.has(OptionKind::InvalidateEasOnReboot) {
            let path = self.option_path(OptionKind::IntelligentSecurityGraphAuthorization);
            self.hit("AU008", path, "option 14 without Enabled:Invalidate EAs on Reboot (15)");
        }
        if self.base() && self.has(OptionKind::AllowSupplementalPolicies) {
            let path = self.option_path(OptionKind::AllowSupplementalPolicies);
            if !self.p.is_signed() {
                self.hit(
                    "AU011",
                    path,
                    "option 17 in an unsigned base: any administrator can deploy a supplemental that widens it",
                );
            } else {
                let broad: Vec<String> = self
                    .p
                    .supplemental_policy_signers
                    .iter()
                    .filter_map(|id| self.p.signer(id.as_str()))
                    .filter(|s| matches!(s.cert_root, CertRoot::Wellknown(_)) && s.cert_publisher.is_none())
                    .map(signer_label)
                    .collect();
                if !broad.is_empty() {
                    self.hit(
                        "AU011",
                        path,
                        format!("supplementals may be signed by whole roots: {}", broad.join(", ")),
                    );
                }
            }
        }
        if self.base() {
            let missing: Vec<String> = [
                OptionKind::RequiredWhql,
                OptionKind::DisabledFlightSigning,
                OptionKind::RequiredEnforceStoreApplications,
                OptionKind::DynamicCodeSecurity,
                OptionKind::RevokedExpiredAsUnsigned,
            ]
            .into_iter()
            .filter(|o| !self.has(*o))
            .map(|o| format!("{} ({})", o.xml_name(), o.number().unwrap_or_default()))
            .collect();
            if !missing.is_empty() {
                self.hit("AU012", "", format!("not set: {}", missing.join(", ")));
            }
        }
        for (i, r) in self.p.rules.iter().enumerate() {
            if let RuleOption::Known(
                o @ (OptionKind::SecureSettingPolicy
                | OptionKind::ConditionalWindowsLockdownPolicy
                | OptionKind::WindowsLockdownTrialMode
                | OptionKind::BootMenuProtection),
            ) = r
            {
                self.hit("AU014", format!("rules[{i}]"), format!("{o} has no documented effect"));
            }
        }
    }

    fn signers(&mut self) {
        for (i, j, sc, s) in self.allowed_signers() {
            let path = format!("signing_scenarios[{i}].product_signers.allowed[{j}]");
            let scen = scenario_name(sc.value);
            let unlimited = s.cert_ekus.is_empty() && s.cert_publisher.is_none() && s.file_attrib_refs.is_empty();
            match s.cert_root {
                CertRoot::Wellknown(0x14) => self.hit(
                    "AU021",
                    path,
                    format!("{} is allowed in {scen}", signer_label(s)),
                ),
                // The flight root is inert when flight signing is disabled (option 4).
                CertRoot::Wellknown(0x0E) if self.has(OptionKind::DisabledFlightSigning) => {}
                CertRoot::Wellknown(b) if TEST_ROOTS.contains(&b) => self.hit(
                    "AU022",
                    path,
                    format!("{} is allowed in {scen}", signer_label(s)),
                ),
                CertRoot::Wellknown(b) if THIRD_PARTY_ROOTS.contains(&b) => self.hit(
                    "AU027",
                    path,
                    format!("{} is allowed in {scen}", signer_label(s)),
                ),
                CertRoot::Wellknown(0x08) if sc.value == SCENARIO_USER => self.hit(
                    "AU028",
                    path,
                    format!("{} is allowed in user mode", signer_label(s)),
                ),
                CertRoot::Wellknown(b) if PRODUCT_ROOTS.contains(&b) && sc.value == SCENARIO_USER && unlimited => self.hit(
                    "AU023",
                    path,
                    format!("{} is allowed in user mode with no EKU, publisher or file limit", signer_label(s)),
                ),
                CertRoot::Tbs(_) if unlimited && s.name.as_deref().is_some_and(looks_like_ca) => self.hit(
                    "AU024",
                    path,
                    format!(
                        "{} is allowed in {scen} at certificate-authority level (no CertPublisher, EKU or FileAttribRef)",
                        signer_label(s)
                    ),
                ),
                _ => {}
            }
            if sc.value == SCENARIO_USER
                && s.file_attrib_refs.is_empty()
                && s.cert_publisher
                    .as_deref()
                    .is_some_and(|p| p.to_ascii_lowercase().contains("microsoft"))
            {
                let publisher = s.cert_publisher.clone().unwrap_or_default();
                self.hit(
                    "AU025",
                    format!("signing_scenarios[{i}].product_signers.allowed[{j}]"),
                    format!("{} trusts every file published by \"{publisher}\" in user mode", s.id),
                );
            }
        }
        for (i, id) in self.p.ci_signers.iter().enumerate() {
            if let Some(s) = self.p.signer(id.as_str())
                && matches!(s.cert_root, CertRoot::Wellknown(_))
                && s.cert_ekus.is_empty()
                && s.cert_publisher.is_none()
            {
                self.hit(
                    "AU053",
                    format!("ci_signers[{i}]"),
                    format!("{} is a CiSigner", signer_label(s)),
                );
            }
        }
    }

    fn file_rules(&mut self) {
        let refs = self.referenced_rules();
        // AU020: allow-all next to other allows in one scenario.
        for (_, sc) in self.scenarios() {
            let g = &sc.product_signers;
            let rules: Vec<&FileRule> = g
                .file_rules_ref
                .iter()
                .filter_map(|id| self.p.file_rule(id.as_str()))
                .collect();
            if let Some(all) = rules.iter().find(|r| is_allow_all(r)) {
                let other_allows = rules
                    .iter()
                    .filter(|r| r.kind.action() == Action::Allow && !is_allow_all(r))
                    .count();
                if other_allows > 0 || !g.allowed.is_empty() {
                    let path = self.rule_path(all);
                    self.hit(
                        "AU020",
                        path,
                        format!(
                            "{} allows every file in {}, next to {} other allow rule(s) and {} allowed signer(s)",
                            all.id,
                            scenario_name(sc.value),
                            other_allows,
                            g.allowed.len()
                        ),
                    );
                }
            }
        }
        let mut seen = BTreeSet::new();
        for (_, _, sc, r) in &refs {
            if !seen.insert((sc.value, r.id.clone())) {
                continue;
            }
            let path = self.rule_path(r);
            let action = r.kind.action();
            // AU026: attribute-only allow.
            let names = [&r.file_name, &r.internal_name, &r.file_description, &r.product_name];
            if action == Action::Allow
                && r.hash.is_none()
                && r.file_path.is_none()
                && r.package_family_name.is_none()
                && names.iter().any(|n| n.as_deref().is_some_and(|v| v != "*"))
            {
                let what: Vec<String> = [
                    ("FileName", &r.file_name),
                    ("InternalName", &r.internal_name),
                    ("FileDescription", &r.file_description),
                    ("ProductName", &r.product_name),
                ]
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}=\"{v}\"")))
                .collect();
                self.hit(
                    "AU026",
                    path.clone(),
                    format!(
                        "{} allows any file with {} in {}",
                        r.id,
                        what.join(" "),
                        scenario_name(sc.value)
                    ),
                );
            }
            if let Some(fp) = &r.file_path {
                self.path_rule(r, fp, sc.value, &path);
            }
            // AU043: half-open deny version bounds (a bare Deny compiled by ConfigCI has min = max version).
            if action == Action::Deny {
                let half = match (r.minimum_file_version, r.maximum_file_version) {
                    (Some(v), None) => v != Version::MAX,
                    (None, Some(_)) => true,
                    _ => false,
                };
                if half && r.hash.is_none() {
                    let (which, meaning) = if r.minimum_file_version.is_some() {
                        ("only MinimumFileVersion", "versions up to it")
                    } else {
                        ("only MaximumFileVersion", "versions from it up")
                    };
                    self.hit(
                        "AU043",
                        path.clone(),
                        format!("{} has {which}: it blocks {meaning}", r.id),
                    );
                }
            }
        }
        // AU042: denies in a supplemental.
        if self.p.effective_type() == PolicyType::Supplemental {
            let n_rules = refs
                .iter()
                .filter(|(_, _, _, r)| r.kind.action() == Action::Deny)
                .count();
            let n_signers: usize = self.scenarios().map(|(_, s)| s.product_signers.denied.len()).sum();
            if n_rules + n_signers > 0 {
                self.hit(
                    "AU042",
                    "",
                    format!(
                        "{n_rules} deny rule(s) and {n_signers} denied signer(s) in a supplemental policy are ignored"
                    ),
                );
            }
        }
        // AU046: denies nothing references.
        let mut used: BTreeSet<&str> = BTreeSet::new();
        for (_, sc) in self.scenarios() {
            for g in sc.groups() {
                used.extend(g.file_rules_ref.iter().map(|r| r.as_str()));
                for a in &g.allowed {
                    used.extend(a.except_deny_rules.iter().map(|r| r.as_str()));
                }
            }
        }
        let unused: Vec<(usize, &FileRule)> = self
            .p
            .file_rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind.action() == Action::Deny && !used.contains(r.id.as_str()))
            .collect();
        if let Some((k, _)) = unused.first() {
            let ids: Vec<&str> = unused.iter().take(5).map(|(_, r)| r.id.as_str()).collect();
            let more = if unused.len() > 5 { ", …" } else { "" };
            self.hit(
                "AU046",
                format!("file_rules[{k}]"),
                format!(
                    "{} deny rule(s) are referenced from no scenario and no ExceptDenyRule: {}{more}",
                    unused.len(),
                    ids.join(", ")
                ),
            );
        }
        self.hashes(&refs);
    }

    fn path_rule(&mut self, r: &FileRule, fp: &str, scenario: u8, path: &str) {
        let e = expand(fp);
        let action = r.kind.action();
        if action == Action::Deny {
            self.hit("AU032", path, format!("{} denies by path {fp}", r.id));
        }
        if action == Action::Allow && scenario == SCENARIO_USER {
            let root_file = e.len() > 3 && e.starts_with("c:\\") && !e[3..].contains('\\');
            let writable = e.starts_with('*')
                || root_file
                || USER_WRITABLE
                    .iter()
                    .any(|w| e.starts_with(w) || (e.ends_with('*') && w.starts_with(e.trim_end_matches('*'))));
            if writable {
                let worse = if self.has(OptionKind::DisabledRuntimeFilePathRuleProtection) {
                    " and option 18 turns off Windows' own check"
                } else {
                    ""
                };
                self.hit(
                    "AU030",
                    path,
                    format!("{} allows {fp}, which users can write to{worse}", r.id),
                );
            }
            let star_inside = e.char_indices().any(|(k, c)| c == '*' && k != 0 && k != e.len() - 1);
            let drive_root = e == "c:\\*" || e == "*" || (e.len() == 4 && e.ends_with(":\\*"));
            if e.starts_with('*') || drive_root || star_inside {
                self.hit("AU031", path, format!("{} has the broad wildcard path {fp}", r.id));
            }
        }
        let lower = fp.to_ascii_lowercase();
        let unc = lower.starts_with("\\\\") || lower.starts_with("//");
        let hard_drive = lower.len() > 1 && lower.as_bytes()[1] == b':' && lower.as_bytes()[0].is_ascii_alphabetic();
        if unc || hard_drive {
            let why = if unc {
                "a network path"
            } else if !lower.starts_with("c:") {
                "a drive other than the system drive"
            } else {
                "a hard-coded drive letter instead of %OSDRIVE%"
            };
            self.hit("AU033", path, format!("{} uses {why}: {fp}", r.id));
        }
    }

    fn hashes(&mut self, refs: &[(usize, usize, &SigningScenario, &FileRule)]) {
        // Hash rules grouped by ConfigCI's FriendlyName ("<path> Hash Sha1" and so on).
        const SUFFIXES: [&str; 4] = [" Hash Sha1", " Hash Sha256", " Hash Page Sha1", " Hash Page Sha256"];
        let mut groups: BTreeMap<(Action, u8, String), (BTreeSet<usize>, String)> = BTreeMap::new();
        let mut deny_lens: BTreeSet<usize> = BTreeSet::new();
        let mut allow_lens: BTreeSet<usize> = BTreeSet::new();
        let mut count = 0usize;
        for (_, _, sc, r) in refs {
            let Some(h) = &r.hash else { continue };
            count += 1;
            match r.kind.action() {
                Action::Deny => deny_lens.insert(h.len()),
                _ => allow_lens.insert(h.len()),
            };
            let Some(name) = &r.friendly_name else { continue };
            if let Some((k, prefix)) = SUFFIXES
                .iter()
                .enumerate()
                .rev()
                .find_map(|(k, s)| name.strip_suffix(s).map(|p| (k, p.to_string())))
            {
                let path = self.rule_path(r);
                groups
                    .entry((r.kind.action(), sc.value, prefix))
                    .or_insert_with(|| (BTreeSet::new(), path))
                    .0
                    .insert(k);
            }
        }
        let lacking: Vec<(&String, &String, Vec<&str>)> = groups
            .iter()
            .filter(|((a, _, _), _)| *a == Action::Deny)
            .filter_map(|((_, _, prefix), (have, path))| {
                let missing: Vec<&str> = (0..4)
                    .filter(|k| !have.contains(k))
                    .map(|k| SUFFIXES[k].trim())
                    .collect();
                (!missing.is_empty()).then_some((prefix, path, missing))
            })
            .collect();
        if let Some((prefix, path, missing)) = lacking.first() {
            self.hit(
                "AU044",
                (*path).clone(),
                format!(
                    "{} denied file(s) lack hash variants; e.g. {prefix} has no {}",
                    lacking.len(),
                    missing.join(", ")
                ),
            );
        } else if deny_lens == BTreeSet::from([20]) {
            self.hit(
                "AU044",
                "",
                "every deny hash is SHA-1 (20 bytes): no SHA-256 variant is denied",
            );
        }
        let sha1_only: Vec<&String> = groups
            .iter()
            .filter(|((a, _, _), (have, _))| *a == Action::Allow && !have.contains(&1) && !have.contains(&3))
            .map(|((_, _, prefix), _)| prefix)
            .collect();
        if let Some(first) = sha1_only.first() {
            self.hit(
                "AU045",
                "",
                format!(
                    "{} allowed file(s) have SHA-1 hashes only; e.g. {first}",
                    sha1_only.len()
                ),
            );
        } else if groups.is_empty() && allow_lens == BTreeSet::from([20]) {
            self.hit("AU045", "", "every allow hash is SHA-1 (20 bytes)");
        }
        if count > 10_000 {
            self.hit("AU052", "", format!("{count} hash rules are referenced"));
        }
    }

    fn coverage(&mut self) {
        if !self.base() {
            return;
        }
        let allowed = self.allowed_signers();
        let refs = self.referenced_rules();
        let ms_root = |s: &Signer| matches!(s.cert_root, CertRoot::Wellknown(b) if PRODUCT_ROOTS.contains(&b));
        for value in [SCENARIO_KERNEL, SCENARIO_USER] {
            let Some(idx) = self.p.signing_scenarios.iter().position(|s| s.value == value) else {
                continue;
            };
            let has_allow_all = refs.iter().any(|(i, _, _, r)| *i == idx && is_allow_all(r));
            let allows = refs
                .iter()
                .filter(|(i, _, _, r)| *i == idx && r.kind.action() == Action::Allow)
                .count()
                + allowed.iter().filter(|(i, ..)| *i == idx).count();
            let windows = allowed.iter().any(|(i, _, _, s)| *i == idx && ms_root(s));
            if allows > 0 && !has_allow_all && !windows && (value == SCENARIO_KERNEL || self.has(OptionKind::Umci)) {
                self.hit(
                    "AU050",
                    format!("signing_scenarios[{idx}]"),
                    format!(
                        "{} allows files but trusts no Microsoft product root: Windows' own components will be blocked",
                        scenario_name(value)
                    ),
                );
            }
            let sc = &self.p.signing_scenarios[idx];
            if value == SCENARIO_KERNEL && !has_allow_all && !sc.product_signers.allowed.is_empty() {
                let denies = sc.product_signers.denied.len()
                    + refs
                        .iter()
                        .filter(|(i, _, _, r)| *i == idx && r.kind.action() == Action::Deny)
                        .count();
                if denies == 0 {
                    self.hit(
                        "AU041",
                        format!("signing_scenarios[{idx}]"),
                        "the kernel-mode scenario allows signers but denies nothing",
                    );
                }
            }
            if value == SCENARIO_USER && self.has(OptionKind::Umci) && !has_allow_all {
                let microsoft = allowed.iter().any(|(i, _, _, s)| {
                    *i == idx
                        && (ms_root(s)
                            || s.cert_publisher
                                .as_deref()
                                .is_some_and(|p| p.to_ascii_lowercase().contains("microsoft")))
                });
                if microsoft {
                    let denied: BTreeSet<String> = refs
                        .iter()
                        .filter(|(i, _, _, r)| *i == idx && r.kind.action() == Action::Deny)
                        .filter_map(|(_, _, _, r)| r.file_name.as_ref().map(|n| n.to_ascii_lowercase()))
                        .collect();
                    let missing: Vec<&str> = BLOCK_RULE_FILES
                        .iter()
                        .copied()
                        .filter(|f| !denied.contains(*f))
                        .collect();
                    if missing.len() * 2 > BLOCK_RULE_FILES.len() {
                        let shown: Vec<&str> = missing.iter().copied().take(6).collect();
                        self.hit(
                            "AU040",
                            format!("signing_scenarios[{idx}]"),
                            format!(
                                "user mode trusts Microsoft-signed code but denies only {} of the {} files Microsoft's block rules name (missing e.g. {})",
                                BLOCK_RULE_FILES.len() - missing.len(),
                                BLOCK_RULE_FILES.len(),
                                shown.join(", ")
                            ),
                        );
                    }
                }
                let pfn = refs.iter().any(|(i, _, _, r)| {
                    *i == idx && r.kind.action() == Action::Allow && r.package_family_name.is_some()
                });
                let store = allowed
                    .iter()
                    .find(|(i, _, _, s)| *i == idx && self.signer_ekus(s).iter().any(|e| e == STORE_EKU));
                if let (true, Some((_, j, _, s))) = (pfn, store) {
                    self.hit(
                        "AU051",
                        format!("signing_scenarios[{idx}].product_signers.allowed[{j}]"),
                        format!(
                            "PackageFamilyName allow rules and the Store signer {} are both in user mode",
                            s.id
                        ),
                    );
                }
            }
        }
    }
}

/// Audits a policy. Hits are sorted by code, then path (naturally: `allowed[2]` before `allowed[10]`).
pub fn audit(p: &Policy) -> Vec<Hit> {
    let mut a = Audit { p, hits: Vec::new() };
    a.options();
    a.signers();
    a.file_rules();
    a.coverage();
    let mut hits = a.hits;
    hits.sort_by(|x, y| {
        x.code
            .cmp(y.code)
            .then_with(|| super::natural::cmp(&x.path, &y.path))
            .then_with(|| x.message.cmp(&y.message))
    });
    hits.dedup();
    hits
}

/// Maps an audit rating onto the validator's severities: critical and high are errors, medium and
/// low warnings, info stays info.
pub fn severity(r: Rating) -> crate::valid::Severity {
    use crate::valid::Severity;
    match r {
        Rating::Critical | Rating::High => Severity::Error,
        Rating::Medium | Rating::Low => Severity::Warning,
        Rating::Info => Severity::Info,
    }
}

/// The rating's name.
pub fn rating_name(r: Rating) -> &'static str {
    match r {
        Rating::Critical => "critical",
        Rating::High => "high",
        Rating::Medium => "medium",
        Rating::Low => "low",
        Rating::Info => "info",
    }
}

/// The audit as a validator report, for the validator's renderers (human, JSON, SARIF). With the
/// XML document the policy was read from, findings point at lines and columns. Each message starts
/// with the rating (`[high]`).
pub fn report(p: &Policy, doc: Option<&crate::xml::Document>) -> crate::valid::Report {
    use crate::valid::{Code, Finding, Location, Report};
    let findings = audit(p)
        .into_iter()
        .map(|h| {
            let code = Code::from_text(h.code).expect("every audit code is in the validator's table");
            let location = match (doc, h.path.is_empty()) {
                (_, true) => Location::Input,
                (Some(d), false) => match d.source.get(&h.path) {
                    Some(span) => Location::text(span, Some(h.path.clone())),
                    None => Location::Model { path: h.path.clone() },
                },
                (None, false) => Location::Model { path: h.path.clone() },
            };
            Finding::new(code, location, format!("[{}] {}", rating_name(h.rating), h.message)).with_help(h.help)
        })
        .collect();
    Report::new(findings, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_complete() {
        let codes: Vec<&str> = CHECKS.iter().map(|c| c.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
        assert!(CHECKS.iter().all(|c| !c.title.is_empty() && !c.help.is_empty()));
    }

    #[test]
    fn validator_table_agrees() {
        use crate::valid::{Code, Layer};
        for c in CHECKS {
            let info = Code::from_text(c.code)
                .unwrap_or_else(|| panic!("{} is not in the validator's table", c.code))
                .info();
            assert_eq!(info.title, c.title, "{}", c.code);
            assert_eq!(info.layer, Layer::Audit, "{}", c.code);
            assert_eq!(info.severity, severity(c.rating), "{}", c.code);
            assert!(
                info.source.ends_with(&format!("rated {}", rating_name(c.rating))),
                "{}",
                c.code
            );
        }
        let audit_codes = Code::ALL.iter().filter(|c| c.info().layer == Layer::Audit).count();
        assert_eq!(audit_codes, CHECKS.len());
    }

    #[test]
    fn ca_names() {
        assert!(looks_like_ca("Contoso Code Signing CA"));
        assert!(looks_like_ca("Microsoft Code Signing PCA 2011"));
        assert!(looks_like_ca("DigiCert Trusted Root G4"));
        assert!(!looks_like_ca("Contoso Canada Ltd"));
    }
}
