//! Natural ordering of IDs (`ID_ALLOW_A_2` before `ID_ALLOW_A_10`), so sorted output reads the
//! way people number things.

use std::cmp::Ordering;

/// Compares two strings with runs of ASCII digits compared as numbers. Ties between numerically
/// equal runs (`A_01` vs `A_1`) and everything else fall back to plain byte order, so the order is
/// total and consistent with equality.
pub fn cmp(a: &str, b: &str) -> Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < ab.len() && j < bb.len() {
        if ab[i].is_ascii_digit() && bb[j].is_ascii_digit() {
            let si = i;
            while i < ab.len() && ab[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
            let (na, nb) = (trim_zeros(&ab[si..i]), trim_zeros(&bb[sj..j]));
            let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            let ord = ab[i].cmp(&bb[j]);
            if ord != Ordering::Equal {
                return ord;
            }
            i += 1;
            j += 1;
        }
    }
    (ab.len() - i).cmp(&(bb.len() - j)).then_with(|| a.cmp(b))
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
    }
}
