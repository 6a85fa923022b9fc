//! The simulator's input: the events to replay (a time window or a dataset), the draft
//! (with starters: one rule, or the active set to edit), what kind of draft it is, and
//! "Save as permalink" (the server's run, compared with the browser's).
use leptos::prelude::*;
use policy::Unmatched;

use crate::components::error_text;
use crate::components::simulation_summary::headline;
use crate::draft::EXAMPLE_DRAFT;
use crate::format::href;
use crate::icons::Icon;
use crate::model::DatasetRef;
use crate::policies::rules::policy_doc;
use crate::policies::{run_policy_simulation, RunOutcome, SimScope, VersionRow};
use policy::TimeWindow;
use policy::{differences, Draft};

use super::{SimState, SimulatorState, ROWS_PAGE, WINDOWS};

fn scope_key(scope: &SimScope) -> String {
    match scope {
        SimScope::Dataset(id) => format!("dataset:{id}"),
        SimScope::Window(w) => format!("window:{w}"),
    }
}

fn parse_scope_key(key: &str) -> SimScope {
    match key.split_once(':') {
        Some(("dataset", id)) => SimScope::Dataset(id.to_string()),
        Some(("window", w)) => {
            SimScope::Window(TimeWindow::parse("window", w).unwrap_or(TimeWindow::Week))
        }
        _ => SimScope::Window(TimeWindow::Week),
    }
}

#[component]
pub(super) fn SimInput(
    state: SimulatorState,
    /// The project's id.
    project: String,
    datasets: Vec<DatasetRef>,
    active: VersionRow,
) -> impl IntoView {
    let active_text = serde_json::to_string_pretty(&policy_doc(active.precedence, &active.rules))
        .unwrap_or_default();
    let save_pid = project.clone();
    let save = Action::new(move |(scope, draft): &(SimScope, String)| {
        let (scope, draft) = (scope.clone(), draft.clone());
        let project = Some(save_pid.clone());
        async move { run_policy_simulation(project, scope, draft).await }
    });

    let mode_line = {
        let version = active.version;
        move || {
            let text = state.draft.get();
            match Draft::from_text(&text).map(|d| d.unmatched) {
                Ok(Unmatched::Allowed) => format!(
                    "Whole rule set: replaces the active policy (version {version}); each event is compared with the verdict the active policy gives it."
                ),
                Ok(_) => "One rule: layered over what was recorded; events it does not match keep their recorded verdict.".to_string(),
                Err(_) => "The draft does not parse yet.".to_string(),
            }
        }
    };

    let scope_options = {
        let has_datasets = !datasets.is_empty();
        move || {
            let current = scope_key(&state.scope.get());
            let windows = WINDOWS.iter().map(|w| {
                let key = format!("window:{w}");
                let selected = key == current;
                view! { <option value=key selected=selected>{format!("Events in {}", w.label())}</option> }
            });
            let sets = datasets.iter().map(|d| {
                let key = format!("dataset:{}", d.id);
                let selected = key == current;
                view! { <option value=key selected=selected>{format!("Dataset “{}”", d.name)}</option> }
            });
            view! {
                <optgroup label="Time window">{windows.collect_view()}</optgroup>
                {has_datasets.then(|| view! { <optgroup label="Datasets">{sets.collect_view()}</optgroup> })}
            }
        }
    };

    let saved_pid = project.clone();
    let saved = move || {
        save.value().get().map(|outcome| match outcome {
            Err(e) => view! { <p class="banner error" id="save-sim-error" role="alert">{format!("The server could not run the simulation: {}", error_text(&e))}</p> }.into_any(),
            Ok(RunOutcome::Invalid(problems)) => view! {
                <p class="banner error" id="save-sim-error" role="alert">{format!(
                    "The server refused the draft: {}",
                    problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; ")
                )}</p>
            }.into_any(),
            Ok(RunOutcome::Ran { id, summary }) => {
                let link = href(&format!("/dashboard/simulations/{id}"), &saved_pid, &[]);
                let agreement = match state.result.get_untracked().0 {
                    SimState::Ready(r) if !r.events.truncated => {
                        let diffs = differences(&r.summary, &summary);
                        if diffs.is_empty() {
                            view! { <p class="agree" id="sim-agreement"><Icon name="check"/>" Same result as the browser."</p> }.into_any()
                        } else {
                            view! {
                                <div class="banner mismatch" id="mismatch-banner" role="alert">
                                    <strong>"The browser and the server disagree (or the events changed since they were loaded)."</strong>
                                    <ul>{diffs.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                                </div>
                            }.into_any()
                        }
                    }
                    _ => view! { <p class="muted">"Not compared with the browser preview."</p> }.into_any(),
                };
                view! {
                    <div class="server-result" id="saved-simulation">
                        <p class="headline">{format!("Server: {}", headline(&summary))}</p>
                        {agreement}
                        <p>"Saved as " <a href=link.clone() id="saved-permalink">{link.clone()}</a></p>
                    </div>
                }.into_any()
            }
        })
    };

    let example = EXAMPLE_DRAFT.to_string();
    view! {
    <section class="card sim-input">
        <label for="sim-scope">"Events"</label>
        <select id="sim-scope" on:change=move |ev| {
            state.scope.set(parse_scope_key(&event_target_value(&ev)));
            state.limit.set(ROWS_PAGE);
        }>{scope_options}</select>
        <div class="draft-head">
            <label for="sim-draft">"Draft"</label>
            <span class="starters">
                <button type="button" class="link-button" id="start-rule" on:click=move |_| state.draft.set(example.clone())>"One rule"</button>
                " · "
                <button type="button" class="link-button" id="start-set" on:click=move |_| state.draft.set(active_text.clone())>"The active set, to edit"</button>
            </span>
        </div>
        <textarea id="sim-draft" spellcheck="false" autocomplete="off" rows="12"
            prop:value=move || state.draft.get()
            on:input=move |ev| { state.draft.set(event_target_value(&ev)); state.limit.set(ROWS_PAGE); }
        >{state.draft.get_untracked()}</textarea>
        <p class="hint muted" id="sim-mode">{mode_line}</p>
        {move || state.draft.with(|d| d.contains("require_approval")).then(|| view! {
            <p class="hint muted" id="require-approval-note">{crate::policies::REQUIRE_APPROVAL_NOTE}</p>
        })}
        <div class="form-actions">
            <button type="button" class="button primary" id="save-simulation"
                disabled=move || save.pending().get() || matches!(state.result.get().0, SimState::Invalid(..))
                on:click=move |_| { save.dispatch((state.scope.get_untracked(), state.draft.get_untracked())); }>
                <Icon name="link"/>{move || if save.pending().get() { "Running on the server…" } else { "Save as permalink" }}
            </button>
        </div>
        {saved}
    </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_keys_round_trip() {
        for s in [
            SimScope::Dataset("ds_1".into()),
            SimScope::Window(TimeWindow::Day),
        ] {
            assert_eq!(parse_scope_key(&scope_key(&s)), s);
        }
        assert_eq!(parse_scope_key("junk"), SimScope::Window(TimeWindow::Week));
    }
}
