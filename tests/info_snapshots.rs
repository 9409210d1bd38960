//! `info --format json` over diverse corpus policies and the project's own example.
mod common;

use std::process::Command;

fn info_json(path: &std::path::Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .args(["info", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn info_json_of_diverse_corpus_policies() {
    let Some(corpus) = common::corpus() else { return };
    for (name, rel) in [
        ("legacy_allow_all", "pairs/pywdac--pol/pol.xml"),
        (
            "driver_block_list",
            "pairs/ms-vulnerable-driver-blocklist--sipolicy_enforced/SiPolicy_Enforced.xml",
        ),
        (
            "supplemental",
            "pairs/mattmcphee--application-policies--supplemental-epicgameslauncher-1570-v01/Supplemental-EpicGamesLauncher-1570-V01.xml",
        ),
        (
            "full_coverage_base",
            "xml/hotcakex/AppControl Manager/eXclude/App Control Unit Tests/FullCoverage.Base.xml",
        ),
        (
            "appid_tagging",
            "xml/hotcakex/AppControl Manager/eXclude/App Control Unit Tests/FullCoverage.AppIDTagging.xml",
        ),
        (
            "allow_microsoft",
            "xml/ms-examplepolicies-insider/AllowMicrosoft.2024-10-13.daace2c.xml",
        ),
        (
            "binary_supplemental",
            "pairs/mattmcphee--application-policies--supplemental-epicgameslauncher-1570-v01/{08794066-CDF7-4252-865E-9CC9C1426E64}.cip",
        ),
        (
            "signed_microsoft_driver_policy",
            "signed/hbkmon-testing-repo/driversipolicy.b3b713d.p7b",
        ),
    ] {
        insta::assert_json_snapshot!(name, info_json(&corpus.join(rel)));
    }
}

#[test]
fn info_human_of_example() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policies/example-base.xml");
    let out = Command::new(env!("CARGO_BIN_EXE_cipolicy"))
        .arg("info")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}
