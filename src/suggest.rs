//! "Did you mean …?" suggestions for misspelt names in XML and specs.

/// Most distance-table cells one [`closest`] call fills. The candidates can be every ID of a
/// large policy; a suggestion is not worth more than a few milliseconds, so past this the best
/// candidate among those compared so far is the answer.
const MAX_CELLS: usize = 1 << 22;

/// Levenshtein distance between `a` and `b` (characters, already lower-cased) if it is at most
/// `limit`, filling only the diagonal band of width `2 * limit + 1` and giving up on the first
/// row with nothing within `limit` (Ukkonen's cut-off), so that a long word costs
/// `O(len * limit)` instead of `O(len²)`. Adds the cells filled to `cells`, and gives up (`None`)
/// when that passes [`MAX_CELLS`].
fn distance_within(a: &[char], b: &[char], limit: usize, cells: &mut usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    const FAR: usize = usize::MAX / 2;
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| if j <= limit { j } else { FAR }).collect();
    let mut cur = vec![FAR; b.len() + 1];
    for i in 1..=a.len() {
        let lo = i.saturating_sub(limit).max(1);
        let hi = (i + limit).min(b.len());
        // The next row reads this one from `lo - 1` to `hi + 1`: what lies outside the band is
        // out of reach.
        cur[0] = if i <= limit { i } else { FAR };
        if lo > 1 {
            cur[lo - 1] = FAR;
        }
        if hi < b.len() {
            cur[hi + 1] = FAR;
        }
        let mut row_min = cur[0];
        for j in lo..=hi {
            let v = (prev[j - 1] + usize::from(a[i - 1] != b[j - 1]))
                .min(prev[j] + 1)
                .min(cur[j - 1] + 1);
            cur[j] = v;
            row_min = row_min.min(v);
        }
        *cells += (hi + 1).saturating_sub(lo);
        if row_min > limit || *cells > MAX_CELLS {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= limit)
}

/// The candidate closest to `word` (case-insensitive edit distance, ties to the smallest name),
/// if it is close enough to be a plausible typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    let w: Vec<char> = word.to_lowercase().chars().collect();
    let mut best: Option<(usize, &str)> = None;
    let mut cells = 0;
    for c in candidates {
        if cells > MAX_CELLS {
            break;
        }
        let within = best.map_or(limit, |(d, _)| d);
        let lc: Vec<char> = c.to_lowercase().chars().collect();
        if let Some(d) = distance_within(&w, &lc, within, &mut cells)
            && best.is_none_or(|b| (d, c) < b)
        {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `" (did you mean `x`?)"` or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain full-table distance, to check the banded one against.
    fn full(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.to_lowercase().chars().collect();
        let b: Vec<char> = b.to_lowercase().chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push((prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            closest("MinimumFileVerison", ["MinimumFileVersion", "MaximumFileVersion"]),
            Some("MinimumFileVersion")
        );
        assert_eq!(
            closest("min_verison", ["min_version", "max_version", "hash"]),
            Some("min_version")
        );
        assert_eq!(closest("Zebra", ["FileName", "Hash"]), None);
        // Equally close: the smallest name, whatever the order.
        assert_eq!(closest("ab", ["xb", "ay"]), Some("ay"));
        assert_eq!(closest("ab", ["ay", "xb"]), Some("ay"));
    }

    #[test]
    fn banded_distance_agrees_with_the_full_table() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "kitten",
            "sitting",
            "ID_ALLOW_A_1",
            "ID_ALLOW_A_12",
            "id_allow_b_1",
            "FileName",
            "FileNme",
            "MinimumFileVersion",
            "mInImUmFiLeVeRsIoN",
            "ÉCOLE",
            "école",
            "😀x",
            "x😀y",
        ];
        for a in words {
            for b in words {
                let want = full(a, b);
                let (ac, bc): (Vec<char>, Vec<char>) =
                    (a.to_lowercase().chars().collect(), b.to_lowercase().chars().collect());
                for limit in 0..8 {
                    let got = distance_within(&ac, &bc, limit, &mut 0);
                    assert_eq!(got, (want <= limit).then_some(want), "{a:?} {b:?} limit {limit}");
                }
            }
        }
    }

    #[test]
    fn many_long_candidates_stay_cheap() {
        // 100 000 IDs of one shape, and a 1 MB word: the band and the cell budget bound the work
        // (among that many, the answer is the best of those compared within the budget).
        let ids: Vec<String> = (0..100_000).map(|i| format!("ID_FILEATTRIB_F_{i}")).collect();
        let start = std::time::Instant::now();
        assert_eq!(
            closest("ID_FILEATTRIB_F_999x", ids.iter().map(String::as_str)),
            Some("ID_FILEATTRIB_F_999")
        );
        assert!(closest("ID_FILEATTRIB_F_99999x", ids.iter().map(String::as_str)).is_some());
        let long = "a".repeat(1 << 20);
        assert_eq!(closest(&long, ids.iter().map(String::as_str)), None);
        // Too long to compare within the budget: no suggestion rather than minutes of work.
        assert_eq!(closest(&long, [long.as_str()]), None);
        let short = "a".repeat(2000);
        assert_eq!(closest(&short, [short.as_str()]), Some(short.as_str()));
        // A hang detector, not a benchmark.
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
    }
}
