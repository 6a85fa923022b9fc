//! One error type for the whole API: every failure becomes
//! `{"error": {"code", "message", "field"?}}` with the right status. User mistakes
//! are 4xx; only genuine server faults are 5xx, and those never echo internals.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug)]
pub enum AppError {
    /// 400: the request is malformed (broken JSON, wrong shape).
    BadRequest(String),
    /// 401: missing, unknown or revoked API key.
    Unauthorized(String),
    /// 403: authenticated, but not allowed here (e.g. another project's name).
    Forbidden(String),
    /// 403: the API key's scope does not grant this; `needs` are the scopes that would.
    OutOfScope {
        message: String,
        needs: Vec<store::KeyScope>,
    },
    /// 404: no such thing in this project (also what another project's ids look like).
    NotFound(String),
    /// 405: the path exists, the method does not.
    MethodNotAllowed(String),
    /// 408: the body did not arrive within the deadline.
    RequestTimeout(String),
    /// 409: the thing exists or was already decided.
    Conflict(String),
    /// 413: the body is over the limit, before or after decompression.
    PayloadTooLarge(String),
    /// 415: a content encoding we do not speak.
    UnsupportedMediaType(String),
    /// 422: well-formed but invalid, naming the field.
    Unprocessable {
        field: Option<String>,
        message: String,
    },
    /// 503: too busy right now (load shed, ingest memory budget held by others);
    /// answered with `Retry-After`.
    Unavailable(String),
    /// 500: our fault. The message is logged, not sent.
    Internal(String),
}

/// Seconds a client is asked to wait before retrying a 503.
pub const RETRY_AFTER_SECS: u64 = 1;

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Unprocessable {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    /// The machine-readable code of the JSON error body (`unauthorized`, `invalid`, ...).
    pub fn code(&self) -> &'static str {
        self.parts().1
    }

    /// With `insufficient_scope`: the key scopes that would be allowed.
    pub fn required_scopes(&self) -> Option<&[store::KeyScope]> {
        match self {
            AppError::OutOfScope { needs, .. } => Some(needs),
            _ => None,
        }
    }

    /// What the client is told; a 500's details are not (they go to the log).
    pub fn client_message(&self) -> String {
        match self {
            AppError::Internal(_) => {
                app::server::internal_message(&crate::request_id::current().unwrap_or_default())
            }
            AppError::Unprocessable { message, .. }
            | AppError::BadRequest(message)
            | AppError::Unauthorized(message)
            | AppError::Forbidden(message)
            | AppError::OutOfScope { message, .. }
            | AppError::NotFound(message)
            | AppError::MethodNotAllowed(message)
            | AppError::RequestTimeout(message)
            | AppError::Conflict(message)
            | AppError::PayloadTooLarge(message)
            | AppError::UnsupportedMediaType(message)
            | AppError::Unavailable(message) => message.clone(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::OutOfScope { .. } => (StatusCode::FORBIDDEN, "insufficient_scope"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::RequestTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            AppError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::Unprocessable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// Store failures mean what the service says they mean.
impl From<store::StoreError> for AppError {
    fn from(err: store::StoreError) -> Self {
        service::ServiceError::from(err).into()
    }
}

impl From<service::ServiceError> for AppError {
    fn from(err: service::ServiceError) -> Self {
        use service::ServiceError as E;
        match err {
            E::Invalid { field, message } => AppError::Unprocessable { field, message },
            E::Draft(errors) => AppError::from(errors),
            E::NotFound(m) => AppError::NotFound(m),
            E::Conflict(m) => AppError::Conflict(m),
            E::Forbidden(m) => AppError::Forbidden(m),
            E::OutOfScope { scope, needs, what } => AppError::OutOfScope {
                message: E::OutOfScope {
                    scope,
                    needs: needs.clone(),
                    what,
                }
                .to_string(),
                needs,
            },
            E::Internal(m) => AppError::Internal(m),
        }
    }
}

/// A whole ingest request refused: malformed (400), too large (413), the memory
/// budget held by others (503), or what the service says.
impl From<service::ingest::BatchError> for AppError {
    fn from(err: service::ingest::BatchError) -> Self {
        use service::ingest::BatchError as E;
        match err {
            E::Malformed(m) => AppError::BadRequest(m),
            E::TooLarge(m) => AppError::PayloadTooLarge(m),
            E::Busy(m) => AppError::Unavailable(m),
            E::Service(e) => e.into(),
        }
    }
}

/// Field errors: the first error's field, every message (as the service words them).
impl From<Vec<policy::FieldError>> for AppError {
    fn from(errors: Vec<policy::FieldError>) -> Self {
        service::ServiceError::from(errors).into()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let retry = matches!(self, AppError::Unavailable(_));
        let needs = self.required_scopes().map(<[store::KeyScope]>::to_vec);
        let (message, field) = match self {
            AppError::Internal(detail) => {
                let id = crate::request_id::current().unwrap_or_default();
                tracing::error!(request_id = %id, %detail, "internal error");
                (app::server::internal_message(&id), None)
            }
            AppError::Unprocessable { field, message } => (message, field),
            AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::OutOfScope { message: m, .. }
            | AppError::NotFound(m)
            | AppError::MethodNotAllowed(m)
            | AppError::RequestTimeout(m)
            | AppError::Conflict(m)
            | AppError::PayloadTooLarge(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::Unavailable(m) => (m, None),
        };
        let mut error = json!({ "code": code, "message": message });
        if let Some(field) = field {
            error["field"] = json!(field);
        }
        if let Some(needs) = needs {
            error["required_scopes"] = json!(needs);
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            if let Some(id) = crate::request_id::current() {
                error["request_id"] = json!(id);
            }
        }
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if retry {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(RETRY_AFTER_SECS),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, AppError>;

/// The error body, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Machine-readable: bad_request, unauthorized, not_found, conflict, invalid, ...
    code: String,
    message: String,
    /// The offending field's path, e.g. `rules[2].action`.
    field: Option<String>,
    /// With `insufficient_scope`: the key scopes that would be allowed, narrowest first.
    required_scopes: Option<Vec<String>>,
    /// On a 500: the request's id (also in `X-Request-Id`), under which the server log
    /// has the details.
    request_id: Option<String>,
}
