//! `/dashboard/audit`: policy-relevant events, with a tab per verdict.
use leptos::prelude::*;

use crate::api::get_audit;
use crate::components::{
    loaded, use_project_query, use_query_param, AgentChip, Loading, PageHeader, VerdictChip,
};
use crate::format::{ago, href, short_datetime, short_id};
use crate::icons::{kind_icon, Icon};

#[component]
pub fn AuditPage() -> impl IntoView {
    let project_q = use_project_query();
    let verdict = use_query_param("verdict");
    let cursor = use_query_param("cursor");
    let data = Resource::new(
        move || (project_q.get(), verdict.get(), cursor.get()),
        |(p, v, c)| get_audit(p, v, c),
    );
    view! {
        <div class="page audit-page">
            <PageHeader title="Audit".into() subtitle="Policy decisions, approvals, budget checks and every event that was not simply allowed.".into()/>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "the audit log", move |project, now, a| {
                        let pid = project.id.clone();
                        let current = verdict.get_untracked();
                        let tabs = std::iter::once((None, a.counts.total()))
                            .chain(policy::Verdict::ALL.into_iter().map(|v| (Some(v), a.counts.get(v))))
                            .map(|(v, n)| {
                                let word = v.map(|v| v.as_str()).unwrap_or("all");
                                let link = href("/dashboard/audit", &pid, &[("verdict", v.map(|v| v.as_str()).unwrap_or(""))]);
                                let active = current.as_deref() == v.map(|v| v.as_str());
                                view! { <a class="tab" class:active=active href=link>{format!("{word} {n}")}</a> }
                            })
                            .collect_view();
                        let rows = a.events.iter().map(|e| view! {
                            <tr>
                                <td class="time" title=short_datetime(e.ts_micros)>{ago(now, e.ts_micros)}</td>
                                <td><Icon name=kind_icon(&e.kind)/>" "<span class="mono">{e.kind.clone()}</span></td>
                                <td class="mono">{e.name.clone()}</td>
                                <td>{e.agent.clone().map(|n| view! { <AgentChip name=n/> })}</td>
                                <td class="mono"><a href=href(&format!("/dashboard/traces/{}", e.trace_id), &pid, &[("span", e.span_id.as_str())])>{short_id(&e.trace_id)}</a></td>
                                <td>{e.status.clone()}</td>
                                <td><VerdictChip verdict=e.verdict/></td>
                            </tr>
                        }).collect_view();
                        let next = a.next_cursor.clone().map(|c| view! {
                            <a class="button" href=href("/dashboard/audit", &pid, &[("verdict", current.as_deref().unwrap_or("")), ("cursor", c.as_str())])>"Older" <Icon name="chevron_right"/></a>
                        });
                        view! {
                            <nav class="tabs">{tabs}</nav>
                            {if a.events.is_empty() {
                                view! { <div class="state empty"><h2>"Nothing to audit"</h2><p>"No policy-relevant events in this view."</p></div> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap"><table class="data">
                                        <thead><tr><th>"Time"</th><th>"Kind"</th><th>"Name"</th><th>"Agent"</th><th>"Trace"</th><th>"Status"</th><th>"Verdict"</th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table></div>
                                }.into_any()
                            }}
                            <nav class="pager">{next}</nav>
                        }
                    })
                })}
            </Transition>
        </div>
    }
    .into_any()
}
