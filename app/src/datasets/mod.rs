//! Datasets: named sets of pinned traces (`/dashboard/datasets`, `/dashboard/datasets/{id}`).
//! Their types and server functions (list, create, rename, delete, pin, unpin) and, in
//! the submodules, their pages. "Add to dataset" (a shared widget) pins through
//! [`add_to_dataset`].
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::model::{DatasetRef, Scoped, TraceRow};
#[cfg(feature = "ssr")]
use crate::{server::service_error, support};

pub mod dataset;
pub mod list;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub item_count: i64,
    pub created_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetItemRow {
    pub trace_id: String,
    pub added_micros: i64,
    /// `None` when the trace has no events any more (pruned).
    pub trace: Option<TraceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetDetail {
    pub dataset: DatasetRow,
    pub items: Vec<DatasetItemRow>,
}

/// `add_to_dataset`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddOutcome {
    pub dataset: DatasetRef,
    pub created: bool,
    pub added: usize,
    pub already_present: usize,
    pub unknown: usize,
}

#[server(prefix = "/api/read")]
pub async fn list_datasets(
    project: Option<String>,
) -> Result<Option<Scoped<Vec<DatasetRow>>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    // The first page, as large as the API's: a project with more shows that many.
    let first = store::PageRequest::first(service::paging::LISTS.max);
    let datasets = service::datasets::list(ctx.store(), &ctx.caller, &first)
        .await
        .map_err(service_error)?;
    Ok(Some(support::scoped_some(
        &ctx,
        datasets.items.into_iter().map(DatasetRow::from).collect(),
    )))
}

#[server(prefix = "/api/read")]
pub async fn get_dataset(
    project: Option<String>,
    id: String,
) -> Result<Option<Scoped<DatasetDetail>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    // The oldest pins, as many as the API's largest page; the page says when more exist.
    let first = store::PageRequest::first(service::paging::LISTS.max);
    let detail =
        support::found(service::datasets::get(ctx.store(), &ctx.caller, &id, &first).await)?;
    Ok(Some(support::scoped(
        &ctx,
        detail.map(|d| DatasetDetail {
            dataset: d.dataset.into(),
            items: d
                .items
                .into_iter()
                .map(|i| DatasetItemRow {
                    trace_id: i.trace_id,
                    added_micros: i.added_at.micros(),
                    trace: i.trace.map(TraceRow::from),
                })
                .collect(),
        }),
    )))
}

#[server]
pub async fn create_dataset(
    project: Option<String>,
    name: String,
    description: Option<String>,
) -> Result<DatasetRef, ServerFnError> {
    let ctx = support::require(project).await?;
    let dataset = service::datasets::create(ctx.store(), &ctx.caller, &name, description)
        .await
        .map_err(service_error)?;
    Ok(DatasetRef::from(&dataset))
}

#[server]
pub async fn rename_dataset(
    project: Option<String>,
    id: String,
    name: String,
) -> Result<DatasetRef, ServerFnError> {
    let ctx = support::require(project).await?;
    let dataset = service::datasets::rename(ctx.store(), &ctx.caller, &id, &name)
        .await
        .map_err(service_error)?;
    Ok(DatasetRef::from(&dataset))
}

#[server]
pub async fn delete_dataset(project: Option<String>, id: String) -> Result<(), ServerFnError> {
    let ctx = support::require(project).await?;
    service::datasets::delete(ctx.store(), &ctx.caller, &id)
        .await
        .map_err(service_error)?;
    leptos_axum::redirect(&crate::format::href(
        "/dashboard/datasets",
        &ctx.project().id,
        &[],
    ));
    Ok(())
}

#[server]
pub async fn remove_dataset_item(
    project: Option<String>,
    id: String,
    trace_id: String,
) -> Result<bool, ServerFnError> {
    let ctx = support::require(project).await?;
    service::datasets::unpin(ctx.store(), &ctx.caller, &id, &trace_id)
        .await
        .map_err(service_error)?;
    Ok(true)
}

/// Pins traces into an existing dataset, or into a new one named `new_name`.
#[server(input = Json)]
pub async fn add_to_dataset(
    project: Option<String>,
    dataset_id: Option<String>,
    new_name: Option<String>,
    trace_ids: Vec<String>,
) -> Result<AddOutcome, ServerFnError> {
    use service::datasets::PinTarget;
    let ctx = support::require(project).await?;
    let target = match (dataset_id, new_name) {
        (Some(id), _) => PinTarget::Existing(id),
        (None, Some(name)) => PinTarget::New(name),
        (None, None) => {
            return Err(crate::server::invalid(
                "dataset: choose a dataset or name a new one",
            ))
        }
    };
    let pinned = service::datasets::pin(ctx.store(), &ctx.caller, target, &trace_ids)
        .await
        .map_err(service_error)?;
    Ok(AddOutcome {
        dataset: DatasetRef::from(&pinned.dataset),
        created: pinned.created,
        added: pinned.outcome.added.len(),
        already_present: pinned.outcome.already_present.len(),
        unknown: pinned.outcome.unknown.len(),
    })
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;

    impl From<store::Dataset> for DatasetRow {
        fn from(d: store::Dataset) -> Self {
            DatasetRow {
                id: d.id,
                name: d.name,
                description: d.description,
                item_count: d.item_count,
                created_micros: d.created_at.micros(),
            }
        }
    }
}
