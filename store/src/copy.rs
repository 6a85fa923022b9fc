//! Moving a whole Preflight database between SQLite and PostgreSQL (either way): every
//! table, in batches in primary-key order, `ON CONFLICT DO NOTHING`, so a copy that
//! stopped half-way is finished by running it again and a finished one changes
//! nothing. Both databases are migrated to the same version first. PostgreSQL's
//! row-level security holds throughout: project-owned rows are read and written one
//! project at a time under that project's setting, with the application's ordinary
//! role. [`verify`] then compares row counts and a digest of every row, per table and
//! project, with JSON compared by value (PostgreSQL keeps it as `jsonb`).

use std::collections::BTreeMap;
use std::str::FromStr;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::Row;

use crate::{StoreError, StoreOptions};

/// Every table, parents before children. [`copy`] refuses a schema with a table not
/// listed here, so a new table cannot be left behind.
const TABLES: [&str; 18] = [
    "projects",
    "users",
    "memberships",
    "sessions",
    "account_changes",
    "api_keys",
    "events",
    "traces",
    "event_rollups",
    "datasets",
    "dataset_items",
    "dataset_versions",
    "dataset_membership",
    "dataset_expectations",
    "policy_versions",
    "simulations",
    "approvals",
    "project_changes",
];

/// The console directory: outside row-level security, copied whole.
const GLOBAL: [&str; 5] = [
    "projects",
    "users",
    "memberships",
    "sessions",
    "account_changes",
];

/// Rows read per page.
const PAGE: i64 = 2_000;
/// Most parameters in one insert (both backends take more).
const MAX_PARAMS: usize = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Real,
    Bool,
    Json,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    Bool(bool),
    Json(Value),
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
struct Table {
    name: &'static str,
    columns: Vec<Column>,
    /// Indexes into `columns`, in key order.
    key: Vec<usize>,
    /// An identity column PostgreSQL generates (inserted with OVERRIDING SYSTEM VALUE,
    /// its sequence moved past the copied ids).
    identity: Option<String>,
    global: bool,
}

/// One side of a copy.
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// What [`copy`] did to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub read: u64,
    pub inserted: u64,
}

/// What [`verify`] found for one table (over every project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCheck {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
    /// Row digests agree in every scope (the console directory and each project).
    pub digests_match: bool,
}

impl TableCheck {
    pub fn ok(&self) -> bool {
        self.digests_match && self.source_rows == self.target_rows
    }
}

async fn open_side(url: &str) -> Result<Db, StoreError> {
    // Migrations run through the store's own opening, then a plain pool reads and writes.
    drop(crate::open(url, StoreOptions::default()).await?);
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("cannot parse the SQLite URL: {e}")))?
            .foreign_keys(false)
            .busy_timeout(std::time::Duration::from_secs(10));
        Ok(Db::Sqlite(
            SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await?,
        ))
    } else {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("cannot parse the PostgreSQL URL: {e}")))?;
        Ok(Db::Postgres(
            PgPoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await?,
        ))
    }
}

/// Copies every row of `from` into `to` (one of them SQLite, the other PostgreSQL);
/// `progress` hears each table's running count.
pub async fn copy(
    from: &str,
    to: &str,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<Vec<TableCopy>, StoreError> {
    let (source, target) = (open_side(from).await?, open_side(to).await?);
    let tables = schema(&source, &target).await?;
    let projects = project_ids(&source).await?;
    let mut report = Vec::new();
    for table in &tables {
        let mut done = TableCopy {
            table: table.name.to_string(),
            read: 0,
            inserted: 0,
        };
        let scopes: Vec<Option<&str>> = if table.global {
            vec![None]
        } else {
            projects.iter().map(|p| Some(p.as_str())).collect()
        };
        for scope in scopes {
            let mut after: Option<Vec<Val>> = None;
            loop {
                let named = |e: StoreError| named_error(table.name, e);
                let rows = read_page(&source, table, scope, after.as_deref())
                    .await
                    .map_err(named)?;
                let Some(last) = rows.last() else { break };
                after = Some(table.key.iter().map(|&k| last[k].clone()).collect());
                done.read += rows.len() as u64;
                done.inserted += insert(&target, table, scope, &rows).await.map_err(named)?;
                progress(table.name, done.read);
                if (rows.len() as i64) < PAGE {
                    break;
                }
            }
        }
        report.push(done);
    }
    Ok(report)
}

fn named_error(table: &str, e: StoreError) -> StoreError {
    let what = match e {
        StoreError::NotFound => "a row it refers to is missing".to_string(),
        other => other.to_string(),
    };
    StoreError::Database(format!("{table}: {what}"))
}

/// Compares row counts and row digests of every table, per scope.
pub async fn verify(from: &str, to: &str) -> Result<Vec<TableCheck>, StoreError> {
    let (source, target) = (open_side(from).await?, open_side(to).await?);
    let tables = schema(&source, &target).await?;
    let projects = project_ids(&source).await?;
    let mut checks = Vec::new();
    for table in &tables {
        let scopes: Vec<Option<&str>> = if table.global {
            vec![None]
        } else {
            projects.iter().map(|p| Some(p.as_str())).collect()
        };
        let mut check = TableCheck {
            table: table.name.to_string(),
            source_rows: 0,
            target_rows: 0,
            digests_match: true,
        };
        for scope in scopes {
            let (n, a) = digest(&source, table, scope).await?;
            let (m, b) = digest(&target, table, scope).await?;
            check.source_rows += n;
            check.target_rows += m;
            check.digests_match &= a == b;
        }
        checks.push(check);
    }
    Ok(checks)
}

async fn digest(db: &Db, table: &Table, scope: Option<&str>) -> Result<(u64, String), StoreError> {
    let mut hash = Sha256::new();
    let mut rows_seen = 0_u64;
    let mut after: Option<Vec<Val>> = None;
    loop {
        let rows = read_page(db, table, scope, after.as_deref()).await?;
        let Some(last) = rows.last() else { break };
        after = Some(table.key.iter().map(|&k| last[k].clone()).collect());
        for row in &rows {
            for v in row {
                hash.update(canonical(v).as_bytes());
                hash.update([0x1f]);
            }
            hash.update([0x1e]);
        }
        rows_seen += rows.len() as u64;
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((rows_seen, hex))
}

fn canonical(v: &Val) -> String {
    match v {
        Val::Null => "\u{2205}".to_string(),
        Val::Text(s) => Value::String(s.clone()).to_string(),
        Val::Int(n) => n.to_string(),
        Val::Real(x) => format!("{:?}", x.to_bits()),
        Val::Bool(b) => if *b { "t" } else { "f" }.to_string(),
        Val::Json(j) => sorted(j).to_string(),
    }
}

/// JSON with every object's keys in order, whatever order it was stored in.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let ordered: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

async fn project_ids(db: &Db) -> Result<Vec<String>, StoreError> {
    let sql = "SELECT id FROM projects ORDER BY id";
    Ok(match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await?,
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await?,
    })
}

/// The tables' columns, types, keys and identities, as PostgreSQL describes them (the
/// stricter side); every table must be in [`TABLES`] and exist on both sides.
async fn schema(a: &Db, b: &Db) -> Result<Vec<Table>, StoreError> {
    let pg = match (a, b) {
        (Db::Postgres(pg), Db::Sqlite(_)) | (Db::Sqlite(_), Db::Postgres(pg)) => pg,
        _ => {
            return Err(StoreError::Invalid(
                "copy moves a database between SQLite and PostgreSQL: give one of each".to_string(),
            ))
        }
    };
    let present: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
         AND table_name NOT LIKE '\\_sqlx%' ORDER BY 1",
    )
    .fetch_all(pg)
    .await?;
    if let Some(unknown) = present.iter().find(|t| !TABLES.contains(&t.as_str())) {
        return Err(StoreError::Invalid(format!(
            "table {unknown} is not known to copy (store/src/copy.rs lists every table)"
        )));
    }
    let mut tables = Vec::new();
    for name in TABLES
        .iter()
        .copied()
        .filter(|t| present.iter().any(|p| p == t))
    {
        let rows = sqlx::query(
            "SELECT column_name::text, data_type::text, is_identity::text \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(name)
        .fetch_all(pg)
        .await?;
        let mut columns = Vec::new();
        let mut identity = None;
        for r in rows {
            let column: String = r.try_get(0)?;
            let data_type: String = r.try_get(1)?;
            let kind = match data_type.as_str() {
                "text" | "character varying" => Kind::Text,
                "bigint" | "integer" | "smallint" => Kind::Int,
                "double precision" | "real" | "numeric" => Kind::Real,
                "boolean" => Kind::Bool,
                "jsonb" | "json" => Kind::Json,
                other => {
                    return Err(StoreError::Invalid(format!(
                        "{name}.{column} has a type copy does not know: {other}"
                    )))
                }
            };
            if r.try_get::<String, _>(2)? == "YES" {
                identity = Some(column.clone());
            }
            columns.push(Column { name: column, kind });
        }
        let key_names: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = $1::regclass AND i.indisprimary \
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
        )
        .bind(name)
        .fetch_all(pg)
        .await?;
        let key: Vec<usize> = key_names
            .iter()
            .filter_map(|k| columns.iter().position(|c| &c.name == k))
            .collect();
        if key.is_empty() || key.len() != key_names.len() {
            return Err(StoreError::Invalid(format!(
                "{name} has no primary key to page by"
            )));
        }
        let global = GLOBAL.contains(&name);
        if !global && !columns.iter().any(|c| c.name == "project_id") {
            return Err(StoreError::Invalid(format!(
                "{name} is neither the console directory nor project-owned"
            )));
        }
        tables.push(Table {
            name,
            columns,
            key,
            identity,
            global,
        });
    }
    Ok(tables)
}

/// `$1, $2, …` or `?, ?, …` from `first`.
fn placeholder(pg: bool, n: usize) -> String {
    if pg {
        format!("${n}")
    } else {
        "?".to_string()
    }
}

/// One page of rows after the key `after`, in key order, of one scope.
async fn read_page(
    db: &Db,
    table: &Table,
    scope: Option<&str>,
    after: Option<&[Val]>,
) -> Result<Vec<Vec<Val>>, StoreError> {
    let pg = matches!(db, Db::Postgres(_));
    let cols: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let key: Vec<&str> = table.key.iter().map(|&k| cols[k]).collect();
    let mut conditions = Vec::new();
    let mut args: Vec<Val> = Vec::new();
    if let Some(project) = scope {
        args.push(Val::Text(project.to_string()));
        conditions.push(format!("project_id = {}", placeholder(pg, args.len())));
    }
    if let Some(after) = after {
        let mut marks = Vec::new();
        for v in after {
            args.push(v.clone());
            marks.push(placeholder(pg, args.len()));
        }
        conditions.push(format!("({}) > ({})", key.join(", "), marks.join(", ")));
    }
    let mut sql = format!("SELECT {} FROM {}", cols.join(", "), table.name);
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(&format!(" ORDER BY {} LIMIT {PAGE}", key.join(", ")));
    match db {
        Db::Sqlite(pool) => {
            let mut q = sqlx::query(&sql);
            for a in &args {
                q = bind_sqlite(q, a);
            }
            let rows = q.fetch_all(pool).await?;
            rows.iter().map(|r| sqlite_row(table, r)).collect()
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            if let Some(project) = scope {
                sqlx::query("SELECT set_config('app.project_id', $1, true)")
                    .bind(project)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut q = sqlx::query(&sql);
            for a in &args {
                q = bind_pg(q, a);
            }
            let rows = q.fetch_all(&mut *tx).await?;
            tx.commit().await?;
            rows.iter().map(|r| pg_row(table, r)).collect()
        }
    }
}

fn sqlite_row(table: &Table, r: &SqliteRow) -> Result<Vec<Val>, StoreError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Text => r
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Val::Null, Val::Text),
                Kind::Int => r.try_get::<Option<i64>, _>(i)?.map_or(Val::Null, Val::Int),
                Kind::Real => r.try_get::<Option<f64>, _>(i)?.map_or(Val::Null, Val::Real),
                Kind::Bool => r
                    .try_get::<Option<bool>, _>(i)?
                    .map_or(Val::Null, Val::Bool),
                Kind::Json => match r.try_get::<Option<String>, _>(i)? {
                    None => Val::Null,
                    Some(text) => Val::Json(serde_json::from_str(&text).map_err(|e| {
                        StoreError::Database(format!(
                            "{}.{} holds invalid JSON: {e}",
                            table.name, c.name
                        ))
                    })?),
                },
            })
        })
        .collect()
}

fn pg_row(table: &Table, r: &PgRow) -> Result<Vec<Val>, StoreError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Text => r
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Val::Null, Val::Text),
                Kind::Int => match r.try_get::<Option<i64>, _>(i) {
                    Ok(v) => v.map_or(Val::Null, Val::Int),
                    Err(_) => r
                        .try_get::<Option<i32>, _>(i)?
                        .map_or(Val::Null, |n| Val::Int(i64::from(n))),
                },
                Kind::Real => r.try_get::<Option<f64>, _>(i)?.map_or(Val::Null, Val::Real),
                Kind::Bool => r
                    .try_get::<Option<bool>, _>(i)?
                    .map_or(Val::Null, Val::Bool),
                Kind::Json => r
                    .try_get::<Option<Value>, _>(i)?
                    .map_or(Val::Null, Val::Json),
            })
        })
        .collect()
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;
type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind_sqlite<'q>(q: SqliteQuery<'q>, v: &Val) -> SqliteQuery<'q> {
    match v {
        Val::Null => q.bind(None::<String>),
        Val::Text(s) => q.bind(s.clone()),
        Val::Int(n) => q.bind(*n),
        Val::Real(x) => q.bind(*x),
        Val::Bool(b) => q.bind(*b),
        Val::Json(j) => q.bind(j.to_string()),
    }
}

fn bind_pg<'q>(q: PgQuery<'q>, v: &Val) -> PgQuery<'q> {
    match v {
        Val::Null => q.bind(None::<String>),
        Val::Text(s) => q.bind(s.clone()),
        Val::Int(n) => q.bind(*n),
        Val::Real(x) => q.bind(*x),
        Val::Bool(b) => q.bind(*b),
        Val::Json(j) => q.bind(j.clone()),
    }
}

/// Inserts rows that are not there yet; returns how many were new.
async fn insert(
    db: &Db,
    table: &Table,
    scope: Option<&str>,
    rows: &[Vec<Val>],
) -> Result<u64, StoreError> {
    let pg = matches!(db, Db::Postgres(_));
    let cols: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let per_statement = (MAX_PARAMS / cols.len().max(1)).max(1);
    let mut inserted = 0;
    let mut pg_tx = match db {
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            if let Some(project) = scope {
                sqlx::query("SELECT set_config('app.project_id', $1, true)")
                    .bind(project)
                    .execute(&mut *tx)
                    .await?;
            }
            Some(tx)
        }
        Db::Sqlite(_) => None,
    };
    for chunk in rows.chunks(per_statement) {
        let mut values = Vec::with_capacity(chunk.len());
        let mut n = 0;
        for _ in chunk {
            let marks: Vec<String> = (0..cols.len())
                .map(|_| {
                    n += 1;
                    // Untyped text parameters: PostgreSQL infers a NULL's type from its column.
                    placeholder(pg, n)
                })
                .collect();
            values.push(format!("({})", marks.join(", ")));
        }
        let overriding = if pg && table.identity.is_some() {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO {} ({}){overriding} VALUES {} ON CONFLICT DO NOTHING",
            table.name,
            cols.join(", "),
            values.join(", ")
        );
        match (db, pg_tx.as_mut()) {
            (Db::Sqlite(pool), _) => {
                let mut q = sqlx::query(&sql);
                for row in chunk {
                    for v in row {
                        q = bind_sqlite(q, v);
                    }
                }
                inserted += q.execute(pool).await?.rows_affected();
            }
            (Db::Postgres(_), Some(tx)) => {
                let mut q = sqlx::query(&sql);
                for (row_values, col) in chunk.iter().flat_map(|r| r.iter().zip(&table.columns)) {
                    q = match (row_values, col.kind) {
                        // A NULL bound with the column's own type.
                        (Val::Null, Kind::Int) => q.bind(None::<i64>),
                        (Val::Null, Kind::Real) => q.bind(None::<f64>),
                        (Val::Null, Kind::Bool) => q.bind(None::<bool>),
                        (Val::Null, Kind::Json) => q.bind(None::<Value>),
                        (v, _) => bind_pg(q, v),
                    };
                }
                inserted += q.execute(&mut **tx).await?.rows_affected();
            }
            (Db::Postgres(_), None) => {
                return Err(StoreError::Database(
                    "no PostgreSQL transaction for the insert".to_string(),
                ))
            }
        }
    }
    let Some(mut tx) = pg_tx else {
        return Ok(inserted);
    };
    if let Some(identity) = table.identity.as_deref() {
        // Ids were copied: the sequence must hand out larger ones from now on.
        let at = table.columns.iter().position(|c| c.name == identity);
        let max = rows
            .iter()
            .filter_map(|r| {
                at.and_then(|i| match r.get(i) {
                    Some(Val::Int(n)) => Some(*n),
                    _ => None,
                })
            })
            .max()
            .unwrap_or(0);
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{0}', '{identity}'), \
             GREATEST(nextval(pg_get_serial_sequence('{0}', '{identity}')), $1))",
            table.name
        ))
        .bind(max)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_compares_by_value_not_by_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"b": 1, "a": {"d": [1, {"z": 0, "y": 1}], "c": null}}"#)
                .unwrap_or_default();
        let b: Value =
            serde_json::from_str(r#"{"a": {"c": null, "d": [1, {"y": 1, "z": 0}]}, "b": 1}"#)
                .unwrap_or_default();
        assert_eq!(canonical(&Val::Json(a.clone())), canonical(&Val::Json(b)));
        let c: Value =
            serde_json::from_str(r#"{"a": {"c": null, "d": [{"y": 1, "z": 0}, 1]}, "b": 1}"#)
                .unwrap_or_default();
        assert_ne!(
            canonical(&Val::Json(a)),
            canonical(&Val::Json(c)),
            "arrays keep their order"
        );
        assert_ne!(canonical(&Val::Text("1".into())), canonical(&Val::Int(1)));
        assert_ne!(canonical(&Val::Null), canonical(&Val::Text(String::new())));
    }
}
