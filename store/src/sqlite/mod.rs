//! SQLite: the embedded default. One writer connection (SQLite allows one writer at a
//! time anyway; queueing in the pool beats retrying on SQLITE_BUSY) and a few readers,
//! which WAL mode lets run beside the writer.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::sql::{Access, Backend, Dialect, Scope, SqlStore};
use crate::{EventScan, Store, StoreError};

pub(crate) mod backup;
mod conn;
mod scan;

pub(crate) use conn::SqliteTx;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

const READERS: u32 = 4;
/// How long a statement waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct Sqlite {
    writer: SqlitePool,
    reader: SqlitePool,
}

pub(crate) async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|_| {
            StoreError::Invalid("cannot parse the SQLite URL (expected sqlite://FILE)".to_string())
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // Safe with WAL: a power cut may lose the last commits, never corrupt.
        .synchronous(SqliteSynchronous::Normal);
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");

    let mut writer = SqlitePoolOptions::new().max_connections(1);
    if in_memory {
        // An in-memory database lives as long as its connection: keep the one forever.
        writer = writer
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    let writer = writer.connect_with(options.clone()).await?;
    MIGRATOR.run(&writer).await.map_err(sqlx::Error::from)?;
    let reader = if in_memory {
        // Tests only: one connection serves everything (a held scan stream blocks
        // other calls until dropped).
        writer.clone()
    } else {
        SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options)
            .await?
    };
    Ok(Arc::new(SqlStore {
        backend: Sqlite { writer, reader },
    }))
}

#[async_trait::async_trait]
impl Backend for Sqlite {
    type Tx = SqliteTx;
    const DIALECT: Dialect = Dialect::Sqlite;

    fn pool_stats(&self) -> Vec<crate::PoolStats> {
        vec![
            crate::sql::pool_stats(
                "writer",
                &self.writer,
                self.writer.options().get_max_connections(),
            ),
            crate::sql::pool_stats(
                "reader",
                &self.reader,
                self.reader.options().get_max_connections(),
            ),
        ]
    }

    /// SQLite has no row-level security; the scope is enforced by the queries' own
    /// `project_id` filters alone.
    async fn begin(&self, _scope: Scope<'_>, access: Access) -> Result<SqliteTx, StoreError> {
        let tx = match access {
            // IMMEDIATE takes the write lock up front, so a transaction never fails
            // half-way on upgrading a read lock.
            Access::Write => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Access::Read => self.reader.begin().await?,
        };
        Ok(SqliteTx(tx))
    }

    fn scan_events<'a>(
        &'a self,
        project_id: &'a str,
        scan: EventScan,
    ) -> BoxStream<'a, Result<policy::Event, StoreError>> {
        scan::stream(&self.reader, project_id, scan)
    }
}
