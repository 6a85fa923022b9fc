//! The REST API and the dashboard's server functions run the same service function
//! for each operation: this drives both transports through the cases where their
//! copies used to drift, and checks that they answer alike (status and message) and
//! record the same thing. SQLite, one router, an API key and a signed-in admin.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use serde_json::{json, Value};
use support::{server_fn, HOST, ORIGIN};

struct Harness {
    app: Router,
    key: String,
    cookie: String,
    project: String,
}

impl Harness {
    async fn new() -> Harness {
        let support::SignedIn {
            app,
            project,
            key,
            cookie,
        } = support::SignedIn::new(support::sqlite_store().await, "drift").await;
        Harness {
            app,
            key,
            cookie,
            project: project.id,
        }
    }

    async fn send(&self, request: Request<Body>) -> (u16, String) {
        let answer = support::send(&self.app, request).await;
        (answer.status.as_u16(), answer.body)
    }

    /// A `/v1` call with the project's key: status and the error message or body.
    async fn rest(&self, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let (status, text) = self.send(request).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A server function call as the signed-in admin: JSON for the functions that take
    /// typed arguments, a form (as the pages post) for the others.
    async fn dashboard(&self, name: &str, mut args: Value) -> (u16, String) {
        const JSON_INPUT: [&str; 3] = ["simulate_draft", "save_policy_rules", "add_to_dataset"];
        args["project"] = json!(self.project);
        let (content_type, body) = if JSON_INPUT.contains(&name) {
            ("application/json", args.to_string())
        } else {
            let form: Vec<String> = args
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let text = v.as_str().map_or(v.to_string(), str::to_string);
                    let encoded: String = text
                        .bytes()
                        .map(|b| match b {
                            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                                char::from(b).to_string()
                            }
                            _ => format!("%{b:02X}"),
                        })
                        .collect();
                    format!("{k}={encoded}")
                })
                .collect();
            ("application/x-www-form-urlencoded", form.join("&"))
        };
        let request = Request::post(server_fn(name))
            .header(header::HOST, HOST)
            .header(header::ORIGIN, ORIGIN)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }
}

fn rest_message(body: &Value) -> String {
    let e = &body["error"];
    match e["field"].as_str() {
        Some(f) => format!("{f}: {}", e["message"].as_str().unwrap_or_default()),
        None => e["message"].as_str().unwrap_or_default().to_string(),
    }
}

#[tokio::test]
async fn both_transports_give_the_same_answers() {
    let h = Harness::new().await;

    // Dataset names: one rule, one message.
    let long = "n".repeat(201);
    let (rest, body) = h
        .rest("POST", "/v1/datasets", Some(json!({"name": long})))
        .await;
    let (dash, text) = h
        .dashboard("create_dataset", json!({"name": long, "description": null}))
        .await;
    assert_eq!((rest, dash), (422, 422), "{body} / {text}");
    assert_eq!(rest_message(&body), "name: longer than 200 characters");
    assert!(text.contains("name: longer than 200 characters"), "{text}");

    // A taken name is a conflict naming it, whichever transport created the first.
    let (status, created) = h
        .rest("POST", "/v1/datasets", Some(json!({"name": "fixtures"})))
        .await;
    assert_eq!(status, 201, "{created}");
    let (dash, text) = h
        .dashboard(
            "create_dataset",
            json!({"name": " fixtures ", "description": null}),
        )
        .await;
    assert_eq!(dash, 409, "{text}");
    assert!(
        text.contains("a dataset named \"fixtures\" already exists"),
        "{text}"
    );
    let (rest, body) = h
        .rest("POST", "/v1/datasets", Some(json!({"name": "fixtures"})))
        .await;
    assert_eq!(rest, 409);
    assert_eq!(
        rest_message(&body),
        "a dataset named \"fixtures\" already exists"
    );

    // Simulating over a dataset that does not exist: 404 from both, never zero events.
    let draft = json!({"kind": "block", "pattern": "wire_*"});
    let (rest, body) = h
        .rest(
            "POST",
            "/v1/policy/simulate/batch",
            Some(json!({"draft": draft, "dataset_id": "no-such-dataset"})),
        )
        .await;
    let (dash, text) = h
        .dashboard(
            "simulate_draft",
            json!({"scope": {"Dataset": "no-such-dataset"}, "draft": draft.to_string()}),
        )
        .await;
    assert_eq!((rest, dash), (404, 404), "{body} / {text}");
    assert_eq!(
        rest_message(&body),
        "no dataset \"no-such-dataset\" in this project"
    );
    assert!(text.contains("no dataset \"no-such-dataset\" in this project"));

    // Both transports keep a run with the same typed record, read back alike.
    let dataset_id = created["id"].as_str().unwrap();
    let (rest, body) = h
        .rest(
            "POST",
            "/v1/policy/simulate/batch",
            Some(json!({"draft": draft, "dataset_id": dataset_id})),
        )
        .await;
    assert_eq!(rest, 200, "{body}");
    let (dash, text) = h
        .dashboard(
            "simulate_draft",
            json!({"scope": {"Dataset": dataset_id}, "draft": draft.to_string()}),
        )
        .await;
    assert_eq!(dash, 200, "{text}");
    let dash_run: Value = serde_json::from_str(&text).unwrap();
    let dash_id = dash_run["Ran"]["id"].as_str().unwrap();
    let (_, from_rest) = h
        .rest(
            "GET",
            &format!(
                "/v1/policy/simulations/{}",
                body["simulation_id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let (_, from_dash) = h
        .rest("GET", &format!("/v1/policy/simulations/{dash_id}"), None)
        .await;
    assert_eq!(from_rest["request"], from_dash["request"]);
    assert_eq!(from_rest["request"]["baseline"], "recorded");
    assert_eq!(from_rest["summary"], from_dash["summary"]);

    // Policy saves: the dashboard's compare-and-set names the REST save it lost to.
    let (status, _) = h
        .rest(
            "PUT",
            "/v1/policies",
            Some(json!({"rules": [{"pattern": "wire_*", "action": "block"}]})),
        )
        .await;
    assert_eq!(status, 200);
    let (dash, text) = h
        .dashboard(
            "save_policy_rules",
            json!({"base": 0, "precedence": "last_match", "rules": [], "message": null}),
        )
        .await;
    assert_eq!(dash, 409, "{text}");
    assert!(
        text.contains(&format!(
            "not saved: version 1 by key:{} was saved after the version 0 you edited",
            &h.key[..10]
        )),
        "{text}"
    );
    let (dash, text) = h
        .dashboard(
            "save_policy_rules",
            json!({"base": 1, "precedence": "first_match",
                   "rules": [{"pattern": "shell.*", "action": "require_approval"}],
                   "message": " from the dashboard "}),
        )
        .await;
    assert_eq!((dash, text.as_str()), (200, "2"));
    let (_, versions) = h.rest("GET", "/v1/policies/versions", None).await;
    let newest = &versions["versions"][0];
    assert_eq!(newest["author"], "ana@example.com");
    assert_eq!(newest["message"], "from the dashboard");
    assert_eq!(newest["precedence"], "first_match");

    // Approvals: decided once; the second decision is refused alike, naming the first.
    let (_, approval) = h
        .rest("POST", "/v1/approvals", Some(json!({"action": "refund"})))
        .await;
    let id = approval["id"].as_str().unwrap();
    let (dash, text) = h
        .dashboard(
            "decide_pending_approval",
            json!({"id": id, "decision": "approved", "reason": "ok"}),
        )
        .await;
    assert_eq!(dash, 200, "{text}");
    let (rest, body) = h
        .rest(
            "POST",
            &format!("/v1/approvals/{id}/decision"),
            Some(json!({"decision": "rejected"})),
        )
        .await;
    assert_eq!(rest, 409);
    assert_eq!(
        rest_message(&body),
        format!("approval {id} was already approved by ana@example.com")
    );
    let (dash, text) = h
        .dashboard(
            "decide_pending_approval",
            json!({"id": id, "decision": "maybe", "reason": null}),
        )
        .await;
    assert_eq!(dash, 422);
    assert!(
        text.contains("decision: unknown decision \"maybe\""),
        "{text}"
    );

    // The audit log: the page's rows and the API's are one reading.
    let (_, ingest) = h
        .rest(
            "POST",
            "/v1/events/ingest",
            Some(json!({"events": [
                {"type": "span", "trace_id": "t1", "span_id": "s1", "kind": "tool_call",
                 "name": "wire_transfer", "timestamp": "2026-11-01T10:00:00Z", "status": "blocked"},
                {"type": "span", "trace_id": "t1", "span_id": "s2", "kind": "tool_call",
                 "name": "search", "timestamp": "2026-11-01T10:01:00Z", "status": "ok"}
            ]})),
        )
        .await;
    assert_eq!(ingest["accepted"], 2);
    let (_, api_log) = h.rest("GET", "/v1/audit?verdict=blocked", None).await;
    let (dash, text) = h
        .dashboard(
            "get_audit_log",
            json!({"filter": "blocked", "cursor": null}),
        )
        .await;
    assert_eq!(dash, 200, "{text}");
    let page: Value = serde_json::from_str(&text).unwrap();
    let api_spans: Vec<&str> = api_log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["span_id"].as_str().unwrap())
        .collect();
    let page_spans: Vec<&str> = page["data"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["span_id"].as_str().unwrap())
        .collect();
    assert_eq!(api_spans, ["s1"]);
    assert_eq!(page_spans, api_spans);
}
