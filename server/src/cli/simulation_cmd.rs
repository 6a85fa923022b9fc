//! `preflight simulation verify`: recompute a stored run's receipt from its exported
//! events, offline, and say whether it still holds.
//!
//! The receipt is what `GET /v1/policy/simulations/{id}` answers; the events are what
//! `GET /v1/policy/simulations/{id}/events` answers (the run's scope read again as
//! recorded). The draft, the baseline's rules and the expectations come from the
//! receipt itself, so nothing else is needed: the same evaluator over the same events
//! gives the same digest and the same numbers, and anything else says what differs.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use policy::{Draft, ExpectationSet, SimulationSummary, Simulator};
use serde::Deserialize;
use service::simulation::SimulationRequest;

use super::policy_cmd::{join, load_fixtures};

#[derive(Subcommand, Debug)]
pub enum SimulationCommand {
    /// Recompute a receipt (GET /v1/policy/simulations/{id}) over its events
    /// (GET /v1/policy/simulations/{id}/events). Exit 0 when the digest and the numbers
    /// match, 1 when they do not, 2 when a file cannot be read.
    Verify {
        /// The receipt, as JSON.
        #[arg(long)]
        receipt: PathBuf,
        /// The run's events, as JSON lines.
        #[arg(long)]
        events: PathBuf,
    },
}

/// The parts of a stored run a verification reads.
#[derive(Deserialize)]
struct Receipt {
    id: String,
    request: SimulationRequest,
    summary: SimulationSummary,
}

pub fn run(cmd: SimulationCommand) -> ExitCode {
    let SimulationCommand::Verify { receipt, events } = cmd;
    match verify(&receipt, &events) {
        Ok(report) => {
            print!("{}", report.text);
            if report.holds {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// What a verification found.
pub struct Verification {
    pub holds: bool,
    pub text: String,
}

pub fn verify(receipt_path: &Path, events_path: &Path) -> Result<Verification, String> {
    let text = std::fs::read_to_string(receipt_path)
        .map_err(|err| format!("cannot read {}: {err}", receipt_path.display()))?;
    let receipt: Receipt = serde_json::from_str(&text).map_err(|err| {
        format!(
            "{} is not a simulation receipt: {err}",
            receipt_path.display()
        )
    })?;
    let request = &receipt.request;
    let Some(stored_digest) = receipt.summary.digest.as_deref() else {
        return Err(format!(
            "run {} was made before runs kept receipts: it has no digest to verify",
            receipt.id
        ));
    };
    let draft = Draft::from_value(request.draft.clone())
        .map_err(|errors| format!("the receipt's draft does not read: {}", join(&errors)))?;
    let unmatched = request.unmatched.unwrap_or(draft.unmatched);
    let baseline = request
        .baseline_rules
        .as_ref()
        .map(|set| {
            set.compile().map_err(|errors| {
                format!("the receipt's baseline does not read: {}", join(&errors))
            })
        })
        .transpose()?;
    let expectations = receipt
        .summary
        .expectations
        .as_ref()
        .map(|r| {
            ExpectationSet::new(
                r.expectations
                    .iter()
                    .map(|o| o.expectation.clone())
                    .collect(),
            )
        })
        .transpose()
        .map_err(|errors| format!("the receipt's expectations do not read: {}", join(&errors)))?;
    let header = policy::receipt_header(&draft.rules, unmatched, request.baseline_rules.as_ref());
    let fixtures = load_fixtures(events_path)?;
    let mut simulator = Simulator::new(&draft.compiled, unmatched).digesting(&header);
    if let Some(set) = &expectations {
        simulator = simulator.expecting(set);
    }
    for mut event in fixtures.events {
        if let Some(baseline) = &baseline {
            event.recorded = service::simulation::baseline_verdict(baseline, &event);
        }
        simulator.push(&event);
    }
    let again = simulator.finish();
    let stored = &receipt.summary;
    let mut differences = Vec::new();
    let mut compare = |what: &str, then: String, now: String| {
        if then != now {
            differences.push(format!("  {what}: receipt {then}, recomputed {now}"));
        }
    };
    compare(
        "events scanned",
        stored.events_scanned.to_string(),
        again.events_scanned.to_string(),
    );
    compare(
        "events matched",
        stored.events_matched.to_string(),
        again.events_matched.to_string(),
    );
    compare(
        "events that would change",
        stored.events_would_have_changed.to_string(),
        again.events_would_have_changed.to_string(),
    );
    let broken = |s: &SimulationSummary| {
        s.expectations
            .as_ref()
            .map_or(0, |r| r.expectations_broken())
            .to_string()
    };
    compare("expectations broken", broken(stored), broken(&again));
    let now_digest = again.digest.clone().unwrap_or_default();
    compare("digest", stored_digest.to_string(), now_digest.clone());
    let mut text = String::new();
    if let Some(version) = &request.evaluator_version {
        if version != policy::EVALUATOR_VERSION {
            text.push_str(&format!(
                "note: the run was judged by evaluator {version}; this is {}\n",
                policy::EVALUATOR_VERSION
            ));
        }
    }
    let holds = differences.is_empty();
    if holds {
        text.push_str(&format!(
            "receipt {} holds: {} events, digest {now_digest}\n",
            receipt.id, again.events_scanned
        ));
    } else {
        text.push_str(&format!(
            "receipt {} does not hold over {}:\n{}\n",
            receipt.id,
            events_path.display(),
            differences.join("\n")
        ));
    }
    Ok(Verification { holds, text })
}
