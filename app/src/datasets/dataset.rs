//! `/dashboard/datasets/{id}`: a dataset's pinned traces; remove one; "Run draft
//! policy" opens the modal (`?run=draft`, optionally `&draft=` to start from a draft).
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::draft_modal::DraftModal;
use crate::components::trace_table::{RowAction, TraceTable};
use crate::components::{
    action_error, loaded, use_project_query, use_query_param, Loading, PageHeader,
};
use crate::format::{ago, href, short_id};
use crate::icons::Icon;
use crate::model::TraceRow;
use crate::simulations::DraftScope;

use super::{get_dataset, RemoveDatasetItem};

#[component]
pub fn DatasetPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let project_q = use_project_query();
    let run = use_query_param("run");
    let initial_draft = use_query_param("draft");
    let remove = ServerAction::<RemoveDatasetItem>::new();
    let data = Resource::new(
        move || (project_q.get(), id.get(), remove.version().get()),
        |(p, id, _)| get_dataset(p, id),
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
                            "{} pinned {} · created {}{}",
                            d.item_count,
                            if d.item_count == 1 { "trace" } else { "traces" },
                            ago(now, d.created_micros),
                            d.description.clone().map(|t| format!(" · {t}")).unwrap_or_default()
                        );
                        let rows: Vec<TraceRow> = detail.items.iter().filter_map(|i| i.trace.clone()).collect();
                        let missing: Vec<String> = detail.items.iter().filter(|i| i.trace.is_none()).map(|i| i.trace_id.clone()).collect();
                        let remove_form: RowAction = {
                            let pid = pid.clone();
                            let did = d.id.clone();
                            Arc::new(move |row: &TraceRow| {
                                let (pid, did, tid) = (pid.clone(), did.clone(), row.trace_id.clone());
                                view! {
                                <ActionForm action=remove>
                                    <input type="hidden" name="project" value=pid/>
                                    <input type="hidden" name="id" value=did/>
                                    <input type="hidden" name="trace_id" value=tid/>
                                    <button type="submit" class="link-button danger" title="Unpin this trace (the trace itself stays)">
                                        <Icon name="x"/>"Remove"
                                    </button>
                                </ActionForm>
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
                        let navigate = navigate.clone();
                        let close_to = here.clone();
                        let modal = move || run.get().map(|_| {
                            let navigate = navigate.clone();
                            let close_to = close_to.clone();
                            view! {
                                <DraftModal
                                    project=pid.clone()
                                    scope=DraftScope::Dataset(d.id.clone())
                                    title=format!("dataset “{}”", d.name)
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
                            {modal}
                        }
                    })
                })}}
            </Transition>
        </div>
    }
    .into_any()
}
