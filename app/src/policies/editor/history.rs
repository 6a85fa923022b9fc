//! The version history: every saved version (newest first) with who saved it, when,
//! why and what changed from the one before; "Restore" previews what restoring would
//! flip against the active version, then saves that version's rules as the next one.
use std::sync::Arc;

use leptos::prelude::*;
use policy::{CompiledPolicy, Precedence};

use crate::components::error_text;
use crate::format::{ago, datetime};
use crate::model::ProjectRef;
use crate::policies::diff::{diff_rules, Change};
use crate::policies::replay::{flip_headline, flips, thousands, PREVIEW_WINDOW};
use crate::policies::rules::compile_rows;
use crate::policies::VersionRow;

use super::{restore_policy_version, EventsAction, PolicyEditorData};

#[component]
pub(super) fn VersionHistory(
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
