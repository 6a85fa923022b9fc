//! What `/v1/openapi.json` says beyond the handlers' annotations, added in one place
//! so that no operation is missed and no limit is written twice:
//! - the error answers each operation can give, by its shape (every operation: 401,
//!   403, 500, 503; with a query string or path parameters: 400, 422; with path
//!   parameters: 404; with a body: 400, 408, 413, 415, 422; a policy write: 409);
//! - the constraints of request fields and parameters, taken from the constants the
//!   service enforces them with;
//! - the schema of a policy draft (rule, list of rules, policy file);
//! - links from the operations that create things to the ones that read them, so a
//!   client (and Schemathesis's stateful phase) can follow ids from one to the next.
//!
//! `server/tests/openapi_contract.rs` holds the server to it with Schemathesis.
use serde_json::{json, Map, Value};

/// The document as served: utoipa's, completed.
pub fn complete(mut doc: Value) -> Value {
    add_schemas(&mut doc);
    constrain_bodies(&mut doc);
    for (path, method, operation) in operations(&mut doc) {
        constrain_parameters(operation);
        add_error_answers(&path, &method, operation);
    }
    add_links(&mut doc);
    doc
}

/// Each operation with its path and method.
fn operations(doc: &mut Value) -> Vec<(String, String, &mut Value)> {
    let mut found = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            if let Some(item) = item.as_object_mut() {
                for (method, operation) in item.iter_mut() {
                    if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                        found.push((path.clone(), method.clone(), operation));
                    }
                }
            }
        }
    }
    found
}

fn error_answer(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

fn add_error_answers(path: &str, method: &str, operation: &mut Value) {
    let parameters = operation["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let has = |location: &str| parameters.iter().any(|p| p["in"] == location);
    let has_body = operation.get("requestBody").is_some();
    let mut answers: Vec<(&str, &str)> = vec![
        ("401", "Missing, unknown or revoked API key"),
        (
            "403",
            "The key's scope does not allow this (`insufficient_scope`, with \
             `required_scopes`); see the table of scopes in the README",
        ),
        (
            "500",
            "The server's fault: the body carries `request_id`, under which the server \
             log has the details",
        ),
        (
            "503",
            "Too busy (the limit of concurrent API requests); retry after `Retry-After` seconds",
        ),
    ];
    if has("query") || has("path") {
        answers.push((
            "400",
            "A parameter the operation does not take, or a value not of its parameter's type",
        ));
        answers.push(("422", "A parameter's value is refused; `field` names it"));
    }
    if has("path") {
        answers.push(("404", "Not found in this project"));
    }
    if has_body {
        answers.push(("400", "The body is not JSON of the documented shape"));
        answers.push((
            "408",
            "The body did not arrive within the server's deadline",
        ));
        answers.push((
            "413",
            "The body is larger than the server takes, as sent or once decompressed",
        ));
        answers.push((
            "415",
            "The body is not sent as `Content-Type: application/json`",
        ));
        answers.push(("422", "A field's value is refused; `field` names it"));
    }
    if path.starts_with("/v1/policies") && method != "get" {
        answers.push((
            "409",
            "Another version was saved meanwhile (the message names it and who saved it); \
             read the rules again and retry",
        ));
    }
    // OTLP answers in its own encodings; its annotation documents them.
    let otlp = path.starts_with(super::otel::PATH_PREFIX);
    let Some(responses) = operation["responses"].as_object_mut() else {
        return;
    };
    for (status, description) in answers {
        if otlp && status == "415" {
            continue;
        }
        responses
            .entry(status.to_string())
            .or_insert_with(|| error_answer(description));
    }
    if otlp {
        // An OTLP exporter that sent protobuf (or no `Content-Type`) is answered in
        // protobuf: a `google.rpc.Status`.
        for (status, answer) in responses.iter_mut() {
            if status.starts_with('4') || status.starts_with('5') {
                answer["content"]["application/x-protobuf"] = json!({
                    "schema": {"type": "string", "format": "binary",
                               "description": "google.rpc.Status (OTLP/HTTP's error body)"}
                });
            }
        }
    }
}

/// Page sizes are `u32` on the wire: at least 1, and one larger than a listing's
/// largest is lowered to it. Cursors are what a previous page's `next_cursor` was.
fn constrain_parameters(operation: &mut Value) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters {
        let location = parameter["in"].as_str().unwrap_or_default().to_string();
        let name = parameter["name"].as_str().unwrap_or_default().to_string();
        let schema = match (location.as_str(), name.as_str()) {
            ("query", "limit") => json!({"type": "integer", "minimum": 1, "maximum": u32::MAX}),
            ("query", "cursor") => json!({
                "type": "string",
                "pattern": "^(?:[0-9a-f]{2})+$",
                "description": "Opaque: a previous page's `next_cursor`; one the server did not \
                                issue is refused (422)"
            }),
            ("query", "before") => json!({"type": "integer", "format": "int64"}),
            ("query", "status") => enum_of(&["pending", "approved", "rejected"]),
            ("query", "verdict") => enum_of(&VERDICTS),
            ("query", "since" | "until") => time(false),
            ("query", "kind") => json!({
                "type": "string",
                "pattern": kinds_pattern(),
                "description": "Comma-separated span kinds, e.g. `approval,budget_check`"
            }),
            ("path", "index") => json!({"type": "integer", "minimum": 0, "maximum": i64::MAX}),
            ("path", "version") => json!({"type": "integer", "format": "int64"}),
            _ => continue,
        };
        parameter["schema"] = schema;
    }
}

/// An RFC 3339 time; empty is the same as absent (`read::parse_time`).
fn time(nullable: bool) -> Value {
    let mut schema = json!({
        "type": "string",
        "anyOf": [{"format": "date-time"}, {"maxLength": 0}],
        "description": "RFC 3339, e.g. `2026-12-01T00:00:00Z`; empty is the same as absent"
    });
    if nullable {
        schema["type"] = json!(["string", "null"]);
        schema["anyOf"] = json!([{"format": "date-time"}, {"maxLength": 0}, {"type": "null"}]);
    }
    schema
}

const VERDICTS: [&str; 5] = ["allowed", "blocked", "held", "redacted", "errored"];

fn enum_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// Span kinds, comma-separated, as `service::audit::parse_kinds` reads them: each
/// trimmed, empty ones skipped.
fn kinds_pattern() -> String {
    let kinds: Vec<&str> = policy::EventKind::ALL.iter().map(|k| k.as_str()).collect();
    let item = format!("\\s*(?:(?:{})\\s*)?", kinds.join("|"));
    format!("^{item}(?:,{item})*$")
}

/// Free text people type: trimmed, so it must hold a character that is not white
/// space; at most `max` characters as sent.
fn text(max: usize) -> Value {
    json!({"type": "string", "pattern": "\\S", "maxLength": max})
}

fn optional_text(max: usize) -> Value {
    json!({"type": ["string", "null"], "maxLength": max})
}

/// The draft's shapes, as `policy::RuleSet::from_value` parses them. The parser also
/// takes `match` for `pattern` and, in a lone draft rule, `kind` for `action`; the
/// document gives the canonical names.
fn add_schemas(doc: &mut Value) {
    let pattern_chars = policy::MAX_PATTERN_CHARS;
    let rule = json!({
        "type": "object",
        "description": "One rule: the tools it matches (an fnmatch glob), what it decides, and \
                        optionally the agents it applies to and the cost above which it applies.",
        "required": ["pattern", "action"],
        "additionalProperties": false,
        "properties": {
            "pattern": {"type": "string", "maxLength": pattern_chars, "example": "payments.*"},
            "action": enum_of(&["block", "allow", "require_approval", "audit_only"]),
            "agent_pattern": {"type": ["string", "null"], "maxLength": pattern_chars},
            "cost_max_usd": {"type": ["number", "null"], "minimum": 0}
        }
    });
    let rules = json!({
        "type": "array",
        "items": {"$ref": "#/components/schemas/Rule"},
        "maxItems": policy::MAX_RULES
    });
    let precedence =
        json!({"type": ["string", "null"], "enum": ["last_match", "first_match", null]});
    let file = json!({
        "type": "object",
        "description": "A policy file: `rules`, with `version` 1 and `precedence` optional.",
        "required": ["rules"],
        "additionalProperties": false,
        "properties": {
            "version": {"type": ["integer", "null"], "enum": [1, null]},
            "precedence": precedence,
            "rules": rules
        }
    });
    let draft = json!({
        "description": "A draft: one rule, a list of rules, or a policy file.",
        "anyOf": [
            {"$ref": "#/components/schemas/Rule"},
            {"$ref": "#/components/schemas/RuleList"},
            {"$ref": "#/components/schemas/PolicyFile"}
        ]
    });
    let schemas = &mut doc["components"]["schemas"];
    schemas["Rule"] = rule;
    schemas["RuleList"] = rules;
    schemas["PolicyFile"] = file;
    schemas["Draft"] = draft;
    schemas["Precedence"] = precedence;
}

/// A JamJet batch: `{"events": [...]}` or a bare array. Each event is judged by
/// itself (one that is not a span is reported in `rejected`, the others are kept), so
/// the document puts no shape on an event; other keys are ignored, as SDKs of other
/// versions send them.
fn ingest_body(doc: &mut Value) {
    let events = json!({
        "type": "array",
        "description": "JamJet SDK span events, judged one by one (see the README's wire format)",
        "items": {},
        "maxItems": super::Limits::default().max_batch_events
    });
    let schema = &mut doc["components"]["schemas"]["IngestBody"];
    schema["properties"]["events"] = events.clone();
    schema["properties"]["project"] = json!({
        "description": "Ignored unless it is a string naming another project than the key's (403)"
    });
    doc["paths"]["/v1/events/ingest"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"] = json!({
        "anyOf": [{"$ref": "#/components/schemas/IngestBody"}, events]
    });
}

/// `(schema, property, its schema)`: what each body field accepts, from the service's
/// limits.
fn body_fields() -> Vec<(&'static str, &'static str, Value)> {
    use service::names::{MAX_DATASET_NAME_CHARS, MAX_MESSAGE_CHARS, MAX_REASON_CHARS};
    let trace_ids = |max: usize| json!({"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "maxItems": max});
    let reference = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    vec![
        ("CreateDataset", "name", text(MAX_DATASET_NAME_CHARS)),
        (
            "CreateDataset",
            "description",
            optional_text(service::datasets::MAX_DESCRIPTION_CHARS),
        ),
        ("RenameDataset", "name", text(MAX_DATASET_NAME_CHARS)),
        (
            "AddItems",
            "trace_ids",
            trace_ids(service::datasets::MAX_ITEMS_PER_REQUEST),
        ),
        (
            "SetExpectation",
            "trace_id",
            text(policy::fixtures::MAX_TRACE_ID_CHARS),
        ),
        (
            "SetExpectation",
            "pattern",
            json!({"type": "string", "minLength": 1, "maxLength": policy::MAX_PATTERN_CHARS}),
        ),
        (
            "SetExpectation",
            "verdict",
            enum_of(&[
                "allowed", "blocked", "held", "redacted", "errored", "recorded",
            ]),
        ),
        (
            "CreateApproval",
            "action",
            text(service::approvals::MAX_ACTION_CHARS),
        ),
        ("Decision", "decision", enum_of(&["approved", "rejected"])),
        ("Decision", "reason", optional_text(MAX_REASON_CHARS)),
        ("ReplaceBody", "rules", reference("RuleList")),
        ("ReplaceBody", "precedence", reference("Precedence")),
        ("ReplaceBody", "message", optional_text(MAX_MESSAGE_CHARS)),
        ("RuleBody", "rule", reference("Rule")),
        ("RuleBody", "message", optional_text(MAX_MESSAGE_CHARS)),
        ("ReorderBody", "message", optional_text(MAX_MESSAGE_CHARS)),
        (
            "EvaluateBody",
            "tool",
            json!({"type": "string", "maxLength": service::policies::MAX_SUBJECT_CHARS}),
        ),
        (
            "EvaluateBody",
            "agent",
            json!({"type": ["string", "null"], "maxLength": service::policies::MAX_SUBJECT_CHARS}),
        ),
        (
            "EvaluateBody",
            "cost_usd",
            json!({"type": ["number", "null"], "minimum": 0}),
        ),
        ("SimulateBody", "draft", reference("Draft")),
        ("SimulateWindowBody", "draft", reference("Draft")),
        (
            "SimulateBody",
            "trace_ids",
            json!({"type": ["array", "null"], "items": {"type": "string"},
                   "maxItems": service::simulation::MAX_TRACE_IDS}),
        ),
        (
            "SimulateBody",
            "baseline",
            json!({"type": ["string", "null"], "enum": ["recorded", "active_policy", null]}),
        ),
        (
            "SimulateWindowBody",
            "baseline",
            json!({"type": ["string", "null"], "enum": ["recorded", "active_policy", null]}),
        ),
        ("SimulateWindowBody", "since", time(true)),
        ("SimulateWindowBody", "until", time(true)),
    ]
}

fn constrain_bodies(doc: &mut Value) {
    ingest_body(doc);
    // An empty OTLP/HTTP body (no `Content-Type`: protobuf) is an empty export.
    doc["paths"]["/otel/v1/traces"]["post"]["requestBody"]["required"] = json!(false);
    let schemas = &mut doc["components"]["schemas"];
    for (schema, property, field) in body_fields() {
        let slot = &mut schemas[schema]["properties"][property];
        // Keep what the annotation says about the field.
        let description = slot.get("description").cloned();
        *slot = field;
        if let (Some(description), Some(slot)) = (description, slot.as_object_mut()) {
            slot.entry("description").or_insert(description);
        }
    }
    // A batch runs over a dataset or a list of traces: exactly one of them.
    schemas["SimulateBody"]["oneOf"] = json!([
        {"required": ["dataset_id"], "properties": {"dataset_id": {"type": "string"}, "trace_ids": {"type": "null"}}},
        {"required": ["trace_ids"], "properties": {"trace_ids": {"type": "array"}, "dataset_id": {"type": "null"}, "dataset_version": {"type": "null"}}}
    ]);
}

/// Links from one operation's answer (method, path, status) to the operations it leads
/// to (link name, method, path), all with the same parameters: OpenAPI runtime
/// expressions over that answer or its request.
struct Links {
    from: (&'static str, &'static str, &'static str),
    parameters: &'static [(&'static str, &'static str)],
    to: &'static [(&'static str, &'static str, &'static str)],
}

const RUN_ID: &[(&str, &str)] = &[("id", "$response.body#/simulation_id")];
const NEW_ID: &[(&str, &str)] = &[("id", "$response.body#/id")];
const VERSION: &[(&str, &str)] = &[("version", "$response.body#/version")];
const EVENT_TRACE: &[(&str, &str)] = &[("trace_id", "$request.body#/events/0/trace_id")];

/// What each created thing leads to.
const LINKS: &[Links] = &[
    Links {
        from: ("post", "/v1/datasets", "201"),
        parameters: NEW_ID,
        to: &[
            ("GetDataset", "get", "/v1/datasets/{id}"),
            ("RenameDataset", "patch", "/v1/datasets/{id}"),
            ("PinTraces", "post", "/v1/datasets/{id}/items"),
            ("DatasetVersions", "get", "/v1/datasets/{id}/versions"),
            (
                "DatasetExpectations",
                "get",
                "/v1/datasets/{id}/expectations",
            ),
            ("SetExpectation", "put", "/v1/datasets/{id}/expectations"),
            ("DeleteDataset", "delete", "/v1/datasets/{id}"),
        ],
    },
    Links {
        from: ("post", "/v1/datasets/{id}/items", "200"),
        parameters: &[
            ("id", "$request.path.id"),
            ("trace_id", "$response.body#/added/0"),
        ],
        to: &[("UnpinTrace", "delete", "/v1/datasets/{id}/items/{trace_id}")],
    },
    Links {
        from: ("post", "/v1/datasets/{id}/items", "200"),
        parameters: &[("id", "$request.path.id")],
        to: &[("DatasetAfterPin", "get", "/v1/datasets/{id}")],
    },
    Links {
        from: ("put", "/v1/datasets/{id}/expectations", "200"),
        parameters: &[
            ("id", "$request.path.id"),
            ("expectation_id", "$response.body#/id"),
        ],
        to: &[(
            "RemoveExpectation",
            "delete",
            "/v1/datasets/{id}/expectations/{expectation_id}",
        )],
    },
    Links {
        from: ("post", "/v1/events/ingest", "200"),
        parameters: EVENT_TRACE,
        to: &[
            ("IngestedTrace", "get", "/v1/traces/{trace_id}"),
            ("IngestedReplay", "get", "/v1/traces/{trace_id}/replay"),
        ],
    },
    Links {
        from: ("post", "/v1/events/ingest", "200"),
        parameters: &[("session_id", "$request.body#/events/0/session_id")],
        to: &[("IngestedThread", "get", "/v1/threads/{session_id}")],
    },
    Links {
        from: ("post", "/v1/policy/simulate/batch", "200"),
        parameters: RUN_ID,
        to: &[
            ("StoredRun", "get", "/v1/policy/simulations/{id}"),
            (
                "StoredRunEvents",
                "get",
                "/v1/policy/simulations/{id}/events",
            ),
            ("RunAgain", "post", "/v1/policy/simulations/{id}/rerun"),
        ],
    },
    Links {
        from: ("post", "/v1/policy/simulate", "200"),
        parameters: RUN_ID,
        to: &[("StoredWindowRun", "get", "/v1/policy/simulations/{id}")],
    },
    Links {
        from: ("post", "/v1/approvals", "201"),
        parameters: NEW_ID,
        to: &[
            ("GetApproval", "get", "/v1/approvals/{id}"),
            ("DecideApproval", "post", "/v1/approvals/{id}/decision"),
        ],
    },
    Links {
        from: ("put", "/v1/policies", "200"),
        parameters: VERSION,
        to: &[
            ("SavedVersion", "get", "/v1/policies/versions/{version}"),
            (
                "RestoreVersion",
                "post",
                "/v1/policies/versions/{version}/restore",
            ),
        ],
    },
    Links {
        from: ("post", "/v1/policies/rules", "200"),
        parameters: &[("index", "0")],
        to: &[
            ("ReplaceFirstRule", "put", "/v1/policies/rules/{index}"),
            ("DeleteFirstRule", "delete", "/v1/policies/rules/{index}"),
        ],
    },
];

/// `#/paths/~1v1~1datasets/post`: a JSON pointer to an operation.
fn operation_ref(method: &str, path: &str) -> String {
    format!(
        "#/paths/{}/{method}",
        path.replace('~', "~0").replace('/', "~1")
    )
}

fn add_links(doc: &mut Value) {
    for links in LINKS {
        let (method, path, status) = links.from;
        let parameters: Map<String, Value> = links
            .parameters
            .iter()
            .map(|(name, expression)| {
                // A literal number stays a number.
                let value = expression
                    .parse::<i64>()
                    .map_or_else(|_| json!(expression), |n| json!(n));
                (name.to_string(), value)
            })
            .collect();
        for (name, to_method, to_path) in links.to {
            doc["paths"][path][method]["responses"][status]["links"][*name] = json!({
                "operationRef": operation_ref(to_method, to_path),
                "parameters": parameters
            });
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn links_join_documented_answers_to_documented_operations() {
        let (_, doc) = super::super::routes();
        for links in LINKS {
            let (method, path, status) = links.from;
            let answer = &doc["paths"][path][method]["responses"][status];
            assert!(
                answer["description"].is_string(),
                "{method} {path} has no documented {status}"
            );
            for (name, to_method, to_path) in links.to {
                let target = &doc["paths"][to_path][to_method];
                assert!(
                    target["responses"].is_object(),
                    "{name}: no {to_method} {to_path}"
                );
                for (parameter, _) in links.parameters {
                    let named = target["parameters"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p["name"] == *parameter));
                    assert!(named, "{name}: {to_method} {to_path} takes no {parameter}");
                }
            }
        }
    }

    #[test]
    fn every_operation_documents_the_errors_of_its_shape() {
        let (_, mut doc) = super::super::routes();
        let operations = operations(&mut doc);
        assert!(operations.len() >= 30);
        for (path, _, operation) in operations {
            let responses = operation["responses"].as_object().unwrap();
            let mut expected = vec!["401", "403", "500", "503"];
            if operation.get("requestBody").is_some() {
                expected.extend(["400", "408", "413", "422"]);
            }
            if path.contains('{') {
                expected.extend(["400", "404", "422"]);
            }
            for status in expected {
                assert!(responses.contains_key(status), "{path}: no {status}");
            }
        }
    }
}
