//! The replay scan on SQLite: one streaming SELECT over the covering index.

use std::str::FromStr;

use futures::stream::BoxStream;
use futures::TryStreamExt;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::Row;

use super::conn::bind;
use crate::sql::{scan::scan_sql, Dialect};
use crate::{EventScan, StoreError};

pub(super) fn stream<'a>(
    pool: &'a SqlitePool,
    project_id: &'a str,
    scan: EventScan,
) -> BoxStream<'a, Result<policy::Event, StoreError>> {
    Box::pin(async_stream::try_stream! {
        let (sql, params) = scan_sql(Dialect::Sqlite, project_id, &scan);
        // One statement reads one consistent WAL snapshot; no transaction needed.
        let mut rows = bind(sqlx::query(&sql), &params.args).fetch(pool);
        while let Some(row) = rows.try_next().await? {
            yield event(&row)?;
        }
    })
}

/// Columns by position, as `scan_sql` lists them.
fn event(row: &SqliteRow) -> Result<policy::Event, StoreError> {
    let verdict: &str = row.try_get(7)?;
    Ok(policy::Event {
        kind: row.try_get(0)?,
        tool: row.try_get(1)?,
        agent: row.try_get(2)?,
        cost_usd: row.try_get_unchecked(3)?,
        timestamp: Some(row.try_get(4)?),
        trace_id: row.try_get(5)?,
        span_id: row.try_get(6)?,
        recorded: policy::Verdict::from_str(verdict)
            .map_err(|_| StoreError::Database(format!("unknown verdict {verdict:?} stored")))?,
    })
}
