//! Fixed identifiers with meaning: well-known roots and EKU OIDs. One table each, so that the
//! binary reader, the spec reader, the validator and the auditor cannot drift apart.
//!
//! Sources: well-known root IDs and names from HotCakeX AppControl Manager's binary reader and
//! its "WellKnown Roots Correlation" table, the "Product/Standard Root" labels from Microsoft's
//! template policies; EKU OIDs from Microsoft's templates (re-derived encodings).

/// A `CertRoot Type="Wellknown"` ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WellKnownRoot {
    /// The one-byte ID written in `Value`.
    pub id: u8,
    /// Certificate subject.
    pub name: &'static str,
    /// Name Microsoft's templates give signers of this root, if any.
    pub template_name: Option<&'static str>,
    /// Whether trusting it trusts test, development or flight signing, or the whole public root
    /// store, rather than Microsoft production signing.
    pub broad_or_test: bool,
}

const fn root(id: u8, name: &'static str, template_name: Option<&'static str>, broad_or_test: bool) -> WellKnownRoot {
    WellKnownRoot {
        id,
        name,
        template_name,
        broad_or_test,
    }
}

/// Every well-known root ID known, in ID order.
pub const WELL_KNOWN_ROOTS: &[WellKnownRoot] = &[
    root(0x03, "Microsoft Authenticode(tm) Root Authority", None, false),
    root(
        0x04,
        "Microsoft Root Authority",
        Some("Microsoft Product Root 1997"),
        false,
    ),
    root(
        0x05,
        "Microsoft Root Certificate Authority",
        Some("Microsoft Product Root 2001"),
        false,
    ),
    root(
        0x06,
        "Microsoft Root Certificate Authority 2010",
        Some("Microsoft Product Root 2010"),
        false,
    ),
    root(
        0x07,
        "Microsoft Root Certificate Authority 2011",
        Some("Microsoft Standard Root 2011"),
        false,
    ),
    root(0x08, "Microsoft Code Verification Root", None, false),
    root(0x09, "Microsoft Test Root Authority", None, true),
    root(
        0x0A,
        "Microsoft Testing Root Certificate Authority 2010",
        Some("Microsoft Test Root 2010"),
        true,
    ),
    root(0x0B, "MS Protected Media DMD Test Root", None, true),
    root(
        0x0C,
        "Microsoft Digital Media Authority 2005",
        Some("Microsoft DMD Root 2005"),
        false,
    ),
    root(
        0x0D,
        "Microsoft Digital Media Authority 2005 for preview releases",
        None,
        true,
    ),
    root(
        0x0E,
        "Microsoft Development Root Certificate Authority 2014",
        Some("Microsoft Flighting Root 2014"),
        true,
    ),
    root(0x0F, "Microsoft Corporation Third Party Marketplace Root", None, false),
    root(0x10, "Microsoft ECC Testing Root CA 2017", None, true),
    root(0x11, "Microsoft ECC Development Root CA 2018", None, true),
    root(0x12, "Microsoft ECC Product Root CA 2018", None, false),
    root(0x13, "Microsoft ECC Devices Root CA 2017", None, false),
    root(
        0x14,
        "AuthRoot.STL (every root in the Windows trusted root program)",
        None,
        true,
    ),
    root(0x15, "Microsoft OEM Root Certificate Authority 2017", None, false),
    root(0x16, "Microsoft Identity Verification Root CA 2020", None, false),
];

/// Looks up a well-known root by ID.
pub fn well_known_root(id: u8) -> Option<&'static WellKnownRoot> {
    WELL_KNOWN_ROOTS.iter().find(|r| r.id == id)
}

/// An EKU that policies refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownEku {
    /// Dotted OID.
    pub oid: &'static str,
    /// Short name used for IDs and in specs (`whql`, `windows`, …).
    pub short: &'static str,
    /// Description.
    pub name: &'static str,
}

/// EKUs found in Microsoft's template policies.
pub const KNOWN_EKUS: &[KnownEku] = &[
    KnownEku {
        oid: "1.3.6.1.4.1.311.10.3.5",
        short: "whql",
        name: "Windows Hardware Driver Verification (WHQL)",
    },
    KnownEku {
        oid: "1.3.6.1.4.1.311.10.3.6",
        short: "windows",
        name: "Windows System Component Verification",
    },
    KnownEku {
        oid: "1.3.6.1.4.1.311.10.3.21",
        short: "rt",
        name: "Windows RT Verification",
    },
    KnownEku {
        oid: "1.3.6.1.4.1.311.10.3.42",
        short: "enclave",
        name: "Enclave",
    },
    KnownEku {
        oid: "1.3.6.1.4.1.311.61.4.1",
        short: "elam",
        name: "Early Launch Antimalware Driver",
    },
    KnownEku {
        oid: "1.3.6.1.4.1.311.61.5.1",
        short: "hal_ext",
        name: "HAL Extension",
    },
    KnownEku {
        oid: "1.3.6.1.4.1.311.76.3.1",
        short: "store",
        name: "Windows Store",
    },
    KnownEku {
        oid: "1.3.6.1.4.1.311.76.5.1",
        short: "dynamic_code_generator",
        name: "Dynamic Code Generator",
    },
    KnownEku {
        oid: "1.3.6.1.4.1.311.76.11.1",
        short: "am",
        name: "Protected Process Light Verification (Antimalware)",
    },
    KnownEku {
        oid: "1.3.6.1.5.5.7.3.3",
        short: "code_signing",
        name: "Code Signing",
    },
];

/// Encodes a dotted OID the way `EKU/@Value` holds it: `01`, length, DER OID body.
/// Returns `None` for text that is not a valid OID.
pub fn eku_value_from_oid(oid: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = oid.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if arcs.len() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) {
        return None;
    }
    let mut body: Vec<u8> = Vec::new();
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(((v & 0x7f) as u8) | 0x80);
            v >>= 7;
        }
        body.extend(tmp.iter().rev());
    };
    push(arcs[0].checked_mul(40)?.checked_add(arcs[1])?);
    for &a in &arcs[2..] {
        push(a);
    }
    let len = u8::try_from(body.len()).ok().filter(|l| *l < 0x80)?;
    let mut out = vec![0x01, len];
    out.extend(body);
    Some(out)
}

/// Decodes an `EKU/@Value` back to a dotted OID. `None` when it is not `01` + length + OID body.
pub fn oid_from_eku_value(value: &[u8]) -> Option<String> {
    let &[tag, len] = value.first_chunk::<2>()?;
    let body = &value[2..];
    if tag != 0x01 || usize::from(len) != body.len() || body.is_empty() || body.last()? & 0x80 != 0 {
        return None;
    }
    let mut arcs = Vec::new();
    let mut acc: u64 = 0;
    for &b in body {
        if acc == 0 && b == 0x80 {
            return None; // non-minimal encoding
        }
        acc = acc.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    let first = arcs[0];
    let (a, b) = if first < 80 {
        (first / 40, first % 40)
    } else {
        (2, first - 80)
    };
    let mut s = format!("{a}.{b}");
    for arc in &arcs[1..] {
        s.push_str(&format!(".{arc}"));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eku_encoding_matches_templates() {
        assert_eq!(
            const_hex::encode_upper(eku_value_from_oid("1.3.6.1.4.1.311.10.3.5").unwrap()),
            "010A2B0601040182370A0305"
        );
        assert_eq!(
            const_hex::encode_upper(eku_value_from_oid("1.3.6.1.5.5.7.3.3").unwrap()),
            "01082B06010505070303"
        );
        for e in KNOWN_EKUS {
            let v = eku_value_from_oid(e.oid).unwrap();
            assert_eq!(oid_from_eku_value(&v).as_deref(), Some(e.oid));
        }
        assert_eq!(oid_from_eku_value(&[0x06, 0x01, 0x2b]), None);
        assert_eq!(oid_from_eku_value(&[0x01, 0x02, 0x2b]), None);
        assert_eq!(eku_value_from_oid("1.x"), None);
    }

    #[test]
    fn roots_sorted_and_unique() {
        assert!(WELL_KNOWN_ROOTS.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(well_known_root(0x14).map(|r| r.broad_or_test), Some(true));
    }
}
