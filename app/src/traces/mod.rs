//! Traces: the traces list (`/dashboard/traces`, filters and pages) and one trace's
//! RunTree (`/dashboard/traces/{id}`, with the selected span in full). Their types,
//! their server functions and, in the submodules, their pages and the tree logic.
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use policy::Verdict;
use serde::{Deserialize, Serialize};

use crate::model::{DatasetRef, Scoped, TraceRow};
#[cfg(feature = "ssr")]
use crate::{server::service_error, support};

pub mod list;
pub mod trace;
pub mod tree;

/// Spans a trace page shows before it offers the rest (`?spans=all`): a RunTree of
/// thousands of rows is megabytes of HTML that nobody reads at once.
pub const RUNTREE_SPANS: u32 = 1_000;

/// Traces per page in the traces table.
pub const TRACE_PAGE: u32 = 50;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceQuery {
    pub agent: Option<String>,
    pub verdict: Option<String>,
    pub session: Option<String>,
    pub tool: Option<String>,
    /// `1h`, `24h`, `7d`, `30d`, or empty for all time.
    pub range: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TracesPage {
    pub traces: Vec<TraceRow>,
    pub next_cursor: Option<String>,
    pub datasets: Vec<DatasetRef>,
    /// The filter could not be applied (e.g. an unknown verdict); explained to the user.
    pub filter_error: Option<String>,
    /// This server's base URL, for the empty state's SDK snippet.
    pub server_url: String,
}

/// One span of a trace, without its payload (fetched for the selected span only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub kind: String,
    pub name: String,
    pub tool: String,
    pub ts_micros: i64,
    pub duration_ms: Option<f64>,
    pub status: String,
    pub verdict: Verdict,
    pub agent: Option<String>,
    pub model: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
    /// For `policy_decision` spans: the tool the decision was about (`payload.tool_name`).
    pub evaluates: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceDetail {
    pub summary: TraceRow,
    pub events: Vec<EventRow>,
    pub datasets: Vec<DatasetRef>,
}

/// The selected span in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanDetail {
    pub span_id: String,
    pub kind: String,
    pub name: String,
    pub timestamp: String,
    pub status: String,
    pub verdict: Verdict,
    /// Other columns worth showing (session, environment, approval id, ...), as pairs.
    pub fields: Vec<(String, String)>,
    /// The payload, pretty-printed.
    pub payload: String,
}

#[server(prefix = "/api/read", input = Json)]
pub async fn list_traces(
    project: Option<String>,
    query: TraceQuery,
) -> Result<Option<Scoped<TracesPage>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let datasets = support::dataset_refs(&ctx).await?;
    let blank = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut filter_error = None;
    let verdict = match blank(query.verdict.clone()) {
        None => None,
        Some(v) => match v.parse::<policy::Verdict>() {
            Ok(v) => Some(v),
            Err(e) => {
                filter_error = Some(format!("verdict: {e}"));
                None
            }
        },
    };
    let since_micros = match blank(query.range.clone()) {
        None => None,
        Some(text) => match policy::TimeWindow::parse("range", &text) {
            Ok(window) => window.since(store::now_micros()),
            Err(e) => {
                filter_error = Some(e);
                None
            }
        },
    };
    let filter = store::TraceFilter {
        agent: blank(query.agent),
        session: blank(query.session),
        verdict,
        tool: blank(query.tool),
        since_micros,
        until_micros: None,
        cursor: blank(query.cursor),
        limit: TRACE_PAGE,
    };
    let page = match service::traces::list(ctx.store(), &ctx.caller, &filter).await {
        Ok(page) => page,
        Err(service::ServiceError::Invalid { message, .. }) => {
            // A stale or hand-edited cursor: say so and show the first page.
            filter_error = Some(message);
            let first = store::TraceFilter {
                cursor: None,
                ..filter
            };
            service::traces::list(ctx.store(), &ctx.caller, &first)
                .await
                .map_err(service_error)?
        }
        Err(e) => return Err(service_error(e)),
    };
    Ok(Some(support::scoped_some(
        &ctx,
        TracesPage {
            traces: page.traces.into_iter().map(TraceRow::from).collect(),
            next_cursor: page.next_cursor,
            datasets,
            filter_error,
            server_url: crate::server::server_url(),
        },
    )))
}

#[server(prefix = "/api/read")]
pub async fn get_trace(
    project: Option<String>,
    trace_id: String,
    all_spans: bool,
) -> Result<Option<Scoped<TraceDetail>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let datasets = support::dataset_refs(&ctx).await?;
    // "All" is still one page: at most the API's largest (a longer trace says so).
    let limit = if all_spans {
        service::paging::TRACE_EVENTS.max
    } else {
        RUNTREE_SPANS
    };
    let page = store::PageRequest::first(limit);
    let trace =
        support::found(service::traces::get(ctx.store(), &ctx.caller, &trace_id, &page).await)?;
    let data = trace.and_then(|t| {
        Some(TraceDetail {
            summary: t.summary?.into(),
            events: t.events.iter().map(EventRow::from).collect(),
            datasets,
        })
    });
    Ok(Some(support::scoped(&ctx, data)))
}

#[server(prefix = "/api/read")]
pub async fn get_span(
    project: Option<String>,
    trace_id: String,
    span_id: String,
) -> Result<Option<SpanDetail>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    Ok(
        service::traces::span(ctx.store(), &ctx.caller, &trace_id, &span_id)
            .await
            .map_err(service_error)?
            .as_ref()
            .map(SpanDetail::from),
    )
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;

    impl From<&store::StoredEvent> for EventRow {
        fn from(e: &store::StoredEvent) -> Self {
            let evaluates = (e.kind == policy::EventKind::PolicyDecision.as_str())
                .then(|| {
                    e.payload
                        .get("tool_name")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_string)
                })
                .flatten();
            EventRow {
                span_id: e.span_id.clone(),
                parent_span_id: e.parent_span_id.clone(),
                kind: e.kind.clone(),
                name: e.name.clone(),
                tool: e.tool.clone(),
                ts_micros: e.ts_micros,
                duration_ms: e.duration_ms,
                status: e.status.clone(),
                verdict: e.verdict,
                agent: e.agent_name.clone(),
                model: e.model.clone(),
                input_tokens: e.input_tokens,
                output_tokens: e.output_tokens,
                cost_usd: e.cost_usd,
                evaluates,
            }
        }
    }

    impl From<&store::StoredEvent> for SpanDetail {
        fn from(e: &store::StoredEvent) -> Self {
            let optional = [
                ("trace", Some(e.trace_id.clone())),
                ("parent span", e.parent_span_id.clone()),
                ("tool", Some(e.tool.clone())),
                ("agent", e.agent_name.clone()),
                ("model", e.model.clone()),
                ("duration", e.duration_ms.map(|d| format!("{d} ms"))),
                ("input tokens", e.input_tokens.map(|t| t.to_string())),
                ("output tokens", e.output_tokens.map(|t| t.to_string())),
                ("cost", e.cost_usd.map(|c| format!("${c:.6}"))),
                ("session", e.session_id.clone()),
                ("environment", e.environment.clone()),
                ("release", e.release_version.clone()),
                ("end user", e.end_user_id.clone()),
                ("end user email", e.end_user_email.clone()),
                ("approval", e.approval_id.clone()),
                ("originating trace", e.originating_trace_id.clone()),
                ("originating span", e.originating_span_id.clone()),
                ("originating agent", e.originating_agent_name.clone()),
                ("agent card", e.agent_card_uri.clone()),
                ("sequence", Some(e.sequence.to_string())),
            ];
            SpanDetail {
                span_id: e.span_id.clone(),
                kind: e.kind.clone(),
                name: e.name.clone(),
                timestamp: e.timestamp.clone(),
                status: e.status.clone(),
                verdict: e.verdict,
                fields: optional
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
                    .collect(),
                payload: serde_json::to_string_pretty(&e.payload)
                    .unwrap_or_else(|_| e.payload.to_string()),
            }
        }
    }
}
