//! The storage trait the server holds as `Arc<dyn Store>`.

use futures::stream::BoxStream;
use serde_json::Value;

use crate::{
    AccountChange, AddItemsOutcome, ApiKeyInfo, Approval, AuditFilter, AuditPage, Dataset,
    DatasetDetail, DatasetExpectation, DatasetMembers, DatasetVersion, DecideOutcome, EventScan,
    HourlyCalls, KeyGrant, KeyScope, MembershipChange, NewApiKey, Page, PageRequest,
    PasswordChange, PolicyVersion, PoolStats, Project, ProjectChange, ProjectChangeKind, Role,
    RollupDrift, Simulation, StoreError, StoredEvent, ThreadFilter, ThreadPage, ThreadSummary,
    TraceFilter, TracePage, TraceSummary, User, VerdictCounts,
};

/// Everything Preflight keeps. Methods taking `project_id` only ever see that
/// project's rows: another project's ids behave exactly like ids that do not exist
/// (`NotFound`, `None`, empty, `unknown`).
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    // ---- projects (console-wide administration) ----

    /// `Conflict` if the name is taken; `Invalid` if it is blank.
    async fn create_project(&self, name: &str) -> Result<Project, StoreError>;
    /// Oldest first.
    async fn list_projects(&self) -> Result<Vec<Project>, StoreError>;
    /// `NotFound` if there is no such project.
    async fn project(&self, id: &str) -> Result<Project, StoreError>;
    async fn project_by_name(&self, name: &str) -> Result<Option<Project>, StoreError>;
    async fn rename_project(&self, id: &str, name: &str) -> Result<Project, StoreError>;
    /// `None` keeps events forever; otherwise at least 1 day.
    async fn set_retention(&self, id: &str, days: Option<i64>) -> Result<Project, StoreError>;

    // ---- API keys ----

    async fn create_api_key(
        &self,
        project_id: &str,
        scope: KeyScope,
    ) -> Result<NewApiKey, StoreError>;
    /// Oldest first, revoked ones included.
    async fn list_api_keys(&self, project_id: &str) -> Result<Vec<ApiKeyInfo>, StoreError>;
    /// True if the key exists in this project (it is revoked now, or already was).
    async fn revoke_api_key(&self, project_id: &str, key_id: &str) -> Result<bool, StoreError>;
    /// The key's project and scope, or `None` for an unknown, malformed or revoked key.
    async fn authenticate(&self, key: &str) -> Result<Option<KeyGrant>, StoreError>;

    // ---- events and the read side ----

    /// Inserts or updates spans in one transaction; returns how many rows changed (a
    /// re-sent identical span counts 0). A later copy of a span replaces its fields,
    /// except that a `pending` copy never overwrites a finished one.
    async fn upsert_events(
        &self,
        project_id: &str,
        events: &[StoredEvent],
    ) -> Result<u64, StoreError>;
    async fn list_traces(
        &self,
        project_id: &str,
        filter: &TraceFilter,
    ) -> Result<TracePage, StoreError>;
    /// Ordered by timestamp, then sequence. Empty if the trace is unknown.
    async fn trace_events(
        &self,
        project_id: &str,
        trace_id: &str,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    /// One page of `trace_events`, in the same order: at most `page.limit` events
    /// (1 to 10,000), after `page.cursor`. `Invalid` for a cursor this store did not
    /// issue.
    async fn trace_events_page(
        &self,
        project_id: &str,
        trace_id: &str,
        page: &PageRequest,
    ) -> Result<Page<StoredEvent>, StoreError>;
    /// One span of a trace, if stored.
    async fn span_event(
        &self,
        project_id: &str,
        trace_id: &str,
        span_id: &str,
    ) -> Result<Option<StoredEvent>, StoreError>;
    /// Summaries in the order asked; unknown ids are left out.
    async fn trace_summaries(
        &self,
        project_id: &str,
        trace_ids: &[String],
    ) -> Result<Vec<TraceSummary>, StoreError>;
    async fn list_threads(
        &self,
        project_id: &str,
        filter: &ThreadFilter,
    ) -> Result<ThreadPage, StoreError>;
    /// The thread and its turns, oldest first.
    async fn thread(
        &self,
        project_id: &str,
        session_id: &str,
    ) -> Result<Option<(ThreadSummary, Vec<TraceSummary>)>, StoreError>;
    async fn audit(&self, project_id: &str, filter: &AuditFilter) -> Result<AuditPage, StoreError>;
    /// The whole audit log's verdict counts per event kind, in one pass (the audit
    /// page's header and kind chips).
    async fn audit_counts_by_kind(
        &self,
        project_id: &str,
    ) -> Result<std::collections::BTreeMap<String, VerdictCounts>, StoreError>;
    /// Streams the tool, LLM and MCP calls in scope, by timestamp, without loading them
    /// all. Drop the stream to stop early.
    fn scan_events<'a>(
        &'a self,
        project_id: &'a str,
        scan: EventScan,
    ) -> BoxStream<'a, Result<policy::Event, StoreError>>;
    /// The events `scan_events` would yield that carry a decided approval (trace,
    /// span, decision), at most 100,000.
    async fn reviewed_events(
        &self,
        project_id: &str,
        scan: EventScan,
    ) -> Result<Vec<(String, String, policy::Review)>, StoreError>;
    /// The project's calls from the start of the UTC hour holding `since_micros`,
    /// grouped by tool, agent and recorded verdict, busiest first, at most `limit`
    /// groups (for a blast radius). Read from the hourly rollups: the cost of a read
    /// grows with hours and names, not events. Cost bounds may be wider than the
    /// events' (they are not narrowed when events leave).
    async fn seen_calls(
        &self,
        project_id: &str,
        since_micros: i64,
        limit: usize,
    ) -> Result<Vec<policy::SeenCall>, StoreError>;
    /// The project's calls per UTC hour and recorded verdict from the hour holding
    /// `since_micros`, oldest first, from the hourly rollups.
    async fn hourly_calls(
        &self,
        project_id: &str,
        since_micros: i64,
    ) -> Result<Vec<HourlyCalls>, StoreError>;
    /// The `limit` tools (or models) with the most calls recorded with `verdict` from the
    /// hour holding `since_micros`, busiest first (then by name), from the rollups.
    async fn top_tools(
        &self,
        project_id: &str,
        since_micros: i64,
        verdict: policy::Verdict,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError>;
    /// Recounts the project's hourly rollups from its events and lists every row that
    /// disagrees (empty: they agree). Reads every event of the project.
    async fn rollup_drift(&self, project_id: &str) -> Result<Vec<RollupDrift>, StoreError>;
    /// Replaces the project's rollups with a recount of its events; the rows written.
    async fn rebuild_rollups(&self, project_id: &str) -> Result<u64, StoreError>;
    /// How many events `scan_events` would yield.
    async fn count_events(&self, project_id: &str, scan: EventScan) -> Result<u64, StoreError>;

    // ---- datasets ----

    /// `Conflict` if the project already has a dataset of that name. Makes version 1
    /// (`created`, by `author`).
    async fn create_dataset(
        &self,
        project_id: &str,
        name: &str,
        description: Option<&str>,
        author: &str,
    ) -> Result<Dataset, StoreError>;
    /// By name (then id), a page of at most `page.limit` (1 to 1,000).
    async fn list_datasets(
        &self,
        project_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Dataset>, StoreError>;
    /// The dataset with one page of its items (oldest pin first, at most `items.limit`,
    /// 1 to 1,000). `NotFound` if there is no such dataset in the project.
    async fn dataset(
        &self,
        project_id: &str,
        id: &str,
        items: &PageRequest,
    ) -> Result<DatasetDetail, StoreError>;
    async fn dataset_by_name(
        &self,
        project_id: &str,
        name: &str,
    ) -> Result<Option<Dataset>, StoreError>;
    async fn rename_dataset(
        &self,
        project_id: &str,
        id: &str,
        name: &str,
    ) -> Result<Dataset, StoreError>;
    /// Removes the dataset and its pins; never events. `NotFound` if absent.
    async fn delete_dataset(&self, project_id: &str, id: &str) -> Result<(), StoreError>;
    /// `NotFound` if the dataset is absent. A new version when any trace was added.
    async fn add_dataset_items(
        &self,
        project_id: &str,
        id: &str,
        trace_ids: &[String],
        change: MembershipChange<'_>,
    ) -> Result<AddItemsOutcome, StoreError>;
    /// True if the trace was pinned in this dataset (a new `unpinned` version; the
    /// trace's expectations go with it). `NotFound` if the dataset is absent.
    async fn remove_dataset_item(
        &self,
        project_id: &str,
        id: &str,
        trace_id: &str,
        author: &str,
    ) -> Result<bool, StoreError>;
    /// The dataset's versions, newest first, a page of at most `page.limit` (1 to
    /// 1,000). `NotFound` if the dataset is absent.
    async fn dataset_versions(
        &self,
        project_id: &str,
        id: &str,
        page: &PageRequest,
    ) -> Result<Page<DatasetVersion>, StoreError>;
    /// The members of a version (the current one for `None`). `NotFound` for an absent
    /// dataset or a version it never had.
    async fn dataset_members(
        &self,
        project_id: &str,
        id: &str,
        version: Option<i64>,
    ) -> Result<DatasetMembers, StoreError>;
    /// Sets (or replaces the verdict of) an expectation on a pinned trace.
    async fn set_dataset_expectation(
        &self,
        project_id: &str,
        id: &str,
        expectation: &policy::Expectation,
        author: &str,
    ) -> Result<DatasetExpectation, StoreError>;
    /// True if the expectation was there.
    async fn remove_dataset_expectation(
        &self,
        project_id: &str,
        id: &str,
        expectation_id: &str,
    ) -> Result<bool, StoreError>;
    /// Every expectation of the dataset (at most `policy::fixtures::MAX_EXPECTATIONS`).
    async fn dataset_expectations(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Vec<DatasetExpectation>, StoreError>;

    // ---- policy versions ----

    /// The newest version, or version 0 (no rules, precedence `last_match`).
    async fn active_policy(&self, project_id: &str) -> Result<PolicyVersion, StoreError>;
    /// Saves the next version (previous + 1).
    async fn save_policy(
        &self,
        project_id: &str,
        precedence: &str,
        rules: Value,
        author: &str,
        message: Option<&str>,
    ) -> Result<PolicyVersion, StoreError>;
    /// Saves version `base + 1` only if `base` is still the newest version: an edit
    /// computed from version `base` never overwrites one saved since. `Conflict` when
    /// another version was saved after `base` (read the active set again and redo the
    /// edit).
    async fn save_policy_on(
        &self,
        project_id: &str,
        base: i64,
        precedence: &str,
        rules: Value,
        author: &str,
        message: Option<&str>,
    ) -> Result<PolicyVersion, StoreError>;
    /// Newest first, a page of at most `page.limit` (1 to 1,000); version 0 is not
    /// listed.
    async fn policy_versions(
        &self,
        project_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PolicyVersion>, StoreError>;
    /// Version 0 is the implicit empty set.
    async fn policy_version(
        &self,
        project_id: &str,
        version: i64,
    ) -> Result<Option<PolicyVersion>, StoreError>;

    // ---- simulations ----

    async fn save_simulation(
        &self,
        project_id: &str,
        request: Value,
        summary: Value,
    ) -> Result<Simulation, StoreError>;
    /// `NotFound` if absent.
    async fn simulation(&self, project_id: &str, id: &str) -> Result<Simulation, StoreError>;

    // ---- approvals ----

    async fn create_approval(
        &self,
        project_id: &str,
        action: &str,
        context: Value,
        requested_by: &str,
    ) -> Result<Approval, StoreError>;
    /// `NotFound` if absent.
    async fn approval(&self, project_id: &str, id: &str) -> Result<Approval, StoreError>;
    /// Newest first, a page of at most `page.limit` (1 to 1,000); `status` is
    /// `pending`, `approved` or `rejected` (else `Invalid`).
    async fn list_approvals(
        &self,
        project_id: &str,
        status: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Approval>, StoreError>;
    /// How many approvals have `status` (every one with `None`).
    async fn count_approvals(
        &self,
        project_id: &str,
        status: Option<&str>,
    ) -> Result<u64, StoreError>;
    /// Atomic: of two racing deciders exactly one gets `Decided`. `decision` is
    /// `approved` or `rejected` (else `Invalid`).
    async fn decide_approval(
        &self,
        project_id: &str,
        id: &str,
        decision: &str,
        reason: Option<&str>,
        decided_by: &str,
    ) -> Result<DecideOutcome, StoreError>;

    // ---- the change log ----

    /// Records who changed what in a project.
    async fn record_change(
        &self,
        project_id: &str,
        actor: &str,
        kind: ProjectChangeKind,
        subject: &str,
        detail: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Newest first, older than the change `before` (an id) when given; at most `limit`.
    async fn project_changes(
        &self,
        project_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ProjectChange>, StoreError>;

    // ---- retention ----

    /// For every project with `retention_days` (or, without one, `default_days`: the
    /// server-wide `PREFLIGHT_RETENTION_DAYS`), deletes the traces whose last event is
    /// older than that (all their events at once), except traces pinned in any of the
    /// project's datasets. Returns the number of events deleted.
    async fn prune(&self, now_micros: i64, default_days: Option<i64>) -> Result<u64, StoreError>;

    // ---- dashboard accounts (console directory) ----

    /// `Conflict` if the email is taken (emails compare case-insensitively); `Invalid`
    /// if it does not look like one. `password_hash` is an argon2id PHC string.
    async fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError>;
    /// Oldest first.
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// The user with this email and their password hash.
    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>, StoreError>;
    /// Idempotent; `NotFound` if the user or the project does not exist.
    async fn add_member(&self, user_id: &str, project_id: &str) -> Result<(), StoreError>;
    /// `token_hash` is the SHA-256 of the cookie's token; `NotFound` for an unknown user.
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at_micros: i64,
    ) -> Result<(), StoreError>;
    /// The session's user, while it has not expired at `now_micros`.
    async fn session_user(
        &self,
        token_hash: &str,
        now_micros: i64,
    ) -> Result<Option<User>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// The account with this id; `NotFound` if there is none.
    async fn user(&self, user_id: &str) -> Result<User, StoreError>;
    /// Replaces the account's password hash and ends its sessions as `change` says,
    /// recording the change and `by` (the acting account's email). `NotFound` for an
    /// unknown account.
    async fn set_password(
        &self,
        user_id: &str,
        password_hash: &str,
        change: &PasswordChange,
        by: &str,
    ) -> Result<(), StoreError>;
    /// Disables (`true`) or re-enables an account, recording who did it. Disabling ends
    /// every session of the account, and `session_user` refuses a disabled account's
    /// sessions. `Conflict` if it would leave no enabled admin; `NotFound` for an
    /// unknown account; asking for the state it is in changes and records nothing.
    async fn set_user_disabled(
        &self,
        user_id: &str,
        disabled: bool,
        by: &str,
    ) -> Result<User, StoreError>;
    /// Makes the account an admin or a viewer, recording who did it. `Conflict` if it
    /// would leave no enabled admin; `NotFound` for an unknown account; its current
    /// role changes and records nothing.
    async fn set_user_role(&self, user_id: &str, role: Role, by: &str) -> Result<User, StoreError>;
    /// Ends every session of the account (its next request must sign in again) and
    /// records who did it; returns how many ended. `NotFound` for an unknown account.
    async fn end_user_sessions(&self, user_id: &str, by: &str) -> Result<u64, StoreError>;
    /// The account log, newest first, at most `limit` (1 to 1,000) lines.
    async fn account_changes(&self, limit: u32) -> Result<Vec<AccountChange>, StoreError>;

    // ---- operations ----

    /// The connection pools as they are now (for `/metrics`): SQLite has a writer and
    /// a reader pool, PostgreSQL one.
    fn pool_stats(&self) -> Vec<PoolStats>;
}
