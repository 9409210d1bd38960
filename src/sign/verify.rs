//! Checking a signed policy the way Windows does, as far as that can be done offline
//! (validation.md §4.6).

use std::fmt::Write as _;

use super::chain::{self, CertSource, RsaDigest};
use super::checks::ALLOWED_RSA_BITS;
use super::matching::{SignerMatch, match_signers};
use super::{CmsEnvelope, SignerSummary, Unwrapped, oids, unwrap};
use crate::cert::{KeyKind, ParsedCert};
use crate::model::{OptionKind, Policy, PolicyType, SignTime};

/// What to check a signed policy against.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions<'a> {
    /// Trust anchors (`--trust`). Without any, the chain is reported but not anchored.
    pub trust: Vec<ParsedCert>,
    /// Verification time, seconds since 1970-01-01 UTC. Without it, validity periods are
    /// reported but not checked (no clock is read, so reports are reproducible).
    pub time: Option<i64>,
    /// The embedded policy, decoded by the caller; enables the signer-rule checks.
    pub policy: Option<&'a Policy>,
    /// The policy this one replaces (`--previous`): same ID, VersionEx not lower, and the
    /// signer must satisfy its UpdatePolicySigners.
    pub previous: Option<&'a Policy>,
    /// For a supplemental: its base, whose SupplementalPolicySigners must match.
    pub base: Option<&'a Policy>,
}

/// Outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Satisfied.
    Pass,
    /// Not satisfied: the file should not be deployed.
    Fail,
    /// Satisfied, with a caveat.
    Warn,
    /// Not checked, and why is in the message.
    Skip,
}

/// One check with a stable code.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// Stable identifier, e.g. `cms.version`.
    pub code: &'static str,
    /// Outcome.
    pub status: Status,
    /// What was found.
    pub message: String,
}

/// One certificate of the signer's chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ChainEntry {
    /// Subject display name.
    pub subject: String,
    /// Issuer display name.
    pub issuer: String,
    /// Serial, upper-case hex.
    pub serial: String,
    /// TBS hash (by the certificate's own signature digest).
    pub tbs_hash: Option<String>,
    /// Key kind.
    pub key: KeyKind,
    /// notBefore (RFC 2822).
    pub not_before: String,
    /// notAfter (RFC 2822).
    pub not_after: String,
    /// Embedded in the CMS, or from `--trust`.
    pub source: CertSource,
    /// A trust anchor.
    pub anchor: bool,
}

/// The full result of `verify`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct VerifyReport {
    /// True when no check failed.
    pub ok: bool,
    /// True for a CMS-signed file, false for a raw policy.
    pub signed: bool,
    /// Size of the binary policy.
    pub content_len: usize,
    /// The checks, in a fixed order.
    pub checks: Vec<Check>,
    /// The CMS envelope, when the file is signed and readable.
    pub cms: Option<CmsEnvelope>,
    /// The signer's chain, leaf first.
    pub chain: Vec<ChainEntry>,
    /// The policy's UpdatePolicySigners, each checked against the chain.
    pub update_policy_signers: Vec<SignerMatch>,
    /// The previous policy's UpdatePolicySigners, each checked against the chain.
    pub previous_update_policy_signers: Vec<SignerMatch>,
    /// The base's SupplementalPolicySigners, each checked against the chain.
    pub base_supplemental_policy_signers: Vec<SignerMatch>,
}

impl VerifyReport {
    /// The failing checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }
}

struct Out(Vec<Check>);

impl Out {
    fn push(&mut self, code: &'static str, status: Status, message: impl Into<String>) {
        self.0.push(Check {
            code,
            status,
            message: message.into(),
        });
    }
}

fn unix_to_text(t: i64) -> String {
    // FILETIME ticks from Unix seconds; SignTime prints xs:dateTime.
    let ticks = (t + 11_644_473_600).saturating_mul(10_000_000);
    SignTime(ticks).to_string()
}

/// Verifies a policy file (signed `.p7b`/`.cip`, or raw, which fails `cms.signed`).
pub fn verify(bytes: &[u8], opts: &VerifyOptions<'_>) -> VerifyReport {
    let mut out = Out(Vec::new());
    let mut report = VerifyReport {
        ok: false,
        signed: false,
        content_len: 0,
        checks: Vec::new(),
        cms: None,
        chain: Vec::new(),
        update_policy_signers: Vec::new(),
        previous_update_policy_signers: Vec::new(),
        base_supplemental_policy_signers: Vec::new(),
    };
    match unwrap(bytes) {
        Err(e) => out.push("cms.structure", Status::Fail, e.to_string()),
        Ok(u) => {
            report.content_len = u.content.len();
            match &u.cms {
                None => out.push(
                    "cms.signed",
                    Status::Fail,
                    "not signed: a raw binary policy with no CMS signature",
                ),
                Some(cms) => {
                    report.signed = true;
                    out.push("cms.structure", Status::Pass, "DER ContentInfo with signedData");
                    check_signed(&u, cms, opts, &mut out, &mut report);
                }
            }
            policy_checks(opts, &mut out, report.signed);
        }
    }
    report.checks = out.0;
    let ok = report.failures().next().is_none();
    report.ok = ok;
    report
}

fn check_signed(u: &Unwrapped, cms: &CmsEnvelope, opts: &VerifyOptions<'_>, out: &mut Out, report: &mut VerifyReport) {
    report.cms = Some(cms.clone());
    match cms.version {
        1 => out.push("cms.version", Status::Pass, "SignedData version 1"),
        3 => out.push(
            "cms.version",
            Status::Fail,
            format!(
                "SignedData version 3 (byte {}): Windows expects version 1 and may fail to boot with a v3 policy; \
                 the version is outside the signature, so re-sign with cipolicy or patch that byte to 01",
                cms.version_offset
            ),
        ),
        v => out.push(
            "cms.version",
            Status::Fail,
            format!("SignedData version {v}: Windows expects version 1"),
        ),
    }
    if cms.econtent_type == oids::CI_POLICY_CONTENT {
        out.push("cms.content_type", Status::Pass, "eContentType 1.3.6.1.4.1.311.79.1");
    } else {
        out.push(
            "cms.content_type",
            Status::Fail,
            format!(
                "eContentType is {}, not the CI policy content type 1.3.6.1.4.1.311.79.1",
                oids::describe(&cms.econtent_type)
            ),
        );
    }
    let signer = match cms.signers.as_slice() {
        [one] => {
            out.push("cms.signers", Status::Pass, "one SignerInfo");
            one
        }
        [] => {
            out.push("cms.signers", Status::Fail, "no SignerInfo: the file is not signed");
            return;
        }
        many => {
            out.push(
                "cms.signers",
                Status::Fail,
                format!("{} SignerInfos; signed policies carry exactly one", many.len()),
            );
            &many[0]
        }
    };
    if signer.version != 1 || !matches!(signer.sid, super::SignerId::IssuerAndSerialNumber { .. }) {
        out.push(
            "signer.identifier",
            Status::Warn,
            format!(
                "SignerInfo version {} with {}; signtool writes version 1 with issuerAndSerialNumber",
                signer.version,
                match signer.sid {
                    super::SignerId::IssuerAndSerialNumber { .. } => "issuerAndSerialNumber",
                    super::SignerId::SubjectKeyIdentifier { .. } => "subjectKeyIdentifier",
                }
            ),
        );
    }
    let digest = check_digest(cms, signer, out);
    let Some(index) = signer.certificate else {
        out.push(
            "signer.certificate",
            Status::Fail,
            "the signer's certificate is not in the CMS certificates bag",
        );
        return;
    };
    let embedded: Vec<ParsedCert> = cms.certificates.iter().map(|c| c.cert.clone()).collect();
    let leaf = &embedded[index];
    check_key(leaf, out);
    check_attributes_and_signature(u, cms, signer, leaf, digest, out);
    let chain = chain::build(leaf, &embedded, &opts.trust);
    check_chain(&chain, opts, out);
    report.chain = chain
        .links
        .iter()
        .map(|l| ChainEntry {
            subject: l.cert.facts.subject_name.clone(),
            issuer: l.cert.facts.issuer_name.clone(),
            serial: l.cert.facts.serial.clone(),
            tbs_hash: l.cert.facts.tbs_hash.clone(),
            key: l.cert.facts.key.clone(),
            not_before: l.cert.facts.not_before.clone(),
            not_after: l.cert.facts.not_after.clone(),
            source: l.source,
            anchor: l.anchor,
        })
        .collect();
    // Windows sees only what is embedded: a TBS match on a --trust root would not count.
    let windows_chain: Vec<&ParsedCert> = chain
        .links
        .iter()
        .filter(|l| l.source == CertSource::Embedded)
        .map(|l| l.cert)
        .collect();
    signer_rules(opts, &windows_chain, out, report);
}

fn check_digest(cms: &CmsEnvelope, signer: &SignerSummary, out: &mut Out) -> Option<RsaDigest> {
    let oid = signer.digest_algorithm.oid.as_str();
    let listed = cms.digest_algorithms.iter().any(|a| a.oid == oid);
    let digest = RsaDigest::from_digest_oid(oid);
    match oid {
        oids::SHA256 => out.push("signer.digest", Status::Pass, "digest SHA-256"),
        oids::SHA384 | oids::SHA512 => out.push(
            "signer.digest",
            Status::Warn,
            format!(
                "digest {}: Windows 10 before the November 2022 update accepts only SHA-256",
                oids::describe(oid)
            ),
        ),
        _ => out.push(
            "signer.digest",
            Status::Fail,
            format!(
                "digest {}: Windows accepts SHA-256, SHA-384 or SHA-512",
                oids::describe(oid)
            ),
        ),
    }
    if !listed {
        out.push(
            "cms.digest_algorithms",
            Status::Warn,
            "the signer's digest algorithm is not listed in SignedData.digestAlgorithms",
        );
    }
    digest
}

fn check_key(leaf: &ParsedCert, out: &mut Out) {
    match &leaf.facts.key {
        KeyKind::Rsa { bits } if ALLOWED_RSA_BITS.contains(bits) => {
            out.push("signer.key", Status::Pass, format!("RSA {bits} bits"))
        }
        KeyKind::Rsa { bits } => out.push(
            "signer.key",
            Status::Fail,
            format!("RSA {bits} bits: Windows accepts 2048, 3072 or 4096"),
        ),
        KeyKind::Ec => out.push(
            "signer.key",
            Status::Fail,
            "elliptic-curve key: Windows accepts only RSA policy signatures",
        ),
        KeyKind::Other { oid } => out.push(
            "signer.key",
            Status::Fail,
            format!("key algorithm {}: Windows accepts only RSA", oids::describe(oid)),
        ),
    }
    if !leaf.facts.ekus.iter().any(|e| e == oids::EKU_CODE_SIGNING) {
        out.push(
            "signer.eku",
            Status::Warn,
            "the signer certificate lacks the Code Signing EKU (1.3.6.1.5.5.7.3.3) that Microsoft's recipe uses",
        );
    }
}

fn check_attributes_and_signature(
    u: &Unwrapped,
    cms: &CmsEnvelope,
    signer: &SignerSummary,
    leaf: &ParsedCert,
    digest: Option<RsaDigest>,
    out: &mut Out,
) {
    let sig_alg = signer.signature_algorithm.oid.as_str();
    let alg_digest = RsaDigest::from_rsa_signature_oid(sig_alg);
    if sig_alg != oids::RSA_ENCRYPTION && alg_digest.is_none() {
        out.push(
            "signer.signature",
            Status::Fail,
            format!("signature algorithm {} is not RSA PKCS#1 v1.5", oids::describe(sig_alg)),
        );
        return;
    }
    let Some(digest) = digest else {
        out.push(
            "signer.signature",
            Status::Skip,
            "not checked: unsupported digest algorithm",
        );
        return;
    };
    let signed_bytes: &[u8] = match &signer.signed_attrs_der {
        Some(der) => {
            match signer.attribute(oids::ATTR_CONTENT_TYPE).map(|a| a.values.as_slice()) {
                Some([v]) => {
                    let found = crate::der::Reader::new(v)
                        .next("contentType value")
                        .ok()
                        .and_then(|t| super::unwrap::oid(t, "contentType value").ok());
                    if found.as_deref() == Some(cms.econtent_type.as_str()) {
                        out.push(
                            "signed_attrs.content_type",
                            Status::Pass,
                            "contentType matches eContentType",
                        );
                    } else {
                        out.push(
                            "signed_attrs.content_type",
                            Status::Fail,
                            format!(
                                "signed contentType {} differs from eContentType {}",
                                found.as_deref().map_or("(unreadable)".into(), oids::describe),
                                oids::describe(&cms.econtent_type)
                            ),
                        );
                    }
                }
                _ => out.push(
                    "signed_attrs.content_type",
                    Status::Fail,
                    "the signed attributes lack a single contentType (RFC 5652 §5.3)",
                ),
            }
            let want = match digest {
                RsaDigest::Sha1 => {
                    use sha1::Digest;
                    sha1::Sha1::digest(&u.content).to_vec()
                }
                RsaDigest::Sha256 => super::DigestAlg::Sha256.digest(&u.content),
                RsaDigest::Sha384 => super::DigestAlg::Sha384.digest(&u.content),
                RsaDigest::Sha512 => super::DigestAlg::Sha512.digest(&u.content),
            };
            let mut expected = vec![0x04, want.len() as u8];
            expected.extend(&want);
            match signer.attribute(oids::ATTR_MESSAGE_DIGEST).map(|a| a.values.as_slice()) {
                Some([v]) if *v == expected => out.push(
                    "signed_attrs.message_digest",
                    Status::Pass,
                    "messageDigest equals the digest of the content",
                ),
                Some([v]) => out.push(
                    "signed_attrs.message_digest",
                    Status::Fail,
                    format!(
                        "messageDigest {} does not match the content's digest {}: the content or the signed attributes were altered after signing",
                        const_hex::encode_upper(v.get(2..).unwrap_or_default()),
                        const_hex::encode_upper(&want)
                    ),
                ),
                _ => out.push(
                    "signed_attrs.message_digest",
                    Status::Fail,
                    "the signed attributes lack a single messageDigest",
                ),
            }
            let extra: Vec<String> = signer
                .signed_attributes
                .iter()
                .filter(|a| a.oid != oids::ATTR_CONTENT_TYPE && a.oid != oids::ATTR_MESSAGE_DIGEST)
                .map(|a| oids::describe(&a.oid))
                .collect();
            if !extra.is_empty() {
                out.push(
                    "signed_attrs.extra",
                    Status::Warn,
                    format!("extra signed attributes: {}", extra.join(", ")),
                );
            }
            der
        }
        None => {
            out.push(
                "signed_attrs.present",
                Status::Warn,
                "no signed attributes: the signature covers the content directly",
            );
            &u.content
        }
    };
    if let Some(d) = alg_digest
        && d != digest
    {
        out.push(
            "signer.signature",
            Status::Fail,
            format!(
                "signature algorithm {} disagrees with digest algorithm {}",
                oids::describe(sig_alg),
                oids::describe(&signer.digest_algorithm.oid)
            ),
        );
        return;
    }
    match chain::verify_rsa(&leaf.spki_der, digest, signed_bytes, &signer.signature) {
        Ok(()) => out.push(
            "signer.signature",
            Status::Pass,
            format!(
                "RSA PKCS#1 v1.5 signature by `{}` verifies ({})",
                leaf.facts.subject_name,
                oids::describe(sig_alg)
            ),
        ),
        Err(e) => out.push(
            "signer.signature",
            Status::Fail,
            format!(
                "the signature by `{}` (at byte {}) does not verify over the {}: {e}",
                leaf.facts.subject_name,
                signer.signature_offset,
                if signer.signed_attrs_der.is_some() {
                    "signed attributes"
                } else {
                    "content"
                }
            ),
        ),
    }
}

fn check_chain(chain: &chain::Chain<'_>, opts: &VerifyOptions<'_>, out: &mut Out) {
    for l in chain.links.iter().skip(1) {
        if !l.cert.is_ca && !l.anchor {
            out.push(
                "chain.ca",
                Status::Fail,
                format!("`{}` issues a certificate but is not a CA", l.cert.facts.subject_name),
            );
        }
    }
    if opts.trust.is_empty() {
        out.push(
            "chain.trust",
            Status::Skip,
            "no --trust root given: the chain is reported, not anchored",
        );
    } else if chain.anchored {
        let root = chain
            .links
            .last()
            .map(|l| l.cert.facts.subject_name.as_str())
            .unwrap_or_default();
        out.push(
            "chain.trust",
            Status::Pass,
            format!("chains to trusted root `{root}` ({} certificates)", chain.links.len()),
        );
    } else {
        out.push(
            "chain.trust",
            Status::Fail,
            format!(
                "does not chain to a --trust root: {}",
                chain.stop.as_deref().unwrap_or("no anchor reached")
            ),
        );
    }
    match opts.time {
        None => out.push(
            "chain.validity",
            Status::Skip,
            "validity periods not checked: give a verification time (--time) to check them",
        ),
        Some(t) => {
            let bad: Vec<String> = chain
                .links
                .iter()
                .filter(|l| t < l.cert.not_before_unix || t > l.cert.not_after_unix)
                .map(|l| {
                    format!(
                        "`{}` ({} to {})",
                        l.cert.facts.subject_name,
                        unix_to_text(l.cert.not_before_unix),
                        unix_to_text(l.cert.not_after_unix)
                    )
                })
                .collect();
            if bad.is_empty() {
                out.push(
                    "chain.validity",
                    Status::Pass,
                    format!("every certificate is valid at {}", unix_to_text(t)),
                );
            } else {
                out.push(
                    "chain.validity",
                    Status::Fail,
                    format!("not valid at {}: {}", unix_to_text(t), bad.join(", ")),
                );
            }
        }
    }
}

fn describe_matches(list: &[SignerMatch]) -> String {
    let matched: Vec<String> = list
        .iter()
        .filter_map(|m| match &m.outcome {
            super::MatchOutcome::Matched {
                cert_index,
                cert_subject,
                tbs_hash,
                publisher,
                ..
            } => Some(format!(
                "{} by TBS {tbs_hash} of chain certificate {cert_index} `{cert_subject}`{}",
                m.signer_id,
                publisher
                    .as_deref()
                    .map(|p| format!(" and CertPublisher `{p}`"))
                    .unwrap_or_default()
            )),
            _ => None,
        })
        .collect();
    matched.join("; ")
}

fn signer_rules(opts: &VerifyOptions<'_>, chain: &[&ParsedCert], out: &mut Out, report: &mut VerifyReport) {
    let rule = |out: &mut Out,
                code: &'static str,
                policy: &Policy,
                ids: &[crate::model::Id],
                what: &str|
     -> Vec<SignerMatch> {
        let m = match_signers(policy, ids, chain);
        if m.iter().any(SignerMatch::is_match) {
            out.push(code, Status::Pass, format!("matches {}", describe_matches(&m)));
        } else if m.is_empty() {
            if policy.has_option(OptionKind::UnsignedSystemIntegrityPolicy) {
                // Microsoft's own in-box policies (e.g. the driver block policy) look like this:
                // trusted through Microsoft's signature, replaceable unsigned.
                out.push(
                    code,
                    Status::Warn,
                    format!(
                        "{what} are empty; the policy keeps option 6, so the signature does not protect it from replacement"
                    ),
                );
            } else {
                out.push(
                    code,
                    Status::Fail,
                    format!("{what} are empty: a signed policy without option 6 could never be updated or removed"),
                );
            }
        } else {
            let why: Vec<String> = m
                .iter()
                .map(|s| match &s.outcome {
                    super::MatchOutcome::NoMatch { reason } => format!("{}: {reason}", s.signer_id),
                    super::MatchOutcome::Unverifiable { reason } => {
                        format!("{}: cannot be checked offline: {reason}", s.signer_id)
                    }
                    super::MatchOutcome::Missing => format!("{}: not defined in <Signers>", s.signer_id),
                    super::MatchOutcome::Matched { .. } => String::new(),
                })
                .collect();
            out.push(
                code,
                Status::Fail,
                format!("the signer matches none of {what}: {}", why.join("; ")),
            );
        }
        m
    };
    match opts.policy {
        Some(p) => {
            report.update_policy_signers = rule(
                out,
                "policy.update_signer",
                p,
                &p.update_policy_signers,
                "the policy's UpdatePolicySigners",
            );
        }
        None => out.push(
            "policy.update_signer",
            Status::Skip,
            "the embedded policy was not decoded, so its UpdatePolicySigners were not checked",
        ),
    }
    if let Some(prev) = opts.previous {
        report.previous_update_policy_signers = rule(
            out,
            "previous.update_signer",
            prev,
            &prev.update_policy_signers,
            "the previous policy's UpdatePolicySigners",
        );
    }
    if let (Some(base), Some(p)) = (opts.base, opts.policy)
        && p.effective_type() == PolicyType::Supplemental
    {
        report.base_supplemental_policy_signers = rule(
            out,
            "base.supplemental_signer",
            base,
            &base.supplemental_policy_signers,
            "the base's SupplementalPolicySigners",
        );
    }
}

fn policy_checks(opts: &VerifyOptions<'_>, out: &mut Out, signed: bool) {
    let Some(p) = opts.policy else {
        if opts.previous.is_some() {
            out.push(
                "previous.version",
                Status::Skip,
                "the embedded policy was not decoded, so PolicyID and VersionEx were not compared with --previous",
            );
        }
        return;
    };
    if signed && p.has_option(OptionKind::UnsignedSystemIntegrityPolicy) {
        out.push(
            "policy.option6",
            Status::Warn,
            "the signed policy still has option 6 `Enabled:Unsigned System Integrity Policy`: an unsigned policy can replace it",
        );
    }
    if let Some(prev) = opts.previous {
        let id = |x: &Policy| x.policy_id.or(x.policy_type_id);
        match (id(p), id(prev)) {
            (Some(a), Some(b)) if a == b => out.push("previous.policy_id", Status::Pass, format!("same PolicyID {a}")),
            (a, b) => out.push(
                "previous.policy_id",
                Status::Fail,
                format!(
                    "PolicyID {} differs from the previous policy's {}: this is a different policy, not a replacement",
                    a.map_or("(none)".into(), |g| g.to_string()),
                    b.map_or("(none)".into(), |g| g.to_string())
                ),
            ),
        }
        if p.version_ex >= prev.version_ex {
            out.push(
                "previous.version",
                Status::Pass,
                format!("VersionEx {} is not lower than {}", p.version_ex, prev.version_ex),
            );
        } else {
            out.push(
                "previous.version",
                Status::Fail,
                format!(
                    "VersionEx {} is lower than the previous {}: Windows refuses a signed policy that goes back in version, and the machine may fail to boot",
                    p.version_ex, prev.version_ex
                ),
            );
        }
    }
}

/// Renders a report for people. Stable: the same report gives the same text.
pub fn render_human(r: &VerifyReport) -> String {
    let mut s = String::new();
    match &r.cms {
        Some(cms) => {
            let _ = writeln!(
                s,
                "signed policy: CMS SignedData version {}, {} content bytes, {} embedded certificate(s)",
                cms.version,
                r.content_len,
                cms.certificates.len()
            );
        }
        None if r.signed => {}
        None => {
            let _ = writeln!(s, "policy file: {} bytes, not signed", r.content_len);
        }
    }
    if let Some(sg) = r.cms.as_ref().and_then(|c| c.signers.first()) {
        let _ = writeln!(
            s,
            "signer: {} (issuer {}, serial {})",
            sg.subject.as_deref().unwrap_or("(certificate not embedded)"),
            sg.issuer.as_deref().unwrap_or("?"),
            sg.serial.as_deref().unwrap_or("?")
        );
    }
    if !r.chain.is_empty() {
        let _ = writeln!(s, "chain:");
        for (i, c) in r.chain.iter().enumerate() {
            let tag = match (c.source, c.anchor) {
                (_, true) => "trust anchor",
                (CertSource::Embedded, false) => "embedded",
                (CertSource::Trust, false) => "from --trust",
            };
            let _ = writeln!(
                s,
                "  {i}. {} [{tag}]\n     TBS {}\n     valid {} to {}",
                c.subject,
                c.tbs_hash.as_deref().unwrap_or("(unknown algorithm)"),
                c.not_before,
                c.not_after
            );
        }
    }
    let _ = writeln!(s, "checks:");
    for c in &r.checks {
        let st = match c.status {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::Skip => "SKIP",
        };
        let _ = writeln!(s, "  {st} {:<28} {}", c.code, c.message);
    }
    let fails = r.failures().count();
    if r.ok {
        let _ = writeln!(s, "result: OK");
    } else {
        let _ = writeln!(
            s,
            "result: FAILED ({fails} failing check{})",
            if fails == 1 { "" } else { "s" }
        );
    }
    s
}
