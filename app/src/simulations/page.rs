//! `/dashboard/simulations/{id}`: a kept server run — the draft, its scope, the four
//! numbers, the transitions and the samples — fully server-rendered, with "Copy link".
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::clipboard::copy_to_clipboard;
use crate::components::simulation_summary::{headline, SampleTable, Transitions};
use crate::components::{loaded, use_project_query, Loading, PageHeader};
use crate::format::{ago, datetime, href, short_id};
use crate::icons::Icon;

use super::get_simulation;

#[component]
pub fn SimulationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let project_q = use_project_query();
    let data = Resource::new(
        move || (project_q.get(), id.get()),
        |(p, id)| get_simulation(p, id),
    );
    view! {
        <div class="page simulation-page">
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "simulation", move |project, now, run| {
                        let pid = project.id.clone();
                        let permalink = href(&format!("/dashboard/simulations/{}", run.id), &pid, &[]);
                        let copied: RwSignal<Option<bool>> = RwSignal::new(None);
                        let s = run.summary.clone();
                        let scope = match (&run.dataset, &run.dataset_id, &run.trace_ids) {
                            (Some(d), _, _) => view! {
                                "dataset " <a href=href(&format!("/dashboard/datasets/{}", d.id), &pid, &[]) id="sim-dataset">{d.name.clone()}</a>
                            }.into_any(),
                            (None, Some(did), _) => view! { {format!("dataset {did} (deleted)")} }.into_any(),
                            (None, None, Some(ids)) => view! { {format!("{} selected {}", ids.len(), if ids.len() == 1 { "trace" } else { "traces" })} }.into_any(),
                            _ => match &run.since {
                                Some(since) => view! { {format!("events recorded since {since}")} }.into_any(),
                                None => view! { "all recorded events" }.into_any(),
                            },
                        };
                        let rerun = match (&run.dataset, &run.trace_ids) {
                            (Some(d), _) => Some(href(&format!("/dashboard/datasets/{}", d.id), &pid, &[("run", "draft"), ("draft", run.draft.as_str())])),
                            (None, None) => Some(href("/dashboard/policies/simulate", &pid, &[("window", "7d"), ("draft", run.draft.as_str())])),
                            _ => None,
                        }
                        .map(|link| view! { <a class="button" href=link id="rerun"><Icon name="flask"/>"Edit and run again"</a> });
                        // A run over a time window does not know its traces.
                        let by_window = run.dataset_id.is_none() && run.trace_ids.is_none();
                        let traces = if by_window { String::new() } else { format!(" · {} traces in scope", run.trace_count) };
                        let traces_number = if by_window { "–".to_string() } else { run.trace_count.to_string() };
                        let absolute = format!("{}{permalink}", run.base_url);
                        let link_for_copy = absolute.clone();
                        view! {
                            <PageHeader title=format!("Simulation {}", short_id(&run.id)) subtitle=format!("Run {} ({})", ago(now, run.created_micros), datetime(run.created_micros))>
                                {rerun}
                                <button type="button" class="button" id="copy-link" on:click=move |_| {
                                    copied.set(Some(copy_to_clipboard(&link_for_copy, "permalink-text")));
                                }>
                                    <Icon name="copy"/>
                                    {move || match copied.get() {
                                        None => "Copy link",
                                        Some(true) => "Copied",
                                        Some(false) => "Selected: press Ctrl+C",
                                    }}
                                </button>
                            </PageHeader>
                            <p class="permalink-row">
                                <label for="permalink-text" class="muted">"Permalink"</label>
                                <input id="permalink-text" readonly value=absolute/>
                            </p>
                            <p class="scope">"Over " {scope} {format!("{traces} · baseline: {}", run.baseline.as_str())}</p>
                            <div class="numbers" id="sim-numbers">
                                <div class="number"><b id="n-scanned">{s.events_scanned}</b><span>"events scanned"</span></div>
                                <div class="number"><b id="n-matched">{s.events_matched}</b><span>"matched the draft"</span></div>
                                <div class="number accent"><b id="n-changed">{s.events_would_have_changed}</b><span>"would change verdict"</span></div>
                                <div class="number"><b id="n-traces">{traces_number}</b><span>"traces in scope"</span></div>
                            </div>
                            <p class="headline" id="sim-headline">{headline(&s)}</p>
                            <div class="two-col">
                                <section class="card">
                                    <h2>"Draft"</h2>
                                    <pre class="code" id="sim-draft">{run.draft.clone()}</pre>
                                </section>
                                <section class="card">
                                    <h2>"Transitions"</h2>
                                    <Transitions summary=s.clone()/>
                                </section>
                            </div>
                            <section class="card">
                                <h2>{format!("Sample matches ({})", s.sample_matches.len())}</h2>
                                <SampleTable samples=s.sample_matches.clone() project=pid.clone()/>
                            </section>
                        }
                    })
                })}
            </Suspense>
        </div>
    }
    .into_any()
}
