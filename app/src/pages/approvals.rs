//! `/dashboard/approvals`: human approvals requested by `require_approval` rules.
use leptos::prelude::*;

use crate::api::get_approvals;
use crate::components::{loaded, use_project_query, use_query_param, Loading, PageHeader};
use crate::format::{ago, href, short_datetime};

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let project_q = use_project_query();
    let status = use_query_param("status");
    let data = Resource::new(
        move || (project_q.get(), status.get()),
        |(p, s)| get_approvals(p, s),
    );
    view! {
        <div class="page approvals-page">
            <PageHeader title="Approvals".into() subtitle="Calls held for a human decision. Decide them with POST /v1/approvals/{id}/decision.".into()/>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "approvals", move |project, now, approvals| {
                        let pid = project.id.clone();
                        let current = status.get_untracked();
                        let tabs = [("", "all"), ("pending", "pending"), ("approved", "approved"), ("rejected", "rejected")]
                            .into_iter()
                            .map(|(value, label)| {
                                let active = current.as_deref().unwrap_or("") == value;
                                view! { <a class="tab" class:active=active href=href("/dashboard/approvals", &pid, &[("status", value)])>{label}</a> }
                            })
                            .collect_view();
                        let rows = approvals.iter().map(|a| view! {
                            <tr>
                                <td class="time" title=short_datetime(a.created_micros)>{ago(now, a.created_micros)}</td>
                                <td class="mono">{a.action.clone()}</td>
                                <td><span class=format!("chip status s-{}", a.status)>{a.status.clone()}</span></td>
                                <td class="mono context" title=a.context.clone()>{a.context.clone()}</td>
                                <td>{a.decided_by.clone().unwrap_or_default()}{a.reason.clone().map(|r| format!(" — {r}"))}</td>
                            </tr>
                        }).collect_view();
                        view! {
                            <nav class="tabs">{tabs}</nav>
                            {if approvals.is_empty() {
                                view! { <div class="state empty"><h2>"No approvals"</h2><p>"Approvals appear when an agent calls a tool that a require_approval rule holds."</p></div> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap"><table class="data">
                                        <thead><tr><th>"Requested"</th><th>"Action"</th><th>"Status"</th><th>"Context"</th><th>"Decision"</th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table></div>
                                }.into_any()
                            }}
                        }
                    })
                })}
            </Transition>
        </div>
    }
    .into_any()
}
