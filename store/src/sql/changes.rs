//! The project change log: who changed what, newest first.

use super::Arg::{Int, OptText, Text};
use super::{Access, Backend, RowGet, Scope, Tx};
use crate::time::now_micros;
use crate::{ProjectChange, ProjectChangeKind, StoreError, Timestamp};

pub(super) async fn record<B: Backend>(
    b: &B,
    project_id: &str,
    actor: &str,
    kind: ProjectChangeKind,
    subject: &str,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    tx.execute(
        "INSERT INTO project_changes (project_id, actor, kind, subject, detail, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Text(project_id),
            Text(actor),
            Text(kind.as_str()),
            Text(subject),
            OptText(detail),
            Int(now_micros()),
        ],
    )
    .await?;
    tx.commit().await
}

pub(super) async fn list<B: Backend>(
    b: &B,
    project_id: &str,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<ProjectChange>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let limit = i64::try_from(super::page_limit(limit)).unwrap_or(1000);
    let rows = tx
        .fetch_all(
            "SELECT id, actor, kind, subject, detail, changed_at FROM project_changes \
             WHERE project_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            &[
                Text(project_id),
                Int(before.unwrap_or(i64::MAX)),
                Int(limit),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let kind = r.text("kind")?;
            Ok(ProjectChange {
                id: r.int("id")?,
                actor: r.text("actor")?,
                kind: ProjectChangeKind::parse(&kind).ok_or_else(|| {
                    StoreError::Database(format!("unknown project change {kind:?} stored"))
                })?,
                subject: r.text("subject")?,
                detail: r.opt_text("detail")?,
                changed_at: Timestamp(r.int("changed_at")?),
            })
        })
        .collect()
}
