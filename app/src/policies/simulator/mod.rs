//! `/dashboard/policies/simulate`: the simulator. Choose a dataset or a time window
//! and a draft — one rule layered over the recorded verdicts, or a whole rule set
//! compared with the active policy — and see the four numbers, the transition matrix
//! and every event's verdict before and after, with filters. All computed in the
//! browser (the `policy` crate in WASM) over the scope's events, loaded once per
//! scope; "Save as permalink" runs it on the server and keeps it. The URL carries the
//! whole state (`?window=7d` or `?dataset=`, `draft`, `show`, `transition`, `q`).
use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use policy::{FieldError, SimulationSummary, Unmatched, Verdict};

use crate::components::simulation_summary::headline;
use crate::components::{
    error_text, loaded, use_project_query, AgentChip, Loading, PageHeader, VerdictChip,
};
use crate::draft::{compile_draft_text, differences, preview, EXAMPLE_DRAFT};
use crate::format::{cost, href, short_id};
use crate::icons::Icon;
use crate::model::{DatasetRef, ProjectRef, Scoped};
use crate::simulations::PreviewEvents;
use serde::{Deserialize, Serialize};

use super::replay::{matrix_of, outcomes, thousands, window_label, with_baseline, Matrix, Outcome};
use super::rules::{compile_rows, policy_doc};
#[cfg(feature = "ssr")]
use super::support;
use super::{get_scope_events, run_policy_simulation, RunOutcome, SimScope, VersionRow};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulatorData {
    pub datasets: Vec<DatasetRef>,
    pub active: VersionRow,
}

/// The simulator's choices: datasets and the active policy.
#[server]
pub async fn get_simulator(
    project: Option<String>,
) -> Result<Option<Scoped<SimulatorData>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let datasets = store
        .list_datasets(&p.id)
        .await
        .map_err(store_error)?
        .iter()
        .map(DatasetRef::from)
        .collect();
    let active = support::version_row(&store.active_policy(&p.id).await.map_err(store_error)?);
    Ok(Some(Scoped {
        project: crate::model::ProjectRef::from(&p),
        now_micros: store::now_micros(),
        data: Some(SimulatorData { datasets, active }),
    }))
}

/// Rows of the per-event table shown at a time ("Show more" adds as many).
const ROWS_PAGE: usize = 200;

const WINDOWS: [&str; 5] = ["1h", "24h", "7d", "30d", "all"];

/// A value compared as always new: memos of large results skip the deep comparison.
#[derive(Clone)]
struct Fresh<T>(T);

impl<T> PartialEq for Fresh<T> {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

struct SimResult {
    events: Arc<PreviewEvents>,
    summary: SimulationSummary,
    outcomes: Vec<Outcome>,
    matrix: Matrix,
    traces: usize,
    /// `#2 payments.* → block` per draft rule index.
    rule_labels: Vec<String>,
}

#[derive(Clone)]
enum SimState {
    Loading,
    Failed(String),
    Invalid(Vec<FieldError>),
    Ready(Arc<SimResult>),
}

fn scope_key(scope: &SimScope) -> String {
    match scope {
        SimScope::Dataset(id) => format!("dataset:{id}"),
        SimScope::Window(w) => format!("window:{w}"),
    }
}

fn parse_scope_key(key: &str) -> SimScope {
    match key.split_once(':') {
        Some(("dataset", id)) => SimScope::Dataset(id.to_string()),
        Some(("window", w)) => SimScope::Window(w.to_string()),
        _ => SimScope::Window("7d".to_string()),
    }
}

/// Replaces the browser's URL without a navigation (the state is in signals).
fn replace_url(url: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        let w = window();
        let Ok(history) = js_sys::Reflect::get(&w, &JsValue::from_str("history")) else {
            return;
        };
        let Ok(f) = js_sys::Reflect::get(&history, &JsValue::from_str("replaceState")) else {
            return;
        };
        if let Ok(f) = f.dyn_into::<js_sys::Function>() {
            let _ = f.call3(
                &history,
                &JsValue::NULL,
                &JsValue::from_str(""),
                &JsValue::from_str(url),
            );
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// `12:04:05` (or the date and time) out of an ISO 8601 timestamp.
fn when(ts: &Option<String>) -> String {
    match ts {
        Some(t) if t.len() >= 19 && t.as_bytes().get(10) == Some(&b'T') => {
            format!("{} {}", &t[5..10], &t[11..19])
        }
        Some(t) => t.clone(),
        None => "–".to_string(),
    }
}

#[component]
pub fn PolicySimulatorPage() -> impl IntoView {
    let project_q = use_project_query();
    let data = Resource::new(move || project_q.get(), get_simulator);
    view! {
        <div class="page simulator-page">
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "the simulator", move |project, _now, d| view! {
                        <Simulator project data=d/>
                    })
                })}
            </Suspense>
        </div>
    }
    .into_any()
}

#[component]
fn Simulator(project: ProjectRef, data: SimulatorData) -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &str| query.with_untracked(|m| m.get(k)).filter(|v| !v.is_empty());
    let initial_scope = match q("dataset") {
        Some(id) => SimScope::Dataset(id),
        None => SimScope::Window(
            q("window")
                .filter(|w| WINDOWS.contains(&w.as_str()))
                .unwrap_or_else(|| "7d".to_string()),
        ),
    };
    let scope = RwSignal::new(initial_scope);
    let draft = RwSignal::new(q("draft").unwrap_or_else(|| EXAMPLE_DRAFT.to_string()));
    let show = RwSignal::new(q("show").unwrap_or_else(|| "changed".to_string()));
    let transition = RwSignal::new(q("transition"));
    let search = RwSignal::new(q("q").unwrap_or_default());
    let limit = RwSignal::new(ROWS_PAGE);
    let pid = project.id.clone();

    // The URL carries the state, so a simulation can be shared as it is on screen.
    let url_pid = pid.clone();
    Effect::new(move |_| {
        let scope_pair = match scope.get() {
            SimScope::Dataset(id) => ("dataset", id),
            SimScope::Window(w) => ("window", w),
        };
        let show_v = show.get();
        let url = href(
            "/dashboard/policies/simulate",
            &url_pid,
            &[
                (scope_pair.0, scope_pair.1.as_str()),
                ("draft", draft.get().as_str()),
                (
                    "show",
                    if show_v == "changed" {
                        ""
                    } else {
                        show_v.as_str()
                    },
                ),
                ("transition", transition.get().unwrap_or_default().as_str()),
                ("q", search.get().as_str()),
            ],
        );
        replace_url(&url);
    });

    let events: Action<(Option<String>, SimScope), Result<Arc<PreviewEvents>, ServerFnError>> =
        Action::new(|(project, scope): &(Option<String>, SimScope)| {
            let (project, scope) = (project.clone(), scope.clone());
            async move { get_scope_events(project, scope).await.map(Arc::new) }
        });
    let load_pid = pid.clone();
    Effect::new(move |_| {
        events.dispatch((Some(load_pid.clone()), scope.get()));
    });

    let active = data.active.clone();
    let active_compiled = compile_rows(active.precedence, &active.rules)
        .ok()
        .map(Arc::new);
    let active_text = serde_json::to_string_pretty(&policy_doc(active.precedence, &active.rules))
        .unwrap_or_default();

    let result = Memo::new(move |_| {
        // While a new scope loads, the previous scope's events are not shown as its.
        let state = if events.pending().get() {
            SimState::Loading
        } else {
            match events.value().get() {
                None => SimState::Loading,
                Some(Err(e)) => {
                    SimState::Failed(format!("Could not load the events: {}", error_text(&e)))
                }
                Some(Ok(ev)) => match draft.with(|t| compile_draft_text(t)) {
                    Err(errors) => SimState::Invalid(errors),
                    Ok((_, compiled, unmatched)) => {
                        let baseline = match unmatched {
                            Unmatched::Allowed => active_compiled.as_deref(),
                            Unmatched::KeepRecorded => None,
                        };
                        if unmatched == Unmatched::Allowed && baseline.is_none() {
                            SimState::Failed(
                                "The active policy does not compile, so a rule set cannot be compared with it."
                                    .to_string(),
                            )
                        } else {
                            let rows = outcomes(&compiled, unmatched, baseline, &ev.events);
                            let summary = match baseline {
                                Some(b) => {
                                    preview(&compiled, unmatched, &with_baseline(b, &ev.events))
                                }
                                None => preview(&compiled, unmatched, &ev.events),
                            };
                            let traces: HashSet<&str> = rows
                                .iter()
                                .filter_map(|o| ev.events.get(o.event))
                                .map(|e| e.trace_id.as_str())
                                .collect();
                            let rule_labels = compiled
                                .rule_set()
                                .rules
                                .iter()
                                .enumerate()
                                .map(|(i, r)| format!("#{i} {} → {}", r.pattern, r.action))
                                .collect();
                            SimState::Ready(Arc::new(SimResult {
                                matrix: matrix_of(&rows),
                                traces: traces.len(),
                                events: ev.clone(),
                                summary,
                                outcomes: rows,
                                rule_labels,
                            }))
                        }
                    }
                },
            }
        };
        Fresh(state)
    });

    let save_pid = pid.clone();
    let save = Action::new(move |(scope, draft): &(SimScope, String)| {
        let (scope, draft) = (scope.clone(), draft.clone());
        let project = Some(save_pid.clone());
        async move { run_policy_simulation(project, scope, draft).await }
    });

    let mode_line = {
        let version = active.version;
        move || {
            let text = draft.get();
            match compile_draft_text(&text) {
                Ok((_, _, Unmatched::Allowed)) => format!(
                    "Whole rule set: replaces the active policy (version {version}); each event is compared with the verdict the active policy gives it."
                ),
                Ok(_) => "One rule: layered over what was recorded; events it does not match keep their recorded verdict.".to_string(),
                Err(_) => "The draft does not parse yet.".to_string(),
            }
        }
    };

    let scope_options = {
        let datasets = data.datasets.clone();
        move || {
            let current = scope_key(&scope.get());
            let windows = WINDOWS.iter().map(|w| {
                let key = format!("window:{w}");
                let selected = key == current;
                view! { <option value=key selected=selected>{format!("Events in {}", window_label(w))}</option> }
            });
            let sets = datasets.iter().map(|d| {
                let key = format!("dataset:{}", d.id);
                let selected = key == current;
                view! { <option value=key selected=selected>{format!("Dataset “{}”", d.name)}</option> }
            });
            view! {
                <optgroup label="Time window">{windows.collect_view()}</optgroup>
                {(!data.datasets.is_empty()).then(|| view! { <optgroup label="Datasets">{sets.collect_view()}</optgroup> })}
            }
        }
    };

    let numbers = move || {
        match result.get().0 {
        SimState::Loading => view! { <p class="state loading" id="sim-loading">"Loading the events…"</p> }.into_any(),
        SimState::Failed(m) => view! { <p class="banner error" id="sim-error" role="alert">{m}</p> }.into_any(),
        SimState::Invalid(errors) => view! {
            <ul class="draft-errors" id="draft-error" role="alert">
                {errors.into_iter().map(|e| view! {
                    <li><code class="field">{if e.field.is_empty() { "draft".to_string() } else { e.field }}</code>" " {e.message}</li>
                }).collect_view()}
            </ul>
        }.into_any(),
        SimState::Ready(r) => {
            let s = &r.summary;
            view! {
                {r.events.truncated.then(|| view! {
                    <p class="warning">"This scope has more events than the browser loads: the numbers cover the most recent 50,000. Save as permalink counts them all on the server."</p>
                })}
                <div class="numbers" id="sim-numbers">
                    <div class="number"><b id="n-scanned">{thousands(s.events_scanned)}</b><span>"events scanned"</span></div>
                    <div class="number"><b id="n-matched">{thousands(s.events_matched)}</b><span>"matched the draft"</span></div>
                    <div class="number accent"><b id="n-changed">{thousands(s.events_would_have_changed)}</b><span>"would flip verdict"</span></div>
                    <div class="number"><b id="n-traces">{thousands(r.traces as u64)}</b><span>"traces in scope"</span></div>
                </div>
                <p class="headline" id="sim-headline">{headline(s)}</p>
            }.into_any()
        }
    }
    };

    let matrix = move || {
        let SimState::Ready(r) = result.get().0 else {
            return None;
        };
        let m = r.matrix;
        let header = Verdict::ALL
            .iter()
            .map(|v| view! { <th class="num"><VerdictChip verdict=*v/></th> })
            .collect_view();
        let body = Verdict::ALL
            .iter()
            .map(|from| {
                let cells = Verdict::ALL
                    .iter()
                    .map(|to| {
                        let n = m.get(*from, *to);
                        let key = format!("{from}->{to}");
                        let class = if from == to {
                            "cell same"
                        } else if n > 0 {
                            "cell flip"
                        } else {
                            "cell zero"
                        };
                        let k2 = key.clone();
                        let selected = move || transition.get().as_deref() == Some(k2.as_str());
                        view! {
                            <td class="num">
                                <button type="button" class=class class:selected=selected data-cell=key.clone() disabled=n == 0
                                    title=format!("{n} events {from} → {to}: show them")
                                    on:click=move |_| {
                                        transition.set(Some(key.clone()));
                                        show.set("all".to_string());
                                        limit.set(ROWS_PAGE);
                                    }>
                                    {thousands(n)}
                                </button>
                            </td>
                        }
                    })
                    .collect_view();
                view! { <tr><th><VerdictChip verdict=*from/></th>{cells}</tr> }
            })
            .collect_view();
        Some(view! {
            <div class="table-wrap matrix-wrap">
                <table class="data matrix" id="transition-matrix">
                    <thead><tr><th class="corner">"before ↓ · after →"</th>{header}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        })
    };

    let table_pid = pid.clone();
    let diff_table = move || {
        let SimState::Ready(r) = result.get().0 else {
            return None;
        };
        let mode = show.get();
        let t = transition.get();
        let needle = search.get().to_lowercase();
        let matching: Vec<&Outcome> = r
            .outcomes
            .iter()
            .filter(|o| match mode.as_str() {
                "matched" => o.rule.is_some(),
                "all" => true,
                _ => o.changed(),
            })
            .filter(|o| {
                t.as_deref()
                    .is_none_or(|k| k == format!("{}->{}", o.baseline, o.simulated))
            })
            .filter(|o| {
                needle.is_empty()
                    || r.events.events.get(o.event).is_some_and(|e| {
                        e.tool.to_lowercase().contains(&needle)
                            || e.agent
                                .as_deref()
                                .is_some_and(|a| a.to_lowercase().contains(&needle))
                    })
            })
            .collect();
        let total = matching.len();
        let shown = limit.get().min(total);
        let rows = matching
            .iter()
            .take(shown)
            .filter_map(|o| {
                let e = r.events.events.get(o.event)?;
                let link = href(
                    &format!("/dashboard/traces/{}", e.trace_id),
                    &table_pid,
                    &[("span", e.span_id.as_str())],
                );
                let rule = o
                    .rule
                    .and_then(|i| r.rule_labels.get(i).cloned())
                    .unwrap_or_else(|| "no draft rule".to_string());
                Some(view! {
                    <tr class:changed=o.changed() data-transition=format!("{}->{}", o.baseline, o.simulated)>
                        <td class="mono time">{when(&e.timestamp)}</td>
                        <td class="mono"><a href=link title=e.trace_id.clone()>{short_id(&e.trace_id)}</a></td>
                        <td class="mono">{e.tool.clone()}</td>
                        <td>{e.agent.clone().map(|a| view! { <AgentChip name=a/> })}</td>
                        <td class="num">{e.cost_usd.map(cost).unwrap_or_default()}</td>
                        <td class="transition">
                            <VerdictChip verdict=o.baseline/>
                            <span class="arrow">"→"</span>
                            <VerdictChip verdict=o.simulated/>
                        </td>
                        <td class="mono rule-label">{rule}</td>
                    </tr>
                })
            })
            .collect_view();
        let empty = (total == 0).then(|| {
            view! {
                <p class="muted" id="diff-empty">"No event matches these filters."</p>
            }
        });
        Some(view! {
            <p class="muted" id="diff-count">{format!("{} of {} {}", thousands(shown as u64), thousands(total as u64), if total == 1 { "event" } else { "events" })}</p>
            {empty}
            {(total > 0).then(|| view! {
                <div class="table-wrap">
                    <table class="data samples event-diff" id="event-diff">
                        <thead><tr><th>"Time"</th><th>"Trace"</th><th>"Tool"</th><th>"Agent"</th><th class="num">"Cost"</th><th>"Before → after"</th><th>"Deciding draft rule"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })}
            {(shown < total).then(|| view! {
                <div class="pager">
                    <button type="button" class="button" id="show-more" on:click=move |_| limit.update(|l| *l += ROWS_PAGE)>
                        {format!("Show {} more", ROWS_PAGE.min(total - shown))}
                    </button>
                </div>
            })}
        })
    };

    let saved_pid = pid.clone();
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
                let agreement = match result.get_untracked().0 {
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

    let show_button = move |value: &'static str, label: &'static str| {
        view! {
            <button type="button" class="tab" class:active=move || show.get() == value id=format!("show-{value}")
                on:click=move |_| { show.set(value.to_string()); limit.set(ROWS_PAGE); }>{label}</button>
        }
    };
    let policies_link = href("/dashboard/policies", &project.id, &[]);
    let example = EXAMPLE_DRAFT.to_string();
    view! {
        <PageHeader title="Policy simulator".into() subtitle="Replay recorded events under a draft before it ships: nothing here changes the active policy.".to_string()>
            <a class="button" href=policies_link>"Back to policies"</a>
        </PageHeader>
        <div class="sim-layout">
            <section class="card sim-input">
                <label for="sim-scope">"Events"</label>
                <select id="sim-scope" on:change=move |ev| {
                    scope.set(parse_scope_key(&event_target_value(&ev)));
                    limit.set(ROWS_PAGE);
                }>{scope_options}</select>
                <div class="draft-head">
                    <label for="sim-draft">"Draft"</label>
                    <span class="starters">
                        <button type="button" class="link-button" id="start-rule" on:click=move |_| draft.set(example.clone())>"One rule"</button>
                        " · "
                        <button type="button" class="link-button" id="start-set" on:click=move |_| draft.set(active_text.clone())>"The active set, to edit"</button>
                    </span>
                </div>
                <textarea id="sim-draft" spellcheck="false" autocomplete="off" rows="12"
                    prop:value=move || draft.get()
                    on:input=move |ev| { draft.set(event_target_value(&ev)); limit.set(ROWS_PAGE); }
                >{draft.get_untracked()}</textarea>
                <p class="hint muted" id="sim-mode">{mode_line}</p>
                <div class="form-actions">
                    <button type="button" class="button primary" id="save-simulation"
                        disabled=move || save.pending().get() || matches!(result.get().0, SimState::Invalid(_))
                        on:click=move |_| { save.dispatch((scope.get_untracked(), draft.get_untracked())); }>
                        <Icon name="link"/>{move || if save.pending().get() { "Running on the server…" } else { "Save as permalink" }}
                    </button>
                </div>
                {saved}
            </section>
            <section class="sim-output">
                {numbers}
                <section class="card">
                    <h2>"Transitions"</h2>
                    <p class="muted">"Rows: the verdict before (recorded, or the active policy's for a whole set). Columns: the draft's. Click a number to list those events."</p>
                    {matrix}
                </section>
            </section>
        </div>
        <section class="card diff-card">
            <div class="diff-head">
                <h2>"Per-event diff"</h2>
                <div class="tabs diff-filters">
                    {show_button("changed", "Flipped")}
                    {show_button("matched", "Matched by the draft")}
                    {show_button("all", "All scanned")}
                </div>
                {move || transition.get().map(|t| view! {
                    <span class="chip filter-chip" id="transition-filter">{t.replace("->", " → ")}
                        <button type="button" class="icon-button" aria-label="Clear the transition filter" id="clear-transition"
                            on:click=move |_| transition.set(None)><Icon name="x"/></button>
                    </span>
                })}
                <input id="diff-search" type="search" placeholder="Filter by tool or agent"
                    prop:value=move || search.get() on:input=move |ev| { search.set(event_target_value(&ev)); limit.set(ROWS_PAGE); }/>
            </div>
            {diff_table}
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_keys_round_trip() {
        for s in [
            SimScope::Dataset("ds_1".into()),
            SimScope::Window("24h".into()),
        ] {
            assert_eq!(parse_scope_key(&scope_key(&s)), s);
        }
        assert_eq!(parse_scope_key("junk"), SimScope::Window("7d".into()));
        assert_eq!(when(&Some("2025-01-02T03:04:05Z".into())), "01-02 03:04:05");
    }
}
