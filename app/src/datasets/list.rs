//! `/dashboard/datasets`: the project's datasets; create, rename, delete (confirmed).
//! The forms post to server functions, so they work without JavaScript too.
use leptos::prelude::*;

use crate::components::{action_error, loaded, use_project_query, Loading, PageHeader, RowMenu};
use crate::format::{ago, href, short_datetime};
use crate::icons::Icon;

use super::{list_datasets, CreateDataset, DeleteDataset, RenameDataset};

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let project_q = use_project_query();
    let create = ServerAction::<CreateDataset>::new();
    let rename = ServerAction::<RenameDataset>::new();
    let delete = ServerAction::<DeleteDataset>::new();
    let data = Resource::new(
        move || {
            (
                project_q.get(),
                create.version().get(),
                rename.version().get(),
                delete.version().get(),
            )
        },
        |(p, _, _, _)| list_datasets(p),
    );
    view! {
        <div class="page datasets-page">
            <PageHeader title="Datasets".into() subtitle="Named sets of pinned traces. Replay a draft policy against one before it ships.".into()/>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "datasets", move |project, now, datasets| {
                        let pid = project.id.clone();
                        let rows = datasets.clone().into_iter().map(|d| {
                            let link = href(&format!("/dashboard/datasets/{}", d.id), &pid, &[]);
                            let (pid_rename, pid_delete) = (pid.clone(), pid.clone());
                            let (id_rename, id_delete) = (d.id.clone(), d.id.clone());
                            let confirm = format!("Delete “{}”? Its {} pinned traces stay in Preflight; only the dataset goes.", d.name, d.item_count);
                            let name = d.name.clone();
                            view! {
                                <tr data-dataset=d.id.clone()>
                                    <td><a href=link class="strong">{d.name.clone()}</a>
                                        {d.description.clone().map(|t| view! { <span class="sub">{t}</span> })}
                                    </td>
                                    <td class="num">{d.item_count}</td>
                                    <td class="time" title=short_datetime(d.created_micros)>{ago(now, d.created_micros)}</td>
                                    <td class="row-action">
                                        <RowMenu label="Rename" icon="pencil">
                                            <ActionForm action=rename>
                                                <input type="hidden" name="project" value=pid_rename/>
                                                <input type="hidden" name="id" value=id_rename/>
                                                <input name="name" value=name aria-label="New name" required/>
                                                <button type="submit" class="button primary">"Rename"</button>
                                            </ActionForm>
                                        </RowMenu>
                                        <RowMenu label="Delete" icon="trash" confirm=confirm>
                                            <ActionForm action=delete>
                                                <input type="hidden" name="project" value=pid_delete/>
                                                <input type="hidden" name="id" value=id_delete/>
                                                <button type="submit" class="button danger">"Delete dataset"</button>
                                            </ActionForm>
                                        </RowMenu>
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        let traces_link = href("/dashboard/traces", &pid, &[]);
                        let pid_create = pid.clone();
                        let table = if datasets.is_empty() {
                            view! {
                                <div class="state empty">
                                    <h2>"No datasets yet"</h2>
                                    <p>"Select traces on the " <a href=traces_link>"Traces"</a>
                                    " page and choose “Add to dataset”, or create an empty one below."</p>
                                </div>
                            }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap">
                                    <table class="data datasets-table">
                                        <thead><tr><th>"Name"</th><th class="num">"Traces"</th><th>"Created"</th><th></th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        };
                        view! {
                            {table}
                            {move || action_error(rename.value().get())}
                            {move || action_error(delete.value().get())}
                            <section class="card create-dataset">
                                <h2>"New dataset"</h2>
                                <ActionForm action=create>
                                    <input type="hidden" name="project" value=pid_create/>
                                    <div class="form-row">
                                        <input name="name" placeholder="Name, e.g. refund-incidents" required aria-label="Name"/>
                                        <input name="description" class="grow" placeholder="Description (optional)" aria-label="Description"/>
                                        <button type="submit" class="button primary"><Icon name="plus"/>"Create"</button>
                                    </div>
                                </ActionForm>
                                {move || action_error(create.value().get())}
                            </section>
                        }.into_any()
                    })
                })}
            </Transition>
        </div>
    }
    .into_any()
}
