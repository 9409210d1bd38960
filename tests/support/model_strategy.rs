//! A proptest `Strategy` for valid policy models: every part of `model::Policy` that SiPolicy XML
//! can express, with unique IDs, references that resolve to an element of the right kind
//! (FileAttribRef to a FileAttrib rule, ExceptDenyRule to a Deny rule, RequireHotpatchID from an
//! Allow rule to an Allow rule, AppIDs to defined macros, CertEKU to an EKU, …), and text made
//! of characters XML 1.0 can carry (markup characters, whitespace, CR, non-ASCII and astral
//! characters included).
//!
//! The strategy draws a `Raw` policy whose references are `Index`es, then resolves them against
//! the elements of the right kind that exist (a reference with nothing to point to is left out).
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::Index;

use cipolicy::model::*;

/// Characters XML text can hold, weighted towards the ones that need escaping or normalising.
const CHARS: &[char] = &[
    'a',
    'b',
    'Z',
    '0',
    '9',
    ' ',
    '_',
    '-',
    '.',
    '*',
    '\\',
    '/',
    ':',
    '%',
    '$',
    '(',
    ')',
    ',',
    ';',
    '&',
    '<',
    '>',
    '"',
    '\'',
    '\t',
    '\n',
    '\r',
    '\u{A0}',
    '\u{85}',
    '\u{2028}',
    'é',
    'ß',
    '中',
    '\u{FEFF}',
    '😀',
    '\u{10FFFF}',
    '=',
    '?',
    '!',
    '[',
    ']',
    '{',
    '}',
];

/// Characters for the variable part of IDs: no comma or whitespace (`InheritedScenarios` is a
/// comma-separated list of trimmed IDs) and no `)` (macro references end at the first `)`).
const ID_CHARS: &[char] = &['a', 'Z', '0', '_', '-', '.', 'é', '中', '&', '<', '"', '😀'];

/// Any XML-expressible text of up to `max` characters.
pub fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(CHARS), 0..=max).prop_map(String::from_iter)
}

fn opt_text(max: usize) -> impl Strategy<Value = Option<String>> {
    prop::option::of(text(max))
}

fn id_suffix() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ID_CHARS), 0..4).prop_map(String::from_iter)
}

fn bytes(max: usize) -> impl Strategy<Value = HexBytes> {
    prop::collection::vec(any::<u8>(), 0..=max).prop_map(HexBytes)
}

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![
        Just(Version::ZERO),
        Just(Version::MAX),
        any::<[u16; 4]>().prop_map(Version),
    ]
}

fn guid() -> impl Strategy<Value = Guid> {
    any::<[u8; 16]>().prop_map(Guid::from_windows_bytes)
}

/// FILETIME ticks from 1601 to the end of 9999 (what `xs:dateTime` with a four-digit year holds).
fn sign_time() -> impl Strategy<Value = SignTime> {
    const MAX: i64 = 2_650_467_743_999_999_999;
    prop_oneof![
        Just(SignTime(0)),
        (0..MAX / 10_000_000).prop_map(|s| SignTime(s * 10_000_000)),
        (0..MAX).prop_map(SignTime),
    ]
}

/// A dotted OID that converts to an EKU value.
fn oid() -> impl Strategy<Value = String> {
    (0u64..3, 0u64..40, prop::collection::vec(0u64..1_000_000, 0..4)).prop_map(|(a, b, rest)| {
        let mut s = format!("{a}.{b}");
        for r in rest {
            s.push_str(&format!(".{r}"));
        }
        s
    })
}

fn rule_option() -> impl Strategy<Value = RuleOption> {
    prop_oneof![
        4 => prop::sample::select(OptionKind::ALL).prop_map(RuleOption::Known),
        1 => text(12)
            .prop_map(|s| s.trim().to_string())
            .prop_filter("an unknown option", |s| OptionKind::from_xml_name(s).is_none())
            .prop_map(RuleOption::Unknown),
    ]
}

#[derive(Clone, Debug)]
struct RawRule {
    kind: FileRuleKind,
    friendly_name: Option<String>,
    file_name: Option<String>,
    internal_name: Option<String>,
    file_description: Option<String>,
    product_name: Option<String>,
    package_family_name: Option<String>,
    package_version: Option<Version>,
    minimum_file_version: Option<Version>,
    maximum_file_version: Option<Version>,
    hash: Option<HexBytes>,
    /// `None`, a literal, or references to macros.
    app_ids: Option<Result<String, Vec<Index>>>,
    file_path: Option<String>,
    require_hotpatch: Option<Index>,
    minimum_sequence: Option<u32>,
    maximum_sequence: Option<u32>,
}

fn file_rule_kind() -> impl Strategy<Value = FileRuleKind> {
    prop::sample::select(vec![
        FileRuleKind::Allow,
        FileRuleKind::Deny,
        FileRuleKind::FileAttrib,
        FileRuleKind::Generic(GenericRuleType::Match),
        FileRuleKind::Generic(GenericRuleType::Exclude),
        FileRuleKind::Generic(GenericRuleType::Attribute),
    ])
}

fn raw_rule() -> impl Strategy<Value = RawRule> {
    let names = (
        opt_text(8),
        opt_text(8),
        opt_text(8),
        opt_text(8),
        opt_text(8),
        opt_text(8),
        opt_text(8),
    );
    let versions = (
        prop::option::of(version()),
        prop::option::of(version()),
        prop::option::of(version()),
    );
    let rest = (
        prop::option::of(bytes(40)),
        prop::option::of(prop_oneof![
            text(8).prop_filter("a literal", |s| !s.starts_with('$')).prop_map(Ok),
            prop::collection::vec(any::<Index>(), 1..3).prop_map(Err),
        ]),
        prop::option::of(any::<Index>()),
        prop::option::of(any::<u32>()),
        prop::option::of(any::<u32>()),
    );
    (file_rule_kind(), names, versions, rest).prop_map(
        |(
            kind,
            (friendly, file, internal, desc, product, pfn, path),
            (pv, min, max),
            (hash, app_ids, hp, mins, maxs),
        )| {
            let allow = kind == FileRuleKind::Allow;
            RawRule {
                kind,
                friendly_name: friendly,
                file_name: file,
                internal_name: internal,
                file_description: desc,
                product_name: product,
                package_family_name: pfn,
                package_version: pv,
                minimum_file_version: min,
                maximum_file_version: max,
                hash,
                app_ids,
                file_path: path,
                // Hot-patch attributes exist on <Allow> only.
                require_hotpatch: hp.filter(|_| allow),
                minimum_sequence: mins.filter(|_| allow),
                maximum_sequence: maxs.filter(|_| allow),
            }
        },
    )
}

fn artifact_rule() -> impl Strategy<Value = ArtifactRule> {
    (
        prop::sample::select(vec![ArtifactType::Cim, ArtifactType::Catalog]),
        prop::sample::select(vec![ArtifactAction::Deny, ArtifactAction::Allow]),
        (opt_text(8), opt_text(8), opt_text(8)),
        (prop::option::of(version()), prop::option::of(version())),
        prop::option::of(prop::sample::select(vec![
            ArtifactHashAlg::Sha256,
            ArtifactHashAlg::Sha384,
            ArtifactHashAlg::Sha512,
        ])),
        any::<[u8; 64]>(),
    )
        .prop_map(
            |(artifact_type, action, (friendly, name, desc), (min, max), alg, digest)| ArtifactRule {
                id: Id::default(),
                artifact_type,
                action,
                friendly_name: friendly,
                artifact_name: name,
                artifact_description: desc,
                minimum_version: min,
                maximum_version: max,
                hash: alg.map(|a| (a, HexBytes(digest[..a.digest_len()].to_vec()))),
            },
        )
}

#[derive(Clone, Debug)]
struct RawSigner {
    name: Option<String>,
    sign_time_after: Option<SignTime>,
    cert_root: CertRoot,
    cert_ekus: Vec<(Index, bool)>,
    cert_issuer: Option<String>,
    cert_publisher: Option<String>,
    cert_oem_id: Option<String>,
    file_attrib_refs: Vec<Index>,
    artifact_rule_refs: Vec<Index>,
}

fn raw_signer() -> impl Strategy<Value = RawSigner> {
    (
        opt_text(8),
        prop::option::of(sign_time()),
        prop_oneof![
            bytes(64).prop_map(CertRoot::Tbs),
            any::<u8>().prop_map(CertRoot::Wellknown)
        ],
        prop::collection::vec((any::<Index>(), prop::bool::weighted(0.2)), 0..3),
        (opt_text(8), opt_text(8), opt_text(8)),
        prop::collection::vec(any::<Index>(), 0..3),
        prop::collection::vec(any::<Index>(), 0..2),
    )
        .prop_map(
            |(
                name,
                sign_time_after,
                cert_root,
                cert_ekus,
                (issuer, publisher, oem),
                file_attrib_refs,
                artifact_rule_refs,
            )| {
                RawSigner {
                    name,
                    sign_time_after,
                    cert_root,
                    cert_ekus,
                    cert_issuer: issuer,
                    cert_publisher: publisher,
                    cert_oem_id: oem,
                    file_attrib_refs,
                    artifact_rule_refs,
                }
            },
        )
}

/// A signer group: allowed (signer, except-deny rules), denied (signer, except-allow rules),
/// rule references.
type RawGroup = (Vec<(Index, Vec<Index>)>, Vec<(Index, Vec<Index>)>, Vec<Index>);

fn raw_group() -> impl Strategy<Value = RawGroup> {
    let refs = || prop::collection::vec(any::<Index>(), 0..3);
    (
        prop::collection::vec((any::<Index>(), refs()), 0..3),
        prop::collection::vec((any::<Index>(), refs()), 0..2),
        refs(),
    )
}

/// AppIDTags: EnforceDLL and (key, value) tags.
type RawTags = (Option<bool>, Vec<(String, String)>);

#[derive(Clone, Debug)]
struct RawScenario {
    friendly_name: Option<String>,
    extra_value: u8,
    inherited: Vec<Index>,
    minimum_hash_algorithm: Option<u16>,
    groups: [RawGroup; 4],
    app_id_tags: Option<RawTags>,
}

fn raw_scenario() -> impl Strategy<Value = RawScenario> {
    (
        opt_text(8),
        any::<u8>(),
        prop::collection::vec(any::<Index>(), 0..2),
        prop::option::of(any::<u16>()),
        [raw_group(), raw_group(), raw_group(), raw_group()],
        prop::option::of((
            prop::option::of(any::<bool>()),
            prop::collection::vec((text(6), text(6)), 0..3),
        )),
    )
        .prop_map(
            |(friendly_name, extra_value, inherited, minimum_hash_algorithm, groups, app_id_tags)| RawScenario {
                friendly_name,
                extra_value,
                inherited,
                minimum_hash_algorithm,
                groups,
                app_id_tags,
            },
        )
}

fn setting() -> impl Strategy<Value = Setting> {
    (
        text(6),
        text(6),
        text(6),
        prop_oneof![
            any::<bool>().prop_map(SettingValue::Boolean),
            any::<u32>().prop_map(SettingValue::DWord),
            bytes(16).prop_map(SettingValue::Binary),
            text(10).prop_map(SettingValue::String),
        ],
    )
        .prop_map(|(provider, key, value_name, value)| Setting {
            provider,
            key,
            value_name,
            value,
        })
}

fn app() -> impl Strategy<Value = App> {
    (
        text(10),
        prop::collection::vec(
            (opt_text(6), prop::collection::vec(text(6), 0..3)).prop_map(|(name, values)| AppSetting { name, values }),
            0..3,
        ),
    )
        .prop_map(|(manifest, settings)| App { manifest, settings })
}

/// Which identity elements a policy carries.
#[derive(Clone, Copy, Debug)]
enum Identity {
    /// `PolicyID` = `BasePolicyID` (a base), or differing (a supplemental).
    Multiple { supplemental: bool },
    /// `PolicyTypeID` only (the legacy single-policy format).
    Legacy,
}

#[derive(Clone, Debug)]
struct Raw {
    friendly_name: Option<String>,
    policy_type: Option<PolicyType>,
    identity: Identity,
    guids: (Guid, Guid, Option<Guid>),
    version_ex: Version,
    rules: Vec<RuleOption>,
    ekus: Vec<(Result<HexBytes, String>, Option<String>)>,
    file_rules: Vec<RawRule>,
    artifact_rules: Vec<ArtifactRule>,
    signers: Vec<RawSigner>,
    scenarios: Vec<(u8, RawScenario)>,
    policy_signers: [Vec<Index>; 3],
    hvci_options: Option<u32>,
    settings: Vec<Setting>,
    macros: Vec<(String, String)>,
    app_settings: Vec<App>,
    id_suffix: String,
}

fn raw() -> impl Strategy<Value = Raw> {
    let head = (
        opt_text(10),
        prop::option::of(prop::sample::select(vec![
            PolicyType::Base,
            PolicyType::Supplemental,
            PolicyType::AppIdTagging,
        ])),
        prop_oneof![
            any::<bool>().prop_map(|supplemental| Identity::Multiple { supplemental }),
            Just(Identity::Legacy),
        ],
        (guid(), guid(), prop::option::of(guid())),
        version(),
        prop::collection::vec(rule_option(), 0..6),
    );
    let parts = (
        prop::collection::vec(
            (prop_oneof![bytes(12).prop_map(Ok), oid().prop_map(Err)], opt_text(6)),
            0..3,
        ),
        prop::collection::vec(raw_rule(), 0..7),
        prop::collection::vec(artifact_rule(), 0..3),
        prop::collection::vec(raw_signer(), 0..4),
        // Scenario values: kernel, user, or another one, each at most once.
        prop::sample::subsequence(vec![131u8, 12, 0], 0..=3).prop_shuffle(),
        prop::collection::vec(raw_scenario(), 3),
    );
    let tail = (
        [
            prop::collection::vec(any::<Index>(), 0..3),
            prop::collection::vec(any::<Index>(), 0..3),
            prop::collection::vec(any::<Index>(), 0..3),
        ],
        prop::option::of(any::<u32>()),
        prop::collection::vec(setting(), 0..3),
        prop::collection::vec((id_suffix(), text(8)), 0..3),
        prop::collection::vec(app(), 0..2),
        id_suffix(),
    );
    (head, parts, tail).prop_map(
        |(
            (friendly_name, policy_type, identity, guids, version_ex, rules),
            (ekus, file_rules, artifact_rules, signers, values, scenarios),
            (policy_signers, hvci_options, settings, macros, app_settings, id_suffix),
        )| Raw {
            friendly_name,
            policy_type,
            identity,
            guids,
            version_ex,
            rules,
            ekus,
            file_rules,
            artifact_rules,
            signers,
            scenarios: values.into_iter().zip(scenarios).collect(),
            policy_signers,
            hvci_options,
            settings,
            macros,
            app_settings,
            id_suffix,
        },
    )
}

/// Picks the IDs that `refs` point to among `ids` (none when `ids` is empty).
fn pick(refs: &[Index], ids: &[Id]) -> Vec<Id> {
    if ids.is_empty() {
        return Vec::new();
    }
    refs.iter().map(|r| r.get(ids).clone()).collect()
}

fn assemble(r: Raw) -> Policy {
    let sfx = &r.id_suffix;
    let (a, b, platform) = r.guids;
    let mut p = Policy::new_base(a);
    p.friendly_name = r.friendly_name;
    p.platform_id = platform;
    p.version_ex = r.version_ex;
    match r.identity {
        Identity::Multiple { supplemental } => {
            // The type agrees with the IDs: differing IDs make a supplemental.
            p.policy_type = match (supplemental, r.policy_type) {
                (true, Some(_)) => Some(PolicyType::Supplemental),
                (false, Some(PolicyType::Supplemental)) => Some(PolicyType::Base),
                (_, t) => t,
            };
            p.policy_id = Some(a);
            p.base_policy_id = Some(if supplemental { b } else { a });
        }
        Identity::Legacy => {
            p.policy_type = None;
            p.policy_id = None;
            p.base_policy_id = None;
            p.policy_type_id = Some(a);
        }
    }
    p.rules = r.rules;
    p.hvci_options = r.hvci_options;
    p.settings = r.settings;
    p.app_settings = r.app_settings;
    p.macros = r
        .macros
        .into_iter()
        .enumerate()
        .map(|(i, (s, value))| Macro {
            id: format!("M{i}{s}"),
            value,
        })
        .collect();

    p.ekus = r
        .ekus
        .into_iter()
        .enumerate()
        .map(|(i, (v, friendly_name))| {
            let (value, oid) = match v {
                Ok(bytes) => (Some(bytes), None),
                Err(oid) => (None, Some(oid)),
            };
            Eku {
                id: Id(format!("ID_EKU_{i}{sfx}")),
                value,
                oid,
                friendly_name,
            }
        })
        .collect();
    let eku_ids: Vec<Id> = p.ekus.iter().map(|e| e.id.clone()).collect();

    let rule_ids: Vec<Id> = (0..r.file_rules.len())
        .map(|i| Id(format!("ID_RULE_{i}{sfx}")))
        .collect();
    let of_action = |want: Action| -> Vec<Id> {
        r.file_rules
            .iter()
            .zip(&rule_ids)
            .filter(|(x, _)| x.kind.action() == want)
            .map(|(_, id)| id.clone())
            .collect()
    };
    let (allows, denies, attribs) = (
        of_action(Action::Allow),
        of_action(Action::Deny),
        of_action(Action::Attribute),
    );
    // Hot-patch targets: <Allow> elements only.
    let allow_elements: Vec<Id> = r
        .file_rules
        .iter()
        .zip(&rule_ids)
        .filter(|(x, _)| x.kind == FileRuleKind::Allow)
        .map(|(_, id)| id.clone())
        .collect();
    let macro_ids: Vec<Id> = p.macros.iter().map(|m| Id(m.id.clone())).collect();
    p.file_rules = r
        .file_rules
        .iter()
        .zip(&rule_ids)
        .map(|(x, id)| {
            let mut f = FileRule::new(x.kind, id.clone());
            f.friendly_name = x.friendly_name.clone();
            f.file_name = x.file_name.clone();
            f.internal_name = x.internal_name.clone();
            f.file_description = x.file_description.clone();
            f.product_name = x.product_name.clone();
            f.package_family_name = x.package_family_name.clone();
            f.package_version = x.package_version;
            f.minimum_file_version = x.minimum_file_version;
            f.maximum_file_version = x.maximum_file_version;
            f.hash = x.hash.clone();
            f.file_path = x.file_path.clone();
            f.app_ids = match &x.app_ids {
                None => None,
                Some(Ok(literal)) => Some(literal.clone()),
                Some(Err(refs)) => {
                    let names = pick(refs, &macro_ids);
                    (!names.is_empty()).then(|| names.iter().map(|m| format!("$({m})")).collect())
                }
            };
            f.hotpatch = Hotpatch {
                require_hotpatch_id: x.require_hotpatch.and_then(|i| pick(&[i], &allow_elements).pop()),
                minimum_sequence: x.minimum_sequence,
                maximum_sequence: x.maximum_sequence,
            };
            f
        })
        .collect();

    p.artifact_rules = r
        .artifact_rules
        .into_iter()
        .enumerate()
        .map(|(i, mut a)| {
            a.id = Id(format!("ID_ARTIFACT_{i}{sfx}"));
            a
        })
        .collect();
    let artifact_ids: Vec<Id> = p.artifact_rules.iter().map(|a| a.id.clone()).collect();

    p.signers = r
        .signers
        .into_iter()
        .enumerate()
        .map(|(i, x)| {
            let mut s = Signer::new(Id(format!("ID_SIGNER_{i}{sfx}")), x.cert_root);
            s.name = x.name;
            s.sign_time_after = x.sign_time_after;
            s.cert_ekus = if eku_ids.is_empty() {
                Vec::new()
            } else {
                x.cert_ekus
                    .iter()
                    .map(|(e, except)| CertEku {
                        id: e.get(&eku_ids).clone(),
                        condition: except.then_some(EkuCondition::Except),
                    })
                    .collect()
            };
            s.cert_issuer = x.cert_issuer;
            s.cert_publisher = x.cert_publisher;
            s.cert_oem_id = x.cert_oem_id;
            s.file_attrib_refs = pick(&x.file_attrib_refs, &attribs);
            s.artifact_rule_refs = pick(&x.artifact_rule_refs, &artifact_ids);
            s
        })
        .collect();
    let signer_ids: Vec<Id> = p.signers.iter().map(|s| s.id.clone()).collect();

    let scenario_ids: Vec<Id> = (0..r.scenarios.len())
        .map(|i| Id(format!("ID_SCENARIO_{i}{sfx}")))
        .collect();
    let group = |g: &RawGroup| SignerGroup {
        allowed: pick(&g.0.iter().map(|(s, _)| *s).collect::<Vec<_>>(), &signer_ids)
            .into_iter()
            .zip(&g.0)
            .map(|(signer_id, (_, ex))| AllowedSigner {
                signer_id,
                except_deny_rules: pick(ex, &denies),
            })
            .collect(),
        denied: pick(&g.1.iter().map(|(s, _)| *s).collect::<Vec<_>>(), &signer_ids)
            .into_iter()
            .zip(&g.1)
            .map(|(signer_id, (_, ex))| DeniedSigner {
                signer_id,
                except_allow_rules: pick(ex, &allows),
            })
            .collect(),
        file_rules_ref: pick(&g.2, &rule_ids),
    };
    p.signing_scenarios = r
        .scenarios
        .iter()
        .zip(&scenario_ids)
        .map(|((value, x), id)| {
            let mut s = SigningScenario::new(id.clone(), *value);
            if *value == 0 {
                // Another scenario value, distinct from the kernel and user ones.
                s.value = match x.extra_value {
                    12 | 131 => 13,
                    v => v,
                };
            }
            s.friendly_name = x.friendly_name.clone();
            s.inherited_scenarios = pick(&x.inherited, &scenario_ids);
            s.minimum_hash_algorithm = x.minimum_hash_algorithm;
            s.product_signers = group(&x.groups[0]);
            s.test_signers = group(&x.groups[1]);
            s.test_signing_signers = group(&x.groups[2]);
            let a = group(&x.groups[3]);
            s.artifact_signers = ArtifactSignerGroup {
                allowed: a.allowed,
                denied: a.denied,
                artifact_rules_ref: pick(&x.groups[3].2, &artifact_ids),
            };
            s.app_id_tags = x
                .app_id_tags
                .clone()
                .map(|(enforce_dll, tags)| AppIdTags { enforce_dll, tags });
            s
        })
        .collect();
    let [update, ci, supplemental] = &r.policy_signers;
    p.update_policy_signers = pick(update, &signer_ids);
    p.ci_signers = pick(ci, &signer_ids);
    p.supplemental_policy_signers = pick(supplemental, &signer_ids);
    p
}

/// Valid policy models (see the module docs).
pub fn policy() -> impl Strategy<Value = Policy> {
    raw().prop_map(assemble)
}
