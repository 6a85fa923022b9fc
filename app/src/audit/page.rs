//! `/dashboard/audit`: every policy-relevant event (time, agent, tool, verdict, the
//! rule that decided, trace), counts per verdict, filter chips as links
//! (`?filter=blocked`), pages (`?cursor=`) and the filtered rows as CSV or JSONL; with
//! `?view=changes`, who changed what ([`super::changes`]).
use leptos::prelude::*;

use crate::components::{
    loaded, use_project_query, use_query_param, AgentChip, Loading, PageHeader, VerdictChip,
};
use crate::format::{ago, href, short_datetime, short_id};
use crate::icons::{kind_icon, Icon};

use super::changes::ChangeLogView;
use super::{get_audit_log, AuditView};

#[component]
pub fn AuditPage() -> impl IntoView {
    let view_q = use_query_param("view");
    view! {
        <div class="page audit-page">
            <Show when=move || view_q.get().as_deref() == Some("changes") fallback=AuditEvents>
                <ChangeLogView/>
            </Show>
        </div>
    }
}

/// The events view: chips, rows, pages, export.
#[component]
fn AuditEvents() -> impl IntoView {
    let project_q = use_project_query();
    let filter = use_query_param("filter");
    let cursor = use_query_param("cursor");
    let data = Resource::new(
        move || (project_q.get(), filter.get(), cursor.get()),
        |(p, f, c)| get_audit_log(p, f, c),
    );
    view! {
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "the audit log", move |project, now, a| {
                        let pid = project.id.clone();
                        let current = a.filter.clone();
                        let chips = AuditView::CHIPS.into_iter().map(|v| {
                            let n = match v {
                                AuditView::All => a.counts.total(),
                                AuditView::Verdict(verdict) => a.counts.get(verdict),
                                AuditView::Approvals => a.approvals,
                                AuditView::Budget => a.budget,
                            };
                            let value = if v == AuditView::All { "" } else { v.as_str() };
                            let active = v.as_str() == current;
                            let class = match v {
                                AuditView::Verdict(verdict) => format!("chip filter-chip v-{}", verdict.as_str()),
                                _ => "chip filter-chip".to_string(),
                            };
                            view! {
                                <a class=class class:active=active aria-current=active.then_some("true") data-filter=v.as_str()
                                    href=href("/dashboard/audit", &pid, &[("filter", value)])>
                                    {v.label()} <b class="n">{n}</b>
                                </a>
                            }
                        }).collect_view();
                        let export_filter = if current == "all" { "" } else { current.as_str() };
                        let csv = href("/dashboard/audit/export.csv", &pid, &[("filter", export_filter)]);
                        let jsonl = href("/dashboard/audit/export.jsonl", &pid, &[("filter", export_filter)]);
                        let rows = a.rows.iter().map(|e| view! {
                            <tr data-verdict=e.verdict.as_str()>
                                <td class="time" title=short_datetime(e.ts_micros)>{ago(now, e.ts_micros)}</td>
                                <td>{e.agent.clone().map(|n| view! { <AgentChip name=n/> })}</td>
                                <td><Icon name=kind_icon(&e.kind)/>" "<span class="mono tool">{e.tool.clone()}</span>
                                    <span class="sub mono">{e.kind.clone()}</span></td>
                                <td><VerdictChip verdict=e.verdict/></td>
                                <td class="mono rule">{e.rule.clone().unwrap_or_else(|| "—".to_string())}</td>
                                <td class="mono"><a href=href(&format!("/dashboard/traces/{}", e.trace_id), &pid, &[("span", e.span_id.as_str())])>{short_id(&e.trace_id)}</a></td>
                            </tr>
                        }).collect_view();
                        let newest = a.paged.then(|| view! {
                            <a class="button" href=href("/dashboard/audit", &pid, &[("filter", export_filter)])>"Newest"</a>
                        });
                        let next = a.next_cursor.clone().map(|c| view! {
                            <a class="button" id="audit-older" href=href("/dashboard/audit", &pid, &[("filter", export_filter), ("cursor", c.as_str())])>"Older" <Icon name="chevron_right"/></a>
                        });
                        let empty_hint = match current.as_str() {
                            "approvals" => "No approval events recorded. Requests waiting for a decision are on the Approvals page.",
                            "budget" => "No budget checks recorded.",
                            _ => "No policy-relevant events in this view.",
                        };
                        view! {
                            <PageHeader title="Audit".into() subtitle="Policy decisions, approvals, budget checks and every call that was not simply allowed.".into()>
                                <a class="button" id="export-csv" href=csv download=""><Icon name="download"/>"CSV"</a>
                                <a class="button" id="export-jsonl" href=jsonl download=""><Icon name="download"/>"JSONL"</a>
                            </PageHeader>
                            {a.filter_error.clone().map(|e| view! { <p class="error form-error" role="alert">{e}</p> })}
                            <nav class="filter-chips" aria-label="Filter">{chips}
                                <a class="chip filter-chip changes-chip" data-filter="changes" href=href("/dashboard/audit", &pid, &[("view", "changes")])>
                                    <Icon name="pencil"/>"Changes"
                                </a>
                            </nav>
                            {if a.rows.is_empty() {
                                view! { <div class="state empty"><h2>"Nothing to audit"</h2><p>{empty_hint}</p></div> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap"><table class="data audit-table">
                                        <thead><tr><th>"Time"</th><th>"Agent"</th><th>"Tool"</th><th>"Verdict"</th><th>"Deciding rule"</th><th>"Trace"</th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table></div>
                                }.into_any()
                            }}
                            <nav class="pager">{newest}{next}</nav>
                        }.into_any()
                    })
                })}
            </Transition>
    }
    .into_any()
}
