//! `preflight dataset export NAME` and `preflight dataset import FILE`: a dataset's
//! events as portable JSON-lines fixtures, for policy CI.
//!
//! Each line is one event. Its first fields are the `policy::Event` shape, so the
//! file feeds `preflight policy simulate --events` as it is; the rest is what it takes
//! to recreate the event and the dataset elsewhere:
//!
//! ```json
//! {"dataset":"refunds","kind":"tool_call","tool":"payments.refund","agent":"support-bot","cost_usd":0.02,
//!  "timestamp":"2026-11-01T10:00:00Z","trace_id":"t1","span_id":"s1","recorded":"allowed",
//!  "span_name":"call_tool","parent_span_id":"s0","sequence":1,"status":"ok","payload":{...}}
//! ```
//!
//! `span_name` appears only when it differs from `tool` (a tool call named after its
//! tool has just `tool`). Lines are in time order, as the server replays them. The
//! dataset's expectations follow the events, one per line:
//!
//! ```json
//! {"dataset":"refunds","expectation":{"trace_id":"t1","pattern":"wire_*","verdict":"blocked"}}
//! ```
//!
//! `preflight policy simulate --events FILE --fail-on-regression` checks them.
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::Subcommand;
use policy::Verdict;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::StoredEvent;

use super::DbArgs;
use service::ingest::parse_timestamp;

/// Events written to the store per transaction on import.
const IMPORT_CHUNK: usize = 1_000;
/// Trace ids pinned per call on import (the API's per-request limit).
const PIN_CHUNK: usize = 10_000;

#[derive(Subcommand, Debug)]
pub enum DatasetCommand {
    /// Write a dataset's events as JSON-lines fixtures (to stdout, or --output).
    Export {
        /// The dataset's name (or id).
        name: String,
        /// The project (name or id); optional when the database has only one.
        #[arg(long, env = "PREFLIGHT_PROJECT")]
        project: Option<String>,
        /// Write here instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Recreate a dataset and its events from fixtures (`-` reads stdin).
    Import {
        file: PathBuf,
        /// The new dataset's name (default: the `dataset` field of the fixtures).
        #[arg(long)]
        name: Option<String>,
        /// The project (name or id); optional when the database has only one.
        #[arg(long, env = "PREFLIGHT_PROJECT")]
        project: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// One fixture line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fixture {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    pub kind: String,
    pub tool: String,
    #[serde(default, alias = "agent_name", skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    pub timestamp: String,
    pub trace_id: String,
    pub span_id: String,
    #[serde(default, alias = "verdict")]
    pub recorded: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<String>,
    #[serde(default)]
    pub sequence: i64,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_user_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originating_trace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originating_span_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originating_agent_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_card_uri: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty_payload")]
    pub payload: Value,
}

fn default_status() -> String {
    "ok".to_string()
}

fn is_empty_payload(v: &Value) -> bool {
    v.is_null() || v.as_object().is_some_and(serde_json::Map::is_empty)
}

impl Fixture {
    pub fn from_event(dataset: &str, e: &StoredEvent) -> Fixture {
        Fixture {
            dataset: Some(dataset.to_string()),
            kind: e.kind.clone(),
            tool: e.tool.clone(),
            agent: e.agent_name.clone(),
            cost_usd: e.cost_usd,
            timestamp: e.timestamp.clone(),
            trace_id: e.trace_id.clone(),
            span_id: e.span_id.clone(),
            recorded: e.verdict,
            span_name: (e.name != e.tool).then(|| e.name.clone()),
            parent_span_id: e.parent_span_id.clone(),
            sequence: e.sequence,
            status: e.status.clone(),
            duration_ms: e.duration_ms,
            model: e.model.clone(),
            input_tokens: e.input_tokens,
            output_tokens: e.output_tokens,
            session_id: e.session_id.clone(),
            environment: e.environment.clone(),
            release_version: e.release_version.clone(),
            end_user_id: e.end_user_id.clone(),
            end_user_email: e.end_user_email.clone(),
            approval_id: e.approval_id.clone(),
            originating_trace_id: e.originating_trace_id.clone(),
            originating_span_id: e.originating_span_id.clone(),
            originating_agent_name: e.originating_agent_name.clone(),
            agent_card_uri: e.agent_card_uri.clone(),
            payload: e.payload.clone(),
        }
    }

    /// The event to store; its verdict is the recorded one, as exported.
    pub fn into_event(self) -> Result<StoredEvent, String> {
        if self.trace_id.is_empty() {
            return Err("trace_id: must not be empty".to_string());
        }
        if self.span_id.is_empty() {
            return Err("span_id: must not be empty".to_string());
        }
        if self.tool.is_empty() {
            return Err("tool: must not be empty".to_string());
        }
        if let Err(e) = self.kind.parse::<policy::EventKind>() {
            return Err(format!("kind: {e}"));
        }
        if self.cost_usd.is_some_and(|c| !c.is_finite() || c < 0.0) {
            return Err("cost_usd: must be a finite number, not negative".to_string());
        }
        let ts_micros = parse_timestamp(&self.timestamp)?;
        let payload = match self.payload {
            Value::Null => Value::Object(serde_json::Map::new()),
            Value::Object(map) => Value::Object(map),
            _ => return Err("payload: expected an object".to_string()),
        };
        Ok(StoredEvent {
            name: self.span_name.unwrap_or_else(|| self.tool.clone()),
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_span_id: self.parent_span_id,
            kind: self.kind,
            tool: self.tool,
            sequence: self.sequence,
            timestamp: self.timestamp,
            ts_micros,
            status: self.status,
            verdict: self.recorded,
            duration_ms: self.duration_ms,
            model: self.model,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost_usd: self.cost_usd,
            agent_name: self.agent,
            session_id: self.session_id,
            environment: self.environment,
            release_version: self.release_version,
            end_user_id: self.end_user_id,
            end_user_email: self.end_user_email,
            approval_id: self.approval_id,
            originating_trace_id: self.originating_trace_id,
            originating_span_id: self.originating_span_id,
            originating_agent_name: self.originating_agent_name,
            agent_card_uri: self.agent_card_uri,
            payload,
        })
    }
}

pub async fn run(cmd: DatasetCommand) -> Result<(), String> {
    match cmd {
        DatasetCommand::Export {
            name,
            project,
            output,
            db,
        } => export(&db, project.as_deref(), &name, output).await,
        DatasetCommand::Import {
            file,
            name,
            project,
            db,
        } => import(&db, project.as_deref(), &file, name.as_deref()).await,
    }
}

/// The named project, or the only one there is.
async fn resolve_project(
    store: &dyn store::Store,
    project: Option<&str>,
) -> Result<store::Project, String> {
    if let Some(name) = project {
        return super::admin_cmd::find_project(store, name).await;
    }
    let mut projects = store.list_projects().await.map_err(|e| e.to_string())?;
    match projects.len() {
        1 => Ok(projects.remove(0)),
        0 => Err("no projects yet: create one with `preflight project create NAME`".to_string()),
        _ => Err(format!(
            "this database has {} projects: name one with --project (or PREFLIGHT_PROJECT)",
            projects.len()
        )),
    }
}

async fn find_dataset(
    store: &dyn store::Store,
    project: &store::Project,
    name: &str,
) -> Result<store::Dataset, String> {
    if let Some(dataset) = store
        .dataset_by_name(&project.id, name)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(dataset);
    }
    match store
        .dataset(&project.id, name, &store::PageRequest::first(1))
        .await
    {
        Ok(detail) => Ok(detail.dataset),
        Err(store::StoreError::NotFound) => Err(format!(
            "no dataset named {name:?} in project {:?}",
            project.name
        )),
        Err(err) => Err(err.to_string()),
    }
}

async fn export(
    db: &DbArgs,
    project: Option<&str>,
    name: &str,
    output: Option<PathBuf>,
) -> Result<(), String> {
    let store = db.open().await?;
    let project = resolve_project(store.as_ref(), project).await?;
    let dataset = find_dataset(store.as_ref(), &project, name).await?;
    // Every item, a page at a time.
    let mut events = Vec::new();
    let mut traces = 0;
    let mut page = store::PageRequest::first(1_000);
    loop {
        let detail = store
            .dataset(&project.id, &dataset.id, &page)
            .await
            .map_err(|e| e.to_string())?;
        traces += detail.items.len();
        for item in &detail.items {
            events.extend(
                store
                    .trace_events(&project.id, &item.trace_id)
                    .await
                    .map_err(|e| e.to_string())?,
            );
        }
        match detail.next_cursor {
            Some(cursor) => page = store::PageRequest::after(cursor, page.limit),
            None => break,
        }
    }
    // Time order, as the server replays a dataset (stable: ties keep trace order).
    events.sort_by_key(|e| e.ts_micros);
    let mut out: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|err| format!("cannot write {}: {err}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    for event in &events {
        let line = serde_json::to_string(&Fixture::from_event(&dataset.name, event))
            .map_err(|e| e.to_string())?;
        writeln!(out, "{line}").map_err(|err| format!("cannot write: {err}"))?;
    }
    let expectations = store
        .dataset_expectations(&project.id, &dataset.id)
        .await
        .map_err(|e| e.to_string())?;
    for e in &expectations {
        let line = serde_json::to_string(&ExpectationLine {
            dataset: Some(dataset.name.clone()),
            expectation: e.expectation.clone(),
        })
        .map_err(|e| e.to_string())?;
        writeln!(out, "{line}").map_err(|err| format!("cannot write: {err}"))?;
    }
    out.flush().map_err(|err| format!("cannot write: {err}"))?;
    eprintln!(
        "Exported {} events from {} traces and {} expectations of dataset {:?} (project {:?}).",
        events.len(),
        traces,
        expectations.len(),
        dataset.name,
        project.name
    );
    Ok(())
}

/// An expectation line of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectationLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    pub expectation: policy::Expectation,
}

/// A file's fixtures and expectations.
#[derive(Debug, Default)]
struct FixtureFile {
    fixtures: Vec<Fixture>,
    expectations: Vec<policy::Expectation>,
}

/// Every fixture and expectation of a file, or every bad line with its number.
fn read_fixtures(file: &PathBuf) -> Result<FixtureFile, String> {
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(file).map_err(
            |err| format!("cannot read {}: {err}", file.display()),
        )?))
    };
    let (mut fixtures, mut expectations) = (Vec::new(), Vec::new());
    let mut errors = Vec::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line.map_err(|err| format!("cannot read {}: {err}", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = if line.contains("\"expectation\"") {
            serde_json::from_str::<ExpectationLine>(&line).map(|l| expectations.push(l.expectation))
        } else {
            serde_json::from_str::<Fixture>(&line).map(|f| fixtures.push(f))
        };
        if let Err(err) = parsed {
            errors.push(format!("  {}:{}: {err}", file.display(), number + 1));
        }
    }
    if !errors.is_empty() {
        return Err(format!("invalid fixtures:\n{}", errors.join("\n")));
    }
    Ok(FixtureFile {
        fixtures,
        expectations,
    })
}

async fn import(
    db: &DbArgs,
    project: Option<&str>,
    file: &PathBuf,
    name: Option<&str>,
) -> Result<(), String> {
    let FixtureFile {
        fixtures,
        expectations,
    } = read_fixtures(file)?;
    // Checked before anything is written.
    policy::ExpectationSet::new(expectations.clone())
        .map_err(|errors| format!("invalid expectations: {}", policy::join_errors(&errors)))?;
    let name = match name {
        Some(n) => n.trim().to_string(),
        None => {
            let names: HashSet<&str> = fixtures
                .iter()
                .filter_map(|f| f.dataset.as_deref())
                .collect();
            match names.len() {
                1 => names.into_iter().next().unwrap_or_default().to_string(),
                0 => return Err("the fixtures name no dataset: pass --name".to_string()),
                _ => {
                    return Err(
                        "the fixtures name several datasets: pass --name to import them as one"
                            .to_string(),
                    )
                }
            }
        }
    };
    if name.is_empty() {
        return Err("--name: must not be empty".to_string());
    }
    let mut events = Vec::with_capacity(fixtures.len());
    let mut errors = Vec::new();
    for (index, fixture) in fixtures.into_iter().enumerate() {
        match fixture.into_event() {
            Ok(e) => events.push(e),
            Err(err) => errors.push(format!("  event {}: {err}", index + 1)),
        }
    }
    if !errors.is_empty() {
        return Err(format!("invalid fixtures:\n{}", errors.join("\n")));
    }

    let store = db.open().await?;
    let project = resolve_project(store.as_ref(), project).await?;
    if store
        .dataset_by_name(&project.id, &name)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err(format!(
            "project {:?} already has a dataset named {name:?}: pass --name to import under another name",
            project.name
        ));
    }
    let progress = super::progress::Progress::new("importing", "events", Some(events.len() as u64));
    for chunk in events.chunks(IMPORT_CHUNK) {
        store
            .upsert_events(&project.id, chunk)
            .await
            .map_err(|e| format!("cannot store the events: {e}"))?;
        progress.add(chunk.len() as u64);
    }
    progress.finish();
    let mut seen = HashSet::new();
    let trace_ids: Vec<String> = events
        .iter()
        .filter(|e| seen.insert(e.trace_id.as_str()))
        .map(|e| e.trace_id.clone())
        .collect();
    let description = format!(
        "imported from {}",
        file.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "stdin".to_string())
    );
    let dataset = store
        .create_dataset(&project.id, &name, Some(&description), super::CLI_AUTHOR)
        .await
        .map_err(|e| format!("cannot create dataset {name:?}: {e}"))?;
    for chunk in trace_ids.chunks(PIN_CHUNK) {
        store
            .add_dataset_items(&project.id, &dataset.id, chunk, IMPORTED)
            .await
            .map_err(|e| format!("cannot pin the traces: {e}"))?;
    }
    for expectation in &expectations {
        store
            .set_dataset_expectation(&project.id, &dataset.id, expectation, super::CLI_AUTHOR)
            .await
            .map_err(|e| {
                format!(
                    "cannot keep the expectation on trace {:?}: {e}",
                    expectation.trace_id
                )
            })?;
    }
    eprintln!(
        "Imported {} events in {} traces and {} expectations as dataset {:?} ({}) of project {:?}.",
        events.len(),
        trace_ids.len(),
        expectations.len(),
        dataset.name,
        dataset.id,
        project.name
    );
    Ok(())
}

/// How an import changes a dataset's membership: one `imported` version per chunk of
/// pins, made by the command line.
const IMPORTED: store::MembershipChange<'static> = store::MembershipChange {
    kind: store::DatasetChangeKind::Imported,
    author: super::CLI_AUTHOR,
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn a_fixture_is_a_policy_event_too() {
        let line = json!({
            "dataset": "d", "kind": "tool_call", "tool": "payments.refund", "agent": "bot",
            "cost_usd": 0.5, "timestamp": "2026-11-01T10:00:00Z", "trace_id": "t", "span_id": "s",
            "recorded": "blocked", "span_name": "call", "sequence": 3, "payload": {"tool": "payments.refund"}
        });
        let event: policy::Event = serde_json::from_value(line.clone()).unwrap();
        assert_eq!(event.tool, "payments.refund");
        assert_eq!(event.agent.as_deref(), Some("bot"));
        assert_eq!(event.recorded, Verdict::Blocked);
        let fixture: Fixture = serde_json::from_value(line).unwrap();
        let stored = fixture.clone().into_event().unwrap();
        assert_eq!(stored.name, "call");
        assert_eq!(stored.verdict, Verdict::Blocked);
        assert_eq!(Fixture::from_event("d", &stored), fixture);
    }

    #[test]
    fn bad_fixtures_name_the_field() {
        let mut f: Fixture = serde_json::from_value(json!({
            "kind": "teleport", "tool": "x", "timestamp": "2026-11-01T10:00:00Z",
            "trace_id": "t", "span_id": "s"
        }))
        .unwrap();
        assert!(f.clone().into_event().unwrap_err().starts_with("kind:"));
        f.kind = "tool_call".into();
        f.timestamp = "yesterday".into();
        assert!(f.into_event().unwrap_err().starts_with("timestamp:"));
    }
}
