//! CPU-heavy requests run off the async workers (`service::blocking`): while a large
//! simulation computes, `/healthz` still answers at once. The server runs on a
//! runtime with a single async worker, so work done on that worker would hold every
//! other request until it finished.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;

/// Events simulated, and rules in the draft: enough for seconds of CPU in a test build.
const EVENTS: usize = 10_000;
const RULES: usize = 5_000;

/// One HTTP/1.1 exchange on a fresh connection: the status code.
fn http(addr: SocketAddr, method: &str, path: &str, key: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
}

/// Starts the whole router on a one-worker runtime with `EVENTS` stored events; the
/// address and an API key.
fn serve(runtime: &tokio::runtime::Runtime) -> (SocketAddr, String) {
    runtime.block_on(async {
        let url = store::testing::fresh_sqlite_url();
        let store = store::open(&url, store::StoreOptions::default())
            .await
            .unwrap();
        let project = store.create_project("heavy").await.unwrap();
        let key = store.create_api_key(&project.id, store::KeyScope::Admin).await.unwrap().key;
        let site = preflight::web::SiteConfig::default();
        let app = preflight::web::router(&site, store);
        let events: Vec<Value> = (0..EVENTS)
            .map(|i| {
                json!({"type": "span", "trace_id": format!("t{}", i / 50), "span_id": format!("s{i}"),
                       "kind": "tool_call", "name": format!("tool{}.call", i % RULES), "sequence": i,
                       "timestamp": "2026-11-01T10:00:00Z", "status": "ok", "agent_name": "bot"})
            })
            .collect();
        for batch in events.chunks(5_000) {
            let request = Request::post("/v1/events/ingest")
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/json")
                .body(Body::from(json!({ "events": batch }).to_string()))
                .unwrap();
            let answer = app.clone().oneshot(request).await.unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (addr, key)
    })
}

#[test]
fn healthz_answers_while_a_large_simulation_runs() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (addr, key) = serve(&runtime);
    assert_eq!(http(addr, "GET", "/healthz", "", ""), 200);

    // Every rule's tool pattern matches every event and its agent pattern none: the
    // simulator tries each rule's agent pattern for each event.
    let rules: Vec<Value> = (0..RULES)
        .map(|i| json!({"pattern": "tool*", "agent_pattern": format!("agent{i}-*"), "action": "block"}))
        .collect();
    let body = json!({"draft": {"version": 1, "rules": rules}, "since": "2026-01-01T00:00:00Z"})
        .to_string();
    let heavy = std::thread::spawn({
        let key = key.clone();
        move || {
            let started = Instant::now();
            let status = http(addr, "POST", "/v1/policy/simulate", &key, &body);
            (status, started.elapsed())
        }
    });

    // `/healthz` over and over while the simulation is in flight.
    let mut latencies: Vec<Duration> = Vec::new();
    std::thread::sleep(Duration::from_millis(100));
    while !heavy.is_finished() {
        let started = Instant::now();
        assert_eq!(http(addr, "GET", "/healthz", "", ""), 200);
        latencies.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, heavy_took) = heavy.join().unwrap();
    assert_eq!(status, 200);
    let slowest = latencies.iter().max().copied().unwrap_or_default();
    eprintln!(
        "simulation: {heavy_took:?}; /healthz: {} answers, slowest {slowest:?}",
        latencies.len()
    );
    // The ratio, not a fixed time: whatever the machine's speed, /healthz must not wait
    // for the simulation (a tenth of its time is far above one answer's cost).
    assert!(
        slowest * 10 < heavy_took,
        "/healthz took {slowest:?} while a {heavy_took:?} simulation ran"
    );
    assert!(
        latencies.len() >= 5,
        "the simulation ({heavy_took:?}) was too quick to measure /healthz beside it"
    );
}

/// Reads a page of six versions, each with its diff against the one before, for
/// rule sets of `rules` rules that share nothing from one version to the next (every
/// rule added and removed each time): the fastest of three reads.
async fn version_history_time(rules: usize) -> Duration {
    let url = store::testing::fresh_sqlite_url();
    let store = store::open(&url, store::StoreOptions::default())
        .await
        .unwrap();
    let project = store.create_project("history").await.unwrap();
    let key = store
        .create_api_key(&project.id, store::KeyScope::Admin)
        .await
        .unwrap()
        .key;
    let app = preflight::api::router(preflight::api::AppState::new(
        store,
        preflight::api::Limits::default(),
    ));
    let call = |method: &str, path: &str, body: String| {
        Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    for version in 0..6 {
        let set: Vec<Value> = (0..rules)
            .map(|i| json!({"pattern": format!("v{version}.tool{i}"), "action": "block"}))
            .collect();
        let body = json!({ "rules": set }).to_string();
        let answer = app
            .clone()
            .oneshot(call("PUT", "/v1/policies", body))
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let mut fastest = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let answer = app
            .clone()
            .oneshot(call("GET", "/v1/policies/versions?limit=6", String::new()))
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let bytes = http_body_util::BodyExt::collect(answer.into_body())
            .await
            .unwrap()
            .to_bytes();
        fastest = fastest.min(started.elapsed());
        let page: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            page["versions"].as_array().map(Vec::len),
            Some(6),
            "{page:.200}"
        );
    }
    store::testing::remove_sqlite(&url);
    fastest
}

/// The version history's diffs are keyed by rule identity, not all-pairs: four times
/// the rules take about four times as long, not sixteen (all-pairs over six versions
/// of 5,000 rules took 7.4 s). A ratio of two timings on the same machine, not a fixed
/// time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_history_grows_linearly_with_the_rules() {
    let small = version_history_time(1_250).await;
    let large = version_history_time(5_000).await;
    eprintln!("six versions of 1,250 rules: {small:?}; of 5,000 rules: {large:?}");
    assert!(
        large < small * 8,
        "4× the rules took {:.1}× as long ({small:?} → {large:?}): not linear",
        large.as_secs_f64() / small.as_secs_f64()
    );
}
