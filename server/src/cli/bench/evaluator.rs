//! `preflight bench evaluator`: decisions per second and compile time for mixed rule
//! sets, side by side with the Python reference (`bench/reference_eval.py`).
use std::hint::black_box;
use std::time::{Duration, Instant};

use policy::workload::{probes, rule_set, Probe};
use policy::{CompiledPolicy, Subject};
use serde_json::{json, Value};

use super::stats::Spread;

/// The reference script, embedded so the benchmark runs from any directory.
const REFERENCE: &str = include_str!("../../../../bench/reference_eval.py");

#[derive(clap::Args, Debug)]
pub struct EvaluatorArgs {
    /// Rule set sizes.
    #[arg(long, value_delimiter = ',', default_values_t = [10usize, 200, 2000])]
    sizes: Vec<usize>,
    /// Seconds of measurement per size (split into the samples).
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Samples per size.
    #[arg(long, default_value_t = 9)]
    samples: usize,
    /// Python interpreter for the reference; `none` skips it.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Seconds of the Python reference per size (it is slow; a few samples suffice).
    #[arg(long, default_value_t = 2.0)]
    python_seconds: f64,
}

fn subjects(probes: &[Probe]) -> Vec<Subject<'_>> {
    probes
        .iter()
        .map(|p| Subject {
            tool: &p.tool,
            agent: p.agent.as_deref(),
            cost_usd: p.cost_usd,
        })
        .collect()
}

/// CPU time of the calling thread in seconds (`/proc/thread-self/schedstat`), so a
/// rate per CPU-second holds on a loaded machine; `None` elsewhere.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// One sample: passes over all subjects until `budget` has elapsed; decisions per
/// wall-clock second and per CPU second.
fn sample(policy: &CompiledPolicy, subjects: &[Subject<'_>], budget: Duration) -> (f64, f64) {
    let mut decided = 0u64;
    let cpu = thread_cpu_seconds();
    let start = Instant::now();
    loop {
        for s in subjects {
            black_box(policy.evaluate_index(black_box(s)));
        }
        decided += subjects.len() as u64;
        if start.elapsed() >= budget {
            break;
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => f64::NAN,
    };
    (decided as f64 / wall, decided as f64 / cpu)
}

/// Runs the Python reference; (decisions/s samples, deciding rule per probe).
fn python_reference(
    args: &EvaluatorArgs,
    n: usize,
    probes: &[Probe],
) -> Result<(Vec<f64>, Vec<f64>, Vec<Option<usize>>), String> {
    let dir = std::env::temp_dir().join(format!("preflight-bench-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let script = dir.join("reference_eval.py");
    let input = dir.join(format!("workload-{n}.json"));
    let rules = serde_json::to_value(&rule_set(n).rules).map_err(|e| e.to_string())?;
    let events: Vec<Value> = probes
        .iter()
        .map(|p| json!({"tool": p.tool, "agent": p.agent, "cost_usd": p.cost_usd}))
        .collect();
    let spec =
        json!({"rules": rules, "events": events, "seconds": args.python_seconds, "samples": 3});
    std::fs::write(&script, REFERENCE).map_err(|e| e.to_string())?;
    std::fs::write(&input, spec.to_string()).map_err(|e| e.to_string())?;
    let output = std::process::Command::new(&args.python)
        .arg(&script)
        .arg(&input)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", args.python))?;
    let _ = std::fs::remove_dir_all(&dir);
    if !output.status.success() {
        return Err(format!(
            "the Python reference failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let answer: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("the Python reference printed no JSON: {e}"))?;
    let floats = |key: &str| -> Vec<f64> {
        answer[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let (rates, cpu_rates) = (floats("rates"), floats("cpu_rates"));
    let decisions = answer["decisions"]
        .as_array()
        .map(|a| a.iter().map(|d| d.as_u64().map(|i| i as usize)).collect())
        .unwrap_or_default();
    Ok((rates, cpu_rates, decisions))
}

pub fn run(args: &EvaluatorArgs) -> Result<(), String> {
    let probes = probes();
    let subjects = subjects(&probes);
    let samples = args.samples.max(1);
    let budget = Duration::from_secs_f64((args.seconds / samples as f64).max(0.001));
    println!(
        "evaluator: {} subjects (literal, prefix, infix and unmatched tool names), {samples} samples of {:.0} ms per size, one thread",
        subjects.len(),
        budget.as_secs_f64() * 1e3
    );
    for &n in &args.sizes {
        let set = rule_set(n);
        let mut compile_times = Vec::new();
        let mut policy = None;
        for _ in 0..samples.clamp(3, 15) {
            let start = Instant::now();
            let compiled = set.compile().map_err(|e| policy::join_errors(&e))?;
            compile_times.push(start.elapsed().as_secs_f64());
            policy = Some(compiled);
        }
        let policy = policy.ok_or("no compiled policy")?;
        let decided = subjects
            .iter()
            .filter(|s| policy.evaluate_index(s).is_some())
            .count();
        sample(&policy, &subjects, budget); // warm-up
        let (rates, cpu_rates): (Vec<f64>, Vec<f64>) = (0..samples)
            .map(|_| sample(&policy, &subjects, budget))
            .unzip();
        let (ours, ours_cpu) = (Spread::of(&rates), Spread::of(&cpu_rates));
        println!(
            "rules {n}: {decided}/{} subjects decided by a rule",
            subjects.len()
        );
        println!("  compile  {}", Spread::of(&compile_times).ms());
        println!("  rust     decisions/s      {}", ours.show(1e-6, 2, "M"));
        println!(
            "  rust     decisions/CPU-s  {}",
            ours_cpu.show(1e-6, 2, "M")
        );
        if args.python == "none" {
            continue;
        }
        let (py_rates, py_cpu_rates, py_decisions) = python_reference(args, n, &probes)?;
        let agree = subjects
            .iter()
            .zip(&py_decisions)
            .filter(|(s, d)| policy.evaluate_index(s) == **d)
            .count();
        let (py, py_cpu) = (Spread::of(&py_rates), Spread::of(&py_cpu_rates));
        println!("  python   decisions/s      {}", py.show(1e-3, 1, "k"));
        println!("  python   decisions/CPU-s  {}", py_cpu.show(1e-3, 1, "k"));
        println!(
            "  ratio    {:.0}x per second, {:.0}x per CPU second (p50s); same decisions on {agree}/{} subjects",
            ours.p50 / py.p50,
            ours_cpu.p50 / py_cpu.p50,
            subjects.len()
        );
    }
    Ok(())
}
