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
/// characters. The length is counted as sent, white space included, so that the limit
/// is the one the API documents (`maxLength`).
pub fn required(field: &str, text: &str, max: usize) -> ServiceResult<String> {
    check_length(field, text, max)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    Ok(text.to_string())
}

/// Optional text trimmed, blank as `None`; an error naming `field` when longer than
/// `max` characters (counted as sent).
pub fn optional(field: &str, text: Option<String>, max: usize) -> ServiceResult<Option<String>> {
    let Some(text) = text else {
        return Ok(None);
    };
    check_length(field, &text, max)?;
    let text = text.trim();
    Ok((!text.is_empty()).then(|| text.to_string()))
}

fn check_length(field: &str, text: &str, max: usize) -> ServiceResult<()> {
    if text.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(required("name", "  a b ", 6), Ok("a b".to_string()));
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
        assert_eq!(optional("m", Some(" ab ".into()), 4), Ok(Some("ab".into())));
        assert!(optional("m", Some("abcd".into()), 3).is_err());
        // As sent: surrounding white space counts toward the limit.
        assert!(required("name", " abc ", 4).is_err());
        assert!(optional("m", Some(" ab ".into()), 3).is_err());
    }
}
