//! The dashboard shell: left navigation, project switcher, user menu (theme toggle),
//! and the server functions behind them ([`get_shell`], [`set_theme`]).
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

use serde::{Deserialize, Serialize};

use crate::components::use_project_query;
use crate::format::href;
use crate::icons::Icon;
use crate::model::ProjectRef;

/// Everything the layout needs: projects for the switcher, the current one, theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShellData {
    pub projects: Vec<ProjectRef>,
    pub current: Option<ProjectRef>,
    pub dark: bool,
    /// The signed-in account.
    pub user_email: String,
    /// `admin` or `viewer`.
    pub user_role: String,
}

#[server(prefix = "/api/read")]
pub async fn get_shell(project: Option<String>) -> Result<ShellData, ServerFnError> {
    use crate::server::{caller, current_user, dark_theme, service_error, use_store};
    let user = current_user()?;
    let projects = service::projects::visible(use_store()?.as_ref(), &user)
        .await
        .map_err(service_error)?;
    let current = caller(project).await?.map(|c| c.project);
    if let Some(p) = &current {
        crate::server::canonical_project_url(&p.id);
    }
    Ok(ShellData {
        projects: projects.iter().map(ProjectRef::from).collect(),
        current: current.as_ref().map(ProjectRef::from),
        dark: dark_theme(),
        user_email: user.email,
        user_role: user.role.as_str().to_string(),
    })
}

/// Remembers the theme in a cookie (a plain form post without JavaScript).
#[server(prefix = "/api/read")]
pub async fn set_theme(dark: bool) -> Result<bool, ServerFnError> {
    crate::server::set_cookie(
        crate::server::THEME_COOKIE,
        if dark { "dark" } else { "light" },
    );
    Ok(dark)
}

const NAV: [(&str, &str, &str); 8] = [
    ("/dashboard", "Home", "home"),
    ("/dashboard/traces", "Traces", "traces"),
    ("/dashboard/threads", "Threads", "threads"),
    ("/dashboard/datasets", "Datasets", "database"),
    ("/dashboard/policies", "Policies", "shield"),
    ("/dashboard/audit", "Audit", "audit"),
    ("/dashboard/approvals", "Approvals", "approvals"),
    ("/dashboard/settings", "Settings", "settings"),
];

/// The section of a path (`/dashboard/traces/abc` → `/dashboard/traces`): where the
/// project switcher goes, since ids do not carry across projects.
fn section(path: &str) -> &'static str {
    NAV.iter()
        .skip(1)
        .find(|(root, _, _)| path == *root || path.starts_with(&format!("{root}/")))
        .map(|(root, _, _)| *root)
        .unwrap_or("/dashboard")
}

/// Sets `<html data-theme>` in the browser (the server sets it from the cookie).
fn apply_theme(dark: bool) {
    #[cfg(feature = "hydrate")]
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dark;
}

#[component]
pub fn Layout() -> impl IntoView {
    let project_q = use_project_query();
    let shell = Resource::new(move || project_q.get(), get_shell);
    let location = use_location();
    let path = Memo::new(move |_| location.pathname.get());
    // Effects run only in the browser: this flag tells tests (and people) the page is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    crate::components::menus::install_menu_behaviour();

    let nav = move |data: &ShellData| {
        let pid = data
            .current
            .as_ref()
            .map(|p| p.id.clone())
            .unwrap_or_default();
        NAV.iter()
            .map(|(root, label, icon)| {
                let root = *root;
                let link = href(root, &pid, &[]);
                let active = move || {
                    let p = path.get();
                    if root == "/dashboard" {
                        p == "/dashboard" || p == "/dashboard/"
                    } else {
                        p == root || p.starts_with(&format!("{root}/"))
                            || (root == "/dashboard/datasets" && p.starts_with("/dashboard/simulations"))
                    }
                };
                view! {
                    <a href=link class="nav-link" class:active=active aria-current=move || active().then_some("page")
                        aria-label=*label title=*label>
                        <Icon name=icon/>
                        <span>{*label}</span>
                    </a>
                }
            })
            .collect_view()
    };

    view! {
        <div class="app">
            <Suspense fallback=|| view! { <aside class="sidebar"></aside><div class="topbar"></div> }>
                {move || Suspend::new(async move {
                    match shell.await {
                        Err(err) => view! {
                            <aside class="sidebar">
                                <a class="brand" href="/dashboard">"Preflight"</a>
                                <p class="error">{crate::components::error_text(&err)}</p>
                            </aside>
                        }.into_any(),
                        Ok(data) => {
                            let links = nav(&data);
                            view! {
                                <aside class="sidebar">
                                    <a class="brand" href=href("/dashboard", &data.current.as_ref().map(|p| p.id.clone()).unwrap_or_default(), &[])>
                                        <img src="/favicon.svg" alt="" width="22" height="22"/>
                                        <span class="brand-name">"Preflight"</span>
                                    </a>
                                    <nav class="nav">{links}</nav>
                                </aside>
                                <div class="topbar">
                                    <ProjectSwitcher data=data.clone() path/>
                                    <div class="spacer"></div>
                                    <UserMenu dark=data.dark project=data.current.as_ref().map(|p| p.id.clone()).unwrap_or_default() email=data.user_email.clone() role=data.user_role.clone()/>
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
            <main class="content" data-hydrated=move || hydrated.get().to_string()>
                <Outlet/>
            </main>
        </div>
    }
    .into_any()
}

#[component]
fn ProjectSwitcher(data: ShellData, path: Memo<String>) -> impl IntoView {
    let Some(current) = data.current.clone() else {
        return view! { <span class="muted">"No project"</span> }.into_any();
    };
    let projects = data.projects.clone();
    view! {
        <details class="menu project-switcher">
            <summary title="Switch project">
                <Icon name="database"/>
                <span class="project-name" id="current-project">{current.name.clone()}</span>
                <Icon name="chevron_down" class="caret"/>
            </summary>
            <div class="menu-panel">
                <div class="menu-title">"Projects"</div>
                {move || {
                    let target = section(&path.get());
                    projects
                        .iter()
                        .map(|p| {
                            let selected = p.id == current.id;
                            view! {
                                <a class="menu-item" class:selected=selected href=href(target, &p.id, &[])>
                                    {p.name.clone()}
                                    <span class="muted mono">{p.id.clone()}</span>
                                </a>
                            }
                        })
                        .collect_view()
                }}
            </div>
        </details>
    }
    .into_any()
}

#[component]
fn UserMenu(dark: bool, project: String, email: String, role: String) -> impl IntoView {
    let dark = RwSignal::new(dark);
    let set_theme = ServerAction::<SetTheme>::new();
    Effect::new(move |_| {
        if let Some(Ok(value)) = set_theme.value().get() {
            dark.set(value);
            apply_theme(value);
        }
    });
    view! {
        <details class="menu user-menu">
            <summary title="User menu" id="user-menu">
                <span class="avatar"><Icon name="user"/></span>
                <span class="user-name">{email.clone()}</span>
                <Icon name="chevron_down" class="caret"/>
            </summary>
            <div class="menu-panel right">
                <div class="menu-title" id="signed-in-as">{format!("Signed in as {email} ({role})")}</div>
                <ActionForm action=set_theme>
                    <input type="hidden" name="dark" value=move || (!dark.get()).to_string()/>
                    <button type="submit" class="menu-item" id="theme-toggle" data-dark=move || dark.get().to_string()>
                        {move || if dark.get() {
                            view! { <Icon name="sun"/><span>"Light mode"</span> }.into_any()
                        } else {
                            view! { <Icon name="moon"/><span>"Dark mode"</span> }.into_any()
                        }}
                    </button>
                </ActionForm>
                <a class="menu-item" id="your-account-link" href=format!("{}#account", href("/dashboard/settings", &project, &[]))><Icon name="lock"/><span>"Your account"</span></a>
                <a class="menu-item" href=href("/dashboard/playground", &project, &[])><Icon name="flask"/><span>"Pattern playground"</span></a>
                <a class="menu-item" href="/v1/openapi.json" rel="external"><Icon name="link"/><span>"REST API (OpenAPI)"</span></a>
                // A plain form: the server ends the session and redirects to /signin.
                <form method="post" action="/signout">
                    <button type="submit" class="menu-item" id="sign-out"><Icon name="user"/><span>"Sign out"</span></button>
                </form>
            </div>
        </details>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::section;

    #[test]
    fn switching_project_keeps_the_section() {
        assert_eq!(section("/dashboard/traces/abc"), "/dashboard/traces");
        assert_eq!(section("/dashboard/datasets"), "/dashboard/datasets");
        assert_eq!(section("/dashboard/simulations/sim_1"), "/dashboard");
        assert_eq!(section("/dashboard"), "/dashboard");
    }
}
