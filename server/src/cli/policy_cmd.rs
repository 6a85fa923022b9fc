//! `preflight policy test | eval | simulate`: the evaluator on files, for CI pipelines.
use std::path::Path;
use std::process::ExitCode;

use policy::{Event, Precedence, RuleSet, Simulator, Subject, Unmatched};

use super::PolicyCommand;

/// Exit code for input that cannot be read or parsed at all.
const UNREADABLE: u8 = 2;

pub fn run(cmd: PolicyCommand) -> ExitCode {
    let result = match cmd {
        PolicyCommand::Test {
            files,
            default_precedence,
        } => test(&files, default_precedence.as_deref()),
        PolicyCommand::Eval { policy, events } => eval(&policy, &events),
        PolicyCommand::Simulate {
            draft,
            events,
            unmatched,
        } => simulate(&draft, &events, &unmatched),
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

/// Parses a JSON-lines file of events; a bad line is an error naming its line number.
fn load_events(path: &Path) -> Result<Vec<Event>, String> {
    let text = read(path)?;
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(event) => events.push(event),
            Err(err) => errors.push(format!("  {}:{}: {err}", path.display(), number + 1)),
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(format!("invalid events:\n{}", errors.join("\n")))
    }
}

fn test(
    files: &[std::path::PathBuf],
    default_precedence: Option<&str>,
) -> Result<ExitCode, String> {
    let precedence = match default_precedence {
        Some("first_match") => Some(Precedence::FirstMatch),
        Some(_) => Some(Precedence::LastMatch),
        None => None,
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in files {
        let outcomes = policy::cases::run_case_file(&read(file)?, precedence)
            .map_err(|err| format!("cannot use {}: {err}", file.display()))?;
        for outcome in outcomes {
            if outcome.passed {
                passed += 1;
            } else {
                failed += 1;
                println!("FAIL {} :: {}", file.display(), outcome.id);
                println!("  expected: {}", outcome.expected);
                println!("  got:      {}", outcome.got);
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn eval(policy_path: &Path, events_path: &Path) -> Result<ExitCode, String> {
    let compiled = load_rule_set(policy_path)?
        .compile()
        .map_err(|errors| format!("invalid policy: {}", join(&errors)))?;
    for event in load_events(events_path)? {
        let decision = compiled.evaluate(&Subject {
            tool: &event.tool,
            agent: event.agent.as_deref(),
            cost_usd: event.cost_usd,
        });
        let line = serde_json::json!({
            "tool": event.tool,
            "agent": event.agent,
            "trace_id": event.trace_id,
            "span_id": event.span_id,
            "verdict": decision.verdict,
            "audited": decision.audited,
            "decision": decision.conformance(),
            "rule": decision.rule,
        });
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn simulate(draft_path: &Path, events_path: &Path, unmatched: &str) -> Result<ExitCode, String> {
    let draft = load_rule_set(draft_path)?
        .compile()
        .map_err(|errors| format!("invalid draft: {}", join(&errors)))?;
    let unmatched = if unmatched == "allowed" {
        Unmatched::Allowed
    } else {
        Unmatched::KeepRecorded
    };
    let mut simulator = Simulator::new(&draft, unmatched);
    for event in load_events(events_path)? {
        simulator.push(&event);
    }
    let summary = simulator.finish();
    let json = serde_json::to_string_pretty(&summary).map_err(|err| err.to_string())?;
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}

fn join(errors: &[policy::FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
