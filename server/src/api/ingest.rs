//! `POST /v1/events/ingest`: the JamJet SDKs' batch endpoint.
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use futures::StreamExt;
use serde_json::Value;
use service::ingest::{
    BatchError, BatchLimits, ContentEncoding, DecodedEvents, IngestOutcome, Reservation,
};

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

/// How the body is encoded (`Content-Encoding`): plain or gzip, nothing else.
pub fn content_encoding(headers: &HeaderMap) -> ApiResult<ContentEncoding> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("") | Some("identity") => Ok(ContentEncoding::Identity),
        Some("gzip") | Some("x-gzip") => Ok(ContentEncoding::Gzip),
        Some(other) => Err(AppError::UnsupportedMediaType(format!(
            "Content-Encoding {other:?} is not supported; send identity or gzip"
        ))),
    }
}

/// Reads the body as it arrives, at most `max` bytes, charging its buffer to the
/// request's share of the ingest memory budget as it grows (so a body is refused
/// when the budget is held by others before it is all in memory). The charge is the
/// returned buffer's capacity.
pub async fn read_body(
    body: Body,
    headers: &HeaderMap,
    max: usize,
    reservation: &mut Reservation,
) -> ApiResult<Vec<u8>> {
    let too_large = || AppError::PayloadTooLarge(format!("body: more than {max} bytes"));
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return Err(too_large());
    }
    let mut bytes: Vec<u8> = Vec::new();
    let mut charged = 0;
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|err| match super::deadline::passed(&err) {
            Some(passed) => AppError::RequestTimeout(passed.to_string()),
            None => AppError::BadRequest(format!("body: {err}")),
        })?;
        let needed = bytes.len() + chunk.len();
        if needed > max {
            return Err(too_large());
        }
        if needed > charged {
            // Doubling (never past the limit), charged before it is allocated; what
            // is charged grows only with what was received, whatever a client
            // declares.
            let grown = (charged * 2).max(needed).min(max);
            reservation
                .charge(grown - charged)
                .map_err(BatchError::from)?;
            bytes.reserve_exact(grown - bytes.len());
            charged = grown;
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.capacity() > charged {
        reservation
            .charge(bytes.capacity() - charged)
            .map_err(BatchError::from)?;
    }
    Ok(bytes)
}

#[utoipa::path(post, path = "/v1/events/ingest", tag = "ingest", summary = "Ingest a batch of JamJet SDK spans (gzip accepted)", request_body = IngestBody, responses((status = 200, description = "Accepted count and rejected events by index", body = IngestResponse), (status = 400, description = "Malformed body", body = ErrorBody), (status = 413, description = "Body too large: as sent, once decompressed, in events, or in memory once decoded", body = ErrorBody), (status = 503, description = "Too busy (concurrent requests or the ingest memory budget); retry after `Retry-After` seconds", body = ErrorBody)), security(("bearer" = [])))]
pub async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IngestOutcome>> {
    // Before the body is read: a key that may not send events costs no memory.
    caller.require(service::Permission::Ingest)?;
    let encoding = content_encoding(&headers)?;
    let mut reservation = state.ingest_budget.reservation();
    let raw = read_body(
        body,
        &headers,
        state.limits.max_body_bytes,
        &mut reservation,
    )
    .await?;
    let limits = BatchLimits {
        max_events: state.limits.max_batch_events,
        max_inflated_bytes: state.limits.max_inflated_bytes,
    };
    let decoding_caller = caller.0.clone();
    // Decoding a large batch is CPU work: off the async workers.
    let (decoded, reservation) = tokio::task::spawn_blocking(move || {
        let decoded = service::ingest::decode_batch(
            &raw,
            encoding,
            &decoding_caller,
            limits,
            &mut reservation,
        );
        // The body is not needed once decoded: its memory is free for others.
        reservation.release(raw.capacity());
        drop(raw);
        (decoded, reservation)
    })
    .await
    .map_err(|err| AppError::Internal(format!("ingest decoding task: {err}")))?;
    let outcome = store_batch(&state, &caller, Source::Jamjet, decoded?).await?;
    // Held until the events are stored: they are in memory until then.
    drop(reservation);
    Ok(Json(outcome))
}

/// Stores one request's decoded events (the JamJet and OTLP endpoints) through the
/// service, and counts them in the metrics.
pub(crate) async fn store_batch(
    state: &AppState,
    caller: &service::Caller,
    source: Source,
    decoded: DecodedEvents,
) -> ApiResult<IngestOutcome> {
    let outcome = service::ingest::store_batch(state.store.as_ref(), caller, decoded).await?;
    crate::ops::metrics().ingest(source, outcome.accepted, outcome.rejected.len());
    Ok(outcome)
}
