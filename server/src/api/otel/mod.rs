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
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use serde_json::json;

use crate::api::ingest::{decode_body, store_batch};
use crate::api::{AppError, AppState, Caller, ErrorBody};
use crate::ops::Source;
use service::ingest::decode_event;

pub mod map;

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

fn error_response(encoding: Encoding, err: AppError) -> Response {
    let (status, code, message) = match &err {
        AppError::Internal(detail) => {
            tracing::error!(%detail, "OTLP ingest failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the spans could not be stored; retry later".to_string(),
            )
        }
        other => (other.status(), other.code(), other.client_message()),
    };
    let grpc = grpc_code(status);
    match encoding {
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
                "error": {"code": code, "message": message},
            })),
        )
            .into_response(),
    }
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
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 413, description = "Body or span count over the limit", body = ErrorBody),
        (status = 415, description = "Unsupported Content-Type or Content-Encoding", body = ErrorBody),
        (status = 503, description = "Storage failed; retry", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn traces(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
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
    body: Result<Bytes, BytesRejection>,
    encoding: Encoding,
) -> Result<ExportTraceServiceResponse, AppError> {
    let caller = caller?;
    let body = body.map_err(|rejection| {
        let message = rejection.body_text();
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(message)
        } else {
            AppError::BadRequest(message)
        }
    })?;
    let raw = decode_body(headers, &body, state.limits.max_inflated_bytes)?;
    let request = match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(raw.as_slice())
            .map_err(|err| AppError::BadRequest(format!("body: invalid OTLP protobuf: {err}")))?,
        Encoding::Json => serde_json::from_slice::<ExportTraceServiceRequest>(&raw)
            .map_err(|err| AppError::BadRequest(format!("body: invalid OTLP/JSON: {err}")))?,
    };
    let spans = map::map_request(&request);
    if spans.len() > state.limits.max_batch_events {
        return Err(AppError::PayloadTooLarge(format!(
            "at most {} spans per export request",
            state.limits.max_batch_events
        )));
    }
    let decoded = spans
        .into_iter()
        .map(|span| span.and_then(|event| decode_event(&event)))
        .collect();
    let outcome = store_batch(state, &caller, Source::Otlp, decoded).await?;
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
