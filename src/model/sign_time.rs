//! `Signer/@SignTimeAfter`: an `xs:dateTime` held as a Windows FILETIME.

use std::fmt;
use std::str::FromStr;

/// A point in time as 100-ns ticks since 1601-01-01 UTC (Windows FILETIME), which is what binary
/// policies store.
///
/// `xs:dateTime` values without a zone are taken as UTC, so the same XML compiles to the same
/// bytes on every machine (.NET-based tools would use the local zone of the machine they run on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignTime(pub i64);

/// The text was not an `xs:dateTime` this tool understands.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected an xs:dateTime like 2024-01-31T12:00:00Z, found `{0}`")]
pub struct SignTimeError(pub String);

const TICKS_PER_SEC: i64 = 10_000_000;
/// Days from 1601-01-01 to 1970-01-01.
const EPOCH_1601_TO_1970_DAYS: i64 = 134_774;

// Howard Hinnant's days-from-civil; counts days relative to 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn num(s: &str, len: usize) -> Option<i64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl FromStr for SignTime {
    type Err = SignTimeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || SignTimeError(text.to_string());
        let s = text.trim();
        let (date, time) = s.split_once('T').ok_or_else(err)?;
        let mut dp = date.split('-');
        let (y, m, d) = (
            dp.next().and_then(|p| num(p, 4)),
            dp.next().and_then(|p| num(p, 2)),
            dp.next().and_then(|p| num(p, 2)),
        );
        let (Some(y), Some(m), Some(d), None) = (y, m, d, dp.next()) else {
            return Err(err());
        };
        // Split off the zone designator.
        let (clock, offset_min) = if let Some(c) = time.strip_suffix('Z') {
            (c, 0)
        } else if let Some(pos) = time.rfind(['+', '-']) {
            let (c, z) = time.split_at(pos);
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (hh, mm) = z[1..].split_once(':').ok_or_else(err)?;
            let (Some(hh), Some(mm)) = (num(hh, 2), num(mm, 2)) else {
                return Err(err());
            };
            if hh > 14 || mm > 59 {
                return Err(err());
            }
            (c, sign * (hh * 60 + mm))
        } else {
            (time, 0)
        };
        let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
        let mut tp = hms.split(':');
        let (h, mi, se) = (
            tp.next().and_then(|p| num(p, 2)),
            tp.next().and_then(|p| num(p, 2)),
            tp.next().and_then(|p| num(p, 2)),
        );
        let (Some(h), Some(mi), Some(se), None) = (h, mi, se, tp.next()) else {
            return Err(err());
        };
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 || y < 1601 {
            return Err(err());
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) || (clock.contains('.') && frac.is_empty()) {
            return Err(err());
        }
        // Sub-tick digits (beyond 7) are truncated, as FILETIME cannot hold them.
        let mut ticks_frac = 0i64;
        for (i, b) in frac.bytes().take(7).enumerate() {
            ticks_frac += i64::from(b - b'0') * 10i64.pow(6 - i as u32);
        }
        let days = days_from_civil(y, m, d) + EPOCH_1601_TO_1970_DAYS;
        let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset_min * 60;
        secs.checked_mul(TICKS_PER_SEC)
            .and_then(|t| t.checked_add(ticks_frac))
            .map(SignTime)
            .ok_or_else(err)
    }
}

impl fmt::Display for SignTime {
    /// Always UTC with a `Z`, with seven fractional digits only when needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(TICKS_PER_SEC);
        let frac = self.0.rem_euclid(TICKS_PER_SEC);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days - EPOCH_1601_TO_1970_DAYS);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )?;
        if frac != 0 {
            write!(f, ".{frac:07}")?;
        }
        f.write_str("Z")
    }
}

impl serde::Serialize for SignTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_filetimes() {
        // 1970-01-01T00:00:00Z is 116444736000000000 in FILETIME.
        assert_eq!(
            "1970-01-01T00:00:00Z".parse::<SignTime>().unwrap().0,
            116_444_736_000_000_000
        );
        assert_eq!("1601-01-01T00:00:00".parse::<SignTime>().unwrap().0, 0);
        let t: SignTime = "2024-02-29T23:59:59.5+01:00".parse().unwrap();
        assert_eq!(t.to_string(), "2024-02-29T22:59:59.5000000Z");
        assert_eq!(t.to_string().parse::<SignTime>().unwrap(), t);
    }

    #[test]
    fn rejects() {
        for bad in [
            "2024-02-29",
            "2024-13-01T00:00:00",
            "24-01-01T00:00:00",
            "2024-01-01T00:00:00+1",
            "2024-01-01T00:00:00.",
        ] {
            assert!(bad.parse::<SignTime>().is_err(), "{bad}");
        }
    }
}
