//! Ingest: decode → validate → store, for the JamJet SDKs' batches
//! (`POST /v1/events/ingest`, [`decode_batch`]) and the OTLP endpoint (which decodes
//! its own protobuf or JSON into wire events). Each event is judged on its own: a bad
//! one is reported by its index and never costs the good ones of its batch their place.
use serde::Serialize;
use serde_json::Value;

use crate::{Caller, ServiceError, ServiceResult, Store};

pub mod wire;

pub use wire::{decode_event, parse_timestamp};

/// Longest `agent_name` stored, in UTF-8 bytes: PostgreSQL indexes it (with the trace
/// id) in a B-tree, whose entries must stay under about 2.7 KB. 1,024 characters of
/// four bytes each would not (a 500 on PostgreSQL, found by `tests/hostile.rs`).
pub const MAX_AGENT_NAME_BYTES: usize = 1024;

/// An event refused, by its index in the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub index: usize,
    pub error: String,
}

/// What a batch came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestOutcome {
    pub accepted: usize,
    pub rejected: Vec<Rejected>,
}

/// Why a whole request was refused (before any event was looked at).
#[derive(Debug, Clone, PartialEq)]
pub enum BatchError {
    /// The body is not JSON (400).
    Malformed(String),
    /// More events than allowed (413).
    TooMany(String),
    /// Otherwise invalid (a 422 or 403 as the service error says).
    Service(ServiceError),
}

impl From<ServiceError> for BatchError {
    fn from(e: ServiceError) -> Self {
        BatchError::Service(e)
    }
}

/// Decodes a JamJet batch (`{"project"?, "events": [...]}` or a bare array) into one
/// result per event. A `project` naming another project than the key's is refused.
pub fn decode_batch(
    body: &[u8],
    caller: &Caller,
    max_events: usize,
) -> Result<Vec<Result<store::StoredEvent, String>>, BatchError> {
    let doc: Value = serde_json::from_slice(body)
        .map_err(|err| BatchError::Malformed(format!("body: invalid JSON: {err}")))?;
    let events = match &doc {
        Value::Object(obj) => {
            if let Some(project) = obj.get("project").and_then(Value::as_str) {
                // The key decides the project; a different name is a client misconfiguration.
                if project != caller.project.name && project != caller.project.id {
                    return Err(ServiceError::Forbidden(format!(
                        "project: this API key belongs to project {:?}, not {project:?}",
                        caller.project.name
                    ))
                    .into());
                }
            }
            obj.get("events")
                .and_then(Value::as_array)
                .ok_or_else(|| ServiceError::invalid("events", "expected an array of events"))?
        }
        Value::Array(events) => events,
        _ => return Err(ServiceError::invalid("events", "expected {\"events\": [...]}").into()),
    };
    if events.len() > max_events {
        return Err(BatchError::TooMany(format!(
            "events: at most {max_events} events per batch"
        )));
    }
    Ok(events.iter().map(decode_event).collect())
}

/// Checks what every source's events must satisfy before they reach the store.
fn storable(event: store::StoredEvent) -> Result<store::StoredEvent, String> {
    if let Some(agent) = &event.agent_name {
        if agent.len() > MAX_AGENT_NAME_BYTES {
            return Err(format!(
                "agent_name: longer than {MAX_AGENT_NAME_BYTES} bytes of UTF-8"
            ));
        }
    }
    Ok(event)
}

/// Stores one request's decoded events; failed ones are reported by their index in
/// `decoded`. A span sent twice keeps its later copy, as on re-send (the store keeps
/// the last copy of each (trace, span) of a batch).
pub async fn store_batch(
    store: &Store,
    caller: &Caller,
    decoded: Vec<Result<store::StoredEvent, String>>,
) -> ServiceResult<IngestOutcome> {
    let total = decoded.len();
    let mut good = Vec::with_capacity(total);
    let mut rejected = Vec::new();
    for (index, result) in decoded.into_iter().enumerate() {
        match result.and_then(storable) {
            Ok(event) => good.push(event),
            Err(error) => rejected.push(Rejected { index, error }),
        }
    }
    if !good.is_empty() {
        store.upsert_events(caller.project_id(), &good).await?;
    }
    Ok(IngestOutcome {
        accepted: total - rejected.len(),
        rejected,
    })
}
