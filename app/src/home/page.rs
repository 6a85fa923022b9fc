//! `/dashboard`: the project at a glance for a time range (`?range=24h|7d|30d`): calls
//! per verdict, charts of verdicts and cost over time, the most blocked and held
//! tools, pending approvals and recent errors. Every number links to the list behind it.
use leptos::prelude::*;

use super::range::Range;
use super::{get_overview, Tally};
use crate::components::charts::{CostChart, VerdictChart, VerdictLegend};
use crate::components::trace_table::TraceTable;
use crate::components::{
    loaded, use_project_query, use_query_param, AgentChip, Loading, PageHeader, SdkSnippet,
    VerdictChip,
};
use crate::format::{ago, cost, href, short_datetime};
use crate::icons::Icon;

#[component]
pub fn HomePage() -> impl IntoView {
    let project_q = use_project_query();
    let range_q = use_query_param("range");
    let data = Resource::new(
        move || (project_q.get(), range_q.get()),
        |(p, r)| get_overview(p, r),
    );
    view! {
        <div class="page home-page">
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "the overview", move |project, now, o| {
                        let pid = project.id.clone();
                        if o.empty {
                            return view! {
                                <PageHeader title=project.name.clone() subtitle="Overview of this project's agents.".into()/>
                                <SdkSnippet server_url=o.server_url.clone() project=project.clone()/>
                            }.into_any();
                        }
                        let range = o.range.clone();
                        let range_chips = Range::ALL.into_iter().map(|r| {
                            let active = r.as_str() == range;
                            view! {
                                <a class="chip range-chip" class:active=active aria-current=active.then_some("true")
                                    href=href("/dashboard", &pid, &[("range", r.as_str())])>{r.as_str()}</a>
                            }
                        }).collect_view();
                        let label = Range::parse(Some(&range)).unwrap_or_default().label();
                        let stats = policy::Verdict::ALL.into_iter().map(|v| {
                            let link = href("/dashboard/traces", &pid, &[("verdict", v.as_str()), ("range", range.as_str())]);
                            view! {
                                <a class=format!("stat-card v-{}", v.as_str()) href=link data-verdict=v.as_str()>
                                    <b>{o.counts.get(v)}</b>
                                    <VerdictChip verdict=v/>
                                </a>
                            }
                        }).collect_view();
                        let tallies = |list: &[Tally], verdict: &str, empty: &'static str| {
                            if list.is_empty() {
                                return view! { <p class="muted">{empty}</p> }.into_any();
                            }
                            let top = list.first().map(|t| t.count).unwrap_or(1).max(1);
                            let rows = list.iter().map(|t| {
                                let link = href("/dashboard/traces", &pid, &[("tool", t.name.as_str()), ("verdict", verdict), ("range", range.as_str())]);
                                let pct = (t.count as f64 / top as f64 * 100.0).clamp(2.0, 100.0);
                                view! {
                                    <li>
                                        <a class="mono" href=link.clone()>{t.name.clone()}</a>
                                        <span class=format!("tally-bar v-{verdict}")><i style=format!("width: {pct:.0}%")></i></span>
                                        <a class="num" href=link>{t.count}</a>
                                    </li>
                                }
                            }).collect_view();
                            view! { <ul class="plain tallies">{rows}</ul> }.into_any()
                        };
                        let blocked = tallies(&o.top_blocked, "blocked", "Nothing blocked in this range.");
                        let held = tallies(&o.top_held, "held", "Nothing held in this range.");
                        let approvals_link = href("/dashboard/approvals", &pid, &[]);
                        let pending = o.pending.iter().map(|a| view! {
                            <li>
                                <a class="mono" href=approvals_link.clone()>{a.action.clone()}</a>
                                <span class="muted" title=short_datetime(a.created_micros)>{format!(" · requested {}", ago(now, a.created_micros))}</span>
                            </li>
                        }).collect_view();
                        let errors = o.errors.iter().map(|e| view! {
                            <li>
                                <a class="mono" href=href(&format!("/dashboard/traces/{}", e.trace_id), &pid, &[("span", e.span_id.as_str())])>{e.tool.clone()}</a>
                                {e.agent.clone().map(|n| view! { " " <AgentChip name=n/> })}
                                <span class="muted" title=short_datetime(e.ts_micros)>{format!(" · {} · {}", e.status, ago(now, e.ts_micros))}</span>
                            </li>
                        }).collect_view();
                        let total = o.counts.total();
                        view! {
                            <PageHeader title=project.name.clone() subtitle=format!("Tool, LLM and MCP calls in the {label}.")>
                                <nav class="range-chips" aria-label="Time range">{range_chips}</nav>
                            </PageHeader>
                            {o.range_error.clone().map(|e| view! { <p class="error form-error" role="alert">{e}" — showing the last 24 hours."</p> })}
                            <div class="stat-cards" id="verdict-counts">{stats}</div>
                            <section class="card chart-card">
                                <h2><Icon name="traces"/>{format!(" Calls per verdict · {total} in the {label}")}</h2>
                                <VerdictChart bars=o.bars.clone() bucket_micros=o.bucket_micros now/>
                                <VerdictLegend/>
                            </section>
                            <section class="card chart-card">
                                <h2><Icon name="coins"/>" Cost over time · " <span id="cost-total">{cost(o.cost_usd)}</span></h2>
                                <CostChart bars=o.bars.clone() bucket_micros=o.bucket_micros now/>
                            </section>
                            <div class="two-col">
                                <section class="card" id="top-blocked">
                                    <h2><Icon name="ban"/>" Most blocked tools"</h2>
                                    {blocked}
                                </section>
                                <section class="card" id="top-held">
                                    <h2><Icon name="hourglass"/>" Most held tools"</h2>
                                    {held}
                                </section>
                            </div>
                            <div class="two-col">
                                <section class="card" id="pending-approvals">
                                    <h2><Icon name="approvals"/>" Pending approvals "
                                        <a class="count-link" id="pending-count" href=href("/dashboard/approvals", &pid, &[])>{o.pending_count}</a>
                                    </h2>
                                    {if o.pending.is_empty() {
                                        view! { <p class="muted">"No request is waiting for a decision."</p> }.into_any()
                                    } else {
                                        view! { <ul class="plain">{pending}</ul> }.into_any()
                                    }}
                                </section>
                                <section class="card" id="recent-errors">
                                    <h2><Icon name="alert"/>" Recent errors "
                                        <a class="more" href=href("/dashboard/audit", &pid, &[("filter", "errored")])>"All errors →"</a>
                                    </h2>
                                    {if o.errors.is_empty() {
                                        view! { <p class="muted">"No errors recorded."</p> }.into_any()
                                    } else {
                                        view! { <ul class="plain">{errors}</ul> }.into_any()
                                    }}
                                </section>
                            </div>
                            <h2 class="section-title">"Recent traces " <a class="more" href=href("/dashboard/traces", &pid, &[])>"All traces →"</a></h2>
                            <TraceTable rows=o.recent.clone() project=pid.clone() now/>
                        }.into_any()
                    })
                })}
            </Transition>
        </div>
    }
    .into_any()
}
