//! The storage contract: every case runs against SQLite and PostgreSQL, each on a
//! fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cases;
mod support;

macro_rules! contract {
    ($($group:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let env = crate::support::Env::sqlite().await;
                    crate::cases::$group::$name(env.store.as_ref()).await;
                    env.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let env = crate::support::Env::postgres().await;
                    crate::cases::$group::$name(env.store.as_ref()).await;
                    env.finish().await;
                }
            )*
        }
    };
}

contract!(
    projects::projects_crud,
    accounts::accounts_and_sessions,
    accounts::password_changes_end_other_sessions,
    accounts::disabled_accounts_lose_their_sessions,
    accounts::ending_sessions,
    accounts::an_enabled_admin_always_remains,
    projects::retention_settings,
    keys::api_key_lifecycle,
    ingest::idempotent_reingest,
    ingest::pending_then_ok,
    ingest::duplicate_spans_in_one_batch,
    ingest::large_batch_in_chunks,
    ingest::nul_characters_are_replaced,
    traces::trace_aggregation,
    traces::trace_filters,
    traces::trace_pagination,
    threads::thread_aggregation,
    threads::thread_pagination,
    audit::audit_log,
    changes::change_log,
    scan::scan_and_count,
    scan::reviewed_events,
    scan::seen_calls,
    rollups::rollups_follow_every_write,
    datasets::datasets_crud,
    datasets::dataset_items,
    datasets::delete_cascades_to_items_not_events,
    datasets::dataset_versions,
    datasets::dataset_expectations,
    policy::policy_versions,
    policy::policy_compare_and_set,
    policy::simulations,
    approvals::approval_flow,
    approvals::racing_deciders,
    prune::prune_exempts_pinned,
    isolation::cross_project_isolation,
    paging::pages_continue_where_they_stopped,
);
