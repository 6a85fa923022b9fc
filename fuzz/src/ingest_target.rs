//! Fuzz target over the JamJet ingest decoder, `service::ingest::decode_event`:
//! arbitrary bytes as a request body, and arbitrary values spliced into an otherwise
//! valid span. Every event must be decoded into something the store can take, or
//! refused with a reason that names its field.
//!
//! Included by path into `server/tests/fuzz_corpus.rs`: it may use only `service`,
//! `policy` and `serde_json`, and reports a broken property by panicking.

use serde_json::{json, Value};
use service::ingest::{decode_event, parse_timestamp};

/// Fields a hostile value is spliced into, one at a time.
const FIELDS: &[&str] = &[
    "type",
    "trace_id",
    "span_id",
    "parent_span_id",
    "kind",
    "name",
    "sequence",
    "timestamp",
    "status",
    "duration_ms",
    "input_tokens",
    "cost_usd",
    "payload",
    "agent_name",
    "session_id",
    "policy_decisions",
    "policy_blocked_tool_calls",
    "approval_id",
    "unknown_extra",
];

fn template() -> Value {
    json!({
        "type": "span", "trace_id": "t", "span_id": "s", "kind": "tool_call",
        "name": "payments.refund", "timestamp": "2026-11-01T10:00:00Z", "status": "ok",
        "payload": {"tool": "payments.refund"},
    })
}

pub fn ingest(data: &[u8]) {
    match serde_json::from_slice::<Value>(data) {
        Ok(value) => {
            // As the handler sees a body: `{"events": [...]}` or a bare list.
            let events = match &value {
                Value::Array(events) => events.as_slice(),
                Value::Object(obj) => obj
                    .get("events")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice),
                _ => &[],
            };
            for event in events {
                check(event);
            }
            check(&value);
            for field in FIELDS {
                let mut event = template();
                event[*field] = value.clone();
                check(&event);
            }
        }
        Err(_) => {
            // Not JSON: the text as every string field of a valid span.
            let text = String::from_utf8_lossy(data);
            for field in FIELDS {
                let mut event = template();
                event[*field] = Value::String(text.to_string());
                check(&event);
            }
            let _ = parse_timestamp(&text);
        }
    }
}

fn check(value: &Value) {
    match decode_event(value) {
        Ok(e) => {
            for (field, text, max) in [
                ("trace_id", &e.trace_id, 256),
                ("span_id", &e.span_id, 256),
                ("name", &e.name, 1024),
                ("tool", &e.tool, 1024),
            ] {
                let n = text.chars().count();
                assert!(n > 0 && n <= max, "{field} of {n} characters accepted");
            }
            assert!(
                e.kind.parse::<policy::EventKind>().is_ok(),
                "kind {:?}",
                e.kind
            );
            for (field, number) in [("cost_usd", e.cost_usd), ("duration_ms", e.duration_ms)] {
                assert!(
                    number.is_none_or(|n| n.is_finite() && n >= 0.0),
                    "{field} {number:?} accepted"
                );
            }
            assert_eq!(parse_timestamp(&e.timestamp), Ok(e.ts_micros));
            assert!(e.payload.is_object(), "payload {}", e.payload);
            // Decoding is a function of its input, and what it makes serializes
            // (every read of the trace does that).
            assert_eq!(decode_event(value).as_ref(), Ok(&e));
            if let Err(err) = serde_json::to_string(&e) {
                panic!("decoded event does not serialize: {err}");
            }
        }
        Err(reason) => {
            // `field: what is wrong`.
            let field = reason.split(": ").next().unwrap_or_default();
            assert!(
                reason.len() > field.len() + 2 && !field.is_empty() && !field.contains(' '),
                "reason without a field: {reason:?}"
            );
        }
    }
}
