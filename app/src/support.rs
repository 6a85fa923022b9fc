//! Server-only helpers shared by the features' server functions (feature `ssr`):
//! wrapping page data with its project, "not found" as `None`, the project's datasets
//! for the pickers. What the REST API shares with them lives in [`crate::server`].
use leptos::prelude::ServerFnError;

use crate::model::{DatasetRef, ProjectRef, Scoped};
pub use crate::server::{context, require, Ctx};
use crate::server::{not_found_status, store_error};

/// Wraps page data; a missing thing sets the page's 404 status.
pub fn scoped<T>(project: &store::Project, data: Option<T>) -> Scoped<T> {
    if data.is_none() {
        not_found_status();
    }
    Scoped {
        project: ProjectRef::from(project),
        now_micros: store::now_micros(),
        data,
    }
}

/// Wraps page data that is always there (a list, an overview).
pub fn scoped_some<T>(project: &store::Project, data: T) -> Scoped<T> {
    Scoped {
        project: ProjectRef::from(project),
        now_micros: store::now_micros(),
        data: Some(data),
    }
}

/// The project's datasets, for the "Add to dataset" menus.
pub async fn dataset_refs(ctx: &Ctx) -> Result<Vec<DatasetRef>, ServerFnError> {
    Ok(ctx
        .0
        .list_datasets(&ctx.1.id)
        .await
        .map_err(store_error)?
        .iter()
        .map(DatasetRef::from)
        .collect())
}

/// `NotFound` as `None`, other failures as errors.
pub fn found<T>(result: Result<T, store::StoreError>) -> Result<Option<T>, ServerFnError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(store::StoreError::NotFound) => Ok(None),
        Err(e) => Err(store_error(e)),
    }
}
