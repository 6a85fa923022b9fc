//! Replays the committed fuzz corpus (`fuzz/corpus/rules`, `fuzz/corpus/glob`) through
//! the fuzz targets' own bodies, so every `cargo test` checks what the fuzzers check
//! on the inputs they found interesting, without cargo-fuzz or a nightly compiler.
//! Long fuzzing runs are separate: see README.md, "Security".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

#[path = "../../fuzz/src/policy_targets.rs"]
mod policy_targets;

/// Every file of `fuzz/corpus/<target>`; an empty or missing corpus is a failure.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            (path, data)
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "{} holds only {} inputs",
        dir.display(),
        files.len()
    );
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    for (path, data) in corpus(target) {
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            panic!(
                "fuzz target {target} fails on {} (reproduce: cargo fuzz run {target} {0})",
                path.display()
            );
        }
    }
}

#[test]
fn rules_corpus() {
    replay("rules", policy_targets::rules);
}

#[test]
fn glob_corpus() {
    replay("glob", policy_targets::glob);
}
