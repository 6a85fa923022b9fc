//! The rows the store keeps, as the rest of Preflight sees them.

use policy::Verdict;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Timestamp;

/// A tenant: everything else belongs to exactly one project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    /// Events older than this many days are pruned (pinned traces excepted).
    pub retention_days: Option<i64>,
}

/// What is known about a key after it was shown: never the key itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    pub id: String,
    pub project_id: String,
    /// First 10 characters of the key, e.g. `jj_ab12cd3`.
    pub prefix: String,
    pub scope: KeyScope,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// What an API key may call. Each scope includes nothing it does not name: a `read`
/// key cannot send events, an `agent` key cannot read traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyScope {
    /// What the JamJet SDKs need: send events (JamJet wire and OTLP), read the
    /// project's policy rules, ask for approvals and poll its own.
    Agent,
    /// What an operator's script reads: traces, threads, audit, datasets, replay
    /// bundles, policy versions, approvals, simulations (running one included).
    Read,
    /// All of the project's `/v1`: also changing policies and datasets and deciding
    /// approvals.
    Admin,
}

impl KeyScope {
    pub const ALL: [KeyScope; 3] = [KeyScope::Agent, KeyScope::Read, KeyScope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Agent => "agent",
            KeyScope::Read => "read",
            KeyScope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<KeyScope> {
        KeyScope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for KeyScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key that authenticated: its project and what it may do there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyGrant {
    pub project: Project,
    pub scope: KeyScope,
}

/// A freshly created key. `key` is returned once and never stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub key: String,
    pub info: ApiKeyInfo,
}

/// One span as ingested. Identity is (project, `trace_id`, `span_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub kind: String,
    pub name: String,
    /// The name policy rules match against.
    pub tool: String,
    pub sequence: i64,
    /// The timestamp as the SDK sent it.
    pub timestamp: String,
    /// `timestamp` parsed, microseconds since the epoch.
    pub ts_micros: i64,
    pub status: String,
    pub verdict: Verdict,
    pub duration_ms: Option<f64>,
    pub model: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
    pub agent_name: Option<String>,
    pub session_id: Option<String>,
    pub environment: Option<String>,
    pub release_version: Option<String>,
    pub end_user_id: Option<String>,
    pub end_user_email: Option<String>,
    pub approval_id: Option<String>,
    pub originating_trace_id: Option<String>,
    pub originating_span_id: Option<String>,
    pub originating_agent_name: Option<String>,
    pub agent_card_uri: Option<String>,
    pub payload: Value,
}

impl StoredEvent {
    /// Whether the event belongs in the audit log (the rule is
    /// [`policy::policy_relevant`]); the store keeps it as a column so the log is an
    /// index range.
    pub fn policy_relevant(&self) -> bool {
        let has_decisions = match self.payload.get("policy_decisions") {
            None | Some(Value::Null) => false,
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        };
        policy::policy_relevant(&self.kind, self.verdict, has_decisions)
    }
}

/// A named set of pinned traces that drafts are replayed against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: Option<String>,
    pub item_count: i64,
    pub created_at: Timestamp,
    /// The membership's version: 1 when created, one more for each change of which
    /// traces it pins.
    pub version: i64,
}

/// What made a dataset version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetChangeKind {
    Created,
    Pinned,
    Unpinned,
    Imported,
}

impl DatasetChangeKind {
    pub const ALL: [DatasetChangeKind; 4] = [
        DatasetChangeKind::Created,
        DatasetChangeKind::Pinned,
        DatasetChangeKind::Unpinned,
        DatasetChangeKind::Imported,
    ];

    /// As stored (and as the migration's CHECK lists them).
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetChangeKind::Created => "created",
            DatasetChangeKind::Pinned => "pinned",
            DatasetChangeKind::Unpinned => "unpinned",
            DatasetChangeKind::Imported => "imported",
        }
    }

    pub fn parse(text: &str) -> Option<DatasetChangeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Who changes a dataset's membership, and how (pins from the dashboard or the API are
/// `Pinned`, `preflight dataset import` is `Imported`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipChange<'a> {
    pub kind: DatasetChangeKind,
    /// `key:<prefix>` or an account's email.
    pub author: &'a str,
}

/// Most trace ids a [`DatasetVersion`] lists of those it added or removed.
pub const VERSION_TRACE_LIST: usize = 20;

/// One version of a dataset's membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetVersion {
    pub dataset_id: String,
    pub version: i64,
    pub change: DatasetChangeKind,
    pub author: String,
    pub created_at: Timestamp,
    /// Traces this version added and removed.
    pub added: i64,
    pub removed: i64,
    /// Members once it was made.
    pub traces: i64,
    /// The first [`VERSION_TRACE_LIST`] traces it added, and removed.
    pub added_traces: Vec<String>,
    pub removed_traces: Vec<String>,
}

/// The members of one version of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetMembers {
    pub version: i64,
    pub trace_ids: Vec<String>,
}

/// An expectation kept on a dataset's pinned trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetExpectation {
    pub id: String,
    pub dataset_id: String,
    #[serde(flatten)]
    pub expectation: policy::Expectation,
    pub author: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetItem {
    pub trace_id: String,
    pub added_at: Timestamp,
    /// `None` if the trace has no events (any more).
    pub trace: Option<crate::TraceSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetDetail {
    pub dataset: Dataset,
    /// Oldest pin first: the page asked for (`dataset.item_count` counts them all).
    pub items: Vec<DatasetItem>,
    /// `Some` when more items follow this page: pass it back to read them.
    pub next_cursor: Option<String>,
}

/// What `add_dataset_items` did with each requested trace id (deduplicated, in the
/// order first given).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AddItemsOutcome {
    pub added: Vec<String>,
    pub already_present: Vec<String>,
    /// No events with this trace id in the project.
    pub unknown: Vec<String>,
}

/// One saved rule set. Version 0 is the implicit empty set of a new project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub version: i64,
    pub precedence: String,
    /// The array of rule objects, as given.
    pub rules: Value,
    pub author: String,
    pub created_at: Timestamp,
    pub message: Option<String>,
}

/// A kept replay run, served back by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub id: String,
    pub project_id: String,
    pub created_at: Timestamp,
    pub request: Value,
    pub summary: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub id: String,
    pub project_id: String,
    pub action: String,
    pub context: Value,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    /// Who asked (`key:<prefix>` or an account's email); `None` for approvals made
    /// before this was recorded.
    pub requested_by: Option<String>,
    pub decided_by: Option<String>,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// The result of deciding an approval: only the first decision counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DecideOutcome {
    Decided(Approval),
    /// Someone decided first; this is their decision, unchanged.
    AlreadyDecided(Approval),
}

/// One rollup row that disagrees with the events it counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollupDrift {
    pub hour_micros: i64,
    pub kind: String,
    pub tool: String,
    pub agent: Option<String>,
    pub verdict: String,
    /// What the events say (`None`: no events, yet a row is stored).
    pub expected_events: Option<i64>,
    pub expected_cost_usd: Option<f64>,
    /// What the rollup row says (`None`: events, but no row).
    pub stored_events: Option<i64>,
    pub stored_cost_usd: Option<f64>,
}

/// The calls (tool, LLM and MCP) of one UTC hour with one recorded verdict, from the
/// hourly rollups (the home page's chart and totals).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourlyCalls {
    pub hour_micros: i64,
    pub verdict: policy::Verdict,
    pub events: u64,
    pub cost_usd: f64,
}

/// One connection pool's usage, as `/metrics` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolStats {
    /// `writer` / `reader` (SQLite) or `main` (PostgreSQL).
    pub pool: &'static str,
    /// Open connections, busy or idle.
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// What a dashboard account may do: admins change things and see every project;
/// viewers read the projects they are members of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// A dashboard account (never its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: Timestamp,
    /// Projects the user is a member of (admins see every project regardless).
    pub projects: Vec<String>,
    /// When an admin disabled the account: it cannot sign in and has no sessions.
    pub disabled_at: Option<Timestamp>,
}

impl User {
    pub fn can_see(&self, project_id: &str) -> bool {
        self.role == Role::Admin || self.projects.iter().any(|p| p == project_id)
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// How an account's password is replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// Its owner changed it: the session that made the change (the SHA-256 of its
    /// token) stays signed in, every other session of the account ends.
    Own { keep_session: String },
    /// An admin set a new one: every session of the account ends.
    Reset,
}

/// One change to an account, as the account log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountChangeKind {
    PasswordChanged,
    PasswordReset,
    Disabled,
    Enabled,
    SessionsEnded,
    MadeAdmin,
    MadeViewer,
}

impl AccountChangeKind {
    pub const ALL: [AccountChangeKind; 7] = [
        AccountChangeKind::PasswordChanged,
        AccountChangeKind::PasswordReset,
        AccountChangeKind::Disabled,
        AccountChangeKind::Enabled,
        AccountChangeKind::SessionsEnded,
        AccountChangeKind::MadeAdmin,
        AccountChangeKind::MadeViewer,
    ];

    /// As stored (and as the migration's CHECK lists them).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountChangeKind::PasswordChanged => "password_changed",
            AccountChangeKind::PasswordReset => "password_reset",
            AccountChangeKind::Disabled => "disabled",
            AccountChangeKind::Enabled => "enabled",
            AccountChangeKind::SessionsEnded => "sessions_ended",
            AccountChangeKind::MadeAdmin => "made_admin",
            AccountChangeKind::MadeViewer => "made_viewer",
        }
    }

    pub fn parse(text: &str) -> Option<AccountChangeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Who changed which account, how and when (newest first in `Store::account_changes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountChange {
    pub user_id: String,
    /// The changed account's email.
    pub email: String,
    pub kind: AccountChangeKind,
    /// The email of the account that made the change.
    pub changed_by: String,
    pub changed_at: Timestamp,
}

/// What a recorded project change was (`project_changes.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectChangeKind {
    DatasetCreated,
    DatasetRenamed,
    DatasetDeleted,
    TracesPinned,
    TraceUnpinned,
    PolicySaved,
    ApprovalRequested,
    ApprovalDecided,
    KeyCreated,
    KeyRevoked,
    ProjectRenamed,
    RetentionSet,
    ExpectationSet,
    ExpectationRemoved,
}

impl ProjectChangeKind {
    pub const ALL: [ProjectChangeKind; 14] = [
        ProjectChangeKind::DatasetCreated,
        ProjectChangeKind::DatasetRenamed,
        ProjectChangeKind::DatasetDeleted,
        ProjectChangeKind::TracesPinned,
        ProjectChangeKind::TraceUnpinned,
        ProjectChangeKind::PolicySaved,
        ProjectChangeKind::ApprovalRequested,
        ProjectChangeKind::ApprovalDecided,
        ProjectChangeKind::KeyCreated,
        ProjectChangeKind::KeyRevoked,
        ProjectChangeKind::ProjectRenamed,
        ProjectChangeKind::RetentionSet,
        ProjectChangeKind::ExpectationSet,
        ProjectChangeKind::ExpectationRemoved,
    ];

    /// As stored (and as the migration's CHECK lists them).
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectChangeKind::DatasetCreated => "dataset_created",
            ProjectChangeKind::DatasetRenamed => "dataset_renamed",
            ProjectChangeKind::DatasetDeleted => "dataset_deleted",
            ProjectChangeKind::TracesPinned => "traces_pinned",
            ProjectChangeKind::TraceUnpinned => "trace_unpinned",
            ProjectChangeKind::PolicySaved => "policy_saved",
            ProjectChangeKind::ApprovalRequested => "approval_requested",
            ProjectChangeKind::ApprovalDecided => "approval_decided",
            ProjectChangeKind::KeyCreated => "key_created",
            ProjectChangeKind::KeyRevoked => "key_revoked",
            ProjectChangeKind::ProjectRenamed => "project_renamed",
            ProjectChangeKind::RetentionSet => "retention_set",
            ProjectChangeKind::ExpectationSet => "expectation_set",
            ProjectChangeKind::ExpectationRemoved => "expectation_removed",
        }
    }

    pub fn parse(text: &str) -> Option<ProjectChangeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One change to a project, with who made it (newest first in `Store::project_changes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectChange {
    /// Increasing in the order changes were recorded: the cursor of older pages.
    pub id: i64,
    /// `key:<prefix>` or an account's email.
    pub actor: String,
    pub kind: ProjectChangeKind,
    /// What was changed: a dataset, version, approval, key prefix or project.
    pub subject: String,
    pub detail: Option<String>,
    pub changed_at: Timestamp,
}
