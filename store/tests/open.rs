//! `open`: URL schemes, SQLite creation and pragmas, in-memory databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sqlx::{Connection, Row, SqliteConnection};
use store::{StoreError, StoreOptions};

#[tokio::test]
async fn unknown_schemes_are_refused() {
    for url in ["mysql://x/y", "preflight.db", ""] {
        match store::open(url, StoreOptions::default()).await {
            Err(StoreError::Invalid(message)) => {
                assert!(message.contains("sqlite://"), "{message}")
            }
            Err(other) => panic!("{url}: expected Invalid, got {other}"),
            Ok(_) => panic!("{url}: expected Invalid"),
        }
    }
}

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode_with_foreign_keys() {
    let url = store::testing::fresh_sqlite_url();
    let path = url.strip_prefix("sqlite://").unwrap().to_string();
    assert!(!std::path::Path::new(&path).exists());
    let s = store::open(&url, StoreOptions::default()).await.unwrap();
    let p = s.create_project("p").await.unwrap();
    assert!(std::path::Path::new(&path).exists());
    drop(s);

    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode, "wal");
    conn.close().await.unwrap();

    // Reopening migrates nothing twice and keeps the data.
    let s = store::open(&url, StoreOptions::default()).await.unwrap();
    assert_eq!(s.project(&p.id).await.unwrap(), p);
    // Foreign keys are enforced on the store's connections.
    assert!(matches!(
        s.create_dataset("proj_nope", "x", None, "test").await,
        Err(StoreError::NotFound)
    ));
    drop(s);
    store::testing::remove_sqlite(&url);
}

#[tokio::test]
async fn sqlite_in_memory_works_for_tests() {
    let s = store::open("sqlite::memory:", StoreOptions::default())
        .await
        .unwrap();
    let p = s.create_project("p").await.unwrap();
    assert_eq!(s.list_projects().await.unwrap(), vec![p]);
}
