//! Hostile input: truncated and corrupted binaries give an error or a policy, never a panic, and
//! never make the decoder allocate more than a small multiple of the input size. Counts of
//! 2^32-1 (in the header and in every other field) are in `hostile.rs`.

mod common;

#[path = "support/alloc.rs"]
mod alloc;

use alloc::peak_during;
use cipolicy::cip::bin::BinPolicy;
use cipolicy::cip::reader::Reader;
use cipolicy::cip::{self, CompileOptions};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Allowed peak: a constant factor of the input plus fixed overhead (the 128 KiB case-folding
/// table is built once, before measuring).
fn budget(input: usize) -> usize {
    48 * input + 64 * 1024
}

/// Decodes (and, when that works, re-encodes and recompiles) `bytes`, checking the allocation
/// bound. Returns whether decompiling succeeded.
fn exercise(bytes: &[u8]) -> bool {
    let (result, peak) = peak_during(|| cip::decompile(bytes));
    assert!(
        peak <= budget(bytes.len()),
        "decompiling {} bytes peaked at {peak} bytes",
        bytes.len()
    );
    if let Ok(bin) = BinPolicy::read(&mut Reader::new(bytes)) {
        // The binary layer re-encodes whatever it accepts to the same bytes.
        assert!(bin.encode() == bytes);
    }
    match result {
        Ok(policy) => {
            let version = u32::from_le_bytes(bytes[..4].try_into().unwrap());
            let opts = CompileOptions {
                format_version: version,
                ..CompileOptions::default()
            };
            // Compiling may refuse (e.g. a reference the compiler checks more strictly), but
            // must not panic.
            let _ = cip::compile(&policy, &opts);
            true
        }
        Err(e) => {
            assert!(e.offset <= bytes.len(), "{e}");
            false
        }
    }
}

/// xorshift64: deterministic, seeded, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn warm_up(corpus: &std::path::Path) {
    let b = std::fs::read(corpus.join("pairs/pywdac--pol/SiPolicy.p7b")).unwrap();
    cip::decompile(&b).unwrap();
}

#[test]
fn every_truncation_is_an_error_with_an_offset() {
    let Some(corpus) = common::corpus() else { return };
    warm_up(&corpus);
    for rel in [
        "pairs/pywdac--pol/SiPolicy.p7b",
        "pairs/mattmcphee--application-policies--supplemental-gotoopenermultiuser-10568-v11/{EDC98906-8E46-42CF-994F-0A94BBD280B2}.cip",
    ] {
        let bytes = std::fs::read(corpus.join(rel)).unwrap();
        assert!(exercise(&bytes));
        for len in 0..bytes.len() {
            assert!(!exercise(&bytes[..len]), "{rel}: prefix of {len} bytes decoded");
        }
    }
}

#[test]
fn seeded_byte_flips_never_panic_or_overallocate() {
    let Some(corpus) = common::corpus() else { return };
    warm_up(&corpus);
    let exts = [".cip", ".p7b", ".bin"];
    let mut files = common::files_with_ext(&corpus.join("pairs"), &exts);
    files.extend(common::files_with_ext(&corpus.join("binaries"), &exts));
    files.extend(common::files_with_ext(&corpus.join("near-pairs"), &exts));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut runs, mut decoded) = (0, 0);
    for f in &files {
        let original = std::fs::read(f).unwrap();
        // Large files get fewer runs to keep the test fast; every file gets some.
        let n = if original.len() > 300_000 {
            2
        } else if original.len() > 100_000 {
            8
        } else {
            90
        };
        for _ in 0..n {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] = match rng.below(4) {
                    0 => 0xFF,
                    1 => 0,
                    _ => rng.next() as u8,
                };
            }
            runs += 1;
            decoded += usize::from(exercise(&bytes));
        }
    }
    eprintln!("{runs} corrupted inputs, {decoded} still decoded");
    assert!(runs >= 3000, "{runs}");
}

#[test]
fn densest_structures_stay_within_the_budget() {
    // Empty EKU blobs are the smallest records (4 bytes) with the largest model counterpart, the
    // worst case for the allocation ratio.
    use cipolicy::model::{Eku, HexBytes, Policy};
    let Some(corpus) = common::corpus() else { return };
    warm_up(&corpus);
    let mut p = Policy::new_base("{11111111-2222-3333-4444-555555555555}".parse().unwrap());
    p.ekus = (0..20_000)
        .map(|i| Eku {
            id: format!("E{i}").into(),
            value: Some(HexBytes(Vec::new())),
            oid: None,
            friendly_name: None,
        })
        .collect();
    let bytes = cip::compile(&p, &CompileOptions::default()).unwrap().bytes;
    assert!(exercise(&bytes));
}

#[test]
fn artifact_rule_references_beyond_the_file_rules_decode() {
    // Regression (found by `model_props`): the decoder looked the ArtifactSigners' rule indices up
    // among the file rules, and panicked when there were more artifact rules than file rules.
    let text = TWO_ARTIFACT_RULES;
    let p = cipolicy::xml::read(text.as_bytes()).unwrap().policy;
    let opts = CompileOptions {
        format_version: 11,
        ..CompileOptions::default()
    };
    let bytes = cip::compile(&p, &opts).unwrap().bytes;
    let back = cip::decompile(&bytes).unwrap();
    assert_eq!(back, cip::binary_view_with(&p, &opts));
    assert_eq!(back.signing_scenarios[0].artifact_signers.artifact_rules_ref.len(), 2);
}

/// A policy with more artifact rules than file rules (none), both referenced by ArtifactSigners.
const TWO_ARTIFACT_RULES: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy" PolicyType="Base Policy">
  <VersionEx>1.0.0.0</VersionEx>
  <PolicyID>{0E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B}</PolicyID>
  <BasePolicyID>{0E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B}</BasePolicyID>
  <PlatformID>{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}</PlatformID>
  <Rules><Rule><Option>Enabled:Unsigned System Integrity Policy</Option></Rule></Rules>
  <EKUs />
  <FileRules />
  <ArtifactRules>
    <ArtifactRule ID="ID_ARTIFACT_A" ArtifactType="Catalog" Action="Allow" ArtifactName="a.cat" />
    <ArtifactRule ID="ID_ARTIFACT_B" ArtifactType="CIM" Action="Deny" ArtifactName="b.cim" />
  </ArtifactRules>
  <Signers>
    <Signer ID="ID_SIGNER_S" Name="s"><CertRoot Type="Wellknown" Value="06" /></Signer>
  </Signers>
  <SigningScenarios>
    <SigningScenario Value="12" ID="ID_SIGNINGSCENARIO_UMCI">
      <ProductSigners />
      <ArtifactSigners>
        <AllowedSigners><AllowedSigner SignerId="ID_SIGNER_S" /></AllowedSigners>
        <ArtifactRulesRef>
          <ArtifactRuleRef RuleID="ID_ARTIFACT_A" />
          <ArtifactRuleRef RuleID="ID_ARTIFACT_B" />
        </ArtifactRulesRef>
      </ArtifactSigners>
    </SigningScenario>
  </SigningScenarios>
  <UpdatePolicySigners />
  <CiSigners />
</SiPolicy>"#;

/// The text of a policy in `testdata/valid/`.
fn testdata(name: &str) -> String {
    std::fs::read_to_string(format!("{}/testdata/valid/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Compiles a testdata policy (or XML text) at format version 11 and returns its binary layer.
fn bin_of(xml_text: &str) -> BinPolicy {
    let p = cipolicy::xml::read(xml_text.as_bytes()).unwrap().policy;
    let opts = CompileOptions {
        format_version: 11,
        ..CompileOptions::default()
    };
    let bytes = cip::compile(&p, &opts).unwrap().bytes;
    BinPolicy::read(&mut Reader::new(&bytes)).unwrap()
}

#[test]
fn tables_out_of_sorted_order_are_refused() {
    // Regression (fuzz, cip_decompile): a binary whose settings were out of order decoded to a
    // model that compiled to other bytes. Every compiler writes file rules, artifact rules and
    // settings sorted, and a model cannot ask for another order: such a binary is refused, with
    // the entry that breaks the order, and `info` still reads it.
    // (table, a binary, how to break its order (returns the table's length), where it breaks)
    type Case = (&'static str, BinPolicy, fn(&mut BinPolicy) -> usize, &'static str);
    let cases: [Case; 3] = [
        (
            "file rules",
            bin_of(&testdata("file-rules.xml")),
            |b| {
                let n = b.file_rules.len();
                b.file_rules.swap(0, n - 1);
                n
            },
            "FileRules[",
        ),
        (
            "settings",
            bin_of(&testdata("good-base.xml")),
            |b| {
                b.settings.swap(0, 1);
                2
            },
            "Settings[1]",
        ),
        (
            "artifact rules",
            bin_of(TWO_ARTIFACT_RULES),
            |b| {
                b.artifact_rules.swap(0, 1);
                2
            },
            "section 10: ArtifactRules[1]",
        ),
    ];
    for (what, mut bin, swap, structure) in cases {
        assert!(swap(&mut bin) >= 2, "{what}");
        let bytes = bin.encode();
        let e = cip::decompile(&bytes).unwrap_err();
        assert!(
            matches!(e.kind, cip::DecodeErrorKind::NotRepresentable(_)),
            "{what}: {e}"
        );
        assert!(e.structure.starts_with(structure), "{what}: {e}");
        assert!(
            e.to_string().contains(&format!("{what} are not in sorted order")),
            "{e}"
        );
        assert!(e.offset > 0 && e.offset < bytes.len(), "{what}: {e}");
        // The offset is where that entry starts.
        assert!(cip::locate(&bytes, e.offset).starts_with(&e.structure), "{what}: {e}");
        assert!(cip::info(&bytes).is_ok(), "{what}");
    }
}

#[test]
fn rule_references_out_of_ascending_order_are_refused() {
    // Regression (fuzz, cip_decompile): a FileRulesRef list whose indexes were not ascending (one
    // index changed) decoded to a model whose compiled list is sorted again: other bytes. Every
    // compiler writes these lists ascending; such a binary is refused at the list.
    let text = testdata("good-base.xml");
    let mut bin = bin_of(&text);
    let (i, s) = bin
        .scenarios
        .iter_mut()
        .enumerate()
        .find(|(_, s)| s.groups[0].rules.len() >= 2)
        .expect("a scenario with two file rule references");
    let n = s.groups[0].rules.len();
    s.groups[0].rules.swap(0, n - 1);
    let bytes = bin.encode();
    let e = cip::decompile(&bytes).unwrap_err();
    assert!(matches!(e.kind, cip::DecodeErrorKind::NotRepresentable(_)), "{e}");
    assert_eq!(
        e.structure,
        format!("SigningScenarios[{i}].ProductSigners.FileRulesRef"),
        "{e}"
    );
    assert!(e.to_string().contains("not in ascending order"), "{e}");
    assert!(
        e.offset > 0 && cip::locate(&bytes, e.offset).starts_with(&e.structure),
        "{e}"
    );
    // Duplicates are kept (Microsoft's lists repeat indexes) and are no reason to refuse.
    let mut dup = bin_of(&text);
    let rules = &mut dup.scenarios[i].groups[0].rules;
    rules.insert(1, rules[0]);
    let back = cip::decompile(&dup.encode()).unwrap();
    assert_eq!(
        back.signing_scenarios[i].product_signers.file_rules_ref.len(),
        n + 1,
        "a repeated index is kept"
    );
}

#[test]
fn an_end_tag_beyond_the_format_version_is_refused_by_decompile() {
    // Regression (fuzz, cip_decompile): an end tag above `format version + 1` (which readers
    // accept, as the start of sections they do not know) decoded to a model that compiles to
    // the usual end tag: other bytes. `decompile` refuses it at the end tag; `info` reads it.
    let text = testdata("good-base.xml");
    let mut bin = bin_of(&text);
    bin.end_tag = bin.format_version + 2;
    let bytes = bin.encode();
    let e = cip::decompile(&bytes).unwrap_err();
    assert!(matches!(e.kind, cip::DecodeErrorKind::NotRepresentable(_)), "{e}");
    assert_eq!(e.structure, "end tag", "{e}");
    assert_eq!(e.offset, bytes.len() - 4, "{e}");
    assert_eq!(cip::info(&bytes).unwrap().end_tag, bin.format_version + 2);
}

#[test]
fn references_to_rules_of_the_wrong_kind_are_refused() {
    // Regression (fuzz, cip_decompile): a signer's FileAttribRef naming an Allow rule decoded to
    // a model that does not compile. Each such reference is refused where it is, naming both kinds.
    use cipolicy::cip::bin::BinRuleType;
    let text = testdata("good-base.xml");
    let base = bin_of(&text);
    let first = |kind: BinRuleType| base.file_rules.iter().position(|r| r.kind == kind).unwrap() as u32;
    let (allow, deny) = (first(BinRuleType::Allow), first(BinRuleType::Deny));
    type Break = Box<dyn Fn(&mut BinPolicy) -> bool>;
    let cases: Vec<(&str, Break, &str)> = vec![
        (
            "FileAttribRef",
            Box::new(move |b| {
                let s = b.signers.iter_mut().find(|s| !s.file_attrib_refs.is_empty());
                s.map(|s| s.file_attrib_refs[0] = allow).is_some()
            }),
            "a signer's FileAttribRef names file rule",
        ),
        (
            "ExceptDenyRule",
            Box::new(move |b| {
                let r = b
                    .scenarios
                    .iter_mut()
                    .flat_map(|s| s.groups.iter_mut())
                    .flat_map(|g| g.allowed.iter_mut());
                r.filter(|a| !a.exceptions.is_empty())
                    .map(|a| a.exceptions[0] = allow)
                    .count()
                    > 0
            }),
            "an ExceptDenyRule names file rule",
        ),
        (
            "ExceptAllowRule",
            Box::new(move |b| {
                let r = b
                    .scenarios
                    .iter_mut()
                    .flat_map(|s| s.groups.iter_mut())
                    .flat_map(|g| g.denied.iter_mut());
                r.filter(|d| !d.exceptions.is_empty())
                    .map(|d| d.exceptions[0] = deny)
                    .count()
                    > 0
            }),
            "an ExceptAllowRule names file rule",
        ),
        (
            "RequireHotpatchID",
            Box::new(move |b| {
                let h = b.file_rules.iter_mut().find_map(|r| r.hotpatch.as_mut());
                h.map(|h| h.target = deny).is_some()
            }),
            "a RequireHotpatchID names file rule",
        ),
    ];
    for (what, breaks, message) in cases {
        let mut bin = base.clone();
        assert!(breaks(&mut bin), "{what}: good-base.xml has one");
        let bytes = bin.encode();
        let e = cip::decompile(&bytes).unwrap_err();
        assert!(
            matches!(e.kind, cip::DecodeErrorKind::NotRepresentable(_)),
            "{what}: {e}"
        );
        assert!(e.to_string().contains(message), "{what}: {e}");
        assert!(e.offset > 0, "{what}: {e}");
        assert!(
            cip::locate(&bytes, e.offset).starts_with(&e.structure),
            "{what}: {e} at {}",
            cip::locate(&bytes, e.offset)
        );
    }
}
