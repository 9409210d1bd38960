//! Findings about a binary policy point at the bytes of what they are about: the offset is read
//! back here and compared with the decompiled model, so a wrong index (decompiling reorders file
//! rules) or a wrong structure fails.

mod common;

use cipolicy::cip::bin::Codec;
use cipolicy::cip::reader::Reader;
use cipolicy::cip::{self, BinaryMap};
use cipolicy::model::{Guid, Policy, Version};
use cipolicy::valid::{self, Code, Location, Options, render};

fn at<T: Codec>(bytes: &[u8], offset: usize) -> T {
    T::read(&mut Reader::new(&bytes[offset..])).unwrap()
}

fn spot<'a>(map: &'a BinaryMap, path: &str) -> &'a cip::BinarySpot {
    let (key, s) = map.get(path).unwrap_or_else(|| panic!("{path} is not located"));
    assert_eq!(key, path, "{path} is located only through {key}");
    s
}

/// The binary index in a spot's structure name (`FileRules[12].Hash` → 12).
fn binary_index(structure: &str, array: &str) -> usize {
    let rest = structure.strip_prefix(array).unwrap().strip_prefix('[').unwrap();
    rest[..rest.find(']').unwrap()].parse().unwrap()
}

/// Reads back, at each located file rule field, what the model says the rule holds. Returns
/// how many rules sit at a binary index other than their model index.
fn check_file_rules(content: &[u8], p: &Policy, map: &BinaryMap) -> usize {
    let mut moved = 0;
    for (j, r) in p.file_rules.iter().enumerate() {
        let base = format!("file_rules[{j}]");
        let rule = spot(map, &base);
        let i = binary_index(&rule.structure, "FileRules");
        moved += usize::from(i != j);
        let name = spot(map, &format!("{base}@FileName"));
        assert_eq!(name.structure, format!("FileRules[{i}].FileName"));
        assert_eq!(
            at::<String>(content, name.offset),
            r.file_name.clone().unwrap_or_default()
        );
        let hash = spot(map, &format!("{base}@Hash"));
        assert_eq!(
            at::<Vec<u8>>(content, hash.offset),
            r.hash.as_ref().map(|h| h.0.clone()).unwrap_or_default()
        );
        let min: Version = at(content, spot(map, &format!("{base}@MinimumFileVersion")).offset);
        match r.minimum_file_version {
            Some(v) => assert_eq!(min, v, "{base}"),
            None => assert!(min == Version::ZERO || min == Version::MAX, "{base}: {min}"),
        }
        if let Some((_, max)) = map.get(&format!("{base}@MaximumFileVersion")) {
            assert!(max.structure.starts_with("section 3: FileRules["), "{}", max.structure);
            let max: Version = at(content, max.offset);
            assert_eq!(max, r.maximum_file_version.unwrap_or(Version::ZERO), "{base}");
        }
    }
    moved
}

fn check_signers(content: &[u8], p: &Policy, map: &BinaryMap) {
    for (i, s) in p.signers.iter().enumerate() {
        let root = spot(map, &format!("signers[{i}].cert_root"));
        assert_eq!(root.structure, format!("Signers[{i}].CertRoot"));
        let word = |at: usize| u32::from_le_bytes(content[at..at + 4].try_into().unwrap());
        match &s.cert_root {
            cipolicy::model::CertRoot::Tbs(tbs) => {
                assert_eq!(word(root.offset), 0);
                assert_eq!(at::<Vec<u8>>(content, root.offset + 4), tbs.0);
            }
            cipolicy::model::CertRoot::Wellknown(w) => {
                assert_eq!((word(root.offset), word(root.offset + 4)), (1, u32::from(*w)));
            }
        }
    }
}

#[test]
fn corpus_binaries_locate_what_the_model_holds() {
    let Some(corpus) = common::corpus() else { return };
    let files = common::files_with_ext(&corpus, &["cip", "bin", "p7b"]);
    let (mut checked, mut moved) = (0, 0);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let Ok(u) = cipolicy::sign::unwrap(&bytes) else {
            continue;
        };
        let Ok((p, map)) = cip::decompile_located(&u.content) else {
            continue;
        };
        assert_eq!(p, cip::decompile(&u.content).unwrap(), "{}", f.display());
        moved += check_file_rules(&u.content, &p, &map);
        check_signers(&u.content, &p, &map);
        assert_eq!(at::<Version>(&u.content, spot(&map, "version_ex").offset), p.version_ex);
        // A legacy policy's model has no PolicyID even when its format has section 6.
        if let Some(want) = p.policy_id
            && let Some((_, id)) = map.get("policy_id")
            && id.structure == "section 6: PolicyID"
        {
            assert_eq!(at::<Guid>(&u.content, id.offset), want);
        }
        assert_eq!(spot(&map, "rules").offset, cip::bin::OPTIONS_OFFSET);
        checked += 1;
    }
    eprintln!("{checked} corpus binaries located; {moved} file rules at another binary index");
    assert!(checked >= 10, "only {checked} corpus binaries decoded");
    // The block lists hold rules with equal sort keys, which decompiling reorders: the map must
    // follow the model's order there.
    assert!(moved > 0, "no corpus binary exercised a reordered file rule");
}

#[test]
fn corpus_findings_point_at_the_hash_they_are_about() {
    let Some(corpus) = common::corpus() else { return };
    let path = corpus.join("pairs/wdac-toolkit--wdacpolicy/test.bin");
    let bytes = std::fs::read(&path).unwrap();
    let policy = cip::decompile(&bytes).unwrap();
    let report = valid::validate_binary(&bytes, None, &Options::default());
    let mut hashes = 0;
    for f in &report.findings {
        match &f.location {
            Location::Binary {
                offset,
                section,
                path: Some(path),
            } if f.code == Code::HS001 => {
                let j: usize = path
                    .strip_prefix("file_rules[")
                    .and_then(|r| r.strip_suffix("]@Hash"))
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(
                    section.starts_with("FileRules[") && section.ends_with("].Hash"),
                    "{section}"
                );
                let stored: Vec<u8> = at(&bytes, *offset as usize);
                assert_eq!(stored.len(), 64);
                assert_eq!(Some(stored), policy.file_rules[j].hash.as_ref().map(|h| h.0.clone()));
                hashes += 1;
            }
            Location::Model { path } => panic!("{}: {path} was not located", f.code),
            _ => {}
        }
    }
    assert!(hashes > 0);
}

/// A supplemental with known defects, compiled here: an option only a base may set, an unused
/// signer, and a hash of the wrong length.
const DEFECTIVE: &str = r#"<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy" PolicyType="Supplemental Policy">
  <VersionEx>1.0.0.0</VersionEx>
  <PolicyID>{C4E8A51B-9D2F-4E3A-8B6C-7F1D0E2A3B4C}</PolicyID>
  <BasePolicyID>{8F6A2D61-5B2C-4C0E-9A53-1E6C2B9D7A10}</BasePolicyID>
  <PlatformID>{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}</PlatformID>
  <Rules>
    <Rule><Option>Enabled:Unsigned System Integrity Policy</Option></Rule>
    <Rule><Option>Enabled:Audit Mode</Option></Rule>
  </Rules>
  <FileRules>
    <Allow ID="ID_ALLOW_B" FileName="b.exe" MinimumFileVersion="2.0.0.0" />
    <Allow ID="ID_ALLOW_A" FileName="a.exe" MinimumFileVersion="1.0.0.0" />
    <Allow ID="ID_ALLOW_SHORT" Hash="0102030405" />
  </FileRules>
  <Signers>
    <Signer ID="ID_SIGNER_USED" Name="used">
      <CertRoot Type="TBS" Value="CDE5DC9E71FA8E7225A96D03FCFB0DDD55A5990461DC89042D488A21EA2ADDB3" />
    </Signer>
    <Signer ID="ID_SIGNER_UNUSED" Name="unused">
      <CertRoot Type="TBS" Value="ED1321A81349F361A19F1156EE9CF93268350FE04F7773C9A02DBB06C94A4C7A" />
    </Signer>
  </Signers>
  <SigningScenarios>
    <SigningScenario Value="12" ID="ID_SIGNINGSCENARIO_USER">
      <ProductSigners>
        <AllowedSigners><AllowedSigner SignerId="ID_SIGNER_USED" /></AllowedSigners>
        <FileRulesRef>
          <FileRuleRef RuleID="ID_ALLOW_A" />
          <FileRuleRef RuleID="ID_ALLOW_B" />
          <FileRuleRef RuleID="ID_ALLOW_SHORT" />
        </FileRulesRef>
      </ProductSigners>
    </SigningScenario>
  </SigningScenarios>
</SiPolicy>"#;

#[test]
fn compiled_defects_are_located() {
    let doc = cipolicy::xml::read(DEFECTIVE.as_bytes()).unwrap();
    let bytes = cip::compile(&doc.policy, &cip::CompileOptions::default())
        .unwrap()
        .bytes;
    let (policy, map) = cip::decompile_located(&bytes).unwrap();
    check_file_rules(&bytes, &policy, &map);
    check_signers(&bytes, &policy, &map);
    let report = valid::validate_binary(&bytes, None, &Options::default());
    let find = |code: Code| {
        report
            .findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("{code} not reported: {:?}", report.findings))
    };
    // The option bits are in the header.
    let Location::Binary { offset, section, path } = &find(Code::PT005).location else {
        panic!("PT005 not in the binary")
    };
    assert_eq!(
        (*offset as usize, section.as_str()),
        (cip::bin::OPTIONS_OFFSET, "header.option flags")
    );
    assert!(path.as_deref().is_some_and(|p| p.starts_with("rules[")), "{path:?}");
    // The unused signer's record starts with its CertRoot: kind 0 (TBS), then the TBS hash.
    let Location::Binary { offset, path, .. } = &find(Code::UN001).location else {
        panic!("UN001 not in the binary")
    };
    let i: usize = path.as_deref().unwrap()["signers[".len()..]
        .trim_end_matches(']')
        .parse()
        .unwrap();
    assert_eq!(policy.signers[i].cert_publisher, None);
    let tbs: Vec<u8> = at(&bytes, *offset as usize + 4);
    assert_eq!(
        tbs,
        const_hex::decode("ED1321A81349F361A19F1156EE9CF93268350FE04F7773C9A02DBB06C94A4C7A").unwrap()
    );
    // The short hash, wherever the rule went.
    let Location::Binary { offset, .. } = &find(Code::HS001).location else {
        panic!("HS001 not in the binary")
    };
    assert_eq!(at::<Vec<u8>>(&bytes, *offset as usize), vec![1, 2, 3, 4, 5]);

    let input = render::Input {
        name: "defective.cip",
        text: None,
        report: &report,
    };
    let sarif = render::sarif(&[input]);
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["byteOffset"].is_u64(), "{r}");
    }
    let json = serde_json::to_string_pretty(&render::json(&[input])).unwrap();
    insta::assert_snapshot!(
        "valid_binary_defective",
        format!("{}\n---- json ----\n{json}\n", render::human(&[input]))
    );
}
