//! Every value in the shared fixtures' `expected.json` (computed by independent tools: osslsigncode,
//! signify, a Python reference) reproduced by the scanner library.
mod common;

use cipolicy::cert::CertFacts;
use cipolicy::scan::{FactOptions, FileFacts, HashMethod, facts_from_bytes};
use serde_json::Value;

fn facts(dir: &std::path::Path, name: &str) -> FileFacts {
    let bytes = std::fs::read(dir.join("out").join(name)).unwrap();
    facts_from_bytes(name, &bytes, FactOptions { flat_sha256: true })
}

fn eku_name(oid: &str) -> &str {
    match oid {
        "1.3.6.1.5.5.7.3.3" => "code_signing",
        "1.3.6.1.4.1.311.10.3.5" => "microsoft_whql",
        other => other,
    }
}

fn sigalg_name(oid: &str) -> &str {
    match oid {
        "1.2.840.113549.1.1.5" => "sha1_rsa",
        "1.2.840.113549.1.1.11" => "sha256_rsa",
        "1.2.840.113549.1.1.12" => "sha384_rsa",
        other => other,
    }
}

fn check_cert(c: &CertFacts, e: &Value, ctx: &str) {
    assert_eq!(c.subject_name, e["subject"].as_str().unwrap(), "{ctx}");
    assert_eq!(c.issuer_name, e["issuer"].as_str().unwrap(), "{ctx}");
    assert_eq!(sigalg_name(&c.signature_oid), e["sigalg"].as_str().unwrap(), "{ctx}");
    assert_eq!(c.tbs_hash.as_deref(), e["tbs"].as_str(), "{ctx} tbs");
    let ekus: Vec<&str> = c.ekus.iter().map(|o| eku_name(o)).collect();
    let want: Vec<&str> = e["eku"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ekus, want, "{ctx} ekus");
}

fn expected(dir: &std::path::Path) -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn pe_fixtures_match_expected_json() {
    let Some(dir) = common::fixtures() else { return };
    let mut checked = 0;
    for (name, e) in expected(&dir) {
        if name.contains(':') {
            continue;
        }
        let f = facts(&dir, &name);
        let hex = |k: &str| e[k].as_str().unwrap().to_string();
        assert_eq!(f.size, e["size"].as_u64().unwrap(), "{name}");
        assert_eq!(f.flat_sha256.as_ref().unwrap().to_hex(), hex("flat_sha256"), "{name}");
        assert_eq!(f.hash_method, HashMethod::Authenticode, "{name}: {:?}", f.problems);
        assert_eq!(f.sha1.to_hex(), hex("authenticode_sha1"), "{name}");
        assert_eq!(f.sha256.to_hex(), hex("authenticode_sha256"), "{name}");
        assert_eq!(f.page_sha1.as_ref().unwrap().to_hex(), hex("page_hash_sha1"), "{name}");
        assert_eq!(
            f.page_sha256.as_ref().unwrap().to_hex(),
            hex("page_hash_sha256"),
            "{name}"
        );
        let pe = f.pe.as_ref().unwrap();
        assert_eq!(u64::from(pe.subsystem), e["subsystem"].as_u64().unwrap(), "{name}");
        assert_eq!(
            u64::from(pe.size_of_headers),
            e["size_of_headers"].as_u64().unwrap(),
            "{name}"
        );
        let imports: Vec<&str> = e["imports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(pe.imports, imports, "{name}");
        let v = f.version.as_ref().unwrap();
        assert_eq!(v.file_version.unwrap().to_string(), hex("fixed_file_version"), "{name}");
        let mut tables = 0;
        for (k, table) in e.as_object().unwrap() {
            let Some(key) = k.strip_prefix("string_table_") else {
                continue;
            };
            tables += 1;
            let t = v.table(key).unwrap_or_else(|| panic!("{name}: no table {key}"));
            let want = table.as_object().unwrap();
            assert_eq!(t.strings.len(), want.len(), "{name} {key}");
            for (sk, sv) in want {
                assert_eq!(t.get(sk), sv.as_str(), "{name} {key} {sk}");
            }
        }
        assert!(tables > 0, "{name}");
        let sigs = e["signatures"].as_array().unwrap();
        assert_eq!(f.signatures.len(), sigs.len(), "{name}");
        for (s, es) in f.signatures.iter().zip(sigs) {
            assert_eq!(
                s.digest_alg.unwrap().name(),
                es["digest_alg"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(
                s.embedded_digest.to_hex(),
                es["embedded_digest"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(s.digest_matches, Some(true), "{name}");
            assert_eq!(s.content_digest_matches, Some(true), "{name}");
            assert_eq!(s.signature_valid, Some(true), "{name}");
            assert!(s.usable(), "{name}: {:?}", s.problems);
            assert_eq!(
                s.opus_program_name.as_deref(),
                es["opus_program_name"].as_str(),
                "{name}"
            );
            let certs = es["certificates"].as_array().unwrap();
            assert_eq!(s.certificates.len(), certs.len(), "{name}");
            for ec in certs {
                let subject = ec["subject"].as_str().unwrap();
                let c = s.certificates.iter().find(|c| c.subject_name == subject).unwrap();
                check_cert(c, ec, &format!("{name} {subject}"));
            }
            // Chain: leaf first, then its issuer from the bag.
            assert_eq!(s.chain.len(), 2, "{name}");
            assert_eq!(s.chain[0].issuer_name, s.chain[1].subject_name, "{name}");
        }
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn page_hash_entry0_written_by_osslsigncode_equals_first_page_hash() {
    let Some(dir) = common::fixtures() else { return };
    for name in ["hello_signed_ph.exe", "fixdrv_whql.sys"] {
        let f = facts(&dir, name);
        let ph = f.signatures[0].page_hash.as_ref().unwrap();
        assert_eq!(Some(&ph.first_page), f.page_sha256.as_ref(), "{name}");
    }
}

#[test]
fn certificates_match_expected_json() {
    let Some(dir) = common::fixtures() else { return };
    for (name, e) in expected(&dir) {
        let Some(cert) = name.strip_prefix("cert:") else {
            continue;
        };
        let pem = std::fs::read(dir.join("out/pki").join(format!("{cert}.pem"))).unwrap();
        check_cert(&CertFacts::from_pem_or_der(&pem).unwrap(), &e, &name);
    }
}

#[test]
fn scripts_and_msi_match_expected_json_signed_or_not() {
    let Some(dir) = common::fixtures() else { return };
    let mut checked = 0;
    for (name, e) in expected(&dir) {
        let (file, method) = if let Some(f) = name.strip_prefix("script:") {
            (f.to_string(), HashMethod::PowershellSip)
        } else if let Some(f) = name.strip_prefix("msi:") {
            (f.to_string(), HashMethod::MsiSip)
        } else {
            continue;
        };
        let (stem, ext) = file.rsplit_once('.').unwrap();
        let f = facts(&dir, &file);
        assert_eq!(f.hash_method, method, "{file}: {:?}", f.problems);
        assert_eq!(f.sha256.to_hex(), e["sip_sha256"].as_str().unwrap(), "{file}");
        assert_eq!(f.sha1.to_hex(), e["sip_sha1"].as_str().unwrap(), "{file}");
        assert_eq!(
            f.flat_sha256.unwrap().to_hex(),
            e["flat_sha256"].as_str().unwrap(),
            "{file}"
        );
        assert!(f.signatures.is_empty());
        // The signed copy hashes the same and its signature covers that digest.
        let signed = facts(&dir, &format!("{stem}_signed.{ext}"));
        assert_eq!(
            signed.sha256.to_hex(),
            e["sip_sha256"].as_str().unwrap(),
            "{file} signed"
        );
        assert_eq!(signed.signatures.len(), 1, "{file} signed: {:?}", signed.problems);
        assert!(
            signed.signatures[0].usable(),
            "{file}: {:?}",
            signed.signatures[0].problems
        );
        assert_eq!(signed.signatures[0].chain[0].subject_name, "WDAC Fixture Publisher");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn tampered_signed_attributes_fail_signature_verification() {
    let Some(dir) = common::fixtures() else { return };
    let mut bytes = std::fs::read(dir.join("out/hello_signed.exe")).unwrap();
    // The opus program name "WDAC Fixture Program" (an IA5 SpcString) sits in the signed
    // attributes, inside the certificate table: the file digest still matches, the signature
    // must not verify.
    let at = bytes.windows(7).position(|w| w == b"Program").unwrap();
    bytes[at] = b'p';
    let f = facts_from_bytes("hello_signed.exe", &bytes, FactOptions::default());
    let s = &f.signatures[0];
    assert_eq!(s.digest_matches, Some(true));
    assert_eq!(s.opus_program_name.as_deref(), Some("WDAC Fixture program"));
    assert_eq!(s.signature_valid, Some(false));
    assert!(!s.usable());
}
