//! Files to facts to rules: the hashes WDAC computes (Authenticode, first page, PowerShell and
//! MSI SIP digests, flat), the version resource, embedded signatures and their chains
//! (rule-levels.md §1–§4), and rule generation at every level (§5).

pub mod bytes;
pub mod digest;
mod facts;
pub mod msi;
pub mod pe;
pub mod script;
pub mod sig;
mod tlv;

pub use facts::{FactOptions, FileFacts, FileKind, HashMethod, PeFacts, facts_from_bytes};
pub use pe::ImageMode;
pub use pe::version::{StringTable, VersionInfo};
pub use sig::{SignatureFacts, SignedSubject};
