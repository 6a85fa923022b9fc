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

/// A trace: its summary and one page of its events, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// `None` when the trace has no summary row (ids the store cannot key, such as
    /// one holding NUL).
    pub summary: Option<store::TraceSummary>,
    pub events: Vec<store::StoredEvent>,
    /// `Some` when more events follow this page: pass it back to read them.
    pub next_cursor: Option<String>,
}

/// One trace with the page `page` of its events; `NotFound` when the project has no
/// event of it.
pub async fn get(
    store: &Store,
    caller: &Caller,
    trace_id: &str,
    page: &store::PageRequest,
) -> ServiceResult<Trace> {
    caller.require(Permission::Read)?;
    let project = caller.project_id();
    let events = store.trace_events_page(project, trace_id, page).await?;
    if events.items.is_empty() && page.cursor.is_none() {
        return Err(ServiceError::NotFound(format!(
            "no trace {trace_id:?} in this project"
        )));
    }
    let summary = store
        .trace_summaries(project, &[trace_id.to_string()])
        .await?
        .into_iter()
        .next();
    Ok(Trace {
        summary,
        events: events.items,
        next_cursor: events.next_cursor,
    })
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
