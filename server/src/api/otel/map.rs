//! OpenTelemetry spans → JamJet wire events (the JSON `POST /v1/events/ingest`
//! takes), following the GenAI semantic conventions. The result goes through the same
//! `decode_event` as SDK batches, so validation and the recorded verdict have one
//! definition.
//!
//! | span | event |
//! | --- | --- |
//! | `gen_ai.operation.name` = `execute_tool` | `tool_call` named by `gen_ai.tool.name`; arguments → `payload.tool_input`, result → `payload.tool_output` |
//! | … and `mcp.method.name` = `tools/call` | `mcp_tool_call` named by `gen_ai.tool.name` |
//! | `chat`, `text_completion`, `generate_content`, `embeddings` | `llm_call` named `<gen_ai.provider.name>.<gen_ai.request.model>`, tokens from `gen_ai.usage.*` |
//! | `invoke_agent` | `agent_call` named by `gen_ai.agent.name` |
//! | anything else | `custom`, named by the span name |
//!
//! `gen_ai.agent.name` → agent, `gen_ai.conversation.id` / `session.id` → session
//! (both inherited from the nearest ancestor in the same export request that has
//! them), `gen_ai.usage.cost.amount` → cost (USD, or no currency given), status
//! `ERROR` → `status: error` (verdict `errored`). Every attribute, the span's events,
//! its scope and resource are kept under `payload.otel`.
use std::collections::HashMap;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{span, status, Span};
use serde_json::{json, Map, Value};

/// Ancestors followed for agent/session inheritance and depth (cycle-safe).
const MAX_DEPTH: usize = 64;

/// Operation names that are model calls.
const LLM_OPERATIONS: &[&str] = &["chat", "text_completion", "generate_content", "embeddings"];

/// One span's attributes as JSON, by key.
type Attrs = Map<String, Value>;

pub fn any_value_json(value: Option<&AnyValue>) -> Value {
    let Some(inner) = value.and_then(|v| v.value.as_ref()) else {
        return Value::Null;
    };
    match inner {
        any_value::Value::StringValue(s) => Value::String(s.clone()),
        any_value::Value::BoolValue(b) => Value::Bool(*b),
        any_value::Value::IntValue(i) => json!(i),
        any_value::Value::DoubleValue(d) => serde_json::Number::from_f64(*d)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        any_value::Value::ArrayValue(a) => {
            Value::Array(a.values.iter().map(|v| any_value_json(Some(v))).collect())
        }
        any_value::Value::KvlistValue(kv) => Value::Object(attrs_json(&kv.values)),
        any_value::Value::BytesValue(b) => Value::String(hex(b)),
        // Dictionary references only mean something inside profiles.
        any_value::Value::StringValueStrindex(_) => Value::Null,
    }
}

fn attrs_json(attributes: &[KeyValue]) -> Attrs {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), any_value_json(kv.value.as_ref())))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

fn text<'a>(attrs: &'a Attrs, key: &str) -> Option<&'a str> {
    attrs
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn first_text<'a>(attrs: &'a Attrs, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| text(attrs, k))
}

/// An integer attribute, also from a double without a fraction or a numeric string.
fn int(attrs: &Attrs, key: &str) -> Option<i64> {
    match attrs.get(key)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn number(attrs: &Attrs, key: &str) -> Option<f64> {
    match attrs.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// Tool arguments and results are JSON text by convention: keep them as JSON when
/// they parse, as given otherwise.
fn json_or_text(value: &Value) -> Value {
    match value {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| value.clone()),
        other => other.clone(),
    }
}

fn span_kind_name(kind: i32) -> &'static str {
    match span::SpanKind::try_from(kind) {
        Ok(span::SpanKind::Internal) => "internal",
        Ok(span::SpanKind::Server) => "server",
        Ok(span::SpanKind::Client) => "client",
        Ok(span::SpanKind::Producer) => "producer",
        Ok(span::SpanKind::Consumer) => "consumer",
        _ => "unspecified",
    }
}

fn rfc3339_nanos(unix_nanos: u64) -> Option<String> {
    let nanos = i64::try_from(unix_nanos).ok()?;
    let t = chrono::DateTime::from_timestamp_nanos(nanos);
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// What a span contributes to its descendants.
struct Known {
    parent: Option<String>,
    agent: Option<String>,
    session: Option<String>,
}

/// An export request ready to be mapped span by span: what spans learn from each
/// other, and each resource's and scope's JSON once.
pub struct MappedRequest<'r> {
    known: HashMap<(String, String), Known>,
    /// Resource attributes, by position in `resource_spans`.
    resources: Vec<Attrs>,
    /// Every span in order, with its resource's position and its scope.
    spans: Vec<(usize, Option<Value>, &'r Span)>,
}

/// Prepares every span of an export request for mapping, in order (a span's index is
/// its position in this flattening).
pub fn map_request(request: &ExportTraceServiceRequest) -> MappedRequest<'_> {
    // Parent links, agents and sessions, by (trace, span).
    let mut known: HashMap<(String, String), Known> = HashMap::new();
    for rs in &request.resource_spans {
        for ss in &rs.scope_spans {
            for sp in &ss.spans {
                let attrs = attrs_json(&sp.attributes);
                known.insert(
                    (hex(&sp.trace_id), hex(&sp.span_id)),
                    Known {
                        parent: (!sp.parent_span_id.is_empty()).then(|| hex(&sp.parent_span_id)),
                        agent: text(&attrs, "gen_ai.agent.name").map(str::to_string),
                        session: first_text(&attrs, &["gen_ai.conversation.id", "session.id"])
                            .map(str::to_string),
                    },
                );
            }
        }
    }
    let mut resources = Vec::new();
    let mut spans = Vec::new();
    for (position, rs) in request.resource_spans.iter().enumerate() {
        resources.push(
            rs.resource
                .as_ref()
                .map(|r| attrs_json(&r.attributes))
                .unwrap_or_default(),
        );
        for ss in &rs.scope_spans {
            let scope = ss.scope.as_ref().map(|s| {
                json!({
                    "name": s.name,
                    "version": (!s.version.is_empty()).then_some(&s.version),
                })
            });
            for sp in &ss.spans {
                spans.push((position, scope.clone(), sp));
            }
        }
    }
    MappedRequest {
        known,
        resources,
        spans,
    }
}

impl MappedRequest<'_> {
    /// The memory of the copies of its resource and scope every span carries, all
    /// spans together: a resource is kept whole with each of its spans, so a large one
    /// shared by many spans takes far more memory mapped than it did on the wire.
    pub fn copies_memory(&self) -> usize {
        let resources: Vec<usize> = self.resources.iter().map(value_memory_of_attrs).collect();
        self.spans
            .iter()
            .map(|(resource, scope, _)| {
                resources.get(*resource).copied().unwrap_or(0)
                    + scope.as_ref().map_or(0, service::ingest::value_memory)
            })
            .fold(0, usize::saturating_add)
    }

    /// Each span as a wire event, mapped one at a time as the iterator is advanced;
    /// `Err` is the reason a span cannot be an event.
    pub fn events(&self) -> impl ExactSizeIterator<Item = Result<Value, String>> + '_ {
        self.spans.iter().map(|(resource, scope, sp)| {
            let empty = Attrs::new();
            let attrs = self.resources.get(*resource).unwrap_or(&empty);
            map_span(sp, attrs, scope.as_ref(), &self.known)
        })
    }
}

fn value_memory_of_attrs(attrs: &Attrs) -> usize {
    attrs
        .iter()
        .map(|(k, v)| k.len() + service::ingest::value_memory(v))
        .fold(
            service::ingest::value_memory(&Value::Object(Map::new())),
            usize::saturating_add,
        )
}

/// Walks up from a span (itself excluded) within the request: the first ancestor
/// value `pick` finds, and how many ancestors there are.
fn ancestry<'a>(
    known: &'a HashMap<(String, String), Known>,
    trace: &str,
    parent: Option<&str>,
    pick: impl Fn(&'a Known) -> Option<&'a String>,
) -> (Option<&'a String>, i64) {
    let mut found = None;
    let mut depth = 0;
    let mut next = parent.map(str::to_string);
    while let Some(id) = next {
        if depth as usize >= MAX_DEPTH {
            break;
        }
        let Some(k) = known.get(&(trace.to_string(), id)) else {
            break;
        };
        depth += 1;
        if found.is_none() {
            found = pick(k);
        }
        next = k.parent.clone();
    }
    (found, depth)
}

fn map_span(
    sp: &Span,
    resource: &Attrs,
    scope: Option<&Value>,
    known: &HashMap<(String, String), Known>,
) -> Result<Value, String> {
    if sp.trace_id.len() != 16 || sp.trace_id.iter().all(|b| *b == 0) {
        return Err("traceId: expected 16 bytes, not all zero".to_string());
    }
    if sp.span_id.len() != 8 || sp.span_id.iter().all(|b| *b == 0) {
        return Err("spanId: expected 8 bytes, not all zero".to_string());
    }
    if !sp.parent_span_id.is_empty() && sp.parent_span_id.len() != 8 {
        return Err("parentSpanId: expected 8 bytes or none".to_string());
    }
    if sp.start_time_unix_nano == 0 {
        return Err("startTimeUnixNano: missing".to_string());
    }
    let timestamp = rfc3339_nanos(sp.start_time_unix_nano)
        .ok_or_else(|| "startTimeUnixNano: out of range".to_string())?;
    let trace_id = hex(&sp.trace_id);
    let span_id = hex(&sp.span_id);
    let parent = (!sp.parent_span_id.is_empty()).then(|| hex(&sp.parent_span_id));
    let attrs = attrs_json(&sp.attributes);

    let own_agent = text(&attrs, "gen_ai.agent.name").map(str::to_string);
    let own_session =
        first_text(&attrs, &["gen_ai.conversation.id", "session.id"]).map(str::to_string);
    let (inherited_agent, depth) =
        ancestry(known, &trace_id, parent.as_deref(), |k| k.agent.as_ref());
    let (inherited_session, _) =
        ancestry(known, &trace_id, parent.as_deref(), |k| k.session.as_ref());
    let agent = own_agent.or_else(|| inherited_agent.cloned());
    let session = own_session.or_else(|| inherited_session.cloned());

    let operation = text(&attrs, "gen_ai.operation.name");
    let mut payload = Map::new();
    let mut event = Map::new();
    let (kind, name) = match operation {
        Some("execute_tool") => {
            let tool = text(&attrs, "gen_ai.tool.name").unwrap_or(sp.name.as_str());
            payload.insert("tool".into(), json!(tool));
            if let Some(args) = attrs.get("gen_ai.tool.call.arguments") {
                payload.insert("tool_input".into(), json_or_text(args));
            }
            if let Some(result) = attrs.get("gen_ai.tool.call.result") {
                payload.insert("tool_output".into(), json_or_text(result));
            }
            if let Some(id) = text(&attrs, "gen_ai.tool.call.id") {
                payload.insert("tool_call_id".into(), json!(id));
            }
            if let Some(t) = text(&attrs, "gen_ai.tool.type") {
                payload.insert("tool_type".into(), json!(t));
            }
            let mcp = text(&attrs, "mcp.method.name") == Some("tools/call");
            let kind = if mcp { "mcp_tool_call" } else { "tool_call" };
            (kind, tool.to_string())
        }
        Some(op) if LLM_OPERATIONS.contains(&op) => {
            let provider = first_text(&attrs, &["gen_ai.provider.name", "gen_ai.system"]);
            let requested = text(&attrs, "gen_ai.request.model");
            let responded = text(&attrs, "gen_ai.response.model");
            let model = requested.or(responded);
            let name = match (provider, model) {
                (Some(p), Some(m)) => format!("{p}.{m}"),
                (None, Some(m)) => m.to_string(),
                _ => sp.name.clone(),
            };
            if let Some(m) = responded.or(requested) {
                event.insert("model".into(), json!(m));
            }
            let input = int(&attrs, "gen_ai.usage.input_tokens")
                .or_else(|| int(&attrs, "gen_ai.usage.prompt_tokens"));
            let output = int(&attrs, "gen_ai.usage.output_tokens")
                .or_else(|| int(&attrs, "gen_ai.usage.completion_tokens"));
            if let Some(n) = input {
                event.insert("input_tokens".into(), json!(n));
            }
            if let Some(n) = output {
                event.insert("output_tokens".into(), json!(n));
            }
            payload.insert("operation".into(), json!(op));
            if let Some(p) = provider {
                payload.insert("provider".into(), json!(p));
            }
            ("llm_call", name)
        }
        Some("invoke_agent") => {
            let name = agent.clone().unwrap_or_else(|| sp.name.clone());
            ("agent_call", name)
        }
        _ => ("custom", sp.name.clone()),
    };
    let name = if name.trim().is_empty() {
        "unnamed span".to_string()
    } else {
        name
    };

    if let Some(amount) = number(&attrs, "gen_ai.usage.cost.amount") {
        let currency = text(&attrs, "gen_ai.usage.cost.currency");
        if currency.is_none_or(|c| c.eq_ignore_ascii_case("usd")) {
            event.insert("cost_usd".into(), json!(amount));
        } else {
            payload.insert(
                "cost".into(),
                json!({"amount": amount, "currency": currency}),
            );
        }
    }
    let errored = sp
        .status
        .as_ref()
        .is_some_and(|s| s.code == status::StatusCode::Error as i32);
    let status_message = sp
        .status
        .as_ref()
        .map(|s| s.message.as_str())
        .filter(|m| !m.is_empty());
    if let Some(message) = status_message {
        payload.insert("error".into(), json!(message));
    }
    let span_events: Vec<Value> = sp
        .events
        .iter()
        .map(|e| {
            json!({
                "name": e.name,
                "timestamp": rfc3339_nanos(e.time_unix_nano),
                "attributes": attrs_json(&e.attributes),
            })
        })
        .collect();
    let mut otel = json!({
        "span_name": sp.name,
        "span_kind": span_kind_name(sp.kind),
        "attributes": attrs,
        "resource": resource,
    });
    if let Some(scope) = scope {
        otel["scope"] = scope.clone();
    }
    if !span_events.is_empty() {
        otel["events"] = Value::Array(span_events);
    }
    if !sp.links.is_empty() {
        otel["links"] = Value::Array(
            sp.links
                .iter()
                .map(|l| json!({"trace_id": hex(&l.trace_id), "span_id": hex(&l.span_id)}))
                .collect(),
        );
    }
    payload.insert("otel".into(), otel);

    event.insert("type".into(), json!("span"));
    event.insert("trace_id".into(), json!(trace_id));
    event.insert("span_id".into(), json!(span_id));
    if let Some(parent) = parent {
        event.insert("parent_span_id".into(), json!(parent));
    }
    event.insert("kind".into(), json!(kind));
    event.insert("name".into(), json!(name));
    // Depth orders a parent before its children when they start in the same microsecond.
    event.insert("sequence".into(), json!(depth));
    event.insert("timestamp".into(), json!(timestamp));
    event.insert("status".into(), json!(if errored { "error" } else { "ok" }));
    if sp.end_time_unix_nano >= sp.start_time_unix_nano {
        let ms = (sp.end_time_unix_nano - sp.start_time_unix_nano) as f64 / 1e6;
        event.insert("duration_ms".into(), json!(ms));
    }
    if let Some(agent) = agent {
        event.insert("agent_name".into(), json!(agent));
    }
    if let Some(session) = session {
        event.insert("session_id".into(), json!(session));
    }
    let resource_text = |keys: &[&str]| first_text(resource, keys).map(str::to_string);
    if let Some(env) = first_text(&attrs, &["deployment.environment.name"])
        .map(str::to_string)
        .or_else(|| resource_text(&["deployment.environment.name", "deployment.environment"]))
    {
        event.insert("environment".into(), json!(env));
    }
    if let Some(version) = resource_text(&["service.version"]) {
        event.insert("release_version".into(), json!(version));
    }
    if let Some(user) = text(&attrs, "enduser.id").or_else(|| text(&attrs, "user.id")) {
        event.insert("end_user_id".into(), json!(user));
    }
    event.insert("payload".into(), Value::Object(payload));
    Ok(Value::Object(event))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Status};

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.to_string(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    fn s(key: &str, value: &str) -> KeyValue {
        kv(key, any_value::Value::StringValue(value.to_string()))
    }

    fn i(key: &str, value: i64) -> KeyValue {
        kv(key, any_value::Value::IntValue(value))
    }

    fn span(id: u8, parent: Option<u8>, name: &str, attributes: Vec<KeyValue>) -> Span {
        Span {
            trace_id: vec![7; 16],
            span_id: vec![id; 8],
            parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
            name: name.to_string(),
            kind: span::SpanKind::Client as i32,
            start_time_unix_nano: 1_800_000_000_000_000_000 + u64::from(id),
            end_time_unix_nano: 1_800_000_000_250_000_000,
            attributes,
            ..Default::default()
        }
    }

    fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![s("service.name", "support"), s("service.version", "1.4.2")],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "genai-test".into(),
                        ..Default::default()
                    }),
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn genai_conventions() {
        let mut failing = span(
            4,
            Some(1),
            "execute_tool wire_transfer",
            vec![
                s("gen_ai.operation.name", "execute_tool"),
                s("gen_ai.tool.name", "wire_transfer"),
            ],
        );
        failing.status = Some(Status {
            code: status::StatusCode::Error as i32,
            message: "insufficient funds".into(),
        });
        let mapped = request(vec![
            span(
                1,
                None,
                "invoke_agent support-bot",
                vec![
                    s("gen_ai.operation.name", "invoke_agent"),
                    s("gen_ai.agent.name", "support-bot"),
                    s("gen_ai.conversation.id", "conv-9"),
                ],
            ),
            span(
                2,
                Some(1),
                "chat gpt-4o-mini",
                vec![
                    s("gen_ai.operation.name", "chat"),
                    s("gen_ai.provider.name", "openai"),
                    s("gen_ai.request.model", "gpt-4o-mini"),
                    i("gen_ai.usage.input_tokens", 120),
                    i("gen_ai.usage.output_tokens", 30),
                    kv(
                        "gen_ai.usage.cost.amount",
                        any_value::Value::DoubleValue(0.0042),
                    ),
                ],
            ),
            span(
                3,
                Some(1),
                "execute_tool payments.refund",
                vec![
                    s("gen_ai.operation.name", "execute_tool"),
                    s("gen_ai.tool.name", "payments.refund"),
                    s("gen_ai.tool.call.arguments", r#"{"amount": 20}"#),
                    s("gen_ai.tool.call.result", "done"),
                ],
            ),
            failing,
            span(
                5,
                Some(3),
                "SELECT orders",
                vec![s("db.system.name", "postgresql")],
            ),
        ]);
        let events: Vec<Value> = map_request(&mapped).events().map(Result::unwrap).collect();
        let agent = &events[0];
        assert_eq!(agent["kind"], "agent_call");
        assert_eq!(agent["name"], "support-bot");
        assert_eq!(agent["session_id"], "conv-9");
        assert_eq!(agent["trace_id"], "07".repeat(16));
        assert_eq!(agent["release_version"], "1.4.2");
        assert!(agent.get("parent_span_id").is_none());

        let llm = &events[1];
        assert_eq!(llm["kind"], "llm_call");
        assert_eq!(llm["name"], "openai.gpt-4o-mini");
        assert_eq!(llm["input_tokens"], 120);
        assert_eq!(llm["output_tokens"], 30);
        assert_eq!(llm["cost_usd"], 0.0042);
        assert_eq!(
            llm["agent_name"], "support-bot",
            "inherited from invoke_agent"
        );
        assert_eq!(llm["session_id"], "conv-9");
        assert_eq!(llm["parent_span_id"], "01".repeat(8));
        assert_eq!(llm["sequence"], 1);

        let tool = &events[2];
        assert_eq!(tool["kind"], "tool_call");
        assert_eq!(tool["name"], "payments.refund");
        assert_eq!(tool["payload"]["tool_input"]["amount"], 20);
        assert_eq!(tool["payload"]["tool_output"], "done");
        assert_eq!(tool["status"], "ok");

        assert_eq!(events[3]["status"], "error");
        assert_eq!(events[3]["payload"]["error"], "insufficient funds");

        let custom = &events[4];
        assert_eq!(custom["kind"], "custom");
        assert_eq!(custom["name"], "SELECT orders");
        assert_eq!(custom["sequence"], 2);
        assert_eq!(
            custom["payload"]["otel"]["attributes"]["db.system.name"],
            "postgresql"
        );
        assert_eq!(custom["payload"]["otel"]["scope"]["name"], "genai-test");

        // And the shared decoder takes every one of them, with the verdicts it derives.
        let decoded: Vec<store::StoredEvent> = events
            .iter()
            .map(|e| service::ingest::decode_event(e).unwrap())
            .collect();
        assert_eq!(decoded[1].tool, "openai.gpt-4o-mini");
        assert_eq!(decoded[2].tool, "payments.refund");
        assert_eq!(decoded[3].verdict, policy::Verdict::Errored);
        assert_eq!(decoded[0].verdict, policy::Verdict::Allowed);
        let duration = decoded[1].duration_ms.unwrap();
        assert!((duration - 249.999_998).abs() < 1e-9, "{duration}");
    }

    #[test]
    fn bad_ids_are_reported_per_span() {
        let mut no_trace = span(1, None, "x", vec![]);
        no_trace.trace_id = vec![0; 16];
        let mut short_span = span(2, None, "y", vec![]);
        short_span.span_id = vec![1, 2];
        let mut no_start = span(3, None, "z", vec![]);
        no_start.start_time_unix_nano = 0;
        let request = request(vec![
            no_trace,
            short_span,
            no_start,
            span(4, None, "ok", vec![]),
        ]);
        let out: Vec<_> = map_request(&request).events().collect();
        assert!(out[0].as_ref().unwrap_err().starts_with("traceId"));
        assert!(out[1].as_ref().unwrap_err().starts_with("spanId"));
        assert!(out[2]
            .as_ref()
            .unwrap_err()
            .starts_with("startTimeUnixNano"));
        assert!(out[3].is_ok());
    }

    #[test]
    fn cost_in_another_currency_stays_in_the_payload() {
        let request = request(vec![span(
            1,
            None,
            "chat",
            vec![
                s("gen_ai.operation.name", "chat"),
                s("gen_ai.request.model", "m"),
                kv(
                    "gen_ai.usage.cost.amount",
                    any_value::Value::DoubleValue(2.5),
                ),
                s("gen_ai.usage.cost.currency", "EUR"),
            ],
        )]);
        let out: Vec<_> = map_request(&request).events().collect();
        let event = out[0].as_ref().unwrap();
        assert!(event.get("cost_usd").is_none());
        assert_eq!(event["payload"]["cost"]["currency"], "EUR");
        assert_eq!(event["name"], "m", "no provider: the model alone");
    }
}
