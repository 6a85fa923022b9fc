//! The replay scan on SQLite: one SELECT over the covering index, stepped directly on
//! a pooled connection's SQLite handle in a blocking thread, and handed over in chunks.
//!
//! Why not sqlx's row stream: it sends every row from its worker thread through a
//! channel as a freshly copied `SqliteRow`, which cost several times what SQLite itself
//! spends on the scan (BENCHMARKS.md, "Simulation"). Here rows are decoded where they
//! are stepped and cross threads 1,024 at a time.

use std::str::FromStr;

use futures::stream::BoxStream;
use rusqlite::types::Value as SqlValue;
use sqlx::sqlite::SqlitePool;
use tokio::sync::mpsc;

use crate::sql::{nul, scan::scan_sql, Arg, Dialect};
use crate::{EventScan, StoreError};

/// Events per hand-over from the scanning thread.
const CHUNK: usize = 1_024;
/// Chunks in flight: enough to keep both threads busy, little memory.
const CHUNKS_IN_FLIGHT: usize = 4;

type Chunk = Result<Vec<policy::Event>, StoreError>;

pub(super) fn stream<'a>(
    pool: &'a SqlitePool,
    project_id: &'a str,
    scan: EventScan,
) -> BoxStream<'a, Result<policy::Event, StoreError>> {
    Box::pin(async_stream::try_stream! {
        let (sql, params) = scan_sql(Dialect::Sqlite, project_id, &scan);
        let params: Vec<SqlValue> = params.args.iter().map(owned).collect();
        let conn = pool.acquire().await?;
        let (tx, mut rx) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
        let worker = tokio::task::spawn_blocking(move || {
            if let Err(err) = scan_blocking(conn, &sql, &params, &tx) {
                // The receiver may be gone (the caller stopped reading): nothing to tell.
                let _ = tx.blocking_send(Err(err));
            }
        });
        while let Some(chunk) = rx.recv().await {
            for event in chunk? {
                yield event;
            }
        }
        worker
            .await
            .map_err(|e| StoreError::Database(format!("the scan thread failed: {e}")))?;
    })
}

/// Steps the query to the end, or until the receiver is dropped.
fn scan_blocking(
    mut conn: sqlx::pool::PoolConnection<sqlx::Sqlite>,
    sql: &str,
    params: &[SqlValue],
    tx: &mpsc::Sender<Chunk>,
) -> Result<(), StoreError> {
    let mut handle = tokio::runtime::Handle::current().block_on(conn.lock_handle())?;
    // SAFETY: the handle is an open connection that sqlx's worker has handed over to us
    // (`lock_handle`) until `handle` drops, after `db`; `from_handle` borrows it without
    // ever closing it.
    let db = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }
        .map_err(sqlite_error)?;
    let mut statement = db.prepare(sql).map_err(sqlite_error)?;
    let mut rows = statement
        .query(rusqlite::params_from_iter(params))
        .map_err(sqlite_error)?;
    let mut chunk = Vec::with_capacity(CHUNK);
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        chunk.push(event(row)?);
        if chunk.len() == CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            if tx.blocking_send(Ok(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.blocking_send(Ok(chunk));
    }
    drop(rows);
    drop(statement);
    drop(db);
    drop(handle);
    Ok(())
}

/// Columns by position, as `scan_sql` lists them.
fn event(row: &rusqlite::Row<'_>) -> Result<policy::Event, StoreError> {
    let verdict: String = row.get(7).map_err(sqlite_error)?;
    Ok(policy::Event {
        kind: row.get(0).map_err(sqlite_error)?,
        tool: row.get(1).map_err(sqlite_error)?,
        agent: row.get(2).map_err(sqlite_error)?,
        cost_usd: row.get(3).map_err(sqlite_error)?,
        timestamp: Some(row.get(4).map_err(sqlite_error)?),
        trace_id: row.get(5).map_err(sqlite_error)?,
        span_id: row.get(6).map_err(sqlite_error)?,
        recorded: policy::Verdict::from_str(&verdict)
            .map_err(|_| StoreError::Database(format!("unknown verdict {verdict:?} stored")))?,
    })
}

/// A parameter as SQLite gets it, bound the way `conn::bind` binds it for sqlx.
fn owned(arg: &Arg<'_>) -> SqlValue {
    match *arg {
        Arg::Text(v) | Arg::OptText(Some(v)) => SqlValue::Text(nul::text(v).into_owned()),
        Arg::OptText(None) | Arg::OptInt(None) | Arg::OptReal(None) => SqlValue::Null,
        Arg::Int(v) | Arg::OptInt(Some(v)) => SqlValue::Integer(v),
        Arg::OptReal(Some(v)) => SqlValue::Real(v),
        Arg::Bool(v) => SqlValue::Integer(i64::from(v)),
        Arg::Json(v) => SqlValue::Text(nul::json(v).to_string()),
        // Read back with json_each (see `Dialect::in_list`).
        Arg::TextList(v) => {
            SqlValue::Text(serde_json::to_string(&nul::list(v)).unwrap_or_else(|_| "[]".into()))
        }
    }
}

fn sqlite_error(err: rusqlite::Error) -> StoreError {
    StoreError::Database(err.to_string())
}
