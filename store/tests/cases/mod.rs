//! Contract cases: `async fn(&dyn Store)`, backend-agnostic.
pub mod accounts;
pub mod approvals;
pub mod audit;
pub mod changes;
pub mod datasets;
pub mod ingest;
pub mod isolation;
pub mod keys;
pub mod policy;
pub mod projects;
pub mod prune;
pub mod scan;
pub mod threads;
pub mod traces;
