//! Decisions per second for 10, 200 and 2,000 mixed rules, compile time of
//! each set, and a 1,000,000-event simulation. Besides criterion's report,
//! prints plain decisions/second figures from a timed loop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use policy::{simulate, CompiledPolicy, Subject, Unmatched};

const SIZES: [usize; 3] = [10, 200, 2_000];

use policy::workload::{events, probes, rule_set, Probe};

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

/// Plain timed loop: decisions per second on one core.
fn decisions_per_second(policy: &CompiledPolicy, subjects: &[Subject<'_>]) -> f64 {
    let mut decided = 0u64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        for s in subjects {
            black_box(policy.evaluate_index(black_box(s)));
        }
        decided += subjects.len() as u64;
    }
    decided as f64 / start.elapsed().as_secs_f64()
}

fn bench_evaluate(c: &mut Criterion) {
    let probes = probes();
    let subjects = subjects(&probes);
    let mut group = c.benchmark_group("evaluate");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(subjects.len() as u64));
    for n in SIZES {
        let policy = rule_set(n).compile().unwrap();
        let hits = subjects
            .iter()
            .filter(|s| policy.evaluate_index(s).is_some())
            .count();
        group.bench_with_input(BenchmarkId::new("index", n), &policy, |b, p| {
            b.iter(|| {
                for s in &subjects {
                    black_box(p.evaluate_index(black_box(s)));
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("decision", n), &policy, |b, p| {
            b.iter(|| {
                for s in &subjects {
                    black_box(p.evaluate(black_box(s)));
                }
            })
        });
        println!(
            "decisions/s, {n} rules: {:.2} M/s ({hits}/{} probes decided by a rule)",
            decisions_per_second(&policy, &subjects) / 1e6,
            subjects.len()
        );
    }
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let set = rule_set(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &set, |b, s| {
            b.iter(|| s.compile().unwrap())
        });
        let start = Instant::now();
        black_box(set.compile().unwrap());
        println!(
            "compile, {n} rules: {:.2} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    group.finish();
}

fn bench_simulate(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let events = events(N);
    let draft = rule_set(200).compile().unwrap();
    let mut group = c.benchmark_group("simulate");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("1m_events_200_rules", |b| {
        b.iter(|| simulate(&draft, black_box(&events), Unmatched::KeepRecorded))
    });
    group.finish();
    let start = Instant::now();
    let summary = simulate(&draft, &events, Unmatched::KeepRecorded);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "simulate, {N} events, 200 rules: {:.0} ms ({:.2} M events/s; scanned {}, matched {}, changed {}, {} samples)",
        secs * 1e3,
        N as f64 / secs / 1e6,
        summary.events_scanned,
        summary.events_matched,
        summary.events_would_have_changed,
        summary.sample_matches.len()
    );
}

criterion_group!(benches, bench_evaluate, bench_compile, bench_simulate);
criterion_main!(benches);
