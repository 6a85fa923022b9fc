//! What the request log says: API keys and end-user emails never reach it, even at
//! TRACE level; an internal error is logged in full under the request's id, while the
//! answer (REST, server function, dashboard page) names only that id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use support::{HOST, ORIGIN};

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

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }
}

/// Everything logged by this test process, at TRACE level (one subscriber for all
/// the tests here).
fn captured() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .init();
            captured
        })
        .clone()
}

#[tokio::test]
async fn secrets_stay_out_of_the_logs() {
    let captured = captured();

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
    let logs = captured.text();
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

/// What a failed request must show: its id, the generic message, no database text.
fn assert_hides_the_fault(what: &str, answer: &support::Answer) -> String {
    let id = answer
        .header("x-request-id")
        .unwrap_or_else(|| panic!("{what}: no X-Request-Id"))
        .to_string();
    assert!(id.len() >= 16, "{what}: {id}");
    assert!(
        answer.body.contains(&format!("request id {id}")),
        "{what}: the answer does not name its request id {id}: {}",
        answer.body
    );
    // What the database said (`error returned from database: no such table: traces`).
    for leak in ["no such table", "from traces", "returned from database"] {
        assert!(
            !answer.body.to_lowercase().contains(&leak.to_lowercase()),
            "{what}: the answer leaks {leak:?}: {}",
            answer.body
        );
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_errors_name_the_request_id_that_the_log_has() {
    let captured = captured();
    let url = store::testing::fresh_sqlite_url();
    let store = support::open_store(&url).await;
    let support::SignedIn {
        app,
        project,
        key,
        cookie,
    } = support::SignedIn::new(store, "broken").await;

    // The traces table goes away under the running server: every listing of traces
    // is now a database error.
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE traces RENAME TO traces_gone")
        .execute(&mut db)
        .await
        .unwrap();

    let rest = support::send(
        &app,
        Request::get("/v1/traces")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        rest.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        rest.body
    );
    let rest_id = assert_hides_the_fault("REST", &rest);
    assert_eq!(rest.json()["error"]["request_id"], rest_id.as_str());
    assert_eq!(rest.json()["error"]["code"], "internal");

    let server_fn = support::send(
        &app,
        Request::post(support::server_fn("list_traces"))
            .header(header::HOST, HOST)
            .header(header::ORIGIN, ORIGIN)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({"project": project.id, "query": {}}).to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(
        server_fn.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        server_fn.body
    );
    let server_fn_id = assert_hides_the_fault("server function", &server_fn);

    let page = support::send(
        &app,
        Request::get(format!("/dashboard/traces?project={}", project.id))
            .header(header::HOST, HOST)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let page_id = assert_hides_the_fault("page", &page);

    let logs = captured.text();
    for id in [&rest_id, &server_fn_id, &page_id] {
        let line = logs
            .lines()
            .find(|l| l.contains(&format!("request_id={id}")) && l.contains("no such table"))
            .unwrap_or_else(|| panic!("no log line with request id {id} and the error:\n{logs}"));
        assert!(line.contains("ERROR"), "{line}");
    }
    // The request's span carries the id too: every line logged while serving it.
    let span = format!("request_id={rest_id}}}");
    assert!(
        logs.lines()
            .any(|l| l.contains("http{") && l.contains(&span) && l.contains("finished processing")),
        "no request span with {span}:\n{logs}"
    );
    let ids = std::collections::BTreeSet::from([&rest_id, &server_fn_id, &page_id]);
    assert_eq!(ids.len(), 3, "each request its own id");
}

#[tokio::test]
async fn a_well_formed_incoming_request_id_is_kept_and_others_are_replaced() {
    let app = support::app_router(support::sqlite_store().await, Default::default());
    let with = |id: &'static str| {
        Request::get("/healthz")
            .header("x-request-id", id)
            .body(Body::empty())
            .unwrap()
    };
    let kept = support::send(&app, with("proxy-4f2a-0001")).await;
    assert_eq!(kept.header("x-request-id"), Some("proxy-4f2a-0001"));
    for hostile in [
        "has space",
        "semi;colon",
        "under_score",
        &"a".repeat(65)[..],
    ] {
        let hostile: &'static str = Box::leak(hostile.to_string().into_boxed_str());
        let answer = support::send(&app, with(hostile)).await;
        let id = answer.header("x-request-id").unwrap();
        assert_ne!(id, hostile);
        assert!(
            id.len() >= 16 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{id}"
        );
    }
    let plain = support::send(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    let other = support::send(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_ne!(plain.header("x-request-id"), other.header("x-request-id"));
}
