//! `preflight bench simulate`: `POST /v1/policy/simulate/batch` over a dataset and
//! `POST /v1/policy/simulate` over every stored event, end to end over loopback HTTP.
use std::time::Instant;

use serde_json::json;

use super::load::{self, Traces};
use super::server::{DbChoice, Server};
use super::stats::Spread;

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Traces in the dataset.
    #[arg(long, default_value_t = 1_000)]
    traces: usize,
    /// Events per dataset trace.
    #[arg(long, default_value_t = 50)]
    events_per_trace: usize,
    /// Events stored in all (the dataset's included).
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Timed runs over the dataset.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Timed runs over all stored events.
    #[arg(long, default_value_t = 5)]
    full_runs: usize,
    /// Rules in the draft (the evaluator benchmark's mixed rules).
    #[arg(long, default_value_t = 200)]
    rules: usize,
    /// Concurrent clients while loading.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    #[command(flatten)]
    db: DbChoice,
}

/// (wall seconds, server-reported seconds, server CPU seconds) per run, and the last answer.
type Runs = (Vec<f64>, Vec<f64>, Vec<f64>, serde_json::Value);

fn time_runs(server: &Server, path: &str, body: &str, runs: usize) -> Result<Runs, String> {
    let mut wall = Vec::new();
    let mut inside = Vec::new();
    let mut cpu = Vec::new();
    let mut last = serde_json::Value::Null;
    for _ in 0..runs.max(1) {
        let cpu_before = server.cpu_seconds();
        let start = Instant::now();
        last = server.post(path, body)?;
        wall.push(start.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu_before, server.cpu_seconds()) {
            cpu.push(b - a);
        }
        if let Some(ms) = last["elapsed_ms"].as_f64() {
            inside.push(ms / 1e3);
        }
    }
    Ok((wall, inside, cpu, last))
}

pub fn run(args: &SimulateArgs) -> Result<(), String> {
    let server = Server::start(&args.db)?;
    let dataset = Traces {
        prefix: "ds-".to_string(),
        traces: args.traces,
        per_trace: args.events_per_trace.max(1),
        turns_per_session: 10,
        tree: false,
    };
    let rest_events = args.events.saturating_sub(dataset.events());
    let rest = Traces {
        prefix: "bg-".to_string(),
        traces: rest_events.div_ceil(50),
        per_trace: 50,
        turns_per_session: 10,
        tree: false,
    };
    let loaded = Instant::now();
    load::ingest(&server, &dataset, args.clients, 500)?;
    let created = server.post("/v1/datasets", &json!({"name": "bench"}).to_string())?;
    let dataset_id = created["id"].as_str().ok_or("no dataset id")?.to_string();
    let ids: Vec<String> = (0..dataset.traces).map(|t| dataset.trace_id(t)).collect();
    for chunk in ids.chunks(10_000) {
        server.post(
            &format!("/v1/datasets/{dataset_id}/items"),
            &json!({ "trace_ids": chunk }).to_string(),
        )?;
    }
    if rest.traces > 0 {
        load::ingest(&server, &rest, args.clients, 500)?;
    }
    println!(
        "simulate: loaded {} events ({} in the dataset: {} traces x {}) in {:.1} s",
        dataset.events() + rest.events(),
        dataset.events(),
        dataset.traces,
        dataset.per_trace,
        loaded.elapsed().as_secs_f64()
    );
    server.settle()?;
    let draft =
        serde_json::to_value(policy::workload::rule_set(args.rules)).map_err(|e| e.to_string())?;
    let body = json!({"draft": draft, "dataset_id": dataset_id}).to_string();
    let (wall, inside, cpu, last) =
        time_runs(&server, "/v1/policy/simulate/batch", &body, args.runs)?;
    println!(
        "  dataset  draft of {} rules, {} events scanned, {} changed",
        args.rules, last["events_scanned"], last["events_would_have_changed"]
    );
    println!("    http      {}", Spread::of(&wall).ms());
    println!("    server    {}", Spread::of(&inside).ms());
    println!("    cpu       {}", Spread::of(&cpu).ms());
    let body = json!({ "draft": draft }).to_string();
    let (wall, inside, cpu, last) =
        time_runs(&server, "/v1/policy/simulate", &body, args.full_runs)?;
    println!(
        "  all      {} events scanned (of {} stored), {} changed",
        last["events_scanned"],
        dataset.events() + rest.events(),
        last["events_would_have_changed"]
    );
    println!("    http      {}", Spread::of(&wall).ms());
    println!("    server    {}", Spread::of(&inside).ms());
    println!("    cpu       {}", Spread::of(&cpu).ms());
    Ok(())
}
