//! `/dashboard/simulations/{id}`: a kept server run, rendered only from its receipt —
//! the draft, its scope as resolved (dataset version), the four numbers, expectations
//! kept and broken, reviewed calls, the transitions, the samples and the digest — fully
//! server-rendered, with Open Graph tags for pasted links, "Run again" and "Copy link".
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::clipboard::copy_to_clipboard;
use crate::components::simulation_summary::{
    draft_label, headline, unfurl_line, BlastRadiusResults, CoverageResults, ExpectationResults,
    ReviewResults, SampleTable, Transitions,
};
use crate::components::unfurl::Unfurl;
use crate::components::{loaded, use_project_query, Loading, PageHeader};
use crate::format::{ago, datetime, href, short_id};
use crate::icons::Icon;

use super::{get_simulation, RerunSimulation};

#[component]
pub fn SimulationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let project_q = use_project_query();
    let data = Resource::new(
        move || (project_q.get(), id.get()),
        |(p, id)| get_simulation(p, id),
    );
    // "Run again" makes a new run: its permalink is where to go.
    let rerun = ServerAction::<RerunSimulation>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(new_id)) = rerun.value().get() {
            let project = project_q.get_untracked().unwrap_or_default();
            navigate(
                &href(&format!("/dashboard/simulations/{new_id}"), &project, &[]),
                Default::default(),
            );
        }
    });
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
                            (Some(d), _, _) => {
                                let version = run.dataset_version.map(|v| format!(" v{v}")).unwrap_or_default();
                                view! {
                                    "dataset " <a href=href(&format!("/dashboard/datasets/{}", d.id), &pid, &[]) id="sim-dataset">{d.name.clone()}</a>
                                    <span id="sim-dataset-version">{version}</span>
                                }.into_any()
                            }
                            (None, Some(did), _) => view! { {format!("dataset {did}")} }.into_any(),
                            (None, None, Some(ids)) => view! { {format!("{} selected {}", ids.len(), if ids.len() == 1 { "trace" } else { "traces" })} }.into_any(),
                            _ => match (&run.since, &run.until) {
                                (Some(since), Some(until)) => view! { {format!("events recorded from {since} to {until}")} }.into_any(),
                                (Some(since), None) => view! { {format!("events recorded since {since}")} }.into_any(),
                                _ => view! { "all recorded events" }.into_any(),
                            },
                        };
                        let edit = match (&run.dataset, &run.trace_ids) {
                            (Some(d), _) => Some(href(&format!("/dashboard/datasets/{}", d.id), &pid, &[("run", "draft"), ("draft", run.draft.as_str())])),
                            (None, None) => Some(href("/dashboard/policies/simulate", &pid, &[("window", "7d"), ("draft", run.draft.as_str())])),
                            _ => None,
                        }
                        .map(|link| view! { <a class="button" href=link id="edit-draft" title="Opens the draft over the scope as it is now"><Icon name="pencil"/>"Edit draft"</a> });
                        let (rerun_pid, rerun_id) = (pid.clone(), run.id.clone());
                        let rerun_form = view! {
                            <ActionForm action=rerun attr:class="inline-form">
                                <input type="hidden" name="project" value=rerun_pid/>
                                <input type="hidden" name="id" value=rerun_id/>
                                <button type="submit" class="button" id="rerun" title="The same draft over the scope as it is now, kept as a new run linked to this one">
                                    <Icon name="flask"/>"Run again"
                                </button>
                            </ActionForm>
                        };
                        let traces = run.traces_in_scope.map(|n| format!(" · {n} traces in scope")).unwrap_or_default();
                        let traces_number = run.traces_in_scope.map_or_else(|| "–".to_string(), |n| n.to_string());
                        let baseline = match (run.baseline, run.baseline_version) {
                            (policy::Baseline::ActivePolicy, Some(v)) => format!("active policy v{v}"),
                            (b, _) => b.as_str().replace('_', " "),
                        };
                        let unfurl = unfurl_line(&run.draft, &s);
                        let title = format!("Simulation {} · {}", short_id(&run.id), draft_label(&run.draft));
                        let rerun_note = run.rerun_of.clone().map(|before| {
                            let link = href(&format!("/dashboard/simulations/{before}"), &pid, &[]);
                            let change = run.scope_change.as_ref().map(|c| {
                                let versions = match (c.from_version, c.to_version) {
                                    (Some(a), Some(b)) if a != b => format!("dataset v{a} → v{b}: "),
                                    (Some(_), Some(_)) => "dataset unchanged: ".to_string(),
                                    _ => String::new(),
                                };
                                format!(" · {versions}{} traces added, {} removed", c.added.len(), c.removed.len())
                            });
                            view! {
                                <p class="notice rerun-of" id="rerun-of">"Re-run of " <a href=link>{short_id(&before)}</a>{change}</p>
                            }
                        });
                        let accept_into = run.dataset_id.clone();
                        let expectations = s.expectations.clone().map(|report| match accept_into {
                            Some(dataset) => view! { <ExpectationResults report project=pid.clone() accept_into=dataset/> }.into_any(),
                            None => view! { <ExpectationResults report project=pid.clone()/> }.into_any(),
                        });
                        let reviews = s.reviews.clone().map(|report| view! { <ReviewResults report project=pid.clone()/> });
                        let coverage = s.coverage.clone().map(|report| view! { <CoverageResults report/> });
                        let blast = s.blast_radius.clone().map(|report| view! { <BlastRadiusResults report/> });
                        let receipt = view! {
                            <section class="card receipt" id="receipt">
                                <h2>"Receipt"</h2>
                                {match &s.digest {
                                    Some(digest) => view! {
                                        <dl class="facts">
                                            <dt>"Digest"</dt><dd class="mono" id="sim-digest">{digest.clone()}</dd>
                                            <dt>"Evaluator"</dt><dd class="mono">{run.evaluator_version.clone().unwrap_or_default()}</dd>
                                            <dt>"Baseline"</dt><dd>{baseline.clone()}</dd>
                                        </dl>
                                        <p class="muted">"Everything on this page was stored when the run was made: editing the dataset, changing the policy or deleting events does not change it. "
                                            <code>"preflight simulation verify"</code>" recomputes the digest from the run's exported events."</p>
                                    }.into_any(),
                                    None => view! { <p class="muted">"Made before runs kept receipts: no digest."</p> }.into_any(),
                                }}
                            </section>
                        };
                        let absolute = format!("{}{permalink}", run.base_url);
                        let link_for_copy = absolute.clone();
                        view! {
                            <Unfurl title=title.clone() description=unfurl.clone() url=absolute.clone()/>
                            <PageHeader title=format!("Simulation {}", short_id(&run.id)) subtitle=format!("Run {} ({})", ago(now, run.created_micros), datetime(run.created_micros))>
                                {edit}
                                {rerun_form}
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
                            {rerun_note}
                            <p class="scope">"Over " {scope} {format!("{traces} · baseline: {baseline}")}</p>
                            <div class="numbers" id="sim-numbers">
                                <div class="number"><b id="n-scanned">{s.events_scanned}</b><span>"events scanned"</span></div>
                                <div class="number"><b id="n-matched">{s.events_matched}</b><span>"matched the draft"</span></div>
                                <div class="number accent"><b id="n-changed">{s.events_would_have_changed}</b><span>"would change verdict"</span></div>
                                <div class="number"><b id="n-traces">{traces_number}</b><span>"traces in scope"</span></div>
                            </div>
                            <p class="headline" id="sim-headline">{headline(&s)}</p>
                            {expectations}
                            {reviews}
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
                            {blast}
                            {coverage}
                            <section class="card">
                                <h2>{format!("Sample matches ({})", s.sample_matches.len())}</h2>
                                <SampleTable samples=s.sample_matches.clone() project=pid.clone()/>
                            </section>
                            {receipt}
                        }
                    })
                })}
            </Suspense>
        </div>
    }
    .into_any()
}
