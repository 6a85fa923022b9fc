//! The one error type every store method returns.

/// What went wrong, in words safe to show an operator: no SQL text, no credentials.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in this project (also what another project's ids look like).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken, e.g. a second project with the same name.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller passed something the store cannot accept (bad cursor, bad decision).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database failed; a short description only.
    #[error("database error: {0}")]
    Database(String),
    /// PostgreSQL role that would ignore row-level security; see `StoreOptions`.
    #[error("{0}")]
    RlsBypass(String),
}

/// Longest database message kept: enough to diagnose, too short to carry a dump.
const MAX_MESSAGE: usize = 200;

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() {
                    StoreError::Conflict("already exists".to_string())
                } else if db.is_foreign_key_violation() {
                    // Every foreign key points at an owner (project, dataset) that the
                    // caller named: it does not exist, or not in this project.
                    StoreError::NotFound
                } else {
                    StoreError::Database(short(db.message()))
                }
            }
            // The database's own words are safe; sqlx's rendering of other errors can
            // include connection details, so those are named by kind only.
            sqlx::Error::PoolTimedOut => StoreError::Database("connection pool timed out".into()),
            sqlx::Error::PoolClosed => StoreError::Database("connection pool closed".into()),
            sqlx::Error::Io(e) => StoreError::Database(short(&format!("i/o: {}", e.kind()))),
            sqlx::Error::Tls(_) => StoreError::Database("TLS failure".into()),
            sqlx::Error::Configuration(_) => {
                StoreError::Database("invalid database URL or options".into())
            }
            sqlx::Error::Migrate(e) => {
                StoreError::Database(short(&format!("migration failed: {e}")))
            }
            sqlx::Error::ColumnDecode { index, .. } => {
                StoreError::Database(short(&format!("cannot decode column {index}")))
            }
            _ => StoreError::Database("unexpected database failure".into()),
        }
    }
}

impl StoreError {
    /// A unique violation with a message naming what already exists.
    pub(crate) fn conflict_as(self, what: &str) -> Self {
        match self {
            StoreError::Conflict(_) => StoreError::Conflict(what.to_string()),
            other => other,
        }
    }
}

fn short(text: &str) -> String {
    if text.chars().count() <= MAX_MESSAGE {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX_MESSAGE).collect();
        s.push('…');
        s
    }
}
