//! The backend-neutral implementation. Every query is written once, in the SQL that
//! SQLite and PostgreSQL share (`$n` placeholders, `ON CONFLICT`, `RETURNING`,
//! `IS DISTINCT FROM`); the few differences live in [`Dialect`]. A backend supplies
//! only transactions ([`Backend::begin`], which on PostgreSQL also sets the RLS
//! project), parameter binding and the streaming replay scan.

use futures::stream::BoxStream;
use serde_json::Value;

use crate::{EventScan, StoreError};

mod accounts;
mod approvals;
mod audit;
mod changes;
mod datasets;
mod events;
mod keys;
pub(crate) mod nul;
mod policies;
mod projects;
mod prune;
pub(crate) mod rollups;
pub(crate) mod rows;
pub(crate) mod scan;
mod simulations;
mod store_impl;
mod threads;
mod traces;

/// One bound parameter. Borrowed, so a 500-row insert copies no strings.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(i64),
    OptInt(Option<i64>),
    OptReal(Option<f64>),
    Bool(bool),
    Json(&'a Value),
    /// A list used through [`Dialect::in_list`]: one parameter however long it is.
    TextList(&'a [String]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Membership in the list bound (as [`Arg::TextList`]) at placeholder `$n`.
    pub(crate) fn in_list(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("IN (SELECT value FROM json_each(${n}))"),
            Dialect::Postgres => format!("= ANY(${n})"),
        }
    }

    /// Appended to a `SELECT` whose rows the transaction goes on to update: PostgreSQL
    /// locks them; SQLite's write transactions already take turns.
    pub(crate) fn lock_rows(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// A statement that makes account changes (roles, disabling) take turns until the
    /// transaction ends, so two admins demoting or disabling each other at once cannot
    /// both pass the "another enabled admin remains" check. SQLite needs none: its
    /// write transactions (`BEGIN IMMEDIATE`) already take turns.
    pub(crate) fn serialise_account_changes(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            // Any constant key of this application's own.
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(730170011)"),
        }
    }
}

/// `(…), (…)`: placeholders for `rows` rows of `cols` values. SQLite gets anonymous
/// `?`: it looks numbered `$n` names up in a linear list when binding, which is
/// quadratic over thousands of parameters.
pub(crate) fn values_placeholders(dialect: Dialect, rows: usize, cols: usize) -> String {
    let mut sql = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            match dialect {
                Dialect::Sqlite => sql.push('?'),
                Dialect::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// Collects parameters while a query is assembled, handing out their placeholders.
pub(crate) struct Params<'a> {
    pub(crate) args: Vec<Arg<'a>>,
}

impl<'a> Params<'a> {
    pub(crate) fn new(first: Arg<'a>) -> Self {
        Params { args: vec![first] }
    }

    /// Adds a parameter and returns its placeholder, `$n`.
    pub(crate) fn add(&mut self, arg: Arg<'a>) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }
}

/// Typed access to a result column by name; implemented by each backend's row type.
pub(crate) trait RowGet {
    fn text(&self, col: &str) -> Result<String, StoreError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, col: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn real(&self, col: &str) -> Result<f64, StoreError>;
    fn opt_real(&self, col: &str) -> Result<Option<f64>, StoreError>;
    fn json(&self, col: &str) -> Result<Value, StoreError>;
}

/// An open transaction. Dropping it without `commit` rolls back.
#[async_trait::async_trait]
pub(crate) trait Tx: Send {
    type Row: RowGet + Send;
    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError>;
    async fn fetch_all(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Self::Row>, StoreError>;
    async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<Self::Row>, StoreError>;
    async fn commit(self) -> Result<(), StoreError>;
}

/// What a transaction may see.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// Tables without RLS only: projects.
    Global,
    /// One project's rows (PostgreSQL: `app.project_id`).
    Project(&'a str),
    /// The API key with this hash, whatever its project (PostgreSQL: `app.auth_lookup`).
    KeyLookup(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

#[async_trait::async_trait]
pub(crate) trait Backend: Send + Sync + 'static {
    type Tx: Tx;
    const DIALECT: Dialect;
    async fn begin(&self, scope: Scope<'_>, access: Access) -> Result<Self::Tx, StoreError>;
    fn scan_events<'a>(
        &'a self,
        project_id: &'a str,
        scan: EventScan,
    ) -> BoxStream<'a, Result<policy::Event, StoreError>>;
    fn pool_stats(&self) -> Vec<crate::PoolStats>;
}

/// Usage of one sqlx pool.
pub(crate) fn pool_stats<DB: sqlx::Database>(
    name: &'static str,
    pool: &sqlx::Pool<DB>,
    max: u32,
) -> crate::PoolStats {
    crate::PoolStats {
        pool: name,
        open: pool.size(),
        idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        max,
    }
}

/// A [`crate::Store`] over any backend.
pub(crate) struct SqlStore<B> {
    pub(crate) backend: B,
}

/// Page sizes callers may ask for.
pub(crate) fn page_limit(limit: u32) -> usize {
    limit.clamp(1, 1000) as usize
}

/// Most events one page of a trace holds, whatever is asked.
pub(crate) const MAX_EVENT_PAGE: u32 = 10_000;

/// One more than the page size: the row that tells whether another page follows.
pub(crate) fn plus_one(limit: usize) -> i64 {
    i64::try_from(limit + 1).unwrap_or(i64::MAX)
}

/// Appends "versions older than the cursor's, newest first, one page and one row more"
/// to a query over a `version` column (policy and dataset histories page alike).
pub(crate) fn newest_versions_page(
    sql: &mut String,
    p: &mut Params<'_>,
    before: Option<i64>,
    limit: usize,
) {
    if let Some(before) = before {
        sql.push_str(&format!(" AND version < {}", p.add(Arg::Int(before))));
    }
    sql.push_str(&format!(
        " ORDER BY version DESC LIMIT {}",
        p.add(Arg::Int(plus_one(limit)))
    ));
}

/// Cuts rows read with a `LIMIT` of [`plus_one`]`(limit)` down to the page, with the
/// cursor of its last row (its sort `key`) when the extra row shows that more follow.
pub(crate) fn paginate<T, K: serde::Serialize>(
    mut rows: Vec<T>,
    limit: usize,
    key: impl Fn(&T) -> K,
) -> crate::Page<T> {
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|last| crate::cursor::encode(&key(last)))
    } else {
        None
    };
    crate::Page {
        items: rows,
        next_cursor,
    }
}

/// Trimmed, non-empty, at most 200 characters.
pub(crate) fn clean_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("name must not be empty".to_string()));
    }
    if name.chars().count() > 200 {
        return Err(StoreError::Invalid(
            "name is longer than 200 characters".to_string(),
        ));
    }
    Ok(name.to_string())
}

/// The ids once each, in the order first given.
pub(crate) fn dedup(ids: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect()
}
