//! The REST API through the router, without a socket, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};

struct Harness {
    app: Router,
    store: Arc<dyn store::Store>,
}

impl Harness {
    async fn new(url: String) -> Harness {
        let store = support::open_store(&url).await;
        let app = support::api_router(store.clone());
        Harness { app, store }
    }

    /// A new project and its API key.
    async fn project(&self, name: &str) -> (store::Project, String) {
        support::project_with_key(self.store.as_ref(), name).await
    }

    async fn raw(&self, request: Request<Body>) -> (StatusCode, Value) {
        let answer = support::send(&self.app, request).await;
        (answer.status, answer.json())
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        self.raw(request).await
    }
}

fn span(trace: &str, span: &str, kind: &str, name: &str, status: &str, extra: Value) -> Value {
    let mut event = json!({
        "type": "span", "trace_id": trace, "span_id": span, "kind": kind, "name": name,
        "sequence": 1, "timestamp": "2026-11-01T10:00:00Z", "status": status,
        "agent_name": "support-bot", "session_id": "sess-1",
    });
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "body: {body}");
    assert!(body["error"]["code"].is_string(), "error shape: {body}");
    assert!(body["error"]["message"].is_string(), "error shape: {body}");
}

async fn auth_is_required(h: Harness) {
    let (status, body) = h.call("GET", "/v1/traces", None, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
    let (status, body) = h
        .call("GET", "/v1/traces", Some("jj_not_a_key"), None)
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
    let (project, key) = h.project("auth").await;
    let (status, _) = h.call("GET", "/v1/traces", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK);
    let keys = h.store.list_api_keys(&project.id).await.unwrap();
    assert!(h
        .store
        .revoke_api_key(&project.id, &keys[0].id)
        .await
        .unwrap());
    let (status, body) = h.call("GET", "/v1/traces", Some(&key), None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

async fn ingest_is_idempotent_and_partial(h: Harness) {
    let (_, key) = h.project("ingest").await;
    let batch = json!({ "events": [
        span("t1", "s1", "tool_call", "payments.refund", "ok", json!({"cost_usd": 0.02, "unknown_field": 7})),
        span("t1", "s2", "llm_call", "openai.gpt-4o-mini", "ok", json!({"parent_span_id": "s1"})),
        span("t1", "s3", "tool_call", "x", "ok", json!({"timestamp": "yesterday"})),
        span("t1", "s4", "teleport", "x", "ok", json!({})),
    ]});
    let (status, body) = h
        .call("POST", "/v1/events/ingest", Some(&key), Some(batch.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected"][0]["index"], 2);
    assert_eq!(body["rejected"][0]["error"], "timestamp: not ISO 8601");
    assert_eq!(body["rejected"][1]["index"], 3);
    assert!(body["rejected"][1]["error"]
        .as_str()
        .unwrap()
        .starts_with("kind:"));

    // The SDK retries on 5xx: the same batch again must not duplicate anything.
    h.call("POST", "/v1/events/ingest", Some(&key), Some(batch))
        .await;
    let (status, trace) = h.call("GET", "/v1/traces/t1", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK);
    let events = trace["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    let refund = events.iter().find(|e| e["span_id"] == "s1").unwrap();
    assert_eq!(
        refund["payload"]["extra"]["unknown_field"], 7,
        "unknown fields are kept"
    );

    // A later version of a span replaces the earlier one: pending approval → ok.
    let pending = span(
        "t2",
        "a1",
        "tool_call",
        "wire_transfer",
        "pending",
        json!({"approval_id": "apr_1"}),
    );
    h.call(
        "POST",
        "/v1/events/ingest",
        Some(&key),
        Some(json!({"events": [pending]})),
    )
    .await;
    let (_, trace) = h.call("GET", "/v1/traces/t2", Some(&key), None).await;
    assert_eq!(trace["events"][0]["verdict"], "held");
    let done = span(
        "t2",
        "a1",
        "tool_call",
        "wire_transfer",
        "ok",
        json!({"approval_id": "apr_1"}),
    );
    h.call(
        "POST",
        "/v1/events/ingest",
        Some(&key),
        Some(json!({"events": [done]})),
    )
    .await;
    let (_, trace) = h.call("GET", "/v1/traces/t2", Some(&key), None).await;
    assert_eq!(trace["events"].as_array().unwrap().len(), 1);
    assert_eq!(trace["events"][0]["verdict"], "allowed");
}

async fn ingest_rejects_bad_bodies(h: Harness) {
    let (_, key) = h.project("hostile").await;
    let request = |body: Vec<u8>, encoding: Option<&str>| {
        let mut b = Request::builder()
            .method("POST")
            .uri("/v1/events/ingest")
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json");
        if let Some(e) = encoding {
            b = b.header("content-encoding", e);
        }
        b.body(Body::from(body)).unwrap()
    };
    let (status, body) = h.raw(request(b"{not json".to_vec(), None)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = h.raw(request(b"{}".to_vec(), Some("br"))).await;
    assert_error(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let gzip = |data: &[u8]| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    };
    let good =
        json!({"events": [span("tg", "g1", "tool_call", "shell.exec", "blocked", json!({}))]});
    let (status, body) = h
        .raw(request(gzip(good.to_string().as_bytes()), Some("gzip")))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 1);
    // 64 MB of zeros compresses to ~64 KB: it must be refused, not inflated.
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    let (status, body) = h.raw(request(bomb, Some("gzip"))).await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body) = h
        .raw(request(b"not gzip at all".to_vec(), Some("gzip")))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
}

/// The issue's scenario: 2 events pinned in a dataset, draft blocks the model,
/// 1 event matches, 1 would change verdict; the run is stored and served by id.
async fn dataset_simulation_scenario(h: Harness) {
    let (_, key) = h.project("scenario").await;
    let batch = json!({"events": [
        span("tr-a", "s1", "llm_call", "openai.gpt-4o-mini", "ok", json!({"cost_usd": 0.01})),
        span("tr-b", "s2", "tool_call", "payments.refund", "ok", json!({})),
    ]});
    h.call("POST", "/v1/events/ingest", Some(&key), Some(batch))
        .await;
    let (status, dataset) = h
        .call(
            "POST",
            "/v1/datasets",
            Some(&key),
            Some(json!({"name": "regressions"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dataset}");
    let id = dataset["id"].as_str().unwrap();
    let (status, added) = h
        .call(
            "POST",
            &format!("/v1/datasets/{id}/items"),
            Some(&key),
            Some(json!({"trace_ids": ["tr-a", "tr-b", "tr-a", "nope"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["added"], json!(["tr-a", "tr-b"]));
    assert_eq!(added["unknown"], json!(["nope"]));
    let (_, again) = h
        .call(
            "POST",
            &format!("/v1/datasets/{id}/items"),
            Some(&key),
            Some(json!({"trace_ids": ["tr-a"]})),
        )
        .await;
    assert_eq!(again["already_present"], json!(["tr-a"]));

    let draft = json!({"kind": "block", "pattern": "openai.gpt-4o-mini"});
    let (status, sim) = h
        .call(
            "POST",
            "/v1/policy/simulate/batch",
            Some(&key),
            Some(json!({"draft": draft, "dataset_id": id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sim}");
    assert_eq!(sim["events_scanned"], 2);
    assert_eq!(sim["events_matched"], 1);
    assert_eq!(sim["events_would_have_changed"], 1);
    assert_eq!(sim["transitions"]["allowed->blocked"], 1);
    assert_eq!(sim["sample_matches"][0]["trace_id"], "tr-a");
    let sim_id = sim["simulation_id"].as_str().unwrap();
    let (status, stored) = h
        .call(
            "GET",
            &format!("/v1/policy/simulations/{sim_id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["summary"]["events_matched"], 1);

    // Same answer from a list of trace ids, and over the time window.
    let (_, by_ids) = h
        .call(
            "POST",
            "/v1/policy/simulate/batch",
            Some(&key),
            Some(json!({"draft": draft, "trace_ids": ["tr-a", "tr-b"]})),
        )
        .await;
    assert_eq!(by_ids["events_would_have_changed"], 1);
    let (_, window) = h
        .call(
            "POST",
            "/v1/policy/simulate",
            Some(&key),
            Some(json!({"draft": draft, "since": "2026-10-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(window["events_scanned"], 2);

    // Against the active policy instead of the recorded verdicts: with the model
    // already blocked by the active set, the same draft changes nothing.
    let (status, _) = h
        .call(
            "PUT",
            "/v1/policies",
            Some(&key),
            Some(json!({"rules": [{"pattern": "openai.*", "action": "block"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, vs_active) = h
        .call(
            "POST",
            "/v1/policy/simulate/batch",
            Some(&key),
            Some(json!({"draft": draft, "dataset_id": id, "baseline": "active_policy"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{vs_active}");
    assert_eq!(vs_active["events_matched"], 1);
    assert_eq!(vs_active["events_would_have_changed"], 0);
    // A whole draft rule set replaces the active one: unmatched events become allowed.
    let (_, whole) = h
        .call("POST", "/v1/policy/simulate/batch", Some(&key), Some(json!({"draft": {"rules": [{"pattern": "payments.*", "action": "require_approval"}]}, "dataset_id": id, "baseline": "active_policy"})))
        .await;
    assert_eq!(whole["events_would_have_changed"], 2, "{whole}");
    assert_eq!(whole["transitions"]["blocked->allowed"], 1, "{whole}");
    assert_eq!(whole["transitions"]["allowed->held"], 1, "{whole}");

    // A malformed draft is a 422 naming the field.
    let (status, body) = h
        .call(
            "POST",
            "/v1/policy/simulate/batch",
            Some(&key),
            Some(json!({"draft": {"kind": "deny", "pattern": "x"}, "dataset_id": id})),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "draft.kind");

    // Deleting the dataset keeps the traces.
    let (status, _) = h
        .call("DELETE", &format!("/v1/datasets/{id}"), Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h.call("GET", "/v1/traces/tr-a", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK);
}

async fn policies_version_and_sync(h: Harness) {
    let (project, key) = h.project("policies").await;
    let rules = json!([{"match": "payments.*", "action": "block"}, {"pattern": "payments.read", "action": "allow"}]);
    let (status, set) = h
        .call(
            "PUT",
            "/v1/policies",
            Some(&key),
            Some(json!({"rules": rules})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["version"], 1);
    let (_, decision) = h
        .call(
            "POST",
            "/v1/policy/evaluate",
            Some(&key),
            Some(json!({"tool": "payments.read", "agent": "a"})),
        )
        .await;
    assert_eq!(decision["verdict"], "allowed");
    assert_eq!(decision["rule"]["pattern"], "payments.read");

    let (status, reordered) = h
        .call(
            "POST",
            "/v1/policies/order",
            Some(&key),
            Some(json!({"order": [1, 0]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reordered}");
    let (_, sdk) = h
        .call(
            "GET",
            &format!("/v1/projects/{}/policies", project.name),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        sdk["rules"],
        json!([{"action": "allow", "pattern": "payments.read"}, {"action": "block", "pattern": "payments.*"}])
    );

    let (status, body) = h
        .call(
            "PUT",
            "/v1/policies",
            Some(&key),
            Some(json!({"rules": [{"match": "x", "action": "deny"}]})),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "rules[0].action");

    let (_, versions) = h
        .call("GET", "/v1/policies/versions", Some(&key), None)
        .await;
    assert_eq!(versions["versions"][0]["version"], 2);
    assert_eq!(versions["versions"][0]["diff"]["reordered"], true);
    let (status, restored) = h
        .call("POST", "/v1/policies/versions/1/restore", Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(restored["version"], 3);
    assert_eq!(restored["rules"][0]["pattern"], "payments.*");
}

async fn approvals_flow(h: Harness) {
    let (_, key) = h.project("approvals").await;
    let (status, created) = h
        .call(
            "POST",
            "/v1/approvals",
            Some(&key),
            Some(json!({"action": "wire_transfer", "context": {"amount": 900}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["status"], "pending");
    let id = created["id"].as_str().unwrap();
    let (_, pending) = h
        .call("GET", "/v1/approvals?status=pending", Some(&key), None)
        .await;
    assert_eq!(pending["approvals"].as_array().unwrap().len(), 1);
    let (status, decided) = h
        .call(
            "POST",
            &format!("/v1/approvals/{id}/decision"),
            Some(&key),
            Some(json!({"decision": "approved", "reason": "ok by finance"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    let (_, polled) = h
        .call("GET", &format!("/v1/approvals/{id}"), Some(&key), None)
        .await;
    assert_eq!(polled["status"], "approved");
    assert_eq!(polled["reason"], "ok by finance");
    let (status, body) = h
        .call(
            "POST",
            &format!("/v1/approvals/{id}/decision"),
            Some(&key),
            Some(json!({"decision": "rejected"})),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT);
}

/// A key of project B sees nothing of project A, whatever ids it uses.
async fn projects_are_isolated(h: Harness) {
    let (a, key_a) = h.project("tenant-a").await;
    let (_, key_b) = h.project("tenant-b").await;
    h.call("POST", "/v1/events/ingest", Some(&key_a), Some(json!({"events": [
        span("secret-trace", "s1", "tool_call", "payments.refund", "ok", json!({"session_id": "secret-session"})),
    ]}))).await;
    let (_, ds) = h
        .call(
            "POST",
            "/v1/datasets",
            Some(&key_a),
            Some(json!({"name": "a-only"})),
        )
        .await;
    let ds = ds["id"].as_str().unwrap().to_string();
    h.call(
        "POST",
        &format!("/v1/datasets/{ds}/items"),
        Some(&key_a),
        Some(json!({"trace_ids": ["secret-trace"]})),
    )
    .await;
    let (_, apr) = h
        .call(
            "POST",
            "/v1/approvals",
            Some(&key_a),
            Some(json!({"action": "x"})),
        )
        .await;
    let apr = apr["id"].as_str().unwrap().to_string();
    let (_, sim) = h
        .call(
            "POST",
            "/v1/policy/simulate/batch",
            Some(&key_a),
            Some(json!({"draft": {"kind": "block", "pattern": "*"}, "dataset_id": ds})),
        )
        .await;
    let sim = sim["simulation_id"].as_str().unwrap().to_string();

    for uri in [
        "/v1/traces/secret-trace".to_string(),
        "/v1/threads/secret-session".to_string(),
        format!("/v1/datasets/{ds}"),
        format!("/v1/approvals/{apr}"),
        format!("/v1/policy/simulations/{sim}"),
        format!("/v1/projects/{}/policies", a.name),
    ] {
        let (status, body) = h.call("GET", &uri, Some(&key_b), None).await;
        assert_error(status, &body, StatusCode::NOT_FOUND);
    }
    let (_, traces) = h.call("GET", "/v1/traces", Some(&key_b), None).await;
    assert_eq!(traces["traces"], json!([]));
    let (_, threads) = h.call("GET", "/v1/threads", Some(&key_b), None).await;
    assert_eq!(threads["threads"], json!([]));
    let (_, audit) = h.call("GET", "/v1/audit", Some(&key_b), None).await;
    assert_eq!(audit["events"], json!([]));
    let (_, datasets) = h.call("GET", "/v1/datasets", Some(&key_b), None).await;
    assert_eq!(datasets["datasets"], json!([]));
    let (_, approvals) = h.call("GET", "/v1/approvals", Some(&key_b), None).await;
    assert_eq!(approvals["approvals"], json!([]));

    let (status, body) = h
        .call(
            "POST",
            &format!("/v1/datasets/{ds}/items"),
            Some(&key_b),
            Some(json!({"trace_ids": ["secret-trace"]})),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = h
        .call(
            "PATCH",
            &format!("/v1/datasets/{ds}"),
            Some(&key_b),
            Some(json!({"name": "mine"})),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = h
        .call("DELETE", &format!("/v1/datasets/{ds}"), Some(&key_b), None)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = h
        .call(
            "POST",
            &format!("/v1/approvals/{apr}/decision"),
            Some(&key_b),
            Some(json!({"decision": "approved"})),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = h
        .call(
            "POST",
            "/v1/policy/simulate/batch",
            Some(&key_b),
            Some(json!({"draft": {"kind": "block", "pattern": "*"}, "dataset_id": ds})),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, scan) = h
        .call(
            "POST",
            "/v1/policy/simulate/batch",
            Some(&key_b),
            Some(
                json!({"draft": {"kind": "block", "pattern": "*"}, "trace_ids": ["secret-trace"]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        scan["events_scanned"], 0,
        "B's simulation must scan none of A's events"
    );
    // A's data is untouched by B's attempts.
    let (status, _) = h
        .call("GET", &format!("/v1/datasets/{ds}"), Some(&key_a), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// A listing's page sizes as README.md (Security) documents them: (default, max).
type Sizes = (usize, usize);
const LISTS: Sizes = (50, 500);

/// Reads every row of the listing `field` at `path`: checks the default page, that a
/// `limit` past the largest is lowered to it, that `limit=0` and a forged cursor are
/// refused, and that following `next_cursor` from a full page reads the rest, each
/// page at most the largest. The rows, in the order read.
async fn read_pages(
    h: &Harness,
    key: &str,
    path: &str,
    field: &str,
    (default, max): Sizes,
) -> Vec<Value> {
    let with = |query: &str| {
        let join = if path.contains('?') { '&' } else { '?' };
        format!("{path}{join}{query}")
    };
    let (status, first) = h.call("GET", path, Some(key), None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        first[field].as_array().unwrap().len(),
        default,
        "default page of {path}"
    );
    assert!(first["next_cursor"].is_string(), "{path} says more follow");
    for bad in ["limit=0", "cursor=zz"] {
        let (status, body) = h.call("GET", &with(bad), Some(key), None).await;
        assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let asked = max * 10;
    let mut url = with(&format!("limit={asked}"));
    let mut rows: Vec<Value> = Vec::new();
    loop {
        let (status, page) = h.call("GET", &url, Some(key), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page[field].as_array().unwrap();
        if rows.is_empty() {
            assert_eq!(
                items.len(),
                max,
                "{path}: a limit of {asked} is capped at {max}"
            );
        }
        assert!(items.len() <= max);
        rows.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => url = with(&format!("limit={asked}&cursor={cursor}")),
            None => return rows,
        }
    }
}

/// The values of `field` in `rows`, checked to be all different.
fn distinct(rows: &[Value], field: &str) -> Vec<String> {
    let values: Vec<String> = rows.iter().map(|r| r[field].to_string()).collect();
    let unique: std::collections::HashSet<&String> = values.iter().collect();
    assert_eq!(unique.len(), values.len(), "a row read twice");
    values
}

async fn a_trace_is_read_in_pages(h: Harness) {
    let (_, key) = h.project("p").await;
    let total = 5_003;
    let spans: Vec<Value> = (0..total)
        .map(|i| {
            span(
                "big",
                &format!("s{i:05}"),
                "tool_call",
                "t",
                "ok",
                json!({}),
            )
        })
        .collect();
    for batch in spans.chunks(5_000) {
        let (status, body) = h
            .call(
                "POST",
                "/v1/events/ingest",
                Some(&key),
                Some(json!({"events": batch})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let events = read_pages(&h, &key, "/v1/traces/big", "events", (1_000, 5_000)).await;
    assert_eq!(events.len(), total);
    // Same timestamp and sequence throughout: stored order, which is the batch's.
    let ids: Vec<String> = (0..total).map(|i| format!("\"s{i:05}\"")).collect();
    assert_eq!(distinct(&events, "span_id"), ids);
}

async fn approvals_are_read_in_pages(h: Harness) {
    let (project, key) = h.project("p").await;
    let total = 503;
    for i in 0..total {
        let a = h
            .store
            .create_approval(&project.id, &format!("act{i}"), json!({}), "key:jj_agent01")
            .await
            .unwrap();
        if i < 501 {
            h.store
                .decide_approval(&project.id, &a.id, "approved", None, "ana")
                .await
                .unwrap();
        }
    }
    let all = read_pages(&h, &key, "/v1/approvals", "approvals", LISTS).await;
    assert_eq!(distinct(&all, "id").len(), total);
    let created: Vec<&str> = all
        .iter()
        .map(|a| a["created_at"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let approved = read_pages(
        &h,
        &key,
        "/v1/approvals?status=approved",
        "approvals",
        LISTS,
    )
    .await;
    assert_eq!(distinct(&approved, "id").len(), 501);
    assert!(approved.iter().all(|a| a["status"] == "approved"));
}

async fn datasets_and_their_items_are_read_in_pages(h: Harness) {
    let (project, key) = h.project("p").await;
    let total = 503;
    for i in 0..total {
        h.store
            .create_dataset(&project.id, &format!("set{i:03}"), None, "test")
            .await
            .unwrap();
    }
    let sets = read_pages(&h, &key, "/v1/datasets", "datasets", LISTS).await;
    let by_name: Vec<String> = (0..total).map(|i| format!("\"set{i:03}\"")).collect();
    assert_eq!(distinct(&sets, "name"), by_name);

    let spans: Vec<Value> = (0..total)
        .map(|i| span(&format!("tr{i:03}"), "s", "tool_call", "t", "ok", json!({})))
        .collect();
    let (status, body) = h
        .call(
            "POST",
            "/v1/events/ingest",
            Some(&key),
            Some(json!({"events": spans})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let traces: Vec<String> = (0..total).map(|i| format!("tr{i:03}")).collect();
    let id = sets[0]["id"].as_str().unwrap();
    h.store
        .add_dataset_items(
            &project.id,
            id,
            &traces,
            store::MembershipChange {
                kind: store::DatasetChangeKind::Pinned,
                author: "test",
            },
        )
        .await
        .unwrap();
    let path = format!("/v1/datasets/{id}");
    let items = read_pages(&h, &key, &path, "items", LISTS).await;
    let pinned: Vec<String> = traces.iter().map(|t| format!("\"{t}\"")).collect();
    assert_eq!(distinct(&items, "trace_id"), pinned);
    assert!(items.iter().all(|i| i["trace"]["event_count"] == 1));
    let (_, first) = h.call("GET", &path, Some(&key), None).await;
    assert_eq!(
        first["dataset"]["item_count"], total,
        "the count covers every page"
    );
}

async fn policy_versions_are_read_in_pages_with_their_diffs(h: Harness) {
    let (project, key) = h.project("p").await;
    let total = 103;
    let rule = |n: usize| json!({"pattern": format!("tool{n}.*"), "action": "block"});
    for n in 1..=total {
        h.store
            .save_policy(&project.id, "last_match", json!([rule(n)]), "ana", None)
            .await
            .unwrap();
    }
    let versions = read_pages(&h, &key, "/v1/policies/versions", "versions", (20, 100)).await;
    let numbers: Vec<String> = (1..=total).rev().map(|n| n.to_string()).collect();
    assert_eq!(distinct(&versions, "version"), numbers);
    // Each diffed against the one before it, across page ends too (100 | 3).
    for v in &versions {
        let n = v["version"].as_u64().unwrap() as usize;
        let removed = if n == 1 {
            json!([])
        } else {
            json!([rule(n - 1)])
        };
        assert_eq!(v["diff"]["added"], json!([rule(n)]), "version {n}");
        assert_eq!(v["diff"]["removed"], removed, "version {n}");
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(super::Harness::new(store::testing::fresh_sqlite_url()).await).await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(super::Harness::new(store::testing::fresh_postgres_url().await).await).await; })*
        }
    };
}

on_both_backends!(
    auth_is_required,
    ingest_is_idempotent_and_partial,
    ingest_rejects_bad_bodies,
    dataset_simulation_scenario,
    policies_version_and_sync,
    approvals_flow,
    projects_are_isolated,
    a_trace_is_read_in_pages,
    approvals_are_read_in_pages,
    datasets_and_their_items_are_read_in_pages,
    policy_versions_are_read_in_pages_with_their_diffs,
);

/// The OpenAPI document is generated from the handlers: every route is in it.
#[tokio::test]
async fn openapi_document_lists_every_endpoint() {
    let h = Harness::new(store::testing::fresh_sqlite_url()).await;
    let (status, doc) = h.call("GET", "/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/v1/events/ingest", &["post"][..]),
        ("/v1/traces", &["get"]),
        ("/v1/traces/{trace_id}", &["get"]),
        ("/v1/threads", &["get"]),
        ("/v1/threads/{session_id}", &["get"]),
        ("/v1/audit", &["get"]),
        ("/v1/audit/changes", &["get"]),
        ("/v1/datasets", &["get", "post"]),
        ("/v1/datasets/{id}", &["get", "patch", "delete"]),
        ("/v1/datasets/{id}/items", &["post"]),
        ("/v1/datasets/{id}/items/{trace_id}", &["delete"]),
        ("/v1/policies", &["get", "put"]),
        ("/v1/policies/rules", &["post"]),
        ("/v1/policies/rules/{index}", &["put", "delete"]),
        ("/v1/policies/order", &["post"]),
        ("/v1/policies/versions", &["get"]),
        ("/v1/policies/versions/{version}", &["get"]),
        ("/v1/policies/versions/{version}/restore", &["post"]),
        ("/v1/projects/{project}/policies", &["get"]),
        ("/v1/policy/evaluate", &["post"]),
        ("/v1/policy/simulate", &["post"]),
        ("/v1/policy/simulate/batch", &["post"]),
        ("/v1/policy/simulations/{id}", &["get"]),
        ("/v1/policy/simulations/{id}/rerun", &["post"]),
        ("/v1/policy/simulations/{id}/events", &["get"]),
        ("/v1/datasets/{id}/versions", &["get"]),
        ("/v1/datasets/{id}/expectations", &["get", "put"]),
        (
            "/v1/datasets/{id}/expectations/{expectation_id}",
            &["delete"],
        ),
        ("/v1/approvals", &["get", "post"]),
        ("/v1/approvals/{id}", &["get"]),
        ("/v1/approvals/{id}/decision", &["post"]),
        ("/v1/traces/{trace_id}/replay", &["get"]),
        ("/otel/v1/traces", &["post"]),
    ] {
        let entry = paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing from the OpenAPI document"));
        for method in methods {
            assert!(entry.get(*method).is_some(), "{method} {path} missing");
            assert!(
                entry[*method]["responses"]["401"].is_object(),
                "{method} {path} documents no 401"
            );
        }
    }
    // Every read that a project's data can make large documents how to page it.
    for path in [
        "/v1/traces/{trace_id}",
        "/v1/traces/{trace_id}/replay",
        "/v1/approvals",
        "/v1/datasets",
        "/v1/datasets/{id}",
        "/v1/datasets/{id}/versions",
        "/v1/policies/versions",
    ] {
        let names: Vec<&str> = paths[path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has no parameters"))
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"limit") && names.contains(&"cursor"),
            "{path} documents no paging: {names:?}"
        );
        let description = paths[path]["get"]["description"].as_str().unwrap_or("");
        assert!(description.contains("next_cursor"), "{path}: {description}");
    }
    assert_eq!(
        paths.len(),
        33,
        "undocumented or unexpected paths: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
    // Unknown endpoints and wrong methods answer in the same JSON error shape.
    let (status, body) = h.call("GET", "/v1/nope", None, None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = h.call("PUT", "/v1/datasets", None, None).await;
    assert_error(status, &body, StatusCode::METHOD_NOT_ALLOWED);
}
