//! What `cipolicy scan` and `cipolicy hash` print: the end-of-scan summary (one line per file
//! that needs attention) and the human form of a file's facts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::facts::FileFacts;
use super::rules::RuleSet;
use super::walk::{Issue, ScanOutput};
use crate::model::SCENARIO_KERNEL;

fn scen(s: u8) -> &'static str {
    if s == SCENARIO_KERNEL { "kernel" } else { "user" }
}

/// One line per path that needs attention: read problems, signed files whose signatures could
/// not be used (so they fell back), and files left without rules. Ordinary fallbacks (an unsigned
/// file getting Hash rules) are not listed.
pub fn summary(out: &ScanOutput, set: &RuleSet) -> Vec<Issue> {
    let mut by_path: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for i in &out.issues {
        by_path.entry(&i.path).or_default().push(i.message.clone());
    }
    let bad_signatures: BTreeMap<&str, Vec<&str>> = out
        .files
        .iter()
        .filter(|f| f.signatures.iter().any(|s| !s.problems.is_empty()))
        .map(|f| {
            let problems = f.signatures.iter().flat_map(|s| s.problems.iter().map(String::as_str));
            (f.path.as_str(), problems.collect())
        })
        .collect();
    for (path, problems) in &bad_signatures {
        let mut v: Vec<&str> = problems.clone();
        v.dedup();
        by_path
            .entry(path)
            .or_default()
            .push(format!("signature not usable: {}", v.join("; ")));
    }
    for f in set
        .fallbacks_used
        .iter()
        .filter(|f| bad_signatures.contains_key(f.path.as_str()))
    {
        by_path.entry(&f.path).or_default().push(format!(
            "{} mode: fell back to {} ({})",
            scen(f.scenario),
            f.level,
            f.reasons.join("; ")
        ));
    }
    for u in &set.unresolved {
        by_path.entry(&u.path).or_default().push(format!(
            "{} mode: no rule at any requested level ({})",
            scen(u.scenario),
            u.reasons.join("; ")
        ));
    }
    by_path
        .into_iter()
        .map(|(path, msgs)| Issue {
            path: path.to_string(),
            message: msgs.join(" | "),
        })
        .collect()
}

/// The facts of one file as indented text.
pub fn facts_text(f: &FileFacts) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", f.path);
    let kind = serde_json::to_value(f.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    let _ = write!(s, "  kind:               {}", kind.unwrap_or_default());
    if let Some(pe) = &f.pe {
        let mode = serde_json::to_value(pe.mode)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string));
        let _ = write!(
            s,
            " ({}, subsystem {}, {} mode)",
            if pe.pe32_plus { "PE32+" } else { "PE32" },
            pe.subsystem,
            mode.unwrap_or_default()
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "  size:               {}", f.size);
    let method = serde_json::to_value(f.hash_method)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    let _ = writeln!(s, "  hash method:        {}", method.unwrap_or_default());
    let _ = writeln!(s, "  sha1:               {}", f.sha1);
    let _ = writeln!(s, "  sha256:             {}", f.sha256);
    if let Some(p) = &f.page_sha1 {
        let _ = writeln!(s, "  page sha1:          {p}");
    }
    if let Some(p) = &f.page_sha256 {
        let _ = writeln!(s, "  page sha256:        {p}");
    }
    if let Some(p) = &f.flat_sha256 {
        let _ = writeln!(s, "  flat sha256:        {p}");
    }
    if let Some(pe) = &f.pe
        && !pe.imports.is_empty()
    {
        let _ = writeln!(s, "  imports:            {}", pe.imports.join(", "));
    }
    if let Some(v) = &f.version {
        if let Some(fv) = v.file_version {
            let _ = writeln!(s, "  file version:       {fv}");
        }
        for t in &v.string_tables {
            let _ = writeln!(s, "  strings {}:", t.key);
            for (k, val) in &t.strings {
                let _ = writeln!(s, "    {k}: {val}");
            }
        }
    }
    for sig in &f.signatures {
        let path: Vec<String> = sig.path.iter().map(|i| i.to_string()).collect();
        let _ = writeln!(
            s,
            "  signature {}: {} digest {} ({})",
            path.join("."),
            sig.digest_alg.map_or("unknown", |a| a.name()),
            sig.embedded_digest,
            match sig.digest_matches {
                Some(true) => "matches the file",
                Some(false) => "does NOT match the file",
                None => "not checked",
            }
        );
        if let Some(p) = &sig.opus_program_name {
            let _ = writeln!(s, "    program name:     {p}");
        }
        for (i, c) in sig.chain.iter().enumerate() {
            let role = match i {
                0 => "leaf",
                1 => "issuer",
                _ => "above",
            };
            let _ = writeln!(
                s,
                "    {role:<7} {} (issuer {}), TBS {}{}",
                c.subject_name,
                c.issuer_name,
                c.tbs_hash.as_deref().unwrap_or("?"),
                if c.ekus.is_empty() {
                    String::new()
                } else {
                    format!(", EKU {}", c.ekus.join(" "))
                }
            );
        }
        for p in &sig.problems {
            let _ = writeln!(s, "    problem: {p}");
        }
    }
    for p in &f.problems {
        let _ = writeln!(s, "  problem: {p}");
    }
    s
}
