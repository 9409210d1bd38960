//! Element IDs (`ID_SIGNER_…`, `ID_ALLOW_…`, …) and the references that point at them.

use std::borrow::Borrow;
use std::fmt;

/// An XML `ID` or a reference to one. Binary policies hold no IDs; see
/// [`crate::cip::binary_view`] for everything the binary loses.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Id(pub String);

impl Id {
    /// The ID text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id(s.to_string())
    }
}

impl From<String> for Id {
    fn from(s: String) -> Self {
        Id(s)
    }
}
