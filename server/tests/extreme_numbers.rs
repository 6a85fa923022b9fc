//! Extreme numbers at ingest, through the router, on SQLite and PostgreSQL: a number
//! beyond its documented ceiling (`service::ingest::wire`) is rejected with its event,
//! by index and with the field named, while the good events of the batch are stored;
//! numbers at the ceilings are stored and every read over them (sums of cost, end
//! times from durations) still answers 200.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use service::ingest::wire::{MAX_COST_USD, MAX_DURATION_MS, MAX_TOKENS};

struct Harness {
    app: Router,
    key: String,
}

impl Harness {
    async fn new(url: String) -> Harness {
        let store = support::open_store(&url).await;
        let app = support::api_router(store.clone());
        let (_, key) = support::project_with_key(store.as_ref(), "extreme").await;
        Harness { app, key }
    }

    async fn call(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.key));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let answer = support::send(&self.app, request.body(body).unwrap()).await;
        let json = serde_json::from_slice(&answer.bytes).unwrap_or(Value::String(answer.body));
        (answer.status, json)
    }

    /// Every read that sums or derives from the stored numbers answers 200.
    async fn reads_still_work(&self, trace: &str, session: &str) {
        for uri in [
            "/v1/threads".to_string(),
            format!("/v1/threads/{session}"),
            "/v1/traces".to_string(),
            format!("/v1/traces/{trace}"),
            format!("/v1/traces/{trace}/replay"),
            "/v1/audit".to_string(),
        ] {
            let (status, body) = self.call("GET", &uri, None).await;
            assert_eq!(status, StatusCode::OK, "GET {uri}: {body}");
        }
    }
}

fn span(trace: &str, span: &str, extra: Value) -> Value {
    let mut event = json!({
        "type": "span", "trace_id": trace, "span_id": span, "kind": "llm_call",
        "name": "openai.gpt-4o-mini", "sequence": 1, "timestamp": "2026-11-01T10:00:00Z",
        "status": "ok", "agent_name": "support-bot", "session_id": "sess-extreme",
    });
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

const INGEST: &str = "/v1/events/ingest";

async fn out_of_range_events_are_rejected_alone(h: Harness) {
    let batch = json!({"events": [
        span("x-trace", "good-1", json!({"cost_usd": 0.25, "duration_ms": 120.5, "input_tokens": 1000, "output_tokens": 200})),
        span("x-trace", "long", json!({"duration_ms": 1e30})),
        span("x-trace", "dear-1", json!({"cost_usd": 1.7e308})),
        span("x-trace", "dear-2", json!({"cost_usd": 1.7e308})),
        span("x-trace", "negative", json!({"input_tokens": -5})),
        span("x-trace", "good-2", json!({"cost_usd": 0.5, "sequence": 2})),
        span("x-trace", "many", json!({"output_tokens": 10_000_000_000_000_u64})),
        span("x-trace", "beyond-i64", json!({"input_tokens": u64::MAX})),
    ]});
    let (status, body) = h.call("POST", INGEST, Some(batch)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    let rejected: Vec<(u64, &str)> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["error"].as_str().unwrap()))
        .collect();
    let indexes: Vec<u64> = rejected.iter().map(|r| r.0).collect();
    assert_eq!(indexes, [1, 2, 3, 4, 6, 7], "{body}");
    for ((_, error), field) in rejected.iter().zip([
        "duration_ms",
        "cost_usd",
        "cost_usd",
        "input_tokens",
        "output_tokens",
        "input_tokens",
    ]) {
        assert!(error.starts_with(&format!("{field}: ")), "{error}");
    }

    let (status, trace) = h.call("GET", "/v1/traces/x-trace", None).await;
    assert_eq!(status, StatusCode::OK, "{trace}");
    let mut spans: Vec<&str> = trace["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["span_id"].as_str().unwrap())
        .collect();
    spans.sort_unstable();
    assert_eq!(spans, ["good-1", "good-2"], "{trace}");

    let (status, threads) = h.call("GET", "/v1/threads", None).await;
    assert_eq!(status, StatusCode::OK, "{threads}");
    let thread = &threads["threads"][0];
    assert_eq!(thread["session_id"], "sess-extreme", "{threads}");
    let cost = thread["cost_usd"].as_f64().unwrap();
    assert!((cost - 0.75).abs() < 1e-9, "{threads}");
    h.reads_still_work("x-trace", "sess-extreme").await;
}

/// Numbers at their ceilings are stored, and sums over many of them stay readable.
async fn numbers_at_the_ceilings_are_stored(h: Harness) {
    let events: Vec<Value> = (0..50)
        .map(|i| {
            span(
                &format!("ceiling-{}", i % 5),
                &format!("s{i}"),
                json!({
                    "duration_ms": MAX_DURATION_MS,
                    "cost_usd": MAX_COST_USD,
                    "input_tokens": MAX_TOKENS,
                    "output_tokens": MAX_TOKENS,
                    "sequence": i,
                    "session_id": "sess-ceiling",
                }),
            )
        })
        .collect();
    let (status, body) = h
        .call("POST", INGEST, Some(json!({"events": events})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 50, "{body}");
    assert_eq!(body["rejected"], json!([]), "{body}");
    let (status, threads) = h.call("GET", "/v1/threads", None).await;
    assert_eq!(status, StatusCode::OK, "{threads}");
    let cost = threads["threads"][0]["cost_usd"].as_f64().unwrap();
    assert!((cost - 50.0 * MAX_COST_USD).abs() < 1.0, "{threads}");
    h.reads_still_work("ceiling-0", "sess-ceiling").await;
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Harness::new(store::testing::fresh_sqlite_url()).await).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Harness::new(store::testing::fresh_postgres_url().await).await).await; })*
        }
    };
}

on_both_backends!(
    out_of_range_events_are_rejected_alone,
    numbers_at_the_ceilings_are_stored,
);
