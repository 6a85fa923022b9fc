//! The dashboard's assets through the whole router: gzip when accepted (and the same
//! bytes once inflated), identity otherwise, a strong ETag answered with 304, a new
//! ETag when the build changes the file, no path outside `pkg/`; pages in gzip too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Read;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use support::{Answer, HOST};

async fn get(app: &Router, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(path).header(header::HOST, HOST);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    support::send(app, request.body(Body::empty()).unwrap()).await
}

fn inflate(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn assets_are_compressed_cached_and_revalidated() {
    let root = support::scratch("assets-site");
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    // Compressible like a real bundle: repetitive, but not one byte repeated.
    let wasm: Vec<u8> = (0..200_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 4096) as u8)
        .collect();
    std::fs::write(pkg.join("preflight.wasm"), &wasm).unwrap();
    std::fs::write(
        pkg.join("preflight.js"),
        "export function x() {}\n".repeat(200),
    )
    .unwrap();
    std::fs::write(root.join("secret.txt"), "outside pkg").unwrap();
    let site = preflight::web::SiteConfig {
        site_root: root.display().to_string(),
        ..Default::default()
    };
    let app = support::app_router(support::sqlite_store().await, site);

    let gz = get(
        &app,
        "/pkg/preflight.wasm",
        &[("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(gz.status, StatusCode::OK);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("content-type"), Some("application/wasm"));
    assert_eq!(gz.header("cache-control"), Some("no-cache"));
    assert_eq!(gz.header("vary"), Some("accept-encoding"));
    assert!(gz.bytes.len() < wasm.len() / 2, "{} bytes", gz.bytes.len());
    assert_eq!(inflate(&gz.bytes), wasm);
    let etag = gz.header("etag").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");

    let plain = get(&app, "/pkg/preflight.wasm", &[]).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.bytes, wasm);
    assert_eq!(
        plain.header("etag"),
        Some(etag.as_str()),
        "one ETag per file version"
    );

    let again = get(
        &app,
        "/pkg/preflight.wasm",
        &[("if-none-match", &etag), ("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.bytes.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    let js = get(&app, "/pkg/preflight.js", &[("accept-encoding", "gzip")]).await;
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(js.header("content-encoding"), Some("gzip"));

    // A new build: a new ETag, and the old one no longer answers 304.
    let mut rebuilt = wasm.clone();
    rebuilt.extend_from_slice(b"more");
    std::fs::write(pkg.join("preflight.wasm"), &rebuilt).unwrap();
    let fresh = get(&app, "/pkg/preflight.wasm", &[("if-none-match", &etag)]).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.bytes, rebuilt);
    assert_ne!(fresh.header("etag"), Some(etag.as_str()));

    for outside in [
        "/pkg/../secret.txt",
        "/pkg/%2e%2e/secret.txt",
        "/pkg/missing.wasm",
        "/pkg/a//b",
    ] {
        let answer = get(&app, outside, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{outside}");
        assert!(!answer.body.contains("outside pkg"), "{outside}");
    }

    // Pages are compressed on the fly for clients that accept it.
    let page = get(&app, "/signin", &[("accept-encoding", "gzip")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-encoding"), Some("gzip"));
    assert!(String::from_utf8(inflate(&page.bytes))
        .unwrap()
        .contains("<form"));
    let page = get(&app, "/signin", &[]).await;
    assert_eq!(page.header("content-encoding"), None);
}

/// Streamed answers (JSON lines, CSV) end cleanly in gzip too: the compression layer
/// polls a body again after its end, which an unfused stream answers with a panic.
#[tokio::test]
async fn streamed_answers_end_cleanly_in_gzip() {
    let store = support::sqlite_store().await;
    let admin = support::SignedIn::new(store.clone(), "streams").await;
    let event = serde_json::json!({"events": [{"type": "span", "trace_id": "t1", "span_id": "a",
        "kind": "tool_call", "name": "payments.refund", "timestamp": "2026-12-07T10:00:00Z",
        "status": "ok", "payload": {"policy_decisions": [{"tool_name": "payments.refund",
        "policy_kind": "block", "pattern": "payments.*"}]}}]});
    let bearer = format!("Bearer {}", admin.key);
    let post = |path: &str, body: &serde_json::Value| {
        Request::post(path)
            .header(header::HOST, HOST)
            .header(header::AUTHORIZATION, bearer.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let ingested = support::send(&admin.app, post("/v1/events/ingest", &event)).await;
    assert_eq!(ingested.status, StatusCode::OK, "{}", ingested.body);
    let run = support::send(
        &admin.app,
        post(
            "/v1/policy/simulate/batch",
            &serde_json::json!({"draft": {"kind": "allow", "pattern": "payments.*"}, "trace_ids": ["t1"]}),
        ),
    )
    .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    let id = run.json()["simulation_id"].as_str().unwrap().to_string();

    let auth = ("authorization", bearer.as_str());
    let lines = get(
        &admin.app,
        &format!("/v1/policy/simulations/{id}/events"),
        &[auth, ("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(lines.status, StatusCode::OK);
    assert_eq!(lines.header("content-encoding"), Some("gzip"));
    let text = String::from_utf8(inflate(&lines.bytes)).unwrap();
    assert!(text.contains("\"tool\":\"payments.refund\""), "{text}");

    let project = admin.project.id.clone();
    let csv = get(
        &admin.app,
        &format!("/dashboard/audit/export.csv?project={project}"),
        &[
            ("cookie", admin.cookie.as_str()),
            ("accept-encoding", "gzip"),
        ],
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(csv.header("content-encoding"), Some("gzip"));
    let text = String::from_utf8(inflate(&csv.bytes)).unwrap();
    assert!(text.contains("payments.refund"), "{text}");
}
