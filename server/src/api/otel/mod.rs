//! `POST /otel/v1/traces`: OpenTelemetry OTLP/HTTP trace exports, so an exporter
//! configured with the endpoint `http://HOST:3000/otel` (it appends `/v1/traces`)
//! sends here. Binary protobuf (`application/x-protobuf`) and OTLP/JSON
//! (`application/json`: lowerCamelCase fields, hex ids, integer enums), optionally
//! gzip-compressed, authenticated by the same API keys (`Authorization: Bearer`).
//!
//! Spans are mapped to JamJet wire events ([`map`]) and stored by the same path as
//! `POST /v1/events/ingest`. The answer is an `ExportTraceServiceResponse` in the
//! request's encoding, with `partialSuccess` counting the spans that were rejected;
//! failures carry a `google.rpc.Status` (protobuf, or JSON that is also the API's
//! usual error body). A database failure is a `503`, which exporters retry.
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use serde_json::json;
use service::ingest::{decode_event, value_memory, BatchError, DecodedEvents, Reservation};

use crate::api::error::RETRY_AFTER_SECS;
use crate::api::ingest::{content_encoding, read_body, store_batch};
use crate::api::{AppError, AppState, Caller, ErrorBody, Limits};
use crate::ops::Source;

mod bounds;
pub mod map;

/// Where OTLP routes start (their errors are OTLP's, not the API's).
pub const PATH_PREFIX: &str = "/otel/";

/// Rejected spans named in `partialSuccess.errorMessage`.
const MAX_REPORTED_ERRORS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// The request's encoding; no `Content-Type` means protobuf, OTLP/HTTP's default.
fn encoding(headers: &HeaderMap) -> Result<Encoding, AppError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(Encoding::Protobuf);
    };
    let media = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        other => Err(AppError::UnsupportedMediaType(format!(
            "Content-Type {other:?} is not supported; send application/x-protobuf or application/json"
        ))),
    }
}

/// `google.rpc.Status`, the OTLP/HTTP error body (details left out).
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The gRPC code matching an HTTP status, as OTLP's error bodies carry.
fn grpc_code(status: StatusCode) -> i32 {
    match status.as_u16() {
        400 | 415 | 422 => 3, // INVALID_ARGUMENT
        401 => 16,            // UNAUTHENTICATED
        403 => 7,             // PERMISSION_DENIED
        404 => 5,             // NOT_FOUND
        413 => 8,             // RESOURCE_EXHAUSTED
        503 => 14,            // UNAVAILABLE
        _ => 13,              // INTERNAL
    }
}

/// An OTLP request refused before its handler ran (load shedding), answered in the
/// request's encoding.
pub fn refusal(headers: &HeaderMap, err: AppError) -> Response {
    error_response(encoding(headers).unwrap_or(Encoding::Json), err)
}

fn error_response(encoding: Encoding, err: AppError) -> Response {
    let (status, code, message) = match &err {
        AppError::Internal(detail) => {
            let id = crate::request_id::current().unwrap_or_default();
            tracing::error!(request_id = %id, %detail, "OTLP ingest failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the spans could not be stored; retry later".to_string(),
            )
        }
        other => (other.status(), other.code(), other.client_message()),
    };
    let grpc = grpc_code(status);
    let mut error = json!({"code": code, "message": message});
    if let Some(needs) = err.required_scopes() {
        error["required_scopes"] = json!(needs);
    }
    let mut response = match encoding {
        Encoding::Protobuf => (
            status,
            [(header::CONTENT_TYPE, Encoding::Protobuf.content_type())],
            RpcStatus {
                code: grpc,
                message,
            }
            .encode_to_vec(),
        )
            .into_response(),
        Encoding::Json => (
            status,
            axum::Json(json!({
                "code": grpc,
                "message": message,
                "error": error,
            })),
        )
            .into_response(),
    };
    // Exporters retry a 503 and honour `Retry-After`.
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

/// `POST /otel/v1/traces`.
#[utoipa::path(
    post,
    path = "/otel/v1/traces",
    tag = "ingest",
    summary = "OpenTelemetry OTLP/HTTP trace export (protobuf or JSON, gzip accepted)",
    description = "Point an OTLP/HTTP exporter at `http://HOST:PORT/otel` with the header \
                   `Authorization: Bearer <key>`. GenAI semantic-convention spans become tool, LLM \
                   and agent calls; other spans are kept as custom spans.",
    request_body(description = "ExportTraceServiceRequest", content((Vec<u8> = "application/x-protobuf"), (Object = "application/json"))),
    responses(
        (status = 200, description = "ExportTraceServiceResponse, in the request's encoding; partialSuccess counts rejected spans"),
        (status = 400, description = "Malformed body (google.rpc.Status)", body = ErrorBody),
        (status = 413, description = "Body, span count or decoded memory over the limit", body = ErrorBody),
        (status = 415, description = "Unsupported Content-Type or Content-Encoding", body = ErrorBody),
        (status = 503, description = "Storage failed or too busy; retry after `Retry-After` seconds", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn traces(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let encoding = match encoding(&headers) {
        Ok(e) => e,
        Err(err) => return error_response(Encoding::Json, err),
    };
    match export(&state, caller, &headers, body, encoding).await {
        Ok(response) => {
            let bytes = match encoding {
                Encoding::Protobuf => response.encode_to_vec(),
                Encoding::Json => match serde_json::to_vec(&response) {
                    Ok(b) => b,
                    Err(err) => {
                        return error_response(encoding, AppError::Internal(err.to_string()))
                    }
                },
            };
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, encoding.content_type())],
                bytes,
            )
                .into_response()
        }
        Err(err) => error_response(encoding, err),
    }
}

async fn export(
    state: &AppState,
    caller: Result<Caller, AppError>,
    headers: &HeaderMap,
    body: Body,
    encoding: Encoding,
) -> Result<ExportTraceServiceResponse, AppError> {
    let caller = caller?;
    // Before the body is read: a key that may not send events costs no memory.
    caller.require(service::Permission::Ingest)?;
    let content_encoding = content_encoding(headers)?;
    let mut reservation = state.ingest_budget.reservation();
    let body = read_body(body, headers, state.limits.max_body_bytes, &mut reservation).await?;
    let limits = state.limits.clone();
    // Inflating, decoding and mapping are CPU work: off the async workers.
    let (decoded, reservation) = tokio::task::spawn_blocking(move || {
        let decoded = service::ingest::inflate(
            body,
            content_encoding,
            limits.max_inflated_bytes,
            &mut reservation,
        )
        .map_err(AppError::from)
        .and_then(|raw| decode_spans(raw, encoding, &limits, &mut reservation));
        (decoded, reservation)
    })
    .await
    .map_err(|err| AppError::Internal(format!("OTLP decoding task: {err}")))?;
    let outcome = store_batch(state, &caller, Source::Otlp, decoded?).await?;
    // Held until the events are stored: they are in memory until then.
    drop(reservation);
    let partial_success = (!outcome.rejected.is_empty()).then(|| {
        let mut message: Vec<String> = outcome
            .rejected
            .iter()
            .take(MAX_REPORTED_ERRORS)
            .map(|r| format!("span {}: {}", r.index, r.error))
            .collect();
        if outcome.rejected.len() > MAX_REPORTED_ERRORS {
            message.push(format!(
                "and {} more",
                outcome.rejected.len() - MAX_REPORTED_ERRORS
            ));
        }
        ExportTracePartialSuccess {
            rejected_spans: outcome.rejected.len() as i64,
            error_message: message.join("; "),
        }
    });
    Ok(ExportTraceServiceResponse { partial_success })
}

/// The spans of an inflated export request as decoded events, charging to
/// `reservation` what decoding and mapping will hold before they hold it.
fn decode_spans(
    raw: Vec<u8>,
    encoding: Encoding,
    limits: &Limits,
    reservation: &mut Reservation,
) -> Result<DecodedEvents, AppError> {
    let too_many = || {
        AppError::PayloadTooLarge(format!(
            "at most {} spans per export request",
            limits.max_batch_events
        ))
    };
    let decoded_memory = match encoding {
        Encoding::Protobuf => match bounds::protobuf(&raw, limits.max_batch_events) {
            Ok(estimate) => estimate.memory,
            Err(bounds::WalkError::TooManySpans) => return Err(too_many()),
            Err(bounds::WalkError::Malformed(why)) => {
                return Err(AppError::BadRequest(format!(
                    "body: invalid OTLP protobuf: {why}"
                )))
            }
        },
        Encoding::Json => bounds::json(&raw),
    };
    // The decoded request, and about as much again for the JSON made once from it
    // before any span is mapped (each resource's attributes, what spans inherit).
    reservation
        .charge(decoded_memory.saturating_mul(2))
        .map_err(BatchError::from)?;
    let request = match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(raw.as_slice())
            .map_err(|err| AppError::BadRequest(format!("body: invalid OTLP protobuf: {err}")))?,
        // serde would read a JSON array as the request's fields in order.
        Encoding::Json if raw.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') => {
            return Err(AppError::BadRequest(
                "body: invalid OTLP/JSON: expected an object (ExportTraceServiceRequest)"
                    .to_string(),
            ))
        }
        Encoding::Json => serde_json::from_slice::<ExportTraceServiceRequest>(&raw)
            .map_err(|err| AppError::BadRequest(format!("body: invalid OTLP/JSON: {err}")))?,
    };
    // The body is not needed once decoded.
    reservation.release(raw.capacity());
    drop(raw);
    let mapped = map::map_request(&request);
    let spans = mapped.events();
    if spans.len() > limits.max_batch_events {
        return Err(too_many());
    }
    // Every span carries a copy of its resource and scope: charged before any is made.
    reservation
        .charge(mapped.copies_memory())
        .map_err(BatchError::from)?;
    let mut decoded = Vec::with_capacity(spans.len());
    for span in spans {
        // One mapped span at a time; its decoded event keeps about as much.
        let event = match span {
            Ok(value) => {
                reservation
                    .charge(value_memory(&value))
                    .map_err(BatchError::from)?;
                decode_event(&value)
            }
            Err(reason) => Err(reason),
        };
        decoded.push(event);
    }
    Ok(decoded)
}
