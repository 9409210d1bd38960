//! The `cipolicy` command line: argument parsing, output format and exit codes only; the
//! behaviour lives in the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
