//! Binary policy format (in progress).
