//! Reading what agents sent: traces, one trace's events, a span, threads (sessions).

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

/// The tool, LLM and MCP calls per UTC hour and recorded verdict from the hour holding
/// `since_micros`, from the store's hourly rollups (the home page's chart and totals):
/// the cost grows with hours, not events.
pub async fn calls_by_hour(
    store: &Store,
    caller: &Caller,
    since_micros: i64,
) -> ServiceResult<Vec<store::HourlyCalls>> {
    caller.require(Permission::Read)?;
    Ok(store
        .hourly_calls(caller.project_id(), since_micros)
        .await?)
}

/// The `limit` tools (or models) with the most calls recorded with `verdict` from the
/// hour holding `since_micros`, busiest first.
pub async fn top_tools(
    store: &Store,
    caller: &Caller,
    since_micros: i64,
    verdict: policy::Verdict,
    limit: usize,
) -> ServiceResult<Vec<(String, u64)>> {
    caller.require(Permission::Read)?;
    Ok(store
        .top_tools(caller.project_id(), since_micros, verdict, limit)
        .await?)
}
