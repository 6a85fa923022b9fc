//! The table of traces (traces page, dataset page, thread page), with an optional
//! selection column: shift-click selects a range, the header box the whole page.
use std::sync::Arc;

use leptos::prelude::*;

use crate::components::{AgentChip, VerdictCounts};
use crate::format::{ago, cost, duration_ms, href, short_datetime, short_id};
use crate::model::TraceRow;

/// Selected trace ids (in selection order) and the last row clicked, for ranges.
#[derive(Clone, Copy)]
pub struct Selection {
    pub ids: RwSignal<Vec<String>>,
    last: RwSignal<Option<usize>>,
}

impl Selection {
    pub fn new() -> Self {
        Selection {
            ids: RwSignal::new(Vec::new()),
            last: RwSignal::new(None),
        }
    }

    pub fn clear(&self) {
        self.ids.set(Vec::new());
        self.last.set(None);
    }

    fn set(&self, id: &str, on: bool) {
        self.ids.update(|ids| {
            let present = ids.iter().any(|i| i == id);
            if on && !present {
                ids.push(id.to_string());
            } else if !on && present {
                ids.retain(|i| i != id);
            }
        });
    }

    /// A click on row `index`: with shift, every row between the last click and this
    /// one takes this row's new state.
    pub fn click(&self, rows: &[String], index: usize, shift: bool) {
        let Some(id) = rows.get(index) else { return };
        let on = !self.ids.with(|ids| ids.contains(id));
        match (shift, self.last.get_untracked()) {
            (true, Some(last)) if last < rows.len() => {
                let (a, b) = if last <= index {
                    (last, index)
                } else {
                    (index, last)
                };
                for row in &rows[a..=b] {
                    self.set(row, on);
                }
            }
            _ => self.set(id, on),
        }
        self.last.set(Some(index));
    }

    /// The header box: select the whole page, or clear it if it is all selected.
    pub fn toggle_page(&self, rows: &[String]) {
        let all = self.all_of(rows);
        for row in rows {
            self.set(row, !all);
        }
    }

    pub fn all_of(&self, rows: &[String]) -> bool {
        !rows.is_empty() && self.ids.with(|ids| rows.iter().all(|r| ids.contains(r)))
    }
}

impl Default for Selection {
    fn default() -> Self {
        Self::new()
    }
}

pub type RowAction = Arc<dyn Fn(&TraceRow) -> AnyView + Send + Sync>;

#[component]
pub fn TraceTable(
    rows: Vec<TraceRow>,
    project: String,
    now: i64,
    #[prop(optional)] selection: Option<Selection>,
    /// An extra last cell per row (e.g. "Remove" on a dataset).
    #[prop(optional)]
    action: Option<RowAction>,
    /// Show the turn number instead of the relative time (threads).
    #[prop(optional)]
    numbered: bool,
) -> impl IntoView {
    let ids: Arc<Vec<String>> = Arc::new(rows.iter().map(|r| r.trace_id.clone()).collect());
    let header_box = selection.map(|sel| {
        let ids = ids.clone();
        let ids2 = ids.clone();
        view! {
            <th class="select">
                <input
                    type="checkbox"
                    aria-label="Select every trace on this page"
                    id="select-page"
                    prop:checked=move || sel.all_of(&ids)
                    on:click=move |_| sel.toggle_page(&ids2)
                />
            </th>
        }
    });
    let has_action = action.is_some();
    let body = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            let link = href(&format!("/dashboard/traces/{}", row.trace_id), &project, &[]);
            let select_cell = selection.map(|sel| {
                let ids = ids.clone();
                let id = row.trace_id.clone();
                view! {
                    <td class="select">
                        <input
                            type="checkbox"
                            class="row-select"
                            aria-label=format!("Select trace {}", row.trace_id)
                            data-trace=row.trace_id.clone()
                            prop:checked=move || sel.ids.with(|s| s.contains(&id))
                            on:click=move |ev: leptos::ev::MouseEvent| {
                                sel.click(&ids, index, ev.shift_key());
                            }
                        />
                    </td>
                }
            });
            let selected_class = selection.map(|sel| {
                let id = row.trace_id.clone();
                move || sel.ids.with(|s| s.contains(&id))
            });
            let extra = action.as_ref().map(|a| view! { <td class="row-action">{a(&row)}</td> });
            let tools = row.tools.join(", ");
            let when = if numbered {
                format!("#{}", index + 1)
            } else {
                ago(now, row.start_micros)
            };
            view! {
                <tr data-trace=row.trace_id.clone() class:selected=move || selected_class.as_ref().is_some_and(|f| f())>
                    {select_cell}
                    <td class="time" title=short_datetime(row.start_micros)>{when}</td>
                    <td class="mono"><a href=link title=row.trace_id.clone()>{short_id(&row.trace_id)}</a></td>
                    <td class="agents">{row.agents.iter().map(|a| view! { <AgentChip name=a.clone()/> }).collect_view()}</td>
                    <td class="tools mono" title=tools.clone()>{tools.clone()}</td>
                    <td class="num">{row.event_count}</td>
                    <td class="num">{cost(row.cost_usd)}</td>
                    <td class="num">{duration_ms(row.duration_ms)}</td>
                    <td class="verdicts"><VerdictCounts counts=row.verdicts compact=true/></td>
                    {extra}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data trace-table">
                <thead>
                    <tr>
                        {header_box}
                        <th>{if numbered { "Turn" } else { "Time" }}</th>
                        <th>"Trace"</th>
                        <th>"Agents"</th>
                        <th class="tools">"Tools & models"</th>
                        <th class="num">"Events"</th>
                        <th class="num">"Cost"</th>
                        <th class="num">"Duration"</th>
                        <th>"Verdicts"</th>
                        {has_action.then(|| view! { <th></th> })}
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
    .into_any()
}
