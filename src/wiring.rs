//! Where format modules meet. The spec front-end may not import the XML reader or the scanner
//! (no format module knows another), so it takes them as callbacks; these are those callbacks,
//! shared by `build`, `validate`, `diff` and `audit`.

use crate::model::{Policy, SCENARIO_KERNEL, SCENARIO_USER};
use crate::scan::{Level, RuleOptions, WalkOptions, emit, run_scan};
use crate::spec::{ScanRequest, XmlReadError};
use crate::xml;

/// Reads SiPolicy XML for a spec's `include`s and `base` references.
pub fn read_xml(bytes: &[u8]) -> Result<Policy, XmlReadError> {
    xml::read(bytes).map(|d| d.policy).map_err(|e| XmlReadError {
        line: e.span.line,
        column: e.span.column,
        message: e.message,
    })
}

/// Runs one `[[scan]]` entry with the file scanner and returns the policy `cipolicy scan` would
/// write for it. `warn` receives one line per file that got no rule at any requested level or
/// fell back because its signature is unusable.
///
/// Files are named by the request's path prefix (from the spec's text), never by where the
/// folder is on this machine, and the scanner's output is sorted whatever the thread count, so
/// the built policy depends on the spec and the files' content only. A file or folder that
/// cannot be read is an error: the policy would silently lack its rules.
pub fn scan_folder(req: &ScanRequest<'_>, warn: &dyn Fn(&str)) -> Result<Policy, String> {
    let level = |s: &str| s.parse::<Level>().map_err(|e| e.to_string());
    if !req.folder.exists() {
        return Err("no such file or folder".into());
    }
    let rules = RuleOptions {
        level: level(req.level)?,
        fallbacks: req.fallback.iter().map(|f| level(f)).collect::<Result<_, _>>()?,
        user_mode: req.scenarios.contains(&SCENARIO_USER),
        kernel_mode: req.scenarios.contains(&SCENARIO_KERNEL),
        ..RuleOptions::default()
    };
    let walk = WalkOptions {
        omit: req.omit.to_vec(),
        path_prefix: Some(req.path_prefix.to_string()),
        ..WalkOptions::default()
    };
    let run = run_scan(&[req.folder.to_path_buf()], &walk, &rules).map_err(|e| e.to_string())?;
    // Problems of files that were read are attached to their facts; the rest could not be read.
    let unread: Vec<String> = run
        .output
        .issues
        .iter()
        .filter(|i| !run.output.files.iter().any(|f| f.path == i.path))
        .map(|i| format!("{}: {}", i.path, i.message))
        .collect();
    if !unread.is_empty() {
        return Err(unread.join("; "));
    }
    for i in &run.summary {
        warn(&format!("[[scan]] {}: {}", i.path, i.message));
    }
    Ok(emit::to_policy(&run.rules, None))
}
