//! Widgets shared by the features' pages: verdict and agent chips, states (loading,
//! error, empty, not found, a form's last error), the row menu, page headers and the
//! URL query hooks. The submodules hold the larger ones: the layout shell, charts, the
//! traces table, "Add to dataset", the draft modal, a simulation summary's parts and
//! the clipboard helper. Nothing here imports a page.
use leptos::prelude::*;
use policy::Verdict;

use crate::icons::{verdict_icon, Icon};
use crate::model::{Counts, ProjectRef, Scoped};

pub mod add_to_dataset;
pub mod charts;
pub mod clipboard;
pub mod draft_modal;
pub mod layout;
pub mod menus;
pub mod simulation_summary;
pub mod trace_table;
pub mod unfurl;

/// The verdict chip: the same word, colour token and icon on every page.
#[component]
pub fn VerdictChip(verdict: Verdict, #[prop(optional)] count: Option<i64>) -> impl IntoView {
    let word = verdict.as_str();
    view! {
        <span class=format!("chip verdict v-{word}") data-verdict=word title=word>
            <Icon name=verdict_icon(verdict)/>
            {count.map(|n| view! { <b class="n">{n}</b> })}
            <span class="word">{word}</span>
        </span>
    }
}

/// Chips for every verdict with a non-zero count (in the fixed five-verb order).
#[component]
pub fn VerdictCounts(counts: Counts, #[prop(optional)] compact: bool) -> impl IntoView {
    let chips = Verdict::ALL
        .into_iter()
        .filter(|v| counts.get(*v) > 0)
        .map(|v| {
            let n = counts.get(v);
            if compact {
                let word = v.as_str();
                view! {
                    <span class=format!("chip verdict compact v-{word}") data-verdict=word title=format!("{n} {word}")>
                        <Icon name=verdict_icon(v)/>
                        <b class="n">{n}</b>
                    </span>
                }
                .into_any()
            } else {
                view! { <VerdictChip verdict=v count=n/> }.into_any()
            }
        })
        .collect_view();
    view! { <span class="chips">{chips}</span> }
}

/// Hues for agent dots: blues and teals only, none near a verdict's colour (green,
/// red, amber, violet, magenta).
const AGENT_HUES: [u32; 6] = [172, 186, 198, 210, 222, 234];

/// An agent name as a neutral chip with a dot whose hue is a stable hash of the name.
#[component]
pub fn AgentChip(name: String) -> impl IntoView {
    let hash = name
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let hue = AGENT_HUES[(hash as usize) % AGENT_HUES.len()];
    view! { <span class="chip agent" style=format!("--hue: {hue}") title=name.clone()>{name.clone()}</span> }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="state loading">"Loading…"</p> }
}

/// A failure, explained: what we tried and what the server said.
#[component]
pub fn ErrorBox(what: String, message: String) -> impl IntoView {
    view! {
        <div class="state error-box" role="alert">
            <strong>{format!("Could not load {what}.")}</strong>
            <p>{message}</p>
            <p class="muted">"Reload to try again; if it persists, the server log has the details."</p>
        </div>
    }
}

/// The message of a server function error, without the framework's prefix.
pub fn error_text(err: &ServerFnError) -> String {
    match err {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}

/// The last error of a form's action (its `value()`), shown next to it.
pub fn action_error<T>(value: Option<Result<T, ServerFnError>>) -> impl IntoView {
    value.and_then(|r| r.err()).map(|e| {
        view! { <p class="error form-error" role="alert">{error_text(&e)}</p> }
    })
}

/// No project exists yet: say how to make one.
#[component]
pub fn NoProject() -> impl IntoView {
    view! {
        <div class="state empty">
            <h2>"No project yet"</h2>
            <p>"Load the demo project, or create your own and point an agent at it:"</p>
            <pre class="code">"preflight demo              # a demo project with traces and datasets\npreflight project create support   # prints its API key once"</pre>
        </div>
    }
}

#[component]
pub fn NotFoundBox(what: String, project: ProjectRef) -> impl IntoView {
    view! {
        <div class="state empty not-found">
            <h2>{format!("No such {what}")}</h2>
            <p>{format!("Nothing by that id in project “{}”. It may belong to another project, or have been deleted or pruned.", project.name)}</p>
        </div>
    }
}

/// Renders a page's loaded data, or the state that explains why there is none.
pub fn loaded<T, V>(
    result: Result<Option<Scoped<T>>, ServerFnError>,
    what: &str,
    render: impl FnOnce(ProjectRef, i64, T) -> V,
) -> AnyView
where
    V: IntoView + 'static,
{
    match result {
        Err(err) => view! { <ErrorBox what=what.to_string() message=error_text(&err)/> }.into_any(),
        Ok(None) => view! { <NoProject/> }.into_any(),
        Ok(Some(Scoped {
            project,
            data: None,
            ..
        })) => view! { <NotFoundBox what=what.to_string() project/> }.into_any(),
        Ok(Some(Scoped {
            project,
            now_micros,
            data: Some(data),
        })) => render(project, now_micros, data).into_any(),
    }
}

/// The page's `?project=` as asked for (resolved on the server).
pub fn use_project_query() -> Memo<Option<String>> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| query.with(|q| q.get("project")).filter(|p| !p.is_empty()))
}

/// A query parameter of the current URL (empty → `None`).
pub fn use_query_param(name: &'static str) -> Memo<Option<String>> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| query.with(|q| q.get(name)).filter(|v| !v.is_empty()))
}

/// A table row's action behind a small menu (a `<details>`, so it works without
/// JavaScript): a rename form, or, with `confirm`, a destructive action under its question.
#[component]
pub fn RowMenu(
    label: &'static str,
    icon: &'static str,
    #[prop(optional)] confirm: Option<String>,
    children: Children,
) -> impl IntoView {
    let danger = confirm.is_some();
    view! {
        <details class="menu inline">
            <summary class="link-button" class:danger=danger><Icon name=icon/>{label}</summary>
            <div class="menu-panel right" class:confirm=danger>
                {confirm.map(|question| view! { <p>{question}</p> })}
                {children()}
            </div>
        </details>
    }
}

/// Page title and subtitle line.
#[component]
pub fn PageHeader(
    title: String,
    #[prop(optional)] subtitle: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="page-header">
            <div>
                <h1>{title}</h1>
                {subtitle.map(|s| view! { <p class="muted">{s}</p> })}
            </div>
            <div class="actions">{children.map(|c| c())}</div>
        </header>
    }
}

/// How to point the JamJet SDK at this server, with its URL filled in.
#[component]
pub fn SdkSnippet(server_url: String, project: ProjectRef) -> impl IntoView {
    let code = format!(
        "import jamjet.cloud\njamjet.cloud.configure(api_key=\"jj_...\", project=\"{}\",\n                        api_url=\"{server_url}\")",
        project.name
    );
    view! {
        <div class="state empty">
            <h2>"No traces yet"</h2>
            <p>"Point an agent instrumented with the JamJet Python SDK at this server:"</p>
            <pre class="code" id="sdk-snippet">{code}</pre>
            <p class="muted">
                "Create a key with " <code>{format!("preflight key create --project {}", project.name)}</code>
                ", or load a demo project with " <code>"preflight demo"</code> "."
            </p>
        </div>
    }
}
