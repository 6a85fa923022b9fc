//! Operations: `GET /metrics` (Prometheus text format), `GET /healthz` (the process
//! answers) and `GET /readyz` (the database answers a query against the migrated
//! schema).
//!
//! The metrics are a handful of counters and histograms in atomics, process-wide (one
//! server per process), rendered by hand in the Prometheus text exposition format
//! 0.0.4. They carry no project, trace or key data, so every label set is bounded:
//! routes are axum's matched path templates (`/v1/traces/{trace_id}`), never the
//! concrete path.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How long `/readyz` and the scrape-time probe wait for the database.
const DB_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A latency histogram: per-bucket counts (not cumulative), the total count and the
/// sum in nanoseconds.
#[derive(Debug)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    const fn new() -> Self {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS.len()],
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|le| secs <= *le) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (le, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Where ingested events came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `POST /v1/events/ingest` (JamJet SDKs).
    Jamjet,
    /// `POST /otel/v1/traces` (OpenTelemetry OTLP/HTTP).
    Otlp,
}

impl Source {
    const ALL: [Source; 2] = [Source::Jamjet, Source::Otlp];

    fn index(self) -> usize {
        match self {
            Source::Jamjet => 0,
            Source::Otlp => 1,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Source::Jamjet => "jamjet",
            Source::Otlp => "otlp",
        }
    }
}

/// (method, route template, status code).
type HttpKey = (&'static str, String, u16);

/// Everything `/metrics` reports.
#[derive(Debug)]
pub struct Metrics {
    ingest_batches: [AtomicU64; 2],
    ingest_events: [AtomicU64; 2],
    ingest_rejected: [AtomicU64; 2],
    simulations: AtomicU64,
    simulation_events: AtomicU64,
    simulation_seconds: Histogram,
    http_in_flight: AtomicI64,
    http: Mutex<BTreeMap<HttpKey, Arc<Histogram>>>,
}

static METRICS: Metrics = Metrics {
    ingest_batches: [const { AtomicU64::new(0) }; 2],
    ingest_events: [const { AtomicU64::new(0) }; 2],
    ingest_rejected: [const { AtomicU64::new(0) }; 2],
    simulations: AtomicU64::new(0),
    simulation_events: AtomicU64::new(0),
    simulation_seconds: Histogram::new(),
    http_in_flight: AtomicI64::new(0),
    http: Mutex::new(BTreeMap::new()),
};

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

fn start_time() -> f64 {
    static START: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *START.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    })
}

impl Metrics {
    /// One ingest request that got as far as judging its events.
    pub fn ingest(&self, source: Source, accepted: usize, rejected: usize) {
        let i = source.index();
        self.ingest_batches[i].fetch_add(1, Ordering::Relaxed);
        self.ingest_events[i].fetch_add(accepted as u64, Ordering::Relaxed);
        self.ingest_rejected[i].fetch_add(rejected as u64, Ordering::Relaxed);
    }

    /// One finished simulation run.
    pub fn simulation(&self, events_scanned: u64, elapsed: Duration) {
        self.simulations.fetch_add(1, Ordering::Relaxed);
        self.simulation_events
            .fetch_add(events_scanned, Ordering::Relaxed);
        self.simulation_seconds.observe(elapsed);
    }

    fn http_histogram(&self, key: HttpKey) -> Arc<Histogram> {
        let mut map = self.http.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key)
            .or_insert_with(|| Arc::new(Histogram::new()))
            .clone()
    }

    /// The exposition text, with the database probe's outcome.
    pub fn render(&self, db: &DbProbe) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let version = env!("CARGO_PKG_VERSION");
        header_lines(
            &mut out,
            "preflight_build_info",
            "gauge",
            "Always 1; the version is a label.",
        );
        let _ = writeln!(out, "preflight_build_info{{version=\"{version}\"}} 1");
        header_lines(
            &mut out,
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch, in seconds.",
        );
        let _ = writeln!(out, "process_start_time_seconds {}", start_time());

        let per_source = |out: &mut String, name: &str, help: &str, values: &[AtomicU64; 2]| {
            header_lines(out, name, "counter", help);
            for source in Source::ALL {
                let v = values[source.index()].load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}{{source=\"{}\"}} {v}", source.label());
            }
        };
        per_source(
            &mut out,
            "preflight_ingest_batches_total",
            "Ingest requests whose events were judged (JamJet batches, OTLP export requests).",
            &self.ingest_batches,
        );
        per_source(
            &mut out,
            "preflight_ingest_events_total",
            "Events (spans) accepted and stored.",
            &self.ingest_events,
        );
        per_source(
            &mut out,
            "preflight_ingest_rejected_events_total",
            "Events (spans) rejected one by one (bad field, unknown kind, ...).",
            &self.ingest_rejected,
        );

        header_lines(
            &mut out,
            "preflight_simulations_total",
            "counter",
            "Policy simulation runs served by the API.",
        );
        let _ = writeln!(
            out,
            "preflight_simulations_total {}",
            self.simulations.load(Ordering::Relaxed)
        );
        header_lines(
            &mut out,
            "preflight_simulation_events_scanned_total",
            "counter",
            "Events replayed by those simulations.",
        );
        let _ = writeln!(
            out,
            "preflight_simulation_events_scanned_total {}",
            self.simulation_events.load(Ordering::Relaxed)
        );
        header_lines(
            &mut out,
            "preflight_simulation_duration_seconds",
            "histogram",
            "Time to replay a draft over the events in scope.",
        );
        self.simulation_seconds
            .render(&mut out, "preflight_simulation_duration_seconds", "");

        header_lines(
            &mut out,
            "preflight_http_requests_in_flight",
            "gauge",
            "HTTP requests being served.",
        );
        let _ = writeln!(
            out,
            "preflight_http_requests_in_flight {}",
            self.http_in_flight.load(Ordering::Relaxed)
        );
        header_lines(
            &mut out,
            "preflight_http_request_duration_seconds",
            "histogram",
            "HTTP request latency by method, matched route template and status.",
        );
        let snapshot: Vec<(HttpKey, Arc<Histogram>)> = {
            let map = self.http.lock().unwrap_or_else(|e| e.into_inner());
            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        for ((method, route, status), histogram) in snapshot {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape_label(&route)
            );
            histogram.render(&mut out, "preflight_http_request_duration_seconds", &labels);
        }

        header_lines(
            &mut out,
            "preflight_db_up",
            "gauge",
            "1 if the database answered the probe made for this scrape.",
        );
        let _ = writeln!(out, "preflight_db_up {}", u8::from(db.ok));
        header_lines(
            &mut out,
            "preflight_db_probe_duration_seconds",
            "gauge",
            "How long that probe took.",
        );
        let _ = writeln!(
            out,
            "preflight_db_probe_duration_seconds {}",
            db.elapsed.as_secs_f64()
        );
        header_lines(
            &mut out,
            "preflight_db_pool_connections",
            "gauge",
            "Database connections per pool: open (busy or idle), idle, in_use, max.",
        );
        for pool in &db.pools {
            let in_use = pool.open.saturating_sub(pool.idle);
            for (state, n) in [
                ("open", pool.open),
                ("idle", pool.idle),
                ("in_use", in_use),
                ("max", pool.max),
            ] {
                let _ = writeln!(
                    out,
                    "preflight_db_pool_connections{{pool=\"{}\",state=\"{state}\"}} {n}",
                    pool.pool
                );
            }
        }
        out
    }
}

fn header_lines(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A bounded set of method labels.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Keeps the in-flight gauge right even when a request future is dropped midway.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        METRICS.http_in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        METRICS.http_in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Middleware recording every request's latency under its matched route template
/// (`fallback` for requests no route matched: static files, 404s).
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "fallback".to_string());
    let method = method_label(request.method());
    let _guard = InFlight::enter();
    let started = Instant::now();
    let response = next.run(request).await;
    let histogram = METRICS.http_histogram((method, route, response.status().as_u16()));
    histogram.observe(started.elapsed());
    response
}

/// The outcome of asking the database something cheap.
#[derive(Debug, Clone)]
pub struct DbProbe {
    pub ok: bool,
    pub elapsed: Duration,
    /// For the logs only: may name hosts.
    pub error: Option<String>,
    /// The connection pools' usage when the probe was made.
    pub pools: Vec<store::PoolStats>,
}

/// Reads one row by an indexed key from `projects`, a table the migrations create:
/// it answers only if the database is reachable and migrated.
pub async fn probe_db(store: &dyn store::Store) -> DbProbe {
    let started = Instant::now();
    let result = tokio::time::timeout(
        DB_PROBE_TIMEOUT,
        store.project_by_name("preflight-readyz-probe"),
    )
    .await;
    let error = match result {
        Ok(Ok(_)) => None,
        Ok(Err(err)) => Some(err.to_string()),
        Err(_) => Some(format!("no answer within {} s", DB_PROBE_TIMEOUT.as_secs())),
    };
    DbProbe {
        ok: error.is_none(),
        elapsed: started.elapsed(),
        error,
        pools: store.pool_stats(),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<OpsState>) -> Response {
    let probe = probe_db(state.store.as_ref()).await;
    let elapsed_ms = probe.elapsed.as_secs_f64() * 1000.0;
    if probe.ok {
        (
            StatusCode::OK,
            Json(json!({
                "status": "ready",
                "checks": {
                    "database": {"ok": true, "latency_ms": elapsed_ms},
                    "migrations": {"ok": true},
                },
            })),
        )
            .into_response()
    } else {
        tracing::warn!(
            error = probe.error.as_deref().unwrap_or(""),
            "readiness probe failed"
        );
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "checks": {
                    "database": {
                        "ok": false,
                        "latency_ms": elapsed_ms,
                        "message": "the database did not answer a query against the migrated schema (see the server log)",
                    },
                },
            })),
        )
            .into_response()
    }
}

/// The bearer token `/metrics` asks for (`--metrics-token`, `--metrics-token-file`).
/// Only its SHA-256 digest is kept; a presented token is hashed and the digests are
/// compared in constant time, so neither the time taken nor the token's length says
/// anything about it.
#[derive(Clone)]
pub struct MetricsToken([u8; 32]);

impl MetricsToken {
    /// A token: visible ASCII (what a `Bearer` header carries), at least one character.
    pub fn new(token: &str) -> Result<MetricsToken, String> {
        if token.is_empty() {
            return Err("the metrics token is empty".to_string());
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the metrics token must be visible ASCII characters (no spaces)".to_string(),
            );
        }
        Ok(MetricsToken(digest(token.as_bytes())))
    }

    /// Is this the token?
    pub fn admits(&self, presented: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        digest(presented).ct_eq(&self.0).into()
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(..)")
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

#[derive(Clone)]
struct OpsState {
    store: Arc<dyn store::Store>,
    metrics_token: Option<MetricsToken>,
}

/// `Authorization: Bearer <token>` carries the metrics token.
fn bearer_admitted(token: &MetricsToken, headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .is_some_and(|presented| token.admits(presented))
}

async fn metrics_handler(
    State(state): State<OpsState>,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(token) = &state.metrics_token {
        if !bearer_admitted(token, &headers) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
                "/metrics needs the metrics token: Authorization: Bearer <token>\n",
            )
                .into_response();
        }
    }
    let probe = probe_db(state.store.as_ref()).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        METRICS.render(&probe),
    )
        .into_response()
}

/// `/healthz`, `/readyz` and `/metrics`. None takes an API key (and none reveals
/// project data); `/metrics` asks for `metrics_token` as a bearer token when one is
/// set, else keep it on a network you trust.
pub fn router(store: Arc<dyn store::Store>, metrics_token: Option<MetricsToken>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_handler))
        .with_state(OpsState {
            store,
            metrics_token,
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_the_token_itself_is_admitted() {
        let token = MetricsToken::new("s3cret-token").unwrap();
        assert!(token.admits(b"s3cret-token"));
        for wrong in [
            &b""[..],
            b"s3cret-toke",
            b"s3cret-token ",
            b"S3CRET-TOKEN",
            b"x",
        ] {
            assert!(!token.admits(wrong), "{wrong:?}");
        }
        assert!(MetricsToken::new("").is_err());
        assert!(MetricsToken::new("with space").is_err());
        assert_eq!(format!("{token:?}"), "MetricsToken(..)");
    }
}
