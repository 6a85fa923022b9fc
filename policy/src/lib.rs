//! Preflight's policy evaluator: rules, fnmatch globs, verdicts and the
//! simulation core. Pure: no IO, no threads, no clock; builds for
//! `wasm32-unknown-unknown` with `--no-default-features`.
//!
//! # Input shapes
//!
//! All of these parse (from JSON, or YAML with the default `yaml` feature)
//! into one [`RuleSet`]:
//!
//! - a draft rule (dashboard, simulate API):
//!   `{"kind": "block", "pattern": "openai.gpt-4o-mini", "agent_pattern": "support-*", "cost_max_usd": 0.05}`;
//! - an SDK rule: `{"action": "block", "pattern": "wire_*"}`;
//! - a policy file: `{version: 1, precedence: last_match, rules: [{match: "payments.*", action: require_approval}]}`
//!   (`version` and `precedence` optional; `version` must be 1);
//! - a bare list of rules.
//!
//! In any rule the tool glob is `pattern` or `match`, the action is `action`
//! or `kind` (`block`, `allow`, `require_approval`, `audit_only`, with
//! `audit` accepted for `audit_only`); `agent_pattern` and `cost_max_usd`
//! are optional. Unknown fields, wrong types, unknown names, negative or
//! non-finite costs are errors naming the field path
//! (`rules[2].action: unknown action "deny"; expected ...`, or `kind: ...`
//! for a single draft rule, `[2].action` for a bare list). All errors are
//! collected. Limits: [`MAX_PATTERN_CHARS`] per pattern, [`MAX_RULES`] rules,
//! [`MAX_TOTAL_PATTERN_CHARS`] across all patterns.
//!
//! # Matching
//!
//! Globs are exactly CPython 3.11 `fnmatch.fnmatchcase`: anchored at both
//! ends, case-sensitive, one non-ASCII character is one character. `*`
//! matches any sequence (dots, newlines, empty); `?` one character;
//! `[seq]` / `[!seq]` classes with ranges, where a `]` right after `[` or
//! `[!` is a member, `-` splits ranges the way CPython's chunk logic does,
//! reversed ranges (`[z-a]`) are dropped, a class left empty never matches
//! and a negated class left empty (`[!z-a]`) matches any one character. An
//! unclosed `[` is a literal; backslash and braces are literals.
//!
//! Each distinct pattern is translated to tokens ([`glob::tokenize`]) and
//! emitted as globset syntax; a rule set compiles to one `GlobSet` over tool
//! names and, when rules use `agent_pattern`, one over agent names. globset
//! matches bytes, so for patterns with `?`, a negated class or a class with
//! non-ASCII members it is exact only on ASCII names; non-ASCII names are
//! checked against those patterns with a looser prefilter `GlobSet` plus this
//! crate's own matcher. Patterns that can never match stay out of the sets.
//! (Native Windows builds would see globset turn `\` in names into `/`;
//! Preflight targets Unix and wasm.)
//!
//! At evaluation time the same sets are decided faster (see BENCHMARKS.md):
//! one Aho-Corasick pass over each pattern's longest required literal finds
//! the candidate patterns, this crate's own fnmatch matcher confirms them
//! (`prefilter`), and a small per-thread cache remembers which patterns a
//! recently seen name matched. Still one pass decides all rules; the
//! `GlobSet`s are built for every set (a set globset rejects is rejected) and
//! the tests check that both paths give the same matches.
//!
//! # Deciding
//!
//! A rule applies to a subject when its pattern matches the tool, its
//! `agent_pattern` (if any) matches the agent — a missing agent is
//! `default`, as the SDK tags it — and, if it has `cost_max_usd`, the
//! subject's `cost_usd` is strictly greater (no cost → the rule does not
//! apply). Under `last_match` (the default) the last applicable rule
//! decides; under `first_match` the first. No applicable rule → `allowed`
//! with no deciding rule. Verdicts use the product's five verbs:
//! block → `blocked`, require_approval → `held`, allow → `allowed`,
//! audit_only → `allowed` with `audited` set. Recorded events may carry any
//! of `allowed`, `blocked`, `held`, `redacted`, `errored`.
//!
//! # Simulation
//!
//! [`Simulator`] replays recorded [`Event`]s under a draft. Only
//! `tool_call`, `llm_call` and `mcp_tool_call` events are scanned. An event
//! is *matched* when a draft rule decides it, *changed* when its simulated
//! verdict differs from the recorded one. Unmatched events keep their
//! recorded verdict ([`Unmatched::KeepRecorded`], a draft rule layered over
//! reality) or become `allowed` ([`Unmatched::Allowed`], a whole replacement
//! rule set). Up to [`SAMPLE_LIMIT`] matched events are sampled: changed
//! ones first; within each group round-robin over traces in order of first
//! appearance (every trace's first event, then every trace's second, ...),
//! in input order. Memory stays bounded whatever the event count.
//!
//! # Lint
//!
//! [`RuleSet::lint`] warns about rules that can never decide: patterns that
//! can never match, rules shadowed by an unconditional `*` rule (a later one
//! under last_match, an earlier one under first_match), and duplicates
//! (same pattern, agent_pattern and cost condition) that lose under the
//! precedence.

mod blast;
mod cache;
mod coverage;
mod draft;
mod emit;
mod eval;
pub mod fixtures;
pub mod glob;
pub mod json_api;
mod lint;
mod model;
mod parse;
mod patset;
mod prefilter;
mod simulate;
mod vocab;
#[doc(hidden)]
pub mod workload;
#[cfg(feature = "yaml")]
mod yaml;

#[cfg(feature = "yaml")]
pub mod cases;

pub use blast::{
    blast_radius, BlastRadius, NameChange, SeenCall, BLAST_LIST_LIMIT, BLAST_WINDOW_DAYS,
    MAX_SEEN_CALLS,
};
pub use coverage::{CoverageReport, RuleCoverage};
pub use draft::{differences, preview, unmatched_mode, Baseline, Draft};
pub use eval::{CompiledPolicy, Decision, MatchedRule, Subject, DEFAULT_AGENT};
pub use fixtures::{
    receipt_header, Expectation, ExpectationReport, ExpectationSet, Expected, Review, ReviewLabels,
    ReviewReport, EVALUATOR_VERSION,
};
pub use model::{
    join_errors, Action, FieldError, Precedence, Rule, RuleSet, Verdict, Warning,
    MAX_PATTERN_CHARS, MAX_RULES, MAX_TOTAL_PATTERN_CHARS,
};
pub use simulate::{
    simulate, Event, SampleMatch, SimulationSummary, Simulator, Unmatched, SAMPLE_LIMIT,
};
pub use vocab::{is_call_kind, policy_relevant, AuditView, EventKind, TimeWindow};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}

    #[test]
    fn compiled_policy_is_shareable() {
        assert_send_sync::<CompiledPolicy>();
    }
}
