//! Server-only helpers shared by the features' server functions (feature `ssr`): the
//! caller a request acts as, wrapping page data with its project, "not found" as
//! `None`, the project's datasets for the pickers. The operations themselves are the
//! `service` crate's, the same the REST API calls.
use std::sync::Arc;

use leptos::prelude::ServerFnError;

use crate::model::{DatasetRef, ProjectRef, Scoped};
use crate::server::{not_found_status, service_error};

/// What a server function works with: the store and the caller (the signed-in
/// account acting on the project the page resolved).
pub struct Ctx {
    pub store: Arc<dyn store::Store>,
    pub caller: service::Caller,
}

impl Ctx {
    pub fn store(&self) -> &service::Store {
        self.store.as_ref()
    }

    pub fn project(&self) -> &store::Project {
        &self.caller.project
    }
}

/// The context for the project the page asked for, or `None` when there is no
/// project at all (the pages then say how to create one).
pub async fn context(project: Option<String>) -> Result<Option<Ctx>, ServerFnError> {
    let store = crate::server::use_store()?;
    Ok(crate::server::caller(project)
        .await?
        .map(|caller| Ctx { store, caller }))
}

/// [`context`] for operations that need a project: without one the answer is 404.
pub async fn require(project: Option<String>) -> Result<Ctx, ServerFnError> {
    let store = crate::server::use_store()?;
    let caller = crate::server::require_caller(project).await?;
    Ok(Ctx { store, caller })
}

/// Wraps page data; a missing thing sets the page's 404 status.
pub fn scoped<T>(ctx: &Ctx, data: Option<T>) -> Scoped<T> {
    if data.is_none() {
        not_found_status();
    }
    Scoped {
        project: ProjectRef::from(ctx.project()),
        now_micros: store::now_micros(),
        data,
    }
}

/// Wraps page data that is always there (a list, an overview).
pub fn scoped_some<T>(ctx: &Ctx, data: T) -> Scoped<T> {
    scoped(ctx, Some(data))
}

/// The project's datasets, for the "Add to dataset" menus.
pub async fn dataset_refs(ctx: &Ctx) -> Result<Vec<DatasetRef>, ServerFnError> {
    let first = store::PageRequest::first(service::paging::LISTS.max);
    Ok(service::datasets::list(ctx.store(), &ctx.caller, &first)
        .await
        .map_err(service_error)?
        .items
        .iter()
        .map(DatasetRef::from)
        .collect())
}

/// `NotFound` as `None`, other failures as errors.
pub fn found<T>(result: service::ServiceResult<T>) -> Result<Option<T>, ServerFnError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(service::ServiceError::NotFound(_)) => Ok(None),
        Err(e) => Err(service_error(e)),
    }
}
