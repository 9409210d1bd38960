//! cipolicy: a compiler and toolkit for Windows App Control for Business (WDAC) code-integrity
//! policies.
//!
//! One policy model ([`model::Policy`]) sits in the middle. Front-ends read formats into it,
//! back-ends write it out, and the validator checks it:
//!
//! * [`xml`]: SiPolicy XML, read and canonical write;
//! * [`cip`]: the binary `.cip` / `SiPolicy.p7b` format, byte-exact with ConvertFrom-CIPolicy;
//! * [`spec`]: the allow-list spec (TOML), read into the model;
//!
//! No format module uses another; they meet only in the model.
#![warn(missing_docs)]

pub mod cert;
pub mod cip;
pub mod der;
pub mod fsio;
pub mod model;
pub mod ops;
pub mod par;
pub mod report;
pub mod scan;
pub mod sign;
pub mod spec;
pub mod suggest;
pub mod text_pos;
pub mod valid;
pub mod wiring;
pub mod xml;
