//! Bounded memory and load for ingest (README, "Security"): gzip and decoding bombs
//! under concurrency against a real `preflight serve`, with the process's memory read
//! from `/proc`; batches over the event limit refused before they are decoded whole;
//! the ingest memory budget answering 503 when others hold it; and load shedding
//! beyond the concurrent-request limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::{json, Value};
use support::{create_project, scratch, sqlite_url, Server};
use tower::ServiceExt;

const MIB: usize = 1024 * 1024;
const INFLATED_CAP: usize = 32 * MIB;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// `{"events":[0,0,0,...]}`, `len` bytes.
fn zeros(len: usize) -> Vec<u8> {
    let mut body = b"{\"events\":[".to_vec();
    let n = (len - body.len() - 3) / 2;
    body.extend(b"0,".repeat(n));
    body.extend(b"0]}");
    body
}

/// One event whose payload is `[{"":0},{"":0},...]`, `len` bytes: a few bytes each on
/// the wire, a B-tree node each once decoded.
fn small_maps(len: usize) -> Vec<u8> {
    let mut body = br#"{"events":[{"trace_id":"t","span_id":"s","kind":"custom","name":"x","timestamp":"2026-11-01T10:00:00Z","payload":{"x":["#.to_vec();
    let n = (len - body.len() - 12) / 7;
    body.extend(br#"{"":0},"#.repeat(n));
    body.extend(br#"{"":0}]}}]}"#);
    body
}

fn varint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Field `number` (length-delimited) holding `inner`.
fn field(number: u8, inner: &[u8]) -> Vec<u8> {
    let mut out = vec![number << 3 | 2];
    varint(inner.len(), &mut out);
    out.extend_from_slice(inner);
    out
}

/// An OTLP export of `spans` empty spans, written on the wire directly: two bytes
/// each, a few hundred once decoded.
fn empty_spans(spans: usize) -> Vec<u8> {
    let scope_spans = [0x12u8, 0x00].repeat(spans);
    field(1, &field(2, &scope_spans))
}

/// An OTLP export whose resource carries one `len`-byte attribute, shared by `spans`
/// valid spans: every span's event keeps a copy of its resource.
fn shared_resource(len: usize, spans: usize) -> Vec<u8> {
    let attribute = KeyValue {
        key: "big".to_string(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue("r".repeat(len))),
        }),
        ..Default::default()
    };
    let spans = (0..spans)
        .map(|i| Span {
            trace_id: vec![7; 16],
            span_id: (i as u64 + 1).to_be_bytes().to_vec(),
            name: "work".to_string(),
            start_time_unix_nano: 1_800_000_000_000_000_000,
            end_time_unix_nano: 1_800_000_000_100_000_000,
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![attribute],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
}

fn post(url: &str, key: &str, body: &[u8], headers: &[(&str, &str)]) -> Answer {
    let mut request = agent()
        .post(url)
        .header("authorization", format!("Bearer {key}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.send(body).expect("HTTP request");
    Answer {
        status: response.status().as_u16(),
        retry_after: response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string()),
        body: response
            .body_mut()
            .with_config()
            .limit(16 * MIB as u64)
            .read_to_vec()
            .unwrap(),
    }
}

/// `copies` concurrent posts of `body`; their answers.
fn flood(
    url: &str,
    key: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
    copies: usize,
) -> Vec<Answer> {
    let body = Arc::new(body);
    let threads: Vec<_> = (0..copies)
        .map(|_| {
            let (url, key, body) = (url.to_string(), key.to_string(), body.clone());
            let headers: Vec<(String, String)> = headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            std::thread::spawn(move || {
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                post(&url, &key, &body, &headers)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// `VmRSS` or `VmHWM` (the peak) of a process, in MiB.
fn memory_mib(pid: u32, field: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

/// Each answer refuses the request as too large or too busy, in the API's error shape;
/// never a 5xx other than 503, never a success.
fn all_refused(what: &str, answers: &[Answer]) {
    for answer in answers {
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        assert!(
            [413, 503].contains(&answer.status),
            "{what}: {} {body}",
            answer.status
        );
        assert!(body["error"]["message"].is_string(), "{what}: {body}");
        if answer.status == 503 {
            assert_eq!(answer.retry_after.as_deref(), Some("1"), "{what}");
        }
    }
}

/// The budget the flood test gives the server, and how far above its memory before
/// the flood the peak may go: the budget, and room for the worker threads and the
/// allocator's slack (measured: about 110 MiB in all). Before the budget and the
/// streaming decoder, the same floods took the server's peak to 1.1 GB (the zeros),
/// 3.7 GB (the small maps) and 5.7 GB (the empty spans).
const BUDGET_MIB: usize = 64;
const PEAK_ALLOWANCE_MIB: usize = BUDGET_MIB + 96;

#[test]
fn decoding_bombs_under_concurrency_keep_the_server_memory_bounded() {
    let dir = scratch("ingest-bombs");
    let db = sqlite_url(&dir);
    let key = create_project(&db, "bombs");
    let budget = BUDGET_MIB.to_string();
    // An environment variable, so that a server without the setting still runs (and
    // fails this test by its memory, not by an unknown flag).
    let server = Server::start_with_env(
        &db,
        &[
            ("PREFLIGHT_INGEST_MEMORY_MIB", &budget),
            ("MALLOC_ARENA_MAX", "1"),
        ],
    );
    let ingest = format!("{}/v1/events/ingest", server.url);
    let otlp = format!("{}/otel/v1/traces", server.url);
    let gzip_json = [
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
    ];
    let gzip_protobuf = [
        ("content-type", "application/x-protobuf"),
        ("content-encoding", "gzip"),
    ];

    // Warm up (the first requests allocate pools, caches and worker threads).
    let warm = json!({"events": [{"trace_id": "w", "span_id": "w", "kind": "custom",
        "name": "warm", "timestamp": "2026-11-01T10:00:00Z"}]});
    for _ in 0..4 {
        let answer = post(
            &ingest,
            &key,
            warm.to_string().as_bytes(),
            &[("content-type", "application/json")],
        );
        assert_eq!(answer.status, 200);
    }
    let before = memory_mib(server.pid(), "VmRSS");
    let peak_bound = before + PEAK_ALLOWANCE_MIB;
    let check = |what: &str| {
        let peak = memory_mib(server.pid(), "VmHWM");
        eprintln!("{what}: VmRSS before {before} MiB, VmHWM now {peak} MiB");
        assert!(
            peak <= peak_bound,
            "{what}: the server's memory peaked at {peak} MiB, {} MiB over its {before} MiB \
             before the flood (allowed: {PEAK_ALLOWANCE_MIB})",
            peak - before
        );
    };

    // Eight 31 KB gzip bodies, 32 MiB each once inflated.
    let bomb = gzip(&zeros(INFLATED_CAP));
    assert!(bomb.len() < 40 * 1024, "{} bytes", bomb.len());
    let answers = flood(&ingest, &key, bomb, &gzip_json, 8);
    all_refused("{\"events\":[0,0,...]}", &answers);
    assert!(
        answers
            .iter()
            .any(|a| a.status == 413
                && String::from_utf8_lossy(&a.body).contains("at most 5000 events")),
        "the event limit is what refuses them"
    );
    check("zeros");

    // Four bodies whose values take a hundred times their bytes once decoded.
    let answers = flood(&ingest, &key, gzip(&small_maps(8 * MIB)), &gzip_json, 4);
    all_refused("[{\"\":0},...]", &answers);
    check("small maps");

    // OTLP: millions of empty spans, and a large resource copied into every span.
    let answers = flood(&otlp, &key, gzip(&empty_spans(8 * MIB)), &gzip_protobuf, 8);
    for answer in &answers {
        assert!(
            [413, 503].contains(&answer.status),
            "empty spans: {}",
            answer.status
        );
    }
    check("empty spans");
    let answers = flood(
        &otlp,
        &key,
        gzip(&shared_resource(24 * MIB, 40)),
        &gzip_protobuf,
        4,
    );
    for answer in &answers {
        assert!(
            [413, 503].contains(&answer.status),
            "shared resource: {}",
            answer.status
        );
        if answer.status == 503 {
            assert_eq!(answer.retry_after.as_deref(), Some("1"));
        }
    }
    check("shared resource");

    // Still serving: a batch with one bad event stores the good ones.
    let batch = json!({"events": [
        {"trace_id": "after", "span_id": "a", "kind": "tool_call", "name": "x", "timestamp": "2026-11-01T10:00:00Z"},
        {"trace_id": "after", "span_id": "b", "kind": "tool_call", "name": "x", "timestamp": "yesterday"},
        {"trace_id": "after", "span_id": "c", "kind": "llm_call", "name": "m", "timestamp": "2026-11-01T10:00:01Z"},
    ]});
    let answer = post(
        &ingest,
        &key,
        &gzip(batch.to_string().as_bytes()),
        &gzip_json,
    );
    let body: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(answer.status, 200, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    assert_eq!(
        body["rejected"],
        json!([{"index": 1, "error": "timestamp: not ISO 8601"}])
    );
}

/// A connection that sent its headers and part of its body, and waits.
struct SlowRequest(TcpStream);

const SLOW_BODY_START: &[u8] = b"{\"events\":[";
const SLOW_BODY_LEN: usize = 100;

impl SlowRequest {
    fn start(url: &str, key: &str) -> SlowRequest {
        let addr = url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "POST /v1/events/ingest HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: {SLOW_BODY_LEN}\r\n\r\n"
        )
        .unwrap();
        stream.write_all(SLOW_BODY_START).unwrap();
        stream.flush().unwrap();
        SlowRequest(stream)
    }

    /// Whether the server answered already (before the body was complete: shed).
    fn answered(&self) -> bool {
        self.0.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        let answered =
            !matches!(self.0.peek(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        self.0.set_nonblocking(false).unwrap();
        answered
    }

    /// Waits (at most `patience`) for the server's answer without sending more of the
    /// body; its status.
    fn answer_unfinished(mut self, patience: Duration) -> u16 {
        self.0.set_read_timeout(Some(patience)).unwrap();
        let mut head = [0u8; 12];
        self.0.read_exact(&mut head).unwrap();
        String::from_utf8_lossy(&head[9..12]).parse().unwrap()
    }

    /// Sends the rest of the body; the answer's status.
    fn finish(mut self) -> u16 {
        let mut rest = b"]}".to_vec();
        rest.resize(SLOW_BODY_LEN - SLOW_BODY_START.len(), b' ');
        self.0.write_all(&rest).unwrap();
        self.0
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut head = [0u8; 12];
        self.0.read_exact(&mut head).unwrap();
        String::from_utf8_lossy(&head[9..12]).parse().unwrap()
    }
}

#[test]
fn requests_beyond_the_concurrency_limit_are_shed_and_the_server_recovers() {
    let dir = scratch("ingest-shedding");
    let db = sqlite_url(&dir);
    let key = create_project(&db, "shedding");
    let server = Server::start_with_env(&db, &[("PREFLIGHT_MAX_CONCURRENT_REQUESTS", "2")]);
    let ingest = format!("{}/v1/events/ingest", server.url);
    let empty = br#"{"events": []}"#;
    let json_type = [("content-type", "application/json")];

    let mut slow = [
        SlowRequest::start(&server.url, &key),
        SlowRequest::start(&server.url, &key),
    ];
    // Once both are in their handlers, a third request is shed at once.
    let started = Instant::now();
    let shed = loop {
        let answer = post(&ingest, &key, empty, &json_type);
        if answer.status == 503 {
            break answer;
        }
        assert_eq!(answer.status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no request was shed with two slow ones in flight and a limit of 2"
        );
        // A slow request that came in while a probe held a place was shed itself:
        // start it again.
        for request in &mut slow {
            if request.answered() {
                *request = SlowRequest::start(&server.url, &key);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(shed.retry_after.as_deref(), Some("1"));
    let body: Value = serde_json::from_slice(&shed.body).unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("concurrent API requests"),
        "{body}"
    );
    // Every /v1 route and OTLP are shed alike (OTLP in its own error shape)...
    for _ in 0..5 {
        let answer = post(&ingest, &key, empty, &json_type);
        assert_eq!(answer.status, 503);
    }
    let otlp = post(
        &format!("{}/otel/v1/traces", server.url),
        &key,
        b"{}",
        &json_type,
    );
    assert_eq!(otlp.status, 503);
    assert_eq!(otlp.retry_after.as_deref(), Some("1"));
    let body: Value = serde_json::from_slice(&otlp.body).unwrap();
    assert_eq!(body["code"], 14, "google.rpc UNAVAILABLE: {body}");
    // ... while the rest of the server is not counted.
    let health = agent()
        .get(format!("{}/healthz", server.url))
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);

    // The slow requests finish normally, and their places are free again.
    for request in slow {
        assert_eq!(request.finish(), 200);
    }
    let started = Instant::now();
    loop {
        let answer = post(&ingest, &key, empty, &json_type);
        if answer.status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still refused: {}",
            answer.status
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let answers = flood(&ingest, &key, empty.to_vec(), &json_type, 2);
    assert!(answers.iter().all(|a| a.status == 200));
}

/// The router in process, with the state's memory budget at hand.
struct Harness {
    app: axum::Router,
    state: preflight::api::AppState,
    key: String,
}

impl Harness {
    async fn new(url: &str, limits: preflight::api::Limits) -> Harness {
        let store = store::open(url, store::StoreOptions::default())
            .await
            .expect("open store");
        let project = store.create_project("bounds").await.unwrap();
        let key = store
            .create_api_key(&project.id, store::KeyScope::Agent)
            .await
            .unwrap()
            .key;
        let state = preflight::api::AppState::new(store, limits);
        Harness {
            app: preflight::api::router(state.clone()),
            state,
            key,
        }
    }

    async fn post(
        &self,
        uri: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> (StatusCode, Option<String>, Value) {
        let request = Request::builder()
            .method("POST")
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            retry_after,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

/// 5,001 events followed by a body that never ends well: the answer is the event
/// limit's 413, so the decoder stopped at the 5,001st event.
#[tokio::test]
async fn batches_over_the_event_limit_are_refused_before_the_rest_is_read() {
    let url = store::testing::fresh_sqlite_url();
    let h = Harness::new(&url, Default::default()).await;
    let event = r#"{"trace_id":"t","span_id":"s","kind":"custom","name":"x","timestamp":"2026-11-01T10:00:00Z"}"#;
    let mut body = format!(r#"{{"events":[{}"#, vec![event; 5_001].join(","));
    body.push_str(r#",{"this is": not JSON"#);
    let (status, _, answer) = h
        .post("/v1/events/ingest", body.into_bytes(), "application/json")
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        "events: at most 5000 events per batch"
    );
    // Exactly at the limit, and well-formed: stored.
    let body = format!(r#"{{"events":[{}]}}"#, vec![event; 5_000].join(","));
    let (status, _, answer) = h
        .post("/v1/events/ingest", body.into_bytes(), "application/json")
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 5_000);

    // OTLP: the spans are counted on the wire, before the protobuf is decoded.
    let mut body = empty_spans(5_001);
    body.extend_from_slice(&[0x0a, 0xff]);
    let (status, _, _) = h
        .post("/otel/v1/traces", body, "application/x-protobuf")
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    store::testing::remove_sqlite(&url);
}

/// While other requests hold the ingest memory budget, ingest answers 503 with
/// `Retry-After` (JamJet and OTLP); once they let go, the same batch is stored. A
/// request that needs more than the whole budget is a 413 naming it.
async fn the_memory_budget_is_shared(url: &str) {
    let limits = preflight::api::Limits {
        ingest_memory_bytes: 16 * MIB,
        ..Default::default()
    };
    let h = Harness::new(url, limits).await;
    let batch = json!({"events": [
        {"trace_id": "b", "span_id": "1", "kind": "tool_call", "name": "x", "timestamp": "2026-11-01T10:00:00Z"},
        {"trace_id": "b", "span_id": "2", "kind": "tool_call", "name": "x", "timestamp": "never"},
    ]})
    .to_string()
    .into_bytes();
    let mut held = h.state.ingest_budget.reservation();
    held.charge(16 * MIB).unwrap();
    let (status, retry_after, answer) = h
        .post("/v1/events/ingest", batch.clone(), "application/json")
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(answer["error"]["code"], "unavailable");
    let (status, retry_after, _) = h
        .post("/otel/v1/traces", b"{}".to_vec(), "application/json")
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry_after.as_deref(), Some("1"));

    drop(held);
    let (status, _, answer) = h.post("/v1/events/ingest", batch, "application/json").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 1);
    assert_eq!(answer["rejected"][0]["index"], 1);
    let trace = h
        .state
        .store
        .trace_events(&h.state.store.list_projects().await.unwrap()[0].id, "b")
        .await
        .unwrap();
    assert_eq!(trace.len(), 1, "the good event is stored");

    let (status, _, answer) = h
        .post("/v1/events/ingest", small_maps(2 * MIB), "application/json")
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("16777216 bytes of memory"),
        "{answer}"
    );
    let (status, _, _) = h
        .post(
            "/otel/v1/traces",
            shared_resource(MIB, 100),
            "application/x-protobuf",
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        h.state.ingest_budget.in_use(),
        0,
        "every request gave its share back"
    );
}

#[tokio::test]
async fn the_memory_budget_is_shared_sqlite() {
    let url = store::testing::fresh_sqlite_url();
    the_memory_budget_is_shared(&url).await;
    store::testing::remove_sqlite(&url);
}

#[tokio::test]
async fn the_memory_budget_is_shared_postgres() {
    let url = store::testing::fresh_postgres_url().await;
    the_memory_budget_is_shared(&url).await;
    store::testing::drop_postgres_database(&url).await;
}

/// A body sent too slowly loses its place: at the deadline it is answered 408 and the
/// API serves others again, without the slow clients ever finishing.
#[test]
fn slow_bodies_are_answered_408_at_the_deadline_and_free_their_places() {
    let dir = scratch("ingest-slow-bodies");
    let db = sqlite_url(&dir);
    let key = create_project(&db, "slow");
    let server = Server::start_with_env(
        &db,
        &[
            ("PREFLIGHT_MAX_CONCURRENT_REQUESTS", "2"),
            ("PREFLIGHT_BODY_TIMEOUT_SECS", "2"),
        ],
    );
    let ingest = format!("{}/v1/events/ingest", server.url);
    let empty = br#"{"events": []}"#;
    let json_type = [("content-type", "application/json")];
    let slow = [
        SlowRequest::start(&server.url, &key),
        SlowRequest::start(&server.url, &key),
    ];
    // Both hold the two places: others are shed meanwhile.
    let shed_while_held = (0..40).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        post(&ingest, &key, empty, &json_type).status == 503
    });
    assert!(shed_while_held, "two slow bodies should hold both places");
    for request in slow {
        assert_eq!(request.answer_unfinished(Duration::from_secs(20)), 408);
    }
    let answer = post(&ingest, &key, empty, &json_type);
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    // The deadline counts the whole body, not the pause between its bytes: a body
    // trickled faster than any idle timeout would still be cut.
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /v1/datasets HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    )
    .unwrap();
    let started = Instant::now();
    let mut answered = false;
    while started.elapsed() < Duration::from_secs(20) {
        if stream.write_all(b" ").is_err() {
            answered = true;
            break;
        }
        let mut byte = [0u8; 1];
        stream.set_nonblocking(true).unwrap();
        let peeked = stream.peek(&mut byte);
        stream.set_nonblocking(false).unwrap();
        if !matches!(peeked, Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock) {
            answered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(answered, "a trickled body was never cut off");
    let mut head = [0u8; 12];
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.read_exact(&mut head).unwrap();
    assert_eq!(&head[9..12], b"408");
}
