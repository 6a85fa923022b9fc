//! Project isolation, endpoint by endpoint: project A owns a trace, a thread, a
//! dataset, a policy version, a simulation and an approval; project B's key then
//! calls EVERY endpoint of the OpenAPI document with A's ids. Reads answer 404 or an
//! empty result, simulations scan none of A's events, writes land in B's own project,
//! and A's data is exactly as before. The table must cover the whole document: a new
//! endpoint without a row fails the test. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use serde_json::{json, Value};

/// A's trace id: 32 hex digits, so the OTLP endpoint can name it too.
const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const SESSION: &str = "a-secret-session";

struct Harness {
    app: Router,
    store: std::sync::Arc<dyn store::Store>,
}

impl Harness {
    async fn new(url: String) -> Harness {
        let store = support::open_store(&url).await;
        let app = support::api_router(store.clone());
        Harness { app, store }
    }

    async fn project(&self, name: &str) -> (store::Project, String) {
        support::project_with_key(self.store.as_ref(), name).await
    }

    async fn call(&self, key: &str, method: &str, uri: &str, body: Option<&Value>) -> (u16, Value) {
        let builder = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {key}"));
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .unwrap();
        let answer = support::send(&self.app, request).await;
        (
            answer.status.as_u16(),
            serde_json::from_slice(&answer.bytes).unwrap_or(Value::Null),
        )
    }
}

/// What project B must get back.
enum Want {
    /// This 4xx, in the JSON error shape.
    Status(u16),
    /// 200/201, and the value at each JSON pointer is as given (an empty list, zero
    /// events scanned, no deciding rule, ...).
    Ok(Vec<(&'static str, Value)>),
}

struct Probe {
    method: &'static str,
    /// The OpenAPI path this row covers.
    template: &'static str,
    uri: String,
    body: Option<Value>,
    want: Want,
}

fn probe(
    method: &'static str,
    template: &'static str,
    uri: impl Into<String>,
    body: Option<Value>,
    want: Want,
) -> Probe {
    Probe {
        method,
        template,
        uri: uri.into(),
        body,
        want,
    }
}

struct OfA {
    project: store::Project,
    dataset: String,
    dataset_name: String,
    approval: String,
    simulation: String,
}

fn a_span() -> Value {
    json!({
        "type": "span", "trace_id": TRACE, "span_id": "a-span", "kind": "tool_call",
        "name": "payments.refund", "sequence": 1, "timestamp": "2026-11-01T10:00:00Z",
        "status": "blocked", "agent_name": "a-bot", "session_id": SESSION,
    })
}

/// Every endpoint, called by B with A's ids; reads first, then B's own writes.
#[rustfmt::skip]
fn probes(a: &OfA) -> Vec<Probe> {
    use Want::{Ok, Status};
    let (ds, apr, sim) = (&a.dataset, &a.approval, &a.simulation);
    let block_all = json!({"kind": "block", "pattern": "*"});
    vec![
        probe("GET", "/v1/traces", "/v1/traces", None, Ok(vec![("/traces", json!([]))])),
        probe("GET", "/v1/traces", format!("/v1/traces?session={SESSION}&agent=a-bot"), None, Ok(vec![("/traces", json!([]))])),
        probe("GET", "/v1/traces/{trace_id}", format!("/v1/traces/{TRACE}"), None, Status(404)),
        probe("GET", "/v1/traces/{trace_id}/replay", format!("/v1/traces/{TRACE}/replay"), None, Status(404)),
        probe("GET", "/v1/threads", "/v1/threads", None, Ok(vec![("/threads", json!([]))])),
        probe("GET", "/v1/threads/{session_id}", format!("/v1/threads/{SESSION}"), None, Status(404)),
        probe("GET", "/v1/audit", "/v1/audit?verdict=blocked", None, Ok(vec![("/events", json!([]))])),
        probe("GET", "/v1/audit/changes", "/v1/audit/changes", None, Ok(vec![("/changes", json!([]))])),
        probe("GET", "/v1/datasets", "/v1/datasets", None, Ok(vec![("/datasets", json!([]))])),
        probe("GET", "/v1/datasets/{id}", format!("/v1/datasets/{ds}"), None, Status(404)),
        probe("PATCH", "/v1/datasets/{id}", format!("/v1/datasets/{ds}"), Some(json!({"name": "taken over"})), Status(404)),
        probe("DELETE", "/v1/datasets/{id}", format!("/v1/datasets/{ds}"), None, Status(404)),
        probe("POST", "/v1/datasets/{id}/items", format!("/v1/datasets/{ds}/items"), Some(json!({"trace_ids": [TRACE]})), Status(404)),
        probe("DELETE", "/v1/datasets/{id}/items/{trace_id}", format!("/v1/datasets/{ds}/items/{TRACE}"), None, Status(404)),
        probe("GET", "/v1/datasets/{id}/versions", format!("/v1/datasets/{ds}/versions"), None, Status(404)),
        probe("GET", "/v1/datasets/{id}/expectations", format!("/v1/datasets/{ds}/expectations"), None, Status(404)),
        probe("PUT", "/v1/datasets/{id}/expectations", format!("/v1/datasets/{ds}/expectations"), Some(json!({"trace_id": TRACE, "pattern": "*", "verdict": "allowed"})), Status(404)),
        probe("DELETE", "/v1/datasets/{id}/expectations/{expectation_id}", format!("/v1/datasets/{ds}/expectations/exp_0"), None, Status(404)),
        probe("GET", "/v1/policies", "/v1/policies", None, Ok(vec![("/version", json!(0)), ("/rules", json!([]))])),
        probe("PUT", "/v1/policies/rules/{index}", "/v1/policies/rules/0", Some(json!({"rule": {"pattern": "x", "action": "allow"}})), Status(404)),
        probe("DELETE", "/v1/policies/rules/{index}", "/v1/policies/rules/0", None, Status(404)),
        probe("POST", "/v1/policies/order", "/v1/policies/order", Some(json!({"order": [0]})), Status(422)),
        probe("GET", "/v1/policies/versions", "/v1/policies/versions", None, Ok(vec![("/versions", json!([]))])),
        probe("GET", "/v1/policies/versions/{version}", "/v1/policies/versions/1", None, Status(404)),
        probe("POST", "/v1/policies/versions/{version}/restore", "/v1/policies/versions/1/restore", None, Status(404)),
        probe("GET", "/v1/projects/{project}/policies", format!("/v1/projects/{}/policies", a.project.name), None, Status(404)),
        probe("GET", "/v1/projects/{project}/policies", format!("/v1/projects/{}/policies", a.project.id), None, Status(404)),
        probe("POST", "/v1/policy/evaluate", "/v1/policy/evaluate", Some(json!({"tool": "payments.refund", "agent": "a-bot"})), Ok(vec![("/verdict", json!("allowed")), ("/rule", Value::Null), ("/policy_version", json!(0))])),
        probe("POST", "/v1/policy/simulate", "/v1/policy/simulate", Some(json!({"draft": block_all})), Ok(vec![("/events_scanned", json!(0))])),
        probe("POST", "/v1/policy/simulate/batch", "/v1/policy/simulate/batch", Some(json!({"draft": block_all, "trace_ids": [TRACE]})), Ok(vec![("/events_scanned", json!(0))])),
        probe("POST", "/v1/policy/simulate/batch", "/v1/policy/simulate/batch", Some(json!({"draft": block_all, "dataset_id": ds})), Status(404)),
        probe("GET", "/v1/policy/simulations/{id}", format!("/v1/policy/simulations/{sim}"), None, Status(404)),
        probe("GET", "/v1/policy/simulations/{id}/events", format!("/v1/policy/simulations/{sim}/events"), None, Status(404)),
        probe("POST", "/v1/policy/simulations/{id}/rerun", format!("/v1/policy/simulations/{sim}/rerun"), None, Status(404)),
        probe("GET", "/v1/approvals", "/v1/approvals", None, Ok(vec![("/approvals", json!([]))])),
        probe("GET", "/v1/approvals", "/v1/approvals?status=pending", None, Ok(vec![("/approvals", json!([]))])),
        probe("GET", "/v1/approvals/{id}", format!("/v1/approvals/{apr}"), None, Status(404)),
        probe("POST", "/v1/approvals/{id}/decision", format!("/v1/approvals/{apr}/decision"), Some(json!({"decision": "approved"})), Status(404)),
        // Writes: naming A's project is refused; everything else lands in B's project.
        probe("POST", "/v1/events/ingest", "/v1/events/ingest", Some(json!({"project": a.project.name, "events": [a_span()]})), Status(403)),
        probe("POST", "/v1/events/ingest", "/v1/events/ingest", Some(json!({"events": [{
            "type": "span", "trace_id": TRACE, "span_id": "b-span", "kind": "tool_call",
            "name": "b.tool", "timestamp": "2026-11-02T10:00:00Z", "session_id": SESSION,
        }]})), Ok(vec![("/accepted", json!(1))])),
        probe("POST", "/otel/v1/traces", "/otel/v1/traces", Some(json!({"resourceSpans": [{"scopeSpans": [{"spans": [
            {"traceId": TRACE, "spanId": "00000000000000b2", "name": "b.otel", "startTimeUnixNano": "1793000000000000000"}
        ]}]}]})), Ok(vec![])),
        probe("POST", "/v1/datasets", "/v1/datasets", Some(json!({"name": a.dataset_name})), Ok(vec![("/item_count", json!(0))])),
        probe("PUT", "/v1/policies", "/v1/policies", Some(json!({"rules": [{"match": "*", "action": "allow"}]})), Ok(vec![("/version", json!(1))])),
        probe("POST", "/v1/policies/rules", "/v1/policies/rules", Some(json!({"rule": {"pattern": "b.*", "action": "audit"}})), Ok(vec![("/version", json!(2))])),
        probe("POST", "/v1/approvals", "/v1/approvals", Some(json!({"action": "b-action"})), Ok(vec![("/status", json!("pending"))])),
    ]
}

async fn every_endpoint_is_isolated(h: Harness) {
    let (a, key_a) = h.project("tenant-a").await;
    let (_, key_b) = h.project("tenant-b").await;

    // A's data.
    let (status, body) = h
        .call(
            &key_a,
            "POST",
            "/v1/events/ingest",
            Some(&json!({"events": [a_span()]})),
        )
        .await;
    assert_eq!(
        (status, body["accepted"].clone()),
        (200, json!(1)),
        "{body}"
    );
    let (_, dataset) = h
        .call(
            &key_a,
            "POST",
            "/v1/datasets",
            Some(&json!({"name": "a-only"})),
        )
        .await;
    let dataset = dataset["id"].as_str().unwrap().to_string();
    let (status, _) = h
        .call(
            &key_a,
            "POST",
            &format!("/v1/datasets/{dataset}/items"),
            Some(&json!({"trace_ids": [TRACE]})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .call(
            &key_a,
            "PUT",
            "/v1/policies",
            Some(&json!({"rules": [{"match": "payments.*", "action": "block"}]})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, approval) = h
        .call(
            &key_a,
            "POST",
            "/v1/approvals",
            Some(&json!({"action": "a-action"})),
        )
        .await;
    let (_, sim) = h
        .call(
            &key_a,
            "POST",
            "/v1/policy/simulate/batch",
            Some(&json!({"draft": {"kind": "allow", "pattern": "*"}, "dataset_id": dataset})),
        )
        .await;
    assert_eq!(sim["events_scanned"], 1, "{sim}");
    let of_a = OfA {
        project: a,
        dataset,
        dataset_name: "a-only".to_string(),
        approval: approval["id"].as_str().unwrap().to_string(),
        simulation: sim["simulation_id"].as_str().unwrap().to_string(),
    };
    let before = snapshot(&h, &key_a, &of_a).await;

    // Every documented endpoint has at least one row.
    let (_, doc) = h.call(&key_b, "GET", "/v1/openapi.json", None).await;
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                .map(move |m| (m.to_ascii_uppercase(), path.clone()))
        })
        .collect();
    let probes = probes(&of_a);
    let covered: BTreeSet<(String, String)> = probes
        .iter()
        .map(|p| (p.method.to_string(), p.template.to_string()))
        .collect();
    assert_eq!(
        documented.difference(&covered).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "endpoints without an isolation row"
    );
    assert_eq!(
        covered.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "rows for endpoints the document does not list"
    );

    let mut failures = Vec::new();
    for p in &probes {
        let (status, body) = h.call(&key_b, p.method, &p.uri, p.body.as_ref()).await;
        let problem = match &p.want {
            Want::Status(want) => (status != *want
                || !body["error"]["code"].is_string()
                || !body["error"]["message"].is_string())
            .then(|| format!("expected {want}, got {status}: {body}")),
            Want::Ok(checks) => {
                if !(200..300).contains(&status) {
                    Some(format!("expected success, got {status}: {body}"))
                } else {
                    checks
                        .iter()
                        .find(|(pointer, value)| body.pointer(pointer) != Some(value))
                        .map(|(pointer, value)| format!("{pointer} should be {value}: {body}"))
                }
            }
        };
        if let Some(problem) = problem {
            failures.push(format!("{} {}: {problem}", p.method, p.uri));
        }
    }
    assert!(
        failures.is_empty(),
        "B reached A's data:\n{}",
        failures.join("\n")
    );

    // A's data is untouched; B's writes are B's.
    assert_eq!(snapshot(&h, &key_a, &of_a).await, before);
    let (_, b_trace) = h
        .call(&key_b, "GET", &format!("/v1/traces/{TRACE}"), None)
        .await;
    let b_spans: BTreeSet<&str> = b_trace["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["span_id"].as_str().unwrap())
        .collect();
    assert_eq!(b_spans, BTreeSet::from(["b-span", "00000000000000b2"]));
}

/// Everything of A's that B could have touched, as A sees it.
async fn snapshot(h: &Harness, key_a: &str, a: &OfA) -> Vec<Value> {
    let mut out = Vec::new();
    for uri in [
        format!("/v1/traces/{TRACE}"),
        format!("/v1/threads/{SESSION}"),
        "/v1/datasets".to_string(),
        format!("/v1/datasets/{}", a.dataset),
        "/v1/policies/versions".to_string(),
        format!("/v1/approvals/{}", a.approval),
        "/v1/approvals".to_string(),
        format!("/v1/policy/simulations/{}", a.simulation),
    ] {
        let (status, body) = h.call(key_a, "GET", &uri, None).await;
        assert_eq!(status, 200, "A lost {uri}: {body}");
        out.push(body);
    }
    let (_, trace) = h
        .call(key_a, "GET", &format!("/v1/traces/{TRACE}"), None)
        .await;
    assert_eq!(trace["events"].as_array().unwrap().len(), 1, "{trace}");
    out
}

mod sqlite {
    #[tokio::test]
    async fn every_endpoint_is_isolated() {
        super::every_endpoint_is_isolated(
            super::Harness::new(store::testing::fresh_sqlite_url()).await,
        )
        .await;
    }
}

mod postgres {
    #[tokio::test]
    async fn every_endpoint_is_isolated() {
        super::every_endpoint_is_isolated(
            super::Harness::new(store::testing::fresh_postgres_url().await).await,
        )
        .await;
    }
}
