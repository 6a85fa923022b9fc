//! `preflight`: the server and its command-line tools.
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = preflight::cli::Cli::parse();
    preflight::cli::run(cli)
}
