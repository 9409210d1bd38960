//! Scan output at every level over the fixtures folder (insta snapshots, reviewed), and the same
//! bytes whatever the thread count.
mod common;

use std::path::PathBuf;

use cipolicy::scan::{Level, RuleOptions, WalkOptions, emit, run_scan};
use cipolicy::spec;

fn walk(threads: usize) -> WalkOptions {
    WalkOptions {
        path_prefix: Some(r"C:\fixtures".to_string()),
        threads: Some(threads),
        ..WalkOptions::default()
    }
}

fn scan_text(root: &PathBuf, rules: &RuleOptions, threads: usize) -> String {
    let run = run_scan(std::slice::from_ref(root), &walk(threads), rules).unwrap();
    let policy = emit::to_policy(&run.rules, None);
    let mut text = cipolicy::xml::write(&policy);
    text.push_str("\n# summary\n");
    for i in &run.summary {
        text.push_str(&format!("{}: {}\n", i.path, i.message));
    }
    text
}

#[test]
fn every_level_over_the_fixtures() {
    let Some(dir) = common::fixtures() else { return };
    let root = dir.join("out");
    for &level in Level::ALL {
        let rules = RuleOptions {
            level,
            ..RuleOptions::default()
        };
        let text = scan_text(&root, &rules, 2);
        insta::assert_snapshot!(format!("level_{}", level.as_str()), text);
    }
}

#[test]
fn fallbacks_and_spec_fragment() {
    let Some(dir) = common::fixtures() else { return };
    let root = dir.join("out");
    let rules = RuleOptions {
        level: Level::WhqlFilePublisher,
        fallbacks: vec![Level::FilePublisher, Level::FilePath, Level::Hash],
        ..RuleOptions::default()
    };
    insta::assert_snapshot!("whqlfilepublisher_fallbacks", scan_text(&root, &rules, 2));
    let run = run_scan(std::slice::from_ref(&root), &walk(2), &rules).unwrap();
    let fragment = spec::fragment(&emit::to_policy(&run.rules, None)).unwrap();
    insta::assert_snapshot!("spec_fragment", fragment);
    // tests/scan_spec.rs builds such fragments and compares the rules with the scan's XML.
    let parsed: toml::Table = fragment.parse().unwrap();
    assert!(parsed["allow"].as_array().unwrap().len() > 5);
}

#[test]
fn kernel_only_scan_leaves_user_files_out() {
    let Some(dir) = common::fixtures() else { return };
    let rules = RuleOptions {
        level: Level::Publisher,
        fallbacks: vec![Level::Hash],
        user_mode: false,
        kernel_mode: true,
        ..RuleOptions::default()
    };
    insta::assert_snapshot!("kernel_only_publisher", scan_text(&dir.join("out"), &rules, 2));
}

#[test]
fn one_and_eight_threads_give_identical_bytes() {
    let Some(dir) = common::fixtures() else { return };
    let root = dir.join("out");
    for level in [Level::Hash, Level::FilePublisher, Level::WhqlPublisher] {
        let rules = RuleOptions {
            level,
            fallbacks: vec![Level::Hash],
            ..RuleOptions::default()
        };
        let one = scan_text(&root, &rules, 1);
        let eight = scan_text(&root, &rules, 8);
        assert_eq!(one, eight, "{level}");
        let a = run_scan(std::slice::from_ref(&root), &walk(1), &rules).unwrap();
        let b = run_scan(std::slice::from_ref(&root), &walk(8), &rules).unwrap();
        let fragment = |r| spec::fragment(&emit::to_policy(r, None)).unwrap();
        assert_eq!(fragment(&a.rules), fragment(&b.rules));
    }
}
