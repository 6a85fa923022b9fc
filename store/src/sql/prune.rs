//! Retention: drop old traces, keep pinned ones.

use super::Arg::{Int, Text};
use super::{Access, Backend, RowGet, Scope, Tx};
use crate::StoreError;

const MICROS_PER_DAY: i64 = 86_400_000_000;

pub(super) async fn prune<B: Backend>(
    b: &B,
    now_micros: i64,
    default_days: Option<i64>,
) -> Result<u64, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Read).await?;
    let projects = tx
        .fetch_all("SELECT id, retention_days FROM projects ORDER BY id", &[])
        .await?
        .iter()
        .map(|r| Ok((r.text("id")?, r.opt_int("retention_days")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    drop(tx);

    let mut deleted = 0;
    // A project's own setting wins over the server-wide default.
    for (project_id, days) in projects
        .into_iter()
        .filter_map(|(id, own)| own.or(default_days).map(|days| (id, days)))
    {
        let cutoff = now_micros.saturating_sub(days.saturating_mul(MICROS_PER_DAY));
        deleted += prune_project(b, &project_id, cutoff).await?;
    }
    Ok(deleted)
}

/// Whole traces go, so no trace is ever left half-deleted; one whose last event is
/// older than `cutoff` and that no dataset pins. Each project in its own transaction
/// (and, on PostgreSQL, under its own RLS scope).
async fn prune_project<B: Backend>(
    b: &B,
    project_id: &str,
    cutoff: i64,
) -> Result<u64, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    // The traces rows are deleted first and their ids returned, so the events deleted
    // are exactly those traces' even if a pin arrives meanwhile.
    let gone = tx
        .fetch_all(
            "DELETE FROM traces WHERE project_id = $1 AND end_micros < $2 \
             AND NOT EXISTS (SELECT 1 FROM dataset_items d \
                             WHERE d.project_id = traces.project_id AND d.trace_id = traces.trace_id) \
             RETURNING trace_id",
            &[Text(project_id), Int(cutoff)],
        )
        .await?
        .iter()
        .map(|r| r.text("trace_id"))
        .collect::<Result<Vec<String>, StoreError>>()?;
    if gone.is_empty() {
        return Ok(0);
    }
    let (n, rollups) =
        super::rollups::delete_trace_events(&mut tx, B::DIALECT, project_id, &gone).await?;
    super::rollups::apply(&mut tx, B::DIALECT, project_id, rollups).await?;
    tx.commit().await?;
    Ok(n)
}
