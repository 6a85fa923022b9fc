//! `/dashboard/traces/{trace_id}`: the RunTree. Spans nest under their parents as
//! native `<details>` (collapsible without JavaScript, no per-row reactivity, so a
//! trace of thousands of spans stays responsive); selecting a span (`?span=`) shows its
//! fields and payload.
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::add_to_dataset::AddToDataset;
use crate::components::unfurl::{verdict_text, Unfurl};
use crate::components::{
    error_text, loaded, use_project_query, use_query_param, AgentChip, Loading, PageHeader,
    VerdictChip, VerdictCounts,
};
use crate::format::{cost, datetime, duration_ms, href, short_id, tokens};
use crate::icons::{kind_icon, Icon};

use super::tree::{build, Axis, Node};
use super::{get_span, get_trace, EventRow, SpanDetail, TraceDetail};

#[component]
pub fn TracePage() -> impl IntoView {
    let params = use_params_map();
    let trace_id = Memo::new(move |_| params.with(|p| p.get("trace_id").unwrap_or_default()));
    let project_q = use_project_query();
    let span = use_query_param("span");
    let spans = use_query_param("spans");
    let all_spans = Memo::new(move |_| spans.get().as_deref() == Some("all"));
    let data = Resource::new(
        move || (project_q.get(), trace_id.get(), all_spans.get()),
        |(project, trace, all)| get_trace(project, trace, all),
    );
    let detail = Resource::new(
        move || (project_q.get(), trace_id.get(), span.get()),
        |(project, trace, span)| async move {
            match span {
                Some(span) => get_span(project, trace, span).await,
                None => Ok(None),
            }
        },
    );

    view! {
        <div class="page trace-page">
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "trace", move |project, _now, trace| {
                        view! { <TraceView trace=Arc::new(trace) project=project.id.clone() span detail all_spans=all_spans.get_untracked()/> }
                    })
                })}
            </Suspense>
        </div>
    }
    .into_any()
}

/// `support-bot · 12 events · 11 allowed · 1 blocked · 2.1 s · $0.03`.
fn trace_unfurl(s: &crate::model::TraceRow) -> String {
    let mut parts = Vec::new();
    if !s.agents.is_empty() {
        parts.push(s.agents.join(", "));
    }
    parts.push(format!(
        "{} event{}",
        s.event_count,
        if s.event_count == 1 { "" } else { "s" }
    ));
    parts.push(verdict_text(&s.verdicts));
    parts.push(duration_ms(s.duration_ms));
    parts.push(cost(s.cost_usd));
    parts.join(" · ")
}

#[component]
fn TraceView(
    trace: Arc<TraceDetail>,
    project: String,
    span: Memo<Option<String>>,
    detail: Resource<Result<Option<SpanDetail>, ServerFnError>>,
    all_spans: bool,
) -> impl IntoView {
    let s = trace.summary.clone();
    let head_events = trace.clone();
    let tree = build(&trace.events);
    let axis = Axis::of(&trace.events);
    let ids = Signal::stored(vec![s.trace_id.clone()]);
    let subtitle = format!(
        "{} · {} events · {} · {}",
        datetime(s.start_micros),
        s.event_count,
        duration_ms(s.duration_ms),
        cost(s.cost_usd)
    );
    let session = s.session_id.clone().map(|sid| {
        let link = href(&format!("/dashboard/threads/{sid}"), &project, &[]);
        view! { <a class="button" href=link><Icon name="threads"/>"Thread"</a> }
    });
    // One reactive rule highlights the selected row, instead of one binding per row.
    let highlight = move || {
        span.get()
            .map(|id| {
                let id = id.replace(['"', '\\'], "");
                format!("details[data-span=\"{id}\"] > summary {{ background: var(--selected); box-shadow: inset 3px 0 0 var(--accent); }}")
            })
            .unwrap_or_default()
    };
    // Past RUNTREE_SPANS the page shows the start and offers the rest.
    let shown = trace.events.len();
    let more = (i64::try_from(shown).unwrap_or(i64::MAX) < s.event_count).then(|| {
        let link = href(
            &format!("/dashboard/traces/{}", s.trace_id),
            &project,
            &[("spans", "all")],
        );
        // Even "all" is one bounded page: past it the API pages through the rest.
        let offer = (!all_spans)
            .then(|| view! { <a href=link>{format!("Show all {}", s.event_count)}</a> });
        let text = if all_spans {
            format!(
                "The first {shown} of {} spans, in time order: the most one page shows.",
                s.event_count
            )
        } else {
            format!(
                "The first {shown} of {} spans, in time order. ",
                s.event_count
            )
        };
        view! {
            <p class="runtree-more" id="runtree-more">
                {text}
                {offer}
            </p>
        }
    });
    let rows = {
        let ctx = RowCtx {
            events: trace.clone(),
            axis,
            project: project.clone(),
            trace_id: s.trace_id.clone(),
            all_spans,
        };
        tree.iter()
            .map(|n| render_node(n, &ctx, None))
            .collect_view()
    };
    let unfurl = trace_unfurl(&s);
    view! {
        <Unfurl title=format!("Trace {}", short_id(&s.trace_id)) description=unfurl/>
        <PageHeader title=format!("Trace {}", short_id(&s.trace_id)) subtitle>
            {session}
            <AddToDataset project=project.clone() datasets=trace.datasets.clone() trace_ids=ids align_right=true/>
        </PageHeader>
        <style>{highlight}</style>
        <div class="trace-meta">
            <span class="mono muted" title="trace id">{s.trace_id.clone()}</span>
            {s.agents.iter().map(|a| view! { <AgentChip name=a.clone()/> }).collect_view()}
            <VerdictCounts counts=s.verdicts/>
        </div>
        <div class="runtree-layout">
            <div class="runtree" id="runtree" role="tree">
                <div class="runtree-head">
                    <span>"Span"</span>
                    <span>"Agent"</span>
                    <span class="timeline-head">{format!("0 — {}", duration_ms(axis.span as f64 / 1000.0))}</span>
                    <span class="num">"Duration"</span>
                    <span class="num">"Cost"</span>
                    <span class="num">"Tokens"</span>
                    <span>"Verdict"</span>
                </div>
                {rows}
                {more}
            </div>
            <aside class="span-panel" id="span-panel">
                // The head comes from the row the page already has, at once; the fields
                // and payload (not in the tree, to keep big traces light) follow.
                {move || {
                    let Some(id) = span.get() else {
                        return view! { <p class="muted">"Select a span to see its fields and payload."</p> }.into_any();
                    };
                    // A span beyond the page's rows (a big trace's first page) waits for the server.
                    let head = head_events.events.iter().find(|e| e.span_id == id).cloned();
                    let known = head.is_some();
                    view! {
                        {head.map(|e| span_head(&e.kind, &e.name, &e.status, e.verdict))}
                        <Transition fallback=|| view! { <Loading/> }>
                            {move || Suspend::new(async move {
                                match detail.await {
                                    Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                                    Ok(None) => ().into_any(),
                                    Ok(Some(d)) => view! {
                                        {(!known).then(|| span_head(&d.kind, &d.name, &d.status, d.verdict))}
                                        <dl class="fields">
                                            <dt>"span"</dt><dd class="mono">{d.span_id.clone()}</dd>
                                            <dt>"timestamp"</dt><dd class="mono">{d.timestamp.clone()}</dd>
                                            {d.fields.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd class="mono">{v.clone()}</dd> }).collect_view()}
                                        </dl>
                                        <h3>"Payload"</h3>
                                        <pre class="code payload" id="span-payload">{d.payload.clone()}</pre>
                                    }.into_any(),
                                }
                            })}
                        </Transition>
                    }.into_any()
                }}
            </aside>
        </div>
    }
    .into_any()
}

/// The span panel's title line: kind icon and name, kind, status and verdict.
fn span_head(kind: &str, name: &str, status: &str, verdict: policy::Verdict) -> impl IntoView {
    view! {
        <h2 class="span-title" id="span-title"><Icon name=kind_icon(kind)/> {name.to_string()}</h2>
        <p class="span-sub"><span class="mono">{kind.to_string()}</span> " · " {status.to_string()} " · " <VerdictChip verdict/></p>
    }
}

struct RowCtx {
    events: Arc<TraceDetail>,
    axis: Axis,
    project: String,
    trace_id: String,
    /// `?spans=all`, kept by the span links.
    all_spans: bool,
}

fn render_node(node: &Node, ctx: &RowCtx, parent_tool: Option<&str>) -> AnyView {
    let Some(e) = ctx.events.events.get(node.index) else {
        return ().into_any();
    };
    let row = row(e, node, ctx, parent_tool);
    let children = (!node.children.is_empty()).then(|| {
        let inner = node
            .children
            .iter()
            .map(|c| render_node(c, ctx, Some(&e.tool)))
            .collect_view();
        view! { <div class="children" role="group">{inner}</div> }
    });
    view! {
        <details open data-span=e.span_id.clone() data-kind=e.kind.clone() class="node" role="treeitem">
            {row}
            {children}
        </details>
    }
    .into_any()
}

fn row(e: &EventRow, node: &Node, ctx: &RowCtx, parent_tool: Option<&str>) -> impl IntoView {
    // A decision already under the call it evaluated needs no "on tool" label.
    let evaluates = e
        .evaluates
        .clone()
        .filter(|t| Some(t.as_str()) != parent_tool);
    let (left, width) = ctx.axis.bar(e);
    let link = href(
        &format!("/dashboard/traces/{}", ctx.trace_id),
        &ctx.project,
        &if ctx.all_spans {
            vec![("span", e.span_id.as_str()), ("spans", "all")]
        } else {
            vec![("span", e.span_id.as_str())]
        },
    );
    let verdict = e.verdict.as_str();
    let leaf = node.children.is_empty();
    let title = if e.tool != e.name {
        format!("{} ({})", e.name, e.tool)
    } else {
        e.name.clone()
    };
    view! {
        <summary class=format!("row depth-{}", node.depth.min(12)) style=format!("--depth: {}", node.depth)>
            <span class="name">
                <span class="twisty" class:leaf=leaf><Icon name="chevron_right"/></span>
                <span class=format!("kind k-{}", e.kind)><Icon name=kind_icon(&e.kind)/></span>
                <a href=link class="span-link" title=title>{e.name.clone()}</a>
                {evaluates.map(|t| view! { <span class="muted evaluates">{format!("on {t}")}</span> })}
            </span>
            <span class="agent">{e.agent.clone().map(|a| view! { <AgentChip name=a/> })}</span>
            <span class="timeline">
                <span class=format!("bar v-{verdict}") style=format!("left: {left:.3}%; width: {width:.3}%")></span>
            </span>
            <span class="num">{e.duration_ms.map(duration_ms).unwrap_or_default()}</span>
            <span class="num">{e.cost_usd.map(cost).unwrap_or_default()}</span>
            <span class="num">{tokens(e.input_tokens, e.output_tokens)}</span>
            <span class="verdict-cell"><VerdictChip verdict=e.verdict/></span>
        </summary>
    }
}
