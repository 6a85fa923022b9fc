//! PostgreSQL, with row-level security as a second wall between projects.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::Row;

use crate::sql::{Access, Backend, Dialect, Scope, SqlStore};
use crate::{EventScan, Store, StoreError, StoreOptions};

mod conn;
mod scan;

pub(crate) use conn::PgTx;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

const MAX_CONNECTIONS: u32 = 10;

pub(crate) struct Postgres {
    pool: PgPool,
}

pub(crate) async fn open(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    let connect = PgConnectOptions::from_str(url)
        .map_err(|_| StoreError::Invalid("cannot parse the PostgreSQL URL".to_string()))?
        // sqlx prepares every statement once per connection, and after five runs
        // PostgreSQL may keep a generic plan made while the tables were small: ingest's
        // per-trace aggregate then scanned ever more events as the project grew (2,800
        // events/s at 500,000 events, backends CPU-bound; BENCHMARKS.md). Plans made for
        // each run's own values follow the data as it grows.
        .options([("plan_cache_mode", "force_custom_plan")]);
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect)
        .await?;
    check_role(&pool, options).await?;
    MIGRATOR.run(&pool).await.map_err(sqlx::Error::from)?;
    Ok(Arc::new(SqlStore {
        backend: Postgres { pool },
    }))
}

/// Superusers and BYPASSRLS roles ignore row-level security, even FORCEd; refuse them
/// unless told this is development.
async fn check_role(pool: &PgPool, options: StoreOptions) -> Result<(), StoreError> {
    let row = sqlx::query(
        "SELECT current_user::text AS name, rolsuper OR rolbypassrls AS bypass \
         FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(pool)
    .await?;
    let name: String = row.try_get("name")?;
    let bypass: bool = row.try_get("bypass")?;
    if bypass && !options.allow_rls_bypass {
        return Err(StoreError::RlsBypass(format!(
            "PostgreSQL role {name:?} is a superuser or has BYPASSRLS, so row-level security \
             would not isolate projects. Connect as a dedicated role instead, e.g. as a superuser: \
             CREATE ROLE preflight LOGIN PASSWORD '...' NOSUPERUSER NOBYPASSRLS; \
             CREATE DATABASE preflight OWNER preflight; then use \
             DATABASE_URL=postgres://preflight:...@HOST/preflight \
             (for development only, allow_rls_bypass / PREFLIGHT_ALLOW_RLS_BYPASS=true skips this check)"
        )));
    }
    Ok(())
}

#[async_trait::async_trait]
impl Backend for Postgres {
    type Tx = PgTx;
    const DIALECT: Dialect = Dialect::Postgres;

    fn pool_stats(&self) -> Vec<crate::PoolStats> {
        vec![crate::sql::pool_stats("main", &self.pool, MAX_CONNECTIONS)]
    }

    async fn begin(&self, scope: Scope<'_>, _access: Access) -> Result<PgTx, StoreError> {
        let mut tx = self.pool.begin().await?;
        // `true` = local to this transaction: a pooled connection never carries one
        // project's setting into the next transaction.
        let setting = match scope {
            Scope::Global => None,
            Scope::Project(id) => Some(("app.project_id", id)),
            Scope::KeyLookup(hash) => Some(("app.auth_lookup", hash)),
        };
        if let Some((name, value)) = setting {
            sqlx::query("SELECT set_config($1, $2, true)")
                .bind(name)
                .bind(value)
                .execute(&mut *tx)
                .await?;
        }
        Ok(PgTx(tx))
    }

    fn scan_events<'a>(
        &'a self,
        project_id: &'a str,
        scan: EventScan,
    ) -> BoxStream<'a, Result<policy::Event, StoreError>> {
        scan::stream(self, project_id, scan)
    }
}
