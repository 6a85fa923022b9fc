//! `preflight bench ...`: the benchmarks of BENCHMARKS.md. Each prints the machine it
//! ran on, then its figures as median and spread (p50, p95, min, max). They are
//! measurements, not tests: nothing here fails on a slow figure.
use std::process::ExitCode;

use clap::Subcommand;

mod evaluator;
mod ingest;
mod load;
mod render;
mod server;
mod simulate;
mod stats;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Decisions per second for 10, 200 and 2,000 mixed rules, compile time, and the
    /// Python reference evaluator (fnmatch, last match wins) on the same workload.
    Evaluator(evaluator::EvaluatorArgs),
    /// Server simulation over HTTP: a dataset of traces x events, and all stored events.
    Simulate(simulate::SimulateArgs),
    /// Ingest through POST /v1/events/ingest from concurrent clients; checks nothing is lost.
    Ingest(ingest::IngestArgs),
    /// Server-side render time of dashboard pages (traces, home per range, threads, audit,
    /// datasets, policies, a large RunTree, a long thread).
    Render(render::RenderArgs),
}

pub fn run(cmd: BenchCommand) -> ExitCode {
    stats::print_machine();
    let result = match cmd {
        BenchCommand::Evaluator(args) => evaluator::run(&args),
        BenchCommand::Simulate(args) => simulate::run(&args),
        BenchCommand::Ingest(args) => ingest::run(&args),
        BenchCommand::Render(args) => render::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
