//! `preflight bench ingest`: events per second through `POST /v1/events/ingest`.
use super::load::{self, Traces};
use super::server::{DbChoice, Server};
use super::stats::Spread;

#[derive(clap::Args, Debug)]
pub struct IngestArgs {
    /// Events to send (traces of 50 spans).
    #[arg(long, default_value_t = 500_000)]
    events: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Events per request (the SDK sends 50).
    #[arg(long, default_value_t = 50)]
    batch: usize,
    #[command(flatten)]
    db: DbChoice,
}

pub fn run(args: &IngestArgs) -> Result<(), String> {
    let server = Server::start(&args.db)?;
    let traces = Traces {
        prefix: "ingest-".to_string(),
        traces: args.events.div_ceil(50),
        per_trace: 50.min(args.events.max(1)),
        turns_per_session: 10,
        tree: false,
    };
    println!(
        "ingest: {} events, {} clients, batches of {} (clients and server share the machine)",
        traces.events(),
        args.clients,
        args.batch
    );
    let before = server.database_bytes().unwrap_or(0);
    let cpu_before = server.cpu_seconds();
    let done = load::ingest(&server, &traces, args.clients, args.batch)?;
    let cpu = match (cpu_before, server.cpu_seconds()) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => None,
    };
    println!(
        "  throughput  {:.0} events/s ({} events in {:.2} s, {} accepted)",
        done.events as f64 / done.seconds,
        done.events,
        done.seconds,
        done.accepted
    );
    println!("  request     {}", Spread::of(&done.latencies).ms());
    if let Some(cpu) = cpu {
        println!(
            "  server CPU  {cpu:.1} s over {:.1} s: {:.0} events per server CPU-second (the database's own processes excluded)",
            done.seconds,
            done.events as f64 / cpu
        );
    }
    let stored = load::stored_events(&server)?;
    let expected = traces.scanned_events() as u64;
    println!(
        "  verified    {stored}/{expected} scanned-kind events stored, {} accepted of {} sent: {}",
        done.accepted,
        done.events,
        if stored == expected && done.accepted == done.events {
            "nothing lost"
        } else {
            "LOST EVENTS"
        }
    );
    if let Some(after) = server.database_bytes() {
        let per_million = (after.saturating_sub(before)) as f64 / done.events.max(1) as f64 * 1e6;
        println!(
            "  disk        {:.1} MB total, {:.0} MB per million events",
            after as f64 / 1e6,
            per_million / 1e6
        );
    }
    Ok(())
}
