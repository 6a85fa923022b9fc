//! The simulator's results: the four numbers with the headline, and the transition
//! matrix (before × after; a cell lists its events in the per-event diff).
use leptos::prelude::*;
use policy::Verdict;

use crate::components::simulation_summary::{headline, BlastRadiusResults, CoverageResults};
use crate::components::VerdictChip;
use crate::policies::replay::thousands;

use super::{SimResult, SimState, SimulatorState, ROWS_PAGE};

/// The four numbers and the headline of a replay.
fn numbers_of(r: &SimResult) -> impl IntoView {
    let s = &r.summary;
    view! {
        <div class="numbers" id="sim-numbers">
            <div class="number"><b id="n-scanned">{thousands(s.events_scanned)}</b><span>"events scanned"</span></div>
            <div class="number"><b id="n-matched">{thousands(s.events_matched)}</b><span>"matched the draft"</span></div>
            <div class="number accent"><b id="n-changed">{thousands(s.events_would_have_changed)}</b><span>"would flip verdict"</span></div>
            <div class="number"><b id="n-traces">{thousands(r.traces as u64)}</b><span>"traces in scope"</span></div>
        </div>
        <p class="headline" id="sim-headline">{headline(s)}</p>
    }
}

#[component]
pub(super) fn SimOutput(state: SimulatorState) -> impl IntoView {
    let numbers = move || {
        match state.result.get().0 {
        SimState::Loading => view! { <p class="state loading" id="sim-loading">"Loading the events…"</p> }.into_any(),
        SimState::Failed(m) => view! { <p class="banner error" id="sim-error" role="alert">{m}</p> }.into_any(),
        SimState::Invalid(errors, last) => view! {
            <ul class="draft-errors" id="draft-error" role="alert">
                {errors.into_iter().map(|e| view! {
                    <li><code class="field">{if e.field.is_empty() { "draft".to_string() } else { e.field }}</code>" " {e.message}</li>
                }).collect_view()}
            </ul>
            {last.map(|r| view! {
                <div class="stale" aria-hidden="true" title="The draft does not parse: these are the last numbers">
                    {numbers_of(&r)}
                </div>
            })}
        }.into_any(),
        SimState::Ready(r) => view! {
            {r.events.truncated.then(|| view! {
                <p class="warning">"This scope has more events than the browser loads: the numbers cover the most recent 50,000. Save as permalink counts them all on the server."</p>
            })}
            {numbers_of(&r)}
        }.into_any(),
    }
    };

    let matrix = move || {
        let (r, stale) = state.result.get().0.results()?;
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
                        let selected = move || state.transition.get().as_deref() == Some(k2.as_str());
                        view! {
                            <td class="num">
                                <button type="button" class=class class:selected=selected data-cell=key.clone() disabled=n == 0
                                    title=format!("{n} events {from} → {to}: show them")
                                    on:click=move |_| {
                                        state.transition.set(Some(key.clone()));
                                        state.show.set("all".to_string());
                                        state.limit.set(ROWS_PAGE);
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
            <div class="table-wrap matrix-wrap" class:stale=stale aria-hidden=stale.then_some("true")>
                <table class="data matrix" id="transition-matrix">
                    <thead><tr><th class="corner">"before ↓ · after →"</th>{header}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        })
    };

    // Which of the draft's rules decide the events in scope.
    let coverage = move || {
        let (r, stale) = state.result.get().0.results()?;
        r.summary.coverage.clone().map(|report| {
            view! { <div class:stale=stale aria-hidden=stale.then_some("true")><CoverageResults report/></div> }
        })
    };
    let blast = move || {
        let (r, stale) = state.result.get().0.results()?;
        Some(view! {
            <div class:stale=stale aria-hidden=stale.then_some("true")><BlastRadiusResults report=r.blast.clone()/></div>
        })
    };

    view! {
    <section class="sim-output">
        {numbers}
        <section class="card">
            <h2>"Transitions"</h2>
            <p class="muted">"Rows: the verdict before (recorded, or the active policy's for a whole set). Columns: the draft's. Click a number to list those events."</p>
            {matrix}
        </section>
        {blast}
        {coverage}
    </section>
    }
}
