//! `preflight bench ...` at a tiny size: each subcommand runs and prints its figures.
//! Benchmarks are not tests: nothing here looks at how fast anything was, only at the
//! shape of the output and the counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn bench(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .arg("bench")
        .args(args)
        .output()
        .expect("run preflight bench");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "preflight bench {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("machine: "), "{stdout}");
    assert!(stdout.contains(" cores · load "), "{stdout}");
    stdout
}

/// The `p50 … p95 … min … max … (n=N)` figure on the line starting with `label`.
fn figure_line<'a>(out: &'a str, label: &str) -> &'a str {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in:\n{out}"));
    for part in ["p50 ", "p95 ", "min ", "max ", "(n="] {
        assert!(line.contains(part), "{line:?} lacks {part:?}");
    }
    line
}

#[test]
fn evaluator_prints_rates_compile_times_and_the_python_ratio() {
    let python = if Command::new("python3").arg("--version").output().is_ok() {
        "python3"
    } else {
        "none"
    };
    let out = bench(&[
        "evaluator",
        "--sizes",
        "10,200",
        "--seconds",
        "0.05",
        "--samples",
        "2",
        "--python",
        python,
        "--python-seconds",
        "0.05",
    ]);
    for n in ["10", "200"] {
        assert!(out.contains(&format!("rules {n}: ")), "{out}");
    }
    assert_eq!(out.matches("  compile  p50").count(), 2, "{out}");
    assert!(figure_line(&out, "rust     decisions/s ").contains("(n=2)"));
    figure_line(&out, "rust     decisions/CPU-s");
    if python == "python3" {
        figure_line(&out, "python   decisions/s ");
        figure_line(&out, "python   decisions/CPU-s");
        assert_eq!(out.matches("x per CPU second").count(), 2, "{out}");
        // The reference and the evaluator decide alike, subject for subject.
        assert_eq!(
            out.matches("same decisions on 1024/1024 subjects").count(),
            2,
            "{out}"
        );
    }
}

#[test]
fn ingest_counts_every_event_and_the_disk_used() {
    let out = bench(&[
        "ingest",
        "--events",
        "500",
        "--clients",
        "2",
        "--batch",
        "50",
    ]);
    assert!(
        out.contains("ingest: 500 events, 2 clients, batches of 50"),
        "{out}"
    );
    assert!(out.contains("(500 events in "), "{out}");
    assert!(out.contains("500 accepted"), "{out}");
    // Three of the five span kinds are the scanned ones: 300 of 500.
    assert!(out.contains("300/300 scanned-kind events stored"), "{out}");
    assert!(out.contains("nothing lost"), "{out}");
    figure_line(&out, "request");
    assert!(out.contains("events per server CPU-second"), "{out}");
    assert!(out.contains("MB per million events"), "{out}");
}

#[test]
fn simulate_times_the_dataset_and_the_whole_store() {
    let out = bench(&[
        "simulate",
        "--traces",
        "4",
        "--events-per-trace",
        "10",
        "--events",
        "240",
        "--runs",
        "2",
        "--full-runs",
        "1",
        "--rules",
        "10",
    ]);
    assert!(out.contains("(40 in the dataset: 4 traces x 10)"), "{out}");
    // 40 dataset events, 24 of the scanned kinds; 200 more in the store, 144 in all.
    assert!(
        out.contains("draft of 10 rules, 24 events scanned"),
        "{out}"
    );
    assert!(out.contains("144 events scanned (of 240 stored)"), "{out}");
    assert_eq!(out.matches("    http      p50").count(), 2, "{out}");
    assert_eq!(out.matches("    server    p50").count(), 2, "{out}");
    assert_eq!(out.matches("    cpu       p50").count(), 2, "{out}");
}

#[test]
fn render_times_each_dashboard_page() {
    let out = bench(&[
        "render", "--events", "100", "--spans", "30", "--turns", "3", "--runs", "2",
    ]);
    assert!(
        out.contains("loaded 100 background events, a trace of 30 spans, a thread of 3 turns"),
        "{out}"
    );
    for page in ["traces list", "run tree", "thread"] {
        assert!(figure_line(&out, page).contains("KB of HTML"), "{out}");
    }
}
