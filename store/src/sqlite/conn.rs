//! SQLite transactions, parameter binding and row access.

use std::borrow::Cow;

use serde_json::Value;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite};

use crate::sql::{nul, Arg, RowGet, Tx};
use crate::StoreError;

pub(crate) struct SqliteTx(pub(super) sqlx::Transaction<'static, Sqlite>);

pub(super) fn bind<'q>(
    mut q: Query<'q, Sqlite, SqliteArguments<'q>>,
    args: &'q [Arg<'q>],
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    for arg in args {
        q = match *arg {
            Arg::Text(v) | Arg::OptText(Some(v)) => match nul::text(v) {
                Cow::Borrowed(v) => q.bind(v),
                Cow::Owned(v) => q.bind(v),
            },
            Arg::OptText(None) => q.bind(None::<&str>),
            Arg::Int(v) => q.bind(v),
            Arg::OptInt(v) => q.bind(v),
            Arg::OptReal(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Json(v) => match nul::json(v) {
                Cow::Borrowed(v) => q.bind(sqlx::types::Json(v)),
                Cow::Owned(v) => q.bind(sqlx::types::Json(v)),
            },
            // Read back with json_each (see `Dialect::in_list`).
            Arg::TextList(v) => {
                q.bind(serde_json::to_string(v).unwrap_or_else(|_| "[]".to_string()))
            }
        };
    }
    q
}

#[async_trait::async_trait]
impl Tx for SqliteTx {
    type Row = SqliteRow;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        Ok(bind(sqlx::query(sql), args)
            .execute(&mut *self.0)
            .await?
            .rows_affected())
    }

    async fn fetch_all(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<SqliteRow>, StoreError> {
        Ok(bind(sqlx::query(sql), args).fetch_all(&mut *self.0).await?)
    }

    async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<SqliteRow>, StoreError> {
        Ok(bind(sqlx::query(sql), args)
            .fetch_optional(&mut *self.0)
            .await?)
    }

    async fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }
}

// Numbers are read unchecked: SQLite types values, not columns, so an aggregate over
// REALs can come back as INTEGER 0 and vice versa; the conversions are lossless here.
impl RowGet for SqliteRow {
    fn text(&self, col: &str) -> Result<String, StoreError> {
        Ok(self.try_get(col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(col)?)
    }
    fn int(&self, col: &str) -> Result<i64, StoreError> {
        Ok(self.try_get_unchecked(col)?)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get_unchecked(col)?)
    }
    fn real(&self, col: &str) -> Result<f64, StoreError> {
        Ok(self.try_get_unchecked(col)?)
    }
    fn opt_real(&self, col: &str) -> Result<Option<f64>, StoreError> {
        Ok(self.try_get_unchecked(col)?)
    }
    fn json(&self, col: &str) -> Result<Value, StoreError> {
        Ok(self
            .try_get_unchecked::<sqlx::types::Json<Value>, _>(col)?
            .0)
    }
}
