//! `Store` for `SqlStore<B>`: each method delegates to its concern's module.

use futures::stream::BoxStream;
use serde_json::Value;

use super::{
    accounts, approvals, audit, changes, datasets, events, keys, policies, projects, prune,
    rollups, scan, simulations, threads, traces, Backend, SqlStore,
};
use crate::{
    AddItemsOutcome, ApiKeyInfo, Approval, AuditFilter, AuditPage, Dataset, DatasetDetail,
    DatasetExpectation, DatasetMembers, DatasetVersion, DecideOutcome, EventScan, HourlyCalls,
    KeyGrant, KeyScope, MembershipChange, NewApiKey, Page, PageRequest, PolicyVersion, Project,
    RollupDrift, Simulation, Store, StoreError, StoredEvent, ThreadFilter, ThreadPage,
    ThreadSummary, TraceFilter, TracePage, TraceSummary,
};

#[async_trait::async_trait]
impl<B: Backend> Store for SqlStore<B> {
    async fn create_project(&self, name: &str) -> Result<Project, StoreError> {
        projects::create(&self.backend, name).await
    }
    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        projects::list(&self.backend).await
    }
    async fn project(&self, id: &str) -> Result<Project, StoreError> {
        projects::get(&self.backend, id).await
    }
    async fn project_by_name(&self, name: &str) -> Result<Option<Project>, StoreError> {
        projects::by_name(&self.backend, name).await
    }
    async fn rename_project(&self, id: &str, name: &str) -> Result<Project, StoreError> {
        projects::rename(&self.backend, id, name).await
    }
    async fn set_retention(&self, id: &str, days: Option<i64>) -> Result<Project, StoreError> {
        projects::set_retention(&self.backend, id, days).await
    }

    async fn create_api_key(
        &self,
        project_id: &str,
        scope: KeyScope,
    ) -> Result<NewApiKey, StoreError> {
        keys::create(&self.backend, project_id, scope).await
    }
    async fn list_api_keys(&self, project_id: &str) -> Result<Vec<ApiKeyInfo>, StoreError> {
        keys::list(&self.backend, project_id).await
    }
    async fn revoke_api_key(&self, project_id: &str, key_id: &str) -> Result<bool, StoreError> {
        keys::revoke(&self.backend, project_id, key_id).await
    }
    async fn authenticate(&self, key: &str) -> Result<Option<KeyGrant>, StoreError> {
        keys::authenticate(&self.backend, key).await
    }

    async fn upsert_events(
        &self,
        project_id: &str,
        events: &[StoredEvent],
    ) -> Result<u64, StoreError> {
        events::upsert(&self.backend, project_id, events).await
    }
    async fn list_traces(
        &self,
        project_id: &str,
        filter: &TraceFilter,
    ) -> Result<TracePage, StoreError> {
        traces::list(&self.backend, project_id, filter).await
    }
    async fn trace_events(
        &self,
        project_id: &str,
        trace_id: &str,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        traces::events(&self.backend, project_id, trace_id).await
    }
    async fn trace_events_page(
        &self,
        project_id: &str,
        trace_id: &str,
        page: &PageRequest,
    ) -> Result<Page<StoredEvent>, StoreError> {
        traces::events_page(&self.backend, project_id, trace_id, page).await
    }
    async fn span_event(
        &self,
        project_id: &str,
        trace_id: &str,
        span_id: &str,
    ) -> Result<Option<StoredEvent>, StoreError> {
        traces::span(&self.backend, project_id, trace_id, span_id).await
    }
    async fn trace_summaries(
        &self,
        project_id: &str,
        trace_ids: &[String],
    ) -> Result<Vec<TraceSummary>, StoreError> {
        traces::summaries(&self.backend, project_id, trace_ids).await
    }
    async fn list_threads(
        &self,
        project_id: &str,
        filter: &ThreadFilter,
    ) -> Result<ThreadPage, StoreError> {
        threads::list(&self.backend, project_id, filter).await
    }
    async fn thread(
        &self,
        project_id: &str,
        session_id: &str,
    ) -> Result<Option<(ThreadSummary, Vec<TraceSummary>)>, StoreError> {
        threads::get(&self.backend, project_id, session_id).await
    }
    async fn audit(&self, project_id: &str, filter: &AuditFilter) -> Result<AuditPage, StoreError> {
        audit::page(&self.backend, project_id, filter).await
    }
    async fn audit_counts_by_kind(
        &self,
        project_id: &str,
    ) -> Result<std::collections::BTreeMap<String, crate::VerdictCounts>, StoreError> {
        audit::counts_by_kind(&self.backend, project_id).await
    }
    fn scan_events<'a>(
        &'a self,
        project_id: &'a str,
        scan: EventScan,
    ) -> BoxStream<'a, Result<policy::Event, StoreError>> {
        self.backend.scan_events(project_id, scan)
    }
    async fn reviewed_events(
        &self,
        project_id: &str,
        scan: EventScan,
    ) -> Result<Vec<(String, String, policy::Review)>, StoreError> {
        scan::reviews(&self.backend, project_id, &scan).await
    }
    async fn seen_calls(
        &self,
        project_id: &str,
        since_micros: i64,
        limit: usize,
    ) -> Result<Vec<policy::SeenCall>, StoreError> {
        scan::seen_calls(&self.backend, project_id, since_micros, limit).await
    }
    async fn hourly_calls(
        &self,
        project_id: &str,
        since_micros: i64,
    ) -> Result<Vec<HourlyCalls>, StoreError> {
        scan::hourly_calls(&self.backend, project_id, since_micros).await
    }
    async fn top_tools(
        &self,
        project_id: &str,
        since_micros: i64,
        verdict: policy::Verdict,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        scan::top_tools(&self.backend, project_id, since_micros, verdict, limit).await
    }
    async fn rollup_drift(&self, project_id: &str) -> Result<Vec<RollupDrift>, StoreError> {
        rollups::drift(&self.backend, project_id).await
    }
    async fn rebuild_rollups(&self, project_id: &str) -> Result<u64, StoreError> {
        rollups::rebuild(&self.backend, project_id).await
    }
    async fn count_events(&self, project_id: &str, scan: EventScan) -> Result<u64, StoreError> {
        scan::count(&self.backend, project_id, &scan).await
    }

    async fn create_dataset(
        &self,
        project_id: &str,
        name: &str,
        description: Option<&str>,
        author: &str,
    ) -> Result<Dataset, StoreError> {
        datasets::create(&self.backend, project_id, name, description, author).await
    }
    async fn list_datasets(
        &self,
        project_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Dataset>, StoreError> {
        datasets::list(&self.backend, project_id, page).await
    }
    async fn dataset(
        &self,
        project_id: &str,
        id: &str,
        items: &PageRequest,
    ) -> Result<DatasetDetail, StoreError> {
        datasets::get(&self.backend, project_id, id, items).await
    }
    async fn dataset_by_name(
        &self,
        project_id: &str,
        name: &str,
    ) -> Result<Option<Dataset>, StoreError> {
        datasets::by_name(&self.backend, project_id, name).await
    }
    async fn rename_dataset(
        &self,
        project_id: &str,
        id: &str,
        name: &str,
    ) -> Result<Dataset, StoreError> {
        datasets::rename(&self.backend, project_id, id, name).await
    }
    async fn delete_dataset(&self, project_id: &str, id: &str) -> Result<(), StoreError> {
        datasets::delete(&self.backend, project_id, id).await
    }
    async fn add_dataset_items(
        &self,
        project_id: &str,
        id: &str,
        trace_ids: &[String],
        change: MembershipChange<'_>,
    ) -> Result<AddItemsOutcome, StoreError> {
        datasets::add_items(&self.backend, project_id, id, trace_ids, change).await
    }
    async fn remove_dataset_item(
        &self,
        project_id: &str,
        id: &str,
        trace_id: &str,
        author: &str,
    ) -> Result<bool, StoreError> {
        datasets::remove_item(&self.backend, project_id, id, trace_id, author).await
    }
    async fn dataset_versions(
        &self,
        project_id: &str,
        id: &str,
        page: &PageRequest,
    ) -> Result<Page<DatasetVersion>, StoreError> {
        datasets::versions(&self.backend, project_id, id, page).await
    }
    async fn dataset_members(
        &self,
        project_id: &str,
        id: &str,
        version: Option<i64>,
    ) -> Result<DatasetMembers, StoreError> {
        datasets::members(&self.backend, project_id, id, version).await
    }
    async fn set_dataset_expectation(
        &self,
        project_id: &str,
        id: &str,
        expectation: &policy::Expectation,
        author: &str,
    ) -> Result<DatasetExpectation, StoreError> {
        datasets::set_expectation(&self.backend, project_id, id, expectation, author).await
    }
    async fn remove_dataset_expectation(
        &self,
        project_id: &str,
        id: &str,
        expectation_id: &str,
    ) -> Result<bool, StoreError> {
        datasets::remove_expectation(&self.backend, project_id, id, expectation_id).await
    }
    async fn dataset_expectations(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Vec<DatasetExpectation>, StoreError> {
        datasets::expectations(&self.backend, project_id, id).await
    }

    async fn active_policy(&self, project_id: &str) -> Result<PolicyVersion, StoreError> {
        policies::active(&self.backend, project_id).await
    }
    async fn save_policy(
        &self,
        project_id: &str,
        precedence: &str,
        rules: Value,
        author: &str,
        message: Option<&str>,
    ) -> Result<PolicyVersion, StoreError> {
        policies::save(
            &self.backend,
            project_id,
            precedence,
            &rules,
            author,
            message,
        )
        .await
    }
    async fn save_policy_on(
        &self,
        project_id: &str,
        base: i64,
        precedence: &str,
        rules: Value,
        author: &str,
        message: Option<&str>,
    ) -> Result<PolicyVersion, StoreError> {
        policies::save_on(
            &self.backend,
            project_id,
            base,
            precedence,
            &rules,
            author,
            message,
        )
        .await
    }
    async fn policy_versions(
        &self,
        project_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PolicyVersion>, StoreError> {
        policies::versions(&self.backend, project_id, page).await
    }
    async fn policy_version(
        &self,
        project_id: &str,
        version: i64,
    ) -> Result<Option<PolicyVersion>, StoreError> {
        policies::version(&self.backend, project_id, version).await
    }

    async fn save_simulation(
        &self,
        project_id: &str,
        request: Value,
        summary: Value,
    ) -> Result<Simulation, StoreError> {
        simulations::save(&self.backend, project_id, request, summary).await
    }
    async fn simulation(&self, project_id: &str, id: &str) -> Result<Simulation, StoreError> {
        simulations::get(&self.backend, project_id, id).await
    }

    async fn create_approval(
        &self,
        project_id: &str,
        action: &str,
        context: Value,
        requested_by: &str,
    ) -> Result<Approval, StoreError> {
        approvals::create(&self.backend, project_id, action, context, requested_by).await
    }
    async fn record_change(
        &self,
        project_id: &str,
        actor: &str,
        kind: crate::ProjectChangeKind,
        subject: &str,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        changes::record(&self.backend, project_id, actor, kind, subject, detail).await
    }
    async fn project_changes(
        &self,
        project_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<crate::ProjectChange>, StoreError> {
        changes::list(&self.backend, project_id, before, limit).await
    }
    async fn approval(&self, project_id: &str, id: &str) -> Result<Approval, StoreError> {
        approvals::get(&self.backend, project_id, id).await
    }
    async fn list_approvals(
        &self,
        project_id: &str,
        status: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Approval>, StoreError> {
        approvals::list(&self.backend, project_id, status, page).await
    }
    async fn count_approvals(
        &self,
        project_id: &str,
        status: Option<&str>,
    ) -> Result<u64, StoreError> {
        approvals::count(&self.backend, project_id, status).await
    }
    async fn decide_approval(
        &self,
        project_id: &str,
        id: &str,
        decision: &str,
        reason: Option<&str>,
        decided_by: &str,
    ) -> Result<DecideOutcome, StoreError> {
        approvals::decide(&self.backend, project_id, id, decision, reason, decided_by).await
    }

    async fn prune(&self, now_micros: i64, default_days: Option<i64>) -> Result<u64, StoreError> {
        prune::prune(&self.backend, now_micros, default_days).await
    }

    fn pool_stats(&self) -> Vec<crate::PoolStats> {
        self.backend.pool_stats()
    }

    async fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        role: crate::Role,
    ) -> Result<crate::User, StoreError> {
        accounts::create_user(&self.backend, email, password_hash, role).await
    }
    async fn list_users(&self) -> Result<Vec<crate::User>, StoreError> {
        accounts::list_users(&self.backend).await
    }
    async fn user_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(crate::User, String)>, StoreError> {
        accounts::credentials(&self.backend, email).await
    }
    async fn add_member(&self, user_id: &str, project_id: &str) -> Result<(), StoreError> {
        accounts::add_member(&self.backend, user_id, project_id).await
    }
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at_micros: i64,
    ) -> Result<(), StoreError> {
        accounts::create_session(&self.backend, token_hash, user_id, expires_at_micros).await
    }
    async fn session_user(
        &self,
        token_hash: &str,
        now_micros: i64,
    ) -> Result<Option<crate::User>, StoreError> {
        accounts::session_user(&self.backend, token_hash, now_micros).await
    }
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        accounts::delete_session(&self.backend, token_hash).await
    }
    async fn user(&self, user_id: &str) -> Result<crate::User, StoreError> {
        accounts::user(&self.backend, user_id).await
    }
    async fn set_password(
        &self,
        user_id: &str,
        password_hash: &str,
        change: &crate::PasswordChange,
        by: &str,
    ) -> Result<(), StoreError> {
        accounts::set_password(&self.backend, user_id, password_hash, change, by).await
    }
    async fn set_user_disabled(
        &self,
        user_id: &str,
        disabled: bool,
        by: &str,
    ) -> Result<crate::User, StoreError> {
        accounts::set_disabled(&self.backend, user_id, disabled, by).await
    }
    async fn set_user_role(
        &self,
        user_id: &str,
        role: crate::Role,
        by: &str,
    ) -> Result<crate::User, StoreError> {
        accounts::set_role(&self.backend, user_id, role, by).await
    }
    async fn end_user_sessions(&self, user_id: &str, by: &str) -> Result<u64, StoreError> {
        accounts::end_sessions(&self.backend, user_id, by).await
    }
    async fn account_changes(&self, limit: u32) -> Result<Vec<crate::AccountChange>, StoreError> {
        accounts::account_changes(&self.backend, limit).await
    }
}
