//! Ordering rules of cip-format.md §7: the file-rule comparison (§7.2) and the .NET sort
//! algorithms whose tie order the binary depends on (§7.3).
//!
//! Hand-written because the point is to reproduce two specific .NET `Array.Sort`
//! implementations exactly, including how they permute equal elements; no crate does that.

use std::cmp::Ordering;
use std::sync::OnceLock;

/// Which .NET sort places rules that compare equal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SortAlgorithm {
    /// .NET Framework's pre-4.5 "legacy" quicksort (`DepthLimitedQuickSort`), which
    /// ConvertFrom-CIPolicy gets in Windows PowerShell. Verified on Microsoft's block lists.
    #[default]
    LegacyQuickSort,
    /// .NET's introsort (.NET Core, and .NET Framework for processes targeting 4.5+ such as the
    /// WDAC Wizard). Unverified against a real pair.
    IntroSort,
}

/// Simple upper-case mapping of every BMP code unit (surrogates map to themselves), as
/// .NET's `OrdinalIgnoreCase` does per UTF-16 code unit. Rust only offers the full mapping; a
/// character whose full mapping is several characters (`ß`, ligatures) keeps its own value,
/// which is the simple mapping in nearly every case.
fn upper_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=0xFFFFu32)
            .map(|u| {
                let Some(c) = char::from_u32(u) else {
                    return u as u16;
                };
                let mut up = c.to_uppercase();
                match (up.next(), up.next()) {
                    (Some(x), None) if (x as u32) <= 0xFFFF => x as u32 as u16,
                    _ => u as u16,
                }
            })
            .collect()
    })
}

/// A string prepared for ordinal ignore-case comparison: its UTF-16 code units, upper-cased.
pub fn fold(s: &str) -> Vec<u16> {
    let t = upper_table();
    s.encode_utf16().map(|u| t[u as usize]).collect()
}

/// Ordinal ignore-case comparison with upper-case folding (§7.2).
pub fn compare_ignore_case(a: &str, b: &str) -> Ordering {
    let t = upper_table();
    a.encode_utf16()
        .map(|u| t[u as usize])
        .cmp(b.encode_utf16().map(|u| t[u as usize]))
}

/// The sort key of one file rule (§7.2): type code, then FileName, InternalName,
/// FileDescription, ProductName, PackageFamilyName, FilePath (folded; `None` = absent, which sorts
/// before any present value), then the hash bytes.
///
/// An empty name counts as absent. The binary stores both the same way, so a compiler that sorted
/// `FileName=""` after an absent FileName would write an order that no decoded model (which can
/// only say absent) sorts back to; how ConvertFrom-CIPolicy orders empty names is not known
/// (docs/cip-format.md, open question 6), and no known policy has one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleKey {
    type_code: u32,
    names: [Option<Vec<u16>>; 6],
    hash: Vec<u8>,
}

impl RuleKey {
    /// Builds the key. `names` are FileName, InternalName, FileDescription, ProductName,
    /// PackageFamilyName, FilePath.
    pub fn new(type_code: u32, names: [Option<&str>; 6], hash: &[u8]) -> Self {
        RuleKey {
            type_code,
            names: names.map(|n| n.filter(|s| !s.is_empty()).map(fold)),
            hash: hash.to_vec(),
        }
    }
}

/// The sort key of a setting: Provider, Key, ValueName, each folded.
pub fn setting_key(provider: &str, key: &str, value_name: &str) -> [Vec<u16>; 3] {
    [fold(provider), fold(key), fold(value_name)]
}

/// Sorts `keys` with `algo` and returns the permutation: element `k` of the sorted sequence is
/// `keys[perm[k]]`.
pub fn sort_permutation<K: Ord>(keys: &[K], algo: SortAlgorithm) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..keys.len()).collect();
    let cmp = |a: &usize, b: &usize| keys[*a].cmp(&keys[*b]);
    match algo {
        SortAlgorithm::LegacyQuickSort => legacy_quicksort(&mut perm, &cmp),
        SortAlgorithm::IntroSort => introsort(&mut perm, &cmp),
    }
    perm
}

/// For `sorted` keys (already in sorted order), an input order that `algo` sorts back into
/// exactly this sequence: element `j` of that input is `sorted[order[j]]`.
///
/// Sorting permutes ties, so re-sorting a sorted sequence can move equal elements. The
/// permutation a comparison sort applies depends only on the outcomes of its comparisons, and any
/// sequence with the same key at every position gives the same outcomes. With `p` the
/// permutation the sort applies to `sorted` (output `k` = input `p[k]`), the input `X` with
/// `X[p[k]] = sorted[k]` has the same keys position by position, so the sort applies the same
/// `p` to it and produces `sorted`.
pub fn preimage_order<K: Ord>(sorted: &[K], algo: SortAlgorithm) -> Vec<usize> {
    let p = sort_permutation(sorted, algo);
    let mut order = vec![0; sorted.len()];
    for (k, &pk) in p.iter().enumerate() {
        order[pk] = k;
    }
    order
}

fn swap_if_greater<T>(a: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, i: usize, j: usize) {
    if i != j && cmp(&a[i], &a[j]) == Ordering::Greater {
        a.swap(i, j);
    }
}

/// .NET Framework `ArraySortHelper<T>.DepthLimitedQuickSort` with depth limit 32 (§7.3).
pub fn legacy_quicksort<T: Copy>(a: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) {
    if a.len() > 1 {
        depth_limited(a, cmp, 0, a.len() - 1, 32);
    }
}

fn depth_limited<T: Copy>(
    a: &mut [T],
    cmp: &impl Fn(&T, &T) -> Ordering,
    mut lo: usize,
    mut hi: usize,
    mut depth: u32,
) {
    loop {
        if depth == 0 {
            heapsort(a, cmp, lo, hi);
            return;
        }
        // Signed because `j` can step below `lo` (to lo - 1, and below zero when lo is 0).
        let mut i = lo as isize;
        let mut j = hi as isize;
        let mid = lo + (hi - lo) / 2;
        swap_if_greater(a, cmp, lo, mid);
        swap_if_greater(a, cmp, lo, hi);
        swap_if_greater(a, cmp, mid, hi);
        let pivot = a[mid];
        loop {
            while cmp(&a[i as usize], &pivot) == Ordering::Less {
                i += 1;
            }
            while cmp(&pivot, &a[j as usize]) == Ordering::Less {
                j -= 1;
            }
            if i > j {
                break;
            }
            if i < j {
                a.swap(i as usize, j as usize);
            }
            i += 1;
            j -= 1;
            if i > j {
                break;
            }
        }
        depth -= 1;
        if j - lo as isize <= hi as isize - i {
            if (lo as isize) < j {
                depth_limited(a, cmp, lo, j as usize, depth);
            }
            lo = i as usize;
        } else {
            if i < hi as isize {
                depth_limited(a, cmp, i as usize, hi, depth);
            }
            hi = j as usize;
        }
        if lo >= hi {
            return;
        }
    }
}

/// .NET's heapsort over `a[lo..=hi]` (both sort helpers use the same one).
fn heapsort<T: Copy>(a: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, lo: usize, hi: usize) {
    let n = hi - lo + 1;
    for i in (1..=n / 2).rev() {
        down_heap(a, cmp, i, n, lo);
    }
    for i in (2..=n).rev() {
        a.swap(lo, lo + i - 1);
        down_heap(a, cmp, 1, i - 1, lo);
    }
}

fn down_heap<T: Copy>(a: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, mut i: usize, n: usize, lo: usize) {
    let d = a[lo + i - 1];
    while i <= n / 2 {
        let mut child = 2 * i;
        if child < n && cmp(&a[lo + child - 1], &a[lo + child]) == Ordering::Less {
            child += 1;
        }
        if cmp(&d, &a[lo + child - 1]) != Ordering::Less {
            break;
        }
        a[lo + i - 1] = a[lo + child - 1];
        i = child;
    }
    a[lo + i - 1] = d;
}

/// .NET (Core) `ArraySortHelper<T>.IntrospectiveSort`: insertion sort for ranges of at most 16,
/// median-of-three pivot parked at `hi - 1`, heapsort at depth `2 * (floor(log2 n) + 1)`.
pub fn introsort<T: Copy>(a: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) {
    if a.len() < 2 {
        return;
    }
    let depth = 2 * (a.len().ilog2() + 1);
    intro(a, cmp, 0, a.len() - 1, depth);
}

fn intro<T: Copy>(a: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, lo: usize, mut hi: usize, mut depth: u32) {
    while hi > lo {
        let size = hi - lo + 1;
        if size <= 16 {
            match size {
                2 => swap_if_greater(a, cmp, lo, hi),
                3 => {
                    swap_if_greater(a, cmp, lo, hi - 1);
                    swap_if_greater(a, cmp, lo, hi);
                    swap_if_greater(a, cmp, hi - 1, hi);
                }
                _ => insertion_sort(a, cmp, lo, hi),
            }
            return;
        }
        if depth == 0 {
            heapsort(a, cmp, lo, hi);
            return;
        }
        depth -= 1;
        let p = pick_pivot_and_partition(a, cmp, lo, hi);
        intro(a, cmp, p + 1, hi, depth);
        // p > lo always holds here (the pivot never lands on lo for ranges above 3).
        hi = p - 1;
    }
}

fn pick_pivot_and_partition<T: Copy>(a: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, lo: usize, hi: usize) -> usize {
    let mid = lo + (hi - lo) / 2;
    swap_if_greater(a, cmp, lo, mid);
    swap_if_greater(a, cmp, lo, hi);
    swap_if_greater(a, cmp, mid, hi);
    let pivot = a[mid];
    a.swap(mid, hi - 1);
    let (mut left, mut right) = (lo, hi - 1);
    while left < right {
        left += 1;
        while cmp(&a[left], &pivot) == Ordering::Less {
            left += 1;
        }
        right -= 1;
        while cmp(&pivot, &a[right]) == Ordering::Less {
            right -= 1;
        }
        if left >= right {
            break;
        }
        a.swap(left, right);
    }
    if left != hi - 1 {
        a.swap(left, hi - 1);
    }
    left
}

fn insertion_sort<T: Copy>(a: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, lo: usize, hi: usize) {
    for i in lo..hi {
        let t = a[i + 1];
        let mut j = i as isize;
        while j >= lo as isize && cmp(&t, &a[j as usize]) == Ordering::Less {
            a[j as usize + 1] = a[j as usize];
            j -= 1;
        }
        a[(j + 1) as usize] = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_case_folding_orders_underscore_after_letters() {
        // Microsoft's block list puts BSMEM64_W10.sys before Bs_Def.sys: after upper-casing,
        // 'M' (0x4D) < '_' (0x5F); lower-casing would give 'm' (0x6D) > '_'.
        assert_eq!(compare_ignore_case("BSMEM64_W10.sys", "Bs_Def.sys"), Ordering::Less);
        assert_eq!(compare_ignore_case("abc", "ABC"), Ordering::Equal);
        assert_eq!(compare_ignore_case("ab", "abc"), Ordering::Less);
        assert_eq!(compare_ignore_case("é", "É"), Ordering::Equal);
        assert_eq!(compare_ignore_case("ß", "SS"), Ordering::Greater);
    }

    #[test]
    fn absent_and_empty_sort_before_present() {
        let none = RuleKey::new(1, [None; 6], &[]);
        let empty = RuleKey::new(1, [Some(""), None, None, None, None, None], &[]);
        let star = RuleKey::new(1, [Some("*"), None, None, None, None, None], &[]);
        let path = RuleKey::new(1, [None, None, None, None, None, Some("*")], &[]);
        // Empty is absent: the binary cannot tell them apart (see `RuleKey`).
        assert!(none == empty && empty < star);
        assert!(path < star, "FileName is compared before FilePath");
        assert!(RuleKey::new(0, [Some("z"), None, None, None, None, None], &[]) < none);
        assert!(RuleKey::new(2, [None; 6], &[1]) > RuleKey::new(2, [None; 6], &[]));
    }

    #[test]
    fn legacy_quicksort_swaps_two_equal_elements() {
        // (key, identity): two rules with equal keys.
        let mut v = [(0, 'A'), (0, 'B')];
        legacy_quicksort(&mut v, &|a: &(i32, char), b: &(i32, char)| a.0.cmp(&b.0));
        assert_eq!(v, [(0, 'B'), (0, 'A')]);
        // Introsort leaves them.
        let mut v = [(0, 'A'), (0, 'B')];
        introsort(&mut v, &|a: &(i32, char), b: &(i32, char)| a.0.cmp(&b.0));
        assert_eq!(v, [(0, 'A'), (0, 'B')]);
    }

    /// Deterministic pseudo-random keys.
    fn keys(n: usize, modulo: u64, mut seed: u64) -> Vec<u64> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed % modulo
            })
            .collect()
    }

    #[test]
    fn both_algorithms_sort_and_preimage_resorts_exactly() {
        for (n, modulo, seed) in [
            (0, 1, 1),
            (1, 1, 2),
            (17, 3, 3),
            (100, 5, 4),
            (1000, 1000, 5),
            (2000, 7, 6),
        ] {
            let k = keys(n, modulo, seed);
            for algo in [SortAlgorithm::LegacyQuickSort, SortAlgorithm::IntroSort] {
                let p = sort_permutation(&k, algo);
                let sorted: Vec<u64> = p.iter().map(|&i| k[i]).collect();
                assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "{algo:?} n={n}");
                // Tag each sorted element with its position, so ties become distinguishable, and
                // check that the preimage order re-sorts to exactly the same positions.
                let order = preimage_order(&sorted, algo);
                let x: Vec<u64> = order.iter().map(|&i| sorted[i]).collect();
                let q = sort_permutation(&x, algo);
                let back: Vec<usize> = q.iter().map(|&j| order[j]).collect();
                assert_eq!(back, (0..n).collect::<Vec<_>>(), "{algo:?} n={n}");
            }
        }
    }

    #[test]
    fn heapsort_fallback_sorts() {
        let k = keys(300, 11, 9);
        let mut v: Vec<usize> = (0..k.len()).collect();
        heapsort(&mut v, &|a: &usize, b: &usize| k[*a].cmp(&k[*b]), 0, k.len() - 1);
        assert!(v.windows(2).all(|w| k[w[0]] <= k[w[1]]));
    }
}
