//! `/dashboard/datasets/{id}`: a dataset's pinned traces (newest pin first); remove
//! one; the expectations its traces carry (set, remove); its versions, each of which a
//! draft can be run on; "Run draft policy" opens the modal (`?run=draft`, optionally
//! `&draft=` to start from a draft and `&version=` to run on an older version).
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::draft_modal::DraftModal;
use crate::components::trace_table::{RowAction, TraceTable};
use crate::components::{
    action_error, loaded, use_project_query, use_query_param, Loading, PageHeader, RowMenu,
};
use crate::format::{ago, datetime, href, short_id};
use crate::icons::Icon;
use crate::model::TraceRow;
use crate::simulations::DraftScope;

use super::{
    get_dataset, ExpectationRow, RemoveDatasetExpectation, RemoveDatasetItem,
    SetDatasetExpectation, VersionRow,
};

#[component]
pub fn DatasetPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let project_q = use_project_query();
    let run = use_query_param("run");
    let initial_draft = use_query_param("draft");
    let version_q = use_query_param("version");
    let remove = ServerAction::<RemoveDatasetItem>::new();
    let expect = ServerAction::<SetDatasetExpectation>::new();
    let unexpect = ServerAction::<RemoveDatasetExpectation>::new();
    let data = Resource::new(
        move || {
            (
                project_q.get(),
                id.get(),
                remove.version().get(),
                expect.version().get(),
                unexpect.version().get(),
            )
        },
        |(p, id, ..)| get_dataset(p, id),
    );
    let navigate = use_navigate();

    view! {
        <div class="page dataset-page">
            <Transition fallback=|| view! { <Loading/> }>
                {move || {
                    let navigate = navigate.clone();
                    Suspend::new(async move {
                    loaded(data.await, "dataset", move |project, now, detail| {
                        let pid = project.id.clone();
                        let d = detail.dataset.clone();
                        let here = href(&format!("/dashboard/datasets/{}", d.id), &pid, &[]);
                        let run_link = href(&format!("/dashboard/datasets/{}", d.id), &pid, &[("run", "draft")]);
                        let subtitle = format!(
                            "{} pinned {} · version {} · created {}{}",
                            d.item_count,
                            if d.item_count == 1 { "trace" } else { "traces" },
                            d.version,
                            ago(now, d.created_micros),
                            d.description.clone().map(|t| format!(" · {t}")).unwrap_or_default()
                        );
                        // Newest pin first: what was just added is on top.
                        // Newest trace first, as the traces page lists them (pins of one
                        // batch share a time, so pin order would be trace-id order).
                        let mut rows: Vec<TraceRow> = detail.items.iter().rev().filter_map(|i| i.trace.clone()).collect();
                        rows.sort_by(|a, b| b.start_micros.cmp(&a.start_micros).then_with(|| a.trace_id.cmp(&b.trace_id)));
                        let pinned_ids: Vec<String> = detail.items.iter().rev().map(|i| i.trace_id.clone()).collect();
                        let missing: Vec<String> = detail.items.iter().filter(|i| i.trace.is_none()).map(|i| i.trace_id.clone()).collect();
                        let remove_form: RowAction = {
                            let pid = pid.clone();
                            let did = d.id.clone();
                            Arc::new(move |row: &TraceRow| {
                                let (pid, did, tid) = (pid.clone(), did.clone(), row.trace_id.clone());
                                // A question before unpinning, in a <details>: no script needed
                                // (and none inline, which the page's CSP refuses).
                                view! {
                                <RowMenu label="Remove" icon="x" confirm="Unpin this trace from the dataset? The trace stays; its expectations go.".to_string()>
                                    <ActionForm action=remove>
                                        <input type="hidden" name="project" value=pid/>
                                        <input type="hidden" name="id" value=did/>
                                        <input type="hidden" name="trace_id" value=tid/>
                                        <button type="submit" class="button danger">"Unpin trace"</button>
                                    </ActionForm>
                                </RowMenu>
                            }.into_any()})
                        };
                        let body = if detail.items.is_empty() {
                            view! {
                                <div class="state empty">
                                    <h2>"Nothing pinned yet"</h2>
                                    <p>"Select traces on the " <a href=href("/dashboard/traces", &pid, &[])>"Traces"</a> " page and add them to “" {d.name.clone()} "”."</p>
                                </div>
                            }.into_any()
                        } else {
                            view! { <TraceTable rows project=pid.clone() now action=remove_form/> }.into_any()
                        };
                        let shown = detail.items.len();
                        let more_note = (i64::try_from(shown).unwrap_or(i64::MAX) < d.item_count).then(|| view! {
                            <p class="muted" id="dataset-more">{format!(
                                "Showing the {shown} oldest of {} pinned traces (GET /v1/datasets/{{id}} pages through the rest).",
                                d.item_count
                            )}</p>
                        });
                        let missing_note = (!missing.is_empty()).then(|| view! {
                            <p class="muted">{format!(
                                "{} pinned {} no longer {} events (pruned): {}",
                                missing.len(),
                                if missing.len() == 1 { "trace has" } else { "traces have" },
                                if missing.len() == 1 { "has" } else { "have" },
                                missing.iter().map(|m| short_id(m)).collect::<Vec<_>>().join(", ")
                            )}</p>
                        });
                        let expectations = view! {
                            <ExpectationsCard
                                project=pid.clone()
                                dataset=d.id.clone()
                                traces=pinned_ids
                                expectations=detail.expectations.clone()
                                expect
                                unexpect
                            />
                        };
                        let versions = view! {
                            <VersionsCard project=pid.clone() dataset=d.id.clone() current=d.version versions=detail.versions.clone() now/>
                        };
                        let navigate = navigate.clone();
                        let close_to = here.clone();
                        let current_version = d.version;
                        let modal = move || run.get().map(|_| {
                            let navigate = navigate.clone();
                            let close_to = close_to.clone();
                            let version = version_q.get_untracked().and_then(|v| v.parse::<i64>().ok()).filter(|v| *v != current_version);
                            let (scope, title) = match version {
                                Some(v) => (DraftScope::DatasetVersion(d.id.clone(), v), format!("dataset “{}” v{v}", d.name)),
                                None => (DraftScope::Dataset(d.id.clone()), format!("dataset “{}” v{current_version}", d.name)),
                            };
                            view! {
                                <DraftModal
                                    project=pid.clone()
                                    scope
                                    title
                                    initial_draft=initial_draft.get_untracked().unwrap_or_else(|| crate::draft::EXAMPLE_DRAFT.to_string())
                                    on_close=Callback::new(move |_| navigate(&close_to, Default::default()))
                                />
                            }
                        });
                        view! {
                            <PageHeader title=detail.dataset.name.clone() subtitle>
                                <a class="button" href=href("/dashboard/datasets", &project.id, &[])>"All datasets"</a>
                                <a class="button primary" id="run-draft" href=run_link><Icon name="flask"/>"Run draft policy"</a>
                            </PageHeader>
                            {body}
                            {more_note}
                            {missing_note}
                            {move || action_error(remove.value().get())}
                            {expectations}
                            {versions}
                            {modal}
                        }
                    })
                })}}
            </Transition>
        </div>
    }
    .into_any()
}

/// The verdicts an expectation can ask for, as the form offers them.
const EXPECTED_CHOICES: [(&str, &str); 6] = [
    ("recorded", "keep its recorded verdict"),
    ("blocked", "blocked"),
    ("held", "held (needs approval)"),
    ("allowed", "allowed"),
    ("redacted", "redacted"),
    ("errored", "errored"),
];

/// What the dataset's traces must keep getting: the list (remove one) and a form to set
/// one (a pinned trace, a tool glob, a verdict or "recorded").
#[component]
fn ExpectationsCard(
    project: String,
    dataset: String,
    traces: Vec<String>,
    expectations: Vec<ExpectationRow>,
    expect: ServerAction<SetDatasetExpectation>,
    unexpect: ServerAction<RemoveDatasetExpectation>,
) -> impl IntoView {
    let rows = expectations
        .iter()
        .map(|e| {
            let (pid, did, eid) = (project.clone(), dataset.clone(), e.id.clone());
            let link = href(&format!("/dashboard/traces/{}", e.trace_id), &project, &[]);
            view! {
                <tr data-expectation=format!("{}:{}", e.trace_id, e.pattern)>
                    <td class="mono"><a href=link title=e.trace_id.clone()>{short_id(&e.trace_id)}</a></td>
                    <td class="mono">{e.pattern.clone()}</td>
                    <td>{match e.verdict {
                        policy::Expected::Recorded => "its recorded verdict".to_string(),
                        policy::Expected::Is(v) => v.to_string(),
                    }}</td>
                    <td class="muted">{e.author.clone()}</td>
                    <td class="row-action">
                        <ActionForm action=unexpect>
                            <input type="hidden" name="project" value=pid/>
                            <input type="hidden" name="id" value=did/>
                            <input type="hidden" name="expectation_id" value=eid/>
                            <button type="submit" class="link-button" title="Remove this expectation"><Icon name="x"/>"Remove"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let options = traces
        .iter()
        .map(|t| view! { <option value=t.clone()>{short_id(t)} " · " {t.clone()}</option> })
        .collect_view();
    let verdicts = EXPECTED_CHOICES
        .iter()
        .map(|(value, label)| view! { <option value=*value>{*label}</option> })
        .collect_view();
    let empty = expectations.is_empty();
    view! {
        <section class="card dataset-expectations" id="dataset-expectations">
            <h2><Icon name="check"/>" Expectations"</h2>
            <p class="muted">"What a pinned trace must keep doing: its calls matching a glob must get a verdict. "
                "A run over this dataset reports each one kept or broken, regressions first; "
                <code>"preflight policy simulate --fail-on-regression"</code>" fails CI only on those."</p>
            {if empty {
                view! { <p class="muted" id="no-expectations">"No expectations yet: every verdict change reads as unreviewed."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="data expectations-table">
                        <thead><tr><th>"Trace"</th><th>"Calls matching"</th><th>"Must get"</th><th>"Set by"</th><th></th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table></div>
                }.into_any()
            }}
            {(!traces.is_empty()).then(|| view! {
                <ActionForm action=expect attr:id="expect-form">
                    <input type="hidden" name="project" value=project.clone()/>
                    <input type="hidden" name="id" value=dataset.clone()/>
                    <div class="form-row">
                        <select name="trace_id" id="expect-trace" aria-label="Trace">{options}</select>
                        <input name="pattern" id="expect-pattern" value="*" required maxlength="1024" aria-label="Tool or model glob" class="mono"/>
                        <select name="verdict" id="expect-verdict" aria-label="Verdict">{verdicts}</select>
                        <button type="submit" class="button primary" id="expect-save"><Icon name="plus"/>"Expect"</button>
                    </div>
                </ActionForm>
            })}
            {move || action_error(expect.value().get())}
            {move || action_error(unexpect.value().get())}
        </section>
    }
}

/// The dataset's versions: who changed its membership, when, and how; any version can
/// be run.
#[component]
fn VersionsCard(
    project: String,
    dataset: String,
    current: i64,
    versions: Vec<VersionRow>,
    now: i64,
) -> impl IntoView {
    let rows = versions
        .into_iter()
        .map(|v| {
            let change = match (v.added, v.removed) {
                (0, 0) => v.change.clone(),
                (a, 0) => format!("{} +{a}", v.change),
                (0, r) => format!("{} −{r}", v.change),
                (a, r) => format!("{} +{a} −{r}", v.change),
            };
            let traces = v
                .added_traces
                .iter()
                .map(|t| format!("+{}", short_id(t)))
                .chain(v.removed_traces.iter().map(|t| format!("−{}", short_id(t))))
                .collect::<Vec<_>>()
                .join(" ");
            let version = v.version.to_string();
            let run = href(
                &format!("/dashboard/datasets/{dataset}"),
                &project,
                &[("run", "draft"), ("version", version.as_str())],
            );
            view! {
                <tr data-version=v.version class:current=v.version == current>
                    <td class="num strong">{format!("v{}", v.version)}</td>
                    <td>{change}</td>
                    <td class="mono muted small">{traces}</td>
                    <td class="num">{v.traces}</td>
                    <td class="muted">{v.author.clone()}</td>
                    <td class="time" title=datetime(v.created_micros)>{ago(now, v.created_micros)}</td>
                    <td class="row-action"><a class="link-button" href=run title="Run a draft on this version's traces"><Icon name="flask"/>"Run"</a></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card dataset-versions" id="versions">
            <h2><Icon name="clock"/>{format!(" Versions · now v{current}")}</h2>
            <p class="muted">"Each change of what the dataset pins is a version. A simulation records the version it ran on, so its permalink keeps saying the same thing."</p>
            <div class="table-wrap"><table class="data versions-table">
                <thead><tr><th>"Version"</th><th>"Change"</th><th>"Traces changed"</th><th class="num">"Traces"</th><th>"By"</th><th>"When"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table></div>
        </section>
    }
}
