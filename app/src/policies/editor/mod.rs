//! The policy editor (`/dashboard/policies`): the active rule set in evaluation
//! order, edited as a working copy with lint warnings beside the rules they concern;
//! every edit previewed in the browser against the active set; "Save" makes a new
//! version (through the same compare-and-set store call as the REST edits); the
//! version history diffs and restores. Its types and server functions, the page and
//! the editor's state; the parts are in `rule_list`, `rule_form`, `save_bar`
//! and `history`.
use std::sync::Arc;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use policy::{FieldError, Precedence, Rule, Warning};
use serde::{Deserialize, Serialize};

use crate::components::{loaded, use_project_query, Loading, PageHeader};
use crate::format::{ago, href};
use crate::icons::Icon;
use crate::model::{ProjectRef, Scoped};
use crate::simulations::PreviewEvents;

use super::replay::PREVIEW_WINDOW;
use super::rules::{compile_rows, rule_from_form, WorkRule};
#[cfg(feature = "ssr")]
use super::support;
use super::{get_scope_events, SimScope, VersionRow};

mod history;
mod rule_form;
mod rule_list;
mod save_bar;

use history::VersionHistory;
use rule_form::RuleForm;
use rule_list::RuleList;
use save_bar::SaveBar;

/// Most versions the history lists (newest first).
pub const VERSION_LIST_LIMIT: u32 = 100;

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
#[server(prefix = "/api/read")]
pub async fn get_policy_editor(
    project: Option<String>,
) -> Result<Option<Scoped<PolicyEditorData>>, ServerFnError> {
    use crate::server::service_error;
    let Some(ctx) = crate::support::context(project).await? else {
        return Ok(None);
    };
    let active = service::policies::active_version(ctx.store(), &ctx.caller)
        .await
        .map_err(service_error)?;
    let newest = store::PageRequest::first(VERSION_LIST_LIMIT);
    let listed = service::policies::versions(ctx.store(), &ctx.caller, &newest)
        .await
        .map_err(service_error)?;
    // Versions are numbered 1, 2, 3, ...: the active (newest) one's number counts them.
    let version_count = usize::try_from(active.version).unwrap_or(0);
    let versions: Vec<VersionRow> = listed.items.iter().map(support::version_row).collect();
    let active = support::version_row(&active);
    let history: Vec<Vec<Rule>> = versions
        .iter()
        .filter(|v| v.version != active.version)
        .map(|v| v.rules.clone())
        .collect();
    let original_actions = super::rules::original_actions(&active.rules, &history);
    // Off the async workers: the active set may hold thousands of rules.
    let warnings = match super::rules::rule_set(active.precedence, &active.rules) {
        Ok(set) => service::policies::lint(&set).await.map_err(service_error)?,
        Err(_) => Vec::new(),
    };
    Ok(Some(crate::support::scoped_some(
        &ctx,
        PolicyEditorData {
            active,
            warnings,
            versions,
            version_count,
            original_actions,
        },
    )))
}

/// Saves the edited rule set as version `base + 1`, if `base` is still the newest
/// (`service::policies::save`, as the REST edits).
#[server(input = Json)]
pub async fn save_policy_rules(
    project: Option<String>,
    base: i64,
    precedence: Precedence,
    rules: Vec<Rule>,
    message: Option<String>,
) -> Result<i64, ServerFnError> {
    use crate::server::service_error;
    let ctx = crate::support::require(project).await?;
    let message = service::policies::message(message).map_err(service_error)?;
    let set = super::rules::rule_set(precedence, &rules)
        .map_err(|e| service_error(service::ServiceError::from(e)))?;
    let saved = service::policies::save(
        ctx.store(),
        &ctx.caller,
        Some(base),
        &set,
        message.as_deref(),
    )
    .await
    .map_err(service_error)?;
    Ok(saved.version)
}

/// Saves an old version's rules as the next version (if `base` is still the newest).
#[server]
pub async fn restore_policy_version(
    project: Option<String>,
    base: i64,
    version: i64,
) -> Result<i64, ServerFnError> {
    use crate::server::service_error;
    let ctx = crate::support::require(project).await?;
    let (saved, _) = service::policies::restore(ctx.store(), &ctx.caller, Some(base), version)
        .await
        .map_err(service_error)?;
    Ok(saved.version)
}

pub type EventsAction = Action<Option<String>, Result<Arc<PreviewEvents>, ServerFnError>>;

/// The events of a scope, loaded by the browser only (never during SSR).
pub fn events_action() -> EventsAction {
    Action::new(|project: &Option<String>| {
        let project = project.clone();
        async move {
            get_scope_events(project, SimScope::Window(PREVIEW_WINDOW))
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

/// The editor's working state, shared by its parts (signals and memos, so `Copy`).
#[derive(Clone, Copy)]
struct EditorState {
    /// The working copy, in evaluation order.
    work: RwSignal<Vec<WorkRule>>,
    precedence: RwSignal<Precedence>,
    /// The rule form: None closed, Some(None) a new rule, Some(Some(i)) rule i.
    editing: RwSignal<Option<Option<usize>>>,
    /// The form's fields, as typed.
    pattern: RwSignal<String>,
    action: RwSignal<String>,
    agent: RwSignal<String>,
    cost: RwSignal<String>,
    /// The open form as a rule, or what is wrong with it.
    form_rule: Memo<Option<Result<Rule, Vec<FieldError>>>>,
    /// What would be saved: the working copy with the open form applied when valid.
    candidate: Memo<Vec<Rule>>,
}

impl EditorState {
    fn new(initial: Vec<WorkRule>, precedence: Precedence) -> Self {
        let work = RwSignal::new(initial);
        let precedence = RwSignal::new(precedence);
        let editing = RwSignal::new(None::<Option<usize>>);
        let pattern = RwSignal::new(String::new());
        let action = RwSignal::new(policy::Action::Block.as_str().to_string());
        let agent = RwSignal::new(String::new());
        let cost = RwSignal::new(String::new());
        let form_rule = Memo::new(move |_| {
            editing
                .get()
                .map(|_| rule_from_form(&pattern.get(), &action.get(), &agent.get(), &cost.get()))
        });
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
        EditorState {
            work,
            precedence,
            editing,
            pattern,
            action,
            agent,
            cost,
            form_rule,
            candidate,
        }
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
    let state = EditorState::new(initial.clone(), active.precedence);
    let active_compiled = compile_rows(active.precedence, &active.rules)
        .ok()
        .map(Arc::new);

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
            <button type="button" class="button primary" id="add-rule" on:click=move |_| state.open_form(None)><Icon name="plus"/>"Add rule"</button>
        </PageHeader>
        <RuleList state/>
        <RuleForm state/>
        <SaveBar state project=project.id.clone() active=active.clone() initial active_compiled=active_compiled.clone() events reload notice/>
        <VersionHistory project=project.clone() now data=data.clone() events reload notice active_compiled/>
    }
    .into_any()
}
