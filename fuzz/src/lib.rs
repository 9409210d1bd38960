//! The fuzz targets' checks, as plain functions of the input bytes, so that the main crate's
//! tests (`tests/fuzz_regressions.rs`) run the same checks over the seeds and every crash input
//! kept as a regression. Each `fuzz_targets/NAME.rs` calls `NAME::check`.
pub mod cip_decompile;
pub mod cms_unwrap;
pub mod scan_msi;
pub mod scan_pe;
pub mod scan_script;
pub mod spec_build;
pub mod xml_read;
