//! `/dashboard/threads`: traces grouped by session.
use leptos::prelude::*;

use crate::components::{
    loaded, use_project_query, use_query_param, AgentChip, Loading, PageHeader, VerdictCounts,
};
use crate::format::{ago, cost, href, short_datetime};
use crate::icons::Icon;

use super::list_threads;

#[component]
pub fn ThreadsPage() -> impl IntoView {
    let project_q = use_project_query();
    let cursor = use_query_param("cursor");
    let data = Resource::new(
        move || (project_q.get(), cursor.get()),
        |(p, c)| list_threads(p, c),
    );
    view! {
        <div class="page threads-page">
            <PageHeader title="Threads".into() subtitle="Conversations: the traces that share a session id, most recently active first.".into()/>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "threads", move |project, now, page| {
                        let pid = project.id.clone();
                        if page.threads.is_empty() {
                            return view! {
                                <div class="state empty">
                                    <h2>"No threads yet"</h2>
                                    <p>"Threads appear when agents tag their traces with a " <code>"session_id"</code>
                                    " (the JamJet SDK does this per conversation)."</p>
                                </div>
                            }.into_any();
                        }
                        let rows = page.threads.iter().map(|t| {
                            let link = href(&format!("/dashboard/threads/{}", t.session_id), &pid, &[]);
                            view! {
                                <tr data-session=t.session_id.clone()>
                                    <td class="mono"><a href=link>{t.session_id.clone()}</a></td>
                                    <td class="num">{t.turns}</td>
                                    <td class="time" title=short_datetime(t.first_micros)>{short_datetime(t.first_micros)}</td>
                                    <td class="time" title=short_datetime(t.last_micros)>{ago(now, t.last_micros)}</td>
                                    <td class="agents">{t.agents.iter().map(|a| view! { <AgentChip name=a.clone()/> }).collect_view()}</td>
                                    <td class="num">{cost(t.cost_usd)}</td>
                                    <td class="verdicts"><VerdictCounts counts=t.verdicts compact=true/></td>
                                </tr>
                            }
                        }).collect_view();
                        let next = page.next_cursor.clone().map(|c| view! {
                            <a class="button" href=href("/dashboard/threads", &pid, &[("cursor", c.as_str())])>"Older threads" <Icon name="chevron_right"/></a>
                        });
                        view! {
                            <div class="table-wrap">
                                <table class="data threads-table">
                                    <thead><tr>
                                        <th>"Session"</th><th class="num">"Turns"</th><th>"First"</th><th>"Last active"</th>
                                        <th>"Agents"</th><th class="num">"Cost"</th><th>"Verdicts"</th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            <nav class="pager">{next}</nav>
                        }.into_any()
                    })
                })}
            </Transition>
        </div>
    }
    .into_any()
}
