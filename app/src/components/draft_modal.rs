//! "Run draft policy": a JSON editor whose draft is validated and replayed in the
//! browser (the `policy` crate compiled to WASM) over the scope's events, fetched once
//! when the modal opens; every keystroke recomputes locally, with no request. "Simulate"
//! asks the server for the authoritative run, keeps it under a permalink, and compares.
use std::sync::Arc;

use leptos::prelude::*;
use policy::SimulationSummary;

use crate::components::error_text;
use crate::components::simulation_summary::{
    headline, BlastRadiusResults, CoverageResults, ExpectationResults, SampleTable, Transitions,
};
use crate::draft::EXAMPLE_DRAFT;
use crate::format::href;
use crate::icons::Icon;
use crate::simulations::{
    get_preview_events, simulate_draft, DraftProblem, DraftScope, PreviewEvents, SimulateOutcome,
    SimulationView,
};
use policy::{differences, preview, Draft};

fn problems_view(problems: &[DraftProblem]) -> impl IntoView {
    let items = problems
        .iter()
        .map(|p| {
            let field = if p.field.is_empty() {
                "draft".to_string()
            } else {
                p.field.clone()
            };
            view! { <li><code class="field">{field}</code> " " {p.message.clone()}</li> }
        })
        .collect_view();
    view! { <ul class="draft-errors" id="draft-error" role="alert">{items}</ul> }
}

#[component]
pub fn DraftModal(
    project: String,
    scope: DraftScope,
    /// What the draft runs over, for the title ("dataset refunds", "3 selected traces").
    title: String,
    on_close: Callback<()>,
    #[prop(optional)] initial_draft: Option<String>,
) -> impl IntoView {
    let draft = RwSignal::new(initial_draft.unwrap_or_else(|| EXAMPLE_DRAFT.to_string()));
    let pid = project.clone();
    let scope_for_events = scope.clone();
    // Fetched once when the modal opens; the key never changes while it is open.
    let events = Resource::new(
        move || scope_for_events.clone(),
        move |scope| get_preview_events(Some(pid.clone()), scope),
    );
    let pid = project.clone();
    let scope_for_run = scope.clone();
    let simulate = Action::new(move |text: &String| {
        let text = text.clone();
        let project = Some(pid.clone());
        let scope = scope_for_run.clone();
        async move { (text.clone(), simulate_draft(project, scope, text).await) }
    });
    let close = move |_| on_close.run(());
    let project_for_preview = project.clone();
    // What is wrong with the draft as typed (empty: it parses); the preview keeps its
    // last good numbers meanwhile, so the dialog does not jump while JSON is half-typed.
    let problems = Memo::new(move |_| {
        draft.with(|text| match Draft::from_text(text) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|e| DraftProblem {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        })
    });
    // Escape closes the dialog (an open menu inside it takes the first Escape).
    #[cfg(feature = "hydrate")]
    {
        let escape = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" {
                on_close.run(());
            }
        });
        on_cleanup(move || escape.remove());
    }

    view! {
        <div class="modal-backdrop" on:click=close>
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="draft-title" id="draft-modal"
                on:click=|ev| ev.stop_propagation()>
                <header class="modal-header">
                    <h2 id="draft-title"><Icon name="flask"/> "Run draft policy"</h2>
                    <span class="muted">{format!("over {title}")}</span>
                    <button type="button" class="icon-button" id="close-modal" aria-label="Close" on:click=close>
                        <Icon name="x"/>
                    </button>
                </header>
                <div class="modal-body">
                    <section class="editor">
                        <label for="draft-editor">"Draft (a rule, or a rule set with " <code>"rules"</code> ")"</label>
                        <textarea
                            id="draft-editor"
                            spellcheck="false"
                            autocomplete="off"
                            rows="9"
                            class:invalid=move || problems.with(|p| !p.is_empty())
                            aria-invalid=move || if problems.with(|p| p.is_empty()) { "false" } else { "true" }
                            aria-describedby="draft-error"
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                        >{draft.get_untracked()}</textarea>
                        // Said at the text box, where the mistake is.
                        {move || problems.with(|p| (!p.is_empty()).then(|| problems_view(p)))}
                        <p class="hint muted">
                            "A single rule is layered over what was recorded; a rule set (" <code>"{\"rules\": [...]}"</code>
                            ") replaces the active policy, so events it does not match become allowed."
                        </p>
                    </section>
                    <Suspense fallback=|| view! { <p class="state loading" id="preview-loading">"Loading the events…"</p> }>
                        {move || {
                            let project = project_for_preview.clone();
                            Suspend::new(async move {
                            match events.await {
                                Err(e) => view! {
                                    <p class="error" id="preview-error">{format!("Could not load the events for the preview: {}", error_text(&e))}</p>
                                }.into_any(),
                                Ok(loaded) => view! {
                                    <Preview draft loaded=Arc::new(loaded) project=project.clone() simulate/>
                                }.into_any(),
                            }
                        })}}
                    </Suspense>
                </div>
            </div>
        </div>
    }
    .into_any()
}

type SimulateAction = Action<String, (String, Result<SimulateOutcome, ServerFnError>)>;

#[component]
fn Preview(
    draft: RwSignal<String>,
    loaded: Arc<PreviewEvents>,
    project: String,
    simulate: SimulateAction,
) -> impl IntoView {
    let events = loaded.clone();
    // The whole preview: parse, compile, replay. Runs on every keystroke, locally.
    let result = Memo::new(move |_| {
        draft.with(|text| {
            Draft::from_text(text).map(|d| preview(&d.compiled, d.unmatched, &events.events))
        })
    });
    // The server's answer comes in below the fold: bring it into view (or its error).
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if simulate.value().with(Option::is_some) {
            request_animation_frame(|| {
                let found = ["server-result", "simulate-error"]
                    .into_iter()
                    .find_map(|id| document().get_element_by_id(id));
                if let Some(element) = found {
                    element.scroll_into_view();
                }
            });
        }
    });
    let last_good = RwSignal::new(None::<SimulationSummary>);
    Effect::new(move |_| {
        if let Ok(summary) = result.get() {
            last_good.set(Some(summary));
        }
    });
    let events_for_compare = loaded.clone();
    let truncated = loaded.truncated;
    let pid = project.clone();

    view! {
        <section class="preview" id="preview">
            <div class="preview-head">
                <h3>"Preview in your browser"</h3>
                <span class="muted">{format!("{} events loaded once; nothing is sent while you type", loaded.events.len())}</span>
            </div>
            {truncated.then(|| view! {
                <p class="warning">"This scope has more events than the preview loads; the preview covers the first ones. Simulate counts them all."</p>
            })}
            {move || match result.get() {
                Err(_) => match last_good.get() {
                    // The numbers of the last draft that parsed, dimmed, until this one does.
                    Some(summary) => view! {
                        <div class="stale" aria-hidden="true" title="The draft does not parse: these are the last numbers">
                            <p class="headline">{headline(&summary)}</p>
                            <Transitions summary=summary.clone()/>
                            <SampleTable samples=summary.sample_matches.clone() project=pid.clone()/>
                        </div>
                    }.into_any(),
                    None => view! { <p class="muted" id="preview-waiting">"The preview appears once the draft parses."</p> }.into_any(),
                },
                Ok(summary) => view! {
                    <p class="headline" id="preview-counts">{headline(&summary)}</p>
                    <Transitions summary=summary.clone()/>
                    <SampleTable samples=summary.sample_matches.clone() project=pid.clone()/>
                }.into_any(),
            }}
            <div class="modal-actions">
                <button
                    type="button"
                    class="button primary"
                    id="simulate"
                    disabled=move || result.with(|r| r.is_err()) || simulate.pending().get()
                    on:click=move |_| { simulate.dispatch(draft.get_untracked()); }
                >
                    <Icon name="play"/>
                    {move || if simulate.pending().get() { "Simulating…" } else { "Simulate on the server" }}
                </button>
            </div>
            {move || simulate.value().get().map(|(text, outcome)| {
                let local = Draft::from_text(&text)
                    .ok()
                    .map(|d| preview(&d.compiled, d.unmatched, &events_for_compare.events));
                server_result(outcome, local, truncated, &project)
            })}
        </section>
    }
    .into_any()
}

fn server_result(
    outcome: Result<SimulateOutcome, ServerFnError>,
    local: Option<SimulationSummary>,
    truncated: bool,
    project: &str,
) -> AnyView {
    match outcome {
        Err(e) => view! {
            <div class="banner error" id="simulate-error" role="alert">
                {format!("The server could not run the simulation: {}", error_text(&e))}
            </div>
        }
        .into_any(),
        Ok(SimulateOutcome::Invalid(problems)) => view! {
            <div class="banner error" id="simulate-error" role="alert">
                <p>"The server refused the draft:"</p>
                {problems_view(&problems)}
            </div>
        }
        .into_any(),
        Ok(SimulateOutcome::Ran(run)) => {
            let diffs = match (&local, truncated) {
                (_, true) => Vec::new(),
                (Some(local), false) => differences(local, &run.summary),
                (None, false) => vec!["the browser could not compile the same draft".to_string()],
            };
            server_run(*run, diffs, truncated, project).into_any()
        }
    }
}

fn server_run(
    run: SimulationView,
    diffs: Vec<String>,
    truncated: bool,
    project: &str,
) -> impl IntoView {
    let link = href(&format!("/dashboard/simulations/{}", run.id), project, &[]);
    let agreement = if !diffs.is_empty() {
        view! {
            <div class="banner mismatch" id="mismatch-banner" role="alert">
                <strong>"The browser preview and the server disagree. This is a bug: please report it with the permalink."</strong>
                <ul>{diffs.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
            </div>
        }
        .into_any()
    } else if truncated {
        view! { <p class="muted" id="agreement">"Not compared: the preview only covered part of the events."</p> }.into_any()
    } else {
        view! { <p class="agree" id="agreement"><Icon name="check"/> "Same result as the browser preview."</p> }.into_any()
    };
    // A dataset run checks the dataset's expectations: regressions first.
    let expectations = run.summary.expectations.clone().map(|report| {
        let project = project.to_string();
        match run.dataset_id.clone() {
            Some(dataset) => {
                view! { <ExpectationResults report project accept_into=dataset/> }.into_any()
            }
            None => view! { <ExpectationResults report project/> }.into_any(),
        }
    });
    view! {
        <div class="server-result" id="server-result">
            <h3>"Server result"</h3>
            <p class="headline" id="server-counts">{headline(&run.summary)}</p>
            {expectations}
            {run.summary.blast_radius.clone().map(|report| view! { <BlastRadiusResults report/> })}
            {run.summary.coverage.clone().map(|report| view! { <CoverageResults report/> })}
            {agreement}
            <p>
                "Saved as " <a href=link.clone() id="permalink">{link.clone()}</a>
            </p>
        </div>
    }
}
