//! The one error of every domain operation. Each variant is what the caller can act
//! on; the transports map it to their own answer (HTTP status and JSON body for the
//! REST API, a server function error with the same status for the dashboard).
use policy::FieldError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    /// The input is invalid (422), naming the field when there is one.
    #[error("{}", with_field(field.as_deref(), message))]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// A draft policy is invalid (422); each error names its field inside the draft.
    #[error("{}", policy::join_errors(.0))]
    Draft(Vec<FieldError>),
    /// No such thing in this project (404); another project's ids look the same.
    #[error("{0}")]
    NotFound(String),
    /// Taken, already decided, or changed meanwhile (409).
    #[error("{0}")]
    Conflict(String),
    /// Known but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// An API key asked for more than its scope grants (403), naming the scopes that
    /// would do.
    #[error(
        "{what} needs a key with scope {}; this key's scope is `{scope}`",
        scope_list(needs)
    )]
    OutOfScope {
        scope: store::KeyScope,
        needs: Vec<store::KeyScope>,
        what: &'static str,
    },
    /// A fault of ours or the database's (500); the text is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

fn scope_list(scopes: &[store::KeyScope]) -> String {
    scopes
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

fn with_field(field: Option<&str>, message: &str) -> String {
    match field {
        Some(f) if !f.is_empty() => format!("{f}: {message}"),
        _ => message.to_string(),
    }
}

impl ServiceError {
    /// 422 naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// The error with a store `NotFound` said in words (`no dataset "x" in this project`).
    pub fn not_found(what: impl Into<String>) -> impl FnOnce(store::StoreError) -> ServiceError {
        let what = what.into();
        move |e| match e {
            store::StoreError::NotFound => ServiceError::NotFound(what),
            other => other.into(),
        }
    }
}

impl From<store::StoreError> for ServiceError {
    fn from(err: store::StoreError) -> Self {
        match err {
            store::StoreError::NotFound => ServiceError::NotFound("not found".to_string()),
            store::StoreError::Conflict(m) => ServiceError::Conflict(m),
            store::StoreError::Invalid(m) => ServiceError::Invalid {
                field: None,
                message: m,
            },
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

/// Rule-set errors (not a draft's): the first error's field, every message.
impl From<Vec<FieldError>> for ServiceError {
    fn from(errors: Vec<FieldError>) -> Self {
        let field = errors
            .first()
            .map(|e| e.field.clone())
            .filter(|f| !f.is_empty());
        let message = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        ServiceError::Invalid { field, message }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_keep_their_meaning() {
        assert_eq!(
            ServiceError::from(store::StoreError::Conflict("taken".into())),
            ServiceError::Conflict("taken".into())
        );
        assert!(matches!(
            ServiceError::from(store::StoreError::Database("boom".into())),
            ServiceError::Internal(_)
        ));
        let e = ServiceError::not_found("no dataset \"x\"")(store::StoreError::NotFound);
        assert_eq!(e, ServiceError::NotFound("no dataset \"x\"".into()));
    }

    #[test]
    fn messages_name_the_field() {
        assert_eq!(
            ServiceError::invalid("name", "must not be empty").to_string(),
            "name: must not be empty"
        );
        let e = ServiceError::from(vec![
            FieldError::new("rules[0].action", "unknown"),
            FieldError::new("rules[1].pattern", "empty"),
        ]);
        assert_eq!(
            e,
            ServiceError::Invalid {
                field: Some("rules[0].action".into()),
                message: "rules[0].action: unknown; rules[1].pattern: empty".into()
            }
        );
    }
}
