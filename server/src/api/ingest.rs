//! `POST /v1/events/ingest`: the JamJet SDKs' batch endpoint.
use std::io::Read;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::Value;
use service::ingest::{BatchError, IngestOutcome};

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

/// The answer (documentation only: `service::ingest::IngestOutcome` is sent).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Rejected {
    index: usize,
    error: String,
}

/// The answer (documentation only: `service::ingest::IngestOutcome` is sent).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct IngestResponse {
    accepted: usize,
    rejected: Vec<Rejected>,
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
) -> ApiResult<Json<IngestOutcome>> {
    let body = body.map_err(super::extract::bytes_rejection)?;
    let raw = decode_body(&headers, &body, state.limits.max_inflated_bytes)?;
    let decoded = service::ingest::decode_batch(&raw, &caller, state.limits.max_batch_events)
        .map_err(|e| match e {
            BatchError::Malformed(m) => AppError::BadRequest(m),
            BatchError::TooMany(m) => AppError::PayloadTooLarge(m),
            BatchError::Service(e) => e.into(),
        })?;
    Ok(Json(
        store_batch(&state, &caller, Source::Jamjet, decoded).await?,
    ))
}

/// Stores one request's decoded events (the JamJet and OTLP endpoints) through the
/// service, and counts them in the metrics.
pub(crate) async fn store_batch(
    state: &AppState,
    caller: &service::Caller,
    source: Source,
    decoded: Vec<Result<store::StoredEvent, String>>,
) -> ApiResult<IngestOutcome> {
    let outcome = service::ingest::store_batch(state.store.as_ref(), caller, decoded).await?;
    crate::ops::metrics().ingest(source, outcome.accepted, outcome.rejected.len());
    Ok(outcome)
}
