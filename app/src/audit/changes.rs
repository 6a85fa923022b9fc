//! The audit page's **Changes** view (`/dashboard/audit?view=changes`): who changed
//! what in the project (datasets, policy versions, approvals, keys, settings), newest
//! first, each with its actor (an account's email or `key:<prefix>`). Read through
//! `service::changes`, like `GET /v1/audit/changes`.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{loaded, use_project_query, use_query_param, Loading, PageHeader};
use crate::format::{ago, href, short_datetime};
use crate::icons::Icon;
use crate::model::Scoped;
#[cfg(feature = "ssr")]
use crate::support;

/// Changes per page.
pub const CHANGES_PAGE: u32 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeItem {
    pub actor: String,
    /// `dataset_created`, `policy_saved`, ... (`store::ProjectChangeKind`).
    pub kind: String,
    pub subject: String,
    pub detail: Option<String>,
    pub changed_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeLog {
    pub rows: Vec<ChangeItem>,
    pub next_before: Option<i64>,
    /// This is not the newest page.
    pub paged: bool,
}

#[server(prefix = "/api/read")]
pub async fn get_change_log(
    project: Option<String>,
    before: Option<String>,
) -> Result<Option<Scoped<ChangeLog>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    // A hand-edited `before` that is not a number shows the newest page.
    let before = before.and_then(|b| b.trim().parse::<i64>().ok());
    let page = service::changes::page(ctx.store(), &ctx.caller, before, CHANGES_PAGE)
        .await
        .map_err(crate::server::service_error)?;
    Ok(Some(support::scoped_some(
        &ctx,
        ChangeLog {
            rows: page
                .changes
                .into_iter()
                .map(|c| ChangeItem {
                    actor: c.actor,
                    kind: c.kind.as_str().to_string(),
                    subject: c.subject,
                    detail: c.detail,
                    changed_micros: c.changed_at.micros(),
                })
                .collect(),
            next_before: page.next_before,
            paged: before.is_some(),
        },
    )))
}

/// A change's kind in words.
fn describe(kind: &str) -> &'static str {
    match kind {
        "dataset_created" => "created dataset",
        "dataset_renamed" => "renamed dataset",
        "dataset_deleted" => "deleted dataset",
        "traces_pinned" => "pinned traces to",
        "trace_unpinned" => "unpinned a trace from",
        "policy_saved" => "saved policy",
        "approval_requested" => "requested approval",
        "approval_decided" => "decided approval",
        "key_created" => "created key",
        "key_revoked" => "revoked key",
        "project_renamed" => "renamed project",
        "retention_set" => "set retention of",
        _ => "changed",
    }
}

#[component]
pub fn ChangeLogView() -> impl IntoView {
    let project_q = use_project_query();
    let before = use_query_param("before");
    let data = Resource::new(
        move || (project_q.get(), before.get()),
        |(p, b)| get_change_log(p, b),
    );
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                loaded(data.await, "the change log", move |project, now, log| {
                    let pid = project.id.clone();
                    let rows = log.rows.iter().map(|c| view! {
                        <tr data-kind=c.kind.clone()>
                            <td class="time" title=short_datetime(c.changed_micros)>{ago(now, c.changed_micros)}</td>
                            <td class="mono actor">{c.actor.clone()}</td>
                            <td class="what">{describe(&c.kind)}" "<span class="mono subject">{c.subject.clone()}</span></td>
                            <td class="detail">{c.detail.clone().unwrap_or_else(|| "—".to_string())}</td>
                        </tr>
                    }).collect_view();
                    let newest = log.paged.then(|| view! {
                        <a class="button" href=href("/dashboard/audit", &pid, &[("view", "changes")])>"Newest"</a>
                    });
                    let next = log.next_before.map(|b| view! {
                        <a class="button" id="changes-older" href=href("/dashboard/audit", &pid, &[("view", "changes"), ("before", b.to_string().as_str())])>"Older" <Icon name="chevron_right"/></a>
                    });
                    view! {
                        <PageHeader title="Audit · changes".into() subtitle="Who changed datasets, policies, approvals, keys and settings: an account's email, or key: and the prefix of the API key.".into()>
                            <a class="button" href=href("/dashboard/audit", &pid, &[])><Icon name="traces"/>"Events"</a>
                        </PageHeader>
                        {if log.rows.is_empty() {
                            view! { <div class="state empty"><h2>"No changes yet"</h2><p>"Changes to datasets, policies, approvals, keys and settings appear here with who made them."</p></div> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap"><table class="data changes-table">
                                    <thead><tr><th>"Time"</th><th>"Who"</th><th>"What"</th><th>"Detail"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table></div>
                            }.into_any()
                        }}
                        <nav class="pager">{newest}{next}</nav>
                    }.into_any()
                })
            })}
        </Transition>
    }
}
