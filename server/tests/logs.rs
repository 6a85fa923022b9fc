//! API keys and end-user emails never reach the logs, even at TRACE level.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_stay_out_of_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();

    let store = support::sqlite_store().await;
    let (_, key) = support::project_with_key(store.as_ref(), "logs").await;
    let app = support::app_router(store, Default::default());
    let email = "jane.doe.secret@example.com";
    let body = serde_json::json!({"events": [{
        "type": "span", "trace_id": "t", "span_id": "s", "kind": "tool_call", "name": "crm.lookup",
        "timestamp": "2026-11-01T10:00:00Z", "status": "ok", "end_user_email": email,
    }, {"kind": "broken", "end_user_email": email}]});
    for (key, uri) in [
        (key.as_str(), "/v1/events/ingest"),
        ("jj_wrong_key_value_123", "/v1/events/ingest"),
    ] {
        support::send(
            &app,
            Request::post(uri)
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/v1/events/ingest"),
        "requests are logged: {logs}"
    );
    assert!(!logs.contains(&key), "the API key leaked into the logs");
    assert!(
        !logs.contains("jj_wrong_key_value_123"),
        "a presented key leaked into the logs"
    );
    assert!(
        !logs.contains(email),
        "an end-user email leaked into the logs"
    );
}
