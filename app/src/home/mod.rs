//! The home page (`/dashboard`): the project at a glance for a time range. Its types
//! and server function ([`get_overview`], from the store's hourly rollups), the range
//! and its buckets ([`range`]) and the page ([`page`]).
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::approvals::ApprovalItem;
use crate::audit::AuditItem;
use crate::components::charts::Bar;
use crate::model::{Counts, Scoped, TraceRow};
#[cfg(feature = "ssr")]
use crate::support;

pub mod page;
pub mod range;

/// A name and how often it occurred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// `24h`, `7d` or `30d`.
    pub range: String,
    pub range_error: Option<String>,
    /// Tool, LLM and MCP calls in the range, per verdict.
    pub counts: Counts,
    pub cost_usd: f64,
    pub bucket_micros: i64,
    pub bars: Vec<Bar>,
    pub top_blocked: Vec<Tally>,
    pub top_held: Vec<Tally>,
    pub pending_count: usize,
    pub pending: Vec<ApprovalItem>,
    pub errors: Vec<AuditItem>,
    pub recent: Vec<TraceRow>,
    /// The project has no traces at all (the page shows how to send some).
    pub empty: bool,
    pub server_url: String,
}

#[server(prefix = "/api/read")]
pub async fn get_overview(
    project: Option<String>,
    range: Option<String>,
) -> Result<Option<Scoped<Overview>>, ServerFnError> {
    use policy::Verdict;

    use crate::server::service_error;
    use range::Range;

    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let (store, caller) = (ctx.store(), &ctx.caller);
    let (range, range_error) = match Range::parse(range.as_deref()) {
        Ok(r) => (r, None),
        Err(e) => (Range::Day, Some(e)),
    };
    let now = store::now_micros();
    let buckets = range.buckets();
    let mut bars: Vec<Bar> = (0..buckets.len(now))
        .map(|i| Bar {
            start_micros: buckets.bucket_start(now, i),
            counts: [0; 5],
            cost_usd: 0.0,
        })
        .collect();
    let mut counts = Counts::default();
    let mut cost_usd = 0.0;
    let since = buckets.start(now);
    for hour in service::traces::calls_by_hour(store, caller, since)
        .await
        .map_err(service_error)?
    {
        let events = i64::try_from(hour.events).unwrap_or(i64::MAX);
        counts.add(hour.verdict, events);
        let cost = if hour.cost_usd.is_finite() {
            hour.cost_usd
        } else {
            0.0
        };
        cost_usd += cost;
        // Hours after now (clocks ahead of ours) count in the last bar.
        let Some(bar) = buckets
            .index(now, hour.hour_micros.min(now))
            .and_then(|i| bars.get_mut(i))
        else {
            continue;
        };
        if let Some(slot) = Verdict::ALL
            .iter()
            .position(|x| *x == hour.verdict)
            .and_then(|i| bar.counts.get_mut(i))
        {
            *slot += events;
        }
        bar.cost_usd += cost;
    }
    let top = |verdict| async move {
        service::traces::top_tools(store, caller, since, verdict, 5)
            .await
            .map(|tools| {
                tools
                    .into_iter()
                    .map(|(name, count)| Tally {
                        name,
                        count: i64::try_from(count).unwrap_or(i64::MAX),
                    })
                    .collect::<Vec<Tally>>()
            })
            .map_err(service_error)
    };
    let (top_blocked, top_held) = (top(Verdict::Blocked).await?, top(Verdict::Held).await?);
    let waiting = Some(service::approvals::Status::Pending);
    let pending_count = service::approvals::count(store, caller, waiting)
        .await
        .map_err(service_error)?;
    let pending_count = usize::try_from(pending_count).unwrap_or(usize::MAX);
    let pending = service::approvals::list(store, caller, waiting, &store::PageRequest::first(5))
        .await
        .map_err(service_error)?
        .items
        .into_iter()
        .map(crate::approvals::approval_item)
        .collect();
    let errors = service::audit::recent_errors(store, caller, 5)
        .await
        .map_err(service_error)?;
    let recent_filter = store::TraceFilter {
        limit: 6,
        ..Default::default()
    };
    let recent = service::traces::list(store, caller, &recent_filter)
        .await
        .map_err(service_error)?;
    Ok(Some(support::scoped_some(
        &ctx,
        Overview {
            range: range.as_str().to_string(),
            range_error,
            counts,
            cost_usd,
            bucket_micros: buckets.width_micros,
            bars,
            top_blocked,
            top_held,
            pending_count,
            pending,
            errors: errors.iter().map(crate::audit::audit_item).collect(),
            empty: recent.traces.is_empty(),
            recent: recent.traces.into_iter().map(TraceRow::from).collect(),
            server_url: crate::server::server_url(),
        },
    )))
}
