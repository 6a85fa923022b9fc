//! The internal model every accepted input shape is parsed into: actions,
//! verdicts, precedence, rules, rule sets, and the error/warning types.

use std::fmt;
use std::str::FromStr;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// Longest pattern (tool or agent) accepted, in characters. Patterns are
/// user input that ends up in a regex automaton; a cap keeps compile time and
/// memory predictable.
pub const MAX_PATTERN_CHARS: usize = 1_000;

/// Most rules accepted in one rule set (same reason as [`MAX_PATTERN_CHARS`]).
pub const MAX_RULES: usize = 10_000;

/// Most characters across all patterns of a rule set (tool and agent).
/// Compile time grows with the total; this keeps a hostile rule set from
/// burning seconds of CPU before globset gives up on it.
pub const MAX_TOTAL_PATTERN_CHARS: usize = 250_000;

/// The total-size check shared by the parser and `compile`.
pub(crate) fn check_total_size(rules: &[Rule]) -> Option<FieldError> {
    let total: usize = rules
        .iter()
        .map(|r| {
            r.pattern.chars().count() + r.agent_pattern.as_deref().map_or(0, |a| a.chars().count())
        })
        .sum();
    (total > MAX_TOTAL_PATTERN_CHARS).then(|| {
        FieldError::new(
            "rules",
            format!("patterns total {total} characters; the limit is {MAX_TOTAL_PATTERN_CHARS}"),
        )
    })
}

/// What a rule does to a matching event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Block,
    Allow,
    RequireApproval,
    #[serde(alias = "audit")]
    AuditOnly,
}

impl Action {
    /// Every action, in the order used by error messages.
    pub const ALL: [Action; 4] = [
        Action::Block,
        Action::Allow,
        Action::RequireApproval,
        Action::AuditOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Allow => "allow",
            Action::RequireApproval => "require_approval",
            Action::AuditOnly => "audit_only",
        }
    }

    /// How people read it (the dashboard's labels; `as_str` is the code files use).
    pub fn label(self) -> &'static str {
        match self {
            Action::Block => "Block",
            Action::Allow => "Allow",
            Action::RequireApproval => "Require approval",
            Action::AuditOnly => "Audit only",
        }
    }

    /// The verdict an event gets when this action decides it.
    pub fn verdict(self) -> Verdict {
        match self {
            Action::Block => Verdict::Blocked,
            Action::RequireApproval => Verdict::Held,
            Action::Allow | Action::AuditOnly => Verdict::Allowed,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = String;

    /// Accepts the four action names plus `audit` as an alias of
    /// `audit_only`. The error is the list of accepted names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "block" => Ok(Action::Block),
            "allow" => Ok(Action::Allow),
            "require_approval" => Ok(Action::RequireApproval),
            "audit_only" | "audit" => Ok(Action::AuditOnly),
            _ => Err("block, allow, require_approval, audit_only".to_string()),
        }
    }
}

/// The product's five verbs for what happened (or would happen) to an event.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Also what an event without a recorded verdict is taken to have had.
    #[default]
    Allowed,
    Blocked,
    Held,
    Redacted,
    Errored,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [
        Verdict::Allowed,
        Verdict::Blocked,
        Verdict::Held,
        Verdict::Redacted,
        Verdict::Errored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Blocked => "blocked",
            Verdict::Held => "held",
            Verdict::Redacted => "redacted",
            Verdict::Errored => "errored",
        }
    }

    /// Position in [`Verdict::ALL`]; used for fixed-size counters.
    pub(crate) fn index(self) -> usize {
        match self {
            Verdict::Allowed => 0,
            Verdict::Blocked => 1,
            Verdict::Held => 2,
            Verdict::Redacted => 3,
            Verdict::Errored => 4,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown verdict \"{s}\"; expected allowed, blocked, held, redacted, errored"
                )
            })
    }
}

/// Which matching rule decides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precedence {
    /// The last matching rule wins (the documented default).
    #[default]
    LastMatch,
    /// The first matching rule wins.
    FirstMatch,
}

impl Precedence {
    pub fn as_str(self) -> &'static str {
        match self {
            Precedence::LastMatch => "last_match",
            Precedence::FirstMatch => "first_match",
        }
    }

    /// How people read it (the dashboard's labels).
    pub fn label(self) -> &'static str {
        match self {
            Precedence::LastMatch => "Last match wins",
            Precedence::FirstMatch => "First match wins",
        }
    }
}

impl fmt::Display for Precedence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Precedence {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "last_match" => Ok(Precedence::LastMatch),
            "first_match" => Ok(Precedence::FirstMatch),
            _ => Err(format!(
                "unknown precedence \"{s}\"; expected last_match, first_match"
            )),
        }
    }
}

/// One rule, whatever shape it came in.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// fnmatch glob over the tool name.
    pub pattern: String,
    pub action: Action,
    /// fnmatch glob over the agent name (`default` when the event has none).
    pub agent_pattern: Option<String>,
    /// The rule applies only to events whose cost is strictly greater.
    pub cost_max_usd: Option<f64>,
}

impl Rule {
    pub fn new(pattern: impl Into<String>, action: Action) -> Rule {
        Rule {
            pattern: pattern.into(),
            action,
            agent_pattern: None,
            cost_max_usd: None,
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = 2
            + usize::from(self.agent_pattern.is_some())
            + usize::from(self.cost_max_usd.is_some());
        let mut s = serializer.serialize_struct("Rule", len)?;
        s.serialize_field("pattern", &self.pattern)?;
        s.serialize_field("action", &self.action)?;
        if let Some(agent) = &self.agent_pattern {
            s.serialize_field("agent_pattern", agent)?;
        }
        if let Some(cost) = self.cost_max_usd {
            s.serialize_field("cost_max_usd", &cost)?;
        }
        s.end()
    }
}

/// Deserializes any single-rule shape (draft or SDK rule) through the same
/// validating parser as [`RuleSet::from_value`].
impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        crate::parse::rule_from_value(&value)
            .map_err(|errors| serde::de::Error::custom(join_errors(&errors)))
    }
}

/// An ordered list of rules plus the precedence that picks among matches.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSet {
    pub precedence: Precedence,
    pub rules: Vec<Rule>,
}

impl Serialize for RuleSet {
    /// Always the canonical policy-file shape.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("RuleSet", 3)?;
        s.serialize_field("version", &1)?;
        s.serialize_field("precedence", &self.precedence)?;
        s.serialize_field("rules", &self.rules)?;
        s.end()
    }
}

/// Deserializes any accepted shape through [`RuleSet::from_value`].
impl<'de> Deserialize<'de> for RuleSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        RuleSet::from_value(&value).map_err(|errors| serde::de::Error::custom(join_errors(&errors)))
    }
}

/// A problem with one field of the input, named by its path
/// (`rules[2].action`, or `kind` for a single draft rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for FieldError {}

/// Every error on its own line; handy for CLI output and serde errors.
pub fn join_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A lint finding about one rule (it can never decide, and why).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub rule_index: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rules[{}]: {}", self.rule_index, self.message)
    }
}
