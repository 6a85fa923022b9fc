//! Names and free text people type: trimmed, non-empty, bounded. One set of limits for
//! the REST API, the dashboard and the CLI.
use crate::{ServiceError, ServiceResult};

/// Longest dataset name, in characters.
pub const MAX_DATASET_NAME_CHARS: usize = 200;
/// Longest project name, in characters.
pub const MAX_PROJECT_NAME_CHARS: usize = 100;
/// Longest policy version message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Longest approval decision reason, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// `text` trimmed; an error naming `field` when it is empty or longer than `max`
/// characters.
pub fn required(field: &str, text: &str, max: usize) -> ServiceResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(text.to_string())
}

/// Optional text trimmed, blank as `None`; an error naming `field` when longer than
/// `max` characters.
pub fn optional(field: &str, text: Option<String>, max: usize) -> ServiceResult<Option<String>> {
    let Some(text) = text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(required("name", "  a b ", 5), Ok("a b".to_string()));
        assert_eq!(
            required("name", " ", 5),
            Err(ServiceError::invalid("name", "must not be empty"))
        );
        assert_eq!(
            required("name", "ééééééé", 5),
            Err(ServiceError::invalid("name", "longer than 5 characters"))
        );
        assert_eq!(optional("m", Some("  ".into()), 3), Ok(None));
        assert_eq!(optional("m", None, 3), Ok(None));
        assert_eq!(optional("m", Some(" ab ".into()), 3), Ok(Some("ab".into())));
        assert!(optional("m", Some("abcd".into()), 3).is_err());
    }
}
