//! PostgreSQL-only: row-level security is a real second wall, and `open` refuses
//! roles that would bypass it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Row, Transaction};
use store::{StoreError, StoreOptions};

use support::{ev, Env, EventExt};

async fn as_project<'a>(pool: &'a PgPool, project: &str) -> Transaction<'a, Postgres> {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.project_id', $1, true)")
        .bind(project)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

async fn count(tx: &mut Transaction<'_, Postgres>, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(&mut **tx).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rls_hides_other_projects_from_unfiltered_queries() {
    let env = Env::postgres().await;
    let s = env.store.as_ref();
    let a = s.create_project("a").await.unwrap();
    let b = s.create_project("b").await.unwrap();
    s.upsert_events(&a.id, &[ev("t1", "x", 0), ev("t1", "y", 1)])
        .await
        .unwrap();
    s.upsert_events(
        &b.id,
        &[
            ev("t1", "x", 0),
            ev("t2", "x", 1),
            ev("t3", "x", 2).agent("b"),
        ],
    )
    .await
    .unwrap();
    s.create_dataset(&b.id, "b-set", None, "test")
        .await
        .unwrap();
    let a_key = s
        .create_api_key(&a.id, store::KeyScope::Agent)
        .await
        .unwrap();
    s.create_api_key(&b.id, store::KeyScope::Agent)
        .await
        .unwrap();

    // The same unprivileged role the store uses, with queries that "forget" the
    // project filter.
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&env.url)
        .await
        .unwrap();
    let mut tx = as_project(&pool, &a.id).await;
    assert_eq!(count(&mut tx, "SELECT count(*) FROM events").await, 2);
    assert_eq!(count(&mut tx, "SELECT count(*) FROM traces").await, 1);
    assert_eq!(count(&mut tx, "SELECT count(*) FROM datasets").await, 0);
    assert_eq!(count(&mut tx, "SELECT count(*) FROM api_keys").await, 1);
    // Updates and deletes cannot reach B's rows either.
    let updated = sqlx::query("UPDATE events SET status = 'tampered'")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 2);
    let deleted = sqlx::query("DELETE FROM datasets")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    tx.rollback().await.unwrap();

    // Writing a row for another project inside A's transaction fails.
    let mut tx = as_project(&pool, &a.id).await;
    let err = sqlx::query(
        "INSERT INTO events (project_id, trace_id, span_id, kind, name, tool, sequence, timestamp, \
         ts_micros, status, verdict, payload, policy_relevant) \
         VALUES ($1, 'evil', 'x', 'tool_call', 'n', 'n', 0, 't', 0, 'ok', 'allowed', '{}', false)",
    )
    .bind(&b.id)
    .execute(&mut *tx)
    .await
    .expect_err("RLS must reject another project's project_id");
    assert!(err.to_string().contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();
    // So does moving an own row into another project.
    let mut tx = as_project(&pool, &a.id).await;
    let err = sqlx::query("UPDATE events SET project_id = $1")
        .bind(&b.id)
        .execute(&mut *tx)
        .await;
    assert!(err.is_err(), "RLS must reject re-homing a row");
    tx.rollback().await.unwrap();

    // Without the setting nothing is visible at all.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(count(&mut tx, "SELECT count(*) FROM events").await, 0);
    assert_eq!(count(&mut tx, "SELECT count(*) FROM api_keys").await, 0);
    tx.rollback().await.unwrap();

    // The authentication lookup reveals exactly the key with the given hash.
    let hash: String = Sha256::digest(a_key.key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.auth_lookup', $1, true)")
        .bind(&hash)
        .execute(&mut *tx)
        .await
        .unwrap();
    let rows = sqlx::query("SELECT project_id FROM api_keys")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<String, _>(0), a.id);
    assert_eq!(
        count(&mut tx, "SELECT count(*) FROM events").await,
        0,
        "auth lookup opens no other table"
    );
    let revoked = sqlx::query("UPDATE api_keys SET revoked_at = 1")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(revoked.rows_affected(), 0, "auth lookup grants no writes");
    tx.rollback().await.unwrap();

    // A's view through the store is unchanged by the rolled-back tampering.
    assert!(s
        .trace_events(&a.id, "t1")
        .await
        .unwrap()
        .iter()
        .all(|e| e.status == "ok"));
    pool.close().await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_force_row_level_security() {
    let env = Env::postgres().await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&env.url)
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT LIKE '\\_sqlx%' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut tables = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        let (enabled, forced): (bool, bool) = (row.get(1), row.get(2));
        if [
            "projects",
            "users",
            "memberships",
            "sessions",
            "account_changes",
        ]
        .contains(&name.as_str())
        {
            assert!(!enabled, "{name} is the console directory, outside RLS");
        } else {
            assert!(
                enabled && forced,
                "{name} must ENABLE and FORCE row level security"
            );
        }
        tables.push(name);
    }
    assert_eq!(tables.len(), 18, "{tables:?}");
    pool.close().await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_refuses_roles_that_bypass_rls() {
    let superuser = store::testing::postgres_superuser_url().await;
    match store::open(&superuser, StoreOptions::default()).await {
        Err(StoreError::RlsBypass(message)) => {
            assert!(message.contains("CREATE ROLE"), "{message}");
            assert!(message.contains("NOBYPASSRLS"), "{message}");
        }
        Err(other) => panic!("expected RlsBypass, got {other}"),
        Ok(_) => panic!("a superuser connection must be refused"),
    }

    // With the development override it opens (on a fresh database, not `postgres`).
    let fresh = store::testing::fresh_postgres_url().await;
    let db = fresh.rsplit('/').next().unwrap().to_string();
    let (base, _) = superuser.rsplit_once('/').unwrap();
    let as_superuser = format!("{base}/{db}");
    let store = store::open(
        &as_superuser,
        StoreOptions {
            allow_rls_bypass: true,
        },
    )
    .await
    .expect("override lets a superuser in");
    store.create_project("dev").await.unwrap();
    drop(store);
    store::testing::drop_postgres_database(&fresh).await;

    // The ordinary test role passes the check without the override.
    let fresh = store::testing::fresh_postgres_url().await;
    store::open(&fresh, StoreOptions::default())
        .await
        .expect("unprivileged role is accepted");
    store::testing::drop_postgres_database(&fresh).await;
}
