//! The REST API under `/v1`, authenticated by project API keys.
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use tokio::sync::Semaphore;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

mod approvals;
mod auth;
mod contract;
mod datasets;
pub mod deadline;
mod error;
mod extract;
pub(crate) mod ingest;
pub mod otel;
mod policies;
mod read;
pub mod replay;
mod simulate;

pub use auth::Caller;
pub use error::{ApiResult, AppError, ErrorBody};
pub use extract::{ApiJson, ApiQuery};

/// Limits that keep a hostile or broken client from exhausting the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Request body as sent (compressed or not).
    pub max_body_bytes: usize,
    /// Body after `Content-Encoding: gzip` is undone.
    pub max_inflated_bytes: usize,
    pub max_batch_events: usize,
    /// Memory all ingest requests together may hold: bodies as received and inflated,
    /// and the events decoded from them. Beyond it, ingest answers 503.
    pub ingest_memory_bytes: usize,
    /// `/v1` and OTLP requests served at once; more are answered 503 at once.
    pub max_concurrent_requests: usize,
    /// A request's whole body must arrive within this, or it is answered 408 and its
    /// place among the concurrent requests is free again.
    pub body_deadline: std::time::Duration,
}

/// `--ingest-memory-mib`'s default.
pub const DEFAULT_INGEST_MEMORY_MIB: usize = 256;
/// `--max-concurrent-requests`' default: far above what two cores serve at once
/// (requests mostly wait on the database), far below what would exhaust memory.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 64;
/// `--body-timeout-secs`' default: 8 MiB at about 300 KB/s, far more than an SDK's
/// batch needs.
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 30;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 8 * 1024 * 1024,
            max_inflated_bytes: 32 * 1024 * 1024,
            max_batch_events: 5_000,
            ingest_memory_bytes: DEFAULT_INGEST_MEMORY_MIB * 1024 * 1024,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            body_deadline: std::time::Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn store::Store>,
    pub limits: Limits,
    /// The memory ingest requests hold, shared by all of them.
    pub ingest_budget: Arc<service::ingest::MemoryBudget>,
}

impl AppState {
    pub fn new(store: Arc<dyn store::Store>, limits: Limits) -> AppState {
        let ingest_budget = service::ingest::MemoryBudget::new(limits.ingest_memory_bytes);
        AppState {
            store,
            limits,
            ingest_budget,
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Preflight API",
        description = "Ingest agent traces, curate datasets, manage policies and simulate drafts. \
                       Every endpoint takes `Authorization: Bearer <key>`; the key decides the project."
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme =
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", scheme);
    }
}

/// The `/v1` routes and their OpenAPI document, both generated from the handlers'
/// `#[utoipa::path]` annotations, so the document cannot drift from the routes, and
/// completed by [`contract::complete`].
pub fn routes() -> (Router<AppState>, serde_json::Value) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ingest::ingest))
        .routes(routes!(otel::traces))
        .routes(routes!(read::list_traces))
        .routes(routes!(read::get_trace))
        .routes(routes!(replay::replay))
        .routes(routes!(read::list_threads))
        .routes(routes!(read::get_thread))
        .routes(routes!(read::audit))
        .routes(routes!(read::changes))
        .routes(routes!(datasets::create, datasets::list))
        .routes(routes!(datasets::get, datasets::rename, datasets::remove))
        .routes(routes!(datasets::add_items))
        .routes(routes!(datasets::remove_item))
        .routes(routes!(datasets::versions))
        .routes(routes!(datasets::expectations, datasets::set_expectation))
        .routes(routes!(datasets::remove_expectation))
        .routes(routes!(policies::active, policies::replace))
        .routes(routes!(policies::add_rule))
        .routes(routes!(policies::update_rule, policies::delete_rule))
        .routes(routes!(policies::reorder))
        .routes(routes!(policies::versions))
        .routes(routes!(policies::version))
        .routes(routes!(policies::restore))
        .routes(routes!(policies::sdk_rules))
        .routes(routes!(policies::evaluate))
        .routes(routes!(simulate::window))
        .routes(routes!(simulate::batch))
        .routes(routes!(simulate::get))
        .routes(routes!(simulate::rerun))
        .routes(routes!(simulate::events))
        .routes(routes!(approvals::create, approvals::list))
        .routes(routes!(approvals::get))
        .routes(routes!(approvals::decide))
        .split_for_parts();
    let doc = serde_json::to_value(doc).unwrap_or_default();
    (router, contract::complete(doc))
}

/// `/v1/*`, plus `/v1/openapi.json` and a JSON 404 for unknown `/v1` paths.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let admission = Admission {
        in_flight: Arc::new(Semaphore::new(state.limits.max_concurrent_requests)),
        body_deadline: state.limits.body_deadline,
    };
    let (api, doc) = routes();
    // Serialized once: it cannot change while the server runs.
    let doc = axum::body::Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
    api.route(
        "/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], doc) }
        }),
    )
    .route(
        "/v1/{*rest}",
        any(|| async { AppError::NotFound("no such endpoint".to_string()) }),
    )
    .method_not_allowed_fallback(|| async {
        AppError::MethodNotAllowed("method not allowed on this endpoint".to_string())
    })
    .layer(axum::middleware::map_response(json_errors))
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(axum::middleware::from_fn_with_state(admission, shed_load))
    .with_state(state)
}

/// What admits an API request: a place among the concurrent ones, and the deadline
/// its body must arrive by.
#[derive(Clone)]
struct Admission {
    in_flight: Arc<Semaphore>,
    body_deadline: std::time::Duration,
}

/// Load shedding: at most `max_concurrent_requests` API requests are served at once;
/// one more is answered 503 with `Retry-After` at once (in OTLP's encoding on the
/// OTLP route), so a flood costs a short answer each instead of a queue without end.
/// An admitted request's body gets a deadline, so a slow sender cannot keep its place.
async fn shed_load(State(admission): State<Admission>, request: Request, next: Next) -> Response {
    // Held until the handler has answered.
    let Ok(_permit) = admission.in_flight.try_acquire() else {
        let refused = AppError::Unavailable(
            "the server is at its limit of concurrent API requests; retry shortly".to_string(),
        );
        return if request.uri().path().starts_with(otel::PATH_PREFIX) {
            otel::refusal(request.headers(), refused)
        } else {
            refused.into_response()
        };
    };
    let (parts, body) = request.into_parts();
    let body = deadline::with_deadline(body, admission.body_deadline);
    next.run(Request::from_parts(parts, body)).await
}

/// axum's own extractor rejections (a `Path` segment that is not a number or not
/// UTF-8, a body over the limit, ...) answer in plain text: every error answer that is
/// not already typed (JSON, or protobuf for OTLP clients) is rewritten into the API's
/// JSON error shape, keeping its status and other headers.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let untyped = match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => value.as_bytes().starts_with(b"text/plain"),
    };
    if !(status.is_client_error() || status.is_server_error()) || !untyped {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let error = match status {
        StatusCode::BAD_REQUEST => AppError::BadRequest(message),
        StatusCode::UNAUTHORIZED => AppError::Unauthorized(message),
        StatusCode::FORBIDDEN => AppError::Forbidden(message),
        StatusCode::NOT_FOUND => AppError::NotFound(message),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed(message),
        StatusCode::CONFLICT => AppError::Conflict(message),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(message),
        StatusCode::UNPROCESSABLE_ENTITY => AppError::Unprocessable {
            field: None,
            message,
        },
        s if s.is_server_error() => AppError::Internal(message),
        s => {
            let code = s
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase()
                .replace([' ', '-'], "_");
            let body = serde_json::json!({"error": {"code": code, "message": message}});
            return rebuilt(parts, (s, axum::Json(body)).into_response());
        }
    };
    let mut answer = error.into_response();
    *answer.status_mut() = status;
    rebuilt(parts, answer)
}

/// `answer` with the original response's headers (`Allow`, ...) except its body's.
fn rebuilt(original: axum::http::response::Parts, mut answer: Response) -> Response {
    for (name, value) in &original.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}
