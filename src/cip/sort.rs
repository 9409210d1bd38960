//! Ordering rules of cip-format.md §7: the file-rule comparison (§7.2) and the .NET sort
//! algorithms whose tie order the binary depends on (§7.3).
//!
//! Hand-written because the point is to reproduce two specific .NET `Array.Sort`
//! implementations exactly, including how they permute equal elements; no crate does that.

use std::cmp::Ordering;

use super::fold::upper_unit;
pub use super::fold::{compare_ignore_case, fold};

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

/// The [`RuleKey`]s of many file rules, for sorting a policy's rules. Orders exactly as
/// [`RuleKey`] does, but each key is one byte string in one shared buffer, written once, and a
/// comparison is one integer comparison of the first 16 bytes, then (rarely) one `memcmp`.
///
/// The byte string is order-preserving: comparing two of them byte by byte (a prefix first)
/// gives the order of the keys. Each part's code is prefix-free and ordered like its values:
/// - the type code: one byte below 0xFF, else 0xFF and four bytes big-endian;
/// - each name, folded: a UTF-16 unit below 0x80 as the byte `unit + 1`, any other unit as 0xFF
///   and two bytes big-endian; then a 0 byte that ends the name, so that a shorter name sorts
///   first and an absent (or empty) name before any present one;
/// - the hash bytes as they are (the last part needs no end).
#[derive(Debug, Default)]
pub struct RuleKeys {
    bytes: Vec<u8>,
    /// `(start, end)` of each key in `bytes`.
    ranges: Vec<(u32, u32)>,
    /// The first 16 bytes of each key, zero-padded, big-endian: unequal prefixes decide a
    /// comparison (zero padding sorts a shorter key no later, as a prefix sorts first).
    prefixes: Vec<u128>,
}

impl RuleKeys {
    /// Room for `n` rules.
    pub fn with_capacity(n: usize) -> Self {
        RuleKeys {
            // Most rules have one short name or a hash: a guess that avoids most regrowth.
            bytes: Vec::with_capacity(n * 48),
            ranges: Vec::with_capacity(n),
            prefixes: Vec::with_capacity(n),
        }
    }

    /// Appends the key of one rule; arguments as for [`RuleKey::new`].
    pub fn push(&mut self, type_code: u32, names: [Option<&str>; 6], hash: &[u8]) {
        let out = &mut self.bytes;
        let start = out.len();
        match u8::try_from(type_code) {
            Ok(b) if b < 0xFF => out.push(b),
            _ => {
                out.push(0xFF);
                out.extend_from_slice(&type_code.to_be_bytes());
            }
        }
        for name in names {
            let name = name.unwrap_or("");
            if name.is_ascii() {
                out.extend(name.bytes().map(|b| b.to_ascii_uppercase() + 1));
            } else {
                for u in name.encode_utf16().map(upper_unit) {
                    match u {
                        0..0x80 => out.push(u as u8 + 1),
                        _ => {
                            out.push(0xFF);
                            out.extend_from_slice(&u.to_be_bytes());
                        }
                    }
                }
            }
            out.push(0);
        }
        out.extend_from_slice(hash);
        let key = &out[start..];
        let mut head = [0u8; 16];
        let n = key.len().min(16);
        head[..n].copy_from_slice(&key[..n]);
        self.prefixes.push(u128::from_be_bytes(head));
        // A buffer past 4 GB would need gigabytes of names, which no policy this tool reads
        // (files are read into memory whole) can hold; saturating keeps the ranges valid anyway.
        let end = u32::try_from(out.len()).unwrap_or(u32::MAX);
        self.ranges.push((u32::try_from(start).unwrap_or(u32::MAX), end));
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Compares the keys of rules `i` and `j`.
    #[inline]
    pub fn compare(&self, i: usize, j: usize) -> Ordering {
        match self.prefixes[i].cmp(&self.prefixes[j]) {
            Ordering::Equal => self.compare_in_full(i, j),
            o => o,
        }
    }

    #[inline(never)]
    fn compare_in_full(&self, i: usize, j: usize) -> Ordering {
        let key = |k: usize| {
            let (start, end) = self.ranges[k];
            &self.bytes[start as usize..end as usize]
        };
        key(i).cmp(key(j))
    }

    /// Sorts the rules with `algo`; as [`sort_permutation`].
    pub fn sort_permutation(&self, algo: SortAlgorithm) -> Vec<usize> {
        sort_permutation_by(self.len(), algo, |i, j| self.compare(i, j))
    }
}

/// The sort key of a setting: Provider, Key, ValueName, each folded.
pub fn setting_key(provider: &str, key: &str, value_name: &str) -> [Vec<u16>; 3] {
    [fold(provider), fold(key), fold(value_name)]
}

/// Sorts `keys` with `algo` and returns the permutation: element `k` of the sorted sequence is
/// `keys[perm[k]]`.
pub fn sort_permutation<K: Ord>(keys: &[K], algo: SortAlgorithm) -> Vec<usize> {
    sort_permutation_by(keys.len(), algo, |a, b| keys[a].cmp(&keys[b]))
}

/// [`sort_permutation`] of `n` elements that `compare` orders by index.
pub fn sort_permutation_by(n: usize, algo: SortAlgorithm, compare: impl Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    let cmp = |a: &usize, b: &usize| compare(*a, *b);
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

    /// The straightforward definition the fast paths must agree with: every UTF-16 code unit
    /// through `char::to_uppercase` when that gives exactly one BMP character, else unchanged.
    fn reference_fold(s: &str) -> Vec<u16> {
        s.encode_utf16()
            .map(|u| {
                let Some(c) = char::from_u32(u32::from(u)) else {
                    return u;
                };
                let up: Vec<char> = c.to_uppercase().collect();
                match up[..] {
                    [x] if (x as u32) <= 0xFFFF => x as u32 as u16,
                    _ => u,
                }
            })
            .collect()
    }

    #[test]
    fn upper_unit_agrees_with_the_reference_on_every_code_unit() {
        for u in 0..=0xFFFFu16 {
            let want = match char::from_u32(u32::from(u)) {
                Some(c) => reference_fold(c.encode_utf8(&mut [0; 4]))[0],
                None => u,
            };
            assert_eq!(super::super::fold::upper_unit(u), want, "U+{u:04X}");
        }
    }

    /// Strings mixing ASCII, Latin-1, characters whose full upper case is several characters,
    /// characters outside the BMP (surrogate pairs), and the private-use area above the
    /// surrogates (where UTF-16 and code point order differ).
    fn names() -> impl Strategy<Value = String> {
        let chars = prop_oneof![
            4 => proptest::char::range('\u{20}', '\u{7e}'),
            1 => proptest::sample::select(vec!['ß', 'ﬁ', 'ŉ', 'ǰ', 'ΐ', 'é', 'É', 'ÿ', 'ı', 'ſ', 'µ', 'ǅ', '\u{E000}', '\u{FFFD}']),
            1 => proptest::char::any(),
            1 => proptest::sample::select(vec!['𐐨', '𐐀', '😀', '\u{10FFFF}']),
        ];
        let short = proptest::collection::vec(chars, 0..6).prop_map(|v| v.into_iter().collect());
        // Long names from a few letters share long prefixes, so that comparisons get past the
        // 128-bit prefix of `RuleKeys` and into the full comparison.
        let few = proptest::sample::select(vec!['a', 'A', 'b', 'é', 'É', '\u{E000}', '𐐨']);
        let long = proptest::collection::vec(few, 0..24).prop_map(|v| v.into_iter().collect());
        prop_oneof![short, long]
    }

    fn rule() -> impl Strategy<Value = (u32, [Option<String>; 6], Vec<u8>)> {
        (
            prop_oneof![0u32..3, Just(u32::MAX), Just(3)],
            proptest::array::uniform6(proptest::option::of(names())),
            proptest::collection::vec(0u8..3, 0..20),
        )
    }

    use proptest::prelude::*;

    fn as_refs(n: &[Option<String>; 6]) -> [Option<&str>; 6] {
        std::array::from_fn(|k| n[k].as_deref())
    }

    proptest! {
        #[test]
        fn fast_folding_agrees_with_the_reference(a in names(), b in names()) {
            prop_assert_eq!(fold(&a), reference_fold(&a));
            prop_assert_eq!(compare_ignore_case(&a, &b), reference_fold(&a).cmp(&reference_fold(&b)));
            let lower = a.to_lowercase();
            prop_assert_eq!(compare_ignore_case(&a, &lower), reference_fold(&a).cmp(&reference_fold(&lower)));
        }

        #[test]
        fn flat_rule_keys_order_as_rule_key(rules in proptest::collection::vec(rule(), 1..40)) {
            let mut flat = RuleKeys::with_capacity(rules.len());
            for (t, n, h) in &rules {
                flat.push(*t, as_refs(n), h);
            }
            let keys: Vec<RuleKey> = rules.iter().map(|(t, n, h)| RuleKey::new(*t, as_refs(n), h)).collect();
            for i in 0..keys.len() {
                for j in 0..keys.len() {
                    prop_assert_eq!(flat.compare(i, j), keys[i].cmp(&keys[j]), "{} vs {}", i, j);
                }
            }
            for algo in [SortAlgorithm::LegacyQuickSort, SortAlgorithm::IntroSort] {
                prop_assert_eq!(flat.sort_permutation(algo), sort_permutation(&keys, algo));
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
