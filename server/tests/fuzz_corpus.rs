//! Replays the committed fuzz corpus of the ingest decoder (`fuzz/corpus/ingest`)
//! through the fuzz target's own body on every `cargo test`. Long fuzzing runs are
//! separate: see README.md, "Security".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

#[path = "../../fuzz/src/ingest_target.rs"]
mod ingest_target;

#[test]
fn ingest_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/ingest");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "{} holds only {} inputs",
        dir.display(),
        files.len()
    );
    for path in files {
        let data = std::fs::read(&path).unwrap();
        if std::panic::catch_unwind(|| ingest_target::ingest(&data)).is_err() {
            panic!(
                "fuzz target ingest fails on {} (reproduce: cargo fuzz run ingest --features ingest {0})",
                path.display()
            );
        }
    }
}
