//! Permalinks preview when pasted: the simulation, trace and thread pages carry their
//! headline numbers as Open Graph tags in the server-rendered HTML (no JavaScript).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::json;
use support::{create_key, create_project, scratch, sqlite_url, Api, Server};

/// The `content` of `<meta property|name="{key}" content="...">` in `page`.
fn meta(page: &str, key: &str) -> Option<String> {
    page.split("<meta").skip(1).find_map(|tag| {
        let tag = &tag[..tag.find('>')?];
        let names_it = tag.contains(&format!("property=\"{key}\""))
            || tag.contains(&format!("name=\"{key}\""));
        let content = tag.split("content=\"").nth(1)?;
        names_it.then(|| content[..content.find('"').unwrap_or(content.len())].to_string())
    })
}

#[test]
fn permalink_pages_unfurl_with_their_numbers() {
    let dir = scratch("unfurl");
    let db = sqlite_url(&dir);
    create_project(&db, "support");
    let key = create_key(&db, "support", "admin");
    let server = Server::start(&db);
    let api = Api::new(&server.url, &key);
    let span = |span: &str, name: &str, status: &str, second: u32| {
        json!({"type": "span", "trace_id": "t-unfurl", "span_id": span, "kind": "tool_call",
               "name": name, "sequence": second, "timestamp": format!("2026-11-01T10:00:{second:02}Z"),
               "status": status, "agent_name": "support-bot", "session_id": "conv-7", "cost_usd": 0.01})
    };
    let (status, body) = api.post(
        "/v1/events/ingest",
        &json!({"events": [span("a", "bank.wire_out", "ok", 1), span("b", "bank.wire_in", "blocked", 2),
                           span("c", "crm.lookup", "ok", 3)]}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, sim) = api.post(
        "/v1/policy/simulate/batch",
        &json!({"draft": {"kind": "block", "pattern": "*_out"}, "trace_ids": ["t-unfurl"]}),
    );
    assert_eq!(status, 200, "{sim}");
    let cookie = server.dashboard_cookie();
    let page = |path: &str| -> String {
        let (status, body) = api.get_page(path, &cookie);
        let body = String::from_utf8_lossy(&body).to_string();
        assert_eq!(status, 200, "{path}: {body}");
        body
    };

    let id = sim["simulation_id"].as_str().unwrap();
    let html = page(&format!("/dashboard/simulations/{id}"));
    let description = meta(&html, "og:description").expect("og:description");
    assert_eq!(
        description, "block `*_out` · 1 of 3 events match · 1 would change verdict",
        "{html}"
    );
    assert_eq!(
        meta(&html, "description").as_deref(),
        Some(description.as_str())
    );
    assert!(meta(&html, "og:title").unwrap().contains("block `*_out`"));

    let html = page("/dashboard/traces/t-unfurl");
    assert_eq!(meta(&html, "og:title").as_deref(), Some("Trace t-unfurl"));
    let description = meta(&html, "og:description").unwrap();
    assert!(
        description.starts_with("support-bot · 3 events · 2 allowed · 1 blocked"),
        "{description}"
    );
    assert!(
        html.contains("<title>Trace t-unfurl · Preflight</title>"),
        "{html}"
    );

    let html = page("/dashboard/threads/conv-7");
    assert_eq!(meta(&html, "og:title").as_deref(), Some("Thread conv-7"));
    assert!(
        meta(&html, "og:description")
            .unwrap()
            .starts_with("1 turn · 2 allowed · 1 blocked · "),
        "{html}"
    );
}
