//! Approvals: created pending, decided exactly once.

use serde_json::Value;

use super::rows::{self, APPROVAL_COLS};
use super::Arg::{Int, Json, OptText, Text};
use super::{page_limit, paginate, plus_one, Access, Backend, Params, RowGet, Scope, Tx};
use crate::ids::{self, APPROVAL};
use crate::time::now_micros;
use crate::{cursor, Approval, DecideOutcome, Page, PageRequest, StoreError, Timestamp};

pub(super) async fn create<B: Backend>(
    b: &B,
    project_id: &str,
    action: &str,
    context: Value,
    requested_by: &str,
) -> Result<Approval, StoreError> {
    if action.trim().is_empty() {
        return Err(StoreError::Invalid("action must not be empty".to_string()));
    }
    let approval = Approval {
        id: ids::new_id(APPROVAL),
        project_id: project_id.to_string(),
        action: action.to_string(),
        context,
        status: "pending".to_string(),
        reason: None,
        requested_by: Some(requested_by.to_string()),
        decided_by: None,
        created_at: Timestamp(now_micros()),
        decided_at: None,
    };
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    tx.execute(
        "INSERT INTO approvals (id, project_id, action, context, status, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
        &[
            Text(&approval.id),
            Text(project_id),
            Text(&approval.action),
            Json(&approval.context),
            Text(requested_by),
            Int(approval.created_at.0),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(approval)
}

async fn find<T: Tx>(tx: &mut T, project_id: &str, id: &str) -> Result<Approval, StoreError> {
    let sql = format!("SELECT {APPROVAL_COLS} FROM approvals WHERE project_id = $1 AND id = $2");
    match tx
        .fetch_optional(&sql, &[Text(project_id), Text(id)])
        .await?
    {
        Some(row) => rows::approval(&row),
        None => Err(StoreError::NotFound),
    }
}

pub(super) async fn get<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
) -> Result<Approval, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    find(&mut tx, project_id, id).await
}

/// Newest first; the cursor is the last approval's (created_at, id).
pub(super) async fn list<B: Backend>(
    b: &B,
    project_id: &str,
    status: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Approval>, StoreError> {
    let limit = page_limit(page.limit);
    let before: Option<(i64, String)> = page.cursor.as_deref().map(cursor::decode).transpose()?;
    let mut p = Params::new(Text(project_id));
    let mut sql = format!("SELECT {APPROVAL_COLS} FROM approvals WHERE project_id = $1");
    match status {
        None => {}
        Some(s @ ("pending" | "approved" | "rejected")) => {
            sql.push_str(&format!(" AND status = {}", p.add(Text(s))));
        }
        Some(other) => {
            return Err(StoreError::Invalid(format!(
                "unknown approval status {other:?}; expected pending, approved or rejected"
            )))
        }
    }
    if let Some((created, id)) = &before {
        let (c, i) = (p.add(Int(*created)), p.add(Text(id)));
        sql.push_str(&format!(
            " AND (created_at < {c} OR (created_at = {c} AND id < {i}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY created_at DESC, id DESC LIMIT {}",
        p.add(Int(plus_one(limit)))
    ));
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let rows = tx
        .fetch_all(&sql, &p.args)
        .await?
        .iter()
        .map(rows::approval)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paginate(rows, limit, |a| (a.created_at.0, a.id.clone())))
}

/// How many approvals have this status (all of them with `None`).
pub(super) async fn count<B: Backend>(
    b: &B,
    project_id: &str,
    status: Option<&str>,
) -> Result<u64, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let row = match status {
        None => {
            tx.fetch_optional(
                "SELECT COUNT(*) AS n FROM approvals WHERE project_id = $1",
                &[Text(project_id)],
            )
            .await?
        }
        Some(s) => {
            tx.fetch_optional(
                "SELECT COUNT(*) AS n FROM approvals WHERE project_id = $1 AND status = $2",
                &[Text(project_id), Text(s)],
            )
            .await?
        }
    };
    let n = match row {
        Some(r) => r.int("n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(super) async fn decide<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
    decision: &str,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<DecideOutcome, StoreError> {
    if !matches!(decision, "approved" | "rejected") {
        return Err(StoreError::Invalid(format!(
            "unknown decision {decision:?}; expected approved or rejected"
        )));
    }
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    // The `status = 'pending'` guard makes this a compare-and-set: of two racing
    // deciders, the second finds no pending row (PostgreSQL re-checks it after the
    // first commits; SQLite has one writer at a time).
    let sql = format!(
        "UPDATE approvals SET status = $3, reason = $4, decided_by = $5, decided_at = $6 \
         WHERE project_id = $1 AND id = $2 AND status = 'pending' RETURNING {APPROVAL_COLS}"
    );
    let args = [
        Text(project_id),
        Text(id),
        Text(decision),
        OptText(reason),
        Text(decided_by),
        Int(now_micros()),
    ];
    if let Some(row) = tx.fetch_optional(&sql, &args).await? {
        let approval = rows::approval(&row)?;
        tx.commit().await?;
        return Ok(DecideOutcome::Decided(approval));
    }
    let existing = find(&mut tx, project_id, id).await?;
    Ok(DecideOutcome::AlreadyDecided(existing))
}
