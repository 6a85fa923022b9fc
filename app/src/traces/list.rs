//! `/dashboard/traces`: the traces table with filters, pagination and selection
//! (add to a dataset, or run a draft over the selection).
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::components::add_to_dataset::AddToDataset;
use crate::components::draft_modal::DraftModal;
use crate::components::trace_table::{Selection, TraceTable};
use crate::components::{loaded, use_project_query, Loading, PageHeader, SdkSnippet};
use crate::format::href;
use crate::icons::Icon;
use crate::simulations::DraftScope;

use super::{list_traces, TraceQuery};

const RANGES: [(&str, &str); 5] = [
    ("", "All time"),
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
];

impl TraceQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("agent", &self.agent),
            ("verdict", &self.verdict),
            ("session", &self.session),
            ("tool", &self.tool),
            ("range", &self.range),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect()
    }

    fn is_filtered(&self) -> bool {
        !self.pairs().is_empty()
    }
}

#[component]
pub fn TracesPage() -> impl IntoView {
    let project_q = use_project_query();
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        query.with(|q| {
            let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
            TraceQuery {
                agent: get("agent"),
                verdict: get("verdict"),
                session: get("session"),
                tool: get("tool"),
                range: get("range"),
                cursor: get("cursor"),
            }
        })
    });
    let data = Resource::new(
        move || (project_q.get(), filters.get()),
        |(project, filters)| list_traces(project, filters),
    );
    let selection = Selection::new();
    let modal: RwSignal<Option<Vec<String>>> = RwSignal::new(None);

    view! {
        <div class="page traces-page">
            <PageHeader title="Traces".into() subtitle="Every run your agents sent, newest first.".into()/>
            <FilterBar filters project_q/>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "traces", move |project, now, page| {
                        let f = filters.get_untracked();
                        let pid = project.id.clone();
                        let filter_error = page.filter_error.clone().map(|e| view! {
                            <p class="banner error" id="filter-error">{format!("Filter ignored: {e}")}</p>
                        });
                        if page.traces.is_empty() {
                            let body = if f.is_filtered() || f.cursor.is_some() {
                                view! {
                                    <div class="state empty">
                                        <h2>"No trace matches these filters"</h2>
                                        <p><a href=href("/dashboard/traces", &pid, &[])>"Clear the filters"</a>" to see every trace."</p>
                                    </div>
                                }.into_any()
                            } else {
                                view! { <SdkSnippet server_url=page.server_url.clone() project=project.clone()/> }.into_any()
                            };
                            return view! { {filter_error} {body} }.into_any();
                        }
                        let pairs = f.pairs();
                        let pair_refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        let next = page.next_cursor.clone().map(|c| {
                            let mut q = pair_refs.clone();
                            q.push(("cursor", c.as_str()));
                            view! { <a class="button" id="next-page" href=href("/dashboard/traces", &pid, &q)>"Older traces" <Icon name="chevron_right"/></a> }
                        });
                        let first = f.cursor.is_some().then(|| view! {
                            <a class="button" href=href("/dashboard/traces", &pid, &pair_refs)>"Newest traces"</a>
                        });
                        let datasets = page.datasets.clone();
                        view! {
                            {filter_error}
                            <TraceTable rows=page.traces.clone() project=pid.clone() now selection/>
                            <nav class="pager">{first}{next}</nav>
                            <SelectionFooter selection datasets project=pid.clone() modal/>
                            {move || modal.get().map(|ids| {
                                let title = format!("{} selected {}", ids.len(), if ids.len() == 1 { "trace" } else { "traces" });
                                view! {
                                    <DraftModal
                                        project=pid.clone()
                                        scope=DraftScope::Traces(ids)
                                        title
                                        on_close=Callback::new(move |_| modal.set(None))
                                    />
                                }
                            })}
                        }.into_any()
                    })
                })}
            </Transition>
        </div>
    }
    .into_any()
}

#[component]
fn FilterBar(filters: Memo<TraceQuery>, project_q: Memo<Option<String>>) -> impl IntoView {
    let f = move || filters.get();
    let initial = filters.get_untracked();
    let navigate = use_navigate();
    // With JavaScript the filters navigate to a URL that names only the filters set
    // (an HTML form would send every field, empty ones too); without, the form is sent.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if let Some(url) = filter_url(&ev) {
            ev.prevent_default();
            navigate(&url, Default::default());
        }
    };
    view! {
        <form method="GET" action="/dashboard/traces" on:submit=on_submit>
            <div class="filters" role="search">
                <input type="hidden" name="project" prop:value=move || project_q.get().unwrap_or_default()/>
                <label>
                    <span>"Agent"</span>
                    <input name="agent" placeholder="support-bot" prop:value=move || f().agent.unwrap_or_default() value=initial.agent.clone().unwrap_or_default()/>
                </label>
                <label>
                    <span>"Verdict"</span>
                    <select name="verdict" id="filter-verdict">
                        <option value="" selected=move || f().verdict.is_none()>"Any"</option>
                        {policy::Verdict::ALL.into_iter().map(|v| {
                            let word = v.as_str();
                            view! { <option value=word selected=move || f().verdict.as_deref() == Some(word)>{word}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    <span>"Session"</span>
                    <input name="session" placeholder="session id" prop:value=move || f().session.unwrap_or_default() value=initial.session.clone().unwrap_or_default()/>
                </label>
                <label class="grow">
                    <span>"Tool or model"</span>
                    <input name="tool" id="filter-tool" placeholder="payments, gpt-4o…" prop:value=move || f().tool.unwrap_or_default() value=initial.tool.clone().unwrap_or_default()/>
                </label>
                <label>
                    <span>"Time"</span>
                    <select name="range">
                        {RANGES.into_iter().map(|(value, label)| view! {
                            <option value=value selected=move || f().range.as_deref().unwrap_or("") == value>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="button"><Icon name="search"/>"Filter"</button>
            </div>
        </form>
    }
    .into_any()
}

/// The traces URL for the submitted filter form: its non-empty fields, in form order.
#[cfg(feature = "hydrate")]
fn filter_url(ev: &leptos::ev::SubmitEvent) -> Option<String> {
    use wasm_bindgen::JsCast;
    let form = ev.target()?.dyn_into::<web_sys::HtmlFormElement>().ok()?;
    let fields = form.query_selector_all("input[name], select[name]").ok()?;
    let mut project = String::new();
    let mut pairs = Vec::new();
    for i in 0..fields.length() {
        let node = fields.item(i)?;
        let (name, value) = if let Some(input) = node.dyn_ref::<web_sys::HtmlInputElement>() {
            (input.name(), input.value())
        } else {
            let select = node.dyn_ref::<web_sys::HtmlSelectElement>()?;
            (select.name(), select.value())
        };
        if name == "project" {
            project = value;
        } else {
            pairs.push((name, value.trim().to_string()));
        }
    }
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Some(href("/dashboard/traces", &project, &refs))
}

#[cfg(not(feature = "hydrate"))]
fn filter_url(_: &leptos::ev::SubmitEvent) -> Option<String> {
    None
}

#[component]
fn SelectionFooter(
    selection: Selection,
    datasets: Vec<crate::model::DatasetRef>,
    project: String,
    modal: RwSignal<Option<Vec<String>>>,
) -> impl IntoView {
    let ids = Signal::derive(move || selection.ids.get());
    let count = move || selection.ids.with(Vec::len);
    view! {
        <div class="selection-footer" class:open=move || selection.ids.with(|i| !i.is_empty()) id="selection-footer" aria-live="polite">
            <span id="selection-count">{move || {
                let n = count();
                format!("{n} {} selected", if n == 1 { "trace" } else { "traces" })
            }}</span>
            <span class="dot">"·"</span>
            <AddToDataset project datasets trace_ids=ids up=true/>
            <span class="dot">"·"</span>
            <button type="button" class="button" id="run-draft-selection"
                on:click=move |_| modal.set(Some(selection.ids.get_untracked()))>
                <Icon name="flask"/>"Run draft policy"
            </button>
            <span class="dot">"·"</span>
            <button type="button" class="link-button" id="clear-selection" on:click=move |_| selection.clear()>"Clear"</button>
        </div>
    }
    .into_any()
}
