//! Policy, base-policy and platform GUIDs.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A GUID as written in policies: `{A244370E-44C9-4C06-B551-F6016E563076}`.
///
/// Stored in textual (big-endian) order; [`Guid::to_windows_bytes`] gives the mixed-endian
/// layout of .NET `Guid.ToByteArray`, which is what binary policies hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Guid(pub Uuid);

/// The GUID text was not a GUID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected 32 hex digits grouped 8-4-4-4-12 in braces, like {{A244370E-44C9-4C06-B551-F6016E563076}}")]
pub struct GuidError(pub String);

impl Guid {
    /// The all-zero GUID.
    pub const NIL: Guid = Guid(Uuid::nil());

    /// Bytes in .NET `Guid.ToByteArray` order (first three groups little-endian).
    pub fn to_windows_bytes(self) -> [u8; 16] {
        self.0.to_bytes_le()
    }

    /// Inverse of [`Guid::to_windows_bytes`].
    pub fn from_windows_bytes(b: [u8; 16]) -> Self {
        Guid(Uuid::from_bytes_le(b))
    }

    /// UUIDv5 of `name` under `namespace`: the project's way to mint stable IDs.
    pub fn v5(namespace: Guid, name: &[u8]) -> Self {
        Guid(Uuid::new_v5(&namespace.0, name))
    }
}

impl FromStr for Guid {
    type Err = GuidError;

    /// Accepts the braced form the schema requires and, like .NET's `Guid.Parse` (and therefore
    /// ConvertFrom-CIPolicy), the bare hyphenated form; either letter case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let inner = match s.strip_prefix('{') {
            Some(rest) => rest.strip_suffix('}').ok_or_else(|| GuidError(s.to_string()))?,
            None => s,
        };
        let ok_shape = inner.len() == 36
            && inner.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        if !ok_shape {
            return Err(GuidError(s.to_string()));
        }
        Uuid::parse_str(inner).map(Guid).map_err(|_| GuidError(s.to_string()))
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Uuid::encode_buffer();
        f.write_str(self.0.braced().encode_upper(&mut buf))
    }
}

impl serde::Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_byte_order() {
        let g: Guid = "{A244370E-44C9-4C06-B551-F6016E563076}".parse().unwrap();
        assert_eq!(
            g.to_windows_bytes(),
            [
                0x0e, 0x37, 0x44, 0xa2, 0xc9, 0x44, 0x06, 0x4c, 0xb5, 0x51, 0xf6, 0x01, 0x6e, 0x56, 0x30, 0x76
            ]
        );
        assert_eq!(Guid::from_windows_bytes(g.to_windows_bytes()), g);
        assert_eq!(g.to_string(), "{A244370E-44C9-4C06-B551-F6016E563076}");
    }

    #[test]
    fn accepts_bare_and_lower_case_rejects_junk() {
        let g: Guid = "a244370e-44c9-4c06-b551-f6016e563076".parse().unwrap();
        assert_eq!(g.to_string(), "{A244370E-44C9-4C06-B551-F6016E563076}");
        for bad in [
            "",
            "{}",
            "{A244370E-44C9-4C06-B551-F6016E56307}",
            "{A244370E44C94C06B551F6016E563076}",
            "{A244370E-44C9-4C06-B551-F6016E563076",
        ] {
            assert!(bad.parse::<Guid>().is_err(), "{bad}");
        }
    }
}
