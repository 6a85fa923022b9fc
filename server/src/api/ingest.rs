//! `POST /v1/events/ingest`: the JamJet SDKs' batch endpoint.
use std::io::Read;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use service::ingest::decode_event;
use super::{ApiResult, AppError, AppState, Caller, ErrorBody};
use crate::ops::Source;

/// The request body (documentation only: the handler decodes events one by one).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct IngestBody {
    /// Optional: the API key decides the project.
    project: Option<String>,
    /// JamJet SDK span events.
    #[schema(value_type = Vec<Object>)]
    events: Vec<Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rejected {
    pub index: usize,
    pub error: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestResponse {
    pub accepted: usize,
    pub rejected: Vec<Rejected>,
}

/// Reads the body, undoing `Content-Encoding: gzip` with a cap on the inflated size
/// (a small gzip bomb must not become a large allocation).
pub fn decode_body(headers: &HeaderMap, body: &[u8], max_inflated: usize) -> ApiResult<Vec<u8>> {
    let encoding = headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("") | Some("identity") => Ok(body.to_vec()),
        Some("gzip") | Some("x-gzip") => {
            let mut inflated = Vec::new();
            flate2::read::GzDecoder::new(body)
                .take(max_inflated as u64 + 1)
                .read_to_end(&mut inflated)
                .map_err(|err| AppError::BadRequest(format!("body: invalid gzip data: {err}")))?;
            if inflated.len() > max_inflated {
                return Err(AppError::PayloadTooLarge(format!(
                    "body: more than {max_inflated} bytes once decompressed"
                )));
            }
            Ok(inflated)
        }
        Some(other) => Err(AppError::UnsupportedMediaType(format!(
            "Content-Encoding {other:?} is not supported; send identity or gzip"
        ))),
    }
}

#[utoipa::path(post, path = "/v1/events/ingest", tag = "ingest", summary = "Ingest a batch of JamJet SDK spans (gzip accepted)", request_body = IngestBody, responses((status = 200, description = "Accepted count and rejected events by index", body = IngestResponse), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 400, description = "Malformed body", body = ErrorBody), (status = 413, description = "Body too large, before or after decompression", body = ErrorBody)), security(("bearer" = [])))]
pub async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<IngestResponse>> {
    let body = body.map_err(super::extract::bytes_rejection)?;
    let raw = decode_body(&headers, &body, state.limits.max_inflated_bytes)?;
    let doc: Value = serde_json::from_slice(&raw)
        .map_err(|err| AppError::BadRequest(format!("body: invalid JSON: {err}")))?;
    let events = match &doc {
        Value::Object(obj) => {
            if let Some(project) = obj.get("project").and_then(Value::as_str) {
                // The key decides the project; a different name is a client misconfiguration.
                if project != caller.project.name && project != caller.project.id {
                    return Err(AppError::Forbidden(format!(
                        "project: this API key belongs to project {:?}, not {project:?}",
                        caller.project.name
                    )));
                }
            }
            obj.get("events")
                .and_then(Value::as_array)
                .ok_or_else(|| AppError::invalid("events", "expected an array of events"))?
        }
        Value::Array(events) => events,
        _ => return Err(AppError::invalid("events", "expected {\"events\": [...]}")),
    };
    if events.len() > state.limits.max_batch_events {
        return Err(AppError::PayloadTooLarge(format!(
            "events: at most {} events per batch",
            state.limits.max_batch_events
        )));
    }
    let decoded = events.iter().map(decode_event).collect();
    Ok(Json(
        store_batch(&state, &caller.project.id, Source::Jamjet, decoded).await?,
    ))
}

/// Stores one request's decoded events (shared by the JamJet and OTLP endpoints): a
/// span sent twice in one batch keeps its later copy, as on re-send; failed ones are
/// reported by their index in `decoded`.
pub(crate) async fn store_batch(
    state: &AppState,
    project_id: &str,
    source: Source,
    decoded: Vec<Result<store::StoredEvent, String>>,
) -> ApiResult<IngestResponse> {
    let total = decoded.len();
    let mut good: Vec<store::StoredEvent> = Vec::with_capacity(total);
    let mut rejected = Vec::new();
    let mut position = std::collections::HashMap::new();
    for (index, result) in decoded.into_iter().enumerate() {
        match result.and_then(storable) {
            Ok(event) => {
                let key = (event.trace_id.clone(), event.span_id.clone());
                match position.get(&key) {
                    Some(&at) => good[at] = event,
                    None => {
                        position.insert(key, good.len());
                        good.push(event);
                    }
                }
            }
            Err(error) => rejected.push(Rejected { index, error }),
        }
    }
    if !good.is_empty() {
        state.store.upsert_events(project_id, &good).await?;
    }
    let accepted = total - rejected.len();
    crate::ops::metrics().ingest(source, accepted, rejected.len());
    Ok(IngestResponse { accepted, rejected })
}

/// Longest `agent_name` stored, in UTF-8 bytes: PostgreSQL indexes it (with the trace
/// id) in a B-tree, whose entries must stay under about 2.7 KB. 1,024 characters of
/// four bytes each would not (a 500 on PostgreSQL, found by `tests/hostile.rs`).
const MAX_AGENT_NAME_BYTES: usize = 1024;

/// Checks what every source's events must satisfy before they reach the store.
fn storable(event: store::StoredEvent) -> Result<store::StoredEvent, String> {
    if let Some(agent) = &event.agent_name {
        if agent.len() > MAX_AGENT_NAME_BYTES {
            return Err(format!(
                "agent_name: longer than {MAX_AGENT_NAME_BYTES} bytes of UTF-8"
            ));
        }
    }
    Ok(event)
}
