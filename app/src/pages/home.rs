//! `/dashboard`: the project at a glance, or how to get started.
use leptos::prelude::*;

use crate::api::get_home;
use crate::components::trace_table::TraceTable;
use crate::components::{loaded, use_project_query, Loading, PageHeader, SdkSnippet, VerdictChip};
use crate::format::{ago, cost, href};
use crate::icons::Icon;

#[component]
pub fn HomePage() -> impl IntoView {
    let project_q = use_project_query();
    let data = Resource::new(move || project_q.get(), get_home);
    view! {
        <div class="page home-page">
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "the overview", move |project, now, home| {
                        let pid = project.id.clone();
                        let stats = policy::Verdict::ALL.into_iter().map(|v| {
                            let link = href("/dashboard/traces", &pid, &[("verdict", v.as_str()), ("range", "24h")]);
                            view! {
                                <a class=format!("stat-card v-{}", v.as_str()) href=link>
                                    <b>{home.counts.get(v)}</b>
                                    <VerdictChip verdict=v/>
                                </a>
                            }
                        }).collect_view();
                        let body = if home.recent.is_empty() {
                            view! { <SdkSnippet server_url=home.server_url.clone() project=project.clone()/> }.into_any()
                        } else {
                            view! {
                                <h2 class="section-title">"Events in the last 24 hours"</h2>
                                <div class="stat-cards">{stats}</div>
                                <h2 class="section-title">"Recent traces " <a class="more" href=href("/dashboard/traces", &pid, &[])>"All traces →"</a></h2>
                                <TraceTable rows=home.recent.clone() project=pid.clone() now/>
                            }.into_any()
                        };
                        let threads = home.threads.iter().map(|t| view! {
                            <li><a class="mono" href=href(&format!("/dashboard/threads/{}", t.session_id), &pid, &[])>{t.session_id.clone()}</a>
                                <span class="muted">{format!(" · {} turns · {} · {}", t.turns, cost(t.cost_usd), ago(now, t.last_micros))}</span></li>
                        }).collect_view();
                        let datasets = home.datasets.iter().map(|d| view! {
                            <li><a href=href(&format!("/dashboard/datasets/{}", d.id), &pid, &[])>{d.name.clone()}</a>
                                <span class="muted">{format!(" · {} traces", d.item_count)}</span></li>
                        }).collect_view();
                        view! {
                            <PageHeader title=project.name.clone() subtitle="Overview of this project's agents.".into()/>
                            {body}
                            <div class="two-col">
                                <section class="card">
                                    <h2><Icon name="threads"/>" Active threads"</h2>
                                    <ul class="plain">{threads}</ul>
                                </section>
                                <section class="card">
                                    <h2><Icon name="database"/>" Datasets"</h2>
                                    <ul class="plain">{datasets}</ul>
                                    <p class="muted">"Open a dataset and choose “Run draft policy” to replay a rule before it ships."</p>
                                </section>
                            </div>
                        }
                    })
                })}
            </Suspense>
        </div>
    }
    .into_any()
}
