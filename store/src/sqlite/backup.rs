//! Online backup and restore of the embedded SQLite database. A backup is `VACUUM INTO`
//! a new file: one read transaction, so the copy is the database as of one instant
//! (every commit before it, none after) while the server goes on serving and writing
//! beside it (WAL lets readers and the writer run together). It is written under a
//! temporary name and renamed when complete, so a file under the asked name is always
//! a whole snapshot. A restore copies a snapshot the same way into an empty database,
//! then migrates it (a snapshot taken by an older version is upgraded).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};

use crate::{StoreError, StoreOptions};

/// What a snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotSummary {
    pub path: PathBuf,
    pub bytes: u64,
    pub projects: i64,
    pub events: i64,
}

fn file_of(url: &str) -> Result<PathBuf, StoreError> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Err(StoreError::Invalid(
            "an in-memory database has no file to back up or restore into".to_string(),
        ));
    }
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Err(StoreError::Invalid(
            "backup and restore take a SQLite database (sqlite://FILE); for PostgreSQL use \
             pg_dump and pg_restore (README, PostgreSQL)"
                .to_string(),
        ));
    };
    let file = rest.split('?').next().unwrap_or(rest);
    if file.is_empty() {
        return Err(StoreError::Invalid(
            "the SQLite URL names no file".to_string(),
        ));
    }
    Ok(PathBuf::from(file))
}

/// A connection to an existing Preflight database file (never creating one).
async fn connect_existing(file: &Path, read_only: bool) -> Result<SqliteConnection, StoreError> {
    if !file.is_file() {
        return Err(StoreError::Invalid(format!(
            "no database file at {}",
            file.display()
        )));
    }
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", file.display()))
        .map_err(|e| StoreError::Invalid(format!("cannot read {}: {e}", file.display())))?
        .create_if_missing(false)
        .read_only(read_only)
        .busy_timeout(std::time::Duration::from_secs(10));
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let migrated: Result<i64, sqlx::Error> =
        sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut conn)
            .await
            .and_then(|r| r.try_get(0));
    match migrated {
        Ok(n) if n > 0 => Ok(conn),
        _ => Err(StoreError::Invalid(format!(
            "{} is not a Preflight database",
            file.display()
        ))),
    }
}

/// `VACUUM INTO` a temporary file beside `to`, then renamed to `to`.
async fn vacuum_into(conn: &mut SqliteConnection, to: &Path) -> Result<(), StoreError> {
    let partial = partial_name(to);
    let _ = std::fs::remove_file(&partial);
    let target = partial.display().to_string();
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(&target)
        .execute(&mut *conn)
        .await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e.into());
    }
    std::fs::rename(&partial, to)
        .map_err(|e| StoreError::Database(format!("cannot move the copy to {}: {e}", to.display())))
}

fn partial_name(to: &Path) -> PathBuf {
    let mut name = to.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    to.with_file_name(name)
}

async fn summarise(path: &Path) -> Result<SnapshotSummary, StoreError> {
    let mut conn = connect_existing(path, true).await?;
    let count = |sql: &'static str| sqlx::query(sql);
    let projects: i64 = count("SELECT COUNT(*) FROM projects")
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    let events: i64 = count("SELECT COUNT(*) FROM events")
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    conn.close().await?;
    Ok(SnapshotSummary {
        path: path.to_path_buf(),
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        projects,
        events,
    })
}

/// A consistent snapshot of the SQLite database at `url` into the new file `to`
/// (never overwritten), taken while the database is in use.
pub async fn backup_sqlite(url: &str, to: &Path) -> Result<SnapshotSummary, StoreError> {
    let from = file_of(url)?;
    if to.exists() {
        return Err(StoreError::Conflict(format!(
            "{} exists; a backup never overwrites a file",
            to.display()
        )));
    }
    let mut conn = connect_existing(&from, true).await?;
    vacuum_into(&mut conn, to).await?;
    conn.close().await?;
    summarise(to).await
}

/// Restores the snapshot `from` into the SQLite database at `url`, which must not exist
/// yet or hold nothing (no project, no account); then migrates it.
pub async fn restore_sqlite(from: &Path, url: &str) -> Result<SnapshotSummary, StoreError> {
    let to = file_of(url)?;
    let mut snapshot = connect_existing(from, true).await?;
    let empty_file = std::fs::metadata(&to).is_ok_and(|m| m.len() == 0);
    if to.exists() && !empty_file {
        let mut existing = connect_existing(&to, true).await?;
        let held: i64 =
            sqlx::query("SELECT (SELECT COUNT(*) FROM projects) + (SELECT COUNT(*) FROM users)")
                .fetch_one(&mut existing)
                .await?
                .try_get(0)?;
        existing.close().await?;
        if held > 0 {
            return Err(StoreError::Conflict(format!(
                "{} already holds data; restore into a new or empty database",
                to.display()
            )));
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = to.as_os_str().to_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    vacuum_into(&mut snapshot, &to).await?;
    snapshot.close().await?;
    // Migrations newer than the snapshot run now.
    drop(crate::open(url, StoreOptions::default()).await?);
    summarise(&to).await
}
