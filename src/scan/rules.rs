//! From file facts to rules at a level with fallbacks (rule-levels.md §5): scenario choice, level
//! eligibility, and de-duplication. The result ([`RuleSet`]) is format-neutral; [`super::emit`]
//! turns it into a policy.

use std::collections::BTreeMap;

use super::facts::{FileFacts, FileKind};
use super::level::{Level, NameLevel};
use super::pe::ImageMode;
use super::sig::SignatureFacts;
use crate::model::{HexBytes, SCENARIO_KERNEL, SCENARIO_USER, Version};

/// The WHQL EKU (Windows Hardware Driver Verification).
pub const WHQL_EKU: &str = "1.3.6.1.4.1.311.10.3.5";

/// Which certificate PcaCertificate/Publisher-style levels use (rule-levels.md §3.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub enum PcaChoice {
    /// The certificate directly above the leaf (what every Microsoft-published rule shows).
    #[default]
    Issuer,
    /// The highest certificate in the bag below a self-signed root.
    Top,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct RuleOptions {
    /// `-Level`.
    pub level: Level,
    /// `-Fallback`, in order.
    pub fallbacks: Vec<Level>,
    /// Include user-mode files (scenario 12; kernel-capable files go there too).
    pub user_mode: bool,
    /// Include kernel-capable images (scenario 131).
    pub kernel_mode: bool,
    /// `-SpecificFileNameLevel`.
    pub name_level: NameLevel,
    /// `-AllowFileNameFallbacks`: OriginalFileName, then InternalName, FileDescription, ProductName.
    pub name_fallbacks: bool,
    /// PCA choice.
    pub pca: PcaChoice,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            level: Level::Hash,
            fallbacks: Vec::new(),
            user_mode: true,
            kernel_mode: true,
            name_level: NameLevel::default(),
            name_fallbacks: false,
            pca: PcaChoice::default(),
        }
    }
}

/// Which of the four hash rules a hash is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum HashKind {
    /// Authenticode/SIP SHA-1.
    Sha1,
    /// Authenticode/SIP SHA-256.
    Sha256,
    /// First-page SHA-1.
    PageSha1,
    /// First-page SHA-256.
    PageSha256,
}

impl HashKind {
    /// FriendlyName suffix as ConfigCI writes it.
    pub fn suffix(self) -> &'static str {
        match self {
            HashKind::Sha1 => "Hash Sha1",
            HashKind::Sha256 => "Hash Sha256",
            HashKind::PageSha1 => "Hash Page Sha1",
            HashKind::PageSha256 => "Hash Page Sha256",
        }
    }
}

/// A file rule (Allow element) that a scan produced.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum FileRuleSpec {
    /// A hash rule.
    Hash {
        /// Which hash.
        kind: HashKind,
        /// Digest.
        hash: HexBytes,
    },
    /// A file-name attribute rule.
    Name {
        /// Which attribute.
        attr: NameLevel,
        /// Its value.
        value: String,
        /// Lowest version among the files.
        min_version: Version,
    },
    /// A file-path rule.
    Path {
        /// The path.
        path: String,
    },
}

/// One generated file rule.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GenRule {
    /// Scenario (131 or 12).
    pub scenario: u8,
    /// The rule.
    pub rule: FileRuleSpec,
    /// Display path of the first file that produced it.
    pub path: String,
}

/// A file attribute a FilePublisher-style signer refers to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GenAttrib {
    /// Name attribute and value; `None` is `FileName="*"` (SignedVersion).
    pub name: Option<(NameLevel, String)>,
    /// Lowest version among the files.
    pub min_version: Version,
    /// Display path of the first file.
    pub path: String,
}

/// Identity of a generated signer (equal keys share one Signer element).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct SignerKey {
    /// Scenario.
    pub scenario: u8,
    /// Level that produced it.
    pub level: Level,
    /// CertRoot TBS hash.
    pub cert_root: HexBytes,
    /// Signer Name (the CertRoot certificate's CN).
    pub name: String,
    /// CertPublisher (leaf CN).
    pub publisher: Option<String>,
    /// CertOemID (opus program name).
    pub oem_id: Option<String>,
    /// CertEKU OIDs.
    pub ekus: Vec<String>,
}

/// One generated signer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GenSigner {
    /// Identity.
    pub key: SignerKey,
    /// File attributes (FilePublisher, SignedVersion, WHQLFilePublisher).
    pub attribs: Vec<GenAttrib>,
    /// Display path of the first file.
    pub path: String,
}

/// A file that no requested level could cover.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Unresolved {
    /// Display path.
    pub path: String,
    /// Scenario.
    pub scenario: u8,
    /// Why each level was refused.
    pub reasons: Vec<String>,
}

/// A file that got its rules from a fallback level.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Fallback {
    /// Display path.
    pub path: String,
    /// Scenario.
    pub scenario: u8,
    /// Level used.
    pub level: Level,
    /// Why the earlier levels were refused.
    pub reasons: Vec<String>,
}

/// Everything a scan produced, de-duplicated, in generation order (scenario 131 first, then 12;
/// files in path order).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RuleSet {
    /// File rules.
    pub rules: Vec<GenRule>,
    /// Signers.
    pub signers: Vec<GenSigner>,
    /// Files no level covered.
    pub unresolved: Vec<Unresolved>,
    /// Files that fell back to a later level.
    pub fallbacks_used: Vec<Fallback>,
}

/// The scenarios a file goes to (rule-levels.md §5.1).
pub fn scenarios(f: &FileFacts, opts: &RuleOptions) -> Vec<u8> {
    let mut v = Vec::new();
    if !f.kind.is_enforced() {
        return v;
    }
    if opts.kernel_mode && f.kind.is_pe() && f.mode() != ImageMode::User {
        v.push(SCENARIO_KERNEL);
    }
    if opts.user_mode {
        v.push(SCENARIO_USER);
    }
    v
}

/// The file's name attribute at `level`, with fallbacks when asked.
pub fn name_attr(f: &FileFacts, level: NameLevel, fallbacks: bool) -> Option<(NameLevel, String)> {
    let v = f.version.as_ref()?;
    let mut order = vec![level];
    if fallbacks && level == NameLevel::OriginalFileName {
        order.extend([
            NameLevel::InternalName,
            NameLevel::FileDescription,
            NameLevel::ProductName,
        ]);
    }
    order
        .into_iter()
        .find_map(|l| Some((l, v.string(l.resource_key()?)?.to_string())))
}

/// What one level yields for one file in one scenario.
enum Product {
    Rule(FileRuleSpec),
    Signer(SignerKey, Option<GenAttrib>),
}

fn pca(s: &SignatureFacts, choice: PcaChoice) -> Option<&crate::cert::CertFacts> {
    match choice {
        PcaChoice::Issuer => s.issuer(),
        PcaChoice::Top => {
            // The highest certificate below a self-signed root, else the top one.
            let n = s.chain.len();
            match s.chain.last() {
                Some(top) if n > 2 && top.self_issued => s.chain.get(n - 2),
                _ if n >= 2 => s.chain.last(),
                _ => None,
            }
        }
    }
}

fn try_level(f: &FileFacts, scenario: u8, level: Level, o: &RuleOptions) -> Result<Vec<Product>, String> {
    let version = f.version.as_ref().and_then(|v| v.file_version);
    let name = || name_attr(f, o.name_level, o.name_fallbacks);
    match level {
        Level::None => Ok(Vec::new()),
        Level::Pfn => Err("PFN applies to packaged apps only".into()),
        Level::Hash => {
            if f.sha256.is_empty() {
                return Err("no hash".into());
            }
            let mut v = vec![
                Product::Rule(FileRuleSpec::Hash {
                    kind: HashKind::Sha1,
                    hash: f.sha1.clone(),
                }),
                Product::Rule(FileRuleSpec::Hash {
                    kind: HashKind::Sha256,
                    hash: f.sha256.clone(),
                }),
            ];
            for (kind, h) in [
                (HashKind::PageSha1, &f.page_sha1),
                (HashKind::PageSha256, &f.page_sha256),
            ] {
                if let Some(h) = h {
                    v.push(Product::Rule(FileRuleSpec::Hash { kind, hash: h.clone() }));
                }
            }
            Ok(v)
        }
        Level::FileName => {
            let (attr, value) = name().ok_or("no name attribute in the version resource")?;
            Ok(vec![Product::Rule(FileRuleSpec::Name {
                attr,
                value,
                min_version: version.unwrap_or(Version::ZERO),
            })])
        }
        Level::FilePath => {
            if scenario != SCENARIO_USER {
                return Err("FilePath rules are user mode only".into());
            }
            Ok(vec![Product::Rule(FileRuleSpec::Path { path: f.path.clone() })])
        }
        _ => signer_products(f, scenario, level, o, version),
    }
}

fn signer_products(
    f: &FileFacts,
    scenario: u8,
    level: Level,
    o: &RuleOptions,
    version: Option<Version>,
) -> Result<Vec<Product>, String> {
    let usable: Vec<&SignatureFacts> = f.usable_signatures().collect();
    if usable.is_empty() {
        return Err(match f.signatures.iter().flat_map(|s| s.problems.first()).next() {
            Some(p) => format!("no usable signature ({p})"),
            None => "not signed".to_string(),
        });
    }
    let attrib = match level {
        Level::SignedVersion => Some(GenAttrib {
            name: None,
            min_version: version.ok_or("no fixed FILEVERSION")?,
            path: f.path.clone(),
        }),
        Level::FilePublisher | Level::WhqlFilePublisher => Some(GenAttrib {
            min_version: version.ok_or("no fixed FILEVERSION")?,
            name: Some(name_attr(f, o.name_level, o.name_fallbacks).ok_or("no name attribute")?),
            path: f.path.clone(),
        }),
        _ => None,
    };
    let mut out = Vec::new();
    let mut why = String::new();
    for s in usable {
        let Some(leaf) = s.leaf() else { continue };
        let whql = leaf.ekus.iter().any(|e| e == WHQL_EKU);
        let root_cert = match level {
            Level::LeafCertificate => Some(leaf),
            Level::RootCertificate => s.top().filter(|_| s.chain.len() >= 2),
            _ => pca(s, o.pca),
        };
        let Some(root_cert) = root_cert else {
            why = "issuer certificate not in the signature".into();
            continue;
        };
        let Some(tbs) = root_cert.tbs_hash.as_deref().and_then(|t| t.parse::<HexBytes>().ok()) else {
            why = "certificate signature algorithm unknown (no TBS hash)".into();
            continue;
        };
        let is_whql = matches!(level, Level::Whql | Level::WhqlPublisher | Level::WhqlFilePublisher);
        if is_whql && !whql {
            why = "leaf lacks the WHQL EKU".into();
            continue;
        }
        let oem_id = match level {
            Level::WhqlPublisher | Level::WhqlFilePublisher => match &s.opus_program_name {
                Some(n) if !n.trim().is_empty() => Some(n.clone()),
                _ => {
                    why = "no opus program name (OEM)".into();
                    continue;
                }
            },
            _ => None,
        };
        let publisher = matches!(level, Level::Publisher | Level::FilePublisher | Level::SignedVersion)
            .then(|| leaf.subject_name.clone());
        let key = SignerKey {
            scenario,
            level,
            cert_root: tbs,
            name: root_cert.subject_name.clone(),
            publisher,
            oem_id,
            ekus: if is_whql {
                vec![WHQL_EKU.to_string()]
            } else {
                Vec::new()
            },
        };
        out.push(Product::Signer(key, attrib.clone()));
    }
    if out.is_empty() {
        return Err(why);
    }
    Ok(out)
}

/// Generates rules for `files` (any order; processed in path order).
pub fn build(files: &[FileFacts], o: &RuleOptions) -> RuleSet {
    let mut order: Vec<&FileFacts> = files.iter().collect();
    order.sort_by(|a, b| a.path.cmp(&b.path));
    let mut set = RuleSet::default();
    // Index of each de-duplicated rule / signer / attrib, keyed by content.
    let mut rule_index: BTreeMap<(u8, FileRuleSpecKey), usize> = BTreeMap::new();
    let mut signer_index: BTreeMap<SignerKey, usize> = BTreeMap::new();
    let levels: Vec<Level> = std::iter::once(o.level).chain(o.fallbacks.iter().copied()).collect();
    for scenario in [SCENARIO_KERNEL, SCENARIO_USER] {
        for f in &order {
            if !scenarios(f, o).contains(&scenario) {
                continue;
            }
            let mut reasons = Vec::new();
            let mut done = false;
            for (i, &level) in levels.iter().enumerate() {
                match try_level(f, scenario, level, o) {
                    Ok(products) => {
                        if i > 0 {
                            set.fallbacks_used.push(Fallback {
                                path: f.path.clone(),
                                scenario,
                                level,
                                reasons: std::mem::take(&mut reasons),
                            });
                        }
                        for p in products {
                            add(&mut set, &mut rule_index, &mut signer_index, scenario, f, p);
                        }
                        done = true;
                        break;
                    }
                    Err(why) => reasons.push(format!("{level}: {why}")),
                }
            }
            if !done {
                set.unresolved.push(Unresolved {
                    path: f.path.clone(),
                    scenario,
                    reasons,
                });
            }
        }
    }
    set
}

/// Content key of a file rule for de-duplication (versions aggregate, so they are not part of it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum FileRuleSpecKey {
    Hash(HashKind, HexBytes),
    Name(NameLevel, String),
    Path(String),
}

fn add(
    set: &mut RuleSet,
    rule_index: &mut BTreeMap<(u8, FileRuleSpecKey), usize>,
    signer_index: &mut BTreeMap<SignerKey, usize>,
    scenario: u8,
    f: &FileFacts,
    p: Product,
) {
    match p {
        Product::Rule(rule) => {
            let key = match &rule {
                FileRuleSpec::Hash { kind, hash } => FileRuleSpecKey::Hash(*kind, hash.clone()),
                FileRuleSpec::Name { attr, value, .. } => FileRuleSpecKey::Name(*attr, value.clone()),
                FileRuleSpec::Path { path } => FileRuleSpecKey::Path(path.clone()),
            };
            match rule_index.get(&(scenario, key.clone())) {
                Some(&i) => {
                    if let (
                        FileRuleSpec::Name { min_version, .. },
                        FileRuleSpec::Name {
                            min_version: new_min, ..
                        },
                    ) = (&mut set.rules[i].rule, &rule)
                    {
                        *min_version = (*min_version).min(*new_min);
                    }
                }
                None => {
                    rule_index.insert((scenario, key), set.rules.len());
                    set.rules.push(GenRule {
                        scenario,
                        rule,
                        path: f.path.clone(),
                    });
                }
            }
        }
        Product::Signer(key, attrib) => {
            let i = *signer_index.entry(key.clone()).or_insert_with(|| {
                set.signers.push(GenSigner {
                    key,
                    attribs: Vec::new(),
                    path: f.path.clone(),
                });
                set.signers.len() - 1
            });
            if let Some(a) = attrib {
                let s = &mut set.signers[i];
                match s.attribs.iter_mut().find(|x| x.name == a.name) {
                    Some(x) => x.min_version = x.min_version.min(a.min_version),
                    None => s.attribs.push(a),
                }
            }
        }
    }
}

/// True when `f` is a kind the scan turns into rules.
pub fn is_candidate(kind: FileKind) -> bool {
    kind.is_enforced()
}
