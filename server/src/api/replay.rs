//! `GET /v1/traces/{trace_id}/replay`: a trace as a `replay-1.0` bundle, the tar.gz
//! the `jamjet-cloud replay` command downloads, unpacks and re-runs an agent against.
//!
//! ```text
//! replay-<trace_id>/manifest.json   {schema_version: "replay-1.0", trace_id, project, created_at, counts, ...}
//! replay-<trace_id>/events.jsonl    every event, in trace order, in the JamJet wire shape (+ verdict)
//! replay-<trace_id>/audit.jsonl     the policy-relevant events: {action, detail, ...}
//! replay-<trace_id>/agents.json     [{name, event_count, first_seen, last_seen, ...}]
//! ```
//!
//! The directory name keeps only `[A-Za-z0-9_-]` of the trace id (others become `_`),
//! so no trace id can make a path that escapes the directory; the manifest has the
//! id as it is.
use std::collections::BTreeMap;
use std::io::Write;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use policy::{EventKind, Verdict};
use serde_json::{json, Map, Value};
use store::StoredEvent;

use crate::api::read::PageQuery;
use crate::api::{ApiQuery, ApiResult, AppError, AppState, Caller, ErrorBody};

pub const SCHEMA: &str = "replay-1.0";
pub const SCHEMA_HEADER: &str = "x-jj-replay-schema";
/// Set when the bundle holds only part of the trace: the `cursor` of the next part.
pub const NEXT_CURSOR_HEADER: &str = "x-jj-replay-next-cursor";

/// `[A-Za-z0-9_-]` only: safe as a file and directory name.
pub fn sanitize(trace_id: &str) -> String {
    trace_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// An event in the JamJet SDK's wire shape (what it sent), plus the recorded verdict
/// and the name rules match.
pub fn wire_event(e: &StoredEvent) -> Value {
    let mut obj = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            obj.insert(key.to_string(), value);
        }
    };
    put("type", json!("span"));
    put("trace_id", json!(e.trace_id));
    put("span_id", json!(e.span_id));
    put("parent_span_id", json!(e.parent_span_id));
    put("kind", json!(e.kind));
    put("name", json!(e.name));
    put("tool", json!(e.tool));
    put("sequence", json!(e.sequence));
    put("timestamp", json!(e.timestamp));
    put("status", json!(e.status));
    put("verdict", json!(e.verdict));
    put("duration_ms", json!(e.duration_ms));
    put("model", json!(e.model));
    put("input_tokens", json!(e.input_tokens));
    put("output_tokens", json!(e.output_tokens));
    put("cost_usd", json!(e.cost_usd));
    put("agent_name", json!(e.agent_name));
    put("session_id", json!(e.session_id));
    put("environment", json!(e.environment));
    put("release_version", json!(e.release_version));
    put("end_user_id", json!(e.end_user_id));
    put("end_user_email", json!(e.end_user_email));
    put("approval_id", json!(e.approval_id));
    put("originating_trace_id", json!(e.originating_trace_id));
    put("originating_span_id", json!(e.originating_span_id));
    put("originating_agent_name", json!(e.originating_agent_name));
    put("agent_card_uri", json!(e.agent_card_uri));
    for key in ["policy_decisions", "policy_blocked_tool_calls"] {
        if let Some(v) = e.payload.get(key) {
            put(key, v.clone());
        }
    }
    put("payload", e.payload.clone());
    Value::Object(obj)
}

/// One audit row: what happened (`action`) and the facts behind it (`detail`).
fn audit_row(e: &StoredEvent) -> Value {
    let audit_kind = EventKind::parse(&e.kind).is_some_and(EventKind::is_audit);
    let action = if audit_kind {
        e.kind.clone()
    } else if e.verdict != Verdict::Allowed {
        e.verdict.as_str().to_string()
    } else {
        "policy_decision".to_string()
    };
    let mut detail = Map::new();
    detail.insert("tool".into(), json!(e.tool));
    detail.insert("status".into(), json!(e.status));
    for key in [
        "policy_decisions",
        "policy_blocked_tool_calls",
        "error",
        "reason",
    ] {
        if let Some(v) = e.payload.get(key) {
            detail.insert(key.into(), v.clone());
        }
    }
    if let Some(id) = &e.approval_id {
        detail.insert("approval_id".into(), json!(id));
    }
    json!({
        "action": action,
        "detail": detail,
        "trace_id": e.trace_id,
        "span_id": e.span_id,
        "timestamp": e.timestamp,
        "kind": e.kind,
        "name": e.name,
        "agent_name": e.agent_name,
        "verdict": e.verdict,
    })
}

#[derive(Default)]
struct AgentStats {
    events: u64,
    first: Option<String>,
    last: Option<String>,
    cost_usd: f64,
    kinds: BTreeMap<String, u64>,
    agent_card_uri: Option<String>,
}

fn agents(events: &[StoredEvent]) -> Value {
    let mut by_name: BTreeMap<&str, AgentStats> = BTreeMap::new();
    for e in events {
        let Some(name) = e.agent_name.as_deref() else {
            continue;
        };
        let stats = by_name.entry(name).or_default();
        stats.events += 1;
        if stats.first.is_none() {
            stats.first = Some(e.timestamp.clone());
        }
        stats.last = Some(e.timestamp.clone());
        stats.cost_usd += e.cost_usd.unwrap_or(0.0);
        *stats.kinds.entry(e.kind.clone()).or_default() += 1;
        if stats.agent_card_uri.is_none() {
            stats.agent_card_uri = e.agent_card_uri.clone();
        }
    }
    Value::Array(
        by_name
            .into_iter()
            .map(|(name, s)| {
                json!({
                    "name": name,
                    "event_count": s.events,
                    "first_seen": s.first,
                    "last_seen": s.last,
                    "cost_usd": s.cost_usd,
                    "kinds": s.kinds,
                    "agent_card_uri": s.agent_card_uri,
                })
            })
            .collect(),
    )
}

fn jsonl<'a>(rows: impl Iterator<Item = Value> + 'a) -> Vec<u8> {
    let mut out = Vec::new();
    for row in rows {
        out.extend_from_slice(row.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// The bundle's files, in archive order (name inside the directory, contents).
/// `next_cursor` is `Some` when `events` is not the end of the trace: the manifest
/// then says `truncated` and gives the cursor of the next part.
pub fn bundle_files(
    project: &store::Project,
    trace_id: &str,
    events: &[StoredEvent],
    next_cursor: Option<&str>,
    created_at: &str,
) -> Vec<(&'static str, Vec<u8>)> {
    let audit: Vec<Value> = events
        .iter()
        .filter(|e| e.policy_relevant())
        .map(audit_row)
        .collect();
    let agents = agents(events);
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    let mut verdicts: BTreeMap<&str, u64> = BTreeMap::new();
    for e in events {
        *kinds.entry(e.kind.as_str()).or_default() += 1;
        *verdicts.entry(e.verdict.as_str()).or_default() += 1;
    }
    let start = events.iter().map(|e| e.ts_micros).min();
    let end = events
        .iter()
        .map(|e| e.ts_micros + (e.duration_ms.unwrap_or(0.0) * 1000.0) as i64)
        .max();
    let manifest = json!({
        "schema_version": SCHEMA,
        "trace_id": trace_id,
        "project": {"id": project.id, "name": project.name},
        "created_at": created_at,
        "generator": format!("preflight {}", env!("CARGO_PKG_VERSION")),
        "event_count": events.len(),
        "audit_count": audit.len(),
        "agent_count": agents.as_array().map_or(0, Vec::len),
        "counts": {"kinds": kinds, "verdicts": verdicts},
        "total_cost_usd": events.iter().filter_map(|e| e.cost_usd).sum::<f64>(),
        "started_at": start.and_then(micros_rfc3339),
        "ended_at": end.and_then(micros_rfc3339),
        "session_id": events.iter().find_map(|e| e.session_id.clone()),
        "originating_trace_id": events.iter().find_map(|e| e.originating_trace_id.clone()),
        "truncated": next_cursor.is_some(),
        "next_cursor": next_cursor,
        "files": ["manifest.json", "events.jsonl", "audit.jsonl", "agents.json"],
    });
    vec![
        (
            "manifest.json",
            serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
        ),
        ("events.jsonl", jsonl(events.iter().map(wire_event))),
        ("audit.jsonl", jsonl(audit.into_iter())),
        (
            "agents.json",
            serde_json::to_vec_pretty(&agents).unwrap_or_default(),
        ),
    ]
}

fn micros_rfc3339(micros: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// Packs the files under `replay-<sanitized id>/` into a gzip-compressed tar.
pub fn pack(trace_id: &str, files: &[(&str, Vec<u8>)], mtime: u64) -> std::io::Result<Vec<u8>> {
    let dir = format!("replay-{}", sanitize(trace_id));
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mode(0o755);
    header.set_mtime(mtime);
    header.set_size(0);
    tar.append_data(&mut header, format!("{dir}/"), std::io::empty())?;
    for (name, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_size(contents.len() as u64);
        tar.append_data(&mut header, format!("{dir}/{name}"), contents.as_slice())?;
    }
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()
}

#[utoipa::path(
    get,
    path = "/v1/traces/{trace_id}/replay",
    tag = "traces",
    summary = "A trace as a replay-1.0 bundle (tar.gz) for `jamjet-cloud replay`",
    description = "`replay-<trace_id>/manifest.json`, `events.jsonl`, `audit.jsonl` and `agents.json`, \
                   with the header `x-jj-replay-schema: replay-1.0`. A bundle holds at most `limit` events \
                   (default and most 5,000, in trace order); for a longer trace the manifest says \
                   `\"truncated\": true` with `next_cursor`, also sent as the header `x-jj-replay-next-cursor`: \
                   pass it as `cursor` for the bundle of the next events.",
    params(("trace_id" = String, Path), PageQuery),
    responses(
        (status = 200, description = "The bundle", content_type = "application/gzip", body = Vec<u8>,
         headers(("x-jj-replay-schema" = String, description = "replay-1.0"),
                 ("x-jj-replay-next-cursor" = String, description = "Only when more events follow: the next part's cursor"))),
        (status = 404, description = "Not found in this project", body = ErrorBody),
        (status = 422, description = "Invalid, naming the field", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Path(trace_id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    let page = service::paging::REPLAY_EVENTS.page(q.cursor, q.limit)?;
    let trace = service::traces::get(state.store.as_ref(), &caller, &trace_id, &page).await?;
    let (events, next_cursor) = (trace.events, trace.next_cursor);
    let next = next_cursor.clone();
    let now = chrono::Utc::now();
    let created_at = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mtime = u64::try_from(now.timestamp()).unwrap_or(0);
    let project = caller.0.project;
    let id = trace_id.clone();
    // Compressing a large trace is CPU work: keep it off the async workers.
    let bytes = tokio::task::spawn_blocking(move || {
        let files = bundle_files(&project, &id, &events, next.as_deref(), &created_at);
        pack(&id, &files, mtime)
    })
    .await
    .map_err(|err| AppError::Internal(format!("replay bundle task: {err}")))?
    .map_err(|err| AppError::Internal(format!("replay bundle: {err}")))?;
    let disposition = format!(
        "attachment; filename=\"replay-{}.tar.gz\"",
        sanitize(&trace_id)
    );
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/gzip"),
            ),
            (
                header::HeaderName::from_static(SCHEMA_HEADER),
                HeaderValue::from_static(SCHEMA),
            ),
        ],
        bytes,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    // Cursors are hex: always a valid header value.
    if let Some(value) = next_cursor.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static(NEXT_CURSOR_HEADER), value);
    }
    Ok(response)
}
