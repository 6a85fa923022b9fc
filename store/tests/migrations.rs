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

/// A database of `backend` migrated to just before `version`, holding `rows` (written
/// as project `proj_old`: PostgreSQL forces row-level security even for the owner).
async fn older_database(backend: &str, version: i64, rows: &[&str]) -> String {
    let older = migrations_before(backend, version).await;
    if backend == "sqlite" {
        let url = store::testing::fresh_sqlite_url();
        let mut conn = SqliteConnection::connect(&format!("{url}?mode=rwc"))
            .await
            .unwrap();
        older.run(&mut conn).await.unwrap();
        for sql in rows {
            conn.execute(*sql).await.unwrap();
        }
        conn.close().await.unwrap();
        url
    } else {
        let url = store::testing::fresh_postgres_url().await;
        let mut conn = PgConnection::connect(&url).await.unwrap();
        older.run(&mut conn).await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        tx.execute("SELECT set_config('app.project_id', 'proj_old', true)")
            .await
            .unwrap();
        for sql in rows {
            tx.execute(*sql).await.unwrap();
        }
        tx.commit().await.unwrap();
        conn.close().await.unwrap();
        url
    }
}

async fn remove_database(url: &str) {
    if url.starts_with("sqlite:") {
        store::testing::remove_sqlite(url);
    } else {
        store::testing::drop_postgres_database(url).await;
    }
}

#[tokio::test]
async fn sqlite_keys_made_before_scopes_become_agent_keys() {
    let url = older_database("sqlite", 8, OLD_ROWS).await;
    assert_upgraded(&url).await;
    remove_database(&url).await;
}

#[tokio::test]
async fn postgres_keys_made_before_scopes_become_agent_keys() {
    let url = older_database("postgres", 8, OLD_ROWS).await;
    assert_upgraded(&url).await;
    remove_database(&url).await;
}

/// What a 0008 database holds: a dataset pinning two traces.
const OLD_DATASET: &[&str] = &[
    "INSERT INTO projects (id, name, created_at) VALUES ('proj_old', 'old', 1)",
    "INSERT INTO datasets (id, project_id, name, created_at) VALUES ('ds_old', 'proj_old', 'golden', 5)",
    "INSERT INTO dataset_items (project_id, dataset_id, trace_id, added_at) \
     VALUES ('proj_old', 'ds_old', 't1', 6), ('proj_old', 'ds_old', 't2', 7)",
];

/// Datasets made before versions are their version 1, made by "migration", with their
/// members; the next change is version 2.
async fn assert_datasets_versioned(url: &str) {
    let s = store::open(url, StoreOptions::default()).await.unwrap();
    let versions = s
        .dataset_versions("proj_old", "ds_old", &store::PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(versions.items.len(), 1);
    let v1 = &versions.items[0];
    assert_eq!(
        (v1.version, v1.author.as_str(), v1.added, v1.traces),
        (1, "migration", 2, 2)
    );
    let members = s
        .dataset_members("proj_old", "ds_old", Some(1))
        .await
        .unwrap();
    assert_eq!(members.trace_ids, vec!["t1".to_string(), "t2".to_string()]);
    assert!(s
        .remove_dataset_item("proj_old", "ds_old", "t1", "test")
        .await
        .unwrap());
    let now = s.dataset_members("proj_old", "ds_old", None).await.unwrap();
    assert_eq!((now.version, now.trace_ids), (2, vec!["t2".to_string()]));
}

#[tokio::test]
async fn sqlite_datasets_made_before_versions_are_version_1() {
    let url = older_database("sqlite", 9, OLD_DATASET).await;
    assert_datasets_versioned(&url).await;
    remove_database(&url).await;
}

#[tokio::test]
async fn postgres_datasets_made_before_versions_are_version_1() {
    let url = older_database("postgres", 9, OLD_DATASET).await;
    assert_datasets_versioned(&url).await;
    remove_database(&url).await;
}

/// What a 0009 database holds: three calls in two hours, one of them costed.
const OLD_EVENTS: &[&str] = &[
    "INSERT INTO projects (id, name, created_at) VALUES ('proj_old', 'old', 1)",
    "INSERT INTO events (project_id, trace_id, span_id, kind, name, tool, sequence, timestamp, \
     ts_micros, status, verdict, cost_usd, agent_name, payload, policy_relevant) VALUES \
     ('proj_old', 't1', 'a', 'tool_call', 'search', 'search', 0, '2025-01-01T00:00:10Z', \
      1735689610000000, 'ok', 'allowed', 0.5, 'bot', '{}', false), \
     ('proj_old', 't1', 'b', 'tool_call', 'search', 'search', 1, '2025-01-01T00:00:20Z', \
      1735689620000000, 'ok', 'allowed', NULL, 'bot', '{}', false), \
     ('proj_old', 't1', 'c', 'tool_call', 'wire', 'wire', 2, '2025-01-01T01:00:00Z', \
      1735693200000000, 'ok', 'blocked', NULL, NULL, '{}', true)",
];

/// Events stored before rollups are counted by the migration; a rollup row changed
/// behind the store's back is reported, and a rebuild puts it right.
async fn assert_rolled_up(url: &str, backend: &str) {
    let s = store::open(url, StoreOptions::default()).await.unwrap();
    let drift = s.rollup_drift("proj_old").await.unwrap();
    assert!(drift.is_empty(), "{drift:#?}");
    let seen = s
        .seen_calls("proj_old", 1_735_689_600_000_000, 10)
        .await
        .unwrap();
    let counted: Vec<(&str, u64, u64)> = seen
        .iter()
        .map(|c| (c.tool.as_str(), c.events, c.uncosted))
        .collect();
    assert_eq!(counted, vec![("search", 2, 1), ("wire", 1, 1)]);
    drop(s);

    let tamper = "UPDATE event_rollups SET events = 7 WHERE tool = 'wire'";
    if backend == "sqlite" {
        let mut conn = SqliteConnection::connect(url).await.unwrap();
        conn.execute(tamper).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = PgConnection::connect(url).await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        tx.execute("SELECT set_config('app.project_id', 'proj_old', true)")
            .await
            .unwrap();
        tx.execute(tamper).await.unwrap();
        tx.commit().await.unwrap();
        conn.close().await.unwrap();
    }
    let s = store::open(url, StoreOptions::default()).await.unwrap();
    let drift = s.rollup_drift("proj_old").await.unwrap();
    assert_eq!(drift.len(), 1, "{drift:#?}");
    assert_eq!(
        (
            drift[0].tool.as_str(),
            drift[0].expected_events,
            drift[0].stored_events
        ),
        ("wire", Some(1), Some(7))
    );
    assert_eq!(s.rebuild_rollups("proj_old").await.unwrap(), 2);
    assert!(s.rollup_drift("proj_old").await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_events_stored_before_rollups_are_rolled_up() {
    let url = older_database("sqlite", 10, OLD_EVENTS).await;
    assert_rolled_up(&url, "sqlite").await;
    remove_database(&url).await;
}

#[tokio::test]
async fn postgres_events_stored_before_rollups_are_rolled_up() {
    let url = older_database("postgres", 10, OLD_EVENTS).await;
    assert_rolled_up(&url, "postgres").await;
    remove_database(&url).await;
}
