//! API-key authentication: `Authorization: Bearer jj_...` decides the project.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{AppError, AppState};

/// The authenticated caller of a `/v1` endpoint, as the service layer takes it: the
/// key (by its prefix and scope) acting on its project; each operation checks the
/// scope. Every handler that takes one is scoped
/// to that project, and never sees another project's rows.
pub struct Caller(pub service::Caller);

impl std::ops::Deref for Caller {
    type Target = service::Caller;

    fn deref(&self) -> &service::Caller {
        &self.0
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                AppError::Unauthorized(
                    "missing API key: send `Authorization: Bearer <key>`".to_string(),
                )
            })?;
        let key = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                AppError::Unauthorized(
                    "malformed Authorization header: expected `Bearer <key>`".to_string(),
                )
            })?;
        match state.store.authenticate(key).await? {
            Some(grant) => Ok(Caller(service::Caller::key(
                store::api_key_prefix(key),
                grant.scope,
                grant.project,
            ))),
            None => Err(AppError::Unauthorized(
                "unknown or revoked API key".to_string(),
            )),
        }
    }
}
