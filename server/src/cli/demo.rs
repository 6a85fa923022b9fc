//! The demo project: realistic traces so a newcomer's first run shows a living
//! dashboard. Several agents, multi-turn sessions, tool and model calls with policy
//! decisions as child spans, every verdict, approvals and two datasets. Timestamps are
//! relative to now. Events go through the REST ingest's decoding
//! (`service::ingest::decode_event`) and `Store::upsert_events`, exactly like SDK batches.
use serde_json::{json, Map, Value};

/// The demo project's name.
pub const DEMO_PROJECT: &str = "demo";
/// Who made the demo's datasets, as their versions record it.
const DEMO_AUTHOR: &str = "demo";

/// What `load` created.
#[derive(Debug)]
pub struct DemoSummary {
    pub project: store::Project,
    /// Shown once; only its hash is stored.
    pub api_key: String,
    pub traces: usize,
    pub events: usize,
    pub datasets: Vec<store::Dataset>,
}

/// A call held for approval in the demo data; `load` files an approval for each.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldCall {
    pub event_index: usize,
    pub tool: String,
    pub context: Value,
}

/// The generated wire events, and which traces go into which dataset.
#[derive(Debug, Clone)]
pub struct DemoData {
    pub events: Vec<Value>,
    pub held: Vec<HeldCall>,
    /// Traces that call `payments.refund`.
    pub refund_traces: Vec<String>,
    /// Traces that call `shell.exec` or `wire_transfer`.
    pub risky_traces: Vec<String>,
}

/// splitmix64: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(len);
        s
    }
}

fn rfc3339(micros: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_default()
}

/// Model prices, dollars per million tokens (input, output).
fn price(model: &str) -> (f64, f64) {
    match model {
        "openai.gpt-4o-mini" => (0.15, 0.60),
        "openai.gpt-4o" => (2.50, 10.0),
        "anthropic.claude-sonnet" => (3.0, 15.0),
        _ => (1.0, 1.0),
    }
}

/// One trace being written: a clock that moves forward as spans are added.
struct Trace<'g> {
    gen: &'g mut Gen,
    trace_id: String,
    agent: String,
    session: Option<String>,
    user: (String, String),
    clock: i64,
    seq: i64,
    first_event: usize,
}

impl Trace<'_> {
    fn span(
        &mut self,
        kind: &str,
        name: &str,
        parent: Option<&str>,
        duration_ms: i64,
        status: &str,
        extra: Value,
    ) -> String {
        let span_id = self.gen.rng.hex(16);
        self.seq += 1;
        let mut event = json!({
            "type": "span",
            "trace_id": self.trace_id,
            "span_id": span_id,
            "parent_span_id": parent,
            "kind": kind,
            "name": name,
            "sequence": self.seq,
            "timestamp": rfc3339(self.clock),
            "status": status,
            "duration_ms": duration_ms,
            "agent_name": self.agent,
            "session_id": self.session,
            "environment": "production",
            "release_version": "2025.11.3",
            "end_user_id": self.user.0,
            "end_user_email": self.user.1,
        });
        if let (Some(obj), Value::Object(more)) = (event.as_object_mut(), extra) {
            obj.extend(more);
        }
        self.gen.events.push(event);
        span_id
    }

    fn advance(&mut self, ms: i64) {
        self.clock += ms * 1000;
    }

    /// An LLM call with tokens and the cost they imply.
    fn llm(&mut self, parent: &str, model: &str, purpose: &str, status: &str) -> String {
        let input = self.gen.rng.range(350, 3200);
        let output = self.gen.rng.range(40, 650);
        let (pi, po) = price(model);
        let cost = (input as f64 * pi + output as f64 * po) / 1_000_000.0;
        let duration = self.gen.rng.range(350, 2400);
        let extra = json!({
            "model": model,
            "input_tokens": input,
            "output_tokens": output,
            "cost_usd": (cost * 1e6).round() / 1e6,
            "payload": {"purpose": purpose, "temperature": 0.2, "finish_reason": if status == "ok" { "stop" } else { "error" }},
        });
        self.advance(15);
        let id = self.span("llm_call", model, Some(parent), duration, status, extra);
        self.advance(duration);
        id
    }

    /// A tool call, preceded by the policy decision that let it through (or not), which
    /// is recorded as the call's child span.
    #[allow(clippy::too_many_arguments)]
    fn tool(
        &mut self,
        parent: &str,
        kind: &str,
        tool: &str,
        args: Value,
        decision: &str,
        pattern: Option<&str>,
        status: &str,
        cost: Option<f64>,
        mut payload_extra: Map<String, Value>,
    ) -> String {
        let duration = self.gen.rng.range(40, 900);
        let mut payload = Map::new();
        payload.insert("tool".into(), json!(tool));
        payload.insert("arguments".into(), args);
        payload.append(&mut payload_extra);
        let mut extra = json!({ "payload": payload });
        if let Some(c) = cost {
            extra["cost_usd"] = json!(c);
        }
        if decision == "block" {
            extra["policy_decisions"] =
                json!([{"policy_kind": "block", "tool_name": tool, "pattern": pattern}]);
        }
        self.advance(20);
        let call_index = self.gen.events.len();
        let call = self.span(kind, tool, Some(parent), duration, status, extra);
        let decision_status = match decision {
            "block" => "blocked",
            "require_approval" => "held",
            _ => "ok",
        };
        self.advance(1);
        self.span(
            "policy_decision",
            "policy.check",
            Some(&call),
            2,
            decision_status,
            json!({"payload": {"tool_name": tool, "policy_kind": decision, "pattern": pattern, "decision": decision_status}}),
        );
        // What the JamJet SDK records beside a call: the budget check of a call that
        // costs money, and the approval request of a held one.
        if let Some(c) = cost {
            self.span(
                "budget_check",
                "budget.check",
                Some(&call),
                1,
                "ok",
                json!({"payload": {"tool_name": tool, "cost_usd": c, "budget_remaining_usd": 250.0}}),
            );
        }
        if status == "pending_approval" {
            self.span(
                "approval",
                "approval.request",
                Some(&call),
                1,
                "pending",
                json!({"payload": {"tool_name": tool, "reason": "require_approval rule matched"}}),
            );
            self.gen.held.push(HeldCall {
                event_index: call_index,
                tool: tool.to_string(),
                context: json!({"trace_id": self.trace_id, "tool": tool, "agent": self.agent, "arguments": self.gen.events[call_index]["payload"]["arguments"]}),
            });
        }
        self.advance(duration);
        call
    }
}

struct Gen {
    rng: Rng,
    events: Vec<Value>,
    held: Vec<HeldCall>,
    refund_traces: Vec<String>,
    risky_traces: Vec<String>,
}

const CUSTOMERS: [(&str, &str); 6] = [
    ("cus_8f21", "maria.lopez@example.com"),
    ("cus_1a9c", "j.okafor@example.com"),
    ("cus_77d0", "chen.wei@example.com"),
    ("cus_4b12", "sam.taylor@example.com"),
    ("cus_93ee", "ana.silva@example.com"),
    ("cus_0c55", "lee.kim@example.com"),
];

#[derive(Clone, Copy)]
enum Turn {
    Lookup,
    RefundSmall,
    RefundLarge,
    EmailRedacted,
    Invoice,
    WireBlocked,
    Deploy,
    ShellBlocked,
    ShellHeld,
    MigrationError,
    Research,
    RateLimited,
}

impl Gen {
    fn trace(
        &mut self,
        agent: &str,
        session: Option<&str>,
        start: i64,
        customer: usize,
    ) -> Trace<'_> {
        let trace_id = self.rng.hex(32);
        let (id, email) = CUSTOMERS[customer % CUSTOMERS.len()];
        let first_event = self.events.len();
        Trace {
            gen: self,
            trace_id,
            agent: agent.to_string(),
            session: session.map(str::to_string),
            user: (id.to_string(), email.to_string()),
            clock: start,
            seq: 0,
            first_event,
        }
    }

    /// Writes one turn; returns its trace id and when it ended.
    fn turn(
        &mut self,
        agent: &str,
        session: Option<&str>,
        start: i64,
        customer: usize,
        kind: Turn,
    ) -> (String, i64) {
        let mut t = self.trace(agent, session, start, customer);
        let root = t.span(
            "agent_call",
            &format!("{agent}.turn"),
            None,
            0,
            "ok",
            json!({"payload": {"input": turn_prompt(kind)}}),
        );
        t.llm(&root, "openai.gpt-4o-mini", "plan", "ok");
        let mut refund = false;
        let mut risky = false;
        match kind {
            Turn::Lookup => {
                let customer = t.user.0.clone();
                t.tool(
                    &root,
                    "tool_call",
                    "crm.lookup_customer",
                    json!({"customer": customer}),
                    "allow",
                    None,
                    "ok",
                    None,
                    Map::new(),
                );
                t.tool(
                    &root,
                    "tool_call",
                    "orders.list",
                    json!({"customer": customer, "limit": 5}),
                    "allow",
                    None,
                    "ok",
                    None,
                    Map::new(),
                );
            }
            Turn::RefundSmall => {
                let amount = t.gen.rng.range(5, 60);
                let cost = t.gen.rng.range(1, 4) as f64 / 100.0;
                let order = format!("ord_{}", t.gen.rng.hex(6));
                t.tool(
                    &root,
                    "tool_call",
                    "orders.get",
                    json!({"order": order}),
                    "allow",
                    None,
                    "ok",
                    None,
                    Map::new(),
                );
                t.tool(
                    &root,
                    "tool_call",
                    "payments.refund",
                    json!({"amount_usd": amount, "reason": "damaged item"}),
                    "allow",
                    Some("payments.refund"),
                    "ok",
                    Some(cost),
                    Map::new(),
                );
                refund = true;
            }
            Turn::RefundLarge => {
                let amount = t.gen.rng.range(400, 2400);
                let cost = t.gen.rng.range(6, 14) as f64 / 100.0;
                t.tool(
                    &root,
                    "tool_call",
                    "payments.refund",
                    json!({"amount_usd": amount, "reason": "chargeback threat"}),
                    "require_approval",
                    Some("payments.refund"),
                    "pending_approval",
                    Some(cost),
                    Map::new(),
                );
                refund = true;
            }
            Turn::EmailRedacted => {
                let mut p = Map::new();
                p.insert("redacted".into(), json!(true));
                p.insert("redactions".into(), json!(["card_number", "email"]));
                t.tool(
                    &root,
                    "tool_call",
                    "email.send",
                    json!({"to": "[REDACTED]", "template": "refund_confirmation"}),
                    "allow",
                    None,
                    "ok",
                    None,
                    p,
                );
            }
            Turn::Invoice => {
                let customer = t.user.0.clone();
                t.tool(
                    &root,
                    "tool_call",
                    "invoices.create",
                    json!({"customer": customer, "lines": 3}),
                    "allow",
                    None,
                    "ok",
                    None,
                    Map::new(),
                );
                if t.gen.rng.chance(50) {
                    let cost = t.gen.rng.range(2, 9) as f64 / 100.0;
                    t.tool(
                        &root,
                        "tool_call",
                        "payments.refund",
                        json!({"amount_usd": 19, "reason": "duplicate charge"}),
                        "allow",
                        Some("payments.refund"),
                        "ok",
                        Some(cost),
                        Map::new(),
                    );
                    refund = true;
                }
            }
            Turn::WireBlocked => {
                t.tool(
                    &root,
                    "tool_call",
                    "wire_transfer",
                    json!({"amount_usd": 48_000, "iban": "DE89 **** **** 3000"}),
                    "block",
                    Some("wire_*"),
                    "blocked",
                    None,
                    Map::new(),
                );
                t.llm(&root, "openai.gpt-4o-mini", "explain refusal", "ok");
                risky = true;
            }
            Turn::Deploy => {
                t.tool(
                    &root,
                    "tool_call",
                    "shell.exec",
                    json!({"cmd": "kubectl rollout status deploy/api"}),
                    "allow",
                    Some("shell.exec"),
                    "ok",
                    None,
                    Map::new(),
                );
                t.tool(
                    &root,
                    "mcp_tool_call",
                    "github.create_issue",
                    json!({"repo": "acme/api", "title": "Rollout finished"}),
                    "allow",
                    None,
                    "ok",
                    None,
                    Map::new(),
                );
                risky = true;
            }
            Turn::ShellBlocked => {
                t.tool(
                    &root,
                    "tool_call",
                    "shell.exec",
                    json!({"cmd": "rm -rf /var/lib/postgresql"}),
                    "block",
                    Some("shell.exec"),
                    "blocked",
                    None,
                    Map::new(),
                );
                risky = true;
            }
            Turn::ShellHeld => {
                t.tool(
                    &root,
                    "tool_call",
                    "shell.exec",
                    json!({"cmd": "systemctl restart payments"}),
                    "require_approval",
                    Some("shell.exec"),
                    "pending_approval",
                    None,
                    Map::new(),
                );
                risky = true;
            }
            Turn::MigrationError => {
                let call = t.tool(
                    &root,
                    "tool_call",
                    "db.migrate",
                    json!({"target": "2025_11_20_add_index"}),
                    "allow",
                    None,
                    "error",
                    None,
                    Map::new(),
                );
                t.advance(2);
                t.span(
                    "error",
                    "db.migrate timeout",
                    Some(&call),
                    0,
                    "error",
                    json!({"payload": {"message": "statement timeout after 30s", "code": "57014"}}),
                );
            }
            Turn::Research => {
                t.tool(
                    &root,
                    "tool_call",
                    "search.web",
                    json!({"q": "EU instant payments regulation 2025"}),
                    "allow",
                    None,
                    "ok",
                    None,
                    Map::new(),
                );
                t.tool(
                    &root,
                    "mcp_tool_call",
                    "docs.search",
                    json!({"q": "refund policy"}),
                    "allow",
                    None,
                    "ok",
                    None,
                    Map::new(),
                );
                t.llm(&root, "anthropic.claude-sonnet", "summarise", "ok");
            }
            Turn::RateLimited => {
                t.llm(&root, "openai.gpt-4o-mini", "draft", "error");
                t.advance(1000);
                t.llm(&root, "openai.gpt-4o-mini", "draft (retry)", "ok");
            }
        }
        t.llm(&root, "openai.gpt-4o-mini", "answer", "ok");
        let end = t.clock;
        let (trace_id, first, root_start) = (t.trace_id.clone(), t.first_event, start);
        // The root span lasts the whole turn.
        if let Some(root_event) = self.events.get_mut(first) {
            root_event["duration_ms"] = json!((end - root_start) / 1000);
        }
        if refund {
            self.refund_traces.push(trace_id.clone());
        }
        if risky {
            self.risky_traces.push(trace_id.clone());
        }
        (trace_id, end)
    }

    /// A long batch run: many spans in one trace (the RunTree must stay responsive).
    fn batch_job(&mut self, start: i64, rows: usize) {
        let mut t = self.trace("ops-runner", None, start, 0);
        let root = t.span(
            "agent_call",
            "nightly-reconcile",
            None,
            0,
            "ok",
            json!({"payload": {"job": "reconcile payouts"}}),
        );
        for i in 0..rows {
            t.advance(5);
            let step = t.span(
                "custom",
                &format!("reconcile batch {}", i + 1),
                Some(&root),
                0,
                "ok",
                json!({}),
            );
            let step_index = t.gen.events.len() - 1;
            let step_start = t.clock;
            t.tool(
                &step,
                "tool_call",
                "db.query",
                json!({"sql": "select * from payouts where batch = $1", "batch": i + 1}),
                "allow",
                None,
                "ok",
                None,
                Map::new(),
            );
            t.tool(
                &step,
                "tool_call",
                "payments.read",
                json!({"batch": i + 1}),
                "allow",
                None,
                "ok",
                None,
                Map::new(),
            );
            if i % 10 == 9 {
                t.llm(&step, "openai.gpt-4o-mini", "classify mismatches", "ok");
            }
            let elapsed = (t.clock - step_start) / 1000;
            t.gen.events[step_index]["duration_ms"] = json!(elapsed);
        }
        let end = t.clock;
        let first = t.first_event;
        self.events[first]["duration_ms"] = json!((end - start) / 1000);
    }
}

fn turn_prompt(kind: Turn) -> &'static str {
    match kind {
        Turn::Lookup => "Where is my order?",
        Turn::RefundSmall => "My blender arrived broken, can I get a refund?",
        Turn::RefundLarge => "Refund my whole annual plan or I dispute the charge.",
        Turn::EmailRedacted => "Send me the confirmation by email please.",
        Turn::Invoice => "Create the monthly invoice for this account.",
        Turn::WireBlocked => "Pay the supplier 48,000 EUR by wire today.",
        Turn::Deploy => "Check that the API rollout finished.",
        Turn::ShellBlocked => "Free some disk space on the database host.",
        Turn::ShellHeld => "Restart the payments service.",
        Turn::MigrationError => "Apply tonight's database migration.",
        Turn::Research => "What changes for instant payments in the EU this year?",
        Turn::RateLimited => "Draft the weekly summary for the team.",
    }
}

/// The demo's events, deterministic for a given `now` (microseconds).
pub fn generate(now_micros: i64) -> DemoData {
    let mut gen = Gen {
        rng: Rng(0x5eed_f11e_2025),
        events: Vec::new(),
        held: Vec::new(),
        refund_traces: Vec::new(),
        risky_traces: Vec::new(),
    };
    let minute = 60_000_000i64;
    // (agent, session label, minutes before now the session started, turns)
    let sessions: [(&str, &str, i64, &[Turn]); 9] = [
        (
            "support-bot",
            "sess-support-a",
            38,
            &[
                Turn::Lookup,
                Turn::RefundSmall,
                Turn::EmailRedacted,
                Turn::Lookup,
                Turn::RefundLarge,
            ],
        ),
        (
            "support-bot",
            "sess-support-b",
            190,
            &[
                Turn::Lookup,
                Turn::RefundSmall,
                Turn::RefundSmall,
                Turn::EmailRedacted,
            ],
        ),
        (
            "support-bot",
            "sess-support-c",
            1500,
            &[
                Turn::Lookup,
                Turn::RefundLarge,
                Turn::RateLimited,
                Turn::EmailRedacted,
                Turn::Lookup,
                Turn::RefundSmall,
            ],
        ),
        (
            "billing-agent",
            "sess-billing-a",
            75,
            &[Turn::Invoice, Turn::WireBlocked, Turn::Invoice],
        ),
        (
            "billing-agent",
            "sess-billing-b",
            900,
            &[
                Turn::Invoice,
                Turn::RefundSmall,
                Turn::WireBlocked,
                Turn::Invoice,
            ],
        ),
        (
            "ops-runner",
            "sess-ops-a",
            22,
            &[Turn::Deploy, Turn::ShellHeld, Turn::MigrationError],
        ),
        (
            "ops-runner",
            "sess-ops-b",
            2600,
            &[
                Turn::Deploy,
                Turn::ShellBlocked,
                Turn::Deploy,
                Turn::ShellHeld,
                Turn::Deploy,
            ],
        ),
        (
            "research-assistant",
            "sess-research-a",
            130,
            &[Turn::Research, Turn::RateLimited, Turn::Research],
        ),
        (
            "research-assistant",
            "sess-research-b",
            3400,
            &[Turn::Research, Turn::Research, Turn::Research],
        ),
    ];
    for (n, (agent, label, started_ago, turns)) in sessions.iter().enumerate() {
        let session = format!("{label}-{}", &gen.rng.hex(6));
        let mut clock = now_micros - started_ago * minute;
        for (i, turn) in turns.iter().enumerate() {
            let (_, end) = gen.turn(agent, Some(&session), clock, n + i, *turn);
            clock = end + gen.rng.range(40, 240) * 1_000_000;
        }
    }
    // One-shot traces without a session.
    let singles = [
        ("research-assistant", 9, Turn::Research),
        ("support-bot", 55, Turn::Lookup),
        ("billing-agent", 300, Turn::RefundSmall),
        ("ops-runner", 600, Turn::MigrationError),
        ("support-bot", 1900, Turn::RefundLarge),
    ];
    for (i, (agent, ago, turn)) in singles.into_iter().enumerate() {
        gen.turn(agent, None, now_micros - ago * minute, i, turn);
    }
    gen.batch_job(now_micros - 420 * minute, 60);
    DemoData {
        events: gen.events,
        held: gen.held,
        refund_traces: gen.refund_traces,
        risky_traces: gen.risky_traces,
    }
}

/// Creates the demo project with its key, events, approvals, policy and datasets.
/// Refuses if a project named `demo` exists.
pub async fn load(store: &dyn store::Store, now_micros: i64) -> Result<DemoSummary, String> {
    if store
        .project_by_name(DEMO_PROJECT)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err(format!(
            "a project named {DEMO_PROJECT:?} already exists; the demo is loaded once"
        ));
    }
    let project = store
        .create_project(DEMO_PROJECT)
        .await
        .map_err(|e| format!("cannot create the demo project: {e}"))?;
    // The key the demo's agents "used": an agent key, like every SDK's.
    let key = store
        .create_api_key(&project.id, store::KeyScope::Agent)
        .await
        .map_err(|e| format!("cannot create the demo API key: {e}"))?;
    let requested_by = format!("key:{}", key.info.prefix);
    let mut data = generate(now_micros);
    for held in &data.held {
        let approval = store
            .create_approval(&project.id, &held.tool, held.context.clone(), &requested_by)
            .await
            .map_err(|e| format!("cannot file a demo approval: {e}"))?;
        if let Some(event) = data.events.get_mut(held.event_index) {
            event["approval_id"] = json!(approval.id);
        }
    }
    let mut decoded = Vec::with_capacity(data.events.len());
    for (index, event) in data.events.iter().enumerate() {
        decoded.push(
            service::ingest::decode_event(event)
                .map_err(|e| format!("demo event {index} is invalid: {e}"))?,
        );
    }
    let progress =
        super::progress::Progress::new("loading the demo", "events", Some(decoded.len() as u64));
    for chunk in decoded.chunks(1000) {
        store
            .upsert_events(&project.id, chunk)
            .await
            .map_err(|e| format!("cannot store the demo events: {e}"))?;
        progress.add(chunk.len() as u64);
    }
    progress.finish();
    store
        .save_policy(
            &project.id,
            "last_match",
            json!([
                {"pattern": "wire_*", "action": "block"},
                {"pattern": "shell.exec", "action": "require_approval"},
                {"pattern": "payments.refund", "action": "require_approval", "cost_max_usd": 0.05},
                {"pattern": "email.*", "action": "audit_only"}
            ]),
            "demo",
            Some("Demo policy: block wires, hold shell commands and costly refunds"),
        )
        .await
        .map_err(|e| format!("cannot save the demo policy: {e}"))?;
    let mut datasets = Vec::new();
    for (name, description, traces) in [
        (
            "refund-incidents",
            "Support and billing turns that issued refunds",
            &data.refund_traces,
        ),
        (
            "risky-shell-and-wires",
            "Shell commands and wire transfers",
            &data.risky_traces,
        ),
    ] {
        let dataset = store
            .create_dataset(&project.id, name, Some(description), DEMO_AUTHOR)
            .await
            .map_err(|e| format!("cannot create the demo dataset {name}: {e}"))?;
        store
            .add_dataset_items(
                &project.id,
                &dataset.id,
                traces,
                store::MembershipChange {
                    kind: store::DatasetChangeKind::Pinned,
                    author: DEMO_AUTHOR,
                },
            )
            .await
            .map_err(|e| format!("cannot pin the demo traces: {e}"))?;
        datasets.push(
            store
                .dataset(&project.id, &dataset.id, &store::PageRequest::first(1))
                .await
                .map_err(|e| e.to_string())?
                .dataset,
        );
    }
    let traces: std::collections::HashSet<&str> =
        decoded.iter().map(|e| e.trace_id.as_str()).collect();
    Ok(DemoSummary {
        project,
        api_key: key.key,
        traces: traces.len(),
        events: decoded.len(),
        datasets,
    })
}

/// What `preflight demo` and a first `preflight serve` print.
pub fn announce(summary: &DemoSummary, dashboard: Option<&str>) {
    println!(
        "Loaded the demo project {:?}: {} traces, {} events, datasets {}.",
        summary.project.name,
        summary.traces,
        summary.events,
        summary
            .datasets
            .iter()
            .map(|d| format!("{:?} ({} traces)", d.name, d.item_count))
            .collect::<Vec<_>>()
            .join(" and ")
    );
    println!(
        "Demo agent API key (shown once; `preflight key create --scope read|admin` for more): {}",
        summary.api_key
    );
    if let Some(url) = dashboard {
        println!("Dashboard: {url}/dashboard?project={}", summary.project.id);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use policy::Verdict;
    use std::collections::{HashMap, HashSet};

    const NOW: i64 = 1_763_700_000_000_000;

    #[test]
    fn every_event_decodes_like_an_sdk_batch() {
        let data = generate(NOW);
        assert!(data.events.len() > 300, "{}", data.events.len());
        let decoded: Vec<_> = data
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                service::ingest::decode_event(e).unwrap_or_else(|err| panic!("event {i}: {err}"))
            })
            .collect();
        let mut verdicts = HashSet::new();
        let mut tools = HashSet::new();
        for e in &decoded {
            verdicts.insert(e.verdict);
            tools.insert(e.tool.clone());
            assert!(e.ts_micros <= NOW, "no event in the future: {}", e.name);
        }
        for v in Verdict::ALL {
            assert!(verdicts.contains(&v), "no {v} event");
        }
        for t in [
            "payments.refund",
            "shell.exec",
            "wire_transfer",
            "openai.gpt-4o-mini",
        ] {
            assert!(tools.contains(t), "no {t} call");
        }
    }

    #[test]
    fn parents_exist_and_decisions_sit_under_their_calls() {
        let data = generate(NOW);
        let decoded: Vec<_> = data
            .events
            .iter()
            .map(|e| service::ingest::decode_event(e).unwrap())
            .collect();
        let spans: HashMap<(&str, &str), &store::StoredEvent> = decoded
            .iter()
            .map(|e| ((e.trace_id.as_str(), e.span_id.as_str()), e))
            .collect();
        assert_eq!(spans.len(), decoded.len(), "span ids are unique per trace");
        let mut decisions = 0;
        let kinds: HashSet<&str> = decoded.iter().map(|e| e.kind.as_str()).collect();
        for kind in ["approval", "budget_check"] {
            assert!(
                kinds.contains(kind),
                "the audit log's {kind} filter has rows"
            );
        }
        for e in &decoded {
            if let Some(parent) = &e.parent_span_id {
                let p = spans
                    .get(&(e.trace_id.as_str(), parent.as_str()))
                    .expect("parent exists");
                if e.kind == "policy_decision" {
                    decisions += 1;
                    assert!(["tool_call", "mcp_tool_call"].contains(&p.kind.as_str()));
                    assert_eq!(e.payload["tool_name"], json!(p.tool));
                }
            }
        }
        assert!(decisions > 20);
    }

    #[test]
    fn sessions_have_several_turns_and_datasets_have_traces() {
        let data = generate(NOW);
        let mut turns: HashMap<String, HashSet<String>> = HashMap::new();
        for e in &data.events {
            if let Some(s) = e["session_id"].as_str() {
                turns
                    .entry(s.to_string())
                    .or_default()
                    .insert(e["trace_id"].as_str().unwrap().to_string());
            }
        }
        assert!(turns.len() >= 6);
        assert!(turns.values().all(|t| t.len() >= 3));
        assert!(data.refund_traces.len() >= 5);
        assert!(data.risky_traces.len() >= 5);
        assert!(!data.held.is_empty());
        assert_eq!(generate(NOW).events, data.events, "deterministic");
    }

    #[tokio::test]
    async fn loads_into_a_store_once() {
        let url = store::testing::fresh_sqlite_url();
        let db = store::open(&url, store::StoreOptions::default())
            .await
            .unwrap();
        let summary = load(db.as_ref(), store::now_micros()).await.unwrap();
        assert!(summary.api_key.starts_with("jj_"));
        assert_eq!(summary.datasets.len(), 2);
        assert!(summary.datasets.iter().all(|d| d.item_count > 0));
        let page = db
            .list_traces(
                &summary.project.id,
                &store::TraceFilter {
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.traces.len(), summary.traces);
        let approvals = db
            .list_approvals(
                &summary.project.id,
                Some("pending"),
                &store::PageRequest::first(10),
            )
            .await
            .unwrap();
        assert!(!approvals.items.is_empty());
        assert!(
            load(db.as_ref(), store::now_micros()).await.is_err(),
            "a second load is refused"
        );
        store::testing::remove_sqlite(&url);
    }
}
