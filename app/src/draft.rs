//! The draft editor's starting point. Reading, compiling and previewing a draft is the
//! `policy` crate's (`policy::Draft`, `policy::preview`, `policy::differences`), so the
//! browser, the server and the CLI judge a draft by the very same code.

/// The example the "Run draft policy" editor starts with.
pub const EXAMPLE_DRAFT: &str = r#"{
  "kind": "block",
  "pattern": "payments.refund",
  "cost_max_usd": 0.05
}"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_example_is_a_valid_single_rule() {
        let draft = policy::Draft::from_text(EXAMPLE_DRAFT).unwrap();
        assert_eq!(draft.unmatched, policy::Unmatched::KeepRecorded);
    }
}
