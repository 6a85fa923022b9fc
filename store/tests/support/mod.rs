//! Shared by the test binaries: a fresh store per test, and event builders.
#![allow(dead_code)]

use std::sync::Arc;

use policy::Verdict;
use serde_json::json;
use store::{Store, StoreOptions, StoredEvent};

/// One test's database; `finish` removes it.
pub struct Env {
    pub store: Arc<dyn Store>,
    pub url: String,
    pub postgres: bool,
}

impl Env {
    pub async fn sqlite() -> Env {
        let url = store::testing::fresh_sqlite_url();
        let store = store::open(&url, StoreOptions::default())
            .await
            .expect("open sqlite");
        Env {
            store,
            url,
            postgres: false,
        }
    }

    pub async fn postgres() -> Env {
        let url = store::testing::fresh_postgres_url().await;
        let store = store::open(&url, StoreOptions::default())
            .await
            .expect("open postgres");
        Env {
            store,
            url,
            postgres: true,
        }
    }

    pub async fn finish(self) {
        drop(self.store);
        if self.postgres {
            store::testing::drop_postgres_database(&self.url).await;
        } else {
            store::testing::remove_sqlite(&self.url);
        }
    }
}

/// 2025-01-01T00:00:00Z in microseconds.
pub const T0: i64 = 1_735_689_600_000_000;
pub const SEC: i64 = 1_000_000;
pub const DAY: i64 = 86_400 * SEC;

pub fn iso(micros: i64) -> String {
    store::Timestamp(micros).to_rfc3339()
}

/// A successful tool call at `T0 + at_secs`.
pub fn ev(trace: &str, span: &str, at_secs: i64) -> StoredEvent {
    let ts = T0 + at_secs * SEC;
    StoredEvent {
        trace_id: trace.to_string(),
        span_id: span.to_string(),
        parent_span_id: None,
        kind: "tool_call".to_string(),
        name: format!("tool.{span}"),
        tool: format!("tool.{span}"),
        sequence: 0,
        timestamp: iso(ts),
        ts_micros: ts,
        status: "ok".to_string(),
        verdict: Verdict::Allowed,
        duration_ms: None,
        model: None,
        input_tokens: None,
        output_tokens: None,
        cost_usd: None,
        agent_name: None,
        session_id: None,
        environment: None,
        release_version: None,
        end_user_id: None,
        end_user_email: None,
        approval_id: None,
        originating_trace_id: None,
        originating_span_id: None,
        originating_agent_name: None,
        agent_card_uri: None,
        payload: json!({}),
    }
}

/// Builder-style tweaks.
pub trait EventExt {
    fn kind(self, kind: &str) -> Self;
    fn tool(self, tool: &str) -> Self;
    fn agent(self, agent: &str) -> Self;
    fn session(self, session: &str) -> Self;
    fn cost(self, cost: f64) -> Self;
    fn duration(self, ms: f64) -> Self;
    fn verdict(self, verdict: Verdict) -> Self;
    fn status(self, status: &str) -> Self;
    fn seq(self, sequence: i64) -> Self;
}

impl EventExt for StoredEvent {
    fn kind(mut self, kind: &str) -> Self {
        self.kind = kind.to_string();
        self
    }
    fn tool(mut self, tool: &str) -> Self {
        self.name = tool.to_string();
        self.tool = tool.to_string();
        self
    }
    fn agent(mut self, agent: &str) -> Self {
        self.agent_name = Some(agent.to_string());
        self
    }
    fn session(mut self, session: &str) -> Self {
        self.session_id = Some(session.to_string());
        self
    }
    fn cost(mut self, cost: f64) -> Self {
        self.cost_usd = Some(cost);
        self
    }
    fn duration(mut self, ms: f64) -> Self {
        self.duration_ms = Some(ms);
        self
    }
    fn verdict(mut self, verdict: Verdict) -> Self {
        self.verdict = verdict;
        self
    }
    fn status(mut self, status: &str) -> Self {
        self.status = status.to_string();
        self
    }
    fn seq(mut self, sequence: i64) -> Self {
        self.sequence = sequence;
        self
    }
}

pub fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A membership change as the dashboard makes it, by a test author.
pub const PIN: store::MembershipChange<'static> = store::MembershipChange {
    kind: store::DatasetChangeKind::Pinned,
    author: "test",
};
