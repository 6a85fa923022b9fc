//! Test support (feature `testing`), for this crate's contract tests and the server's
//! API tests: a fresh database per call, so no test depends on what another left.
//!
//! PostgreSQL comes from `PREFLIGHT_TEST_PG_URL` (a superuser URL) or
//! `postgres://postgres@127.0.0.1:5432/postgres`; if neither answers, a throwaway
//! cluster is started with Debian's `initdb`/`postgres` on a free port (see
//! [`cluster`]). If that fails too, every PostgreSQL test panics saying why: they
//! are never skipped silently. Tests connect as [`TEST_ROLE`], a NOSUPERUSER
//! NOBYPASSRLS role, so row-level security applies to them as in production.

// Test scaffolding: a failure here must stop the test loudly.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor, PgConnection, Row};
use tokio::sync::OnceCell;

pub mod cluster;

/// The unprivileged role tests connect as (its password is its name).
pub const TEST_ROLE: &str = "preflight_test";
/// Prefix of the databases this module creates: `pft_<unix secs>_<pid>_<n>`.
const DB_PREFIX: &str = "pft_";
/// Databases left behind by other runs are dropped once this old (or at once when
/// the server is local and their process is gone).
const STALE_AFTER_SECS: u64 = 6 * 3600;
const DEFAULT_SUPERUSER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{secs}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// This process's scratch directory; those of processes that are gone are removed.
fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = std::env::temp_dir();
        cluster::remove_stale_dirs(&tmp, "preflight-test-");
        let dir = tmp.join(format!("preflight-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the test scratch directory");
        dir
    })
}

/// A `sqlite://` URL of a database file that does not exist yet.
pub fn fresh_sqlite_url() -> String {
    let path = scratch_dir().join(format!("db-{}.sqlite", unique_suffix()));
    format!("sqlite://{}", path.display())
}

/// Removes a database made by [`fresh_sqlite_url`] (and its WAL files).
pub fn remove_sqlite(url: &str) {
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}

struct Server {
    superuser: PgConnectOptions,
    superuser_url: String,
}

static SERVER: OnceCell<Result<Server, String>> = OnceCell::const_new();

async fn server() -> &'static Server {
    let server = SERVER.get_or_init(find_or_start_server).await;
    match server {
        Ok(server) => server,
        Err(why) => panic!("PostgreSQL tests cannot run: {why}"),
    }
}

async fn can_connect(options: &PgConnectOptions) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect_with(options)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_string()),
    }
}

async fn find_or_start_server() -> Result<Server, String> {
    let url = std::env::var("PREFLIGHT_TEST_PG_URL")
        .unwrap_or_else(|_| DEFAULT_SUPERUSER_URL.to_string());
    let options =
        PgConnectOptions::from_str(&url).map_err(|e| format!("bad superuser URL {url:?}: {e}"))?;
    let first = match can_connect(&options).await {
        Ok(()) => {
            return prepare(Server {
                superuser: options,
                superuser_url: url,
            })
            .await
        }
        Err(e) => e,
    };
    // Nothing there: start our own. Blocking, but only once per test process.
    let started = cluster::start().map_err(|e| {
        format!(
            "no PostgreSQL at {url} ({first}), and no throwaway cluster either: {e}. \
             Install PostgreSQL (apt-get install postgresql) or set PREFLIGHT_TEST_PG_URL \
             to a superuser URL"
        )
    })?;
    let options = PgConnectOptions::from_str(&started).map_err(|e| e.to_string())?;
    can_connect(&options)
        .await
        .map_err(|e| format!("started a throwaway cluster at {started} but cannot connect: {e}"))?;
    prepare(Server {
        superuser: options,
        superuser_url: started,
    })
    .await
}

/// Makes sure the test role exists with the right attributes, and drops databases
/// that crashed runs left behind.
async fn prepare(server: Server) -> Result<Server, String> {
    let mut conn = PgConnection::connect_with(&server.superuser)
        .await
        .map_err(|e| e.to_string())?;
    let create = format!(
        "DO $$ BEGIN \
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{TEST_ROLE}') THEN \
             CREATE ROLE {TEST_ROLE} LOGIN; \
           END IF; \
         END $$"
    );
    let alter =
        format!("ALTER ROLE {TEST_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{TEST_ROLE}'");
    let mut last = String::new();
    // Another test process may be doing the same at the same moment.
    for _ in 0..5 {
        match async {
            conn.execute(create.as_str()).await?;
            conn.execute(alter.as_str()).await
        }
        .await
        {
            Ok(_) => {
                last.clear();
                break;
            }
            Err(e) => {
                last = e.to_string();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    if !last.is_empty() {
        return Err(format!("cannot create role {TEST_ROLE}: {last}"));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let rows = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'pft\\_%'")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    // On this machine, a database whose creating process is gone is stale at once.
    let host = server.superuser.get_host();
    let local = host.starts_with('/') || host == "localhost" || host.starts_with("127.");
    for row in rows {
        let name: String = row.get(0);
        let mut parts = name.strip_prefix(DB_PREFIX).unwrap_or_default().split('_');
        let created = parts.next().and_then(|secs| secs.parse::<u64>().ok());
        let pid = parts.next().and_then(|pid| pid.parse::<u32>().ok());
        let orphaned = local
            && pid.is_some_and(|pid| {
                pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            });
        if orphaned || created.is_some_and(|c| now.saturating_sub(c) > STALE_AFTER_SECS) {
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await;
        }
    }
    let _ = conn.close().await;
    Ok(server)
}

/// The superuser URL the tests administer PostgreSQL with.
pub async fn postgres_superuser_url() -> String {
    server().await.superuser_url.clone()
}

/// A URL for a brand-new, empty database owned by [`TEST_ROLE`], connecting as it.
pub async fn fresh_postgres_url() -> String {
    let server = server().await;
    let name = format!("{DB_PREFIX}{}", unique_suffix());
    let mut conn = PgConnection::connect_with(&server.superuser)
        .await
        .unwrap_or_else(|e| panic!("connect to PostgreSQL as superuser: {e}"));
    conn.execute(format!("CREATE DATABASE \"{name}\" OWNER {TEST_ROLE}").as_str())
        .await
        .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
    let _ = conn.close().await;
    let host = server.superuser.get_host();
    let port = server.superuser.get_port();
    if host.starts_with('/') {
        format!("postgres://{TEST_ROLE}:{TEST_ROLE}@localhost:{port}/{name}?host={host}")
    } else {
        format!("postgres://{TEST_ROLE}:{TEST_ROLE}@{host}:{port}/{name}")
    }
}

/// Drops a database made by [`fresh_postgres_url`], disconnecting its sessions.
pub async fn drop_postgres_database(url: &str) {
    let Ok(options) = PgConnectOptions::from_str(url) else {
        return;
    };
    let Some(name) = options.get_database().map(str::to_string) else {
        return;
    };
    if !name.starts_with(DB_PREFIX) {
        return;
    }
    let server = server().await;
    if let Ok(mut conn) = PgConnection::connect_with(&server.superuser).await {
        let _ = conn
            .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
            .await;
        let _ = conn.close().await;
    }
}
