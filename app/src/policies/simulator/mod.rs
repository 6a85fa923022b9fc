//! `/dashboard/policies/simulate`: the simulator. Choose a dataset or a time window
//! and a draft — one rule layered over the recorded verdicts, or a whole rule set
//! compared with the active policy — and see the four numbers, the transition matrix
//! and every event's verdict before and after, with filters. All computed in the
//! browser (the `policy` crate in WASM) over the scope's events, loaded once per
//! scope; "Save as permalink" runs it on the server and keeps it. The URL carries the
//! whole state (`?window=7d` or `?dataset=`, `draft`, `show`, `transition`, `q`).
//!
//! Its types and server function, the page, its state and the in-browser replay; the
//! parts are in `input` (scope and draft), `results` (numbers and matrix) and
//! `event_diff`.
use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use policy::{CompiledPolicy, FieldError, SimulationSummary, Unmatched};
use serde::{Deserialize, Serialize};

use crate::components::{error_text, loaded, use_project_query, Loading, PageHeader};
use crate::draft::EXAMPLE_DRAFT;
use crate::format::href;
use crate::model::{DatasetRef, ProjectRef, Scoped};
use crate::simulations::PreviewEvents;
use policy::{preview, Draft};

use super::replay::{matrix_of, outcomes, with_baseline, Matrix, Outcome};
use super::rules::compile_rows;
use super::{get_scope_events, SimScope, VersionRow};

mod event_diff;
mod input;
mod results;

use event_diff::EventDiff;
use input::SimInput;
use results::SimOutput;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulatorData {
    pub datasets: Vec<DatasetRef>,
    pub active: VersionRow,
    /// The project's calls of the last 30 days by name, agent and verdict: the blast
    /// radius is decided over these in the browser, once per name, as the draft changes.
    pub seen: Vec<policy::SeenCall>,
}

/// The simulator's choices: datasets and the active policy.
#[server(prefix = "/api/read")]
pub async fn get_simulator(
    project: Option<String>,
) -> Result<Option<Scoped<SimulatorData>>, ServerFnError> {
    use crate::server::service_error;
    let Some(ctx) = crate::support::context(project).await? else {
        return Ok(None);
    };
    let datasets = crate::support::dataset_refs(&ctx).await?;
    let active = service::policies::active_version(ctx.store(), &ctx.caller)
        .await
        .map_err(service_error)?;
    let active = super::support::version_row(&active);
    let seen = service::simulation::seen_calls(ctx.store(), &ctx.caller)
        .await
        .map_err(service_error)?;
    Ok(Some(crate::support::scoped_some(
        &ctx,
        SimulatorData {
            datasets,
            active,
            seen,
        },
    )))
}

/// Rows of the per-event table shown at a time ("Show more" adds as many).
const ROWS_PAGE: usize = 200;

const WINDOWS: [policy::TimeWindow; 5] = policy::TimeWindow::ALL;

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
    /// `#2 payments.* → block` per draft rule index (numbered from 1, as coverage numbers them).
    rule_labels: Vec<String>,
    /// Beyond the scope: the names seen lately whose verdict the draft changes.
    blast: policy::BlastRadius,
}

#[derive(Clone)]
enum SimState {
    Loading,
    Failed(String),
    /// The draft does not parse: its errors, and the last results of the same scope
    /// (shown dimmed, so the page does not empty and jump while a draft is typed).
    Invalid(Vec<FieldError>, Option<Arc<SimResult>>),
    Ready(Arc<SimResult>),
}

impl SimState {
    /// The results to show, and whether they are the last draft's that parsed.
    fn results(&self) -> Option<(Arc<SimResult>, bool)> {
        match self {
            SimState::Ready(r) => Some((r.clone(), false)),
            SimState::Invalid(_, Some(r)) => Some((r.clone(), true)),
            _ => None,
        }
    }
}

/// The simulator's state, shared by its parts (signals and a memo, so `Copy`); the URL
/// mirrors it.
#[derive(Clone, Copy)]
struct SimulatorState {
    scope: RwSignal<SimScope>,
    draft: RwSignal<String>,
    /// Which events the per-event diff lists: `changed`, `matched` or `all`.
    show: RwSignal<String>,
    /// A `from->to` cell of the matrix the diff is narrowed to.
    transition: RwSignal<Option<String>>,
    /// Text the diff's tool or agent must contain.
    search: RwSignal<String>,
    /// Rows of the diff shown.
    limit: RwSignal<usize>,
    /// Repeats (same trace, tool, agent, transition, rule) shown as one row.
    grouped: RwSignal<bool>,
    /// The draft replayed over the scope's events, in the browser.
    result: Memo<Fresh<SimState>>,
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

/// The draft replayed over the scope's events, as every part shows it: a single rule
/// against the recorded verdicts, a whole set against the active policy's (`active`).
fn replay(
    ev: &Arc<PreviewEvents>,
    draft: &str,
    active: Option<&CompiledPolicy>,
    seen: &[policy::SeenCall],
) -> SimState {
    match Draft::from_text(draft) {
        Err(errors) => SimState::Invalid(errors, None),
        Ok(Draft {
            compiled,
            unmatched,
            ..
        }) => {
            let baseline = match unmatched {
                Unmatched::Allowed => active,
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
                    Some(b) => preview(&compiled, unmatched, &with_baseline(b, &ev.events)),
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
                    .map(|(i, r)| format!("#{} {} → {}", i + 1, r.pattern, r.action))
                    .collect();
                let blast = policy::blast_radius(
                    &compiled,
                    unmatched,
                    baseline,
                    seen,
                    policy::BLAST_WINDOW_DAYS,
                );
                SimState::Ready(Arc::new(SimResult {
                    blast,
                    matrix: matrix_of(&rows),
                    traces: traces.len(),
                    events: ev.clone(),
                    summary,
                    outcomes: rows,
                    rule_labels,
                }))
            }
        }
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
                .and_then(|w| policy::TimeWindow::parse("window", &w).ok())
                .filter(|w| WINDOWS.contains(w))
                .unwrap_or(policy::TimeWindow::Week),
        ),
    };
    let scope = RwSignal::new(initial_scope);
    let draft = RwSignal::new(q("draft").unwrap_or_else(|| EXAMPLE_DRAFT.to_string()));
    let show = RwSignal::new(q("show").unwrap_or_else(|| "changed".to_string()));
    let transition = RwSignal::new(q("transition"));
    let search = RwSignal::new(q("q").unwrap_or_default());
    let limit = RwSignal::new(ROWS_PAGE);
    let grouped = RwSignal::new(q("rows").as_deref() != Some("each"));
    let pid = project.id.clone();

    // The URL carries the state, so a simulation can be shared as it is on screen.
    let url_pid = pid.clone();
    Effect::new(move |_| {
        let scope_pair = match scope.get() {
            SimScope::Dataset(id) => ("dataset", id),
            SimScope::Window(w) => ("window", w.as_str().to_string()),
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
                ("rows", if grouped.get() { "" } else { "each" }),
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

    let active_compiled = compile_rows(data.active.precedence, &data.active.rules)
        .ok()
        .map(Arc::new);
    let seen = Arc::new(data.seen);
    let result = Memo::new(move |previous: Option<&Fresh<SimState>>| {
        // While a new scope loads, the previous scope's events are not shown as its.
        let state = if events.pending().get() {
            SimState::Loading
        } else {
            match events.value().get() {
                None => SimState::Loading,
                Some(Err(e)) => {
                    SimState::Failed(format!("Could not load the events: {}", error_text(&e)))
                }
                Some(Ok(ev)) => {
                    match draft.with(|t| replay(&ev, t, active_compiled.as_deref(), &seen)) {
                        SimState::Invalid(errors, _) => {
                            let last = previous.and_then(|p| p.0.results()).map(|(r, _)| r);
                            SimState::Invalid(errors, last)
                        }
                        state => state,
                    }
                }
            }
        };
        Fresh(state)
    });
    let state = SimulatorState {
        scope,
        draft,
        show,
        transition,
        search,
        limit,
        grouped,
        result,
    };

    let policies_link = href("/dashboard/policies", &project.id, &[]);
    view! {
        <PageHeader title="Policy simulator".into() subtitle="Replay recorded events under a draft before it ships: nothing here changes the active policy.".to_string()>
            <a class="button" href=policies_link>"Back to policies"</a>
        </PageHeader>
        <div class="sim-layout">
            <SimInput state project=pid.clone() datasets=data.datasets.clone() active=data.active.clone()/>
            <SimOutput state/>
        </div>
        <EventDiff state project=pid/>
    }
    .into_any()
}
