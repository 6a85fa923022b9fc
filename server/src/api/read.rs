//! Read API: traces, threads and the audit log.
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiQuery, ApiResult, AppError, AppState, Caller};
use service::ingest::parse_timestamp;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TraceQuery {
    pub agent: Option<String>,
    pub session: Option<String>,
    pub verdict: Option<String>,
    pub tool: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// A list's page size: `service::paging::LISTS` (50 when absent, at most 500).
pub fn page_limit(limit: Option<u32>) -> ApiResult<u32> {
    Ok(service::paging::LISTS.limit(limit)?)
}

pub fn parse_verdict(field: &str, text: Option<&str>) -> ApiResult<Option<policy::Verdict>> {
    text.map(|v| {
        v.parse::<policy::Verdict>().map_err(|_| {
            AppError::invalid(
                field,
                format!(
                    "unknown verdict {v:?}; expected allowed, blocked, held, redacted, errored"
                ),
            )
        })
    })
    .transpose()
}

/// An RFC 3339 time; empty is the same as absent (what a cleared form field sends).
pub fn parse_time(field: &str, text: Option<&str>) -> ApiResult<Option<i64>> {
    text.filter(|t| !t.is_empty())
        .map(|t| parse_timestamp(t).map_err(|_| AppError::invalid(field, "not ISO 8601")))
        .transpose()
}

#[utoipa::path(get, path = "/v1/traces", tag = "traces", summary = "List traces, newest first", params(TraceQuery), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn list_traces(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TraceQuery>,
) -> ApiResult<Json<store::TracePage>> {
    let filter = store::TraceFilter {
        agent: q.agent,
        session: q.session,
        verdict: parse_verdict("verdict", q.verdict.as_deref())?,
        tool: q.tool,
        since_micros: parse_time("since", q.since.as_deref())?,
        until_micros: parse_time("until", q.until.as_deref())?,
        cursor: q.cursor,
        limit: page_limit(q.limit)?,
    };
    Ok(Json(
        service::traces::list(state.store.as_ref(), &caller, &filter).await?,
    ))
}

/// Which page of a listing to read. The default and largest `limit` of each listing
/// are in its description (and in README.md, Security).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The previous page's `next_cursor`; absent for the first page.
    pub cursor: Option<String>,
    /// Page size: at least 1; a larger one than the listing's largest is lowered to it.
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/traces/{trace_id}", tag = "traces", summary = "One trace: its summary and a page of its events, in trace order",
    description = "`{trace_id, summary, events, next_cursor}`: at most `limit` events (default 1,000, at most 5,000). \
                   `next_cursor` is null on the last page; otherwise pass it as `cursor` for the next events.",
    params(("trace_id" = String, Path), PageQuery), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn get_trace(
    State(state): State<AppState>,
    caller: Caller,
    Path(trace_id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let page = service::paging::TRACE_EVENTS.page(q.cursor, q.limit)?;
    let trace = service::traces::get(state.store.as_ref(), &caller, &trace_id, &page).await?;
    Ok(Json(json!({
        "trace_id": trace_id,
        "summary": trace.summary,
        "events": trace.events,
        "next_cursor": trace.next_cursor,
    })))
}

#[utoipa::path(get, path = "/v1/threads", tag = "traces", summary = "Traces grouped by session", params(PageQuery), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn list_threads(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<store::ThreadPage>> {
    let filter = store::ThreadFilter {
        cursor: q.cursor,
        limit: page_limit(q.limit)?,
    };
    Ok(Json(
        service::traces::threads(state.store.as_ref(), &caller, &filter).await?,
    ))
}

#[utoipa::path(get, path = "/v1/threads/{session_id}", tag = "traces", summary = "One session and its turns", params(("session_id" = String, Path)), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn get_thread(
    State(state): State<AppState>,
    caller: Caller,
    Path(session_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (summary, turns) =
        service::traces::thread(state.store.as_ref(), &caller, &session_id).await?;
    Ok(Json(json!({ "thread": summary, "turns": turns })))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub verdict: Option<String>,
    /// Comma-separated span kinds, e.g. `approval,budget_check`.
    pub kind: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/audit", tag = "traces", summary = "Policy-relevant events with counts per verdict", params(AuditQuery), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<store::AuditPage>> {
    let filter = store::AuditFilter {
        verdict: parse_verdict("verdict", q.verdict.as_deref())?,
        kinds: q
            .kind
            .map(|k| service::audit::parse_kinds("kind", &k))
            .transpose()?,
        cursor: q.cursor,
        limit: page_limit(q.limit)?,
    };
    Ok(Json(
        service::audit::page(state.store.as_ref(), &caller, &filter).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next_before` of the previous page: changes older than it.
    pub before: Option<i64>,
    /// 1 to 200 (default 50).
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/audit/changes", tag = "traces", summary = "Who changed what in the project, newest first", params(ChangesQuery), responses((status = 200, description = "`{changes: [{id, actor, kind, subject, detail, changed_at}], next_before}`; `actor` is an account's email or `key:<prefix>`")), security(("bearer" = [])))]
pub async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> ApiResult<Json<service::changes::ChangePage>> {
    let limit = match q.limit {
        None => 50,
        Some(0) => return Err(AppError::invalid("limit", "must be at least 1")),
        Some(n) => n.min(service::changes::MAX_PAGE),
    };
    Ok(Json(
        service::changes::page(state.store.as_ref(), &caller, q.before, limit).await?,
    ))
}
