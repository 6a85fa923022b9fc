//! Upgrading a database made by an older Preflight: rows written before a migration
//! read back as that migration promises. Each case applies the migrations before the
//! one under test with sqlx's own migrator (the same files, so the same checksums),
//! writes rows the old way, then lets `store::open` finish the upgrade.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::path::PathBuf;

use sqlx::migrate::Migrator;
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};
use store::{KeyScope, StoreOptions};

/// The migrations of `backend` numbered below `version`.
async fn migrations_before(backend: &str, version: i64) -> Migrator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend);
    let all = Migrator::new(dir).await.unwrap();
    let older: Vec<_> = all
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect();
    assert!(!older.is_empty() && older.len() < all.migrations.len());
    Migrator {
        migrations: Cow::Owned(older),
        ..Migrator::DEFAULT
    }
}

/// What a 0007 database holds: a project with a key and an approval, written with the
/// columns that existed then.
const OLD_ROWS: &[&str] = &[
    "INSERT INTO projects (id, name, created_at) VALUES ('proj_old', 'old', 1)",
    "INSERT INTO api_keys (id, project_id, key_hash, prefix, created_at) \
     VALUES ('key_old', 'proj_old', 'hash-of-an-old-key', 'jj_oldkey0', 2)",
    "INSERT INTO approvals (id, project_id, action, context, status, created_at) \
     VALUES ('apr_old', 'proj_old', 'payments.refund', '{}', 'pending', 3)",
];

async fn assert_upgraded(url: &str) {
    let s = store::open(url, StoreOptions::default()).await.unwrap();
    let keys = s.list_api_keys("proj_old").await.unwrap();
    assert_eq!(keys.len(), 1);
    // Keys handed out before scopes were SDK keys: the safe reading is `agent`.
    assert_eq!(keys[0].scope, KeyScope::Agent);
    let approval = s.approval("proj_old", "apr_old").await.unwrap();
    assert_eq!(approval.requested_by, None);
    // New rows get what they are given.
    let admin = s.create_api_key("proj_old", KeyScope::Admin).await.unwrap();
    assert_eq!(
        s.authenticate(&admin.key).await.unwrap().map(|g| g.scope),
        Some(KeyScope::Admin)
    );
}

#[tokio::test]
async fn sqlite_keys_made_before_scopes_become_agent_keys() {
    let url = store::testing::fresh_sqlite_url();
    let mut conn = SqliteConnection::connect(&format!("{url}?mode=rwc"))
        .await
        .unwrap();
    migrations_before("sqlite", 8)
        .await
        .run(&mut conn)
        .await
        .unwrap();
    for sql in OLD_ROWS {
        conn.execute(*sql).await.unwrap();
    }
    conn.close().await.unwrap();
    assert_upgraded(&url).await;
    store::testing::remove_sqlite(&url);
}

#[tokio::test]
async fn postgres_keys_made_before_scopes_become_agent_keys() {
    let url = store::testing::fresh_postgres_url().await;
    let mut conn = PgConnection::connect(&url).await.unwrap();
    migrations_before("postgres", 8)
        .await
        .run(&mut conn)
        .await
        .unwrap();
    // Row-level security is forced even for the owner: write as the project.
    let mut tx = conn.begin().await.unwrap();
    tx.execute("SELECT set_config('app.project_id', 'proj_old', true)")
        .await
        .unwrap();
    for sql in OLD_ROWS {
        tx.execute(*sql).await.unwrap();
    }
    tx.commit().await.unwrap();
    conn.close().await.unwrap();
    assert_upgraded(&url).await;
    store::testing::drop_postgres_database(&url).await;
}
