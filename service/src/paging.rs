//! Page sizes of the reads that a project's data can make large: a trace's events, a
//! replay bundle, approvals, datasets and their items, policy versions. Each read
//! takes a `limit` (its default when absent, at most its max: a larger one is
//! lowered, `0` is refused) and a `cursor` (the previous page's `next_cursor`), so no
//! answer grows with what the project holds.
use crate::{ServiceError, ServiceResult};

/// A read's page size: what it gives when no limit is asked, and the most it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub default: u32,
    pub max: u32,
}

/// Lists of small rows: traces, threads, the audit log, approvals, datasets, a
/// dataset's items.
pub const LISTS: Limits = Limits {
    default: 50,
    max: 500,
};

/// Policy versions: each carries its whole rule set and its diff.
pub const POLICY_VERSIONS: Limits = Limits {
    default: 20,
    max: 100,
};

/// One trace's events (`GET /v1/traces/{id}`).
pub const TRACE_EVENTS: Limits = Limits {
    default: 1_000,
    max: 5_000,
};

/// Events in one replay bundle: the whole trace when it fits.
pub const REPLAY_EVENTS: Limits = Limits {
    default: 5_000,
    max: 5_000,
};

impl Limits {
    /// The page size for an asked `limit`.
    pub fn limit(self, asked: Option<u32>) -> ServiceResult<u32> {
        match asked {
            None => Ok(self.default),
            Some(0) => Err(ServiceError::invalid("limit", "must be at least 1")),
            Some(n) => Ok(n.min(self.max)),
        }
    }

    /// The page to read for an asked `cursor` and `limit`.
    pub fn page(
        self,
        cursor: Option<String>,
        asked: Option<u32>,
    ) -> ServiceResult<store::PageRequest> {
        Ok(store::PageRequest {
            cursor,
            limit: self.limit(asked)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_cap_and_refuse_zero() {
        assert_eq!(LISTS.limit(None), Ok(50));
        assert_eq!(LISTS.limit(Some(7)), Ok(7));
        assert_eq!(LISTS.limit(Some(100_000)), Ok(500));
        assert!(LISTS.limit(Some(0)).is_err());
        let page = TRACE_EVENTS.page(Some("c".into()), None).unwrap();
        assert_eq!(page, store::PageRequest::after("c", 1_000));
    }
}
