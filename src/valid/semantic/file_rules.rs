//! File-rule content (§3.4), hashes (§3.7) and FilePath rules (§3.8) that do not depend on the
//! target build.

use foldhash::HashMap;

use super::{Ctx, group_path};
use crate::model::{Action, FileRule, FileRuleKind, GenericRuleType, OptionKind, SCENARIO_KERNEL, SCENARIO_USER};
use crate::valid::codes::Code;

/// FilePath macros Windows expands.
pub const PATH_MACROS: &[&str] = &["%OSDRIVE%", "%WINDIR%", "%SYSTEM32%"];

/// Folders writable by standard users (validation.md §6.3, from AaronLocker's measurements and
/// common knowledge), after macro expansion, lower case.
const USER_WRITABLE: &[&str] = &[
    r"c:\users\",
    r"c:\programdata\",
    r"c:\windows\temp\",
    r"c:\windows\tasks\",
    r"c:\windows\tracing\",
    r"c:\windows\system32\tasks\",
    r"c:\windows\system32\spool\printers\",
    r"c:\windows\system32\spool\servers\",
    r"c:\windows\system32\spool\drivers\color\",
    r"c:\windows\system32\fxstmp\",
    r"c:\windows\system32\com\dmp\",
    r"c:\windows\system32\microsoft\crypto\rsa\machinekeys\",
];

/// Expands the FilePath macros the way a default Windows installation would, lower-cased, with
/// forward slashes turned into backslashes.
pub fn expand_path(path: &str) -> String {
    let mut s = path.replace('/', "\\").to_lowercase();
    for (m, v) in [
        ("%system32%", r"c:\windows\system32"),
        ("%windir%", r"c:\windows"),
        ("%osdrive%", "c:"),
    ] {
        s = s.replace(m, v);
    }
    s
}

/// True when everything the path can match lies in a user-writable folder: the part before
/// the first wildcard is inside one.
pub fn user_writable(path: &str) -> bool {
    let e = expand_path(path);
    let fixed = e.split(['*', '?']).next().unwrap_or("");
    USER_WRITABLE.iter().any(|w| fixed.starts_with(w))
}

/// `%VAR%` names in a path, with their byte range.
fn path_variables(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('%') else { break };
        out.push(&rest[start..start + end + 2]);
        rest = &after[end + 1..];
    }
    out
}

fn is_pe_name(stem: &str) -> bool {
    let s = stem.as_bytes();
    [".exe", ".dll", ".ocx", ".cpl", ".scr", ".efi", ".mui"]
        .iter()
        .any(|x| s.len() >= x.len() && s[s.len() - x.len()..].eq_ignore_ascii_case(x.as_bytes()))
}

pub fn check(cx: &mut Ctx<'_>) {
    let p = cx.p;
    let mut hash_rules = 0usize;
    for (i, r) in p.file_rules.iter().enumerate() {
        content(cx, i, r);
        if let Some(h) = &r.hash {
            hash_rules += 1;
            if h.len() != 20 && h.len() != 32 {
                cx.emit_help(
                    Code::HS001,
                    &format!("file_rules[{i}]@Hash"),
                    format!("the hash is {} bytes; file-rule hashes are SHA-1 (20) or SHA-256 (32) bytes", h.len()),
                    if h.len() == 64 && h.0.iter().all(|b| b.is_ascii_hexdigit()) {
                        "these bytes are themselves hex digits: the hash was hex-encoded twice"
                    } else {
                        "Windows computes only SHA-1 and SHA-256 Authenticode, page and flat hashes, so this rule never matches"
                    },
                );
            }
        }
        if let Some(fp) = &r.file_path {
            file_path(cx, i, r, fp);
        }
    }
    hash_sets(cx);
    if hash_rules > 10_000 {
        cx.emit(
            Code::LM004,
            "file_rules",
            format!("{hash_rules} hash rules: very large hash lists slow down evaluation"),
        );
    }

    // FP001 and FP008: where path rules are used (the first rule with an ID is the one meant).
    // Rules without a path are the rule, so IDs are looked up only when some rule has a path.
    let any_path_rule = p.file_rules.iter().any(|r| r.file_path.is_some());
    let is_path_rule =
        |cx: &Ctx<'_>, id: &str| any_path_rule && cx.rule_ids.get(id).is_some_and(|r| r.file_path.is_some());
    for (i, s) in p.signing_scenarios.iter().enumerate() {
        for (g, group) in s.groups().into_iter().enumerate() {
            let gp = group_path(i, g);
            if s.value == SCENARIO_KERNEL {
                for (j, id) in group.file_rules_ref.iter().enumerate() {
                    if is_path_rule(cx, id.as_str()) {
                        cx.emit_help(
                            Code::FP001,
                            &format!("{gp}.file_rules_ref[{j}]"),
                            format!("FilePath rule `{id}` is used in the kernel-mode scenario"),
                            "FilePath rules apply to user mode only; allow drivers by signer or hash",
                        );
                    }
                }
            }
            for (j, a) in group.allowed.iter().enumerate() {
                for (k, id) in a.except_deny_rules.iter().enumerate() {
                    if is_path_rule(cx, id.as_str()) {
                        cx.emit(
                            Code::FP008,
                            &format!("{gp}.allowed[{j}].except_deny_rules[{k}]"),
                            format!("exception `{id}` is a FilePath rule; path rules cannot be exceptions"),
                        );
                    }
                }
            }
            for (j, d) in group.denied.iter().enumerate() {
                for (k, id) in d.except_allow_rules.iter().enumerate() {
                    if is_path_rule(cx, id.as_str()) {
                        cx.emit(
                            Code::FP008,
                            &format!("{gp}.denied[{j}].except_allow_rules[{k}]"),
                            format!("exception `{id}` is a FilePath rule; path rules cannot be exceptions"),
                        );
                    }
                }
            }
        }
    }

    // FR007, FR008: settings and AppID tags.
    for (i, s) in p.settings.iter().enumerate() {
        for (name, v) in [("Provider", &s.provider), ("Key", &s.key), ("ValueName", &s.value_name)] {
            if v.is_empty() {
                cx.emit(
                    Code::FR007,
                    &format!("settings[{i}]@{name}"),
                    format!("Setting {name} is empty"),
                );
            }
        }
    }
    let tags: usize = p
        .signing_scenarios
        .iter()
        .filter_map(|s| s.app_id_tags.as_ref())
        .map(|t| t.tags.len())
        .sum();
    if p.settings.len() + tags > 65535 {
        cx.emit(
            Code::FR007,
            "settings",
            format!(
                "{} Settings and {tags} AppIDTags: together they must not exceed 65535",
                p.settings.len()
            ),
        );
    }
    for (i, s) in p.signing_scenarios.iter().enumerate() {
        if s.app_id_tags.is_some() && s.value != SCENARIO_USER {
            cx.emit(
                Code::FR008,
                &format!("signing_scenarios[{i}].app_id_tags"),
                format!(
                    "AppIDTags belong to the user-mode scenario (12), not scenario {}",
                    s.value
                ),
            );
        }
    }

    // FR009: artifact rules.
    for (i, a) in p.artifact_rules.iter().enumerate() {
        if let (Some(min), Some(max)) = (a.minimum_version, a.maximum_version)
            && min > max
        {
            cx.emit(
                Code::FR009,
                &format!("artifact_rules[{i}]"),
                format!("MinimumVersion {min} is greater than MaximumVersion {max}"),
            );
        }
        if !cx.schema_ran
            && let Some((alg, h)) = &a.hash
            && h.len() != alg.digest_len()
        {
            cx.emit(
                Code::FR009,
                &format!("artifact_rules[{i}].hash"),
                format!(
                    "the {} digest is {} bytes, not {}",
                    alg.element(),
                    h.len(),
                    alg.digest_len()
                ),
            );
        }
    }
}

/// FR001–FR006, FR010, FR011 for rule `i`.
fn content(cx: &mut Ctx<'_>, i: usize, r: &FileRule) {
    // Formatted only for a finding: large policies have thousands of rules.
    let path = || format!("file_rules[{i}]");
    // The name lists are built only for a finding: this runs for every rule.
    let names = || {
        [
            ("FileName", r.file_name.is_some()),
            ("InternalName", r.internal_name.is_some()),
            ("FileDescription", r.file_description.is_some()),
            ("ProductName", r.product_name.is_some()),
            ("PackageFamilyName", r.package_family_name.is_some()),
            ("FilePath", r.file_path.is_some()),
        ]
    };
    let has_version =
        r.package_version.is_some() || r.minimum_file_version.is_some() || r.maximum_file_version.is_some();
    let has_name = r.file_name.is_some()
        || r.internal_name.is_some()
        || r.file_description.is_some()
        || r.product_name.is_some()
        || r.package_family_name.is_some()
        || r.file_path.is_some();
    if r.hash.is_some() {
        if has_name || has_version {
            let versions = [
                ("PackageVersion", r.package_version.is_some()),
                ("MinimumFileVersion", r.minimum_file_version.is_some()),
                ("MaximumFileVersion", r.maximum_file_version.is_some()),
            ];
            let extra: Vec<&str> = names()
                .iter()
                .chain(&versions)
                .filter(|(_, on)| *on)
                .map(|(n, _)| *n)
                .collect();
            cx.emit_help(
                Code::FR001,
                &path(),
                format!("rule `{}` has a Hash and also {}", r.id, extra.join(", ")),
                "a hash rule matches by hash alone; split it into a hash rule and an attribute rule",
            );
        }
    } else if !has_name {
        cx.emit_help(
            Code::FR002,
            &path(),
            if has_version {
                format!(
                    "rule `{}` has only a version; it needs a file name, path or other name to match",
                    r.id
                )
            } else {
                format!("rule `{}` has nothing to match on (no Hash, name or path)", r.id)
            },
            "add FileName (FileName=\"*\" with a version means any file name, as ConfigCI writes it)",
        );
    }
    if let (Some(min), Some(max)) = (r.minimum_file_version, r.maximum_file_version)
        && min > max
    {
        cx.emit(
            Code::FR003,
            &path(),
            format!("MinimumFileVersion {min} is greater than MaximumFileVersion {max}"),
        );
    }
    if r.app_ids.is_some() {
        let bad: Vec<&str> = names()[1..5].iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        if !bad.is_empty() {
            cx.emit(
                Code::FR004,
                &format!("file_rules[{i}]@AppIDs"),
                format!("AppIDs cannot be combined with {}", bad.join(", ")),
            );
        }
    }
    if let FileRuleKind::Generic(t) = r.kind {
        let (ok, want): (&[&str], &str) = match t {
            GenericRuleType::Match => (&["ID_ALLOW_", "ID_FILE_"], "ID_ALLOW_ or ID_FILE_"),
            GenericRuleType::Exclude => (&["ID_DENY_", "ID_FILE_"], "ID_DENY_ or ID_FILE_"),
            GenericRuleType::Attribute => (&["ID_FILEATTRIB_", "ID_FILE_"], "ID_FILEATTRIB_ or ID_FILE_"),
        };
        let fits = ok.iter().any(|pre| r.id.as_str().starts_with(pre));
        if !fits {
            cx.emit(
                Code::FR006,
                &format!("file_rules[{i}]@ID"),
                format!(
                    "a FileRule of Type `{}` needs an ID starting with {want}, not `{}`",
                    t.as_str(),
                    r.id
                ),
            );
        }
    }
    if r.kind.action() == Action::Deny {
        match (r.minimum_file_version, r.maximum_file_version) {
            // Minimum 65535.65535.65535.65535 alone (or maximum 0.0.0.0) is the "every version" idiom.
            (Some(min), None) if min != crate::model::Version::MAX => cx.emit_help(
                Code::FR010,
                &path(),
                format!("this Deny has only MinimumFileVersion, so it blocks version {min} and every lower version"),
                "a Deny with only MinimumFileVersion blocks at or below it; give MaximumFileVersion too for a range",
            ),
            (None, Some(max)) if max != crate::model::Version::ZERO => cx.emit_help(
                Code::FR010,
                &path(),
                format!("this Deny has only MaximumFileVersion, so it blocks version {max} and every higher version"),
                "a Deny with only MaximumFileVersion blocks at or above it; give MinimumFileVersion too for a range",
            ),
            _ => {}
        }
    }
    if r.kind.action() == Action::Allow && r.file_name.as_deref() == Some("*") {
        cx.emit(
            Code::FR011,
            &path(),
            format!(
                "rule `{}` allows every file (FileName=\"*\"); that suits only deny-list policies",
                r.id
            ),
        );
    }
}

fn file_path(cx: &mut Ctx<'_>, i: usize, r: &FileRule, fp: &str) {
    let path = format!("file_rules[{i}]@FilePath");
    if fp.chars().count() > 32767 {
        cx.emit(
            Code::FP009,
            &path,
            format!("FilePath is {} characters; the limit is 32767", fp.chars().count()),
        );
    }
    for var in path_variables(fp) {
        if !PATH_MACROS.iter().any(|m| m.eq_ignore_ascii_case(var)) {
            cx.emit_help(
                Code::FP003,
                &path,
                format!("`{var}` is not a FilePath macro"),
                "only %OSDRIVE%, %WINDIR% and %SYSTEM32% are expanded; write other folders out in full",
            );
        }
    }
    let last = fp.rsplit(['\\', '/']).next().unwrap_or("");
    if !fp.ends_with('*')
        && (fp.ends_with('\\')
            || fp.ends_with('/')
            || (!last.contains('.') && !last.contains('*') && !last.contains('?')))
    {
        cx.emit_help(
            Code::FP004,
            &path,
            format!("`{fp}` looks like a folder, but without a trailing `*` it matches only a file of that exact name"),
            format!(
                "write `{}*` to allow the folder's contents",
                if fp.ends_with(['\\', '/']) {
                    fp.to_string()
                } else {
                    format!("{fp}\\")
                }
            ),
        );
    }
    if r.kind.action() == Action::Allow
        && !cx.p.has_option(OptionKind::DisabledRuntimeFilePathRuleProtection)
        && user_writable(fp)
    {
        cx.emit_help(
            Code::FP006,
            &path,
            format!("`{fp}` lies in a folder standard users can write to; Windows ignores path rules for such files at run time"),
            "allow by signer or hash instead (option 18 turns the check off, at the cost of letting users plant files)",
        );
    }
}

/// HS002/HS005: ConfigCI names hash rules `<file> Hash Sha1`, `… Hash Sha256`, `… Hash Page Sha1`
/// and `… Hash Page Sha256`; a set that lacks the SHA-256 variant, or (for PE files) the page
/// variants, may not match.
fn hash_sets(cx: &mut Ctx<'_>) {
    #[derive(Default)]
    struct Set {
        first: usize,
        sha256: bool,
        page: bool,
        count: usize,
    }
    let p = cx.p;
    // Sets in order of first appearance, found by (deny, stem) through a map that is only asked,
    // never iterated; they are reported in (deny, stem) order below. ConfigCI writes a set's
    // rules one after another, so the newest set is tried before the map.
    let mut sets: Vec<((bool, &str), Set)> = Vec::new();
    let mut by_key: HashMap<(bool, &str), usize> = HashMap::default();
    for (i, r) in p.file_rules.iter().enumerate() {
        let (Some(_), Some(name)) = (&r.hash, &r.friendly_name) else {
            continue;
        };
        let action = r.kind.action();
        if action == Action::Attribute {
            continue;
        }
        let variants = [
            (" Hash Page Sha256", true, true),
            (" Hash Page Sha1", false, true),
            (" Hash Sha256", true, false),
            (" Hash Sha1", false, false),
        ];
        let Some((stem, sha256, page)) = variants
            .iter()
            .find_map(|(suffix, s256, pg)| name.strip_suffix(suffix).map(|stem| (stem, *s256, *pg)))
        else {
            continue;
        };
        let key = (action == Action::Deny, stem);
        let k = match sets.last() {
            Some((last, _)) if *last == key => sets.len() - 1,
            _ => *by_key.entry(key).or_insert_with(|| {
                sets.push((
                    key,
                    Set {
                        first: i,
                        ..Set::default()
                    },
                ));
                sets.len() - 1
            }),
        };
        let set = &mut sets[k].1;
        set.sha256 |= sha256;
        set.page |= page;
        set.count += 1;
    }
    // A lone rule does not show a set: some tools put the hash itself into the name.
    sets.retain(|(_, set)| set.count >= 2);
    sets.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for ((deny, stem), set) in sets {
        let mut missing = Vec::new();
        if !set.sha256 {
            missing.push("SHA-256");
        }
        // Microsoft's own driver block list has no page hashes for drivers, so drivers are held
        // only to the SHA-256 requirement (`is_pe_name` leaves `.sys` out).
        if !set.page && is_pe_name(stem) {
            missing.push("page-hash");
        }
        if missing.is_empty() {
            continue;
        }
        let code = if deny { Code::HS002 } else { Code::HS005 };
        cx.emit(
            code,
            &format!("file_rules[{}]", set.first),
            format!(
                "the hash rules for `{stem}` ({} of them) have no {} variant; {}",
                set.count,
                missing.join(" or "),
                if deny {
                    "Windows may compute a hash this set lacks and not block the file"
                } else {
                    "Windows may compute a hash this set lacks and block the file"
                }
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_writable_paths() {
        assert!(user_writable(r"%OSDRIVE%\Users\*"));
        assert!(user_writable(r"C:\ProgramData\Vendor\tool.exe"));
        assert!(!user_writable(r"*\tool.exe"));
        assert!(!user_writable(r"%OSDRIVE%\*"));
        assert!(user_writable(r"%SYSTEM32%\spool\drivers\color\x.dll"));
        assert!(!user_writable(r"%OSDRIVE%\Program Files\Vendor\*"));
        assert!(!user_writable(r"%WINDIR%\System32\*"));
    }

    #[test]
    fn variables() {
        assert_eq!(
            path_variables(r"%OSDRIVE%\a\%USERPROFILE%\b"),
            vec!["%OSDRIVE%", "%USERPROFILE%"]
        );
        assert!(path_variables(r"C:\50%\x").is_empty());
    }
}
