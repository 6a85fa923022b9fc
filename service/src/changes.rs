//! The project change log: every write an operation makes to what governs a project
//! (datasets, policy versions, approvals, keys, the project's settings) is recorded
//! with its actor (`Caller::author`: an account's email or `key:<prefix>`). Shown on
//! the audit page and at `GET /v1/audit/changes`.
use store::ProjectChangeKind;

use crate::{Caller, Permission, ServiceResult, Store};

/// Most changes one page holds.
pub const MAX_PAGE: u32 = 200;

/// Records one change made by `caller`, after the write succeeded. A failure here is
/// reported to the caller (500) rather than leaving the write unattributed unnoticed.
pub(crate) async fn record(
    store: &Store,
    caller: &Caller,
    kind: ProjectChangeKind,
    subject: &str,
    detail: Option<String>,
) -> ServiceResult<()> {
    Ok(store
        .record_change(
            caller.project_id(),
            &caller.author(),
            kind,
            subject,
            detail.as_deref(),
        )
        .await?)
}

/// One page of the log, newest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChangePage {
    pub changes: Vec<store::ProjectChange>,
    /// Pass as `before` for the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}

/// Changes older than `before` (a change id), at most `limit` (1 to [`MAX_PAGE`]).
pub async fn page(
    store: &Store,
    caller: &Caller,
    before: Option<i64>,
    limit: u32,
) -> ServiceResult<ChangePage> {
    caller.require(Permission::Read)?;
    let limit = limit.clamp(1, MAX_PAGE);
    // One more than asked says whether an older page exists.
    let mut changes = store
        .project_changes(caller.project_id(), before, limit + 1)
        .await?;
    let more = changes.len() > limit as usize;
    changes.truncate(limit as usize);
    let next_before = more.then(|| changes.last().map(|c| c.id)).flatten();
    Ok(ChangePage {
        changes,
        next_before,
    })
}
