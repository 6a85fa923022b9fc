//! Policies: the editor (`/dashboard/policies`) and the simulator
//! (`/dashboard/policies/simulate`). This module holds what both use: a saved version
//! as rows, the simulator's scopes, the events of a scope for the browser preview
//! ([`get_scope_events`]) and the authoritative run kept under a permalink
//! ([`run_policy_simulation`], the same batch run as `POST /v1/policy/simulate*`).
//! The logic is in [`rules`], [`diff`] and [`replay`]; the pages in [`editor`] and
//! [`simulator`].
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use policy::{Precedence, Rule, SimulationSummary};
use serde::{Deserialize, Serialize};

use crate::simulations::{DraftProblem, PreviewEvents};

pub mod diff;

/// Said wherever `require_approval` rules are judged: Preflight reports the calls they
/// match as held (the governance reading), but not every SDK enforces them.
pub const REQUIRE_APPROVAL_NOTE: &str = "Calls a require_approval rule matches are reported as held. \
     The JamJet Python SDK holds them for approval; the TypeScript Cloud SDK does not gate calls on \
     the declarative rule (only requireApproval() in code does), so there they run unless your code asks.";
pub mod editor;
pub mod replay;
pub mod rules;
pub mod simulator;

/// One saved version, its rules as rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i64,
    /// As stored (the store keeps the text); `last_match` when it is unreadable.
    pub precedence: Precedence,
    pub author: String,
    pub created_micros: i64,
    pub message: Option<String>,
    pub rules: Vec<Rule>,
    /// The stored rules could not be read back (shown rather than hidden).
    pub unreadable: Option<String>,
}

/// What the simulator replays: a dataset, or a time window ending now.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SimScope {
    Dataset(String),
    Window(policy::TimeWindow),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RunOutcome {
    Ran {
        id: String,
        summary: SimulationSummary,
    },
    Invalid(Vec<DraftProblem>),
}

#[cfg(feature = "ssr")]
pub(crate) mod support {
    use super::{SimScope, VersionRow};

    /// A stored version as rows; rules that cannot be read back are reported, not hidden.
    pub fn version_row(v: &store::PolicyVersion) -> VersionRow {
        let (rules, unreadable) = match service::policies::stored_rule_set(v) {
            Ok(set) => (set.rules, None),
            Err(e) => (Vec::new(), Some(policy::join_errors(&e))),
        };
        VersionRow {
            version: v.version,
            precedence: service::policies::precedence_of(v),
            author: v.author.clone(),
            created_micros: v.created_at.micros(),
            message: v.message.clone(),
            rules,
            unreadable,
        }
    }

    /// The service's scope for the simulator's choice (a window ends now).
    pub fn scope(scope: SimScope) -> service::simulation::Scope {
        match scope {
            SimScope::Dataset(id) => service::simulation::Scope::dataset(id),
            SimScope::Window(window) => {
                service::simulation::Scope::window(window, store::now_micros())
            }
        }
    }
}

/// A scope's events for the in-browser preview: the same stream the server's run
/// reads (`service::simulation::preview_events`).
#[server(prefix = "/api/read", input = Json)]
pub async fn get_scope_events(
    project: Option<String>,
    scope: SimScope,
) -> Result<PreviewEvents, ServerFnError> {
    let ctx = crate::support::require(project).await?;
    crate::simulations::preview_events(&ctx, support::scope(scope)).await
}

/// The authoritative run of a draft over a scope, kept under a permalink. A single
/// rule is layered over the recorded verdicts; a whole rule set is compared with the
/// active policy's verdicts (baseline `active_policy`).
#[server(prefix = "/api/read", input = Json)]
pub async fn run_policy_simulation(
    project: Option<String>,
    scope: SimScope,
    draft: String,
) -> Result<RunOutcome, ServerFnError> {
    use crate::simulations::{problems, run};
    let ctx = crate::support::require(project).await?;
    let draft = match policy::Draft::from_text(&draft) {
        Ok(draft) => draft,
        Err(errors) => return Ok(RunOutcome::Invalid(problems(errors))),
    };
    let baseline = draft.default_baseline();
    Ok(
        match run(&ctx, &draft, baseline, support::scope(scope)).await? {
            Ok(saved) => RunOutcome::Ran {
                id: saved.id,
                summary: saved.summary,
            },
            Err(problems) => RunOutcome::Invalid(problems),
        },
    )
}
