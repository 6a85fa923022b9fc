//! Every `/v1` route (and OTLP ingest) × every key scope, enumerated from the router's
//! own OpenAPI document: a route added without a row in `EXPECTED` fails this test, so
//! no endpoint can be forgotten. A scope that may call a route is never answered 401
//! or 403 (the dummy ids may well be 404); one that may not gets 403
//! `insufficient_scope` naming the scopes that could.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use store::KeyScope::{self, Admin, Agent, Read};
use tower::ServiceExt;

/// Who may call a route.
const AGENT: &[KeyScope] = &[Agent, Admin];
const RULES: &[KeyScope] = &[Agent, Read, Admin];
const READ: &[KeyScope] = &[Read, Admin];
const ADMIN: &[KeyScope] = &[Admin];

/// (method, path as documented, who may call it, a body its extractor accepts).
fn expected() -> Vec<(
    &'static str,
    &'static str,
    &'static [KeyScope],
    Option<Value>,
)> {
    let draft = json!({"draft": {"kind": "block", "pattern": "refund"}, "trace_ids": ["t1"]});
    let rule = json!({"rule": {"pattern": "refund", "action": "block"}});
    vec![
        // What an agent's SDK does.
        (
            "post",
            "/v1/events/ingest",
            AGENT,
            Some(json!({"events": []})),
        ),
        ("post", "/otel/v1/traces", AGENT, Some(json!({}))),
        ("get", "/v1/policies", RULES, None),
        ("get", "/v1/projects/{project}/policies", RULES, None),
        (
            "post",
            "/v1/policy/evaluate",
            RULES,
            Some(json!({"tool": "refund"})),
        ),
        (
            "post",
            "/v1/approvals",
            AGENT,
            Some(json!({"action": "refund"})),
        ),
        // Polling: an agent its own (others look missing), readers any.
        ("get", "/v1/approvals/{id}", RULES, None),
        // What an operator's script reads, simulations included.
        ("get", "/v1/traces", READ, None),
        ("get", "/v1/traces/{trace_id}", READ, None),
        ("get", "/v1/traces/{trace_id}/replay", READ, None),
        ("get", "/v1/threads", READ, None),
        ("get", "/v1/threads/{session_id}", READ, None),
        ("get", "/v1/audit", READ, None),
        ("get", "/v1/audit/changes", READ, None),
        ("get", "/v1/datasets", READ, None),
        ("get", "/v1/datasets/{id}", READ, None),
        ("get", "/v1/policies/versions", READ, None),
        ("get", "/v1/policies/versions/{version}", READ, None),
        ("get", "/v1/approvals", READ, None),
        (
            "post",
            "/v1/policy/simulate",
            READ,
            Some(json!({"draft": draft["draft"]})),
        ),
        ("post", "/v1/policy/simulate/batch", READ, Some(draft)),
        ("get", "/v1/policy/simulations/{id}", READ, None),
        ("post", "/v1/policy/simulations/{id}/rerun", READ, None),
        ("get", "/v1/policy/simulations/{id}/events", READ, None),
        ("get", "/v1/datasets/{id}/versions", READ, None),
        ("get", "/v1/datasets/{id}/expectations", READ, None),
        // What changes what governs.
        ("put", "/v1/policies", ADMIN, Some(json!({"rules": []}))),
        ("post", "/v1/policies/rules", ADMIN, Some(rule.clone())),
        ("put", "/v1/policies/rules/{index}", ADMIN, Some(rule)),
        ("delete", "/v1/policies/rules/{index}", ADMIN, None),
        (
            "post",
            "/v1/policies/order",
            ADMIN,
            Some(json!({"order": [0]})),
        ),
        (
            "post",
            "/v1/policies/versions/{version}/restore",
            ADMIN,
            None,
        ),
        (
            "post",
            "/v1/datasets",
            ADMIN,
            Some(json!({"name": "fixtures"})),
        ),
        (
            "patch",
            "/v1/datasets/{id}",
            ADMIN,
            Some(json!({"name": "renamed"})),
        ),
        ("delete", "/v1/datasets/{id}", ADMIN, None),
        (
            "post",
            "/v1/datasets/{id}/items",
            ADMIN,
            Some(json!({"trace_ids": ["t1"]})),
        ),
        ("delete", "/v1/datasets/{id}/items/{trace_id}", ADMIN, None),
        (
            "put",
            "/v1/datasets/{id}/expectations",
            ADMIN,
            Some(json!({"trace_id": "t1", "pattern": "*", "verdict": "recorded"})),
        ),
        (
            "delete",
            "/v1/datasets/{id}/expectations/{expectation_id}",
            ADMIN,
            None,
        ),
        (
            "post",
            "/v1/approvals/{id}/decision",
            ADMIN,
            Some(json!({"decision": "approved"})),
        ),
    ]
}

/// Path parameters filled with values that parse (`{index}` and `{version}` are numbers).
fn concrete(path: &str, project: &str) -> String {
    path.replace("{project}", project)
        .replace("{index}", "0")
        .replace("{version}", "1")
        .replace("{trace_id}", "t1")
        .replace("{session_id}", "s1")
        .replace("{expectation_id}", "exp_x1")
        .replace("{id}", "x1")
}

/// The routes the router documents, as (method, path).
fn documented() -> BTreeSet<(String, String)> {
    let (_, doc) = preflight::api::routes();
    let doc = serde_json::to_value(doc).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.clone(), path.clone()));
            }
        }
    }
    routes
}

#[test]
fn every_documented_route_has_a_row_and_every_row_a_route() {
    let documented = documented();
    let table: BTreeSet<(String, String)> = expected()
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    let unclassified: Vec<_> = documented.difference(&table).collect();
    assert!(
        unclassified.is_empty(),
        "routes with no scope in key_scopes.rs EXPECTED (say who may call them): {unclassified:?}"
    );
    let stale: Vec<_> = table.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that no longer exist: {stale:?}"
    );
    assert!(documented.len() >= 30, "{documented:?}");
    // Each documents the refusal.
    let (_, doc) = preflight::api::routes();
    let doc = serde_json::to_value(doc).unwrap();
    for (method, path) in &documented {
        let refusal = &doc["paths"][path][method]["responses"]["403"];
        assert!(
            refusal["description"]
                .as_str()
                .is_some_and(|d| d.contains("insufficient_scope")),
            "{method} {path}: {refusal}"
        );
    }
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    key: &str,
    body: &Option<Value>,
) -> (StatusCode, Value) {
    let builder = Request::builder()
        .method(method.to_uppercase().as_str())
        .uri(uri)
        .header("authorization", format!("Bearer {key}"));
    let request = match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    };
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn each_scope_reaches_exactly_its_routes() {
    let url = store::testing::fresh_sqlite_url();
    let store: Arc<dyn store::Store> = store::open(&url, store::StoreOptions::default())
        .await
        .unwrap();
    let project = store.create_project("scopes").await.unwrap();
    let app = preflight::api::router(preflight::api::AppState::new(
        store.clone(),
        preflight::api::Limits::default(),
    ));
    let mut keys = Vec::new();
    for scope in KeyScope::ALL {
        keys.push((
            scope,
            store.create_api_key(&project.id, scope).await.unwrap().key,
        ));
    }
    let mut wrong = Vec::new();
    for (method, path, allowed, body) in expected() {
        let uri = concrete(path, &project.name);
        for (scope, key) in &keys {
            let (status, answer) = call(&app, method, &uri, key, &body).await;
            let ok = if allowed.contains(scope) {
                status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN
            } else {
                status == StatusCode::FORBIDDEN
                    && answer["error"]["code"] == "insufficient_scope"
                    && answer["error"]["required_scopes"] == json!(allowed)
                    && answer["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(&format!("`{scope}`")))
            };
            if !ok {
                wrong.push(format!(
                    "{method} {uri} with a {scope} key: {status} {answer}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    store::testing::remove_sqlite(&url);
}
