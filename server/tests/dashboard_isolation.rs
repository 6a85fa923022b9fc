//! Project isolation for the dashboard's server functions: EVERY registered server
//! function is called with project B's ids (trace, span, session, dataset,
//! simulation, approval, policy version) by (1) a viewer who is a member of A only,
//! asking for project B, and (2) an admin working in project A. No answer may carry
//! B's data (the viewer may not even learn that B exists), and afterwards B's data is
//! exactly as before. SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use preflight::auth::AuthConfig;
use serde_json::{json, Value};
use store::Role;
use support::{HOST, ORIGIN};
/// Values of B's that the callers never send (they send B's trace, span and session
/// ids, which an answer may echo back): none may appear in an answer.
const SECRETS: [&str; 7] = [
    "bsecret-agent",
    "bsecret.tool",
    "bsecret-input",
    "bsecret-dataset",
    "bsecret-action",
    "bsecret-context",
    "bsecret.*",
];

struct Harness {
    app: Router,
}

impl Harness {
    async fn send(&self, request: Request<Body>) -> (u16, String) {
        let answer = support::send(&self.app, request).await;
        (answer.status.as_u16(), answer.body)
    }

    async fn api(&self, key: &str, method: &str, uri: &str, body: Option<Value>) -> Value {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let (status, text) = self.send(request).await;
        assert!(status < 300, "{method} {uri}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn session(&self, email: &str, pass: &str) -> String {
        support::session_cookie(&self.app, email, pass).await
    }

    /// A server function call, form-encoded and as JSON (functions take one or the
    /// other); returns both answers.
    async fn call_fn(&self, path: &str, cookie: &str, args: &Value) -> Vec<(u16, String)> {
        let form: Vec<(String, String)> = args
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_string)))
            .collect();
        let form = form
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('/', "%2F")))
            .collect::<Vec<_>>()
            .join("&");
        let mut answers = Vec::new();
        // JSON-input functions take typed arguments: a filter, a scope, a draft.
        let mut typed = args.clone();
        for (k, v) in [
            ("query", json!({})),
            ("dark", json!(true)),
            ("base", json!(1)),
            ("version", json!(1)),
            ("precedence", json!("last_match")),
            ("rules", json!([])),
            ("draft", json!(r#"{"kind": "allow", "pattern": "*"}"#)),
        ] {
            typed[k] = v;
        }
        let id = args["id"].clone();
        let mut by_traces = typed.clone();
        typed["scope"] = json!({ "Dataset": id });
        by_traces["scope"] = json!({"Traces": ["bsecret-trace"]});
        for (content_type, body) in [
            ("application/x-www-form-urlencoded", form),
            ("application/json", args.to_string()),
            ("application/json", typed.to_string()),
            ("application/json", by_traces.to_string()),
        ] {
            let request = Request::post(path)
                .header(header::HOST, HOST)
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap();
            answers.push(self.send(request).await);
        }
        answers
    }
}

/// B's data, named so that [`SECRETS`] finds it.
struct OfB {
    project: store::Project,
    key: String,
    ids: Vec<(&'static str, String)>,
}

async fn make_b(h: &Harness, s: &dyn store::Store) -> OfB {
    let project = s.create_project("project-b").await.unwrap();
    let key = s
        .create_api_key(&project.id, store::KeyScope::Admin)
        .await
        .unwrap()
        .key;
    let span = |span: &str, parent: Option<&str>| {
        json!({"type": "span", "trace_id": "bsecret-trace", "span_id": span,
               "parent_span_id": parent, "kind": "tool_call", "name": "bsecret.tool",
               "sequence": 0, "timestamp": "2026-11-01T10:00:00Z", "status": "ok",
               "agent_name": "bsecret-agent", "session_id": "bsecret-session",
               "cost_usd": 0.5, "payload": {"tool_input": "bsecret-input"}})
    };
    h.api(
        &key,
        "POST",
        "/v1/events/ingest",
        Some(json!({"events": [span("bsecret-span", None), span("bsecret-child", Some("bsecret-span"))]})),
    )
    .await;
    let dataset = h
        .api(
            &key,
            "POST",
            "/v1/datasets",
            Some(json!({"name": "bsecret-dataset"})),
        )
        .await;
    let dataset_id = dataset["id"].as_str().unwrap().to_string();
    h.api(
        &key,
        "POST",
        &format!("/v1/datasets/{dataset_id}/items"),
        Some(json!({"trace_ids": ["bsecret-trace"]})),
    )
    .await;
    h.api(
        &key,
        "PUT",
        "/v1/policies",
        Some(json!({"rules": [{"action": "block", "pattern": "bsecret.*"}]})),
    )
    .await;
    let sim = h
        .api(
            &key,
            "POST",
            "/v1/policy/simulate/batch",
            Some(json!({"draft": {"kind": "allow", "pattern": "bsecret.*"}, "dataset_id": dataset_id})),
        )
        .await;
    let approval = h
        .api(
            &key,
            "POST",
            "/v1/approvals",
            Some(json!({"action": "bsecret-action", "context": {"why": "bsecret-context"}})),
        )
        .await;
    OfB {
        ids: vec![
            ("dataset", dataset_id),
            (
                "simulation",
                sim["simulation_id"].as_str().unwrap().to_string(),
            ),
            ("approval", approval["id"].as_str().unwrap().to_string()),
        ],
        project,
        key,
    }
}

/// Arguments for one pass: every argument name the server functions use, set to B's.
fn args_with(project: &str, id: &str) -> Value {
    json!({
        "project": project, "id": id, "trace_id": "bsecret-trace", "span_id": "bsecret-span",
        "span": "bsecret-span", "session_id": "bsecret-session", "dataset_id": id,
        "dataset": id, "simulation_id": id, "approval_id": id, "key_id": id, "version": "1",
        "trace_ids": ["bsecret-trace"], "name": "renamed", "decision": "approved",
        "reason": "x", "base": "1", "scope": {"dataset": id}, "all_spans": true,
    })
}

/// B's data as its own key reads it.
async fn snapshot(h: &Harness, b: &OfB) -> Vec<Value> {
    let mut out = Vec::new();
    for uri in [
        "/v1/traces/bsecret-trace".to_string(),
        "/v1/datasets".to_string(),
        format!("/v1/datasets/{}", b.ids[0].1),
        "/v1/policies".to_string(),
        format!("/v1/approvals/{}", b.ids[2].1),
        "/v1/approvals?status=pending".to_string(),
    ] {
        out.push(h.api(&b.key, "GET", &uri, None).await);
    }
    out
}

#[tokio::test]
async fn server_functions_never_reveal_or_change_another_project() {
    let s = support::sqlite_store().await;
    let a = s.create_project("project-a").await.unwrap();
    for (email, role) in [
        ("admin@a.test", Role::Admin),
        ("viewer@a.test", Role::Viewer),
    ] {
        let user = support::create_account(s.as_ref(), email, "password-1234", role).await;
        if role == Role::Viewer {
            s.add_member(&user.id, &a.id).await.unwrap();
        }
    }
    let h = Harness {
        app: support::app_with_auth(s.clone(), AuthConfig::default()),
    };
    let b = make_b(&h, s.as_ref()).await;
    let before = snapshot(&h, &b).await;
    assert!(before[0]["events"].as_array().unwrap().len() == 2);

    let viewer = h.session("viewer@a.test", "password-1234").await;
    let admin = h.session("admin@a.test", "password-1234").await;
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    paths.sort();
    assert!(paths.len() >= 20, "{paths:?}");
    let mut calls = 0;
    let mut answered = std::collections::BTreeSet::new();
    for path in &paths {
        for (_, id) in &b.ids {
            // The viewer asks for B by id; the admin works in A with B's ids.
            for (who, cookie, project) in
                [("viewer", &viewer, &b.project.id), ("admin", &admin, &a.id)]
            {
                for (status, body) in h.call_fn(path, cookie, &args_with(project, id)).await {
                    calls += 1;
                    if status < 300 {
                        answered.insert(path.clone());
                    }
                    // Admins may see that B exists (the project switcher lists every
                    // project for them), never B's data; a viewer not even that.
                    let leaked = SECRETS.iter().any(|secret| body.contains(secret))
                        || (who == "viewer"
                            && (body.contains(&b.project.id) || body.contains(&b.project.name)));
                    assert!(!leaked, "{who} {path} ({status}) revealed B's data: {body}");
                    // Wrong ids and malformed arguments are the caller's mistakes.
                    assert!(status < 500, "{who} {path}: {status} {body}");
                }
            }
        }
    }
    assert!(calls >= paths.len() * 24);
    // The matrix means something only if the functions ran: the reads answered (with
    // nothing of B's), while changes aimed at B's ids were refused as not found.
    let silent: Vec<&String> = paths.iter().filter(|p| !answered.contains(*p)).collect();
    eprintln!("never answered 2xx (B's ids not found, or arguments refused): {silent:?}");
    assert!(
        answered.len() >= 18,
        "only {} answered: {silent:?}",
        answered.len()
    );
    assert_eq!(snapshot(&h, &b).await, before, "B's data changed");
}
