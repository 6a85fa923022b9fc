//! Policy versions: an append-only history per project.

use serde_json::Value;

use super::rows::{self, POLICY_COLS};
use super::Arg::{Int, Json, OptText, Text};
use super::{
    newest_versions_page, page_limit, paginate, Access, Backend, Params, RowGet, Scope, Tx,
};
use crate::time::now_micros;
use crate::{cursor, Page, PageRequest, PolicyVersion, StoreError, Timestamp, DEFAULT_PRECEDENCE};

/// How often `save` retries when a concurrent save took the same number.
const SAVE_ATTEMPTS: usize = 5;

/// Version 0: no rules. Dated at the project's creation.
async fn implicit<T: Tx>(tx: &mut T, project_id: &str) -> Result<PolicyVersion, StoreError> {
    let created = match tx
        .fetch_optional(
            "SELECT created_at FROM projects WHERE id = $1",
            &[Text(project_id)],
        )
        .await?
    {
        Some(row) => row.int("created_at")?,
        None => 0,
    };
    Ok(PolicyVersion {
        version: 0,
        precedence: DEFAULT_PRECEDENCE.to_string(),
        rules: Value::Array(Vec::new()),
        author: "system".to_string(),
        created_at: Timestamp(created),
        message: None,
    })
}

pub(super) async fn active<B: Backend>(
    b: &B,
    project_id: &str,
) -> Result<PolicyVersion, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let sql = format!(
        "SELECT {POLICY_COLS} FROM policy_versions WHERE project_id = $1 ORDER BY version DESC LIMIT 1"
    );
    match tx.fetch_optional(&sql, &[Text(project_id)]).await? {
        Some(row) => rows::policy_version(&row),
        None => implicit(&mut tx, project_id).await,
    }
}

/// What both saves require of a new version's body.
fn validate(precedence: &str, rules: &Value) -> Result<(), StoreError> {
    if !rules.is_array() {
        return Err(StoreError::Invalid(
            "rules must be an array of rule objects".to_string(),
        ));
    }
    if precedence.trim().is_empty() {
        return Err(StoreError::Invalid(
            "precedence must not be empty".to_string(),
        ));
    }
    Ok(())
}

pub(super) async fn save<B: Backend>(
    b: &B,
    project_id: &str,
    precedence: &str,
    rules: &Value,
    author: &str,
    message: Option<&str>,
) -> Result<PolicyVersion, StoreError> {
    validate(precedence, rules)?;
    // The next number is computed inside the INSERT; two concurrent saves can still
    // compute the same one on PostgreSQL, and the loser retries.
    let sql = format!(
        "INSERT INTO policy_versions (project_id, version, precedence, rules, author, created_at, message) \
         SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6 FROM policy_versions WHERE project_id = $1 \
         RETURNING {POLICY_COLS}"
    );
    let mut last = StoreError::Conflict("policy version".to_string());
    for _ in 0..SAVE_ATTEMPTS {
        let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
        let args = [
            Text(project_id),
            Text(precedence),
            Json(rules),
            Text(author),
            Int(now_micros()),
            OptText(message),
        ];
        match tx.fetch_optional(&sql, &args).await {
            Ok(Some(row)) => {
                let version = rows::policy_version(&row)?;
                tx.commit().await?;
                return Ok(version);
            }
            Ok(None) => return Err(StoreError::NotFound),
            Err(e @ StoreError::Conflict(_)) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last.conflict_as("another policy version was saved at the same time; try again"))
}

/// `save`, as a compare-and-set on the version number: the row for `base + 1` is only
/// inserted while `base` is the newest version; two savers that both saw `base` race
/// for the same primary key and the loser gets `Conflict`.
pub(super) async fn save_on<B: Backend>(
    b: &B,
    project_id: &str,
    base: i64,
    precedence: &str,
    rules: &Value,
    author: &str,
    message: Option<&str>,
) -> Result<PolicyVersion, StoreError> {
    validate(precedence, rules)?;
    let stale = || {
        StoreError::Conflict(format!(
            "the policy changed after version {base}; read it again and redo the edit"
        ))
    };
    let sql = format!(
        "INSERT INTO policy_versions (project_id, version, precedence, rules, author, created_at, message) \
         SELECT $1, $7 + 1, $2, $3, $4, $5, $6 \
         WHERE (SELECT COALESCE(MAX(version), 0) FROM policy_versions WHERE project_id = $1) = $7 \
         RETURNING {POLICY_COLS}"
    );
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    let args = [
        Text(project_id),
        Text(precedence),
        Json(rules),
        Text(author),
        Int(now_micros()),
        OptText(message),
        Int(base),
    ];
    match tx.fetch_optional(&sql, &args).await {
        Ok(Some(row)) => {
            let version = rows::policy_version(&row)?;
            tx.commit().await?;
            Ok(version)
        }
        Ok(None) => Err(stale()),
        Err(StoreError::Conflict(_)) => Err(stale()),
        Err(e) => Err(e),
    }
}

/// Newest first; the cursor is the last version's number.
pub(super) async fn versions<B: Backend>(
    b: &B,
    project_id: &str,
    page: &PageRequest,
) -> Result<Page<PolicyVersion>, StoreError> {
    let limit = page_limit(page.limit);
    let before: Option<i64> = page.cursor.as_deref().map(cursor::decode).transpose()?;
    let mut p = Params::new(Text(project_id));
    let mut sql = format!("SELECT {POLICY_COLS} FROM policy_versions WHERE project_id = $1");
    newest_versions_page(&mut sql, &mut p, before, limit);
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let rows = tx
        .fetch_all(&sql, &p.args)
        .await?
        .iter()
        .map(rows::policy_version)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paginate(rows, limit, |v| v.version))
}

pub(super) async fn version<B: Backend>(
    b: &B,
    project_id: &str,
    version: i64,
) -> Result<Option<PolicyVersion>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    if version == 0 {
        return implicit(&mut tx, project_id).await.map(Some);
    }
    let sql =
        format!("SELECT {POLICY_COLS} FROM policy_versions WHERE project_id = $1 AND version = $2");
    tx.fetch_optional(&sql, &[Text(project_id), Int(version)])
        .await?
        .map(|row| rows::policy_version(&row))
        .transpose()
}
