//! Server-only support for the server functions and SSR (feature `ssr`): the store
//! from context, the caller a request acts as (the signed-in account on the project
//! `service::projects` resolves), cookies, and service errors as server function
//! errors with their status.
use std::sync::Arc;

use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use http::HeaderValue;
use leptos::prelude::*;

pub use service::projects::PROJECT_COOKIE;
/// Cookie holding the theme (`dark` or `light`).
pub const THEME_COOKIE: &str = "preflight_theme";

/// The store the router put in context (`leptos_routes_with_context`).
pub fn use_store() -> Result<Arc<dyn store::Store>, ServerFnError> {
    use_context::<Arc<dyn store::Store>>().ok_or_else(|| {
        ServerFnError::new("the dashboard has no store in context (server misconfigured)")
    })
}

/// The value of a cookie on the current request.
pub fn cookie(name: &str) -> Option<String> {
    let parts = use_context::<Parts>()?;
    let values = parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    service::projects::cookie(values, name).map(str::to_string)
}

/// Sets a cookie on the response (a year, whole site, not readable cross-site).
pub fn set_cookie(name: &str, value: &str) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let text = format!("{name}={value}; Path=/; Max-Age=31536000; SameSite=Lax");
        if let Ok(header) = HeaderValue::from_str(&text) {
            response.append_header(SET_COOKIE, header);
        }
    }
}

/// Is the dark theme chosen? Read from the cookie, so the first byte of HTML is right.
pub fn dark_theme() -> bool {
    cookie(THEME_COOKIE).as_deref() == Some("dark")
}

/// A service failure as a server function error, with the status it deserves: the
/// caller's mistakes are 4xx, our faults 5xx.
pub fn service_error(err: service::ServiceError) -> ServerFnError {
    use http::StatusCode;
    use service::ServiceError as E;
    let status = match &err {
        E::Invalid { .. } | E::Draft(_) => StatusCode::UNPROCESSABLE_ENTITY,
        E::NotFound(_) => StatusCode::NOT_FOUND,
        E::Conflict(_) => StatusCode::CONFLICT,
        E::Forbidden(_) | E::OutOfScope { .. } => StatusCode::FORBIDDEN,
        E::Internal(detail) => return internal_error(detail),
    };
    user_error(status, err.to_string())
}

/// The id the server gave the current request (`X-Request-Id`), `-` outside one.
pub fn request_id() -> String {
    use_context::<Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "-".to_string())
}

/// What a user is told about a fault of ours: no detail (it may be a database's error
/// text), the request id under which the server log has it.
pub fn internal_message(request_id: &str) -> String {
    format!("Internal error (request id {request_id}); the server log has the details.")
}

/// A fault of ours (500): the detail goes to the log with the request id, the page or
/// caller gets [`internal_message`].
pub fn internal_error(detail: &str) -> ServerFnError {
    let id = request_id();
    tracing::error!(request_id = %id, %detail, "internal error");
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::INTERNAL_SERVER_ERROR);
    }
    ServerFnError::new(internal_message(&id))
}

/// The signed-in account acting on the project the page asked for (`?project=`, an
/// id or a name), else the one remembered in the cookie, else the first it may see;
/// `None` when it may see none. The choice is `service::projects::resolve`; an explicit
/// one is remembered in the cookie.
pub async fn caller(project: Option<String>) -> Result<Option<service::Caller>, ServerFnError> {
    let store = use_store()?;
    let user = current_user()?;
    let remembered = cookie(PROJECT_COOKIE);
    let resolved = service::projects::resolve(
        store.as_ref(),
        &user,
        project.as_deref(),
        remembered.as_deref(),
    )
    .await
    .map_err(service_error)?;
    let Some(project) = resolved.project else {
        return Ok(None);
    };
    if resolved.requested && remembered.as_deref() != Some(project.id.as_str()) {
        set_cookie(PROJECT_COOKIE, &project.id);
    }
    Ok(Some(service::Caller::account(user, project)))
}

/// [`caller`] for operations that need a project: without one the answer is 404.
pub async fn require_caller(project: Option<String>) -> Result<service::Caller, ServerFnError> {
    caller(project)
        .await?
        .ok_or_else(|| gone("there is no project yet"))
}

/// The signed-in account, which the server's session guard put on the request. There
/// is none only if a route escaped the guard: then nothing is shown.
pub fn current_user() -> Result<store::User, ServerFnError> {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<store::User>().cloned())
        .ok_or_else(|| ServerFnError::new("sign in first"))
}

/// Sets the 404 status when rendering a dashboard page (not for a server function
/// call from the browser, whose caller shows the not-found state itself).
pub fn not_found_status() {
    let is_page = use_context::<Parts>().is_some_and(|p| p.uri.path().starts_with("/dashboard"));
    if is_page {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
}

/// `http://host:port` as the browser reached this server (Host header).
pub fn server_url() -> String {
    use_context::<Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|h| format!("http://{h}"))
        })
        .unwrap_or_else(|| "http://127.0.0.1:3000".to_string())
}

/// A mistake the caller can fix, answered with a 4xx status rather than a 500 (the
/// message is shown as it is).
pub fn user_error(status: http::StatusCode, message: impl Into<String>) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(message.into())
}

/// 422: the input is invalid.
pub fn invalid(message: impl Into<String>) -> ServerFnError {
    user_error(http::StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// 404: gone, or never in this project.
pub fn gone(message: impl Into<String>) -> ServerFnError {
    user_error(http::StatusCode::NOT_FOUND, message)
}

/// Makes a dashboard page's URL name its project (`?project=<id>`): a page asked for
/// without one, or by name, or for an unknown project, is redirected to the URL of the
/// project it resolved to. Links then carry the id, URLs are shareable as they are, and
/// the browser's data keys never change under it.
pub fn canonical_project_url(project_id: &str) {
    let Some(parts) = use_context::<Parts>() else {
        return;
    };
    let path = parts.uri.path();
    if !path.starts_with("/dashboard") {
        return;
    }
    let query = parts.uri.query().unwrap_or("");
    let mut others = Vec::new();
    let mut current = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("project=") {
            Some(value) => current = Some(value),
            None => others.push(pair),
        }
    }
    if current == Some(crate::format::encode(project_id).as_str()) {
        return;
    }
    others.insert(0, "");
    let rest = others.join("&");
    let target = format!("{path}?project={}{rest}", crate::format::encode(project_id));
    leptos_axum::redirect(&target);
}
