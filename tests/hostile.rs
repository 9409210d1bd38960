//! Hostile inputs, in one place: each gives a clean error (or the correct result) within bounded
//! time and memory. Every case runs on its own thread with a 1 MiB stack (Windows' main-thread
//! stack, the smallest a reader meets), under a counting allocator; the peak it allocates is
//! bounded by a multiple of its input size, and its wall time by a limit generous enough for a
//! loaded 2-core CI machine (a hang detector, not a benchmark: a case that overruns fails even if
//! it never returns).
//!
//! Related cases that live elsewhere, not repeated here: every truncation and random corruption
//! of corpus binaries (`cip_hostile.rs`) and of the PE/MSI/PS1 fixtures, bogus PE offsets and
//! counts, two sections at one file offset, symlink loops in a scanned tree (`scan_hostile.rs`),
//! the exact messages for DTDs, external entities and include cycles (snapshots in
//! `xml_errors.rs` and `spec_errors.rs`).

#[path = "support/alloc.rs"]
mod alloc;
mod common;
#[path = "support/pegen.rs"]
mod pegen;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cipolicy::cert::ParsedCert;
use cipolicy::cip::{self, CompileOptions};
use cipolicy::scan::{FactOptions, HashMethod, facts_from_bytes, pe};
use cipolicy::sign::{self, VerifyOptions};
use cipolicy::{spec, valid, xml};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Runs `f` on a fresh thread with a 1 MiB stack and returns its result. Fails when it allocates
/// more than `per_byte * input + fixed` at its peak, or takes longer than `limit`.
fn bounded<T: Send + 'static>(
    what: &str,
    input: usize,
    per_byte: usize,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    const FIXED: usize = 4 << 20;
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    std::thread::Builder::new()
        .name(what.to_string())
        .stack_size(1 << 20)
        .spawn(move || {
            let (v, peak) = alloc::peak_during(f);
            let _ = tx.send((v, peak));
        })
        .unwrap();
    let (v, peak) = match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {limit:?} (hang?)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    };
    let budget = per_byte * input + FIXED;
    eprintln!(
        "{what}: {input} bytes in, peak {peak} bytes allocated ({:.1}x), {:?}",
        peak as f64 / input.max(1) as f64,
        start.elapsed()
    );
    assert!(
        peak <= budget,
        "{what}: peak {peak} bytes for {input} bytes of input (budget {budget})"
    );
    v
}

const QUICK: Duration = Duration::from_secs(30);
const SLOW: Duration = Duration::from_secs(180);

fn head(xmlns_attrs: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\" PolicyType=\"Base Policy\"{xmlns_attrs}>\n"
    )
}

const BODY: &str = "<VersionEx>1.0.0.0</VersionEx>\
<PolicyID>{5E1B7C5A-2B43-4B8E-9C1D-0C8E0A2F9A11}</PolicyID>\
<BasePolicyID>{5E1B7C5A-2B43-4B8E-9C1D-0C8E0A2F9A11}</BasePolicyID>\
<PlatformID>{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}</PlatformID>\
<Rules><Rule><Option>Enabled:Unsigned System Integrity Policy</Option></Rule></Rules>";

/// Reads and validates XML; returns the reader's error text, if any.
fn read_and_validate(bytes: Vec<u8>) -> Result<xml::Document, String> {
    let v = valid::validate_xml(&bytes, &valid::Options::default());
    drop(v);
    xml::read(&bytes).map_err(|e| e.to_string())
}

// ---- XML -------------------------------------------------------------------------------------

#[test]
fn billion_laughs_is_refused_before_any_expansion() {
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE SiPolicy [\n<!ENTITY l0 \"lol\">\n");
    for i in 1..10 {
        let p = i - 1;
        doc.push_str(&format!("<!ENTITY l{i} \"{}\">\n", format!("&l{p};").repeat(10)));
    }
    doc.push_str("]>\n<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\"><VersionEx>&l9;</VersionEx></SiPolicy>");
    let n = doc.len();
    let err = bounded("billion laughs", n, 64, QUICK, move || {
        read_and_validate(doc.into_bytes())
    })
    .unwrap_err();
    assert!(err.contains("DTDs (<!DOCTYPE …>) are refused"), "{err}");
}

#[test]
fn external_entities_are_refused_without_being_fetched() {
    // A file the entity names, with a marker that must never show up anywhere.
    let dir = common::scratch_dir("hostile-xxe");
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "MARKER-7b1f").unwrap();
    let docs = [
        format!(
            "<!DOCTYPE SiPolicy [ <!ENTITY x SYSTEM \"file://{}\"> ]>",
            secret.display()
        ),
        // A device that never ends and a parameter entity.
        "<!DOCTYPE SiPolicy [ <!ENTITY x SYSTEM \"file:///dev/zero\"> ]>".to_string(),
        format!(
            "<!DOCTYPE SiPolicy [ <!ENTITY % p SYSTEM \"file://{}\"> %p; ]>",
            secret.display()
        ),
        format!("<!DOCTYPE SiPolicy SYSTEM \"file://{}\">", secret.display()),
    ];
    for (i, dtd) in docs.into_iter().enumerate() {
        let doc = format!(
            "<?xml version=\"1.0\"?>\n{dtd}\n{}{BODY}<FriendlyName>&x;</FriendlyName></SiPolicy>",
            head("")
        );
        let n = doc.len();
        let err = bounded(&format!("external entity {i}"), n, 64, QUICK, move || {
            read_and_validate(doc.into_bytes())
        })
        .unwrap_err();
        assert!(err.contains("DTDs"), "{err}");
        assert!(!err.contains("MARKER"), "{err}");
    }
}

#[test]
fn an_attribute_of_100_mb_is_read_whole() {
    const LEN: usize = 100 << 20;
    let mut doc = head(" FriendlyName=\"").into_bytes();
    doc.truncate(doc.len() - 2); // before `>\n`
    doc.extend(std::iter::repeat_n(b'A', LEN));
    doc.extend_from_slice(b"\">");
    doc.extend_from_slice(BODY.as_bytes());
    doc.extend_from_slice(b"</SiPolicy>");
    let n = doc.len();
    let name_len = bounded("100 MB attribute", n, 8, SLOW, move || {
        let d = read_and_validate(doc).unwrap();
        d.policy.friendly_name.map(|s| s.len())
    });
    assert_eq!(name_len, Some(LEN));
}

#[test]
fn an_attribute_of_100_mb_of_character_references_is_read_whole() {
    // Every character escaped: the unescaped value is a quarter of the text.
    const LEN: usize = 25 << 20;
    let mut doc = String::from(BODY);
    doc.push_str("<FileRules><Allow ID=\"ID_ALLOW_A\" FileName=\"");
    doc.push_str(&"&#65;".repeat(LEN / 5 * 4 / 4));
    doc.push_str("&amp;".repeat(LEN / 5).as_str());
    doc.push_str("\"/></FileRules>");
    let doc = format!("{}{doc}</SiPolicy>", head(""));
    let n = doc.len();
    let ok = bounded("100 MB escaped attribute", n, 8, SLOW, move || {
        read_and_validate(doc.into_bytes()).is_ok()
    });
    assert!(ok);
}

#[test]
fn deeply_nested_elements_are_refused() {
    const DEPTH: usize = 1_000_000;
    let mut doc = head("");
    doc.push_str(BODY);
    doc.push_str(&"<Rules>".repeat(DEPTH));
    doc.push_str(&"</Rules>".repeat(DEPTH));
    doc.push_str("</SiPolicy>");
    let n = doc.len();
    let err = bounded("nested elements", n, 16, QUICK, move || {
        read_and_validate(doc.into_bytes())
    })
    .unwrap_err();
    assert!(err.contains("nested deeper than 64 levels"), "{err}");

    // Unclosed, in a foreign namespace, and as UTF-16.
    let doc = format!("{}{BODY}{}", head(""), "<x:a xmlns:x=\"urn:x\">".repeat(DEPTH / 10));
    let n = doc.len();
    assert!(
        bounded("foreign nesting", n, 16, QUICK, move || read_and_validate(
            doc.into_bytes()
        ))
        .is_err()
    );
    let text = format!("{}{BODY}{}", head(""), "<Rules>".repeat(DEPTH / 10));
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let n = utf16.len();
    let err = bounded("UTF-16 nesting", n, 16, QUICK, move || read_and_validate(utf16)).unwrap_err();
    assert!(err.contains("nested deeper"), "{err}");
}

#[test]
fn wide_documents_stay_linear() {
    // Many attributes on one element, on one line: reading, validating and the report for people
    // were each quadratic here (a column counted from the line start for every attribute, the
    // whole line printed for every finding: 1.3 GB of report for 10 000 attributes).
    const N: usize = 200_000;
    const ATTRS: usize = 100_000;
    let mut doc = head("");
    doc.push_str(BODY);
    doc.push_str("<FileRules><Allow ID=\"ID_ALLOW_A\"");
    for i in 0..ATTRS {
        doc.push_str(&format!(" a{i}=\"\""));
    }
    doc.push_str("/></FileRules></SiPolicy>");
    let n = doc.len();
    let (read, findings, report_len) = bounded("100k attributes", n, 64, SLOW, move || {
        let bytes = doc.into_bytes();
        let read = xml::read(&bytes).map(|_| ()).map_err(|e| e.to_string());
        let v = valid::validate_xml(&bytes, &valid::Options::default());
        let report = valid::render::human(&[valid::render::Input {
            name: "wide.xml",
            text: v.text.as_deref(),
            report: &v.report,
        }]);
        (read, v.report.findings.len(), report.len())
    });
    let err = read.unwrap_err();
    assert!(err.contains("a0"), "{err}");
    assert!(findings >= ATTRS, "{findings}");
    // Each finding's text is a few lines, without the 1 MB line it is on.
    assert!(
        report_len < 200 * findings,
        "{report_len} bytes of report for {findings} findings"
    );

    let mut doc = head("");
    doc.push_str(BODY);
    doc.push_str("<FileRules>");
    for i in 0..N {
        doc.push_str(&format!("<Allow ID=\"ID_ALLOW_A\" FileName=\"f{i}\"/>"));
    }
    doc.push_str("</FileRules></SiPolicy>");
    let n = doc.len();
    let rules = bounded("200k rules with one ID", n, 64, SLOW, move || {
        let bytes = doc.into_bytes();
        let v = valid::validate_xml(&bytes, &valid::Options::default());
        (
            v.report.findings.len(),
            xml::read(&bytes).ok().map(|d| d.policy.file_rules.len()),
        )
    });
    assert_eq!(rules.1, Some(N));
    assert!(rules.0 >= 1);
}

/// A policy with `n` Allow rules and a user-mode scenario whose FileRulesRef names `n` rules that
/// do not exist, each one character away from a real ID.
fn broken_references(n: usize) -> String {
    let mut doc = head("");
    doc.push_str(BODY);
    doc.push_str("\n<FileRules>\n");
    for i in 0..n {
        doc.push_str(&format!("<Allow ID=\"ID_ALLOW_A_{i}\" FileName=\"f{i}.exe\"/>\n"));
    }
    doc.push_str("</FileRules>\n<Signers/>\n<SigningScenarios>\n<SigningScenario Value=\"12\" ID=\"ID_SIGNINGSCENARIO_U\">\n<ProductSigners>\n<FileRulesRef>\n");
    for i in 0..n {
        doc.push_str(&format!("<FileRuleRef RuleID=\"ID_ALLOW_B_{i}\"/>\n"));
    }
    doc.push_str("</FileRulesRef>\n</ProductSigners>\n</SigningScenario>\n</SigningScenarios>\n<UpdatePolicySigners/>\n<CiSigners/>\n</SiPolicy>\n");
    doc
}

#[test]
fn many_broken_references_stay_linear() {
    // Found by fuzzing (xml_read, a 20 s timeout): every broken reference computed a "did you
    // mean" against every ID of its kind, with a full edit-distance table each time.
    const N: usize = 5000;
    let doc = broken_references(N);
    let n = doc.len();
    let messages = bounded("5000 broken references", n, 64, QUICK, move || {
        let v = valid::validate_xml(doc.as_bytes(), &valid::Options::default());
        v.report
            .findings
            .iter()
            .filter(|f| f.code.info().code == "RF004")
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(messages.len(), N);
    // The first ones get a suggestion, the others none.
    assert!(messages[0].contains("(did you mean `ID_ALLOW_A_"), "{}", messages[0]);
    let hinted = messages.iter().filter(|m| m.contains("did you mean")).count();
    assert!((1..=64).contains(&hinted), "{hinted}");
}

// ---- binary policies ----------------------------------------------------------------------------

/// Policies of the project's own, compiled at format versions 1, 8 and 11.
fn own_binaries() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/valid");
    let mut out = Vec::new();
    for name in [
        "good-base.xml",
        "good-portable.xml",
        "signers.xml",
        "file-rules.xml",
        "good-appid-tagging.xml",
    ] {
        let doc = xml::read(&std::fs::read(dir.join(name)).unwrap()).unwrap();
        for v in [1, 8, 11] {
            let opts = CompileOptions {
                format_version: v,
                ..CompileOptions::default()
            };
            if let Ok(c) = cip::compile(&doc.policy, &opts) {
                out.push((format!("{name} v{v}"), c.bytes));
            }
        }
    }
    assert!(out.len() >= 6, "{}", out.len());
    out
}

/// Builds the case-folding table (a one-time 128 KiB static) outside the measured threads.
fn warm_up_binary() {
    let (_, b) = &own_binaries()[0];
    cip::decompile(b).unwrap();
}

#[test]
fn header_counts_of_u32_max_are_refused_without_allocating() {
    // Moved from cip_hostile.rs: the header's counts, at their exact offsets, on a real policy.
    let Some(corpus) = common::corpus() else { return };
    warm_up_binary();
    let original = std::fs::read(corpus.join("pairs/pywdac--pol/SiPolicy.p7b")).unwrap();
    for at in [0x28, 0x2C, 0x30, 0x34] {
        let mut bytes = original.clone();
        bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let n = bytes.len();
        let e = bounded(&format!("header count at {at:#x}"), n, 0, QUICK, move || {
            cip::decompile(&bytes).unwrap_err()
        });
        assert!(
            matches!(e.kind, cip::DecodeErrorKind::CountTooLarge { count: u32::MAX, .. }),
            "{e}"
        );
        assert_eq!(e.offset, at, "{e}");
    }
}

#[test]
fn every_field_set_to_u32_max_is_bounded() {
    // Whatever the field (a count, a string length, an index, a version), 2^32-1 in it gives an
    // error or a policy, allocating at most a small multiple of the input.
    warm_up_binary();
    for (name, original) in own_binaries() {
        let n = original.len();
        let (tried, decoded) = bounded(&format!("u32::MAX sweep of {name}"), n, 48, SLOW, move || {
            let mut decoded = 0;
            for at in 0..original.len() - 3 {
                let mut bytes = original.clone();
                bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
                let (r, peak) = alloc::peak_during(|| cip::decompile(&bytes));
                assert!(peak <= 48 * bytes.len() + 64 * 1024, "at {at}: peak {peak}");
                match r {
                    Ok(_) => decoded += 1,
                    Err(e) => assert!(e.offset <= bytes.len(), "{e}"),
                }
                let _ = cip::info(&bytes);
            }
            (original.len() - 3, decoded)
        });
        eprintln!("{name}: {tried} positions, {decoded} still decoded");
    }
}

// ---- CMS ----------------------------------------------------------------------------------------

/// Offsets of the first length octet of every long-form DER length in `der` (walked leniently,
/// into every constructed element and OCTET STRINGs that hold DER).
fn long_lengths(der: &[u8]) -> Vec<usize> {
    fn walk(r: &mut cipolicy::der::Reader<'_>, depth: u32, out: &mut Vec<usize>) {
        while !r.is_empty() {
            let Ok(t) = r.next("walk") else { return };
            if t.raw[1] > 0x80 {
                out.push(t.offset + 1);
            }
            if depth < 32 && (t.constructed() || t.tag == cipolicy::der::OCTET_STRING) {
                let mut c = t.children();
                walk(&mut c, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&mut cipolicy::der::Reader::lenient(der), 0, &mut out);
    out.sort_unstable();
    out.dedup();
    out
}

/// Sets a DER length whose first octet is at `at` (0x81..0x84) to its largest value.
fn max_length(der: &[u8], at: usize) -> Vec<u8> {
    let mut b = der.to_vec();
    let n = usize::from(b[at] & 0x7F);
    b[at + 1..at + 1 + n].fill(0xFF);
    b
}

#[test]
fn every_der_length_set_to_its_maximum_is_bounded() {
    let Some(corpus) = common::corpus() else { return };
    let signed = std::fs::read(corpus.join("signed/hbkmon-testing-repo/driversipolicy.b3b713d.p7b")).unwrap();
    let offsets = long_lengths(&signed);
    assert!(offsets.len() >= 20, "{}", offsets.len());
    let n = signed.len();
    let count = offsets.len();
    let refused = bounded("DER length sweep", n, 16, SLOW, move || {
        let mut refused = 0;
        for at in offsets {
            let b = max_length(&signed, at);
            let (r, peak) = alloc::peak_during(|| sign::unwrap(&b).map(|u| u.content.len()));
            assert!(peak <= 8 * b.len() + (1 << 20), "at {at}: peak {peak}");
            refused += usize::from(r.is_err());
            let (_, peak) = alloc::peak_during(|| sign::verify(&b, &VerifyOptions::default()));
            assert!(peak <= 8 * b.len() + (1 << 20), "at {at}: verify peaked at {peak}");
        }
        refused
    });
    // A one-octet length set to 255 may still fit its container; the longer ones cannot.
    eprintln!("{count} DER lengths, {refused} refused by unwrap");
    assert!(refused * 2 > count, "{refused} of {count}");
}

#[test]
fn deeply_nested_der_is_refused() {
    // 200 000 nested SEQUENCEs as the signedData content and as an Authenticode blob.
    const DEPTH: usize = 200_000;
    // Level j (1 = innermost) holds 2 + 6 (j - 1) bytes: the NULL and j - 1 headers.
    let mut inner: Vec<u8> = Vec::with_capacity(6 * DEPTH + 2);
    for j in (1..=DEPTH).rev() {
        inner.extend_from_slice(&[0x30, 0x84]);
        inner.extend_from_slice(&((2 + 6 * (j - 1)) as u32).to_be_bytes());
    }
    inner.extend_from_slice(&[0x05, 0x00]);
    // ContentInfo { signedData OID, [0] { nested } }
    let oid = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
    let ctx = der_wrap(0xA0, &inner);
    let ci = der_wrap(0x30, &[&oid[..], &ctx].concat());
    let n = ci.len();
    bounded("nested DER", n, 16, QUICK, move || {
        assert!(sign::unwrap(&ci).is_err());
        assert!(!sign::verify(&ci, &VerifyOptions::default()).ok);
        assert!(cipolicy::scan::sig::read_signatures(&ci, vec![0]).is_err());
    });
}

/// A certificate ring made with openssl: `a.pem` (issued by B) and `b.pem` (issued by A), each
/// signed with the other's key, a code-signing leaf `l.pem` issued by A, and an unrelated root
/// `r.pem`.
struct Ring {
    pki: common::pki::Pki,
}

impl Ring {
    fn new(name: &str) -> Option<Ring> {
        let openssl = common::openssl()?;
        let dir = common::scratch_dir(name);
        let pki = common::pki::Pki { dir, openssl };
        std::fs::write(
            pki.dir.join("ca.ext"),
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n",
        )
        .unwrap();
        std::fs::write(
            pki.dir.join("leaf.ext"),
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n",
        )
        .unwrap();
        for k in ["a", "b", "l"] {
            pki.run(&["genrsa", "-out", &format!("{k}.key"), "2048"]);
        }
        for (k, cn) in [("a", "Ring A"), ("b", "Ring B"), ("l", "Ring Leaf")] {
            pki.run(&[
                "req",
                "-new",
                "-key",
                &format!("{k}.key"),
                "-subj",
                &format!("/CN={cn}"),
                "-out",
                &format!("{k}.csr"),
            ]);
        }
        // A0: a self-signed stand-in for A, only to issue B.
        pki.run(&[
            "req",
            "-x509",
            "-key",
            "a.key",
            "-subj",
            "/CN=Ring A",
            "-days",
            "30",
            "-out",
            "a0.pem",
        ]);
        let issue = |csr: &str, ca: &str, ca_key: &str, ext: &str, out: &str, serial: &str| {
            pki.run(&[
                "x509",
                "-req",
                "-in",
                csr,
                "-CA",
                ca,
                "-CAkey",
                ca_key,
                "-set_serial",
                serial,
                "-days",
                "30",
                "-extfile",
                ext,
                "-sha256",
                "-out",
                out,
            ]);
        };
        issue("b.csr", "a0.pem", "a.key", "ca.ext", "b.pem", "2");
        issue("a.csr", "b.pem", "b.key", "ca.ext", "a.pem", "3");
        issue("l.csr", "a.pem", "a.key", "leaf.ext", "l.pem", "4");
        // An unrelated root to trust, so that chain building walks as far as it can.
        pki.run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "r.key",
            "-subj",
            "/CN=Ring Root",
            "-days",
            "30",
            "-out",
            "r.pem",
        ]);
        Some(Ring { pki })
    }

    fn cert(&self, name: &str) -> ParsedCert {
        ParsedCert::all_from_pem_or_der(&self.pki.read(name)).unwrap().remove(0)
    }
}

#[test]
fn a_certificate_loop_in_a_cms_bag_ends() {
    let Some(ring) = Ring::new("hostile-ring-cms") else {
        return;
    };
    // A policy signed by L with A and B embedded: the chain L -> A -> B -> A loops.
    let p = xml::read(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/valid/good-portable.xml")).unwrap(),
    )
    .unwrap()
    .policy;
    let raw = cip::compile(&p, &CompileOptions::default()).unwrap().bytes;
    let identity = sign::keys::load_identity(
        &ring.pki.read("l.pem"),
        &[ring.pki.read("a.pem"), ring.pki.read("b.pem")],
        &ring.pki.read("l.key"),
    )
    .unwrap();
    let signed = sign::sign(
        &raw,
        &sign::SignOptions {
            identity: &identity,
            digest: sign::DigestAlg::Sha256,
            signing_time: None,
            policy: Some(&p),
            base: None,
            force: true,
        },
    )
    .unwrap();
    // Trust an unrelated root so that the chain is walked all the way.
    let trust = vec![ring.cert("r.pem")];
    let n = signed.len();
    let (chain_len, message) = bounded("CMS ring", n, 64, QUICK, move || {
        let r = sign::verify(
            &signed,
            &VerifyOptions {
                trust,
                ..VerifyOptions::default()
            },
        );
        assert!(!r.ok);
        let m = r
            .checks
            .iter()
            .find(|c| c.code == "chain.trust")
            .map(|c| c.message.clone());
        (r.chain.len(), m.unwrap_or_default())
    });
    assert_eq!(chain_len, 3, "{message}");
    assert!(message.contains("certificate loop"), "{message}");
}

#[test]
fn a_certificate_loop_in_an_authenticode_bag_ends() {
    let Some(ring) = Ring::new("hostile-ring-authenticode") else {
        return;
    };
    let Some(osslsigncode) = common_osslsigncode() else {
        return;
    };
    let dir = ring.pki.dir.clone();
    std::fs::write(dir.join("in.exe"), pegen::build(&pegen::PeSpec::default())).unwrap();
    let chain = [ring.pki.read("l.pem"), ring.pki.read("a.pem"), ring.pki.read("b.pem")].concat();
    std::fs::write(dir.join("chain.pem"), chain).unwrap();
    let out = std::process::Command::new(&osslsigncode)
        .current_dir(&dir)
        .args([
            "sign",
            "-certs",
            "chain.pem",
            "-key",
            "l.key",
            "-h",
            "sha256",
            "-in",
            "in.exe",
            "-out",
            "out.exe",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let signed = std::fs::read(dir.join("out.exe")).unwrap();
    let n = signed.len();
    let f = bounded("Authenticode ring", n, 64, QUICK, move || {
        facts_from_bytes("ring.exe", &signed, FactOptions::default())
    });
    assert_eq!(f.hash_method, HashMethod::Authenticode);
    let names: Vec<&str> = f.signatures[0].chain.iter().map(|c| c.subject_name.as_str()).collect();
    assert_eq!(names, ["Ring Leaf", "Ring A", "Ring B"]);

    // The same ring with each of A and B repeated 2 000 times: the chain is still short and the
    // walk linear.
    let blob = pe_signature_blob(&std::fs::read(dir.join("out.exe")).unwrap());
    let bigger = add_bag_copies(&blob, &[ring.pki.read("a.pem"), ring.pki.read("b.pem")], 2000);
    let n = bigger.len();
    let chain_len = bounded("Authenticode ring x2000", n, 64, QUICK, move || {
        let sigs = cipolicy::scan::sig::read_signatures(&bigger, vec![0]).unwrap();
        sigs[0].chain.len()
    });
    assert!((3..=16).contains(&chain_len), "{chain_len}");
}

fn common_osslsigncode() -> Option<PathBuf> {
    let ok = std::process::Command::new("osslsigncode")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty());
    if ok {
        return Some(PathBuf::from("osslsigncode"));
    }
    if std::env::var_os("CI").is_some_and(|v| v == "true") {
        panic!("osslsigncode is not installed but CI=true");
    }
    eprintln!("NOTICE: osslsigncode not found; skipping");
    None
}

/// The PKCS#7 blob of the first WIN_CERTIFICATE of a signed PE.
fn pe_signature_blob(pe_bytes: &[u8]) -> Vec<u8> {
    let h = pe::PeHeaders::parse(pe_bytes).unwrap();
    let (_, blob) = pe::signature_blobs(pe_bytes, &h).unwrap().remove(0);
    // Drop the WIN_CERTIFICATE padding after the DER.
    let t = cipolicy::der::Reader::lenient(blob).next("blob").unwrap();
    t.raw.to_vec()
}

/// Re-encodes a SignedData ContentInfo with `copies` more of each PEM certificate in its bag.
fn add_bag_copies(blob: &[u8], pems: &[Vec<u8>], copies: usize) -> Vec<u8> {
    use cms::cert::CertificateChoices;
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use der::{Decode, Encode};
    let ci = ContentInfo::from_der(blob).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    let mut certs: Vec<CertificateChoices> = sd.certificates.take().map(|s| s.0.into_vec()).unwrap_or_default();
    for pem in pems {
        let der = cipolicy::cert::pem_or_der_to_der(pem).unwrap();
        let c = x509_cert::Certificate::from_der(&der).unwrap();
        for _ in 0..copies {
            certs.push(CertificateChoices::Certificate(c.clone()));
        }
    }
    // `SetOfVec` sorts and refuses duplicates; write the SET by hand instead.
    let mut set_body = Vec::new();
    for c in &certs {
        c.encode_to_vec(&mut set_body).unwrap();
    }
    let mut out_sd = Vec::new();
    let version = sd.version.to_der().unwrap();
    let digests = sd.digest_algorithms.to_der().unwrap();
    let encap = sd.encap_content_info.to_der().unwrap();
    let signers = sd.signer_infos.to_der().unwrap();
    let certs_el = der_wrap(0xA0, &set_body);
    out_sd.extend([version, digests, encap, certs_el, signers].concat());
    let sd_el = der_wrap(0x30, &out_sd);
    let oid = ci.content_type.to_der().unwrap();
    der_wrap(0x30, &[oid, der_wrap(0xA0, &sd_el)].concat())
}

/// A DER element (minimal length form).
fn der_wrap(tag: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len();
    let mut v = vec![tag];
    if len < 0x80 {
        v.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        v.push(0x80 | (4 - skip) as u8);
        v.extend_from_slice(&bytes[skip..]);
    }
    v.extend_from_slice(body);
    v
}

// ---- PE and MSI ---------------------------------------------------------------------------------

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn overlapping_pe_offsets_are_hashed_or_refused_cleanly() {
    let good = pegen::build(&pegen::PeSpec::default());
    let h = pe::PeHeaders::parse(&good).unwrap();
    let opt = h.optional_offset as usize;
    let dirs = opt + if h.is_pe32_plus() { 112 } else { 96 };
    let st = opt + h.optional_size as usize;
    let sec0 = h.sections[0].pointer_to_raw_data as usize;
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();

    // The certificate table over the headers, and over the first section.
    let mut b = good.clone();
    put32(&mut b, dirs + 4 * 8, 0);
    put32(&mut b, dirs + 4 * 8 + 4, 0x200);
    cases.push(("certificate table over the headers", b));
    let mut b = good.clone();
    put32(&mut b, dirs + 4 * 8, sec0 as u32);
    put32(&mut b, dirs + 4 * 8 + 4, 0x200);
    cases.push(("certificate table over a section", b));
    // A section whose raw data is the headers, and one that covers the whole file.
    let mut b = good.clone();
    put32(&mut b, st + 20, 0);
    cases.push(("section over the headers", b));
    let mut b = good.clone();
    put32(&mut b, st + 16, good.len() as u32);
    put32(&mut b, st + 20, 0);
    cases.push(("section over the whole file", b));
    // A resource directory whose only entry is itself, at every level.
    let mut b = good.clone();
    let rva = h.sections[0].virtual_address;
    put32(&mut b, dirs + 2 * 8, rva);
    put32(&mut b, dirs + 2 * 8 + 4, 0x100);
    b[sec0..sec0 + 16].fill(0);
    b[sec0 + 14..sec0 + 16].copy_from_slice(&1u16.to_le_bytes());
    put32(&mut b, sec0 + 16, 16); // RT_VERSION
    put32(&mut b, sec0 + 20, 0x8000_0000);
    cases.push(("resource directory loop", b));
    // The import and resource directories at one RVA, which is also the headers.
    let mut b = good.clone();
    for d in [1, 2] {
        put32(&mut b, dirs + d * 8, 0);
        put32(&mut b, dirs + d * 8 + 4, 0x400);
    }
    cases.push(("directories over the headers", b));

    for (what, bytes) in cases {
        let n = bytes.len();
        let f = bounded(what, n, 64, QUICK, move || {
            facts_from_bytes("x.exe", &bytes, FactOptions::default())
        });
        assert!(!f.sha256.is_empty(), "{what}");
        assert!(
            f.hash_method == HashMethod::Authenticode || !f.problems.is_empty(),
            "{what}: a fallback hash must say why"
        );
    }
}

#[test]
fn pe_and_msi_fields_set_to_u32_max_are_bounded() {
    let mut files: Vec<(String, Vec<u8>, usize)> =
        vec![("gen.exe".into(), pegen::build(&pegen::PeSpec::default()), 0x400)];
    if let Some(dir) = common::fixtures() {
        for name in ["hello_signed.exe", "fixdrv.sys"] {
            let b = std::fs::read(dir.join("out").join(name)).unwrap();
            let h = pe::PeHeaders::parse(&b).unwrap();
            files.push((name.into(), b, h.size_of_headers as usize));
        }
        // For the compound file, the header and the first sectors (FAT, directory).
        let msi = std::fs::read(dir.join("out/fix_signed.msi")).unwrap();
        let len = msi.len();
        files.push(("fix_signed.msi".into(), msi, len.min(4096)));
    }
    for (name, original, span) in files {
        let n = original.len();
        bounded(&format!("u32::MAX sweep of {name}"), n, 48, SLOW, move || {
            let step = if name.ends_with(".msi") { 1 } else { 2 };
            for at in (0..span.min(original.len() - 3)).step_by(step) {
                let mut b = original.clone();
                put32(&mut b, at, u32::MAX);
                let (f, peak) = alloc::peak_during(|| facts_from_bytes(&name, &b, FactOptions::default()));
                assert!(peak <= 48 * b.len() + (1 << 20), "{name} at {at}: peak {peak}");
                assert_eq!(f.size, b.len() as u64);
            }
        });
    }
}

// ---- specs --------------------------------------------------------------------------------------

#[test]
fn a_spec_that_includes_itself_is_refused() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/specs/malformed");
    for name in ["include-self.toml", "include-cycle.toml"] {
        let path = dir.join(name);
        let n = std::fs::metadata(&path).unwrap().len() as usize;
        let err = bounded(name, n, 64, QUICK, move || {
            spec::build_file(&path, &spec::BuildOptions::default())
                .unwrap_err()
                .to_string()
        });
        assert!(err.contains("include cycle"), "{err}");
    }
    // Through a symbolic link to itself under another name.
    #[cfg(unix)]
    {
        let d = common::scratch_dir("hostile-spec-link");
        std::fs::write(d.join("a.toml"), "include = [\"b.toml\"]\n[policy]\nname = \"x\"\n").unwrap();
        std::os::unix::fs::symlink(d.join("a.toml"), d.join("b.toml")).unwrap();
        let path = d.join("a.toml");
        let err = bounded("include via link", 64, 64, QUICK, move || {
            spec::build_file(&path, &spec::BuildOptions::default())
                .unwrap_err()
                .to_string()
        });
        assert!(err.contains("include cycle"), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn a_spec_naming_a_device_or_a_folder_is_refused_without_reading_it() {
    let d = common::scratch_dir("hostile-spec-device");
    // A link with a .toml name to a device that never ends, and one to a FIFO that would block.
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.toml")).unwrap();
    std::os::unix::fs::symlink("/dev/urandom", d.join("random.xml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.cer")).unwrap();
    let fifo = d.join("fifo.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    // (Each names another file: an include is read once, by its canonical path.)
    let mut includes = vec!["\"zero.toml\"", "\"random.xml\"", "\"/dev/full\"", "\".\""];
    if made {
        includes.push("\"fifo.toml\"");
    }
    let text = format!(
        "include = [{}]\n[policy]\nname = \"x\"\nversion = \"1.0.0.0\"\nmode = \"audit\"\nscenarios = [\"user\"]\n\
         [signers.s]\ncert = \"zero.cer\"\n",
        includes.join(", ")
    );
    let xml_reader = |b: &[u8]| {
        xml::read(b).map(|d| d.policy).map_err(|e| spec::XmlReadError {
            line: e.span.line,
            column: e.span.column,
            message: e.to_string(),
        })
    };
    let n = text.len();
    let err = bounded("spec naming devices", n, 1 << 10, QUICK, move || {
        let opts = spec::BuildOptions {
            xml: Some(&xml_reader),
            scanner: None,
        };
        spec::build_text("hostile.toml", &d, &text, &opts)
            .unwrap_err()
            .to_string()
    });
    assert!(err.contains("zero.toml: not a regular file"), "{err}");
    assert!(err.contains("random.xml: not a regular file"), "{err}");
    assert!(err.contains("cannot include /dev/full"), "{err}");
    assert!(err.contains("zero.cer: not a regular file"), "{err}");
    if made {
        assert!(err.contains("fifo.toml: not a regular file"), "{err}");
    }
}

#[test]
fn deeply_nested_toml_is_refused() {
    for (what, open, close) in [("arrays", "[", "]"), ("inline tables", "{a=", "}")] {
        let depth = 100_000;
        let text = format!("x = {}1{}\n", open.repeat(depth), close.repeat(depth));
        let n = text.len();
        let r = bounded(&format!("nested TOML {what}"), n, 64, QUICK, move || {
            spec::build_text("deep.toml", Path::new("."), &text, &spec::BuildOptions::default()).map(|_| ())
        });
        assert!(r.is_err());
    }
}
