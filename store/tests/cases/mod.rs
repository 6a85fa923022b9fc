//! Contract cases: `async fn(&dyn Store)`, backend-agnostic.
pub mod accounts;
pub mod approvals;
pub mod audit;
pub mod changes;
pub mod datasets;
pub mod ingest;
pub mod isolation;
pub mod keys;
pub mod paging;
pub mod policy;
pub mod projects;
pub mod prune;
pub mod rollups;
pub mod scan;
pub mod threads;
pub mod traces;

/// A page large enough for every row these cases make.
pub fn all() -> store::PageRequest {
    store::PageRequest::first(1_000)
}
