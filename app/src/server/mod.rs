//! Server-only support for the server functions and SSR (feature `ssr`): the store
//! from context, which project a request is for, cookies, and the simulation that
//! the REST API and the dashboard share.
use std::sync::Arc;

use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use http::HeaderValue;
use leptos::prelude::*;

pub mod simulation;

/// Cookie remembering the last project chosen with `?project=`.
pub const PROJECT_COOKIE: &str = "preflight_project";
/// Cookie holding the theme (`dark` or `light`).
pub const THEME_COOKIE: &str = "preflight_theme";

/// The store the router put in context (`leptos_routes_with_context`).
pub fn use_store() -> Result<Arc<dyn store::Store>, ServerFnError> {
    use_context::<Arc<dyn store::Store>>().ok_or_else(|| {
        ServerFnError::new("the dashboard has no store in context (server misconfigured)")
    })
}

/// A store error in words an operator can act on.
/// A store failure as a server function error, with the status it deserves: the
/// caller's mistakes (not found, invalid, taken) are 4xx, the database's are 5xx.
pub fn store_error(err: store::StoreError) -> ServerFnError {
    use http::StatusCode;
    match err {
        store::StoreError::NotFound => {
            user_error(StatusCode::NOT_FOUND, "not found in this project")
        }
        store::StoreError::Invalid(m) => user_error(StatusCode::UNPROCESSABLE_ENTITY, m),
        store::StoreError::Conflict(m) => user_error(StatusCode::CONFLICT, m),
        other => ServerFnError::new(other.to_string()),
    }
}

/// The value of a cookie on the current request.
pub fn cookie(name: &str) -> Option<String> {
    let parts = use_context::<Parts>()?;
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
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

/// Which project this request is for: THE one place that decides (sign-in will check
/// the user's access here). In order: the `?project=` the page asked for (an id, or a
/// name), the project remembered in the cookie, the first project. An explicit choice
/// is remembered. `None` when there is no project at all.
pub async fn resolve_project(
    requested: Option<String>,
) -> Result<Option<store::Project>, ServerFnError> {
    let projects = visible_projects().await?;
    let find = |key: &str| {
        projects
            .iter()
            .find(|p| p.id == key)
            .or_else(|| projects.iter().find(|p| p.name == key))
            .cloned()
    };
    let requested = requested.filter(|r| !r.is_empty());
    if let Some(project) = requested.as_deref().and_then(find) {
        if cookie(PROJECT_COOKIE).as_deref() != Some(project.id.as_str()) {
            set_cookie(PROJECT_COOKIE, &project.id);
        }
        return Ok(Some(project));
    }
    if let Some(project) = cookie(PROJECT_COOKIE).as_deref().and_then(find) {
        return Ok(Some(project));
    }
    Ok(projects.into_iter().next())
}

/// The store and a resolved project: what most server functions start from.
pub type Ctx = (Arc<dyn store::Store>, store::Project);

/// The store and the project the page asked for, or `None` when there is no project.
pub async fn context(project: Option<String>) -> Result<Option<Ctx>, ServerFnError> {
    let store = use_store()?;
    Ok(resolve_project(project).await?.map(|p| (store, p)))
}

/// `context` for changes, which need a project: without one the answer is 410.
pub async fn require(project: Option<String>) -> Result<Ctx, ServerFnError> {
    context(project)
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

/// The projects the signed-in account may see (admins: all), oldest first.
pub async fn visible_projects() -> Result<Vec<store::Project>, ServerFnError> {
    let user = current_user()?;
    let projects = use_store()?.list_projects().await.map_err(store_error)?;
    Ok(projects
        .into_iter()
        .filter(|p| user.can_see(&p.id))
        .collect())
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

/// 409: the name is taken.
pub fn conflict(message: impl Into<String>) -> ServerFnError {
    user_error(http::StatusCode::CONFLICT, message)
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
