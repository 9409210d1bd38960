//! Simple types of `cipolicy.xsd` and their lexical checks, as libxml2 2.9 applies them (the
//! reference the tests compare against): integers take digits only (no sign, no surrounding
//! spaces), booleans and hexBinary are whitespace-collapsed, strings and patterns are matched
//! as written, and `^`/`$` are ordinary characters in patterns.

use std::sync::LazyLock;

use regex::Regex;

use crate::valid::codes::Code;

/// An ID pattern type: `PREFIX[A-Z][_A-Z0-9]*` for each allowed prefix, plus a minimum length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdType {
    /// XSD type name, for messages.
    pub name: &'static str,
    /// Allowed prefixes.
    pub prefixes: &'static [&'static str],
    /// `xs:minLength`.
    pub min_len: usize,
}

/// `SignerIdType`.
pub const SIGNER_ID: IdType = IdType {
    name: "SignerIdType",
    prefixes: &["ID_SIGNER_"],
    min_len: 1,
};
/// `EKUType`.
pub const EKU_ID: IdType = IdType {
    name: "EKUType",
    prefixes: &["ID_EKU_"],
    min_len: 1,
};
/// `SigningScenarioIDType`.
pub const SCENARIO_ID: IdType = IdType {
    name: "SigningScenarioIDType",
    prefixes: &["ID_SIGNINGSCENARIO_"],
    min_len: 1,
};
/// `AllowType`.
pub const ALLOW_ID: IdType = IdType {
    name: "AllowType",
    prefixes: &["ID_ALLOW_", "ID_FILE_"],
    min_len: 0,
};
/// `DenyType`.
pub const DENY_ID: IdType = IdType {
    name: "DenyType",
    prefixes: &["ID_DENY_", "ID_FILE_"],
    min_len: 1,
};
/// `FileAttribType`.
pub const FILE_ATTRIB_ID: IdType = IdType {
    name: "FileAttribType",
    prefixes: &["ID_FILEATTRIB_", "ID_FILE_"],
    min_len: 10,
};
/// `FileRuleType`.
pub const FILE_RULE_ID: IdType = IdType {
    name: "FileRuleType",
    prefixes: &["ID_FILE_", "ID_ALLOW_", "ID_DENY_", "ID_FILEATTRIB_"],
    min_len: 0,
};
/// `RuleIdType`.
pub const RULE_REF_ID: IdType = IdType {
    name: "RuleIdType",
    prefixes: &["ID_ALLOW_", "ID_DENY_", "ID_FILE_"],
    min_len: 1,
};
/// `ArtifactAttribType`.
pub const ARTIFACT_ID: IdType = IdType {
    name: "ArtifactAttribType",
    prefixes: &["ID_ARTIFACTATTRIB_", "ID_ARTIFACT_"],
    min_len: 14,
};

/// A simple type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `xs:string` (anything).
    String,
    /// String enumeration, compared exactly.
    Enum(&'static [&'static str]),
    /// `GuidType`.
    Guid,
    /// `VersionExType`: the pattern `[0-9]*.[0-9]*.[0-9]*.[0-9]*`, with its unescaped dots.
    VersionEx,
    /// `xs:hexBinary`.
    Hex,
    /// `xs:hexBinary` with `xs:length` in bytes.
    HexLen(usize),
    /// `xs:unsignedByte`.
    UByte,
    /// `xs:unsignedShort`.
    UShort,
    /// `xs:unsignedInt`.
    UInt,
    /// `xs:boolean`.
    Bool,
    /// `xs:dateTime`.
    DateTime,
    /// `xs:anyURI`.
    AnyUri,
    /// An ID pattern type.
    Id(IdType),
    /// `SigningScenarioIDsType`.
    ScenarioIds,
    /// `MacroIdType`.
    MacroId,
    /// `MacroValueStringType`.
    MacroValue,
    /// `AppIdType`.
    AppIds,
}

/// Why a value failed its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    /// Code to report.
    pub code: Code,
    /// Explanation (what was expected).
    pub message: String,
}

fn err(code: Code, message: impl Into<String>) -> Result<(), TypeError> {
    Err(TypeError {
        code,
        message: message.into(),
    })
}

/// XML whitespace.
pub fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn collapse(s: &str) -> &str {
    s.trim_matches(is_xml_space)
}

// The patterns are written here in Rust syntax, anchored.
static MACRO_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-zA-Z_][a-zA-Z_0-9.]*$").expect("static regex"));
const VALUE_CLASS: &str = r"[a-zA-Z0-9\-_!@#%&\^.,;:=+~`'{}()\[\]$ \\]";
static MACRO_VALUE: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!("^{VALUE_CLASS}*$")).expect("static regex"));
// libxml2 2.9.14 accepts exactly this language for AppIdType (probed value by value with xmllint
// on the `\$`-patched schema): a literal `^` then any non-`$`, or one or more `$(Id)` tokens,
// either followed by any run of the value class. Standard XSD would anchor the class run to the
// first branch only; .NET reads the first `^` as an anchor (see [`app_ids_dotnet`]).
static APP_IDS_LIBXML2: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^(\^[^$]|(\$\([a-zA-Z_][a-zA-Z_0-9.]*\))+){VALUE_CLASS}*$")).expect("static regex")
});
static APP_IDS_DOTNET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^([^$]{VALUE_CLASS}*|(\$\([a-zA-Z_][a-zA-Z_0-9.]*\))+)$")).expect("static regex")
});
static SCENARIO_IDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^((ID_SIGNINGSCENARIO_[A-Z][_A-Z0-9]*),?)*$").expect("static regex"));

/// True when `s` matches the AppIdType pattern as .NET (ConfigCI) reads it.
pub fn app_ids_dotnet(s: &str) -> bool {
    APP_IDS_DOTNET.is_match(s)
}

/// True when `s` matches one of the ID type's patterns (ignoring the length facet). A match is
/// all ASCII.
pub fn id_matches(t: IdType, s: &str) -> bool {
    // Bytes, not chars: every character the pattern allows is ASCII, and no byte of a non-ASCII
    // character is.
    t.prefixes.iter().any(|p| {
        s.as_bytes().strip_prefix(p.as_bytes()).is_some_and(|rest| {
            rest.first().is_some_and(u8::is_ascii_uppercase)
                && rest[1..]
                    .iter()
                    .all(|&b| b == b'_' || b.is_ascii_uppercase() || b.is_ascii_digit())
        })
    })
}

/// `VersionExType`: `[0-9]*.[0-9]*.[0-9]*.[0-9]*` with XSD's `.` (any character but a line
/// break). Checked by hand rather than with a regular expression, as it is checked for every
/// version attribute: the set of how many `.` positions may have been used so far is tracked
/// as a bit mask (bit k: k used).
fn version_ex(s: &str) -> bool {
    let mut states: u8 = 1;
    for c in s.chars() {
        states = match c {
            '\n' | '\r' => return false,
            // A digit stays in a digit run or takes the next `.` position.
            '0'..='9' => states | (states << 1),
            _ => states << 1,
        } & 0b1111;
        if states == 0 {
            return false;
        }
    }
    states & 0b1000 != 0
}

/// True when every byte is a hex digit. Not short-circuiting, so that the loop over the long
/// digests of hash rules can be vectorised (values are nearly always valid).
fn all_hex(s: &str) -> bool {
    s.bytes().fold(true, |ok, b| ok & b.is_ascii_hexdigit())
}

fn unsigned(s: &str, max: u64, name: &str) -> Result<(), TypeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return err(Code::XS012, format!("expected a whole number (digits only) for {name}"));
    }
    let digits = s.trim_start_matches('0');
    let value = if digits.len() > 20 {
        u128::MAX
    } else {
        digits.parse::<u128>().unwrap_or(0)
    };
    if value > u128::from(max) {
        return err(Code::XS012, format!("{s} is larger than {max}, the maximum of {name}"));
    }
    Ok(())
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// `xs:dateTime` lexical form: `-?YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?`.
fn date_time(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let Some((date, time)) = body.split_once('T') else {
        return false;
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    // Four or more year digits, no leading zero beyond four digits, and no year 0000.
    if y.len() < 4 || !y.bytes().all(|b| b.is_ascii_digit()) || (y.len() > 4 && y.starts_with('0')) {
        return false;
    }
    let Ok(year) = y.parse::<i64>() else { return false };
    if year == 0 {
        return false;
    }
    let (Some(month), Some(day)) = (two_digits(m), two_digits(d)) else {
        return false;
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days_in_month {
        return false;
    }
    let (clock, zone) = if let Some(c) = time.strip_suffix('Z') {
        (c, None)
    } else if time.len() > 6 && matches!(time.as_bytes()[time.len() - 6], b'+' | b'-') {
        let (c, z) = time.split_at(time.len() - 6);
        (c, Some(&z[1..]))
    } else {
        (time, None)
    };
    if let Some(z) = zone {
        let Some((hh, mm)) = z.split_once(':') else {
            return false;
        };
        let (Some(hh), Some(mm)) = (two_digits(hh), two_digits(mm)) else {
            return false;
        };
        if mm > 59 || hh * 60 + mm > 14 * 60 {
            return false;
        }
    }
    let (hms, frac) = match clock.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (clock, None),
    };
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let hp: Vec<&str> = hms.split(':').collect();
    let [h, mi, se] = hp.as_slice() else { return false };
    let (Some(h), Some(mi), Some(se)) = (two_digits(h), two_digits(mi), two_digits(se)) else {
        return false;
    };
    let frac_zero = frac.is_none_or(|f| f.bytes().all(|b| b == b'0'));
    (h < 24 && mi < 60 && se < 60) || (h == 24 && mi == 0 && se == 0 && frac_zero)
}

/// anyURI as libxml2 checks it: characters it escapes itself are fine; `%` must start an escape
/// and there is at most one fragment `#`.
fn any_uri(s: &str) -> bool {
    let b = s.as_bytes();
    let bad_escape = b
        .iter()
        .enumerate()
        .any(|(i, &c)| c == b'%' && !(i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()));
    // A colon before the first `/`, `?` or `#` ends a scheme, which must be a letter then
    // letters, digits, `+`, `-`, `.`; brackets belong only to an IP-literal authority.
    let first_delim = s.find(['/', '?', '#']).unwrap_or(s.len());
    let scheme_ok = s[..first_delim].find(':').is_none_or(|colon| {
        let scheme = &s[..colon];
        scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    let brackets_ok = !(s.contains('[') || s.contains(']')) || s.contains("//[");
    !bad_escape && scheme_ok && brackets_ok && s.matches('#').count() <= 1
}

/// Checks a value (an attribute value, or an element's character data) against a type.
pub fn check(ty: Ty, value: &str) -> Result<(), TypeError> {
    // This runs for every attribute of a document; keeping the error messages out of the common
    // path keeps it small.
    if accepts(ty, value) { Ok(()) } else { explain(ty, value) }
}

/// True when `value` is of type `ty`: what [`explain`] accepts, without building messages.
fn accepts(ty: Ty, value: &str) -> bool {
    match ty {
        Ty::String => true,
        Ty::Enum(allowed) => allowed.contains(&value),
        Ty::Guid => guid(value),
        Ty::VersionEx => version_ex(value),
        Ty::Hex => hex(value).is_some(),
        Ty::HexLen(n) => hex(value).is_some_and(|v| v.len() / 2 == n),
        Ty::UByte => unsigned(value, u64::from(u8::MAX), "unsignedByte").is_ok(),
        Ty::UShort => unsigned(value, u64::from(u16::MAX), "unsignedShort").is_ok(),
        Ty::UInt => unsigned(value, u64::from(u32::MAX), "unsignedInt").is_ok(),
        Ty::Bool => matches!(collapse(value), "true" | "false" | "1" | "0"),
        Ty::DateTime => date_time(value),
        Ty::AnyUri => any_uri(collapse(value)),
        // A match is ASCII, so its length in bytes is its length in characters.
        Ty::Id(t) => id_matches(t, value) && value.len() >= t.min_len,
        Ty::ScenarioIds => !value.is_empty() && SCENARIO_IDS.is_match(value),
        Ty::MacroId => MACRO_ID.is_match(value),
        Ty::MacroValue => MACRO_VALUE.is_match(value),
        Ty::AppIds => APP_IDS_LIBXML2.is_match(value),
    }
}

/// `GuidType`: a GUID in braces.
fn guid(value: &str) -> bool {
    value.len() == 38
        && value.starts_with('{')
        && value.ends_with('}')
        && value[1..37].bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The whitespace-collapsed value when it is `xs:hexBinary`.
fn hex(value: &str) -> Option<&str> {
    let v = collapse(value);
    (all_hex(v) && v.len().is_multiple_of(2)).then_some(v)
}

/// Why `value` is not of type `ty` (`Ok` when it is).
#[cold]
#[inline(never)]
fn explain(ty: Ty, value: &str) -> Result<(), TypeError> {
    match ty {
        Ty::String => Ok(()),
        Ty::Enum(allowed) => {
            if allowed.contains(&value) {
                Ok(())
            } else {
                let hint = crate::suggest::did_you_mean(value, allowed.iter().copied());
                err(
                    Code::XS008,
                    format!(
                        "`{value}` is not one of {}{hint}",
                        allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
            }
        }
        Ty::Guid => {
            if guid(value) {
                Ok(())
            } else {
                err(
                    Code::XS009,
                    format!("`{value}` is not a GUID in braces like {{A244370E-44C9-4C06-B551-F6016E563076}}"),
                )
            }
        }
        Ty::VersionEx => {
            if version_ex(value) {
                Ok(())
            } else {
                err(
                    Code::XS015,
                    format!("`{value}` does not match VersionExType `[0-9]*.[0-9]*.[0-9]*.[0-9]*`"),
                )
            }
        }
        Ty::Hex | Ty::HexLen(_) => {
            let v = collapse(value);
            if !all_hex(v) || !v.len().is_multiple_of(2) {
                return err(
                    Code::XS010,
                    format!("`{v}` is not hexBinary (an even number of hex digits, nothing else)"),
                );
            }
            match ty {
                Ty::HexLen(n) if v.len() / 2 != n => err(
                    Code::XS011,
                    format!("the digest is {} bytes; this algorithm's is {n}", v.len() / 2),
                ),
                _ => Ok(()),
            }
        }
        Ty::UByte => unsigned(value, u64::from(u8::MAX), "unsignedByte"),
        Ty::UShort => unsigned(value, u64::from(u16::MAX), "unsignedShort"),
        Ty::UInt => unsigned(value, u64::from(u32::MAX), "unsignedInt"),
        Ty::Bool => match collapse(value) {
            "true" | "false" | "1" | "0" => Ok(()),
            v => err(
                Code::XS013,
                format!("`{v}` is not an xs:boolean; write `true` or `false` (lower case)"),
            ),
        },
        Ty::DateTime => {
            if date_time(value) {
                Ok(())
            } else {
                err(
                    Code::XS014,
                    format!("`{value}` is not an xs:dateTime like 2024-01-31T12:00:00Z"),
                )
            }
        }
        Ty::AnyUri => {
            if any_uri(collapse(value)) {
                Ok(())
            } else {
                err(Code::XS015, format!("`{value}` is not a URI reference"))
            }
        }
        Ty::Id(t) => {
            if id_matches(t, value) && value.chars().count() >= t.min_len {
                Ok(())
            } else {
                let shape = t
                    .prefixes
                    .iter()
                    .map(|p| format!("`{p}[A-Z][_A-Z0-9]*`"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                let extra = if id_matches(t, value) {
                    format!(" (at least {} characters)", t.min_len)
                } else if id_matches(t, &value.to_ascii_uppercase()) {
                    " (IDs are upper case only)".to_string()
                } else {
                    String::new()
                };
                err(
                    Code::ID002,
                    format!("`{value}` does not match {} {shape}{extra}", t.name),
                )
            }
        }
        Ty::ScenarioIds => {
            if !value.is_empty() && SCENARIO_IDS.is_match(value) {
                Ok(())
            } else {
                err(
                    Code::XS015,
                    format!("`{value}` is not a comma-separated list of ID_SIGNINGSCENARIO_ IDs (no spaces)"),
                )
            }
        }
        Ty::MacroId => {
            if MACRO_ID.is_match(value) {
                Ok(())
            } else {
                err(
                    Code::XS015,
                    format!("`{value}` does not match MacroIdType `[a-zA-Z_][a-zA-Z_0-9.]*`"),
                )
            }
        }
        Ty::MacroValue => {
            if MACRO_VALUE.is_match(value) {
                Ok(())
            } else {
                err(
                    Code::XS015,
                    format!(
                        "`{value}` has characters MacroValueStringType does not allow (letters, digits, space and -_!@#%&^.,;:=+~`'{{}}()[]$\\ only)"
                    ),
                )
            }
        }
        Ty::AppIds => {
            if APP_IDS_LIBXML2.is_match(value) {
                Ok(())
            } else if app_ids_dotnet(value) {
                err(
                    Code::XS017,
                    format!(
                        "`{value}` matches AppIdType only where `^` is an anchor (.NET, ConfigCI); standard XSD validators such as libxml2 reject it"
                    ),
                )
            } else {
                err(
                    Code::XS015,
                    format!(
                        "`{value}` is neither one literal not starting with `$` nor a run of `$(MacroId)` references"
                    ),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ty: Ty, v: &str) -> bool {
        check(ty, v).is_ok()
    }

    // Each expectation below was observed with xmllint (libxml2 2.9.14) on the patched schema.
    #[test]
    fn libxml2_observations() {
        for (v, want) in [
            ("1.0.0.0", true),
            (" 1.0.0.0", false),
            ("abc", true),
            ("", false),
            ("1.2.3", true),
            ("a.b.c.d", false),
        ] {
            assert_eq!(ok(Ty::VersionEx, v), want, "VersionEx {v:?}");
        }
        for (v, want) in [
            ("12", true),
            ("+12", false),
            ("-0", false),
            (" 12 ", false),
            ("012", true),
            ("256", false),
            ("", false),
            ("00000000000000000000012", true),
        ] {
            assert_eq!(ok(Ty::UByte, v), want, "UByte {v:?}");
        }
        for (v, want) in [
            ("$(X)", true),
            ("$(X)$(Y)", true),
            ("^abc", true),
            ("$(X)a", true),
            ("$(X)$(Y)é", false),
            ("x$(X)", false),
            ("$()", false),
            ("^", false),
            ("^é", true),
            ("a", false),
        ] {
            assert_eq!(ok(Ty::AppIds, v), want, "AppIds {v:?}");
        }
        assert_eq!(check(Ty::AppIds, "TestApp").unwrap_err().code, Code::XS017);
        for (v, want) in [
            ("2020-01-01T00:00:00", true),
            (" 2020-01-01T00:00:00 ", false),
            ("2020-01-01T00:00:00.5+01:00", true),
            ("2020-02-30T00:00:00", false),
            ("2020-01-01T24:00:00", true),
            ("2020-01-01T24:30:00", false),
            ("-2020-01-01T00:00:00", true),
            ("12020-01-01T00:00:00", true),
            ("02020-01-01T00:00:00", false),
            ("0000-01-01T00:00:00", false),
            ("2020-01-01T00:00:00+14:00", true),
            ("2020-01-01T00:00:00+14:01", false),
            ("2021-02-29T00:00:00", false),
            ("2000-02-29T00:00:00", true),
            ("1900-02-29T00:00:00", false),
            ("-0004-02-29T00:00:00", true),
            ("-0001-02-29T00:00:00", false),
            ("2020-01-01T00:00:00.", false),
        ] {
            assert_eq!(ok(Ty::DateTime, v), want, "DateTime {v:?}");
        }
        for (v, want) in [(" true ", true), ("True", false), ("", false)] {
            assert_eq!(ok(Ty::Bool, v), want, "Bool {v:?}");
        }
        for (v, want) in [(" AB ", true), ("", true), ("A", false), ("A B", false)] {
            assert_eq!(ok(Ty::Hex, v), want, "Hex {v:?}");
        }
        for (v, want) in [
            ("x y", true),
            ("", true),
            ("%", false),
            ("a#b#c", false),
            ("a[b]", false),
            ("http://[::1]/", true),
            (":", false),
            ("a:b:c", true),
            ("a%4", false),
        ] {
            assert_eq!(ok(Ty::AnyUri, v), want, "AnyUri {v:?}");
        }
        assert!(ok(Ty::VersionEx, "é1a2"));
        assert!(!ok(Ty::VersionEx, "1.2.3.4.5"));
        assert!(!ok(Ty::VersionEx, "1.2\n3.4"));
        assert!(ok(Ty::Id(FILE_ATTRIB_ID), "ID_FILE_AB"));
        assert!(!ok(Ty::Id(FILE_ATTRIB_ID), "ID_FILE_A"));
        assert!(!ok(Ty::Id(SIGNER_ID), "ID_SIGNER_a"));
        assert!(!ok(Ty::Id(SIGNER_ID), "ID_SIGNER_1A"));
    }

    /// The fast path that `check` takes first accepts exactly what the path that words the
    /// errors accepts, for every type, on valid and invalid values of each.
    #[test]
    fn accepts_agrees_with_explain() {
        let types = [
            Ty::String,
            Ty::Enum(&["Allow", "Deny"]),
            Ty::Guid,
            Ty::VersionEx,
            Ty::Hex,
            Ty::HexLen(1),
            Ty::HexLen(2),
            Ty::UByte,
            Ty::UShort,
            Ty::UInt,
            Ty::Bool,
            Ty::DateTime,
            Ty::AnyUri,
            Ty::Id(FILE_ATTRIB_ID),
            Ty::Id(SIGNER_ID),
            Ty::ScenarioIds,
            Ty::MacroId,
            Ty::MacroValue,
            Ty::AppIds,
        ];
        let values = [
            "",
            " ",
            "0",
            "1",
            " 1 ",
            "true",
            "false",
            "TRUE",
            "255",
            "256",
            "65535",
            "65536",
            "4294967295",
            "4294967296",
            "-1",
            "1.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "\u{e9}1a2",
            "1.2\n3.4",
            "0a",
            "0A ",
            " 0aff ",
            "0g",
            "abc",
            "{A244370E-44C9-4C06-B551-F6016E563076}",
            "{A244370E-44C9-4C06-B551-F6016E56307}",
            "A244370E-44C9-4C06-B551-F6016E563076",
            "2024-01-01T00:00:00Z",
            "2024-13-01T00:00:00",
            "http://x/",
            "a#b#c",
            "a%4",
            "ID_FILE_AB",
            "ID_FILE_A",
            "ID_SIGNER_a",
            "ID_SIGNER_1A",
            "ID_SIGNER_A",
            "x y",
            "%",
            "Allow",
            "allow",
            "12 131",
            "_a.b",
            "1a",
            "a=b;c",
        ];
        for ty in types {
            for v in values {
                assert_eq!(accepts(ty, v), explain(ty, v).is_ok(), "{ty:?} {v:?}");
            }
        }
    }

    /// The hand-written VersionExType check accepts exactly what the pattern, as a regular
    /// expression, does: every string of up to six characters over an alphabet of digits,
    /// dots, other ASCII, a line break and a non-ASCII character.
    #[test]
    fn version_ex_is_the_pattern() {
        let re = Regex::new(r"^[0-9]*[^\n\r][0-9]*[^\n\r][0-9]*[^\n\r][0-9]*$").unwrap();
        let alphabet = ['0', '7', '.', 'a', '\n', '\r', 'é'];
        let mut words = vec![String::new()];
        for _ in 0..6 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            for w in &longer {
                assert_eq!(version_ex(w), re.is_match(w), "{w:?}");
            }
            words = longer;
        }
    }
}
