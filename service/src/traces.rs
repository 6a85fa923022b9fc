//! Reading what agents sent: traces, one trace's events, a span, threads (sessions).
use futures::StreamExt;

use crate::{Caller, Permission, ServiceError, ServiceResult, Store};

pub async fn list(
    store: &Store,
    caller: &Caller,
    filter: &store::TraceFilter,
) -> ServiceResult<store::TracePage> {
    caller.require(Permission::Read)?;
    Ok(store.list_traces(caller.project_id(), filter).await?)
}

/// A trace: its summary and events (the first `limit` in time order, or all).
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// `None` when the trace has no summary row (ids the store cannot key, such as
    /// one holding NUL).
    pub summary: Option<store::TraceSummary>,
    pub events: Vec<store::StoredEvent>,
}

/// One trace, `NotFound` when the project has no event of it.
pub async fn get(
    store: &Store,
    caller: &Caller,
    trace_id: &str,
    limit: Option<usize>,
) -> ServiceResult<Trace> {
    caller.require(Permission::Read)?;
    let project = caller.project_id();
    let events = match limit {
        Some(n) => store.first_trace_events(project, trace_id, n).await?,
        None => store.trace_events(project, trace_id).await?,
    };
    let summary = store
        .trace_summaries(project, &[trace_id.to_string()])
        .await?
        .into_iter()
        .next();
    if events.is_empty() {
        return Err(ServiceError::NotFound(format!(
            "no trace {trace_id:?} in this project"
        )));
    }
    Ok(Trace { summary, events })
}

/// Every event of a trace, in trace order (`NotFound` when there is none).
pub async fn events(
    store: &Store,
    caller: &Caller,
    trace_id: &str,
) -> ServiceResult<Vec<store::StoredEvent>> {
    caller.require(Permission::Read)?;
    let events = store.trace_events(caller.project_id(), trace_id).await?;
    if events.is_empty() {
        return Err(ServiceError::NotFound(format!(
            "no trace {trace_id:?} in this project"
        )));
    }
    Ok(events)
}

/// One span, read by id.
pub async fn span(
    store: &Store,
    caller: &Caller,
    trace_id: &str,
    span_id: &str,
) -> ServiceResult<Option<store::StoredEvent>> {
    caller.require(Permission::Read)?;
    Ok(store
        .span_event(caller.project_id(), trace_id, span_id)
        .await?)
}

pub async fn threads(
    store: &Store,
    caller: &Caller,
    filter: &store::ThreadFilter,
) -> ServiceResult<store::ThreadPage> {
    caller.require(Permission::Read)?;
    Ok(store.list_threads(caller.project_id(), filter).await?)
}

/// One session and its turns.
pub async fn thread(
    store: &Store,
    caller: &Caller,
    session_id: &str,
) -> ServiceResult<(store::ThreadSummary, Vec<store::TraceSummary>)> {
    caller.require(Permission::Read)?;
    store
        .thread(caller.project_id(), session_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no thread {session_id:?} in this project")))
}

/// Streams the tool, LLM and MCP calls since `since_micros` (all when `None`) to
/// `visit`, oldest first, at most `limit` of them; `true` when it stopped at the limit
/// (the home page's charts read a window this way).
pub async fn visit_calls(
    store: &Store,
    caller: &Caller,
    since_micros: Option<i64>,
    limit: usize,
    mut visit: impl FnMut(policy::Event),
) -> ServiceResult<bool> {
    caller.require(Permission::Read)?;
    let scan = store::EventScan::Window {
        since_micros,
        until_micros: None,
    };
    let mut stream = store.scan_events(caller.project_id(), scan);
    let mut seen = 0usize;
    while let Some(event) = stream.next().await {
        if seen == limit {
            return Ok(true);
        }
        seen += 1;
        visit(event?);
    }
    Ok(false)
}
