//! The fuzz targets' bodies. They live in plain modules, included by path into the
//! main workspace's tests too (`policy/tests/fuzz_corpus.rs`,
//! `server/tests/fuzz_corpus.rs`), so `cargo test` replays the committed corpus
//! on every run without cargo-fuzz or a nightly compiler.
pub mod policy_targets;

#[cfg(feature = "ingest")]
pub mod ingest_target;
