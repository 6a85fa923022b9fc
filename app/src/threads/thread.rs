//! `/dashboard/threads/{session_id}`: a conversation's header (turns, verdicts, cost)
//! and its turns in order, each linking to its RunTree.
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use policy::Verdict;

use crate::components::trace_table::TraceTable;
use crate::components::unfurl::{verdict_text, Unfurl};
use crate::components::{loaded, use_project_query, AgentChip, Loading, PageHeader};
use crate::format::{cost, datetime, href};
use crate::icons::{verdict_icon, Icon};
use crate::model::Counts;

use super::{get_thread, ThreadRow};

/// `12 turns · 11 allowed · 1 blocked · 3 redacted · $0.42` (verdicts count events;
/// zero counts other than `allowed` are left out).
pub fn header_text(t: &ThreadRow) -> String {
    format!(
        "{} {} · {} · {}",
        t.turns,
        if t.turns == 1 { "turn" } else { "turns" },
        verdict_text(&t.verdicts),
        cost(t.cost_usd)
    )
}

#[component]
fn ThreadHeader(thread: ThreadRow) -> impl IntoView {
    let counts: Counts = thread.verdicts;
    let verdicts = Verdict::ALL
        .into_iter()
        .filter(|v| counts.get(*v) > 0 || *v == Verdict::Allowed)
        .map(|v| {
            let word = v.as_str();
            view! {
                <span class="sep">"·"</span>
                <span class=format!("stat v-{word}") data-verdict=word>
                    <Icon name=verdict_icon(v)/>
                    <b>{counts.get(v)}</b>
                    " " {word}
                </span>
            }
        })
        .collect_view();
    view! {
        <p class="thread-header" id="thread-header" aria-label=header_text(&thread) title="Verdicts count events across the thread's turns">
            <span class="stat" data-stat="turns"><b>{thread.turns}</b> {if thread.turns == 1 { " turn" } else { " turns" }}</span>
            {verdicts}
            <span class="sep">"·"</span>
            <span class="stat" data-stat="cost"><b>{cost(thread.cost_usd)}</b></span>
        </p>
    }
    .into_any()
}

#[component]
pub fn ThreadPage() -> impl IntoView {
    let params = use_params_map();
    let session = Memo::new(move |_| params.with(|p| p.get("session_id").unwrap_or_default()));
    let project_q = use_project_query();
    let data = Resource::new(
        move || (project_q.get(), session.get()),
        |(p, s)| get_thread(p, s),
    );
    view! {
        <div class="page thread-page">
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "thread", move |project, now, detail| {
                        let t = detail.thread.clone();
                        let subtitle = format!("{} — {}", datetime(t.first_micros), datetime(t.last_micros));
                        let as_traces = href("/dashboard/traces", &project.id, &[("session", t.session_id.as_str())]);
                        let pid = project.id.clone();
                        let unfurl = header_text(&t);
                        view! {
                            <Unfurl title=format!("Thread {}", t.session_id) description=unfurl/>
                            <PageHeader title=format!("Thread {}", t.session_id) subtitle>
                                <a class="button" href=as_traces>
                                    <Icon name="traces"/>"As traces"
                                </a>
                            </PageHeader>
                            <ThreadHeader thread=t.clone()/>
                            <div class="trace-meta">{t.agents.iter().map(|a| view! { <AgentChip name=a.clone()/> }).collect_view()}</div>
                            <h2 class="section-title">"Turns"</h2>
                            <TraceTable rows=detail.turns.clone() project=pid now numbered=true/>
                        }
                    })
                })}
            </Suspense>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_reads_like_the_issue() {
        let t = ThreadRow {
            session_id: "s".into(),
            turns: 12,
            first_micros: 0,
            last_micros: 0,
            agents: vec![],
            cost_usd: 0.42,
            verdicts: Counts {
                allowed: 11,
                blocked: 1,
                held: 0,
                redacted: 3,
                errored: 0,
            },
        };
        assert_eq!(
            header_text(&t),
            "12 turns · 11 allowed · 1 blocked · 3 redacted · $0.42"
        );
    }
}
