//! The `cipolicy` command line: argument parsing, output format and exit codes only; the
//! behaviour lives in the library.

mod cli;
mod region;

/// A bump region in front of the system allocator: see [`region`].
#[global_allocator]
static GLOBAL: region::Region = region::Region;

fn main() -> std::process::ExitCode {
    cli::main()
}
