//! The policy editor (`/dashboard/policies`): the active rule set in evaluation
//! order, edited as a working copy with lint warnings beside the rules they concern;
//! every edit previewed in the browser against the active set; "Save" makes a new
//! version (through the same compare-and-set store call as the REST edits); the
//! version history diffs and restores. Its types and server functions, then the page.
use std::sync::Arc;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use policy::{CompiledPolicy, Precedence, Rule, SimulationSummary, Warning};

use crate::components::simulation_summary::Transitions;
use crate::components::{error_text, loaded, use_project_query, Loading, PageHeader};
use crate::format::{ago, cost, datetime, href};
use crate::icons::Icon;
use crate::model::{ProjectRef, Scoped};
use crate::simulations::PreviewEvents;
use serde::{Deserialize, Serialize};

use super::diff::{diff_rules, Change};
use super::replay::{flip_headline, flips, thousands, Flips, PREVIEW_WINDOW};
use super::rules::{
    compile_rows, lint_rows, move_rule, move_to, policy_doc, rule_from_form, toggle_audit, WorkRule,
};
#[cfg(feature = "ssr")]
use super::support;
use super::{get_scope_events, run_policy_simulation, RunOutcome, SimScope, VersionRow};

/// Most versions the history lists (newest first).
pub const VERSION_LIST_LIMIT: usize = 100;

/// Longest version message kept, in characters (as the REST API).
pub const MAX_MESSAGE_CHARS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyEditorData {
    pub active: VersionRow,
    pub warnings: Vec<Warning>,
    /// Newest first, the active one included; at most [`VERSION_LIST_LIMIT`].
    pub versions: Vec<VersionRow>,
    pub version_count: usize,
    /// For each audit-only active rule, the action it enforced in an earlier version.
    pub original_actions: Vec<Option<policy::Action>>,
}

/// The active rule set, its lint warnings and the version history.
#[server]
pub async fn get_policy_editor(
    project: Option<String>,
) -> Result<Option<Scoped<PolicyEditorData>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let active = support::version_row(&store.active_policy(&p.id).await.map_err(store_error)?);
    let all = store.policy_versions(&p.id).await.map_err(store_error)?;
    let version_count = all.len();
    let versions: Vec<VersionRow> = all
        .iter()
        .take(VERSION_LIST_LIMIT)
        .map(support::version_row)
        .collect();
    let history: Vec<Vec<Rule>> = versions
        .iter()
        .filter(|v| v.version != active.version)
        .map(|v| v.rules.clone())
        .collect();
    let original_actions = super::rules::original_actions(&active.rules, &history);
    let warnings = lint_rows(active.precedence, &active.rules);
    Ok(Some(Scoped {
        project: crate::model::ProjectRef::from(&p),
        now_micros: store::now_micros(),
        data: Some(PolicyEditorData {
            active,
            warnings,
            versions,
            version_count,
            original_actions,
        }),
    }))
}

/// Saves the edited rule set as version `base + 1`, if `base` is still the newest.
#[server(input = Json)]
pub async fn save_policy_rules(
    project: Option<String>,
    base: i64,
    precedence: Precedence,
    rules: Vec<Rule>,
    message: Option<String>,
) -> Result<i64, ServerFnError> {
    use crate::server::{conflict, invalid, store_error};
    let (store, p) = support::require(project).await?;
    let message = message
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    if message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS)
    {
        return Err(invalid(format!(
            "message: longer than {MAX_MESSAGE_CHARS} characters"
        )));
    }
    let set =
        super::rules::rule_set(precedence, &rules).map_err(|e| invalid(policy::join_errors(&e)))?;
    set.compile()
        .map_err(|e| invalid(policy::join_errors(&e)))?;
    let rules_json = serde_json::to_value(&set.rules)
        .map_err(|e| ServerFnError::new(format!("cannot encode the rules: {e}")))?;
    match store
        .save_policy_on(
            &p.id,
            base,
            set.precedence.as_str(),
            rules_json,
            &crate::server::current_user()?.email,
            message.as_deref(),
        )
        .await
    {
        Ok(v) => Ok(v.version),
        Err(store::StoreError::Conflict(_)) => {
            let newest = store
                .active_policy(&p.id)
                .await
                .map(|v| format!("version {} by {}", v.version, v.author))
                .unwrap_or_else(|_| "a newer version".to_string());
            Err(conflict(format!(
                "not saved: {newest} was saved after the version {base} you edited. Reload the page to see it, then redo your change."
            )))
        }
        Err(e) => Err(store_error(e)),
    }
}

/// Saves an old version's rules as the next version (if `base` is still the newest).
#[server]
pub async fn restore_policy_version(
    project: Option<String>,
    base: i64,
    version: i64,
) -> Result<i64, ServerFnError> {
    use crate::server::{conflict, gone, invalid, store_error};
    let (store, p) = support::require(project).await?;
    let old = store
        .policy_version(&p.id, version)
        .await
        .map_err(store_error)?
        .ok_or_else(|| gone(format!("there is no policy version {version}")))?;
    let row = support::version_row(&old);
    if let Some(e) = row.unreadable {
        return Err(invalid(format!(
            "version {version} cannot be restored: its rules are unreadable ({e})"
        )));
    }
    match store
        .save_policy_on(
            &p.id,
            base,
            &old.precedence,
            old.rules.clone(),
            &crate::server::current_user()?.email,
            Some(&format!("restore version {version}")),
        )
        .await
    {
        Ok(v) => Ok(v.version),
        Err(store::StoreError::Conflict(_)) => Err(conflict(format!(
            "not restored: another version was saved after version {base}. Reload the page and try again."
        ))),
        Err(e) => Err(store_error(e)),
    }
}

pub type EventsAction = Action<Option<String>, Result<Arc<PreviewEvents>, ServerFnError>>;

const ACTIONS: [policy::Action; 4] = [
    policy::Action::Block,
    policy::Action::RequireApproval,
    policy::Action::Allow,
    policy::Action::AuditOnly,
];

/// The events of a scope, loaded by the browser only (never during SSR).
pub fn events_action() -> EventsAction {
    Action::new(|project: &Option<String>| {
        let project = project.clone();
        async move {
            get_scope_events(project, SimScope::Window(PREVIEW_WINDOW.to_string()))
                .await
                .map(Arc::new)
        }
    })
}

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let project_q = use_project_query();
    let reload = RwSignal::new(0u32);
    let data = Resource::new(
        move || (project_q.get(), reload.get()),
        |(p, _)| get_policy_editor(p),
    );
    let events = events_action();
    Effect::new(move |_| {
        events.dispatch(project_q.get());
    });
    let notice = RwSignal::new(None::<String>);
    view! {
        <div class="page policies-page">
            {move || notice.get().map(|n| view! {
                <p class="banner success" id="policy-notice" role="status"><Icon name="check"/>" " {n}</p>
            })}
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "the policy", move |project, now, d| view! {
                        <PolicyEditor project now data=d events reload notice/>
                    })
                })}
            </Transition>
        </div>
    }
    .into_any()
}

/// What the in-browser preview shows.
#[derive(Clone, Debug, PartialEq)]
enum PreviewState {
    Loading,
    Failed(String),
    Invalid(String),
    Ready { flips: Flips, truncated: bool },
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
        <td><span class=format!("chip action a-{}", r.action)>{r.action.as_str()}</span></td>
        <td class="mono">{r.agent_pattern.clone().unwrap_or_else(|| "any".into())}</td>
        <td class="num">{r.cost_max_usd.map(|c| format!("> {}", cost(c))).unwrap_or_else(|| "any".into())}</td>
    }
}

#[component]
fn PolicyEditor(
    project: ProjectRef,
    now: i64,
    data: PolicyEditorData,
    events: EventsAction,
    reload: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let active = data.active.clone();
    let pid = project.id.clone();
    if let Some(e) = active.unreadable.clone() {
        return view! {
            <PageHeader title="Policies".into()/>
            <p class="banner error" id="policy-unreadable">{format!(
                "The stored rules of version {} cannot be read: {e}. Restore an earlier version below, or replace the rules with PUT /v1/policies.",
                active.version
            )}</p>
            <VersionHistory project=project.clone() now data=data.clone() events reload notice active_compiled=None/>
        }
        .into_any();
    }
    let initial: Vec<WorkRule> = active
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| WorkRule {
            rule: r.clone(),
            enforce_action: data.original_actions.get(i).copied().flatten(),
        })
        .collect();
    let work = RwSignal::new(initial.clone());
    // The row being dragged (drag a row onto another to move it there).
    let dragging = RwSignal::new(None::<usize>);
    let precedence = RwSignal::new(active.precedence);
    // The rule form: None closed, Some(None) a new rule, Some(Some(i)) rule i.
    let editing = RwSignal::new(None::<Option<usize>>);
    let f_pattern = RwSignal::new(String::new());
    let f_action = RwSignal::new(policy::Action::Block.as_str().to_string());
    let f_agent = RwSignal::new(String::new());
    let f_cost = RwSignal::new(String::new());
    let form_rule = Memo::new(move |_| {
        editing.get().map(|_| {
            rule_from_form(
                &f_pattern.get(),
                &f_action.get(),
                &f_agent.get(),
                &f_cost.get(),
            )
        })
    });
    // What would be saved: the working copy with the open form applied when valid.
    let candidate = Memo::new(move |_| {
        let mut rules: Vec<Rule> = work.with(|w| w.iter().map(|w| w.rule.clone()).collect());
        if let (Some(target), Some(Ok(rule))) = (editing.get(), form_rule.get()) {
            match target {
                Some(i) if i < rules.len() => rules[i] = rule,
                Some(_) => {}
                None => rules.push(rule),
            }
        }
        rules
    });
    let active_rules = active.rules.clone();
    let active_prec = active.precedence;
    let changes = Memo::new(move |_| {
        diff_rules(
            active_prec,
            &active_rules,
            precedence.get(),
            &candidate.get(),
        )
    });
    // Lint of what would be saved, so a rule being typed already shows what it shadows.
    let warnings = Memo::new(move |_| lint_rows(precedence.get(), &candidate.get()));
    let active_compiled = compile_rows(active.precedence, &active.rules)
        .ok()
        .map(Arc::new);
    let compiled_for_preview = active_compiled.clone();
    let preview = Memo::new(move |_| {
        preview_of(
            events.value().get(),
            compiled_for_preview.as_deref(),
            precedence.get(),
            &candidate.get(),
        )
    });

    let open_edit = move |target: Option<usize>| {
        let row = target.and_then(|i| work.with(|w| w.get(i).map(|w| w.rule.clone())));
        f_pattern.set(row.as_ref().map(|r| r.pattern.clone()).unwrap_or_default());
        f_action.set(
            row.as_ref()
                .map(|r| r.action)
                .unwrap_or(policy::Action::Block)
                .as_str()
                .to_string(),
        );
        f_agent.set(
            row.as_ref()
                .and_then(|r| r.agent_pattern.clone())
                .unwrap_or_default(),
        );
        f_cost.set(
            row.as_ref()
                .and_then(|r| r.cost_max_usd)
                .map(|c| c.to_string())
                .unwrap_or_default(),
        );
        editing.set(Some(target));
    };
    let apply_form = move || {
        if let (Some(target), Some(Ok(rule))) = (editing.get_untracked(), form_rule.get_untracked())
        {
            work.update(|w| match target {
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
            editing.set(None);
        }
    };

    let message = RwSignal::new(String::new());
    let base = active.version;
    let save_pid = pid.clone();
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
    let run_pid = pid.clone();
    let server_run = Action::new(move |draft: &String| {
        let draft = draft.clone();
        let project = Some(run_pid.clone());
        async move {
            (
                draft.clone(),
                run_policy_simulation(project, SimScope::Window(PREVIEW_WINDOW.to_string()), draft)
                    .await,
            )
        }
    });
    let draft_text = move || {
        serde_json::to_string_pretty(&policy_doc(precedence.get(), &candidate.get()))
            .unwrap_or_default()
    };

    let rows = move || {
        let list = work.get();
        let n = list.len();
        if n == 0 {
            return view! {
                <tr><td colspan="8" class="muted empty-rules" id="no-rules">
                    "No rules: every call is allowed. " <b>"Add rule"</b> " to write the first one."
                </td></tr>
            }
            .into_any();
        }
        let first = precedence.get() == Precedence::FirstMatch;
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
                        w.enforce_action.map(|a| a.as_str().to_string()).unwrap_or_else(|| format!("{} — no earlier action on record", super::rules::DEFAULT_ENFORCE_ACTION))
                    )
                } else {
                    "Enforced. Click to make it audit-only (allow and flag instead).".to_string()
                };
                let has_warn = warn.is_some();
                view! {
                    <tr class="rule-row" class:audit=audit class:has-lint=has_warn
                        class:editing=move || editing.get() == Some(Some(i))
                        data-index=i data-pattern=w.rule.pattern.clone()
                        draggable="true"
                        class:dragging=move || dragging.get() == Some(i)
                        on:dragstart=move |_| { editing.set(None); dragging.set(Some(i)); }
                        on:dragend=move |_| dragging.set(None)
                        on:dragover=move |ev| ev.prevent_default()
                        on:drop=move |ev| {
                            ev.prevent_default();
                            if let Some(from) = dragging.get_untracked() {
                                work.update(|w| { move_to(w, from, i); });
                            }
                            dragging.set(None);
                        }>
                        <td class="num idx">{format!("#{i}")}</td>
                        <td class="num priority">{priority}</td>
                        {rule_cells(&w.rule)}
                        <td>
                            <button type="button" class="mode-toggle" class:enforced=!audit data-toggle=i title=toggle_title
                                on:click=move |_| {
                                    editing.set(None);
                                    work.update(|w| if let Some(r) = w.get_mut(i) { toggle_audit(r) });
                                }>
                                <span class="knob"></span>
                                {if audit { "Audit only" } else { "Enforced" }}
                            </button>
                        </td>
                        <td class="row-actions">
                            <button type="button" class="icon-button" title="Move up" aria-label="Move up" data-move-up=i disabled=i == 0
                                on:click=move |_| { editing.set(None); work.update(|w| { move_rule(w, i, true); }); }>"↑"</button>
                            <button type="button" class="icon-button" title="Move down" aria-label="Move down" data-move-down=i disabled=i + 1 == n
                                on:click=move |_| { editing.set(None); work.update(|w| { move_rule(w, i, false); }); }>"↓"</button>
                            <button type="button" class="icon-button" title="Edit" aria-label="Edit" data-edit=i
                                on:click=move |_| open_edit(Some(i))><Icon name="pencil"/></button>
                            <button type="button" class="icon-button danger" title="Delete (until you save, Discard brings it back)" aria-label="Delete" data-delete=i
                                on:click=move |_| { editing.set(None); work.update(|w| if i < w.len() { w.remove(i); }); }><Icon name="trash"/></button>
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

    let form = move || {
        editing.get().map(|target| {
            let title = match target {
                Some(i) => format!("Edit rule #{i}"),
                None => "New rule (added at the end; move it where it belongs)".to_string(),
            };
            let errors = move || match form_rule.get() {
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
                                prop:value=move || f_pattern.get() on:input=move |ev| f_pattern.set(event_target_value(&ev))/>
                        </label>
                        <label>"Action"
                            <select id="rule-action" on:change=move |ev| f_action.set(event_target_value(&ev))>
                                {ACTIONS.iter().map(|a| {
                                    let a = a.as_str();
                                    view! { <option value=a selected=move || f_action.get() == a>{a}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <label>"Agent pattern (optional)"
                            <input id="rule-agent" class="mono" spellcheck="false" autocomplete="off" placeholder="any agent"
                                prop:value=move || f_agent.get() on:input=move |ev| f_agent.set(event_target_value(&ev))/>
                        </label>
                        <label>"Only when cost > $ (optional)"
                            <input id="rule-cost" class="mono" inputmode="decimal" autocomplete="off" placeholder="any cost"
                                prop:value=move || f_cost.get() on:input=move |ev| f_cost.set(event_target_value(&ev))/>
                        </label>
                    </div>
                    {errors}
                    <p class="hint muted">"Globs as in Python's fnmatch: * any text, ? one character, [abc] a class. The preview below updates as you type."</p>
                    <div class="form-actions">
                        <button type="button" class="button primary" id="rule-apply"
                            disabled=move || !matches!(form_rule.get(), Some(Ok(_)))
                            on:click=move |_| apply_form()><Icon name="check"/>"Done"</button>
                        <button type="button" class="button" id="rule-cancel" on:click=move |_| editing.set(None)>"Cancel"</button>
                    </div>
                </section>
            }
        })
    };

    let sim_pid = pid.clone();
    let discard_rules = initial.clone();
    let discard_prec = active.precedence;
    let save_bar = move || {
        let (dr, dp) = (discard_rules.clone(), discard_prec.clone());
        let list = changes.get();
        if list.is_empty() && editing.get().is_none() {
            return view! {
                <p class="muted" id="no-changes">"No unsaved changes. Edit, move, toggle or delete rules above: nothing takes effect until you save."</p>
            }
            .into_any();
        }
        let invalid_form = matches!(form_rule.get(), Some(Err(_)));
        let sim_link = href(
            "/dashboard/policies/simulate",
            &sim_pid,
            &[("window", PREVIEW_WINDOW), ("draft", &draft_text())],
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
                    PreviewState::Ready { flips, truncated } => {
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
                    editing.set(None);
                    work.set(dr.clone());
                    precedence.set(dp);
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
                        save.dispatch((precedence.get_untracked(), candidate.get_untracked(), msg, headline));
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
                let link = href(&format!("/dashboard/simulations/{id}"), &pid, &[]);
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

    let subtitle = if active.version == 0 {
        "No version saved yet: every call is allowed.".to_string()
    } else {
        format!(
            "Active: version {} · saved {} by {}{}",
            active.version,
            ago(now, active.created_micros),
            active.author,
            active
                .message
                .clone()
                .map(|m| format!(" · “{m}”"))
                .unwrap_or_default()
        )
    };
    let sim_href = href("/dashboard/policies/simulate", &project.id, &[]);
    view! {
        <PageHeader title="Policies".into() subtitle>
            <a class="button" href=sim_href id="simulator-link"><Icon name="flask"/>"Simulator"</a>
            <button type="button" class="button primary" id="add-rule" on:click=move |_| open_edit(None)><Icon name="plus"/>"Add rule"</button>
        </PageHeader>
        <div class="precedence-row">
            <label for="precedence">"Evaluation order"</label>
            <select id="precedence" on:change=move |ev| {
                if let Ok(p) = event_target_value(&ev).parse::<Precedence>() {
                    precedence.set(p);
                }
            }>
                <option value="last_match" selected=move || precedence.get() != Precedence::FirstMatch>"last_match"</option>
                <option value="first_match" selected=move || precedence.get() == Precedence::FirstMatch>"first_match"</option>
            </select>
            <span class="muted" id="precedence-note">{move || precedence_note(precedence.get())}</span>
        </div>
        <div class="table-wrap">
            <table class="data rules" id="rules">
                <thead><tr>
                    <th class="num" title="Drag a row, or use the arrows, to reorder">"#"</th>
                    <th class="num" title="1 decides first">"Priority"</th>
                    <th>"Tool pattern"</th><th>"Action"</th><th>"Agent"</th><th class="num">"Cost"</th>
                    <th>"Mode"</th><th></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {form}
        <section class="card save-bar" id="save-bar">
            {save_bar}
            {server_result}
            {save_error}
        </section>
        <VersionHistory project=project.clone() now data=data.clone() events reload notice active_compiled/>
    }
    .into_any()
}

#[component]
fn VersionHistory(
    project: ProjectRef,
    now: i64,
    data: PolicyEditorData,
    events: EventsAction,
    reload: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
    active_compiled: Option<Arc<CompiledPolicy>>,
) -> impl IntoView {
    let base = data.active.version;
    let confirming = RwSignal::new(None::<i64>);
    let pid = project.id.clone();
    let restore = Action::new(move |version: &i64| {
        let version = *version;
        let project = Some(pid.clone());
        async move {
            let result = restore_policy_version(project, base, version).await;
            if let Ok(v) = &result {
                notice.set(Some(format!("Restored version {version} as version {v}.")));
                reload.update(|n| *n += 1);
            }
            result
        }
    });
    let versions = data.versions.clone();
    let total = data.version_count;
    if versions.is_empty() {
        return view! {
            <section class="card versions" id="versions">
                <h2>"Version history"</h2>
                <p class="muted">"No versions yet. Saving the first rule makes version 1."</p>
            </section>
        }
        .into_any();
    }
    let listed = versions.len();
    let rows = versions
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let previous: Option<&VersionRow> = versions.get(k + 1);
            let changes: Vec<Change> = match previous {
                Some(p) => diff_rules(p.precedence, &p.rules, v.precedence, &v.rules),
                None if v.version == 1 => diff_rules(Precedence::LastMatch, &[], v.precedence, &v.rules),
                None => Vec::new(),
            };
            let is_active = v.version == base;
            let number = v.version;
            let target = v.clone();
            let compiled = active_compiled.clone();
            let confirm_row = move || {
                (confirming.get() == Some(number)).then(|| {
                    let effect = match (&compiled, compile_rows(target.precedence, &target.rules), events.value().get()) {
                        (Some(a), Ok(c), Some(Ok(ev))) => {
                            let f = flips(a, &c, &ev.events);
                            flip_headline(&f, PREVIEW_WINDOW)
                        }
                        (_, _, None) => "the preview is still loading".to_string(),
                        _ => "its effect cannot be previewed".to_string(),
                    };
                    view! {
                        <tr class="confirm-row"><td colspan="6">
                            <span id="restore-effect">{format!("Restore version {number} as version {}? Compared with the active version, {effect}.", base + 1)}</span>
                            " "
                            <button type="button" class="button primary" id="confirm-restore" disabled=move || restore.pending().get()
                                on:click=move |_| { restore.dispatch(number); }>"Restore"</button>
                            " "
                            <button type="button" class="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
                        </td></tr>
                    }
                })
            };
            let change_list = if v.unreadable.is_some() {
                view! { <span class="error">"unreadable rules"</span> }.into_any()
            } else if changes.is_empty() {
                let text = if previous.is_none() && v.version != 1 { "(older versions not listed)" } else { "no rule changes" };
                view! { <span class="muted">{text}</span> }.into_any()
            } else {
                view! {
                    <ul class="changes">{changes.iter().map(|c| view! { <li class=format!("change c-{}", c.kind())>{c.describe()}</li> }).collect_view()}</ul>
                }
                .into_any()
            };
            view! {
                <tr data-version=number class:active-version=is_active>
                    <td class="num">{format!("v{number}")}{is_active.then(|| view! { <span class="chip active-chip">"active"</span> })}</td>
                    <td class="time" title=datetime(v.created_micros)>{ago(now, v.created_micros)}</td>
                    <td>{v.author.clone()}</td>
                    <td>{v.message.clone().unwrap_or_default()}</td>
                    <td>{change_list}</td>
                    <td class="row-action">
                        {(!is_active && v.unreadable.is_none()).then(|| view! {
                            <button type="button" class="button" data-restore=number on:click=move |_| confirming.set(Some(number))>"Restore…"</button>
                        })}
                    </td>
                </tr>
                {confirm_row}
            }
        })
        .collect_view();
    let restore_error = move || {
        restore.value().get().and_then(|r| r.err()).map(|e| {
            view! {
                <p class="banner error" id="restore-error" role="alert">{error_text(&e)}</p>
            }
        })
    };
    view! {
        <section class="card versions" id="versions">
            <h2>{format!("Version history ({})", thousands(total as u64))}</h2>
            {(total > listed).then(|| view! { <p class="muted">{format!("The newest {listed} versions; GET /v1/policies/versions lists all of them.")}</p> })}
            {restore_error}
            <div class="table-wrap">
                <table class="data versions-table">
                    <thead><tr><th class="num">"Version"</th><th>"Saved"</th><th>"By"</th><th>"Message"</th><th>"Changes from the version before"</th><th></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
