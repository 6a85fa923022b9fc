//! Preflight's data layer: one storage trait, [`Store`], with a SQLite and a
//! PostgreSQL implementation. [`open`] picks one from the URL (`sqlite://FILE`, the
//! embedded default, or `postgres://…`), runs that backend's migrations
//! (`migrations/sqlite`, `migrations/postgres`, embedded at build time) and returns an
//! `Arc<dyn Store>`.
//!
//! # Schema
//!
//! Times are integer microseconds since the Unix epoch ([`Timestamp`] in the model,
//! RFC 3339 in JSON); ids are short random strings with a prefix (`proj_…`, `key_…`,
//! `ds_…`, `sim_…`, `apr_…`).
//!
//! - `projects` — the tenant directory: id, unique name, retention.
//! - `api_keys` — SHA-256 hash of each key (never the key), a 10-character prefix to
//!   recognise it, revocation time.
//! - `events` — one row per span, unique on (project, trace, span); a re-sent span is
//!   upserted, and only an actual change rewrites the row. `policy_relevant` is
//!   derived at ingest (audit kinds, non-allowed verdicts, payloads with
//!   `policy_decisions`) so the audit log is a partial-index range. The replay scan
//!   reads a (covering, on SQLite) index in time order.
//! - `traces` — per-trace aggregates (start, end, session, count, cost, verdict
//!   counts), recomputed in the ingest transaction for every trace it changed, so
//!   listing traces and threads never groups the whole events table.
//! - `datasets`, `dataset_items` — named sets of pinned trace ids. Items reference
//!   their dataset by (project, dataset) and cascade with it; they have no foreign key
//!   to events, which deleting a dataset never touches. Pinned traces are exempt from
//!   retention pruning. Every change of a dataset's membership (created, pinned,
//!   unpinned, imported) bumps `datasets.version` and adds a `dataset_versions` row
//!   (who, when, how many added and removed) in the same transaction;
//!   `dataset_membership` holds each trace's membership as a range of versions, so
//!   any version's members can be read back. `dataset_expectations` hold what a
//!   pinned trace's events must keep getting (`policy::Expectation`); unpinning a
//!   trace drops its expectations.
//! - `policy_versions` (append-only, numbered per project from 1; 0 is the implicit
//!   empty set), `simulations`, `approvals` (`pending` until decided once).
//!
//! Every project-owned table has `project_id`, and every query of the application
//! filters on it.
//!
//! # PostgreSQL row-level security
//!
//! On PostgreSQL, project isolation does not rest on those filters alone. Each
//! project-owned table has row-level security ENABLED and FORCED (so it binds the
//! owning role that runs the migrations and the application), with one policy
//! `USING (project_id = current_setting('app.project_id', true))` and the same
//! `WITH CHECK`. Every project-scoped operation runs in a transaction whose first
//! statement is `SELECT set_config('app.project_id', $1, true)`; the setting is
//! transaction-local, so a pooled connection cannot carry it into the next
//! transaction. A query that forgot its `project_id` filter still sees only the
//! current project's rows, a write of another project's `project_id` fails, and a
//! transaction that never set the project sees nothing.
//!
//! `projects` itself has no RLS: it is the directory the console operator lists, and
//! authentication must read it before a project is known.
//!
//! **Authentication before a project is known.** The key's project has to be found
//! from the key. A SECURITY DEFINER function would have to be owned by a second role
//! exempt from RLS, which a non-superuser application role cannot create, so the store
//! uses a narrowly scoped setting instead: the authenticate transaction (and only it)
//! sets `app.auth_lookup` to the SHA-256 hash of the presented key, and a second,
//! SELECT-only policy on `api_keys`,
//! `USING (key_hash = current_setting('app.auth_lookup', true))`, reveals exactly the
//! row with that hash. Seeing a key row this way requires already knowing its key's
//! hash, grants no writes, and no other table honours the setting. The row found is
//! then compared to the computed hash in constant time and checked for revocation.
//!
//! Superusers and `BYPASSRLS` roles ignore all of this, so [`open`] refuses them
//! unless [`StoreOptions::allow_rls_bypass`] is set (development only). A proper role:
//!
//! ```sql
//! CREATE ROLE preflight LOGIN PASSWORD '...' NOSUPERUSER NOBYPASSRLS;
//! CREATE DATABASE preflight OWNER preflight;
//! ```
//!
//! SQLite has no row-level security; there the query filters are the only wall, and
//! the contract tests check them method by method on both backends.

use std::sync::Arc;

pub mod copy;
mod cursor;
mod error;
mod ids;
mod keys;
mod model;
mod postgres;
mod query;
mod sql;
mod sqlite;
mod time;
mod traits;

pub use error::StoreError;
pub use keys::shown_prefix as api_key_prefix;
pub use model::{
    AccountChange, AccountChangeKind, AddItemsOutcome, ApiKeyInfo, Approval, Dataset,
    DatasetChangeKind, DatasetDetail, DatasetExpectation, DatasetItem, DatasetMembers,
    DatasetVersion, DecideOutcome, HourlyCalls, KeyGrant, KeyScope, MembershipChange, NewApiKey,
    PasswordChange, PolicyVersion, PoolStats, Project, ProjectChange, ProjectChangeKind, Role,
    RollupDrift, Simulation, StoredEvent, User, VERSION_TRACE_LIST,
};
pub use query::{
    AuditFilter, AuditPage, EventScan, Page, PageRequest, ThreadFilter, ThreadPage, ThreadSummary,
    TraceFilter, TracePage, TraceSummary, VerdictCounts,
};
pub use sqlite::backup::{backup_sqlite, restore_sqlite, SnapshotSummary};
pub use time::{now_micros, Timestamp};
pub use traits::Store;

/// Where the data lives when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://preflight.db";

/// Precedence of a project's implicit version-0 policy.
pub const DEFAULT_PRECEDENCE: &str = "last_match";

/// Options for [`open`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// Let a PostgreSQL superuser or `BYPASSRLS` role through (development only: row
    /// level security does not apply to such roles).
    pub allow_rls_bypass: bool,
}

/// Opens (creating, for SQLite, if missing) and migrates the database at `url`:
/// `sqlite://FILE` / `sqlite:FILE` / `sqlite::memory:`, or
/// `postgres://…` / `postgresql://…`.
pub async fn open(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        sqlite::open(url).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::open(url, options).await
    } else {
        Err(StoreError::Invalid(
            "unsupported database URL: use sqlite://FILE or postgres://USER@HOST/DB".to_string(),
        ))
    }
}

#[cfg(feature = "testing")]
pub mod testing;
