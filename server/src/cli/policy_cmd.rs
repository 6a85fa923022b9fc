//! `preflight policy test | eval | simulate`: the evaluator on files, for CI pipelines.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use policy::cases::CaseStatus;
use policy::{Event, Precedence, RuleSet, Simulator, Subject, Unmatched};
use serde_json::Value;

use super::PolicyCommand;

mod remote;
mod table;

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The summary as JSON (the API's shape).
    Json,
    /// Counts, transitions and a table of the events whose verdict flips.
    Table,
}

/// `preflight policy simulate`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["events", "server"])))]
pub struct SimulateArgs {
    /// The draft: one rule, a list of rules or a policy file (JSON or YAML).
    #[arg(long)]
    pub draft: PathBuf,
    /// Recorded events or dataset fixtures (JSON lines), simulated here.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["server", "dataset"])]
    pub events: Option<PathBuf>,
    /// A Preflight server to simulate on (with --dataset), e.g. http://127.0.0.1:3000.
    #[arg(long, value_name = "URL", requires = "dataset")]
    pub server: Option<String>,
    /// The server-side dataset to replay, by name (or id).
    #[arg(long, value_name = "NAME", requires = "server")]
    pub dataset: Option<String>,
    /// API key of the dataset's project (for --server).
    #[arg(long, env = "PREFLIGHT_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// What the draft means for events none of its rules match: `keep_recorded` (a rule layered
    /// over what happened) or `allowed` (a rule set replacing the active one). Default: as the
    /// server decides, `allowed` for a list or a file with `rules`, `keep_recorded` for one rule.
    #[arg(long, value_parser = ["keep_recorded", "allowed"], conflicts_with = "server")]
    pub unmatched: Option<String>,
    /// Exit 1 when any event's verdict would change (for CI).
    #[arg(long)]
    pub fail_on_change: bool,
    /// Exit 1 only when an expectation is broken: what a dataset's traces must keep
    /// getting (the export's expectation lines, or the server dataset's). Changes no
    /// expectation covers are reported but pass.
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Also report, per rule of the draft, the events it decided and those it matched
    /// but another rule decided (rules deciding nothing stand out).
    #[arg(long)]
    pub coverage: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

/// Exit code for input that cannot be read or parsed at all.
const UNREADABLE: u8 = 2;

pub fn run(cmd: PolicyCommand) -> ExitCode {
    let result = match cmd {
        PolicyCommand::Test {
            files,
            precedence,
            mcp_prefix_strip,
        } => test(&files, precedence.as_deref(), mcp_prefix_strip),
        PolicyCommand::Eval { policy, events } => eval(&policy, &events),
        PolicyCommand::Simulate(args) => simulate(&args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(UNREADABLE)
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|err| format!("cannot read {}: {err}", path.display()))
}

fn load_rule_set(path: &Path) -> Result<RuleSet, String> {
    // YAML is a superset of JSON, so one parser reads both kinds of policy file.
    RuleSet::from_yaml_str(&read(path)?).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        format!(
            "invalid policy in {}:\n{}",
            path.display(),
            lines.join("\n")
        )
    })
}

/// A JSON-lines file of events, with the expectations a dataset export carries
/// (`{"expectation": {"trace_id", "pattern", "verdict"}}` lines).
#[derive(Debug, Default)]
pub(super) struct Fixtures {
    pub events: Vec<Event>,
    pub expectations: Vec<policy::Expectation>,
}

/// Parses a JSON-lines file of events and expectations; a bad line is an error naming
/// its line number.
pub(super) fn load_fixtures(path: &Path) -> Result<Fixtures, String> {
    let text = read(path)?;
    let mut fixtures = Fixtures::default();
    let mut errors = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = if line.contains("\"expectation\"") {
            serde_json::from_str::<super::dataset_cmd::ExpectationLine>(line)
                .map(|l| fixtures.expectations.push(l.expectation))
        } else {
            serde_json::from_str::<Event>(line).map(|e| fixtures.events.push(e))
        };
        if let Err(err) = parsed {
            errors.push(format!("  {}:{}: {err}", path.display(), number + 1));
        }
    }
    if errors.is_empty() {
        Ok(fixtures)
    } else {
        Err(format!("invalid events:\n{}", errors.join("\n")))
    }
}

/// The events of a JSON-lines file (expectation lines are skipped).
fn load_events(path: &Path) -> Result<Vec<Event>, String> {
    Ok(load_fixtures(path)?.events)
}

fn test(
    files: &[std::path::PathBuf],
    precedence: Option<&str>,
    mcp_prefix_strip: bool,
) -> Result<ExitCode, String> {
    let options = policy::cases::CaseOptions {
        default_precedence: match precedence {
            Some("first_match") => Some(Precedence::FirstMatch),
            Some(_) => Some(Precedence::LastMatch),
            None => None,
        },
        mcp_prefix_strip,
    };
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    for file in files {
        let outcomes = policy::cases::run_case_file(&read(file)?, &options)
            .map_err(|err| format!("cannot use {}: {err}", file.display()))?;
        for outcome in outcomes {
            match outcome.status {
                CaseStatus::Passed => passed += 1,
                CaseStatus::Skipped => {
                    skipped += 1;
                    println!(
                        "SKIP {} :: {} ({})",
                        file.display(),
                        outcome.id,
                        outcome.got
                    );
                }
                CaseStatus::Failed => {
                    failed += 1;
                    println!("FAIL {} :: {}", file.display(), outcome.id);
                    println!("  expected: {}", outcome.expected);
                    println!("  got:      {}", outcome.got);
                }
            }
        }
    }
    if skipped == 0 {
        println!("{passed} passed, {failed} failed");
    } else {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One line of `policy eval`'s output (keys in the order earlier versions wrote them).
#[derive(serde::Serialize)]
struct EvalLine<'a> {
    agent: Option<&'a str>,
    audited: bool,
    decision: &'static str,
    rule: Option<policy::MatchedRule>,
    span_id: &'a str,
    tool: &'a str,
    trace_id: &'a str,
    verdict: policy::Verdict,
}

fn eval(policy_path: &Path, events_path: &Path) -> Result<ExitCode, String> {
    use std::io::Write;
    let compiled = load_rule_set(policy_path)?
        .compile()
        .map_err(|errors| format!("invalid policy: {}", join(&errors)))?;
    // One buffered writer: a line per event through the (line-flushing) stdout would
    // make a write call per event.
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = |e: std::io::Error| format!("cannot write the verdicts: {e}");
    for event in load_events(events_path)? {
        let decision = compiled.evaluate(&Subject {
            tool: &event.tool,
            agent: event.agent.as_deref(),
            cost_usd: event.cost_usd,
        });
        let line = EvalLine {
            agent: event.agent.as_deref(),
            audited: decision.audited,
            decision: decision.conformance(),
            rule: decision.rule,
            span_id: &event.span_id,
            tool: &event.tool,
            trace_id: &event.trace_id,
            verdict: decision.verdict,
        };
        serde_json::to_writer(&mut out, &line).map_err(|e| written(e.into()))?;
        out.write_all(b"\n").map_err(written)?;
    }
    out.flush().map_err(written)?;
    Ok(ExitCode::SUCCESS)
}

fn simulate(args: &SimulateArgs) -> Result<ExitCode, String> {
    let text = read(&args.draft)?;
    let mut summary = match (&args.events, &args.server, &args.dataset) {
        (Some(events), _, _) => simulate_locally(args, &text, events)?,
        (None, Some(server), Some(dataset)) => {
            let draft = draft_value(&args.draft, &text)?;
            let key = args.api_key.as_deref().ok_or_else(|| {
                "--server needs an API key: pass --api-key or set PREFLIGHT_API_KEY".to_string()
            })?;
            remote::simulate(server, key, dataset, &draft)?
        }
        _ => return Err("give --events FILE, or --server URL with --dataset NAME".to_string()),
    };
    // The server always counts coverage; the output has it only when asked, wherever
    // the run was.
    if !args.coverage {
        if let Some(summary) = summary.as_object_mut() {
            summary.remove("coverage");
        }
    }
    let changed = summary
        .get("events_would_have_changed")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    match args.format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&summary).map_err(|err| err.to_string())?;
            println!("{json}");
        }
        Format::Table => print!("{}", table::render(&summary)),
    }
    if args.fail_on_regression {
        let broken: Vec<String> = summary["expectations"]["expectations"]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter(|o| o["broken"].as_u64().unwrap_or(0) > 0)
                    .map(|o| {
                        format!(
                            "{} {} -> {}",
                            o["trace_id"].as_str().unwrap_or(""),
                            o["pattern"].as_str().unwrap_or(""),
                            o["verdict"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if summary["expectations"].is_null() {
            eprintln!(
                "note: --fail-on-regression with no expectations in scope: nothing can regress"
            );
        }
        if !broken.is_empty() {
            eprintln!(
                "policy check failed: {} expectation{} broken under {}:\n  {}",
                broken.len(),
                if broken.len() == 1 { "" } else { "s" },
                args.draft.display(),
                broken.join("\n  ")
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    if args.fail_on_change && changed > 0 {
        eprintln!(
            "policy check failed: {changed} event{} would change verdict under {}",
            if changed == 1 { "" } else { "s" },
            args.draft.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The draft file as JSON (YAML is a superset), for the server and for its shape.
fn draft_value(path: &Path, text: &str) -> Result<Value, String> {
    serde_yaml::from_str::<Value>(text)
        .map_err(|err| format!("invalid draft in {}: {err}", path.display()))
}

fn simulate_locally(args: &SimulateArgs, text: &str, events: &Path) -> Result<Value, String> {
    let set = RuleSet::from_yaml_str(text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        format!(
            "invalid policy in {}:\n{}",
            args.draft.display(),
            lines.join("\n")
        )
    })?;
    let draft = set
        .compile()
        .map_err(|errors| format!("invalid draft: {}", join(&errors)))?;
    let unmatched = match args.unmatched.as_deref() {
        Some("allowed") => Unmatched::Allowed,
        Some(_) => Unmatched::KeepRecorded,
        // As the server decides: a whole rule set replaces the active one, a single
        // rule is layered over what happened.
        None if is_whole_set(&draft_value(&args.draft, text)?) => Unmatched::Allowed,
        None => Unmatched::KeepRecorded,
    };
    let fixtures = load_fixtures(events)?;
    let expectations = policy::ExpectationSet::new(fixtures.expectations)
        .map_err(|errors| format!("invalid expectations: {}", join(&errors)))?;
    let mut simulator = Simulator::new(&draft, unmatched);
    if args.coverage {
        simulator = simulator.covering();
    }
    if !expectations.is_empty() || args.fail_on_regression {
        simulator = simulator.expecting(&expectations);
    }
    for event in &fixtures.events {
        simulator.push(event);
    }
    serde_json::to_value(simulator.finish()).map_err(|err| err.to_string())
}

/// The server's rule: a list, or an object with `rules`, is a whole rule set.
fn is_whole_set(draft: &Value) -> bool {
    draft.is_array() || draft.get("rules").is_some()
}

pub(super) fn join(errors: &[policy::FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
