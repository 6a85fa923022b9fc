//! `/dashboard/settings`: projects (create, rename), the current project's API keys
//! (create — the full key is shown once, with a copy button — list by prefix and
//! creation date, revoke) and its retention; then the account sections
//! ([`super::accounts`]).
use leptos::prelude::*;

use crate::components::clipboard::copy_to_clipboard;
use crate::components::{action_error, loaded, use_project_query, Loading, PageHeader, RowMenu};
use crate::format::{ago, href, short_datetime};
use crate::icons::Icon;

use super::{
    get_settings, CreateProjectKey, CreateProjectNamed, RenameProjectTo, RevokeProjectKey,
    SetProjectRetention,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let project_q = use_project_query();
    let create_project = ServerAction::<CreateProjectNamed>::new();
    let rename = ServerAction::<RenameProjectTo>::new();
    let create_key = ServerAction::<CreateProjectKey>::new();
    let revoke = ServerAction::<RevokeProjectKey>::new();
    let retention = ServerAction::<SetProjectRetention>::new();
    let data = Resource::new(
        move || {
            (
                project_q.get(),
                rename.version().get(),
                create_key.version().get(),
                revoke.version().get(),
                retention.version().get(),
            )
        },
        |(p, ..)| get_settings(p),
    );
    let copied = RwSignal::new(None::<bool>);
    view! {
        <div class="page settings-page">
            <PageHeader title="Settings".into() subtitle="Projects, API keys and how long events are kept.".into()/>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "settings", move |project, now, s| {
                        let pid = project.id.clone();
                        let projects = s.projects.iter().map(|p| {
                            let current = p.id == pid;
                            let (rename_id, rename_name) = (p.id.clone(), p.name.clone());
                            let retention_text = match p.retention_days {
                                Some(d) => format!("{d} days"),
                                None => "server default".to_string(),
                            };
                            view! {
                                <tr data-project=p.id.clone() class:selected=current>
                                    <td><a class="strong" href=href("/dashboard/settings", &p.id, &[])>{p.name.clone()}</a>
                                        {current.then(|| view! { <span class="chip">"current"</span> })}</td>
                                    <td class="mono muted">{p.id.clone()}</td>
                                    <td class="time" title=short_datetime(p.created_micros)>{ago(now, p.created_micros)}</td>
                                    <td>{retention_text}</td>
                                    <td class="row-action">
                                        <RowMenu label="Rename" icon="pencil">
                                            <ActionForm action=rename>
                                                <input type="hidden" name="id" value=rename_id/>
                                                <input name="name" value=rename_name aria-label="New name" required maxlength="100"/>
                                                <button type="submit" class="button primary">"Rename"</button>
                                            </ActionForm>
                                        </RowMenu>
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        let keys = s.keys.iter().rev().map(|k| {
                            let revoked = k.revoked_micros;
                            let confirm = format!("Revoke {}…? Agents using it get 401 on their next request.", k.prefix);
                            let (revoke_pid, revoke_id) = (pid.clone(), k.id.clone());
                            view! {
                                <tr data-key=k.id.clone() data-prefix=k.prefix.clone() class:revoked=revoked.is_some()>
                                    <td class="mono strong">{format!("{}…", k.prefix)}</td>
                                    <td class="key-scope"><span class=format!("chip scope scope-{}", k.scope) title=scope_help(&k.scope)>{k.scope.clone()}</span></td>
                                    <td class="time" title=short_datetime(k.created_micros)>{short_datetime(k.created_micros)}<span class="sub">{ago(now, k.created_micros)}</span></td>
                                    <td class="key-status">{match revoked {
                                        Some(t) => view! { <span class="chip status s-rejected" title=short_datetime(t)>{format!("revoked {}", ago(now, t))}</span> }.into_any(),
                                        None => view! { <span class="chip status s-approved">"active"</span> }.into_any(),
                                    }}</td>
                                    <td class="row-action">
                                        {revoked.is_none().then(move || view! {
                                            <RowMenu label="Revoke" icon="trash" confirm=confirm>
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="project" value=revoke_pid/>
                                                    <input type="hidden" name="key_id" value=revoke_id/>
                                                    <button type="submit" class="button danger revoke-key">"Revoke key"</button>
                                                </ActionForm>
                                            </RowMenu>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        let active = s.keys.iter().filter(|k| k.revoked_micros.is_none()).count();
                        // A key revoked since it was created is not offered for copying.
                        let revoked_prefixes: Vec<String> = s.keys.iter()
                            .filter(|k| k.revoked_micros.is_some())
                            .map(|k| k.prefix.clone())
                            .collect();
                        let retention_value = s.retention_days.map(|d| d.to_string()).unwrap_or_default();
                        let (pid_key, pid_ret) = (pid.clone(), pid.clone());
                        view! {
                            <section class="card settings-keys" id="keys">
                                <h2><Icon name="key"/>{format!(" API keys of “{}” · {active} active", project.name)}</h2>
                                <p class="muted">"Agents send a key as " <code>"Authorization: Bearer jj_…"</code>
                                    ". Only its prefix is kept: a key is shown once, when it is created. "
                                    "Give agents an " <strong>"agent"</strong> " key: it sends events, reads the rules and asks for approvals, "
                                    "but cannot read other traces, change the rules or decide its own approvals."</p>
                                <ActionForm action=create_key>
                                    <input type="hidden" name="project" value=pid_key/>
                                    <div class="form-row key-create">
                                        <label for="key-scope">"Scope"</label>
                                        <select name="scope" id="key-scope" aria-label="Key scope">
                                            <option value="agent" selected>"agent: send events, read rules, request approvals"</option>
                                            <option value="read">"read: traces, datasets, audit, simulations"</option>
                                            <option value="admin">"admin: everything, incl. changing policies"</option>
                                        </select>
                                        <button type="submit" class="button primary" id="create-key"><Icon name="plus"/>"Create key"</button>
                                    </div>
                                </ActionForm>
                                {move || action_error(create_key.value().get())}
                                {move || create_key.value().get().and_then(|r| r.ok()).filter(|k| !revoked_prefixes.contains(&k.prefix)).map(|k| {
                                    let key = k.key.clone();
                                    view! {
                                        <div class="new-key" role="status">
                                            <p><strong>{format!("New {} key for “{}”.", k.scope, k.project)}</strong>" Copy it now: it will not be shown again."</p>
                                            <div class="form-row">
                                                <input id="new-key-text" class="mono grow" readonly value=k.key.clone() aria-label="New API key"/>
                                                <button type="button" class="button" id="copy-key" on:click=move |_| copied.set(Some(copy_to_clipboard(&key, "new-key-text")))>
                                                    <Icon name="copy"/>"Copy"
                                                </button>
                                            </div>
                                            {move || copied.get().map(|ok| view! {
                                                <p class="muted" id="copy-result">{if ok { "Copied to the clipboard." } else { "Selected: press Ctrl+C (the clipboard needs HTTPS)." }}</p>
                                            })}
                                        </div>
                                    }
                                })}
                                {move || action_error(revoke.value().get())}
                                {if s.keys.is_empty() {
                                    view! { <p class="muted" id="no-keys">"No keys yet: create one to point an agent at this project."</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap"><table class="data keys-table">
                                            <thead><tr><th>"Prefix"</th><th>"Scope"</th><th>"Created"</th><th>"Status"</th><th></th></tr></thead>
                                            <tbody>{keys}</tbody>
                                        </table></div>
                                    }.into_any()
                                }}
                            </section>
                            <section class="card settings-retention" id="retention">
                                <h2><Icon name="clock"/>" Retention"</h2>
                                <p class="muted">"Traces whose last event is older than this are deleted hourly; traces pinned in a dataset are kept. Blank: the server's "
                                    <code>"--retention-days"</code>" default (keep everything if none)."</p>
                                <ActionForm action=retention>
                                    <input type="hidden" name="project" value=pid_ret/>
                                    <div class="form-row">
                                        <input name="days" id="retention-days" type="number" min="1" max="36500" step="1" value=retention_value placeholder="keep" aria-label="Retention in days"/>
                                        <span>"days"</span>
                                        <button type="submit" class="button primary" id="save-retention">"Save"</button>
                                    </div>
                                </ActionForm>
                                {move || action_error(retention.value().get())}
                                {move || retention.value().get().and_then(|r| r.ok()).map(|d| view! {
                                    <p class="notice" role="status" id="retention-saved">{match d {
                                        Some(d) => format!("Saved: events older than {d} days are pruned."),
                                        None => "Saved: this project follows the server default.".to_string(),
                                    }}</p>
                                })}
                            </section>
                            <section class="card settings-projects" id="projects">
                                <h2><Icon name="database"/>" Projects"</h2>
                                <div class="table-wrap"><table class="data projects-table">
                                    <thead><tr><th>"Name"</th><th>"Id"</th><th>"Created"</th><th>"Retention"</th><th></th></tr></thead>
                                    <tbody>{projects}</tbody>
                                </table></div>
                                {move || action_error(rename.value().get())}
                                <h3>"New project"</h3>
                                <ActionForm action=create_project>
                                    <div class="form-row">
                                        <input name="name" id="new-project-name" placeholder="Name, e.g. support" required maxlength="100" aria-label="Project name"/>
                                        <button type="submit" class="button primary" id="create-project"><Icon name="plus"/>"Create project"</button>
                                    </div>
                                </ActionForm>
                                {move || action_error(create_project.value().get())}
                            </section>
                        }.into_any()
                    })
                })}
            </Transition>
            <super::accounts::AccountsSection/>
        </div>
    }
    .into_any()
}

/// What a scope's chip says on hover.
fn scope_help(scope: &str) -> &'static str {
    match scope {
        "agent" => "Sends events, reads the policy rules, requests approvals and polls its own",
        "read" => "Reads traces, threads, audit, datasets, policy versions and approvals; runs simulations",
        "admin" => "Everything in this project's /v1, including changing policies and deciding approvals",
        _ => "",
    }
}
