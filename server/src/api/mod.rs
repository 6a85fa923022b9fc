//! The REST API under `/v1`, authenticated by project API keys.
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get};
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

mod approvals;
mod auth;
mod datasets;
mod error;
mod extract;
mod ingest;
mod policies;
mod read;
mod simulate;
pub mod wire;

pub use auth::Caller;
pub use error::{ApiResult, AppError, ErrorBody};
pub use extract::{ApiJson, ApiQuery};

/// Size limits that keep a hostile or broken client from exhausting the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Request body as sent (compressed or not).
    pub max_body_bytes: usize,
    /// Body after `Content-Encoding: gzip` is undone.
    pub max_inflated_bytes: usize,
    pub max_batch_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 8 * 1024 * 1024,
            max_inflated_bytes: 32 * 1024 * 1024,
            max_batch_events: 5_000,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn store::Store>,
    pub limits: Limits,
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
/// `#[utoipa::path]` annotations, so the document cannot drift from the routes.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ingest::ingest))
        .routes(routes!(read::list_traces))
        .routes(routes!(read::get_trace))
        .routes(routes!(read::list_threads))
        .routes(routes!(read::get_thread))
        .routes(routes!(read::audit))
        .routes(routes!(datasets::create, datasets::list))
        .routes(routes!(datasets::get, datasets::rename, datasets::remove))
        .routes(routes!(datasets::add_items))
        .routes(routes!(datasets::remove_item))
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
        .routes(routes!(approvals::create, approvals::list))
        .routes(routes!(approvals::get))
        .routes(routes!(approvals::decide))
        .split_for_parts()
}

/// `/v1/*`, plus `/v1/openapi.json` and a JSON 404 for unknown `/v1` paths.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let (api, doc) = routes();
    let doc = Arc::new(doc);
    api.route(
        "/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.as_ref().clone()) }
        }),
    )
    .route(
        "/v1/{*rest}",
        any(|| async { AppError::NotFound("no such endpoint".to_string()) }),
    )
    .method_not_allowed_fallback(|| async {
        AppError::MethodNotAllowed("method not allowed on this endpoint".to_string())
    })
    .layer(DefaultBodyLimit::max(body_limit))
    .with_state(state)
}
