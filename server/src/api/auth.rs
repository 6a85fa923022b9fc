//! API-key authentication: `Authorization: Bearer jj_...` decides the project.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{AppError, AppState};

/// The authenticated caller of a `/v1` endpoint: every handler that takes one is
/// scoped to `project`, and never sees another project's rows.
pub struct Caller {
    pub project: store::Project,
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
            Some(project) => Ok(Caller { project }),
            None => Err(AppError::Unauthorized(
                "unknown or revoked API key".to_string(),
            )),
        }
    }
}
