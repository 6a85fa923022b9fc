//! `/dashboard/approvals`: requests held by `require_approval` rules. The Pending tab
//! refreshes itself every few seconds while open (paused while a reason is being
//! typed); Approve / Reject take a reason and go through the same store call as
//! `POST /v1/approvals/{id}/decision`. The Decided tab says who decided, when and why.
use leptos::prelude::*;

use crate::components::{
    action_error, loaded, use_project_query, use_query_param, Loading, PageHeader,
};
use crate::format::{ago, href, short_datetime};
use crate::icons::Icon;

use super::{get_approval_queue, ApprovalItem, DecidePendingApproval};

/// How often the Pending tab asks for news.
pub const POLL_SECONDS: u64 = 3;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let project_q = use_project_query();
    let tab = use_query_param("tab");
    let decide = ServerAction::<DecidePendingApproval>::new();
    let data = Resource::new(
        move || (project_q.get(), tab.get(), decide.version().get()),
        |(p, t, _)| get_approval_queue(p, t),
    );
    let last_refresh = RwSignal::new(0u32);
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                let pending_tab = tab.get_untracked().is_none_or(|t| t == "pending");
                if pending_tab && !typing_reason() && !decide.pending().get_untracked() {
                    data.refetch();
                    last_refresh.update(|n| *n = n.wrapping_add(1));
                }
            },
            std::time::Duration::from_secs(POLL_SECONDS),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <div class="page approvals-page" data-refreshes=move || last_refresh.get().to_string()>
            <PageHeader title="Approvals".into() subtitle="Calls held for a human decision. An agent polling GET /v1/approvals/{id} sees the decision on its next poll.".into()/>
            {move || action_error(decide.value().get())}
            {move || decide.value().get().and_then(|r| r.ok()).map(|a| view! {
                <p class="notice" role="status" id="decision-notice">
                    {format!("{} “{}”{}", if a.status == "approved" { "Approved" } else { "Rejected" }, a.action,
                        a.reason.map(|r| format!(": {r}")).unwrap_or_default())}
                </p>
            })}
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "approvals", move |project, now, q| {
                        let pid = project.id.clone();
                        let pending_tab = q.tab == "pending";
                        let tabs = view! {
                            <nav class="tabs">
                                <a class="tab" class:active=pending_tab id="tab-pending" href=href("/dashboard/approvals", &pid, &[])>
                                    {format!("Pending {}", q.pending_count)}
                                    {pending_tab.then(|| view! { <span class="live" title=format!("Refreshes every {POLL_SECONDS} s while open")>"live"</span> })}
                                </a>
                                <a class="tab" class:active=!pending_tab id="tab-decided" href=href("/dashboard/approvals", &pid, &[("tab", "decided")])>
                                    {format!("Decided {}", q.decided_count)}
                                </a>
                            </nav>
                        };
                        let body = if q.rows.is_empty() {
                            let text = if pending_tab {
                                "Nothing is waiting for a decision. Requests appear here when an agent calls a tool that a require_approval rule holds."
                            } else {
                                "No request has been decided yet."
                            };
                            view! { <div class="state empty"><h2>{if pending_tab { "No pending approvals" } else { "No decisions" }}</h2><p>{text}</p></div> }.into_any()
                        } else if pending_tab {
                            let cards = q.rows.iter().map(|a| pending_card(a, &pid, now, decide)).collect_view();
                            view! {
                                <div class="approval-list">{cards}</div>
                            }.into_any()
                        } else {
                            let rows = q.rows.iter().map(|a| view! {
                                <tr data-approval=a.id.clone()>
                                    <td class="mono strong">{a.action.clone()}</td>
                                    <td><span class=format!("chip status s-{}", a.status)>{a.status.clone()}</span></td>
                                    <td class="decided-by">{a.decided_by.clone().unwrap_or_default()}</td>
                                    <td class="time" title=a.decided_micros.map(short_datetime).unwrap_or_default()>{a.decided_micros.map(|t| ago(now, t)).unwrap_or_default()}</td>
                                    <td class="reason">{a.reason.clone().unwrap_or_else(|| "—".to_string())}</td>
                                    <td class="time" title=short_datetime(a.created_micros)>{ago(now, a.created_micros)}<span class="sub requested-by">{a.requested_by.clone().unwrap_or_default()}</span></td>
                                    <td class="mono context" title=a.context.clone()>{context_line(a)}</td>
                                </tr>
                            }).collect_view();
                            view! {
                                <div class="table-wrap"><table class="data decided-table">
                                    <thead><tr><th>"Action"</th><th>"Decision"</th><th>"By"</th><th>"When"</th><th>"Why"</th><th>"Requested"</th><th>"Context"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table></div>
                            }.into_any()
                        };
                        let total = if pending_tab { q.pending_count } else { q.decided_count };
                        let more = (q.rows.len() < total).then(|| view! {
                            <p class="muted" id="approvals-more">{format!(
                                "Showing {} of {total} (GET /v1/approvals pages through all of them).",
                                q.rows.len()
                            )}</p>
                        });
                        view! { {tabs} {body} {more} }.into_any()
                    })
                })}
            </Transition>
        </div>
    }
    .into_any()
}

/// Is a reason being typed (a focused, non-empty reason field)? A refresh would wipe it.
fn typing_reason() -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        document()
            .active_element()
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .is_some_and(|input| {
                input.class_name().split_whitespace().any(|c| c == "reason")
                    && !input.value().is_empty()
            })
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

fn context_line(a: &ApprovalItem) -> String {
    a.fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn pending_card(
    a: &ApprovalItem,
    pid: &str,
    now: i64,
    decide: ServerAction<DecidePendingApproval>,
) -> impl IntoView {
    let fields = a
        .fields
        .iter()
        .map(|(k, v)| {
            let value = if k == "trace_id" {
                view! { <a class="mono" href=href(&format!("/dashboard/traces/{v}"), pid, &[])>{v.clone()}</a> }.into_any()
            } else {
                view! { <span class="mono">{v.clone()}</span> }.into_any()
            };
            view! { <dt>{k.clone()}</dt><dd>{value}</dd> }
        })
        .collect_view();
    let (id, shown_id, form_id, project) =
        (a.id.clone(), a.id.clone(), a.id.clone(), pid.to_string());
    view! {
        <article class="card approval" data-approval=id>
            <header>
                <Icon name="hourglass"/>
                <span class="mono strong action">{a.action.clone()}</span>
                <span class="muted" title=short_datetime(a.created_micros)>{match &a.requested_by {
                    Some(by) => format!("requested {} by {by}", ago(now, a.created_micros)),
                    None => format!("requested {}", ago(now, a.created_micros)),
                }}</span>
                <span class="muted mono id">{shown_id}</span>
            </header>
            {(!a.fields.is_empty()).then(|| view! { <dl class="context-fields">{fields}</dl> })}
            <div class="decide-form"><ActionForm action=decide>
                <input type="hidden" name="project" value=project/>
                <input type="hidden" name="id" value=form_id/>
                <input name="reason" class="grow reason" placeholder="Reason (shown to whoever reads the decision)" aria-label="Reason" maxlength="2000"/>
                <button type="submit" name="decision" value="approved" class="button primary approve"><Icon name="check"/>"Approve"</button>
                <button type="submit" name="decision" value="rejected" class="button danger reject"><Icon name="ban"/>"Reject"</button>
            </ActionForm></div>
        </article>
    }
}
