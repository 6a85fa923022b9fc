//! Threads: traces grouped by session (`/dashboard/threads`) and one conversation
//! (`/dashboard/threads/{session}`). Their types, server functions and, in the
//! submodules, their pages.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Counts, Scoped, TraceRow};
#[cfg(feature = "ssr")]
use crate::{server::service_error, support};

pub mod list;
pub mod thread;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadRow {
    pub session_id: String,
    pub turns: i64,
    pub first_micros: i64,
    pub last_micros: i64,
    pub agents: Vec<String>,
    pub cost_usd: f64,
    pub verdicts: Counts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadsPage {
    pub threads: Vec<ThreadRow>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadDetail {
    pub thread: ThreadRow,
    pub turns: Vec<TraceRow>,
}

#[server(prefix = "/api/read")]
pub async fn list_threads(
    project: Option<String>,
    cursor: Option<String>,
) -> Result<Option<Scoped<ThreadsPage>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let filter = store::ThreadFilter {
        cursor: cursor.filter(|c| !c.is_empty()),
        limit: 50,
    };
    let page = service::traces::threads(ctx.store(), &ctx.caller, &filter)
        .await
        .map_err(service_error)?;
    Ok(Some(support::scoped_some(
        &ctx,
        ThreadsPage {
            threads: page.threads.into_iter().map(ThreadRow::from).collect(),
            next_cursor: page.next_cursor,
        },
    )))
}

#[server(prefix = "/api/read")]
pub async fn get_thread(
    project: Option<String>,
    session_id: String,
) -> Result<Option<Scoped<ThreadDetail>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let found =
        support::found(service::traces::thread(ctx.store(), &ctx.caller, &session_id).await)?;
    Ok(Some(support::scoped(
        &ctx,
        found.map(|(thread, turns)| ThreadDetail {
            thread: thread.into(),
            turns: turns.into_iter().map(TraceRow::from).collect(),
        }),
    )))
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;

    impl From<store::ThreadSummary> for ThreadRow {
        fn from(t: store::ThreadSummary) -> Self {
            ThreadRow {
                session_id: t.session_id,
                turns: t.turns,
                first_micros: t.first_micros,
                last_micros: t.last_micros,
                agents: t.agents,
                cost_usd: t.cost_usd,
                verdicts: t.verdicts.into(),
            }
        }
    }
}
