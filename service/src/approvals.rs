//! Approvals, as `jamjet.require_approval` uses them: an agent requests one and polls
//! it; a person decides it once (from the dashboard or `/v1`), and the decision
//! records who made it.
use serde_json::Value;

use crate::names::{optional, required, MAX_REASON_CHARS};
use crate::{changes, Caller, Permission, ServiceError, ServiceResult, Store};
use store::ProjectChangeKind;

/// Longest action text an approval request may carry, in characters.
pub const MAX_ACTION_CHARS: usize = 1024;

/// Where an approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    /// `pending`, `approved` or `rejected`, naming `field` when it is none of them.
    pub fn parse(field: &str, text: &str) -> ServiceResult<Status> {
        match text {
            "pending" => Ok(Status::Pending),
            "approved" => Ok(Status::Approved),
            "rejected" => Ok(Status::Rejected),
            other => Err(ServiceError::invalid(
                field,
                format!("unknown status {other:?}; expected pending, approved, rejected"),
            )),
        }
    }
}

/// What a person decides: approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approved,
    Rejected,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Rejected => "rejected",
        }
    }

    /// `approved` or `rejected`.
    pub fn parse(text: &str) -> ServiceResult<Decision> {
        match text {
            "approved" => Ok(Decision::Approved),
            "rejected" => Ok(Decision::Rejected),
            other => Err(ServiceError::invalid(
                "decision",
                format!("unknown decision {other:?}; expected approved or rejected"),
            )),
        }
    }
}

/// Requests a human approval (what an agent's SDK does).
pub async fn request(
    store: &Store,
    caller: &Caller,
    action: &str,
    context: Option<Value>,
) -> ServiceResult<store::Approval> {
    caller.require(Permission::RequestApproval)?;
    let action = required("action", action, MAX_ACTION_CHARS)?;
    let context = match context {
        None | Some(Value::Null) => Value::Null,
        Some(context @ Value::Object(_)) => context,
        Some(_) => {
            return Err(ServiceError::invalid(
                "context",
                "expected an object (what the agent wants to do, for the reviewer)",
            ))
        }
    };
    let approval = store
        .create_approval(caller.project_id(), &action, context, &caller.author())
        .await?;
    let kind = ProjectChangeKind::ApprovalRequested;
    changes::record(store, caller, kind, &approval.id, Some(action)).await?;
    Ok(approval)
}

/// One approval: any of the project's for a caller that may read it, else (an agent
/// key polling) only one it requested; others look like ids that do not exist.
pub async fn get(store: &Store, caller: &Caller, id: &str) -> ServiceResult<store::Approval> {
    let reads_all = caller.may(Permission::Read);
    if !reads_all {
        caller.require(Permission::RequestApproval)?;
    }
    let missing = || format!("no approval request {id:?} in this project");
    let approval = store
        .approval(caller.project_id(), id)
        .await
        .map_err(ServiceError::not_found(missing()))?;
    if reads_all || approval.requested_by.as_deref() == Some(caller.author().as_str()) {
        Ok(approval)
    } else {
        Err(ServiceError::NotFound(missing()))
    }
}

/// A page of approvals, optionally of one status, newest first.
pub async fn list(
    store: &Store,
    caller: &Caller,
    status: Option<Status>,
    page: &store::PageRequest,
) -> ServiceResult<store::Page<store::Approval>> {
    caller.require(Permission::Read)?;
    Ok(store
        .list_approvals(caller.project_id(), status.map(Status::as_str), page)
        .await?)
}

/// How many approvals have `status` (all with `None`).
pub async fn count(store: &Store, caller: &Caller, status: Option<Status>) -> ServiceResult<u64> {
    caller.require(Permission::Read)?;
    Ok(store
        .count_approvals(caller.project_id(), status.map(Status::as_str))
        .await?)
}

/// One tab of the approvals page.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueTab {
    /// At most the `limit` asked of [`queue`].
    pub rows: Vec<store::Approval>,
    /// All of them, shown or not.
    pub count: u64,
}

/// The approvals page's two tabs, each at most `limit` rows: pending (newest first)
/// and decided (most recently decided first, among the `limit` newest approved and
/// the `limit` newest rejected).
pub async fn queue(
    store: &Store,
    caller: &Caller,
    limit: u32,
) -> ServiceResult<(QueueTab, QueueTab)> {
    let first = store::PageRequest::first(limit);
    let pending = QueueTab {
        rows: list(store, caller, Some(Status::Pending), &first)
            .await?
            .items,
        count: count(store, caller, Some(Status::Pending)).await?,
    };
    let mut decided = list(store, caller, Some(Status::Approved), &first)
        .await?
        .items;
    decided.extend(
        list(store, caller, Some(Status::Rejected), &first)
            .await?
            .items,
    );
    decided.sort_by(|a, b| {
        b.decided_at
            .map(|t| t.micros())
            .cmp(&a.decided_at.map(|t| t.micros()))
    });
    decided.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let all = count(store, caller, None).await?;
    let decided = QueueTab {
        rows: decided,
        count: all.saturating_sub(pending.count),
    };
    Ok((pending, decided))
}

/// Approves or rejects a pending request, once, recording the caller as who decided.
/// A second decision is a `Conflict` naming the first.
pub async fn decide(
    store: &Store,
    caller: &Caller,
    id: &str,
    decision: Decision,
    reason: Option<String>,
) -> ServiceResult<store::Approval> {
    caller.require(Permission::Govern)?;
    let reason = optional("reason", reason, MAX_REASON_CHARS)?;
    let outcome = store
        .decide_approval(
            caller.project_id(),
            id,
            decision.as_str(),
            reason.as_deref(),
            &caller.author(),
        )
        .await
        .map_err(ServiceError::not_found(
            "that approval request no longer exists",
        ))?;
    match outcome {
        store::DecideOutcome::Decided(a) => {
            let detail = match &a.reason {
                Some(reason) => format!("{}: {reason}", a.status),
                None => a.status.clone(),
            };
            let kind = ProjectChangeKind::ApprovalDecided;
            changes::record(store, caller, kind, &a.id, Some(detail)).await?;
            Ok(a)
        }
        store::DecideOutcome::AlreadyDecided(a) => Err(ServiceError::Conflict(format!(
            "approval {id} was already {} by {}",
            a.status,
            a.decided_by.as_deref().unwrap_or("someone else")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse() {
        for s in [Status::Pending, Status::Approved, Status::Rejected] {
            assert_eq!(Status::parse("status", s.as_str()), Ok(s));
        }
        assert!(Status::parse("status", "").is_err());
        assert_eq!(Decision::parse("approved"), Ok(Decision::Approved));
        assert!(Decision::parse("maybe")
            .unwrap_err()
            .to_string()
            .starts_with("decision: unknown decision"));
    }
}
