//! SiPolicy XML (in progress).
