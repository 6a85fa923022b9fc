//! The rule form: a new rule, or one of the working copy's rules, edited field by field
//! and validated as typed (errors name the field); "Done" puts it in the working copy.
use leptos::prelude::*;

use crate::icons::Icon;
use crate::policies::rules::WorkRule;

use super::EditorState;

const ACTIONS: [policy::Action; 4] = [
    policy::Action::Block,
    policy::Action::RequireApproval,
    policy::Action::Allow,
    policy::Action::AuditOnly,
];

impl EditorState {
    /// Opens the form on rule `target` (`None`: a new rule), filled with its fields.
    pub(super) fn open_form(self, target: Option<usize>) {
        let row = target.and_then(|i| self.work.with(|w| w.get(i).map(|w| w.rule.clone())));
        self.pattern
            .set(row.as_ref().map(|r| r.pattern.clone()).unwrap_or_default());
        self.action.set(
            row.as_ref()
                .map(|r| r.action)
                .unwrap_or(policy::Action::Block)
                .as_str()
                .to_string(),
        );
        self.agent.set(
            row.as_ref()
                .and_then(|r| r.agent_pattern.clone())
                .unwrap_or_default(),
        );
        self.cost.set(
            row.as_ref()
                .and_then(|r| r.cost_max_usd)
                .map(|c| c.to_string())
                .unwrap_or_default(),
        );
        self.editing.set(Some(target));
    }

    /// Applies a valid form to the working copy (a changed action forgets the one to
    /// restore) and closes it.
    pub(super) fn apply_form(self) {
        if let (Some(target), Some(Ok(rule))) =
            (self.editing.get_untracked(), self.form_rule.get_untracked())
        {
            self.work.update(|w| match target {
                Some(i) => {
                    if let Some(slot) = w.get_mut(i) {
                        if slot.rule.action != rule.action {
                            slot.enforce_action = None;
                        }
                        slot.rule = rule;
                    }
                }
                None => w.push(WorkRule {
                    rule,
                    enforce_action: None,
                }),
            });
            self.editing.set(None);
        }
    }
}

#[component]
pub(super) fn RuleForm(state: EditorState) -> impl IntoView {
    move || {
        state.editing.get().map(|target| {
            let title = match target {
                Some(i) => format!("Edit rule {}", i + 1),
                None => "New rule (added at the end; move it where it belongs)".to_string(),
            };
            // A new rule says nothing is wrong before anything is typed (Done stays off).
            let untouched = move || target.is_none() && state.pattern.get().trim().is_empty();
            let errors = move || match state.form_rule.get().filter(|_| !untouched()) {
                Some(Err(errors)) => Some(view! {
                    <ul class="draft-errors" id="rule-errors" role="alert">
                        {errors.into_iter().map(|e| view! {
                            <li><code class="field">{if e.field.is_empty() { "rule".to_string() } else { e.field }}</code>" " {e.message}</li>
                        }).collect_view()}
                    </ul>
                }),
                _ => None,
            };
            view! {
                <section class="card rule-form" id="rule-form">
                    <h2>{title}</h2>
                    <div class="rule-fields">
                        <label>"Tool pattern"
                            <input id="rule-pattern" class="mono" spellcheck="false" autocomplete="off" placeholder="payments.*"
                                prop:value=move || state.pattern.get() on:input=move |ev| state.pattern.set(event_target_value(&ev))/>
                        </label>
                        <label>"Action"
                            <select id="rule-action" on:change=move |ev| state.action.set(event_target_value(&ev))>
                                {ACTIONS.iter().map(|a| {
                                    let (code, label) = (a.as_str(), a.label());
                                    view! { <option value=code selected=move || state.action.get() == code>{label}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <label>"Agent pattern (optional)"
                            <input id="rule-agent" class="mono" spellcheck="false" autocomplete="off" placeholder="any agent"
                                prop:value=move || state.agent.get() on:input=move |ev| state.agent.set(event_target_value(&ev))/>
                        </label>
                        <label>"Only when cost > $ (optional)"
                            <input id="rule-cost" class="mono" inputmode="decimal" autocomplete="off" placeholder="any cost"
                                prop:value=move || state.cost.get() on:input=move |ev| state.cost.set(event_target_value(&ev))/>
                        </label>
                    </div>
                    {errors}
                    <p class="hint muted">"Globs as in Python's fnmatch: * any text, ? one character, [abc] a class. The preview below updates as you type."</p>
                    <div class="form-actions">
                        <button type="button" class="button primary" id="rule-apply"
                            disabled=move || !matches!(state.form_rule.get(), Some(Ok(_)))
                            on:click=move |_| state.apply_form()><Icon name="check"/>"Done"</button>
                        <button type="button" class="button" id="rule-cancel" on:click=move |_| state.editing.set(None)>"Cancel"</button>
                    </div>
                </section>
            }
        })
    }
}
