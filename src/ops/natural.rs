//! Natural ordering of IDs (`ID_ALLOW_A_2` before `ID_ALLOW_A_10`), so sorted output reads the
//! way people number things.

use std::cmp::Ordering;

/// Compares two strings with runs of ASCII digits compared as numbers (`A_2` before `A_10`).
/// Runs are compared pairwise: digit runs by value, a digit run before a non-digit run, other runs
/// bytewise. Ties between numerically equal runs (`A_01` vs `A_1`) fall back to plain byte order,
/// so the order is total and consistent with equality.
pub fn cmp(a: &str, b: &str) -> Ordering {
    key(a).cmp(&key(b))
}

/// The sort key [`cmp`] compares, for `sort_by_cached_key` over many items.
pub fn key(s: &str) -> (Vec<Part<'_>>, &str) {
    let b = s.as_bytes();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let d = trim_zeros(&b[start..i]);
            parts.push(Part::Num(d.len(), d));
        } else {
            while i < b.len() && !b[i].is_ascii_digit() {
                i += 1;
            }
            parts.push(Part::Text(&b[start..i]));
        }
    }
    (parts, s)
}

/// [`key`] with owned data, for `sort_by_cached_key`.
pub fn owned_key(s: &str) -> (Vec<(bool, usize, Vec<u8>)>, String) {
    let (parts, s) = key(s);
    let parts = parts
        .into_iter()
        .map(|p| match p {
            Part::Num(n, d) => (false, n, d.to_vec()),
            Part::Text(t) => (true, 0, t.to_vec()),
        })
        .collect();
    (parts, s.to_string())
}

/// A run of a string: digits compare by value (length of the significant digits, then digits),
/// everything else bytewise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part<'a> {
    /// Significant digit count and digits.
    Num(usize, &'a [u8]),
    /// Non-digit bytes.
    Text(&'a [u8]),
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|&&c| c == b'0').count();
    &d[n.min(d.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_numbers() {
        let mut v = vec!["ID_A_10", "ID_A_2", "ID_A_1", "ID_B", "ID_A_01", "ID_A"];
        v.sort_by(|a, b| cmp(a, b));
        assert_eq!(v, ["ID_A", "ID_A_01", "ID_A_1", "ID_A_2", "ID_A_10", "ID_B"]);
        assert_eq!(cmp("X", "X"), Ordering::Equal);
        assert_eq!(cmp("A_9Z", "A_10"), Ordering::Less);
        let mut w = v.clone();
        w.reverse();
        w.sort_by_cached_key(|s| owned_key(s));
        assert_eq!(w, v);
    }
}
