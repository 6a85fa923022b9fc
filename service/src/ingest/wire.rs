//! The JamJet SDK span wire format, decoded into `store::StoredEvent`s. Each event is
//! judged on its own: a bad one is reported by index with a reason and never costs
//! the good ones their place.
use policy::{EventKind, Verdict};
use serde_json::{Map, Value};
use store::StoredEvent;

/// Fields with a meaning of their own; anything else is kept in `payload.extra`.
const KNOWN: &[&str] = &[
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
    "model",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "payload",
    "agent_name",
    "agent_card_uri",
    "originating_trace_id",
    "originating_span_id",
    "originating_agent_name",
    "session_id",
    "environment",
    "release_version",
    "end_user_id",
    "end_user_email",
    "policy_decisions",
    "policy_blocked_tool_calls",
    "policy_blocked",
    "approval_id",
];

const MAX_ID: usize = 256;
const MAX_NAME: usize = 1024;
const MAX_TEXT: usize = 4096;

/// Ceilings on the numbers an event may carry, checked at decode so that every
/// column holds them and no sum or derived value can overflow.
///
/// `duration_ms` (a `REAL` / `DOUBLE PRECISION` column): at most 10^12 ms, about 31
/// years. Readers compute an end time as `ts_micros + duration_ms * 1000` in `BIGINT`
/// / `i64`: 10^15 µs more than the latest timestamp decodable (year 262,143, about
/// 8.2 × 10^18 µs) still fits below `i64::MAX` (9.2 × 10^18).
pub const MAX_DURATION_MS: f64 = 1e12;
/// `cost_usd` (`REAL` / `DOUBLE PRECISION`): at most a billion dollars per span, so a
/// sum over any number of events a database can hold stays finite (PostgreSQL refuses
/// a `SUM` of `DOUBLE PRECISION` that overflows; SQLite's would be infinite).
pub const MAX_COST_USD: f64 = 1e9;
/// `input_tokens`, `output_tokens` (`INTEGER` / `BIGINT`): 0 to 10^11 per span, so
/// the sum over 92 million spans still fits in an `i64` (SQLite's `SUM` of integers
/// fails on overflow). (10^12 would overflow an `i64` after 9.2 million spans.)
pub const MAX_TOKENS: i64 = 100_000_000_000;
/// `sequence` (`INTEGER` / `BIGINT`, used for ordering only): within ±10^12.
pub const MAX_SEQUENCE: i64 = 1_000_000_000_000;

/// Decodes one wire event; `Err` is a reason starting with the field it concerns.
pub fn decode_event(value: &Value) -> Result<StoredEvent, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| "event: expected an object".to_string())?;
    if let Some(t) = obj.get("type") {
        if t.as_str() != Some("span") {
            return Err(format!("type: expected \"span\", got {t}"));
        }
    }
    let trace_id = required_text(obj, "trace_id", MAX_ID)?;
    let span_id = required_text(obj, "span_id", MAX_ID)?;
    let kind = required_text(obj, "kind", 64)?;
    if let Err(e) = kind.parse::<EventKind>() {
        return Err(format!("kind: {e}"));
    }
    let name = required_text(obj, "name", MAX_NAME)?;
    let timestamp = required_text(obj, "timestamp", 64)?;
    let ts_micros = parse_timestamp(&timestamp)?;
    let sequence = bounded_int(obj, "sequence", -MAX_SEQUENCE, MAX_SEQUENCE)?.unwrap_or(0);
    let status = optional_text(obj, "status", 64)?.unwrap_or_else(|| "ok".to_string());

    let mut payload = match obj.get("payload") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(other) => {
            return Err(format!(
                "payload: expected an object, got {}",
                type_name(other)
            ))
        }
    };
    // Listed fields without columns of their own live in the payload, as do unknown ones.
    for key in ["policy_decisions", "policy_blocked_tool_calls"] {
        if let Some(v) = obj.get(key) {
            if !v.is_null() && !v.is_array() {
                return Err(format!("{key}: expected an array, got {}", type_name(v)));
            }
            payload.insert(key.to_string(), v.clone());
        }
    }
    // The SDKs mark a call their policy stopped with `policy_blocked: true`.
    if let Some(v) = obj.get("policy_blocked") {
        match v {
            Value::Bool(_) => {
                payload.insert("policy_blocked".to_string(), v.clone());
            }
            Value::Null => {}
            other => {
                return Err(format!(
                    "policy_blocked: expected true or false, got {}",
                    type_name(other)
                ))
            }
        }
    }
    let extra: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !extra.is_empty() {
        payload.insert("extra".to_string(), Value::Object(extra));
    }

    let tool = match (kind.as_str(), payload.get("tool").and_then(Value::as_str)) {
        ("tool_call", Some(tool)) if !tool.is_empty() => truncate(tool, MAX_NAME),
        _ => name.clone(),
    };
    let cost_usd = bounded_number(obj, "cost_usd", MAX_COST_USD, "1e9")?;
    let duration_ms = bounded_number(obj, "duration_ms", MAX_DURATION_MS, "1e12")?;
    let input_tokens = bounded_int(obj, "input_tokens", 0, MAX_TOKENS)?;
    let output_tokens = bounded_int(obj, "output_tokens", 0, MAX_TOKENS)?;
    let approval_id = optional_text(obj, "approval_id", MAX_ID)?;
    let verdict = recorded_verdict(&kind, &status, &tool, &payload, approval_id.is_some());

    Ok(StoredEvent {
        trace_id,
        span_id,
        parent_span_id: optional_text(obj, "parent_span_id", MAX_ID)?,
        kind,
        name,
        tool,
        sequence,
        timestamp,
        ts_micros,
        status,
        verdict,
        duration_ms,
        model: optional_text(obj, "model", MAX_NAME)?,
        input_tokens,
        output_tokens,
        cost_usd,
        agent_name: optional_text(obj, "agent_name", MAX_NAME)?,
        session_id: optional_text(obj, "session_id", MAX_ID)?,
        environment: optional_text(obj, "environment", MAX_NAME)?,
        release_version: optional_text(obj, "release_version", MAX_NAME)?,
        end_user_id: optional_text(obj, "end_user_id", MAX_TEXT)?,
        end_user_email: optional_text(obj, "end_user_email", MAX_TEXT)?,
        approval_id,
        originating_trace_id: optional_text(obj, "originating_trace_id", MAX_ID)?,
        originating_span_id: optional_text(obj, "originating_span_id", MAX_ID)?,
        originating_agent_name: optional_text(obj, "originating_agent_name", MAX_NAME)?,
        agent_card_uri: optional_text(obj, "agent_card_uri", MAX_TEXT)?,
        payload: Value::Object(payload),
    })
}

/// The five-verb verdict for what the SDK reported. Precedence: an error beats a
/// block, a block beats a hold, a hold beats a redaction.
fn recorded_verdict(
    kind: &str,
    status: &str,
    tool: &str,
    payload: &Map<String, Value>,
    has_approval: bool,
) -> Verdict {
    let status = status.to_ascii_lowercase();
    if status == "error" || status == "errored" || kind == "error" {
        return Verdict::Errored;
    }
    let blocking_decision = payload
        .get("policy_decisions")
        .and_then(Value::as_array)
        .is_some_and(|decisions| {
            decisions.iter().any(|d| {
                let kind = d.get("policy_kind").and_then(Value::as_str);
                let target = d.get("tool_name").and_then(Value::as_str);
                kind == Some("block") && target.is_none_or(|t| t == tool)
            })
        });
    let blocked_calls = payload
        .get("policy_blocked_tool_calls")
        .and_then(Value::as_array)
        .is_some_and(|calls| !calls.is_empty());
    let marked_blocked = payload.get("policy_blocked").and_then(Value::as_bool) == Some(true);
    if status == "blocked" || blocking_decision || blocked_calls || marked_blocked {
        return Verdict::Blocked;
    }
    let awaiting = matches!(
        status.as_str(),
        "pending_approval" | "waiting_for_approval" | "held"
    ) || ((kind == "approval" || has_approval) && status == "pending");
    if awaiting {
        return Verdict::Held;
    }
    let redacted = status == "redacted"
        || payload.get("redacted").and_then(Value::as_bool) == Some(true)
        || payload
            .get("tags")
            .and_then(Value::as_array)
            .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some("redacted")));
    if redacted {
        return Verdict::Redacted;
    }
    Verdict::Allowed
}

/// RFC 3339 / ISO 8601 with an offset (the SDKs send `...Z` or `+00:00`), or a naive
/// date-time taken as UTC (Python's `datetime.utcnow().isoformat()`).
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(t.and_utc().timestamp_micros());
    }
    Err("timestamp: not ISO 8601".to_string())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn required_text(obj: &Map<String, Value>, key: &str, max: usize) -> Result<String, String> {
    match optional_text(obj, key, max)? {
        Some(s) if !s.is_empty() => Ok(s),
        Some(_) => Err(format!("{key}: must not be empty")),
        None => Err(format!("{key}: missing")),
    }
}

fn optional_text(
    obj: &Map<String, Value>,
    key: &str,
    max: usize,
) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max => {
            Err(format!("{key}: longer than {max} characters"))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "{key}: expected a string, got {}",
            type_name(other)
        )),
    }
}

fn optional_int(obj: &Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("{key}: expected an integer, got {n}")),
        Some(other) => Err(format!(
            "{key}: expected an integer, got {}",
            type_name(other)
        )),
    }
}

/// An optional integer in `min..=max`.
fn bounded_int(
    obj: &Map<String, Value>,
    key: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, String> {
    // Integers beyond `i64` (`1e19` or `18446744073709551615`) are out of range too.
    if let Some(Value::Number(n)) = obj.get(key) {
        if n.is_u64() && n.as_i64().is_none() {
            return Err(format!("{key}: must be at most {max}, got {n}"));
        }
    }
    match optional_int(obj, key)? {
        Some(v) if v < min && min == 0 => Err(format!("{key}: must not be negative, got {v}")),
        Some(v) if v < min => Err(format!("{key}: must be at least {min}, got {v}")),
        Some(v) if v > max => Err(format!("{key}: must be at most {max}, got {v}")),
        v => Ok(v),
    }
}

/// An optional finite number in `0..=max` (`max_text` is how the error names `max`).
fn bounded_number(
    obj: &Map<String, Value>,
    key: &str,
    max: f64,
    max_text: &str,
) -> Result<Option<f64>, String> {
    match optional_number(obj, key)? {
        Some(v) if v < 0.0 => Err(format!("{key}: must not be negative")),
        Some(v) if v > max => Err(format!("{key}: must be at most {max_text}, got {v:e}")),
        v => Ok(v),
    }
}

fn optional_number(obj: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| format!("{key}: expected a finite number")),
        Some(other) => Err(format!(
            "{key}: expected a number, got {}",
            type_name(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use serde_json::json;

    fn verdict_of(extra: Value) -> Verdict {
        let mut event = json!({
            "type": "span", "trace_id": "t", "span_id": "s", "kind": "tool_call",
            "name": "payments.refund", "timestamp": "2026-11-01T10:00:00Z", "status": "ok",
        });
        for (k, v) in extra.as_object().unwrap() {
            event[k] = v.clone();
        }
        decode_event(&event).unwrap().verdict
    }

    #[test]
    fn recorded_verdicts_use_the_five_verbs() {
        assert_eq!(verdict_of(json!({})), Verdict::Allowed);
        assert_eq!(verdict_of(json!({"status": "error"})), Verdict::Errored);
        assert_eq!(verdict_of(json!({"kind": "error"})), Verdict::Errored);
        assert_eq!(verdict_of(json!({"status": "blocked"})), Verdict::Blocked);
        assert_eq!(
            verdict_of(
                json!({"policy_decisions": [{"tool_name": "payments.refund", "policy_kind": "block", "pattern": "payments.*"}]})
            ),
            Verdict::Blocked
        );
        assert_eq!(
            verdict_of(
                json!({"policy_decisions": [{"tool_name": "other.tool", "policy_kind": "block"}]})
            ),
            Verdict::Allowed,
            "a block aimed at another tool does not block this one"
        );
        assert_eq!(
            verdict_of(json!({"policy_blocked_tool_calls": ["x"]})),
            Verdict::Blocked
        );
        // What the SDKs set on a call their policy stopped, at the span or in its payload.
        assert_eq!(
            verdict_of(json!({"policy_blocked": true})),
            Verdict::Blocked
        );
        assert_eq!(
            verdict_of(json!({"payload": {"policy_blocked": true}})),
            Verdict::Blocked
        );
        assert_eq!(
            verdict_of(json!({"policy_blocked": false})),
            Verdict::Allowed
        );
        let not_a_flag = json!({"type": "span", "trace_id": "t", "span_id": "s", "kind": "tool_call",
            "name": "x", "timestamp": "2026-11-01T10:00:00Z", "policy_blocked": "yes"});
        assert!(decode_event(&not_a_flag)
            .unwrap_err()
            .starts_with("policy_blocked: expected true or false"));
        assert_eq!(
            verdict_of(json!({"status": "pending", "approval_id": "apr_1"})),
            Verdict::Held
        );
        assert_eq!(
            verdict_of(json!({"kind": "approval", "status": "pending"})),
            Verdict::Held
        );
        assert_eq!(verdict_of(json!({"status": "pending"})), Verdict::Allowed);
        assert_eq!(
            verdict_of(json!({"payload": {"redacted": true}})),
            Verdict::Redacted
        );
        assert_eq!(
            verdict_of(json!({"payload": {"tags": ["pii", "redacted"]}})),
            Verdict::Redacted
        );
        assert_eq!(
            verdict_of(json!({"status": "error", "payload": {"redacted": true}})),
            Verdict::Errored,
            "an error beats a redaction"
        );
    }

    #[test]
    fn tool_calls_match_on_payload_tool_and_llm_calls_on_their_name() {
        let tool = decode_event(&json!({
            "trace_id": "t", "span_id": "s", "kind": "tool_call", "name": "call_tool",
            "timestamp": "2026-11-01T10:00:00+00:00", "payload": {"tool": "shell.exec"},
        }))
        .unwrap();
        assert_eq!(tool.tool, "shell.exec");
        let llm = decode_event(&json!({
            "trace_id": "t", "span_id": "s2", "kind": "llm_call", "name": "openai.gpt-4o-mini",
            "timestamp": "2026-11-01T10:00:00.123456", "payload": {"tool": "ignored"},
        }))
        .unwrap();
        assert_eq!(llm.tool, "openai.gpt-4o-mini");
    }

    #[test]
    fn bad_fields_are_named() {
        let base = json!({"trace_id": "t", "span_id": "s", "kind": "tool_call", "name": "x", "timestamp": "2026-11-01T10:00:00Z"});
        let with = |k: &str, v: Value| {
            let mut e = base.clone();
            e[k] = v;
            decode_event(&e).unwrap_err()
        };
        assert_eq!(
            with("timestamp", json!("yesterday")),
            "timestamp: not ISO 8601"
        );
        assert!(with("kind", json!("teleport")).starts_with("kind: unknown kind"));
        assert!(with("cost_usd", json!(-1)).starts_with("cost_usd:"));
        assert!(with("cost_usd", json!("cheap")).starts_with("cost_usd:"));
        assert!(with("sequence", json!(1.5)).starts_with("sequence:"));
        assert!(with("payload", json!([1])).starts_with("payload:"));
        assert!(with("trace_id", json!("")).starts_with("trace_id:"));
        assert_eq!(
            decode_event(&json!([])).unwrap_err(),
            "event: expected an object"
        );
    }

    #[test]
    fn numbers_are_range_checked() {
        let base = json!({"trace_id": "t", "span_id": "s", "kind": "llm_call", "name": "x", "timestamp": "2026-11-01T10:00:00Z"});
        let with = |k: &str, v: Value| {
            let mut e = base.clone();
            e[k] = v;
            decode_event(&e)
        };
        let refused = |k: &str, v: Value| {
            let err = with(k, v.clone()).unwrap_err();
            assert!(err.starts_with(&format!("{k}: ")), "{k} = {v}: {err}");
            err
        };
        // Too large, negative, or not a number a column holds.
        assert_eq!(
            refused("duration_ms", json!(1e30)),
            "duration_ms: must be at most 1e12, got 1e30"
        );
        refused("duration_ms", json!(1.000_001e12));
        refused("duration_ms", json!(-0.5));
        assert_eq!(
            refused("cost_usd", json!(1.7e308)),
            "cost_usd: must be at most 1e9, got 1.7e308"
        );
        refused("cost_usd", json!(1e9 + 1.0));
        refused("cost_usd", json!(-1e-9));
        for key in ["input_tokens", "output_tokens"] {
            assert_eq!(
                refused(key, json!(-1)),
                format!("{key}: must not be negative, got -1")
            );
            refused(key, json!(MAX_TOKENS + 1));
            refused(key, json!(i64::MAX));
            refused(key, json!(u64::MAX));
            refused(key, json!(1e11));
        }
        refused("sequence", json!(MAX_SEQUENCE + 1));
        refused("sequence", json!(-MAX_SEQUENCE - 1));
        refused("sequence", json!(i64::MIN));
        refused("sequence", json!(u64::MAX));
        // Non-finite numbers cannot be written in JSON; spliced in as text, they fail
        // to parse or are refused as not finite.
        assert!(serde_json::from_str::<Value>("NaN").is_err());

        // The ceilings themselves are fine, as are zero and ordinary values.
        let ok = |k: &str, v: Value| {
            with(k, v.clone()).unwrap_or_else(|e| panic!("{k} = {v}: {e}"));
        };
        ok("duration_ms", json!(MAX_DURATION_MS));
        ok("duration_ms", json!(0));
        ok("duration_ms", json!(-0.0));
        ok("cost_usd", json!(MAX_COST_USD));
        ok("cost_usd", json!(0.000_123));
        ok("input_tokens", json!(MAX_TOKENS));
        ok("output_tokens", json!(0));
        ok("sequence", json!(MAX_SEQUENCE));
        ok("sequence", json!(-1));
        let event = decode_event(&json!({
            "trace_id": "t", "span_id": "s", "kind": "llm_call", "name": "x",
            "timestamp": "2026-11-01T10:00:00Z", "duration_ms": 12.5, "cost_usd": 0.02,
            "input_tokens": 1200, "output_tokens": 300, "sequence": 7,
        }))
        .unwrap();
        assert_eq!(
            (
                event.duration_ms,
                event.cost_usd,
                event.input_tokens,
                event.output_tokens,
                event.sequence
            ),
            (Some(12.5), Some(0.02), Some(1200), Some(300), 7)
        );
    }

    /// The ceilings keep every sum and derived value in range.
    #[test]
    fn ceilings_keep_sums_in_range() {
        // Ten million spans at the token ceiling still sum within an i64.
        assert!(MAX_TOKENS.checked_mul(10_000_000).is_some());
        // End time of a span at the latest decodable timestamp and the longest duration.
        let latest = chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_micros();
        assert!(latest.checked_add(MAX_DURATION_MS as i64 * 1000).is_some());
        // A billion spans at the cost ceiling: finite.
        assert!((MAX_COST_USD * 1e9).is_finite());
    }
}
