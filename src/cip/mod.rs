//! Binary policy codec (in progress).

pub mod bin;
pub mod error;
pub mod reader;

pub use error::{CompileError, CompileWarning, DecodeError, DecodeErrorKind};
pub mod sort;
