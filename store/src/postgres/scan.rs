//! The replay scan on PostgreSQL: a streaming SELECT inside a project-scoped
//! transaction (RLS applies to it like to everything else).

use std::str::FromStr;

use futures::stream::BoxStream;
use futures::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::Row;

use super::conn::bind;
use super::Postgres;
use crate::sql::{scan::scan_sql, Access, Backend, Dialect, Scope};
use crate::{EventScan, StoreError};

pub(super) fn stream<'a>(
    pg: &'a Postgres,
    project_id: &'a str,
    scan: EventScan,
) -> BoxStream<'a, Result<policy::Event, StoreError>> {
    Box::pin(async_stream::try_stream! {
        let mut tx = pg.begin(Scope::Project(project_id), Access::Read).await?;
        // A dataset's events are sorted by time after they are read trace by trace; the
        // default 4 MB of work_mem spilled 30,000 of them to disk (EXPLAIN ANALYZE:
        // external merge, 46 ms; in memory 33 ms). For this transaction only.
        sqlx::query("SET LOCAL work_mem = '64MB'").execute(&mut *tx.0).await?;
        let (sql, params) = scan_sql(Dialect::Postgres, project_id, &scan);
        let mut rows = bind(sqlx::query(&sql), &params.args).fetch(&mut *tx.0);
        while let Some(row) = rows.try_next().await? {
            yield event(&row)?;
        }
    })
}

/// Columns by position, as `scan_sql` lists them.
fn event(row: &PgRow) -> Result<policy::Event, StoreError> {
    let verdict: &str = row.try_get(7)?;
    Ok(policy::Event {
        kind: row.try_get(0)?,
        tool: row.try_get(1)?,
        agent: row.try_get(2)?,
        cost_usd: row.try_get(3)?,
        timestamp: Some(row.try_get(4)?),
        trace_id: row.try_get(5)?,
        span_id: row.try_get(6)?,
        recorded: policy::Verdict::from_str(verdict)
            .map_err(|_| StoreError::Database(format!("unknown verdict {verdict:?} stored")))?,
    })
}
