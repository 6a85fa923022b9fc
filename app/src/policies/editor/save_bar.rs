//! The save bar: the unsaved changes against the active version, what they would flip
//! over the last 7 days (previewed in the browser), and Discard, Open in simulator,
//! Run on the server and Save.
use std::sync::Arc;

use leptos::prelude::*;
use policy::{CompiledPolicy, Precedence, Rule, SimulationSummary};

use crate::components::error_text;
use crate::components::simulation_summary::{CoverageResults, Transitions};
use crate::format::href;
use crate::icons::Icon;
use crate::policies::diff::diff_rules;
use crate::policies::replay::{flip_headline, flips, Flips, PREVIEW_WINDOW};
use crate::policies::rules::{compile_rows, policy_doc, WorkRule};
use crate::policies::{run_policy_simulation, RunOutcome, SimScope, VersionRow};
use crate::simulations::PreviewEvents;

use super::{save_policy_rules, EditorState, EventsAction};

/// What the in-browser preview shows.
#[derive(Clone, Debug, PartialEq)]
enum PreviewState {
    Loading,
    Failed(String),
    Invalid(String),
    Ready {
        flips: Flips,
        truncated: bool,
        /// Which rules of the edited set decide the last 7 days' events.
        coverage: Option<policy::CoverageReport>,
    },
}

fn preview_of(
    events: Option<Result<Arc<PreviewEvents>, ServerFnError>>,
    active: Option<&CompiledPolicy>,
    precedence: Precedence,
    rules: &[Rule],
) -> PreviewState {
    match events {
        None => PreviewState::Loading,
        Some(Err(e)) => PreviewState::Failed(format!(
            "Could not load the recent events for the preview: {}",
            error_text(&e)
        )),
        Some(Ok(ev)) => match (active, compile_rows(precedence, rules)) {
            (None, _) => PreviewState::Failed(
                "the active policy does not compile, so nothing can be compared with it".into(),
            ),
            (_, Err(e)) => PreviewState::Invalid(policy::join_errors(&e)),
            (Some(a), Ok(c)) => PreviewState::Ready {
                flips: flips(a, &c, &ev.events),
                truncated: ev.truncated,
                coverage: policy::preview(&c, policy::Unmatched::Allowed, &ev.events).coverage,
            },
        },
    }
}

fn flip_summary(f: &Flips) -> SimulationSummary {
    SimulationSummary {
        events_scanned: f.scanned,
        events_would_have_changed: f.flipped,
        transitions: f.matrix.transitions(),
        ..Default::default()
    }
}

#[component]
pub(super) fn SaveBar(
    state: EditorState,
    /// The project's id.
    project: String,
    active: VersionRow,
    /// The working copy as loaded (what Discard goes back to).
    initial: Vec<WorkRule>,
    active_compiled: Option<Arc<CompiledPolicy>>,
    events: EventsAction,
    reload: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let active_rules = active.rules.clone();
    let active_prec = active.precedence;
    let changes = Memo::new(move |_| {
        diff_rules(
            active_prec,
            &active_rules,
            state.precedence.get(),
            &state.candidate.get(),
        )
    });
    let preview = Memo::new(move |_| {
        preview_of(
            events.value().get(),
            active_compiled.as_deref(),
            state.precedence.get(),
            &state.candidate.get(),
        )
    });

    let message = RwSignal::new(String::new());
    let base = active.version;
    let save_pid = project.clone();
    let save = Action::new(
        move |req: &(Precedence, Vec<Rule>, Option<String>, String)| {
            let (prec, rules, msg, headline) = req.clone();
            let project = Some(save_pid.clone());
            async move {
                let result = save_policy_rules(project, base, prec, rules, msg).await;
                if let Ok(v) = &result {
                    notice.set(Some(format!("Saved version {v}: {headline}.")));
                    reload.update(|n| *n += 1);
                }
                result
            }
        },
    );
    let run_pid = project.clone();
    let server_run = Action::new(move |draft: &String| {
        let draft = draft.clone();
        let project = Some(run_pid.clone());
        async move {
            (
                draft.clone(),
                run_policy_simulation(project, SimScope::Window(PREVIEW_WINDOW), draft).await,
            )
        }
    });
    let draft_text = move || {
        serde_json::to_string_pretty(&policy_doc(state.precedence.get(), &state.candidate.get()))
            .unwrap_or_default()
    };

    let sim_pid = project.clone();
    let discard_rules = initial;
    let discard_prec = active.precedence;
    let save_bar = move || {
        let (dr, dp) = (discard_rules.clone(), discard_prec);
        let list = changes.get();
        if list.is_empty() && state.editing.get().is_none() {
            return view! {
                <p class="muted" id="no-changes">"No unsaved changes. Edit, move, toggle or delete rules above: nothing takes effect until you save."</p>
            }
            .into_any();
        }
        let invalid_form = matches!(state.form_rule.get(), Some(Err(_)));
        let sim_link = href(
            "/dashboard/policies/simulate",
            &sim_pid,
            &[
                ("window", PREVIEW_WINDOW.as_str()),
                ("draft", &draft_text()),
            ],
        );
        view! {
            <h2>{if list.is_empty() { "No changes yet".to_string() } else { format!("Unsaved changes ({})", list.len()) }}</h2>
            <ul class="changes" id="pending-changes">
                {list.iter().map(|c| view! { <li class=format!("change c-{}", c.kind())>{c.describe()}</li> }).collect_view()}
            </ul>
            <div class="preview-line">
                {move || match preview.get() {
                    PreviewState::Loading => view! { <p class="muted" id="preview-flips-loading">"Loading the last 7 days of events for the preview…"</p> }.into_any(),
                    PreviewState::Failed(m) => view! { <p class="error" id="preview-error">{m}</p> }.into_any(),
                    PreviewState::Invalid(m) => view! { <p class="error" id="preview-invalid">{format!("The edited set is invalid: {m}")}</p> }.into_any(),
                    PreviewState::Ready { flips, truncated, .. } => {
                        let headline = flip_headline(&flips, PREVIEW_WINDOW);
                        let mut chars = headline.chars();
                        let cap: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
                        view! {
                            <p class="headline" id="preview-flips" data-flipped=flips.flipped data-scanned=flips.scanned>
                                <Icon name="flask"/>" " {cap}
                                <span class="muted">" (previewed in your browser against the active version)"</span>
                            </p>
                            {truncated.then(|| view! { <p class="warning">"More events than the preview loads: it covers the most recent 50,000. Run on the server to count them all."</p> })}
                            <Transitions summary=flip_summary(&flips)/>
                        }.into_any()
                    }
                }}
            </div>
            <div class="save-row">
                <input id="save-message" placeholder="Why (kept with the version, optional)" maxlength="4096"
                    prop:value=move || message.get() on:input=move |ev| message.set(event_target_value(&ev))/>
                <button type="button" class="button" id="discard" on:click=move |_| {
                    state.editing.set(None);
                    state.work.set(dr.clone());
                    state.precedence.set(dp);
                }>"Discard"</button>
                <a class="button" id="open-simulator" href=sim_link><Icon name="flask"/>"Open in simulator"</a>
                <button type="button" class="button" id="run-server" disabled=move || invalid_form || server_run.pending().get()
                    on:click=move |_| { server_run.dispatch(draft_text()); }>
                    <Icon name="play"/>{move || if server_run.pending().get() { "Running…" } else { "Run on the server" }}
                </button>
                <button type="button" class="button primary" id="save-policy"
                    disabled=move || invalid_form || changes.with(Vec::is_empty) || save.pending().get()
                    on:click=move |_| {
                        let headline = match preview.get_untracked() {
                            PreviewState::Ready { flips, .. } => flip_headline(&flips, PREVIEW_WINDOW),
                            _ => "the preview was not ready".to_string(),
                        };
                        let msg = Some(message.get_untracked()).filter(|m| !m.trim().is_empty());
                        save.dispatch((state.precedence.get_untracked(), state.candidate.get_untracked(), msg, headline));
                    }>
                    <Icon name="check"/>{move || if save.pending().get() { "Saving…".to_string() } else { format!("Save as version {}", base + 1) }}
                </button>
            </div>
        }
        .into_any()
    };

    let server_result = move || {
        server_run.value().get().map(|(_, outcome)| match outcome {
            Err(e) => view! { <p class="banner error" id="server-run-error" role="alert">{format!("The server could not run the simulation: {}", error_text(&e))}</p> }.into_any(),
            Ok(RunOutcome::Invalid(problems)) => view! {
                <p class="banner error" id="server-run-error" role="alert">{format!(
                    "The server refused the edited set: {}",
                    problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; ")
                )}</p>
            }.into_any(),
            Ok(RunOutcome::Ran { id, summary }) => {
                let link = href(&format!("/dashboard/simulations/{id}"), &project, &[]);
                let f = Flips { scanned: summary.events_scanned, flipped: summary.events_would_have_changed, ..Default::default() };
                view! {
                    <div class="server-result" id="server-run">
                        <p class="headline" id="server-flips">{format!("Server: {}", flip_headline(&f, PREVIEW_WINDOW))}</p>
                        <p>"Kept as " <a href=link.clone() id="server-permalink">{link.clone()}</a></p>
                    </div>
                }.into_any()
            }
        })
    };
    let save_error = move || {
        save.value().get().and_then(|r| r.err()).map(|e| {
            view! {
                <p class="banner error" id="save-error" role="alert">{error_text(&e)}</p>
            }
        })
    };
    // Beside the rules, edited or not: which of them decide the last 7 days' events.
    let coverage = move || match preview.get() {
        PreviewState::Ready {
            coverage: Some(report),
            ..
        } => Some(view! { <CoverageResults report scope="the rules as edited, last 7 days"/> }),
        _ => None,
    };
    view! {
        <section class="card save-bar" id="save-bar">
            {save_bar}
            {server_result}
            {save_error}
        </section>
        {coverage}
    }
}
