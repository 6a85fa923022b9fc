//! Hostile and malformed input against the `/v1` API, through the router, on SQLite
//! and PostgreSQL. One table of cases, one driver: every case must be answered with
//! the expected status (a 4xx with the JSON error shape `{"error": {"code",
//! "message"}}`, or for ingest's per-event errors a 200 that rejects the bad events by
//! index), never a 5xx, never a panic, within a time bound; afterwards the server must
//! still ingest and serve a normal batch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};

/// No single hostile request may take longer than this (debug build, shared CI box).
const CASE_TIME_LIMIT: Duration = Duration::from_secs(30);

const INGEST: &str = "/v1/events/ingest";
const SIM_BATCH: &str = "/v1/policy/simulate/batch";
const SIM_WINDOW: &str = "/v1/policy/simulate";
const POLICIES: &str = "/v1/policies";
const EVALUATE: &str = "/v1/policy/evaluate";

/// What a case must get back.
#[derive(Clone, Debug)]
enum Expect {
    /// This 4xx status with the JSON error shape; the message contains the text.
    Error(u16, &'static str),
    /// Ingest: a 200 in which no event is accepted and every one of `n` events is
    /// rejected by index, each with a reason containing the text.
    AllRejected(usize, &'static str),
    /// Ingest: a 200 accepting all `n` events (hostile but storable).
    Accepted(usize),
    /// Hostile but valid: a 200 (in bounded time).
    Ok,
}

#[derive(Clone, Copy, Debug)]
enum Auth {
    Key,
    None,
    Header(&'static [u8]),
}

struct Case {
    name: &'static str,
    method: &'static str,
    uri: String,
    /// `None`: no Content-Type header.
    content_type: Option<&'static str>,
    content_encoding: Option<&'static str>,
    auth: Auth,
    body: Vec<u8>,
    expect: Expect,
}

fn case(
    name: &'static str,
    method: &'static str,
    uri: impl Into<String>,
    body: impl Into<Vec<u8>>,
    expect: Expect,
) -> Case {
    Case {
        name,
        method,
        uri: uri.into(),
        content_type: Some("application/json"),
        content_encoding: None,
        auth: Auth::Key,
        body: body.into(),
        expect,
    }
}

impl Case {
    fn content_type(mut self, ct: Option<&'static str>) -> Case {
        self.content_type = ct;
        self
    }
    fn encoding(mut self, e: &'static str) -> Case {
        self.content_encoding = Some(e);
        self
    }
    fn auth(mut self, a: Auth) -> Case {
        self.auth = a;
        self
    }
}

fn get(name: &'static str, uri: impl Into<String>, expect: Expect) -> Case {
    case(name, "GET", uri, Vec::new(), expect).content_type(None)
}

fn j(v: Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// A valid JamJet span; `extra` fields override or add.
fn span(trace: &str, span: &str, extra: Value) -> Value {
    let mut event = json!({
        "type": "span", "trace_id": trace, "span_id": span, "kind": "tool_call",
        "name": "payments.refund", "sequence": 1, "timestamp": "2026-11-01T10:00:00Z",
        "status": "ok", "agent_name": "support-bot", "session_id": "sess-h",
    });
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

/// `{"events": [one span with `extra`]}`.
fn one_event(extra: Value) -> Vec<u8> {
    j(json!({ "events": [span("hostile-trace", "h1", extra)] }))
}

/// One span with a raw JSON fragment spliced in (for tokens `json!` cannot build).
fn event_with_raw(field: &str, raw: &str) -> Vec<u8> {
    format!(
        r#"{{"events":[{{"type":"span","trace_id":"t","span_id":"s","kind":"tool_call","name":"x","timestamp":"2026-11-01T10:00:00Z","{field}":{raw}}}]}}"#
    )
    .into_bytes()
}

fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn nested_objects(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// `*a*a*a...*b`: the classic backtracking-glob worst case, `len` characters.
fn star_pattern(len: usize, tail: char) -> String {
    let mut p = "*a".repeat(len / 2);
    p.truncate(len.saturating_sub(1));
    p.push(tail);
    p
}

fn rules_of(n: usize, pattern: impl Fn(usize) -> String) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"match": pattern(i), "action": "block"}))
            .collect(),
    )
}

/// Ids the cases refer to, made before the barrage.
struct Ctx {
    dataset_id: String,
}

fn draft() -> Value {
    json!({"kind": "block", "pattern": "payments.*"})
}

// One case per line: a table reads better than what rustfmt would make of it.
#[rustfmt::skip]
fn cases(ctx: &Ctx) -> Vec<Case> {
    use Expect::{Accepted, AllRejected, Error, Ok};
    let ds = ctx.dataset_id.as_str();
    let mb = 1024 * 1024;
    let big = "x".repeat(mb);
    let sim = |body: Value| j(body);
    vec![
        // ---- ingest: the body as a whole ----
        case("ingest: broken JSON", "POST", INGEST, r#"{"events": ["#, Error(400, "invalid JSON")),
        case("ingest: empty body", "POST", INGEST, "", Error(400, "invalid JSON")),
        case("ingest: whitespace only", "POST", INGEST, " \n\t ", Error(400, "invalid JSON")),
        case("ingest: JSON null", "POST", INGEST, "null", Error(422, "events")),
        case("ingest: a number", "POST", INGEST, "42", Error(422, "events")),
        case("ingest: events is an object", "POST", INGEST, r#"{"events": {}}"#, Error(422, "array")),
        case("ingest: events is a string", "POST", INGEST, r#"{"events": "all of them"}"#, Error(422, "array")),
        case("ingest: no events key", "POST", INGEST, r#"{"project": null}"#, Error(422, "events")),
        case("ingest: another project's name", "POST", INGEST, j(json!({"project": "someone-else", "events": []})), Error(403, "someone-else")),
        case("ingest: trailing garbage after the JSON", "POST", INGEST, r#"{"events": []} {"events": []}"#, Error(400, "invalid JSON")),
        case("ingest: cost 1e999 (JSON has no Infinity)", "POST", INGEST, event_with_raw("cost_usd", "1e999"), Error(400, "invalid JSON")),
        case("ingest: bare NaN token", "POST", INGEST, event_with_raw("cost_usd", "NaN"), Error(400, "invalid JSON")),
        case("ingest: bare Infinity token", "POST", INGEST, event_with_raw("cost_usd", "-Infinity"), Error(400, "invalid JSON")),
        case("ingest: 10,000 nested arrays in a payload", "POST", INGEST, event_with_raw("payload", &format!(r#"{{"x":{}}}"#, nested_arrays(10_000))), Error(400, "recursion limit")),
        case("ingest: 100,000 nested arrays as the body", "POST", INGEST, nested_arrays(100_000), Error(400, "recursion limit")),
        case("ingest: 10,000 nested objects", "POST", INGEST, event_with_raw("extra_field", &nested_objects(10_000)), Error(400, "recursion limit")),
        case("ingest: invalid UTF-8 inside a string", "POST", INGEST, b"{\"events\":[{\"name\":\"\xff\xfe\"}]}".to_vec(), Error(400, "invalid JSON")),
        case("ingest: invalid UTF-8 outside strings", "POST", INGEST, b"\xef\xbb\xbf\xff{\"events\":[]}".to_vec(), Error(400, "invalid JSON")),
        case("ingest: lone UTF-16 surrogate escape", "POST", INGEST, event_with_raw("model", r#""\ud800""#), Error(400, "invalid JSON")),
        case("ingest: gzip bomb (64 MB of spaces)", "POST", INGEST, gzip(&vec![b' '; 64 * mb]), Error(413, "decompressed")).encoding("gzip"),
        case("ingest: truncated gzip", "POST", INGEST, { let g = gzip(&j(json!({"events": []}))); g[..g.len() / 2].to_vec() }, Error(400, "gzip")).encoding("gzip"),
        case("ingest: gzip header on plain JSON", "POST", INGEST, j(json!({"events": []})), Error(400, "gzip")).encoding("gzip"),
        case("ingest: stacked encodings", "POST", INGEST, gzip(&gzip(b"{}")), Error(415, "not supported")).encoding("gzip, gzip"),
        case("ingest: brotli", "POST", INGEST, "{}", Error(415, "not supported")).encoding("br"),
        case("ingest: body over the 8 MB limit", "POST", INGEST, format!(r#"{{"events": [], "pad": "{}"}}"#, "x".repeat(9 * mb)), Error(413, "")),
        case("ingest: 5,001 events", "POST", INGEST, j(json!({"events": vec![json!({}); 5_001]})), Error(413, "at most")),
        case("ingest: wrong content type, not JSON", "POST", INGEST, "hello=world", Error(400, "invalid JSON")).content_type(Some("application/x-www-form-urlencoded")),
        case("ingest: no API key", "POST", INGEST, j(json!({"events": []})), Error(401, "missing API key")).auth(Auth::None),
        case("ingest: Basic auth", "POST", INGEST, j(json!({"events": []})), Error(401, "Bearer")).auth(Auth::Header(b"Basic dXNlcjpwYXNz")),
        case("ingest: non-ASCII Authorization bytes", "POST", INGEST, j(json!({"events": []})), Error(401, "Bearer")).auth(Auth::Header(b"Bearer jj_\xff\xfe")),
        case("ingest: 1 MB bearer key", "POST", INGEST, j(json!({"events": []})), Error(401, "unknown")).auth(Auth::Header(Box::leak(format!("Bearer jj_{big}").into_bytes().into_boxed_slice()))),
        case("ingest: Bearer with an empty key", "POST", INGEST, j(json!({"events": []})), Error(401, "Bearer")).auth(Auth::Header(b"Bearer    ")),
        // ---- ingest: per-event errors (a 200 rejecting each by index) ----
        case("ingest: events that are not objects", "POST", INGEST, r#"{"events": [1, "x", null, [], true]}"#, AllRejected(5, "expected an object")),
        case("ingest: a bare array of junk", "POST", INGEST, r#"[{}, {"trace_id": 1}]"#, AllRejected(2, "trace_id")),
        case("ingest: unknown kind", "POST", INGEST, one_event(json!({"kind": "teleport"})), AllRejected(1, "unknown kind")),
        case("ingest: kind of the wrong type", "POST", INGEST, one_event(json!({"kind": ["tool_call"]})), AllRejected(1, "kind: expected a string")),
        case("ingest: type is not span", "POST", INGEST, one_event(json!({"type": "metric"})), AllRejected(1, "type")),
        case("ingest: empty span id", "POST", INGEST, one_event(json!({"span_id": ""})), AllRejected(1, "span_id: must not be empty")),
        case("ingest: cost as a string", "POST", INGEST, one_event(json!({"cost_usd": "0.5"})), AllRejected(1, "cost_usd: expected a number")),
        case("ingest: cost as the string NaN", "POST", INGEST, one_event(json!({"cost_usd": "NaN"})), AllRejected(1, "cost_usd")),
        case("ingest: negative cost", "POST", INGEST, one_event(json!({"cost_usd": -0.5})), AllRejected(1, "cost_usd: must not be negative")),
        case("ingest: negative duration", "POST", INGEST, one_event(json!({"duration_ms": -1})), AllRejected(1, "duration_ms")),
        case("ingest: fractional sequence", "POST", INGEST, one_event(json!({"sequence": 1.5})), AllRejected(1, "sequence: expected an integer")),
        case("ingest: token count past i64", "POST", INGEST, event_with_raw("input_tokens", "18446744073709551616"), AllRejected(1, "input_tokens")),
        case("ingest: duration 1e30 ms", "POST", INGEST, one_event(json!({"duration_ms": 1e30})), AllRejected(1, "duration_ms: must be at most 1e12")),
        case("ingest: cost 1.7e308", "POST", INGEST, one_event(json!({"cost_usd": 1.7e308})), AllRejected(1, "cost_usd: must be at most 1e9")),
        case("ingest: negative token count", "POST", INGEST, one_event(json!({"output_tokens": -1})), AllRejected(1, "output_tokens: must not be negative")),
        case("ingest: token count past the ceiling", "POST", INGEST, one_event(json!({"input_tokens": 9_000_000_000_000_000_000_i64})), AllRejected(1, "input_tokens: must be at most")),
        case("ingest: sequence past the ceiling", "POST", INGEST, one_event(json!({"sequence": i64::MIN})), AllRejected(1, "sequence: must be at least")),
        case("ingest: timestamp garbage", "POST", INGEST, one_event(json!({"timestamp": "yesterday at noon"})), AllRejected(1, "timestamp")),
        case("ingest: timestamp out of range", "POST", INGEST, one_event(json!({"timestamp": "999999-01-01T00:00:00Z"})), AllRejected(1, "timestamp")),
        case("ingest: payload is an array", "POST", INGEST, one_event(json!({"payload": [1, 2]})), AllRejected(1, "payload: expected an object")),
        case("ingest: policy_decisions is a string", "POST", INGEST, one_event(json!({"policy_decisions": "block"})), AllRejected(1, "policy_decisions")),
        case("ingest: 1 MB name", "POST", INGEST, one_event(json!({"name": big})), AllRejected(1, "name: longer than")),
        case("ingest: agent name of 1,024 four-byte characters", "POST", INGEST, one_event(json!({"agent_name": (0..1024u32).filter_map(|i| char::from_u32(0x1F300 + i)).collect::<String>()})), AllRejected(1, "agent_name")),
        case("ingest: 1 MB trace id", "POST", INGEST, one_event(json!({"trace_id": big})), AllRejected(1, "trace_id: longer than")),
        case("ingest: NUL in a name", "POST", INGEST, one_event(json!({"name": "pay\u{0}ments"})), Accepted(1)),
        case("ingest: NUL in the trace id", "POST", INGEST, one_event(json!({"trace_id": "\u{0}"})), Accepted(1)),
        case("ingest: NUL deep in the payload", "POST", INGEST, one_event(json!({"payload": {"args": [{"q": "a\u{0}b"}]}})), Accepted(1)),
        case("ingest: NUL in an unknown field's name", "POST", INGEST, one_event(json!({"x\u{0}y": 1})), Accepted(1)),
        // ---- simulate over a dataset or trace ids ----
        case("simulate: broken JSON", "POST", SIM_BATCH, r#"{"draft": "#, Error(400, "")),
        case("simulate: empty body", "POST", SIM_BATCH, "", Error(400, "")),
        case("simulate: text/plain", "POST", SIM_BATCH, sim(json!({"draft": draft(), "dataset_id": ds})), Error(415, "Content-Type")).content_type(Some("text/plain")),
        case("simulate: no content type", "POST", SIM_BATCH, sim(json!({"draft": draft(), "dataset_id": ds})), Error(415, "Content-Type")).content_type(None),
        case("simulate: no draft", "POST", SIM_BATCH, sim(json!({"dataset_id": ds})), Error(422, "draft")),
        case("simulate: draft is a number", "POST", SIM_BATCH, sim(json!({"draft": 42, "dataset_id": ds})), Error(422, "expected a rule")),
        case("simulate: unknown draft kind", "POST", SIM_BATCH, sim(json!({"draft": {"kind": "deny", "pattern": "x"}, "dataset_id": ds})), Error(422, "unknown kind")),
        case("simulate: negative cost", "POST", SIM_BATCH, sim(json!({"draft": {"kind": "block", "pattern": "x", "cost_max_usd": -0.5}, "dataset_id": ds})), Error(422, "cost_max_usd")),
        case("simulate: cost as a string", "POST", SIM_BATCH, sim(json!({"draft": {"kind": "block", "pattern": "x", "cost_max_usd": "cheap"}, "dataset_id": ds})), Error(422, "cost_max_usd")),
        case("simulate: cost 1e999", "POST", SIM_BATCH, format!(r#"{{"draft": {{"kind": "block", "pattern": "x", "cost_max_usd": 1e999}}, "dataset_id": "{ds}"}}"#), Error(400, "")),
        case("simulate: unknown top-level field", "POST", SIM_BATCH, sim(json!({"draft": draft(), "dataset_id": ds, "sudo": true})), Error(422, "sudo")),
        case("simulate: neither dataset nor traces", "POST", SIM_BATCH, sim(json!({"draft": draft()})), Error(422, "dataset_id or trace_ids")),
        case("simulate: both dataset and traces", "POST", SIM_BATCH, sim(json!({"draft": draft(), "dataset_id": ds, "trace_ids": ["a"]})), Error(422, "not both")),
        case("simulate: trace_ids is a string", "POST", SIM_BATCH, sim(json!({"draft": draft(), "trace_ids": "seed-trace"})), Error(422, "trace_ids")),
        case("simulate: 10,001 trace ids", "POST", SIM_BATCH, sim(json!({"draft": draft(), "trace_ids": (0..10_001).map(|i| format!("t{i}")).collect::<Vec<_>>()})), Error(422, "at most")),
        case("simulate: unknown dataset", "POST", SIM_BATCH, sim(json!({"draft": draft(), "dataset_id": "ds_does_not_exist"})), Error(404, "")),
        case("simulate: NUL in the dataset id", "POST", SIM_BATCH, sim(json!({"draft": draft(), "dataset_id": "ds\u{0}"})), Error(404, "")),
        case("simulate: NUL in a trace id", "POST", SIM_BATCH, sim(json!({"draft": draft(), "trace_ids": ["\u{0}"]})), Ok),
        case("simulate: NUL in a draft pattern", "POST", SIM_BATCH, sim(json!({"draft": {"kind": "block", "pattern": "pay\u{0}*"}, "dataset_id": ds})), Ok),
        case("simulate: unknown baseline", "POST", SIM_BATCH, sim(json!({"draft": draft(), "dataset_id": ds, "baseline": "yesterday"})), Error(422, "baseline")),
        case("simulate: 10,000 nested arrays as the draft", "POST", SIM_BATCH, format!(r#"{{"draft": {}, "dataset_id": "{ds}"}}"#, nested_arrays(10_000)), Error(400, "recursion limit")),
        case("simulate: 1,001-character pattern", "POST", SIM_BATCH, sim(json!({"draft": {"kind": "block", "pattern": "a".repeat(1_001)}, "dataset_id": ds})), Error(422, "limit is 1000")),
        case("simulate: 10,001 rules", "POST", SIM_BATCH, sim(json!({"draft": {"rules": rules_of(10_001, |i| format!("t{i}"))}, "dataset_id": ds})), Error(422, "limit is 10000")),
        case("simulate: patterns over the total size cap", "POST", SIM_BATCH, sim(json!({"draft": {"rules": rules_of(300, |i| format!("{i}{}", "a".repeat(990)))}, "dataset_id": ds})), Error(422, "limit is 250000")),
        case("simulate: one *a*a*a... pattern of 999 characters", "POST", SIM_BATCH, sim(json!({"draft": {"kind": "block", "pattern": star_pattern(999, 'b')}, "dataset_id": ds})), Ok),
        case("simulate: 10,000 *a*a* rules", "POST", SIM_BATCH, sim(json!({"draft": {"rules": rules_of(10_000, |i| format!("{}{i}", star_pattern(19, 'b')))}, "dataset_id": ds})), Error(422, "too large or complex")),
        case("simulate: a class of 998 characters", "POST", SIM_BATCH, sim(json!({"draft": {"kind": "block", "pattern": format!("[{}]", (0..998u32).filter_map(|i| char::from_u32(0x4e00 + i)).collect::<String>())}, "trace_ids": ["seed-trace"]})), Ok),
        case("simulate: a range over all of Unicode", "POST", SIM_BATCH, sim(json!({"draft": {"kind": "block", "pattern": "[!\u{1}-\u{10FFFF}]*[\u{80}-\u{10FFFF}]"}, "trace_ids": ["seed-trace"]})), Ok),
        // ---- simulate over a time window ----
        case("window: broken JSON", "POST", SIM_WINDOW, "{", Error(400, "")),
        case("window: since is garbage", "POST", SIM_WINDOW, sim(json!({"draft": draft(), "since": "last tuesday"})), Error(422, "since")),
        case("window: until is a number", "POST", SIM_WINDOW, sim(json!({"draft": draft(), "until": 5})), Error(422, "until")),
        case("window: a dataset id", "POST", SIM_WINDOW, sim(json!({"draft": draft(), "dataset_id": ds})), Error(422, "batch")),
        case("window: draft is a list of junk", "POST", SIM_WINDOW, sim(json!({"draft": [1, "two", null]})), Error(422, "draft")),
        case("window: NUL in since", "POST", SIM_WINDOW, sim(json!({"draft": draft(), "since": "2026\u{0}"})), Error(422, "since")),
        case("window: no API key", "POST", SIM_WINDOW, sim(json!({"draft": draft()})), Error(401, "")).auth(Auth::None),
        // ---- datasets ----
        case("datasets: broken JSON", "POST", "/v1/datasets", "{\"name\":", Error(400, "")),
        case("datasets: name is a number", "POST", "/v1/datasets", j(json!({"name": 7})), Error(422, "name")),
        case("datasets: blank name", "POST", "/v1/datasets", j(json!({"name": "   "})), Error(422, "must not be empty")),
        case("datasets: 1 MB name", "POST", "/v1/datasets", j(json!({"name": big})), Error(422, "longer than")),
        case("datasets: unknown field", "POST", "/v1/datasets", j(json!({"name": "n", "owner": "root"})), Error(422, "owner")),
        case("datasets: rename with a NUL", "PATCH", format!("/v1/datasets/{ds}"), j(json!({"name": "a\u{0}b"})), Ok),
        case("datasets: form content type", "POST", "/v1/datasets", "name=x", Error(415, "Content-Type")).content_type(Some("application/x-www-form-urlencoded")),
        case("datasets: items is not a list", "POST", format!("/v1/datasets/{ds}/items"), j(json!({"trace_ids": "seed-trace"})), Error(422, "trace_ids")),
        case("datasets: no items", "POST", format!("/v1/datasets/{ds}/items"), j(json!({"trace_ids": []})), Error(422, "must not be empty")),
        case("datasets: 10,001 items", "POST", format!("/v1/datasets/{ds}/items"), j(json!({"trace_ids": (0..10_001).map(|i| format!("t{i}")).collect::<Vec<_>>()})), Error(422, "at most")),
        case("datasets: items are numbers", "POST", format!("/v1/datasets/{ds}/items"), j(json!({"trace_ids": [1, 2]})), Error(422, "trace_ids")),
        case("datasets: NUL in an item", "POST", format!("/v1/datasets/{ds}/items"), j(json!({"trace_ids": ["\u{0}"]})), Ok),
        case("datasets: items of an unknown dataset", "POST", "/v1/datasets/ds_nope/items", j(json!({"trace_ids": ["seed-trace"]})), Error(404, "")),
        case("datasets: rename to blank", "PATCH", format!("/v1/datasets/{ds}"), j(json!({"name": ""})), Error(422, "name")),
        get("datasets: NUL in the path", "/v1/datasets/%00", Error(404, "")),
        get("datasets: 60 KB id in the path", format!("/v1/datasets/{}", "d".repeat(60_000)), Error(404, "")),
        case("datasets: unpin NUL", "DELETE", format!("/v1/datasets/{ds}/items/%00"), "", Error(404, "not pinned")).content_type(None),
        // ---- the active rule set ----
        case("policies: broken JSON", "PUT", POLICIES, "{\"rules\": [", Error(400, "")),
        case("policies: rules is a string", "PUT", POLICIES, j(json!({"rules": "block everything"})), Error(422, "rules")),
        case("policies: unknown action", "PUT", POLICIES, j(json!({"rules": [{"match": "x", "action": "deny"}]})), Error(422, "unknown action")),
        case("policies: unknown precedence", "PUT", POLICIES, j(json!({"precedence": "random", "rules": []})), Error(422, "precedence")),
        case("policies: negative cost", "PUT", POLICIES, j(json!({"rules": [{"match": "x", "action": "block", "cost_max_usd": -0.5}]})), Error(422, "cost_max_usd")),
        case("policies: cost 1e999", "PUT", POLICIES, r#"{"rules": [{"match": "x", "action": "block", "cost_max_usd": 1e999}]}"#, Error(400, "")),
        case("policies: cost as a string", "PUT", POLICIES, j(json!({"rules": [{"match": "x", "action": "block", "cost_max_usd": "1"}]})), Error(422, "cost_max_usd")),
        case("policies: 10,000 *a*a* rules", "PUT", POLICIES, j(json!({"rules": rules_of(10_000, |i| format!("{}{i}", star_pattern(19, 'b')))})), Error(422, "too large or complex")),
        case("policies: 10,001 rules", "PUT", POLICIES, j(json!({"rules": rules_of(10_001, |i| format!("t{i}"))})), Error(422, "limit is 10000")),
        case("policies: 1,001-character pattern", "PUT", POLICIES, j(json!({"rules": rules_of(1, |_| "b".repeat(1_001))})), Error(422, "limit is 1000")),
        case("policies: 1 MB agent pattern", "PUT", POLICIES, j(json!({"rules": [{"match": "x", "action": "block", "agent_pattern": big}]})), Error(422, "agent_pattern")),
        case("policies: 1 MB message", "PUT", POLICIES, j(json!({"rules": [], "message": big})), Error(422, "message")),
        case("policies: 10,000 nested arrays", "PUT", POLICIES, format!(r#"{{"rules": {}}}"#, nested_arrays(10_000)), Error(400, "recursion limit")),
        case("policies: unknown field", "PUT", POLICIES, j(json!({"rules": [], "owner": "me"})), Error(422, "owner")),
        case("policies: wrong method", "DELETE", POLICIES, "", Error(405, "method")).content_type(None),
        case("rules: no rule", "POST", "/v1/policies/rules", j(json!({"position": 0})), Error(422, "rule")),
        case("rules: unknown action", "POST", "/v1/policies/rules", j(json!({"rule": {"pattern": "x", "action": "nuke"}})), Error(422, "unknown action")),
        case("rules: negative position", "POST", "/v1/policies/rules", j(json!({"rule": {"pattern": "x", "action": "block"}, "position": -1})), Error(422, "position")),
        case("rules: position past the end", "POST", "/v1/policies/rules", j(json!({"rule": {"pattern": "x", "action": "block"}, "position": 1_000_000})), Error(422, "position")),
        case("rules: position is a string", "POST", "/v1/policies/rules", j(json!({"rule": {"pattern": "x", "action": "block"}, "position": "first"})), Error(422, "position")),
        case("rules: index is not a number", "PUT", "/v1/policies/rules/abc", j(json!({"rule": {"pattern": "x", "action": "block"}})), Error(400, "abc")),
        case("rules: negative index", "DELETE", "/v1/policies/rules/-1", "", Error(400, "-1")).content_type(None),
        case("rules: index past u64", "PUT", "/v1/policies/rules/99999999999999999999999", j(json!({"rule": {"pattern": "x", "action": "block"}})), Error(400, "")),
        case("rules: index past the end", "PUT", "/v1/policies/rules/999", j(json!({"rule": {"pattern": "x", "action": "block"}})), Error(404, "no rule at index 999")),
        case("rules: delete past the end", "DELETE", "/v1/policies/rules/18446744073709551615", "", Error(404, "no rule")).content_type(None),
        case("order: duplicates", "POST", "/v1/policies/order", j(json!({"order": [0, 0]})), Error(422, "exactly once")),
        case("order: out of range", "POST", "/v1/policies/order", j(json!({"order": [7]})), Error(422, "exactly once")),
        case("order: index 1e20", "POST", "/v1/policies/order", r#"{"order": [100000000000000000000]}"#, Error(422, "order")),
        case("order: not a list", "POST", "/v1/policies/order", j(json!({"order": "reverse"})), Error(422, "order")),
        get("versions: not a number", "/v1/policies/versions/latest", Error(400, "latest")),
        get("versions: unknown", "/v1/policies/versions/9223372036854775807", Error(404, "")),
        case("versions: restore garbage", "POST", "/v1/policies/versions/x/restore", "", Error(400, "")).content_type(None),
        // ---- one-off evaluation ----
        case("evaluate: no tool", "POST", EVALUATE, j(json!({"agent": "a"})), Error(422, "tool")),
        case("evaluate: tool is a number", "POST", EVALUATE, j(json!({"tool": 5})), Error(422, "tool")),
        case("evaluate: negative cost", "POST", EVALUATE, j(json!({"tool": "x", "cost_usd": -0.5})), Error(422, "cost_usd")),
        case("evaluate: cost 1e999", "POST", EVALUATE, r#"{"tool": "x", "cost_usd": 1e999}"#, Error(400, "")),
        case("evaluate: cost as a string", "POST", EVALUATE, j(json!({"tool": "x", "cost_usd": "NaN"})), Error(422, "cost_usd")),
        case("evaluate: 1 MB tool name", "POST", EVALUATE, j(json!({"tool": big})), Error(422, "tool")),
        case("evaluate: 1 MB agent name", "POST", EVALUATE, j(json!({"tool": "x", "agent": big})), Error(422, "agent")),
        case("evaluate: NUL in the tool", "POST", EVALUATE, j(json!({"tool": "\u{0}"})), Ok),
        case("evaluate: unknown field", "POST", EVALUATE, j(json!({"tool": "x", "admin": true})), Error(422, "admin")),
        case("evaluate: 10,000 nested objects", "POST", EVALUATE, format!(r#"{{"tool": "x", "agent": {}}}"#, nested_objects(10_000)), Error(422, "invalid type")),
        // ---- query strings ----
        get("query: limit is not a number", "/v1/traces?limit=abc", Error(400, "limit")),
        get("query: negative limit", "/v1/traces?limit=-1", Error(400, "limit")),
        get("query: limit past u32", "/v1/traces?limit=99999999999", Error(400, "limit")),
        get("query: limit 0", "/v1/traces?limit=0", Error(422, "limit")),
        get("query: unknown parameter", "/v1/traces?drop=table", Error(400, "drop")),
        get("query: empty keys", "/v1/traces?=&=&=", Error(400, "")),
        get("query: a parameter twice", "/v1/traces?limit=1&limit=2", Error(400, "limit")),
        get("query: since is garbage", "/v1/traces?since=%27%20OR%201%3D1", Error(422, "since")),
        get("query: unknown verdict", "/v1/traces?verdict=maybe", Error(422, "verdict")),
        get("query: forged cursor", "/v1/traces?cursor=zz", Error(422, "cursor")),
        get("query: cursor of the wrong shape", "/v1/traces?cursor=5b315d", Error(422, "cursor")),
        get("query: NUL in a filter", "/v1/traces?agent=%00", Ok),
        get("query: invalid UTF-8", "/v1/traces?tool=%ff%fe", Error(400, "UTF-8")),
        get("query: threads limit garbage", "/v1/threads?limit=%F0%9F%92%A9", Error(400, "limit")),
        get("query: audit verdict garbage", "/v1/audit?verdict=", Error(422, "verdict")),
        get("query: approvals status garbage", "/v1/approvals?status=all", Error(422, "status")),
        get("query: NUL in a trace id path", "/v1/traces/%00", Ok),
        get("path: unknown endpoint with dot segments", "/v1/../../etc/passwd", Error(404, "")),
        get("path: invalid UTF-8 in a path id", "/v1/traces/%ff", Error(400, "UTF-8")),
    ]
}

struct Harness {
    app: Router,
    store: Arc<dyn store::Store>,
    key: String,
}

impl Harness {
    async fn new(url: String) -> Harness {
        let store = support::open_store(&url).await;
        let app = support::api_router(store.clone());
        let (_, key) = support::project_with_key(store.as_ref(), "hostile").await;
        Harness { app, store, key }
    }

    async fn send(&self, case: &Case) -> (StatusCode, Vec<u8>) {
        let mut builder = Request::builder()
            .method(case.method)
            .uri(case.uri.as_str());
        match case.auth {
            Auth::Key => builder = builder.header("authorization", format!("Bearer {}", self.key)),
            Auth::None => {}
            Auth::Header(bytes) => {
                builder = builder.header(
                    "authorization",
                    axum::http::HeaderValue::from_bytes(bytes).unwrap(),
                )
            }
        }
        if let Some(ct) = case.content_type {
            builder = builder.header("content-type", ct);
        }
        if let Some(e) = case.content_encoding {
            builder = builder.header("content-encoding", e);
        }
        let request = builder.body(Body::from(case.body.clone())).unwrap();
        let answer = support::send(&self.app, request).await;
        (answer.status, answer.bytes)
    }

    async fn json(&self, method: &'static str, uri: &str, body: Option<Value>) -> (u16, Value) {
        let c = case("", method, uri, body.map(j).unwrap_or_default(), Expect::Ok);
        let c = if c.body.is_empty() {
            c.content_type(None)
        } else {
            c
        };
        let (status, bytes) = self.send(&c).await;
        (
            status.as_u16(),
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

/// The code the error body must carry for a status.
fn code_for(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "invalid",
        _ => "?",
    }
}

/// Checks one answer; `Err` says what is wrong.
fn check(expect: &Expect, status: StatusCode, bytes: &[u8]) -> Result<(), String> {
    let status = status.as_u16();
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).to_string();
    if status >= 500 {
        return Err(format!("server error {status}: {text}"));
    }
    let body: Value = serde_json::from_slice(bytes)
        .map_err(|_| format!("{status} with a non-JSON body: {text:?}"))?;
    match expect {
        Expect::Error(want, contains) => {
            if status != *want {
                return Err(format!("expected {want}, got {status}: {text}"));
            }
            let code = body["error"]["code"].as_str().unwrap_or_default();
            let message = body["error"]["message"].as_str().unwrap_or_default();
            if code != code_for(status) {
                return Err(format!("error code {code:?} for {status}: {text}"));
            }
            if message.trim().is_empty() {
                return Err(format!("empty error message: {text}"));
            }
            let field = body["error"]["field"].as_str().unwrap_or_default();
            if !message.contains(contains) && !field.contains(contains) {
                return Err(format!(
                    "neither message {message:?} nor field {field:?} mentions {contains:?}"
                ));
            }
        }
        Expect::AllRejected(n, contains) => {
            if status != 200 {
                return Err(format!(
                    "expected 200 with rejections, got {status}: {text}"
                ));
            }
            if body["accepted"] != 0 {
                return Err(format!("accepted something: {text}"));
            }
            let rejected = body["rejected"].as_array().cloned().unwrap_or_default();
            let indices: Vec<u64> = rejected
                .iter()
                .filter_map(|r| r["index"].as_u64())
                .collect();
            if indices != (0..*n as u64).collect::<Vec<_>>() {
                return Err(format!("expected indices 0..{n} rejected: {text}"));
            }
            for r in &rejected {
                let error = r["error"].as_str().unwrap_or_default();
                if !error.contains(contains) {
                    return Err(format!("rejection {error:?} does not mention {contains:?}"));
                }
            }
        }
        Expect::Accepted(n) => {
            if status != 200 || body["accepted"] != *n || body["rejected"] != json!([]) {
                return Err(format!("expected all {n} accepted, got {status}: {text}"));
            }
        }
        Expect::Ok => {
            if status != 200 {
                return Err(format!("expected 200, got {status}: {text}"));
            }
        }
    }
    Ok(())
}

async fn barrage(h: Harness) {
    // Something to point at: a trace, a dataset pinning it, a one-rule policy.
    let (status, body) = h
        .json(
            "POST",
            INGEST,
            Some(json!({"events": [span("seed-trace", "s1", json!({}))]})),
        )
        .await;
    assert_eq!(
        (status, body["accepted"].clone()),
        (200, json!(1)),
        "{body}"
    );
    let (status, dataset) = h
        .json("POST", "/v1/datasets", Some(json!({"name": "seed"})))
        .await;
    assert_eq!(status, 201, "{dataset}");
    let dataset_id = dataset["id"].as_str().unwrap().to_string();
    let (status, _) = h
        .json(
            "POST",
            &format!("/v1/datasets/{dataset_id}/items"),
            Some(json!({"trace_ids": ["seed-trace"]})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, policy) = h
        .json(
            "PUT",
            POLICIES,
            Some(json!({"rules": [{"match": "payments.*", "action": "block"}]})),
        )
        .await;
    assert_eq!(status, 200, "{policy}");

    let cases = cases(&Ctx { dataset_id });
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let started = Instant::now();
        let answer = tokio::time::timeout(CASE_TIME_LIMIT, h.send(case)).await;
        let outcome = match answer {
            Err(_) => Err(format!("no answer within {CASE_TIME_LIMIT:?}")),
            Ok((status, bytes)) => check(&case.expect, status, &bytes),
        };
        if let Err(why) = outcome {
            failures.push(format!(
                "{} {} [{}] ({} ms): {why}",
                case.method,
                &case.uri[..case.uri.len().min(80)],
                case.name,
                started.elapsed().as_millis()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // Still healthy: a normal batch goes in and comes back out, exactly once.
    let (status, body) = h
        .json(
            "POST",
            INGEST,
            Some(json!({"events": [
                span("after-trace", "a1", json!({"cost_usd": 0.01})),
                span("after-trace", "a2", json!({"kind": "llm_call", "name": "openai.gpt-4o-mini"})),
            ]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    let (status, trace) = h.json("GET", "/v1/traces/after-trace", None).await;
    assert_eq!(status, 200, "{trace}");
    assert_eq!(trace["events"].as_array().unwrap().len(), 2);
    // Nothing a rejected case sent was stored: only the seed, the accepted hostile
    // events (NUL characters) and the final traces.
    let (status, traces) = h.json("GET", "/v1/traces", None).await;
    assert_eq!(status, 200);
    let mut ids: Vec<&str> = traces["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trace_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    // (NUL is stored as U+FFFD by both backends.)
    assert_eq!(
        ids,
        ["after-trace", "hostile-trace", "seed-trace", "\u{FFFD}"],
        "{traces}"
    );
    // The active set is still the seed policy (every hostile change was refused).
    let (status, active) = h.json("GET", POLICIES, None).await;
    assert_eq!(status, 200, "{active}");
    assert_eq!(active["version"], 1, "{active}");
    let (status, verdict) = h
        .json("POST", EVALUATE, Some(json!({"tool": "payments.refund"})))
        .await;
    assert_eq!(
        (status, verdict["verdict"].as_str()),
        (200, Some("blocked"))
    );
    let (status, datasets) = h.json("GET", "/v1/datasets", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        datasets["datasets"].as_array().unwrap().len(),
        1,
        "{datasets}"
    );
    drop(h.store);
}

/// A span sent twice in one batch is stored once, as its later copy.
async fn duplicate_span_ids_in_one_batch(h: Harness) {
    let (status, body) = h
        .json(
            "POST",
            INGEST,
            Some(json!({"events": [
                span("dup", "same", json!({"name": "first"})),
                span("dup", "same", json!({"name": "second"})),
                span("dup", "same", json!({"name": "third", "status": "error"})),
            ]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rejected"], json!([]), "{body}");
    let (_, trace) = h.json("GET", "/v1/traces/dup", None).await;
    let events = trace["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{trace}");
    assert_eq!(events[0]["name"], "third");
    assert_eq!(events[0]["verdict"], "errored");
}

/// Racing editors: eight concurrent rule inserts all land, as eight versions (an edit
/// used to overwrite one saved between its read and its write).
async fn concurrent_rule_edits_are_all_kept(h: Harness) {
    let h = Arc::new(h);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let h = h.clone();
            tokio::spawn(async move {
                let rule = json!({"rule": {"pattern": format!("tool{i}.*"), "action": "block"}});
                h.json("POST", "/v1/policies/rules", Some(rule)).await
            })
        })
        .collect();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let (_, active) = h.json("GET", POLICIES, None).await;
    assert_eq!(active["version"], 8, "{active}");
    let mut patterns: Vec<&str> = active["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pattern"].as_str().unwrap())
        .collect();
    patterns.sort_unstable();
    let expected: Vec<String> = (0..8).map(|i| format!("tool{i}.*")).collect();
    assert_eq!(patterns, expected);
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Harness::new(store::testing::fresh_sqlite_url()).await).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Harness::new(store::testing::fresh_postgres_url().await).await).await; })*
        }
    };
}

on_both_backends!(
    barrage,
    duplicate_span_ids_in_one_batch,
    concurrent_rule_edits_are_all_kept,
);

// ---- The dashboard's doors: `POST /signin` and the server functions ----

/// One hostile request to the dashboard and the statuses it may get.
struct DashboardCase {
    name: String,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    /// With the admin's session cookie.
    signed_in: bool,
    want: Want,
}

/// What a hostile dashboard request may get.
#[derive(Clone, Debug)]
enum Want {
    /// One of these statuses (all below 500).
    Status(std::ops::RangeInclusive<u16>),
    /// A 4xx; or, from a server function that needs nothing from the body (it answers
    /// a call without arguments with a 2xx), that 2xx: the garbage is ignored.
    Refused,
}

const FORM: &str = "application/x-www-form-urlencoded";

fn signin_cases() -> Vec<DashboardCase> {
    let mb = "a".repeat(1 << 20);
    let near_limit = format!("{}@example.com", "a".repeat(15 * 1024));
    let mut cases = Vec::new();
    let mut add = |name: &str, content_type: Option<&'static str>, body: Vec<u8>, allowed| {
        cases.push(DashboardCase {
            name: format!("signin: {name}"),
            path: "/signin".to_string(),
            content_type,
            body,
            signed_in: false,
            want: allowed,
        })
    };
    let form = |s: String| s.into_bytes();
    add(
        "1 MB email",
        Some(FORM),
        form(format!("email={mb}&password=x")),
        Want::Status(413..=413),
    );
    add(
        "1 MB password",
        Some(FORM),
        form(format!("email=a%40b.c&password={mb}")),
        Want::Status(413..=413),
    );
    add(
        "32 MB body",
        Some(FORM),
        vec![b'a'; 32 << 20],
        Want::Status(413..=413),
    );
    add(
        "15 KB email",
        Some(FORM),
        form(format!("email={near_limit}&password=x")),
        Want::Status(400..=499),
    );
    add(
        "15 KB password",
        Some(FORM),
        form(format!("email=a%40b.c&password={}", "p".repeat(15 * 1024))),
        Want::Status(400..=499),
    );
    add("no fields", Some(FORM), Vec::new(), Want::Status(400..=499));
    add(
        "no password",
        Some(FORM),
        form("email=a%40b.c".into()),
        Want::Status(400..=499),
    );
    add(
        "no email",
        Some(FORM),
        form("password=x".into()),
        Want::Status(400..=499),
    );
    add(
        "fields twice",
        Some(FORM),
        form("email=a%40b.c&email=c%40d.e&password=x&password=y".into()),
        Want::Status(400..=499),
    );
    add(
        "broken percent-encoding",
        Some(FORM),
        form("email=%ZZ%&password=%".into()),
        Want::Status(400..=499),
    );
    add(
        "invalid UTF-8, encoded",
        Some(FORM),
        form("email=%FF%FE%40b.c&password=%C0%80".into()),
        Want::Status(400..=499),
    );
    add(
        "invalid UTF-8, raw",
        Some(FORM),
        b"email=\xff\xfe@b.c&password=\xc0\x80".to_vec(),
        Want::Status(400..=499),
    );
    add(
        "NUL bytes",
        Some(FORM),
        form("email=a%00%40b.c&password=%00".into()),
        Want::Status(400..=499),
    );
    add(
        "control characters",
        Some(FORM),
        form("email=%0D%0ASet-Cookie%3A+x%3D1&password=x".into()),
        Want::Status(400..=499),
    );
    add(
        "JSON body",
        Some("application/json"),
        form(r#"{"email":"a@b.c","password":"x"}"#.into()),
        Want::Status(400..=499),
    );
    add(
        "no content type",
        None,
        form("email=a%40b.c&password=x".into()),
        Want::Status(400..=499),
    );
    add(
        "multipart",
        Some("multipart/form-data; boundary=x"),
        form("--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.c\r\n--x--".into()),
        Want::Status(400..=499),
    );
    add(
        "binary garbage",
        Some(FORM),
        (0..=255u8).cycle().take(4096).collect(),
        Want::Status(400..=499),
    );
    add(
        "next is 8 KB",
        Some(FORM),
        form(format!(
            "email=a%40b.c&password=x&next=/{}",
            "n".repeat(8192)
        )),
        Want::Status(400..=499),
    );
    cases
}

fn server_fn_cases() -> Vec<DashboardCase> {
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    paths.sort();
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<(&str, Option<&'static str>, Vec<u8>, Want)> = vec![
        (
            "broken JSON",
            Some("application/json"),
            b"{\"project\": ".to_vec(),
            Want::Refused,
        ),
        (
            "JSON of the wrong shape",
            Some("application/json"),
            b"[1, 2, 3]".to_vec(),
            Want::Refused,
        ),
        (
            "10,000 nested arrays",
            Some("application/json"),
            nested.into_bytes(),
            Want::Refused,
        ),
        (
            "invalid UTF-8 as JSON",
            Some("application/json"),
            b"{\"project\": \"\xff\xfe\"}".to_vec(),
            Want::Refused,
        ),
        (
            "invalid UTF-8 as a form",
            Some(FORM),
            b"project=\xff\xfe&id=%C0%80".to_vec(),
            Want::Refused,
        ),
        (
            "binary garbage",
            Some("application/octet-stream"),
            (0..=255u8).cycle().take(4096).collect(),
            Want::Refused,
        ),
        (
            "XML",
            Some("application/xml"),
            b"<project>x</project>".to_vec(),
            Want::Refused,
        ),
        (
            "no content type",
            None,
            b"project=x".to_vec(),
            Want::Refused,
        ),
        (
            "a form past 8 MiB",
            Some(FORM),
            format!("project={}", "a".repeat(8 << 20)).into_bytes(),
            Want::Status(413..=413),
        ),
        (
            "a JSON string past 8 MiB",
            Some("application/json"),
            format!("{{\"project\": \"{}\"}}", "a".repeat(8 << 20)).into_bytes(),
            Want::Status(413..=413),
        ),
    ];
    let mut cases = Vec::new();
    for path in &paths {
        for (name, content_type, body, allowed) in &bodies {
            cases.push(DashboardCase {
                name: format!("{path}: {name}"),
                path: path.clone(),
                content_type: *content_type,
                body: body.clone(),
                signed_in: true,
                want: allowed.clone(),
            });
        }
    }
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signin_and_server_functions_refuse_hostile_input_with_4xx() {
    let support::SignedIn {
        app,
        project,
        cookie,
        ..
    } = support::SignedIn::new(support::sqlite_store().await, "hostile").await;
    let post = |path: &str, content_type: Option<&str>, body: Vec<u8>, signed_in: bool| {
        let mut request = Request::post(path)
            .header("host", support::HOST)
            .header("origin", support::ORIGIN);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        if signed_in {
            request = request.header("cookie", &cookie);
        }
        request.body(Body::from(body)).unwrap()
    };
    // The server functions that need nothing from the body: a call without arguments
    // is answered 2xx.
    let mut takes_nothing = std::collections::BTreeSet::new();
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let answer = support::send(&app, post(path, Some(FORM), Vec::new(), true)).await;
        assert!(
            answer.status.as_u16() < 500,
            "{path} without arguments: {}",
            answer.body
        );
        if answer.status.is_success() {
            takes_nothing.insert(path.to_string());
        }
    }
    let cases: Vec<DashboardCase> = signin_cases()
        .into_iter()
        .chain(server_fn_cases())
        .collect();
    let mut failures = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for case in &cases {
        let request = post(
            &case.path,
            case.content_type,
            case.body.clone(),
            case.signed_in,
        );
        let answer = tokio::time::timeout(CASE_TIME_LIMIT, support::send(&app, request)).await;
        match answer {
            Err(_) => failures.push(format!(
                "{}: no answer within {CASE_TIME_LIMIT:?}",
                case.name
            )),
            Ok(answer) => {
                let status = answer.status.as_u16();
                *statuses.entry(status).or_default() += 1;
                let ok = match &case.want {
                    Want::Status(range) => range.contains(&status),
                    Want::Refused => {
                        (400..=499).contains(&status)
                            || (answer.status.is_success() && takes_nothing.contains(&case.path))
                    }
                };
                if !ok {
                    failures.push(format!(
                        "{}: {status} {}",
                        case.name,
                        &answer.body[..answer.body.len().min(200)]
                    ));
                }
            }
        }
    }
    eprintln!("{} cases, statuses: {statuses:?}", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} hostile dashboard cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Still serving: the session works and a page renders.
    let page = support::send(
        &app,
        Request::get(format!("/dashboard?project={}", project.id))
            .header("host", support::HOST)
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
}
