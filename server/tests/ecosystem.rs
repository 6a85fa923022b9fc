//! OTLP/HTTP ingest, replay bundles, metrics and health, through the whole router
//! (no socket), on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{Read, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{status, ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use serde_json::{json, Value};
use support::Answer;

struct Harness {
    app: Router,
    store: Arc<dyn store::Store>,
    url: String,
}

impl Harness {
    async fn new(url: String) -> Harness {
        let store = support::open_store(&url).await;
        let app = support::app_router(store.clone(), Default::default());
        Harness { app, store, url }
    }

    async fn key(&self, name: &str) -> String {
        support::project_with_key(self.store.as_ref(), name).await.1
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        support::send(&self.app, request).await
    }

    async fn get(&self, uri: &str, key: Option<&str>) -> Answer {
        let mut b = Request::get(uri);
        if let Some(key) = key {
            b = b.header("authorization", format!("Bearer {key}"));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    async fn post_json(&self, uri: &str, key: &str, body: Value) -> Answer {
        self.send(
            Request::post(uri)
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn otlp(
        &self,
        key: Option<&str>,
        content_type: &str,
        gzip: bool,
        body: Vec<u8>,
    ) -> Answer {
        let mut b = Request::post("/otel/v1/traces").header("content-type", content_type);
        if let Some(key) = key {
            b = b.header("authorization", format!("Bearer {key}"));
        }
        let body = if gzip {
            b = b.header("content-encoding", "gzip");
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&body).unwrap();
            enc.finish().unwrap()
        } else {
            body
        };
        self.send(b.body(Body::from(body)).unwrap()).await
    }
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}

const START: u64 = 1_793_000_000_000_000_000;

fn span(trace: u8, id: u8, parent: Option<u8>, name: &str, attributes: Vec<KeyValue>) -> Span {
    Span {
        trace_id: vec![trace; 16],
        span_id: vec![id; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: name.into(),
        start_time_unix_nano: START + u64::from(id) * 1_000_000,
        end_time_unix_nano: START + 900_000_000,
        attributes,
        ..Default::default()
    }
}

fn genai_request(trace: u8) -> ExportTraceServiceRequest {
    let mut failing = span(
        trace,
        4,
        Some(1),
        "execute_tool crm.lookup",
        vec![
            s("gen_ai.operation.name", "execute_tool"),
            s("gen_ai.tool.name", "crm.lookup"),
        ],
    );
    failing.status = Some(Status {
        code: status::StatusCode::Error as i32,
        message: "timeout".into(),
    });
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![s("service.name", "support")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![
                    span(
                        trace,
                        1,
                        None,
                        "invoke_agent",
                        vec![
                            s("gen_ai.operation.name", "invoke_agent"),
                            s("gen_ai.agent.name", "support-bot"),
                            s("session.id", "sess-7"),
                        ],
                    ),
                    span(
                        trace,
                        2,
                        Some(1),
                        "chat",
                        vec![
                            s("gen_ai.operation.name", "chat"),
                            s("gen_ai.provider.name", "openai"),
                            s("gen_ai.request.model", "gpt-4o-mini"),
                            kv("gen_ai.usage.input_tokens", any_value::Value::IntValue(10)),
                            kv("gen_ai.usage.output_tokens", any_value::Value::IntValue(5)),
                        ],
                    ),
                    span(
                        trace,
                        3,
                        Some(1),
                        "execute_tool",
                        vec![
                            s("gen_ai.operation.name", "execute_tool"),
                            s("gen_ai.tool.name", "payments.refund"),
                            s("gen_ai.tool.call.arguments", "{\"amount\": 5}"),
                        ],
                    ),
                    failing,
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn hex_id(byte: u8, len: usize) -> String {
    format!("{byte:02x}").repeat(len)
}

async fn otlp_protobuf_and_json(h: Harness) {
    let key = h.key("otel").await;
    let body = genai_request(0xa1).encode_to_vec();

    // No key: 401, answered as a protobuf google.rpc.Status.
    let answer = h
        .otlp(None, "application/x-protobuf", false, body.clone())
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.headers["content-type"], "application/x-protobuf");
    #[derive(Clone, PartialEq, prost::Message)]
    struct RpcStatus {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    let rpc = RpcStatus::decode(answer.bytes.as_slice()).unwrap();
    assert_eq!(rpc.code, 16, "UNAUTHENTICATED");
    assert!(rpc.message.contains("API key"), "{}", rpc.message);

    // Protobuf, gzip: every span accepted; the answer is an empty protobuf response.
    let answer = h
        .otlp(Some(&key), "application/x-protobuf", true, body.clone())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/x-protobuf");
    let response = ExportTraceServiceResponse::decode(answer.bytes.as_slice()).unwrap();
    assert!(response.partial_success.is_none(), "{response:?}");
    // A re-sent export does not duplicate anything.
    let answer = h
        .otlp(Some(&key), "application/x-protobuf", false, body)
        .await;
    assert_eq!(answer.status, StatusCode::OK);

    let trace_id = hex_id(0xa1, 16);
    let trace = h
        .get(&format!("/v1/traces/{trace_id}"), Some(&key))
        .await
        .json();
    let events = trace["events"].as_array().unwrap();
    assert_eq!(events.len(), 4, "{trace}");
    let by_span = |id: u8| {
        events
            .iter()
            .find(|e| e["span_id"] == hex_id(id, 8))
            .unwrap_or_else(|| panic!("span {id} missing: {trace}"))
    };
    assert_eq!(by_span(1)["kind"], "agent_call");
    assert_eq!(by_span(2)["kind"], "llm_call");
    assert_eq!(by_span(2)["tool"], "openai.gpt-4o-mini");
    assert_eq!(by_span(2)["input_tokens"], 10);
    assert_eq!(by_span(2)["agent_name"], "support-bot");
    assert_eq!(by_span(2)["session_id"], "sess-7");
    assert_eq!(by_span(2)["parent_span_id"], hex_id(1, 8));
    assert_eq!(by_span(3)["kind"], "tool_call");
    assert_eq!(by_span(3)["tool"], "payments.refund");
    assert_eq!(by_span(3)["payload"]["tool_input"]["amount"], 5);
    assert_eq!(by_span(3)["verdict"], "allowed");
    assert_eq!(by_span(4)["verdict"], "errored");
    assert_eq!(trace["summary"]["session_id"], "sess-7");

    // OTLP/JSON: hex ids, lowerCamelCase, string int64s, integer enums; one bad span.
    let json_body = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
        "scopeSpans": [{"scope": {"name": "manual"}, "spans": [
            {"traceId": hex_id(0xb2, 16), "spanId": hex_id(1, 8), "name": "execute_tool",
             "kind": 1, "startTimeUnixNano": "1793000000000000000", "endTimeUnixNano": "1793000000500000000",
             "attributes": [
                {"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}},
                {"key": "gen_ai.tool.name", "value": {"stringValue": "wire_transfer"}},
                {"key": "gen_ai.agent.name", "value": {"stringValue": "payments-bot"}},
                {"key": "gen_ai.usage.cost.amount", "value": {"doubleValue": 0.25}},
                {"key": "retries", "value": {"intValue": "3"}}
             ],
             "status": {"code": 2, "message": "denied upstream"}},
            {"traceId": "", "spanId": hex_id(2, 8), "name": "broken",
             "startTimeUnixNano": "1793000000000000000"}
        ]}]
    }]});
    let answer = h
        .otlp(
            Some(&key),
            "application/json",
            true,
            json_body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/json");
    let response = answer.json();
    assert_eq!(response["partialSuccess"]["rejectedSpans"], 1, "{response}");
    assert!(
        response["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("span 1: traceId"),
        "{response}"
    );
    let trace = h
        .get(&format!("/v1/traces/{}", hex_id(0xb2, 16)), Some(&key))
        .await
        .json();
    let event = &trace["events"][0];
    assert_eq!(event["tool"], "wire_transfer");
    assert_eq!(event["agent_name"], "payments-bot");
    assert_eq!(event["cost_usd"], 0.25);
    assert_eq!(event["verdict"], "errored");
    assert_eq!(event["payload"]["otel"]["attributes"]["retries"], 3);

    // Bad bodies: an unsupported type, broken protobuf, broken JSON.
    let answer = h.otlp(Some(&key), "text/plain", false, b"x".to_vec()).await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let answer = h
        .otlp(
            Some(&key),
            "application/x-protobuf",
            false,
            vec![0xff, 0xff, 0xff],
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = h
        .otlp(Some(&key), "application/json", false, b"{nope".to_vec())
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"]["code"], "bad_request");
    assert_eq!(answer.json()["code"], 3, "INVALID_ARGUMENT");

    // OTLP traces are pinned and simulated like any other.
    let ds = h
        .post_json("/v1/datasets", &key, json!({"name": "otel"}))
        .await
        .json();
    let ds = ds["id"].as_str().unwrap();
    let pinned = h
        .post_json(
            &format!("/v1/datasets/{ds}/items"),
            &key,
            json!({"trace_ids": [trace_id]}),
        )
        .await
        .json();
    assert_eq!(pinned["added"][0], trace_id.as_str());
    let summary = h
        .post_json(
            "/v1/policy/simulate/batch",
            &key,
            json!({"draft": {"kind": "block", "pattern": "payments.*"}, "dataset_id": ds}),
        )
        .await
        .json();
    assert_eq!(summary["events_scanned"], 3, "{summary}");
    assert_eq!(summary["events_would_have_changed"], 1, "{summary}");
    assert_eq!(summary["transitions"]["allowed->blocked"], 1);
}

fn jamjet_span(trace: &str, span: &str, kind: &str, name: &str, extra: Value) -> Value {
    let mut event = json!({
        "type": "span", "trace_id": trace, "span_id": span, "kind": kind, "name": name,
        "sequence": 1, "timestamp": "2026-11-01T10:00:00Z", "status": "ok",
        "agent_name": "support-bot", "session_id": "sess-1",
    });
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

/// Unpacks a tar.gz into (path, contents) pairs, asserting every entry is safe.
fn untar(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().to_string();
        assert!(!path.contains(".."), "unsafe path {path}");
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).unwrap();
        out.push((path, contents));
    }
    out
}

async fn replay_bundles(h: Harness) {
    let key = h.key("replay").await;
    let other = h.key("elsewhere").await;
    let batch = json!({"events": [
        jamjet_span("tr-1", "s1", "agent_call", "support-bot", json!({"sequence": 0})),
        jamjet_span("tr-1", "s2", "llm_call", "openai.gpt-4o-mini",
            json!({"parent_span_id": "s1", "cost_usd": 0.01, "payload": {"response": "hi"}})),
        jamjet_span("tr-1", "s3", "tool_call", "payments.refund",
            json!({"parent_span_id": "s1", "status": "blocked", "sequence": 2,
                   "payload": {"tool": "payments.refund", "tool_input": {"amount": 5}}})),
        jamjet_span("tr-1", "s4", "policy_decision", "policy", json!({"sequence": 3,
            "policy_decisions": [{"policy_kind": "block", "tool_name": "payments.refund"}]})),
        jamjet_span("tr-1", "s5", "tool_call", "crm.lookup",
            json!({"agent_name": "crm-agent", "sequence": 4, "duration_ms": 12.5})),
    ]});
    let answer = h.post_json("/v1/events/ingest", &key, batch).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    let answer = h.get("/v1/traces/tr-1/replay", None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = h.get("/v1/traces/tr-1/replay", Some(&other)).await;
    assert_eq!(
        answer.status,
        StatusCode::NOT_FOUND,
        "another project's trace"
    );
    assert_eq!(answer.json()["error"]["code"], "not_found");
    let answer = h.get("/v1/traces/nope/replay", Some(&key)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);

    let answer = h.get("/v1/traces/tr-1/replay", Some(&key)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers["x-jj-replay-schema"], "replay-1.0");
    assert_eq!(answer.headers["content-type"], "application/gzip");
    assert!(answer.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("replay-tr-1.tar.gz"));
    let files = untar(&answer.bytes);
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "replay-tr-1/",
            "replay-tr-1/manifest.json",
            "replay-tr-1/events.jsonl",
            "replay-tr-1/audit.jsonl",
            "replay-tr-1/agents.json"
        ]
    );
    let file = |name: &str| {
        let path = format!("replay-tr-1/{name}");
        String::from_utf8(files.iter().find(|(p, _)| *p == path).unwrap().1.clone()).unwrap()
    };
    let manifest: Value = serde_json::from_str(&file("manifest.json")).unwrap();
    assert_eq!(manifest["schema_version"], "replay-1.0");
    assert_eq!(manifest["trace_id"], "tr-1");
    assert_eq!(manifest["project"]["name"], "replay");
    assert_eq!(manifest["event_count"], 5);
    assert_eq!(manifest["audit_count"], 2);
    assert_eq!(manifest["counts"]["verdicts"]["blocked"], 1);
    assert_eq!(manifest["counts"]["kinds"]["tool_call"], 2);
    assert!(manifest["created_at"].as_str().unwrap().ends_with('Z'));
    let events: Vec<Value> = file("events.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 5);
    assert_eq!(events[0]["span_id"], "s1", "trace order");
    let refund = events.iter().find(|e| e["span_id"] == "s3").unwrap();
    assert_eq!(refund["kind"], "tool_call");
    assert_eq!(refund["status"], "blocked");
    assert_eq!(refund["verdict"], "blocked");
    assert_eq!(refund["payload"]["tool_input"]["amount"], 5);
    assert_eq!(refund["type"], "span");
    let audit: Vec<Value> = file("audit.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = audit
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["blocked", "policy_decision"], "{audit:?}");
    assert_eq!(audit[0]["detail"]["tool"], "payments.refund");
    let agents: Value = serde_json::from_str(&file("agents.json")).unwrap();
    let agent_names: Vec<&str> = agents
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(agent_names, ["crm-agent", "support-bot"]);
    assert_eq!(agents[1]["event_count"], 4);

    // A trace id that is not a safe file name still makes a safe bundle.
    let odd = "../../etc/passwd";
    let batch = json!({"events": [jamjet_span(odd, "x", "tool_call", "t", json!({}))]});
    h.post_json("/v1/events/ingest", &key, batch).await;
    let answer = h
        .get("/v1/traces/..%2F..%2Fetc%2Fpasswd/replay", Some(&key))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let files = untar(&answer.bytes);
    assert!(files
        .iter()
        .all(|(p, _)| p.starts_with("replay-______etc_passwd/")));
    let manifest: Value = serde_json::from_slice(&files[1].1).unwrap();
    assert_eq!(manifest["trace_id"], odd);
}

fn metric(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn health_and_metrics(h: Harness) {
    let answer = h.get("/healthz", None).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "ok")
    );
    let answer = h.get("/readyz", None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["status"], "ready");
    assert_eq!(answer.json()["checks"]["database"]["ok"], true);

    let before = h.get("/metrics", None).await.body;
    let key = h.key("metrics").await;
    let batch = json!({"events": [
        jamjet_span("m1", "s1", "tool_call", "a", json!({})),
        jamjet_span("m1", "s2", "teleport", "b", json!({})),
    ]});
    h.post_json("/v1/events/ingest", &key, batch).await;
    h.otlp(
        Some(&key),
        "application/x-protobuf",
        false,
        genai_request(0xc3).encode_to_vec(),
    )
    .await;
    h.post_json(
        "/v1/policy/simulate/batch",
        &key,
        json!({"draft": {"kind": "block", "pattern": "a"}, "trace_ids": ["m1"]}),
    )
    .await;
    let answer = h.get("/metrics", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let after = answer.body;
    // Counters are process-wide and tests run in parallel: at least these increments.
    let grew = |prefix: &str| metric(&after, prefix) - metric(&before, prefix);
    assert!(grew("preflight_ingest_batches_total{source=\"jamjet\"}") >= 1.0);
    assert!(grew("preflight_ingest_events_total{source=\"jamjet\"}") >= 1.0);
    assert!(grew("preflight_ingest_rejected_events_total{source=\"jamjet\"}") >= 1.0);
    assert!(grew("preflight_ingest_events_total{source=\"otlp\"}") >= 4.0);
    assert!(grew("preflight_simulations_total") >= 1.0);
    assert!(grew("preflight_simulation_duration_seconds_count") >= 1.0);
    assert!(after.contains("# TYPE preflight_simulation_duration_seconds histogram"));
    assert!(after.contains("preflight_simulation_duration_seconds_bucket{le=\"+Inf\"}"));
    // HTTP latency by route template, never by concrete path.
    assert!(
        after.contains(
            "preflight_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/events/ingest\",status=\"200\"}"
        ),
        "{after}"
    );
    assert!(after.contains("route=\"/otel/v1/traces\""), "{after}");
    assert!(after.contains("route=\"/readyz\""), "{after}");
    assert!(!after.contains("m1"), "no trace ids in labels");
    assert_eq!(metric(&after, "preflight_db_up "), 1.0);
    // Pool usage: the pools this backend has, each consistent with itself.
    let pools: Vec<&str> = if h.url.starts_with("postgres") {
        vec!["main"]
    } else {
        vec!["writer", "reader"]
    };
    for pool in pools {
        let gauge = |state: &str| {
            metric(
                &after,
                &format!("preflight_db_pool_connections{{pool=\"{pool}\",state=\"{state}\"}}"),
            )
        };
        assert!(gauge("max") >= 1.0, "{pool}: {after}");
        assert!(
            gauge("open") >= 1.0 && gauge("open") <= gauge("max"),
            "{pool}: {after}"
        );
        assert_eq!(gauge("in_use") + gauge("idle"), gauge("open"), "{pool}");
    }
    assert!(after.contains("preflight_build_info{version=\""));
    // Every sample line is `name{labels} value` or `name value`.
    for line in after.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "bad sample line {line:?}");
    }
}

/// A bundle holds at most 5,000 events: a longer trace comes in parts, each manifest
/// saying whether it is truncated and where the next part starts.
async fn replay_bundles_of_long_traces_come_in_parts(h: Harness) {
    let key = h.key("long").await;
    let total = 5_003;
    let spans: Vec<Value> = (0..total)
        .map(|i| jamjet_span("long", &format!("s{i:05}"), "tool_call", "t", json!({})))
        .collect();
    for batch in spans.chunks(5_000) {
        let answer = h
            .post_json("/v1/events/ingest", &key, json!({"events": batch}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    let part = |answer: &Answer| {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let files = untar(&answer.bytes);
        let text = |name: &str| {
            let path = format!("replay-long/{name}");
            let (_, bytes) = files.iter().find(|(p, _)| *p == path).unwrap();
            String::from_utf8(bytes.clone()).unwrap()
        };
        let manifest: Value = serde_json::from_str(&text("manifest.json")).unwrap();
        let spans: Vec<String> = text("events.jsonl")
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["span_id"].to_string())
            .collect();
        (manifest, spans)
    };
    // Asking for more than 5,000 gets 5,000.
    let first = h
        .get("/v1/traces/long/replay?limit=100000", Some(&key))
        .await;
    let (manifest, mut spans) = part(&first);
    assert_eq!(spans.len(), 5_000);
    assert_eq!(manifest["event_count"], 5_000);
    assert_eq!(manifest["truncated"], true);
    let cursor = manifest["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(first.headers["x-jj-replay-next-cursor"], cursor.as_str());
    let rest = h
        .get(
            &format!("/v1/traces/long/replay?cursor={cursor}"),
            Some(&key),
        )
        .await;
    let (manifest, more) = part(&rest);
    assert_eq!(manifest["truncated"], false);
    assert_eq!(manifest["next_cursor"], Value::Null);
    assert!(rest.headers.get("x-jj-replay-next-cursor").is_none());
    spans.extend(more);
    let all: Vec<String> = (0..total).map(|i| format!("\"s{i:05}\"")).collect();
    assert_eq!(
        spans, all,
        "the parts hold every event once, in trace order"
    );
    let answer = h.get("/v1/traces/long/replay?limit=0", Some(&key)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
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
    otlp_protobuf_and_json,
    replay_bundles,
    replay_bundles_of_long_traces_come_in_parts,
    health_and_metrics
);

/// With its database gone, the server is alive but not ready.
#[tokio::test]
async fn readyz_fails_when_the_database_is_gone() {
    let h = Harness::new(store::testing::fresh_postgres_url().await).await;
    assert_eq!(h.get("/readyz", None).await.status, StatusCode::OK);
    store::testing::drop_postgres_database(&h.url).await;
    let answer = h.get("/readyz", None).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
    assert_eq!(answer.json()["status"], "unavailable");
    assert!(
        !answer.body.contains("pft_"),
        "no connection details leak: {}",
        answer.body
    );
    assert_eq!(h.get("/healthz", None).await.status, StatusCode::OK);
    let metrics = h.get("/metrics", None).await.body;
    assert_eq!(metric(&metrics, "preflight_db_up "), 0.0);
}

#[tokio::test]
async fn openapi_lists_otlp_and_replay() {
    let h = Harness::new(store::testing::fresh_sqlite_url()).await;
    let doc = h.get("/v1/openapi.json", None).await.json();
    let paths = &doc["paths"];
    assert!(paths["/otel/v1/traces"]["post"]["responses"]["401"].is_object());
    let replay = &paths["/v1/traces/{trace_id}/replay"]["get"];
    assert!(replay["responses"]["404"].is_object(), "{replay}");
    assert!(
        replay["responses"]["200"]["content"]["application/gzip"].is_object(),
        "{replay}"
    );
}
