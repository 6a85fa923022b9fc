//! The HTTP surface: the `/v1` API, health, the server-rendered dashboard and its assets.
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

/// Where the dashboard's compiled assets (`pkg/`, favicon, CSS) live.
pub struct SiteConfig {
    pub site_root: String,
    pub addr: SocketAddr,
    /// Dashboard sessions.
    pub auth: crate::auth::AuthConfig,
    /// Bounds on what the API and OTLP ingest take in.
    pub limits: crate::api::Limits,
    /// When set, `/metrics` answers only requests bearing this token.
    pub metrics_token: Option<crate::ops::MetricsToken>,
}

/// Assets under `target/site`, an ephemeral loopback port, and the default sessions and
/// limits: what tests start from.
impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            site_root: "target/site".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            auth: Default::default(),
            limits: Default::default(),
            metrics_token: None,
        }
    }
}

fn leptos_options(site: &SiteConfig) -> LeptosOptions {
    // Built by hand rather than from cargo-leptos's environment so that a plain
    // `cargo build` binary and a deployed one behave the same.
    LeptosOptions::builder()
        .output_name("preflight")
        .site_root(site.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(site.addr)
        .env(match std::env::var("LEPTOS_ENV").as_deref() {
            Ok("DEV") | Ok("dev") => leptos::config::Env::DEV,
            _ => leptos::config::Env::PROD,
        })
        .build()
}

/// The whole application router: `/v1` API, OTLP ingest, health and metrics, and the
/// dashboard.
pub fn router(site: &SiteConfig, store: Arc<dyn store::Store>) -> Router {
    let options = leptos_options(site);
    let auth = crate::auth::Auth::new(store.clone(), site.auth.clone());
    let routes = dashboard_routes();
    let api_state = crate::api::AppState::new(store.clone(), site.limits.clone());
    let hsts = site.auth.secure_cookies;
    // Server functions and SSR find the store in context (`app::server::use_store`);
    // a rendered page answers with the CSP naming its nonce.
    let dashboard_context = {
        let store = store.clone();
        move || {
            provide_context(store.clone());
            page_csp_header();
        }
    };
    let dashboard = Router::new()
        .leptos_routes_with_context(&options, routes, dashboard_context.clone(), {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            dashboard_context,
            app::shell,
        ))
        .with_state(options)
        // Server function bodies are bounded like the API's (413 past the limit).
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            site.limits.max_body_bytes,
        ));
    Router::new()
        .merge(crate::api::router(api_state))
        .merge(crate::export::router(store.clone()))
        .merge(crate::ops::router(
            store.clone(),
            site.metrics_token.clone(),
        ))
        .merge(crate::auth::router(auth.clone()))
        .merge(crate::assets::router(&site.site_root))
        .merge(dashboard)
        .layer(axum::middleware::from_fn(server_fn_errors))
        // Everything but the API, health, assets and sign-in needs a session.
        .layer(axum::middleware::from_fn_with_state(
            auth,
            crate::auth::guard,
        ))
        .layer(axum::middleware::from_fn(crate::ops::track_http))
        .layer(compression())
        .layer(axum::middleware::map_response(
            move |response: axum::response::Response| security_headers(response, hsts),
        ))
        .layer(request_log())
        // Outermost: the id is on the request before its span is made.
        .layer(axum::middleware::from_fn(crate::request_id::assign))
}

/// Pages, server function and API answers in gzip for clients that accept it. Not what
/// is compressed already: the assets under /pkg (gzipped once, ahead, by `assets`) and
/// replay bundles (`.tar.gz`).
fn compression(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    tower_http::compression::CompressionLayer::new().compress_when(
        DefaultPredicate::new()
            .and(NotForContentType::const_new("application/gzip"))
            .and(NotForContentType::const_new("application/wasm")),
    )
}

/// The dashboard's routes, listed once per process. Listing them runs the app with
/// resource loading suppressed through a process-wide flag in `leptos_server`: a page
/// rendering on another thread at that moment would start a resource that never
/// resolves and its answer would never end (leptos-rs/leptos#4773). Building a second
/// router (every router test does) must therefore not list them again.
fn dashboard_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// The Content-Security-Policy of every answer that does not set its own (the API,
/// assets, the sign-in page, redirects): scripts only from this site, no plugins, no
/// `<base>` elsewhere, forms post only here, no framing.
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; \
    base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The Content-Security-Policy of a server-rendered dashboard page. Inline scripts run
/// only with this response's nonce (the hydration script and the resources Leptos
/// serializes into the page carry it); other scripts only from this site;
/// `'wasm-unsafe-eval'` lets the dashboard's WebAssembly compile. Styles may be inline:
/// the pages set computed widths and colours in `style` attributes (and the trace page
/// a `<style>` element made after hydration too), which a nonce cannot cover.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// In the rendering context of a page: Leptos made a fresh nonce for this response
/// (`leptos_axum` provides one per render) and the page's scripts carry it; the answer
/// gets the CSP that allows exactly those.
fn page_csp_header() {
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(&page_csp(&nonce)) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Headers every answer carries: no framing (clickjacking a decision button), no MIME
/// sniffing, no full URLs (trace ids, filters) leaked to other sites. HSTS only when the
/// server says it is served over HTTPS (`--secure-cookies`), since it binds the browser
/// to HTTPS for the host. A handler that set one of these keeps its own (a dashboard
/// page sets its CSP with its nonce, [`page_csp`]).
async fn security_headers(
    mut response: axum::response::Response,
    hsts: bool,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::CONTENT_SECURITY_POLICY, DEFAULT_CSP);
    if hsts {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}

/// Server function answers that are 500s. Leptos answers a call whose arguments do
/// not decode with a 500; that is the caller's mistake, so it becomes a 400 (413 for a
/// body past the limit; the body is kept). Any other 500 is ours: unless the function already answered the generic
/// message with the request id (`app::server::internal_error`), what it said (it may
/// be a database's error text) goes to the log with the request id and the caller gets
/// the generic message.
async fn server_fn_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let request_id = crate::request_id::current().unwrap_or_default();
    // Server function error bodies are short text; a larger one is not passed on.
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    // A body past the limit (`RequestBodyLimitLayer`) fails the arguments' decoding
    // with the limit's own error text.
    if bytes.starts_with(b"Deserialization|") && bytes.ends_with(b"length limit exceeded") {
        parts.status = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
        return axum::response::Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    if bytes.starts_with(b"Args|") || bytes.starts_with(b"Deserialization|") {
        parts.status = axum::http::StatusCode::BAD_REQUEST;
        return axum::response::Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let generic = app::server::internal_message(&request_id);
    if bytes.ends_with(generic.as_bytes()) {
        return axum::response::Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    tracing::error!(
        request_id = %request_id,
        detail = %String::from_utf8_lossy(&bytes),
        "internal error in a server function"
    );
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    axum::response::Response::from_parts(
        parts,
        axum::body::Body::from(format!("ServerError|{generic}")),
    )
}

/// One span per request with method, path, request id and status. Other headers and
/// bodies are never recorded: they carry API keys, prompts and end-user emails.
fn request_log() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    impl Fn(&axum::http::Request<axum::body::Body>) -> tracing::Span + Clone,
> {
    tower_http::trace::TraceLayer::new_for_http().make_span_with(
        |request: &axum::http::Request<axum::body::Body>| {
            let request_id = request
                .headers()
                .get(&crate::request_id::HEADER)
                .and_then(|v| crate::request_id::accept(v.as_bytes()))
                .unwrap_or("-");
            tracing::info_span!(
                "http",
                method = %request.method(),
                path = %request.uri().path(),
                request_id = %request_id,
            )
        },
    )
}

/// Serves until Ctrl-C / SIGTERM, letting in-flight requests finish.
pub async fn serve(site: SiteConfig, store: Arc<dyn store::Store>) -> std::io::Result<()> {
    let app = router(&site, store);
    let listener = tokio::net::TcpListener::bind(site.addr).await?;
    tracing::info!("Preflight listening on http://{}", listener.local_addr()?);
    // The peer's address reaches handlers as `ConnectInfo` (the sign-in throttle).
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
