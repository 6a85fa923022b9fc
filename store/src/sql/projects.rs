//! Projects: the tenant directory (no RLS; see the crate docs).

use super::rows::{self, PROJECT_COLS};
use super::Arg::{Int, OptInt, Text};
use super::{clean_name, Access, Backend, Scope, Tx};
use crate::ids::{self, PROJECT};
use crate::time::now_micros;
use crate::{Project, StoreError, Timestamp};

const TAKEN: &str = "a project with this name already exists";

pub(super) async fn create<B: Backend>(b: &B, name: &str) -> Result<Project, StoreError> {
    let name = clean_name(name)?;
    let project = Project {
        id: ids::new_id(PROJECT),
        name,
        created_at: Timestamp(now_micros()),
        retention_days: None,
    };
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    tx.execute(
        "INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)",
        &[
            Text(&project.id),
            Text(&project.name),
            Int(project.created_at.0),
        ],
    )
    .await
    .map_err(|e| e.conflict_as(TAKEN))?;
    tx.commit().await?;
    Ok(project)
}

pub(super) async fn list<B: Backend>(b: &B) -> Result<Vec<Project>, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Read).await?;
    let sql = format!("SELECT {PROJECT_COLS} FROM projects ORDER BY created_at, id");
    tx.fetch_all(&sql, &[])
        .await?
        .iter()
        .map(rows::project)
        .collect()
}

pub(super) async fn get<B: Backend>(b: &B, id: &str) -> Result<Project, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Read).await?;
    let sql = format!("SELECT {PROJECT_COLS} FROM projects WHERE id = $1");
    match tx.fetch_optional(&sql, &[Text(id)]).await? {
        Some(row) => rows::project(&row),
        None => Err(StoreError::NotFound),
    }
}

pub(super) async fn by_name<B: Backend>(b: &B, name: &str) -> Result<Option<Project>, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Read).await?;
    let sql = format!("SELECT {PROJECT_COLS} FROM projects WHERE name = $1");
    tx.fetch_optional(&sql, &[Text(name.trim())])
        .await?
        .map(|row| rows::project(&row))
        .transpose()
}

pub(super) async fn rename<B: Backend>(b: &B, id: &str, name: &str) -> Result<Project, StoreError> {
    let name = clean_name(name)?;
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    let sql = format!("UPDATE projects SET name = $2 WHERE id = $1 RETURNING {PROJECT_COLS}");
    let row = tx
        .fetch_optional(&sql, &[Text(id), Text(&name)])
        .await
        .map_err(|e| e.conflict_as(TAKEN))?
        .ok_or(StoreError::NotFound)?;
    let project = rows::project(&row)?;
    tx.commit().await?;
    Ok(project)
}

pub(super) async fn set_retention<B: Backend>(
    b: &B,
    id: &str,
    days: Option<i64>,
) -> Result<Project, StoreError> {
    if days.is_some_and(|d| d < 1) {
        return Err(StoreError::Invalid(
            "retention_days must be at least 1".to_string(),
        ));
    }
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    let sql =
        format!("UPDATE projects SET retention_days = $2 WHERE id = $1 RETURNING {PROJECT_COLS}");
    let row = tx
        .fetch_optional(&sql, &[Text(id), OptInt(days)])
        .await?
        .ok_or(StoreError::NotFound)?;
    let project = rows::project(&row)?;
    tx.commit().await?;
    Ok(project)
}
