//! Four-part `major.minor.build.revision` versions (`VersionExType`).

use std::fmt;
use std::str::FromStr;

/// A WDAC version: four 16-bit parts, ordered numerically part by part.
///
/// Parsing is strict about shape (exactly four dot-separated decimal parts, each 0–65535) but
/// accepts leading zeros, as ConvertFrom-CIPolicy does (`1.1.23.0405` is `1.1.23.405`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub [u16; 4]);

impl Version {
    /// `0.0.0.0`.
    pub const ZERO: Version = Version([0; 4]);
    /// `65535.65535.65535.65535`, the value a bare Deny rule compiles to.
    pub const MAX: Version = Version([u16::MAX; 4]);

    /// The packed form used by the binary format: `major<<48 | minor<<32 | build<<16 | revision`.
    pub fn to_u64(self) -> u64 {
        let [a, b, c, d] = self.0.map(u64::from);
        (a << 48) | (b << 32) | (c << 16) | d
    }

    /// Inverse of [`Version::to_u64`].
    pub fn from_u64(v: u64) -> Self {
        Version([(v >> 48) as u16, (v >> 32) as u16, (v >> 16) as u16, v as u16])
    }
}

/// Why a version string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Not exactly four parts.
    #[error("expected four dot-separated parts (major.minor.build.revision), found {0}")]
    PartCount(usize),
    /// A part is empty or has a non-digit.
    #[error("part {index} `{part}` is not a decimal number")]
    NotDecimal {
        /// 1-based position of the part.
        index: usize,
        /// The offending text.
        part: String,
    },
    /// A part is larger than 65535.
    #[error("part {index} is {value}, larger than 65535")]
    TooLarge {
        /// 1-based position of the part.
        index: usize,
        /// The parsed value.
        value: u64,
    },
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Parts are cut at the dots found while counting them, and numbers are read from their
        // digits directly: a large policy parses thousands of versions, twice (schema and
        // reader), and a vector, `split` and `str::parse` for each were most of that time.
        let mut dots = [0usize; 3];
        let mut count = 1;
        for (i, &b) in s.as_bytes().iter().enumerate() {
            if b == b'.' {
                if let Some(d) = dots.get_mut(count - 1) {
                    *d = i;
                }
                count += 1;
            }
        }
        if count != 4 {
            return Err(VersionError::PartCount(count));
        }
        let mut out = [0u16; 4];
        let bounds = [
            (0, dots[0]),
            (dots[0] + 1, dots[1]),
            (dots[1] + 1, dots[2]),
            (dots[2] + 1, s.len()),
        ];
        for (i, (start, end)) in bounds.into_iter().enumerate() {
            let part = &s[start..end];
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::NotDecimal {
                    index: i + 1,
                    part: part.to_string(),
                });
            }
            // Digits only, so the only failure left is overflow.
            let digits = part.trim_start_matches('0');
            let value = if digits.len() > 6 {
                u64::MAX
            } else {
                digits.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'))
            };
            out[i] = u16::try_from(value).map_err(|_| VersionError::TooLarge { index: i + 1, value })?;
        }
        Ok(Version(out))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward reading `from_str` must agree with, errors included.
    fn reference(s: &str) -> Result<Version, VersionError> {
        let parts: Vec<&str> = s.split('.').collect();
        if parts.len() != 4 {
            return Err(VersionError::PartCount(parts.len()));
        }
        let mut out = [0u16; 4];
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::NotDecimal {
                    index: i + 1,
                    part: part.to_string(),
                });
            }
            let digits = part.trim_start_matches('0');
            let value = if digits.len() > 6 {
                u64::MAX
            } else {
                digits.parse::<u64>().unwrap_or(0)
            };
            out[i] = u16::try_from(value).map_err(|_| VersionError::TooLarge { index: i + 1, value })?;
        }
        Ok(Version(out))
    }

    #[test]
    fn agrees_with_the_reference_reading() {
        let inputs = [
            "",
            ".",
            "...",
            "....",
            "1.2.3.4",
            "0.0.0.0",
            "65535.65535.65535.65535",
            "65536.0.0.0",
            "0.0.0.999999",
            "0.0.0.1000000",
            "0.0.0.0000000000065535",
            "1.2.3.4.5",
            "1..3.4",
            "1.2.3.",
            "a.2.3.4",
            "1.2.3.4a",
            " 1.2.3.4",
            "1.2.3.\u{e9}",
            "\u{e9}",
            "1.2",
            "10.0.19041.1",
        ];
        for s in inputs {
            assert_eq!(s.parse::<Version>(), reference(s), "{s:?}");
        }
    }

    #[test]
    fn parses_and_packs() {
        let v: Version = "10.3.0.1".parse().unwrap();
        assert_eq!(v.to_u64().to_le_bytes(), [1, 0, 0, 0, 3, 0, 10, 0]);
        assert_eq!(Version::from_u64(v.to_u64()), v);
        assert_eq!("1.1.23.0405".parse::<Version>().unwrap().to_string(), "1.1.23.405");
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!("1.2.3".parse::<Version>(), Err(VersionError::PartCount(3)));
        assert!(matches!(
            "1.2.3.70000".parse::<Version>(),
            Err(VersionError::TooLarge { index: 4, .. })
        ));
        assert!(matches!(
            "1..3.4".parse::<Version>(),
            Err(VersionError::NotDecimal { index: 2, .. })
        ));
        assert!(matches!(
            "2.11.1.510_1".parse::<Version>(),
            Err(VersionError::NotDecimal { .. })
        ));
        assert!(matches!(
            "1.2.3.99999999999999999999".parse::<Version>(),
            Err(VersionError::TooLarge { .. })
        ));
    }
}
