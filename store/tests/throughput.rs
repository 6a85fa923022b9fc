//! Throughput checks, ignored by default (run in release):
//! `cargo test -p store --release --test throughput -- --ignored --nocapture`.
//! Targets: ingest 50k events/s on SQLite and 20k/s on PostgreSQL; a replay scan of
//! 1,000,000 events (600,000 of them of the scanned kinds) in seconds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Instant;

use futures::TryStreamExt;
use serde_json::json;
use store::{EventScan, Store, StoredEvent};
use support::{ev, Env, EventExt};

const BATCH: usize = 1000;

/// Sizes can be lowered for a quick look: `INGEST_N=20000 SCAN_N=1000`.
fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn realistic(i: usize) -> StoredEvent {
    let kinds = [
        "tool_call",
        "llm_call",
        "mcp_tool_call",
        "agent_call",
        "policy_decision",
    ];
    let mut e = ev(
        &format!("trace-{:08}", i / 20),
        &format!("span-{i:010}"),
        (i / 10) as i64,
    )
    .kind(kinds[i % kinds.len()])
    .tool(&format!("tools.name_{}", i % 37))
    .agent(&format!("agent-{}", i % 5))
    .session(&format!("session-{}", i / 200))
    .cost(0.001 * (i % 7) as f64)
    .duration(12.5)
    .seq((i % 20) as i64);
    e.model = Some("gpt-4o-mini".to_string());
    e.input_tokens = Some(812);
    e.output_tokens = Some(64);
    e.payload = json!({"input": {"query": "find the invoice for customer 4411", "limit": 10},
                       "output": {"hits": 3}, "tags": ["prod"]});
    e
}

async fn ingest(s: &dyn Store, project: &str, total: usize) -> f64 {
    let events: Vec<StoredEvent> = (0..total).map(realistic).collect();
    let started = Instant::now();
    for chunk in events.chunks(BATCH) {
        s.upsert_events(project, chunk).await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

async fn scan_all(s: &dyn Store, project: &str) -> (usize, f64) {
    let started = Instant::now();
    let n = s
        .scan_events(
            project,
            EventScan::Window {
                since_micros: None,
                until_micros: None,
            },
        )
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    (n, started.elapsed().as_secs_f64())
}

async fn run(env: Env, name: &str, ingest_n: usize, scan_n: usize) {
    let s = env.store.as_ref();
    let p = s.create_project("bench").await.unwrap();
    let rate = ingest(s, &p.id, ingest_n).await;
    println!("{name}: ingest {ingest_n} events at {rate:.0} events/s");
    let q = s.create_project("scan").await.unwrap();
    let events: Vec<StoredEvent> = (0..scan_n).map(realistic).collect();
    for chunk in events.chunks(5000) {
        s.upsert_events(&q.id, chunk).await.unwrap();
    }
    let (n, secs) = scan_all(s, &q.id).await;
    println!("{name}: scanned {n} of {scan_n} events in {secs:.2} s");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn sqlite_throughput() {
    run(
        Env::sqlite().await,
        "sqlite",
        std::env::var("N")
            .map(|n| n.parse().unwrap())
            .unwrap_or(100_000),
        std::env::var("SCAN_N")
            .map(|n| n.parse().unwrap())
            .unwrap_or(1_000_000),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn postgres_throughput() {
    run(
        Env::postgres().await,
        "postgres",
        count("INGEST_N", 100_000),
        count("SCAN_N", 1_000_000),
    )
    .await;
}
