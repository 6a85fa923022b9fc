//! The editor's rule list: the evaluation order, then the working copy's rules in that
//! order with their priority, mode (enforced / audit-only), lint warnings, and the
//! row actions (drag or arrows to move, edit, delete).
use leptos::prelude::*;
use policy::{Precedence, Rule};

use crate::format::cost;
use crate::icons::Icon;
use crate::policies::rules::{lint_rows, move_rule, move_to, toggle_audit, DEFAULT_ENFORCE_ACTION};

use super::EditorState;

fn precedence_note(precedence: Precedence) -> &'static str {
    if precedence == Precedence::FirstMatch {
        "first match wins: the highest matching rule in this list decides (priority 1 = top)"
    } else {
        "last match wins: the lowest matching rule in this list decides (priority 1 = bottom)"
    }
}

fn rule_cells(r: &Rule) -> impl IntoView {
    view! {
        <td class="mono pattern">{r.pattern.clone()}</td>
        <td><span class=format!("chip action a-{}", r.action) title=r.action.as_str()>{r.action.label()}</span></td>
        <td class="mono">{r.agent_pattern.clone().unwrap_or_else(|| "any".into())}</td>
        <td class="num">{r.cost_max_usd.map(|c| format!("> {}", cost(c))).unwrap_or_else(|| "any".into())}</td>
    }
}

#[component]
pub(super) fn RuleList(state: EditorState) -> impl IntoView {
    // The row being dragged (drag a row onto another to move it there).
    let dragging = RwSignal::new(None::<usize>);
    // Lint of what would be saved, so a rule being typed already shows what it shadows.
    let warnings = Memo::new(move |_| lint_rows(state.precedence.get(), &state.candidate.get()));
    let rows = move || {
        let list = state.work.get();
        let n = list.len();
        if n == 0 {
            return view! {
                <tr><td colspan="8" class="muted empty-rules" id="no-rules">
                    "No rules: every call is allowed. " <b>"Add rule"</b> " to write the first one."
                </td></tr>
            }
            .into_any();
        }
        let first = state.precedence.get() == Precedence::FirstMatch;
        let warns = warnings.get();
        list.into_iter()
            .enumerate()
            .map(|(i, w)| {
                let priority = if first { i + 1 } else { n - i };
                let warn = warns
                    .iter()
                    .find(|x| x.rule_index == i)
                    .map(|x| x.message.clone());
                let audit = w.rule.action == policy::Action::AuditOnly;
                let toggle_title = if audit {
                    format!(
                        "Audit only: matching calls are allowed and flagged. Click to enforce again ({}).",
                        w.enforce_action.map(|a| a.as_str().to_string()).unwrap_or_else(|| format!("{} — no earlier action on record", DEFAULT_ENFORCE_ACTION))
                    )
                } else {
                    "Enforced. Click to make it audit-only (allow and flag instead).".to_string()
                };
                let has_warn = warn.is_some();
                view! {
                    <tr class="rule-row" class:audit=audit class:has-lint=has_warn
                        class:editing=move || state.editing.get() == Some(Some(i))
                        data-index=i data-pattern=w.rule.pattern.clone()
                        draggable="true"
                        class:dragging=move || dragging.get() == Some(i)
                        on:dragstart=move |_| { state.editing.set(None); dragging.set(Some(i)); }
                        on:dragend=move |_| dragging.set(None)
                        on:dragover=move |ev| ev.prevent_default()
                        on:drop=move |ev| {
                            ev.prevent_default();
                            if let Some(from) = dragging.get_untracked() {
                                state.work.update(|w| { move_to(w, from, i); });
                            }
                            dragging.set(None);
                        }>
                        <td class="drag-handle" title="Drag to reorder" aria-hidden="true">"⋮⋮"</td>
                        <td class="num priority">{priority}</td>
                        {rule_cells(&w.rule)}
                        <td>
                            <button type="button" class="mode-toggle" class:enforced=!audit data-toggle=i title=toggle_title
                                on:click=move |_| {
                                    state.editing.set(None);
                                    state.work.update(|w| if let Some(r) = w.get_mut(i) { toggle_audit(r) });
                                }>
                                <span class="knob"></span>
                                {if audit { "Audit only" } else { "Enforced" }}
                            </button>
                        </td>
                        <td class="row-actions">
                            <button type="button" class="icon-button" title="Move up" aria-label="Move up" data-move-up=i disabled=i == 0
                                on:click=move |_| { state.editing.set(None); state.work.update(|w| { move_rule(w, i, true); }); }>"↑"</button>
                            <button type="button" class="icon-button" title="Move down" aria-label="Move down" data-move-down=i disabled=i + 1 == n
                                on:click=move |_| { state.editing.set(None); state.work.update(|w| { move_rule(w, i, false); }); }>"↓"</button>
                            <button type="button" class="icon-button" title="Edit" aria-label="Edit" data-edit=i
                                on:click=move |_| state.open_form(Some(i))><Icon name="pencil"/></button>
                            <button type="button" class="icon-button danger" title="Delete (until you save, Discard brings it back)" aria-label="Delete" data-delete=i
                                on:click=move |_| { state.editing.set(None); state.work.update(|w| if i < w.len() { w.remove(i); }); }><Icon name="trash"/></button>
                        </td>
                    </tr>
                    {warn.map(|m| view! {
                        <tr class="lint-row" data-lint=i>
                            <td></td>
                            <td colspan="7"><span class="lint"><Icon name="alert"/>" " {m}</span></td>
                        </tr>
                    })}
                }
                .into_any()
            })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="precedence-row">
            <label for="precedence">"Evaluation order"</label>
            <select id="precedence" on:change=move |ev| {
                if let Ok(p) = event_target_value(&ev).parse::<Precedence>() {
                    state.precedence.set(p);
                }
            }>
                <option value="last_match" selected=move || state.precedence.get() != Precedence::FirstMatch>{Precedence::LastMatch.label()}</option>
                <option value="first_match" selected=move || state.precedence.get() == Precedence::FirstMatch>{Precedence::FirstMatch.label()}</option>
            </select>
            <span class="muted" id="precedence-note">{move || precedence_note(state.precedence.get())}</span>
        </div>
        <div class="table-wrap">
            <table class="data rules" id="rules">
                <thead><tr>
                    <th title="Drag a row, or use the arrows, to reorder"><span class="visually-hidden">"Order"</span></th>
                    <th class="num" title="1 decides first">"Priority"</th>
                    <th>"Tool pattern"</th><th>"Action"</th><th>"Agent"</th><th class="num">"Cost"</th>
                    <th>"Mode"</th><th></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {move || state.work.with(|w| w.iter().any(|r| r.rule.action == policy::Action::RequireApproval)).then(|| view! {
            <p class="hint muted" id="require-approval-note">{crate::policies::REQUIRE_APPROVAL_NOTE}</p>
        })}
    }
}
