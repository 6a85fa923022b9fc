//! Synthetic JamJet SDK spans and a concurrent ingest driver: `clients` threads each
//! post batches through `POST /v1/events/ingest`, as the SDK does.
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::server::Server;

const KINDS: [&str; 5] = [
    "tool_call",
    "llm_call",
    "mcp_tool_call",
    "agent_call",
    "policy_decision",
];

/// A block of traces: `traces` traces of `per_trace` spans, named `{prefix}{n}`.
#[derive(Clone, Debug)]
pub struct Traces {
    pub prefix: String,
    pub traces: usize,
    pub per_trace: usize,
    /// Traces `i` and `i+1` share a session when `i / turns_per_session` is equal.
    pub turns_per_session: usize,
    /// Each span's parent: the previous span (a chain) when false, else a fan-out tree.
    pub tree: bool,
}

impl Traces {
    pub fn events(&self) -> usize {
        self.traces * self.per_trace
    }

    /// How many of the spans are of the kinds simulation scans (what `count_events`
    /// counts): kinds rotate, and the first three of the five are scanned.
    pub fn scanned_events(&self) -> usize {
        (0..self.events()).filter(|i| i % KINDS.len() < 3).count()
    }

    pub fn trace_id(&self, t: usize) -> String {
        format!("{}{t:07}", self.prefix)
    }

    /// One span in the SDK's wire format.
    fn event(&self, i: usize, base_micros: i64, tools: &[String], out: &mut String) {
        let t = i / self.per_trace;
        let j = i % self.per_trace;
        let kind = KINDS[i % KINDS.len()];
        let tool = &tools[i % tools.len()];
        let name = if kind == "llm_call" {
            "openai.gpt-4o-mini"
        } else {
            tool.as_str()
        };
        let micros = base_micros + (i as i64) * 1_000;
        let ts = chrono::DateTime::from_timestamp_micros(micros)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
            .unwrap_or_default();
        let status = if i % 23 == 0 { "error" } else { "ok" };
        let parent = match (j, self.tree) {
            (0, _) => String::new(),
            (_, false) => format!(",\"parent_span_id\":\"{}-{}\"", t, j - 1),
            (_, true) => format!(",\"parent_span_id\":\"{}-{}\"", t, (j - 1) / 4),
        };
        let session = t / self.turns_per_session.max(1);
        let _ = write!(
            out,
            "{{\"type\":\"span\",\"trace_id\":\"{trace}\",\"span_id\":\"{t}-{j}\"{parent},\"kind\":\"{kind}\",\"name\":\"{name}\",\"sequence\":{j},\"timestamp\":\"{ts}\",\"status\":\"{status}\",\"duration_ms\":{dur},\"agent_name\":\"agent-{agent}\",\"session_id\":\"{prefix}s{session}\",\"cost_usd\":{cost},\"model\":\"gpt-4o-mini\",\"input_tokens\":812,\"output_tokens\":64,\"payload\":{{\"input\":{{\"query\":\"find the invoice for customer {i}\",\"limit\":10}},\"output\":{{\"hits\":3}}}}}}",
            trace = self.trace_id(t),
            prefix = self.prefix,
            dur = 5 + i % 400,
            agent = i % 5,
            cost = 0.001 * (i % 97) as f64,
        );
    }
}

/// What an ingest run measured.
pub struct Ingested {
    pub events: usize,
    pub accepted: usize,
    pub seconds: f64,
    /// Seconds per request.
    pub latencies: Vec<f64>,
}

/// Posts every span of `traces` in batches of `batch` from `clients` threads.
pub fn ingest(
    server: &Server,
    traces: &Traces,
    clients: usize,
    batch: usize,
) -> Result<Ingested, String> {
    let tools: Vec<String> = policy::workload::probes()
        .into_iter()
        .map(|p| p.tool)
        .collect();
    let total = traces.events();
    let batches = total.div_ceil(batch.max(1));
    let next = AtomicUsize::new(0);
    let accepted = AtomicUsize::new(0);
    let base_micros = store::now_micros() - (total as i64) * 1_000 - 60_000_000;
    let progress = crate::cli::progress::Progress::new("ingesting", "events", Some(total as u64));
    let start = Instant::now();
    let results: Vec<Result<Vec<f64>, String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<Vec<f64>, String> {
                    let mut latencies = Vec::new();
                    let mut body = String::new();
                    loop {
                        let b = next.fetch_add(1, Ordering::Relaxed);
                        if b >= batches {
                            return Ok(latencies);
                        }
                        body.clear();
                        body.push_str("{\"events\":[");
                        for i in b * batch..((b + 1) * batch).min(total) {
                            if i > b * batch {
                                body.push(',');
                            }
                            traces.event(i, base_micros, &tools, &mut body);
                        }
                        body.push_str("]}");
                        let sent = Instant::now();
                        let answer = server.post("/v1/events/ingest", &body)?;
                        latencies.push(sent.elapsed().as_secs_f64());
                        let n = answer["accepted"].as_u64().unwrap_or(0) as usize;
                        accepted.fetch_add(n, Ordering::Relaxed);
                        progress.add(n as u64);
                        if let Some(rejected) =
                            answer["rejected"].as_array().filter(|r| !r.is_empty())
                        {
                            return Err(format!("events rejected: {rejected:?}"));
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err("an ingest client panicked".to_string()))
            })
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    progress.finish();
    let mut latencies = Vec::new();
    for r in results {
        latencies.extend(r?);
    }
    Ok(Ingested {
        events: total,
        accepted: accepted.load(Ordering::Relaxed),
        seconds,
        latencies,
    })
}

/// Counts the project's stored events by opening the database directly.
pub fn stored_events(server: &Server) -> Result<u64, String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let store = server.open_store().await?;
        store
            .count_events(
                &server.project_id,
                store::EventScan::Window {
                    since_micros: None,
                    until_micros: None,
                },
            )
            .await
            .map_err(|e| e.to_string())
    })
}
