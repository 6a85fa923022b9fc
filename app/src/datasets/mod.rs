//! Datasets: named sets of pinned traces (`/dashboard/datasets`, `/dashboard/datasets/{id}`).
//! Their types and server functions (list, create, rename, delete, pin, unpin) and, in
//! the submodules, their pages. "Add to dataset" (a shared widget) pins through
//! [`add_to_dataset`].
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::model::{DatasetRef, Scoped, TraceRow};
#[cfg(feature = "ssr")]
use crate::support;

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

#[server]
pub async fn list_datasets(
    project: Option<String>,
) -> Result<Option<Scoped<Vec<DatasetRow>>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let datasets = store.list_datasets(&p.id).await.map_err(store_error)?;
    Ok(Some(support::scoped(
        &p,
        Some(datasets.into_iter().map(DatasetRow::from).collect()),
    )))
}

#[server]
pub async fn get_dataset(
    project: Option<String>,
    id: String,
) -> Result<Option<Scoped<DatasetDetail>>, ServerFnError> {
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let detail = support::found(store.dataset(&p.id, &id).await)?;
    Ok(Some(support::scoped(
        &p,
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
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    let name = valid_name(&name)?;
    let description = description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    let dataset = store
        .create_dataset(&p.id, &name, description.as_deref())
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => {
                crate::server::conflict(format!("a dataset named {name:?} already exists"))
            }
            other => store_error(other),
        })?;
    Ok(DatasetRef::from(&dataset))
}

#[server]
pub async fn rename_dataset(
    project: Option<String>,
    id: String,
    name: String,
) -> Result<DatasetRef, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    let name = valid_name(&name)?;
    let dataset = store
        .rename_dataset(&p.id, &id, &name)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => {
                crate::server::conflict(format!("a dataset named {name:?} already exists"))
            }
            other => store_error(other),
        })?;
    Ok(DatasetRef::from(&dataset))
}

#[server]
pub async fn delete_dataset(project: Option<String>, id: String) -> Result<(), ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    store
        .delete_dataset(&p.id, &id)
        .await
        .map_err(store_error)?;
    leptos_axum::redirect(&crate::format::href("/dashboard/datasets", &p.id, &[]));
    Ok(())
}

#[server]
pub async fn remove_dataset_item(
    project: Option<String>,
    id: String,
    trace_id: String,
) -> Result<bool, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    store
        .remove_dataset_item(&p.id, &id, &trace_id)
        .await
        .map_err(store_error)
}

/// Pins traces into an existing dataset, or into a new one named `new_name`.
#[server(input = Json)]
pub async fn add_to_dataset(
    project: Option<String>,
    dataset_id: Option<String>,
    new_name: Option<String>,
    trace_ids: Vec<String>,
) -> Result<AddOutcome, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    if trace_ids.is_empty() {
        return Err(crate::server::invalid("select at least one trace"));
    }
    if trace_ids.len() > 10_000 {
        return Err(crate::server::invalid("at most 10,000 traces at once"));
    }
    let (dataset, created) = match (dataset_id, new_name) {
        (Some(id), _) => {
            let d = support::found(store.dataset(&p.id, &id).await)?
                .ok_or_else(|| crate::server::gone("that dataset no longer exists"))?;
            (DatasetRef::from(&d.dataset), false)
        }
        (None, Some(name)) => {
            let name = valid_name(&name)?;
            let d = store
                .create_dataset(&p.id, &name, None)
                .await
                .map_err(|e| match e {
                    store::StoreError::Conflict(_) => {
                        crate::server::conflict(format!("a dataset named {name:?} already exists"))
                    }
                    other => store_error(other),
                })?;
            (DatasetRef::from(&d), true)
        }
        (None, None) => return Err(crate::server::invalid("choose a dataset or name a new one")),
    };
    let outcome = store
        .add_dataset_items(&p.id, &dataset.id, &trace_ids)
        .await
        .map_err(store_error)?;
    Ok(AddOutcome {
        dataset,
        created,
        added: outcome.added.len(),
        already_present: outcome.already_present.len(),
        unknown: outcome.unknown.len(),
    })
}

#[cfg(feature = "ssr")]
fn valid_name(name: &str) -> Result<String, ServerFnError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::server::invalid("name: must not be empty"));
    }
    if name.chars().count() > 200 {
        return Err(crate::server::invalid("name: longer than 200 characters"));
    }
    Ok(name.to_string())
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
