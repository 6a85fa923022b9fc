//! The JamJet batch decoder: a typed, streaming decode of `{"project"?, "events":
//! [...]}` (or a bare array). Events are counted as they are read, and the decode
//! stops at the first one past the limit; a gzip body is inflated as the decoder reads
//! it, never whole. Only one event at a time exists as a `serde_json::Value` (so its
//! errors stay as precise as `decode_event` words them), and every value is charged
//! to the request's share of the ingest memory budget while it is built, so a body
//! whose values take far more memory than its bytes (`[{"":0},{"":0},...]`) is
//! refused before it can.
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::BufReader;
use std::mem::size_of;

use serde::de::{
    self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Number, Value};
use store::StoredEvent;

use super::body::{invalid_gzip, over_budget, too_large_inflated, CappedReader, ContentEncoding};
use super::budget::Reservation;
use super::{decode_event, BatchError};
use crate::{Caller, ServiceError};

/// One result per event of the request, in order.
pub type DecodedEvents = Vec<Result<StoredEvent, String>>;

/// Limits on one batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    pub max_events: usize,
    /// Body bytes once `Content-Encoding: gzip` is undone.
    pub max_inflated_bytes: usize,
}

/// Decodes a JamJet batch into one result per event, charging what it holds to
/// `reservation`. A `project` naming another project than the key's is refused.
pub fn decode_batch(
    body: &[u8],
    encoding: ContentEncoding,
    caller: &Caller,
    limits: BatchLimits,
    reservation: &mut Reservation,
) -> Result<DecodedEvents, BatchError> {
    caller
        .require(crate::Permission::Ingest)
        .map_err(BatchError::Service)?;
    let ctx = Ctx {
        project: &caller.project,
        max_events: limits.max_events,
        reservation: RefCell::new(reservation),
        stop: RefCell::new(None),
    };
    let exceeded = Cell::new(false);
    let decoded = match encoding {
        ContentEncoding::Identity => run(serde_json::Deserializer::from_slice(body), &ctx),
        ContentEncoding::Gzip => {
            // Inflated as the decoder asks for bytes: only the reader's buffer is held.
            let inflating = CappedReader::new(
                flate2::read::GzDecoder::new(body),
                limits.max_inflated_bytes,
                &exceeded,
            );
            let reader = BufReader::with_capacity(READ_BUFFER, inflating);
            run(serde_json::Deserializer::from_reader(reader), &ctx)
        }
    };
    let shape = match decoded {
        Ok(shape) => shape,
        Err(err) => {
            return Err(match ctx.stop.take() {
                Some(reason) => reason,
                None if exceeded.get() => too_large_inflated(limits.max_inflated_bytes),
                None if err.is_io() => invalid_gzip(err),
                None => BatchError::Malformed(format!("body: invalid JSON: {err}")),
            })
        }
    };
    match shape {
        Shape::Events(events) => Ok(events),
        Shape::NoEventsArray => {
            Err(ServiceError::invalid("events", "expected an array of events").into())
        }
        Shape::NotABatch => {
            Err(ServiceError::invalid("events", "expected {\"events\": [...]}").into())
        }
    }
}

/// Bytes of inflated body the decoder reads ahead.
const READ_BUFFER: usize = 64 * 1024;

/// The decoder's view of the whole body.
fn run<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    ctx: &Ctx<'_>,
) -> Result<Shape, serde_json::Error> {
    let shape = (&mut de).deserialize_any(BodyVisitor { ctx })?;
    // Anything after the JSON but whitespace is an error, as for any JSON body.
    de.end()?;
    Ok(shape)
}

/// What the body turned out to be.
enum Shape {
    Events(DecodedEvents),
    /// An object without an `events` array.
    NoEventsArray,
    /// Neither an object nor an array.
    NotABatch,
}

/// What one decode shares: the caller's project, the limit, the request's budget, and
/// why it stopped (the JSON decoder carries only text in its errors).
struct Ctx<'a> {
    project: &'a store::Project,
    max_events: usize,
    reservation: RefCell<&'a mut Reservation>,
    stop: RefCell<Option<BatchError>>,
}

impl Ctx<'_> {
    /// Stops the decode for `reason`; the error returned only unwinds the decoder.
    fn stop<E: de::Error>(&self, reason: BatchError) -> E {
        let text = format!("{reason:?}");
        *self.stop.borrow_mut() = Some(reason);
        E::custom(text)
    }

    fn charge<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let charged = self.reservation.borrow_mut().charge(bytes);
        charged.map_err(|err| self.stop(over_budget(err)))
    }

    fn release(&self, bytes: usize) {
        self.reservation.borrow_mut().release(bytes);
    }

    fn used(&self) -> usize {
        self.reservation.borrow().used()
    }
}

/// Estimated memory of decoded values (64-bit; allocator overhead included), charged
/// as each value is built. Conservative: what a value holds is at most this.
mod cost {
    use super::*;

    /// Every value: its own slot (in its array, map node or on the stack).
    pub const VALUE: usize = size_of::<Value>();
    /// An array element beyond its slot: a growing `Vec` has up to twice the slots.
    pub const ARRAY_SLACK: usize = size_of::<Value>();
    /// What the allocator adds to each heap block.
    pub const ALLOCATION: usize = 16;
    /// A map's first B-tree leaf: eleven keys and values and its header, allocated
    /// whole even for one entry.
    pub const MAP_LEAF: usize = 11 * (size_of::<String>() + size_of::<Value>()) + 16 + ALLOCATION;
    /// Each entry's share of the leaves (at least half full once split) and inner nodes.
    pub const MAP_ENTRY: usize = MAP_LEAF / 5;
    /// One event's place in the decoded list (which also grows by doubling).
    pub const EVENT_SLOT: usize = size_of::<Result<StoredEvent, String>>();

    /// A string's heap block.
    pub fn text(len: usize) -> usize {
        if len == 0 {
            0
        } else {
            len + ALLOCATION
        }
    }
}

/// What a value built some other way (the OTLP mapping) holds, by the same estimate
/// the decoder charges as it builds one.
pub fn value_memory(value: &Value) -> usize {
    cost::VALUE
        + match value {
            Value::Null | Value::Bool(_) | Value::Number(_) => 0,
            Value::String(s) => cost::text(s.len()),
            Value::Array(items) => {
                cost::ALLOCATION
                    + items
                        .iter()
                        .map(|item| cost::ARRAY_SLACK + value_memory(item))
                        .sum::<usize>()
            }
            Value::Object(entries) if entries.is_empty() => 0,
            Value::Object(entries) => {
                cost::MAP_LEAF
                    + entries
                        .iter()
                        .map(|(k, v)| cost::MAP_ENTRY + cost::text(k.len()) + value_memory(v))
                        .sum::<usize>()
            }
        }
}

struct BodyVisitor<'c, 'a> {
    ctx: &'c Ctx<'a>,
}

impl<'de> Visitor<'de> for BodyVisitor<'_, '_> {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JamJet batch")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut events = None;
        while let Some(key) = map.next_key_seed(TopKeySeed)? {
            match key {
                TopKey::Project => {
                    if let ProjectClaim::Other(claimed) = map.next_value_seed(ProjectSeed {
                        project: self.ctx.project,
                    })? {
                        // The key decides the project; a different name is a client
                        // misconfiguration.
                        let refused = ServiceError::Forbidden(format!(
                            "project: this API key belongs to project {:?}, not {claimed:?}",
                            self.ctx.project.name
                        ));
                        return Err(self.ctx.stop(refused.into()));
                    }
                }
                // A repeated key counts as its last value (as a JSON object reads).
                TopKey::Events => events = map.next_value_seed(EventsSeed { ctx: self.ctx })?,
                TopKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match events {
            Some(events) => Shape::Events(events),
            None => Shape::NoEventsArray,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Shape, A::Error> {
        decode_events(seq, self.ctx).map(Shape::Events)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::NotABatch)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::NotABatch)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::NotABatch)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::NotABatch)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::NotABatch)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::NotABatch)
    }
}

/// The keys of the batch object that mean something, read without keeping them.
enum TopKey {
    Project,
    Events,
    Other,
}

struct TopKeySeed;

impl<'de> DeserializeSeed<'de> for TopKeySeed {
    type Value = TopKey;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<TopKey, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for TopKeySeed {
    type Value = TopKey;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<TopKey, E> {
        Ok(match key {
            "project" => TopKey::Project,
            "events" => TopKey::Events,
            _ => TopKey::Other,
        })
    }
}

/// What `project` says: the key's own project (by name or id), another one, or
/// nothing to check (not a string).
enum ProjectClaim {
    Own,
    Other(String),
    NotText,
}

struct ProjectSeed<'p> {
    project: &'p store::Project,
}

impl<'de> DeserializeSeed<'de> for ProjectSeed<'_> {
    type Value = ProjectClaim;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<ProjectClaim, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ProjectSeed<'_> {
    type Value = ProjectClaim;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a project name")
    }

    fn visit_str<E: de::Error>(self, claimed: &str) -> Result<ProjectClaim, E> {
        Ok(
            if claimed == self.project.name || claimed == self.project.id {
                ProjectClaim::Own
            } else {
                ProjectClaim::Other(claimed.to_string())
            },
        )
    }

    fn visit_unit<E: de::Error>(self) -> Result<ProjectClaim, E> {
        Ok(ProjectClaim::NotText)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<ProjectClaim, E> {
        Ok(ProjectClaim::NotText)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<ProjectClaim, E> {
        Ok(ProjectClaim::NotText)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<ProjectClaim, E> {
        Ok(ProjectClaim::NotText)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<ProjectClaim, E> {
        Ok(ProjectClaim::NotText)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ProjectClaim, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ProjectClaim::NotText)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ProjectClaim, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ProjectClaim::NotText)
    }
}

/// `events`: the decoded events when it is an array, `None` otherwise (skipped
/// without keeping anything).
struct EventsSeed<'c, 'a> {
    ctx: &'c Ctx<'a>,
}

impl<'de> DeserializeSeed<'de> for EventsSeed<'_, '_> {
    type Value = Option<DecodedEvents>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_, '_> {
    type Value = Option<DecodedEvents>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        decode_events(seq, self.ctx).map(Some)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The events of an array, counted as they come: the first one past the limit stops
/// the decode (without reading the rest of the body).
fn decode_events<'de, A: SeqAccess<'de>>(
    mut seq: A,
    ctx: &Ctx<'_>,
) -> Result<DecodedEvents, A::Error> {
    let mut events: DecodedEvents = Vec::new();
    loop {
        if events.len() == ctx.max_events {
            if seq.next_element::<IgnoredAny>()?.is_some() {
                let max = ctx.max_events;
                let refused =
                    BatchError::TooLarge(format!("events: at most {max} events per batch"));
                return Err(ctx.stop(refused));
            }
            return Ok(events);
        }
        if events.len() == events.capacity() {
            let grown = (events.capacity() * 2).max(16).min(ctx.max_events);
            ctx.charge((grown - events.capacity()) * cost::EVENT_SLOT)?;
            events.reserve_exact(grown - events.len());
        }
        match seq.next_element_seed(EventSeed { ctx })? {
            Some(event) => events.push(event),
            None => return Ok(events),
        }
    }
}

/// One event: built as a `Value` (charged), judged by `decode_event`, and dropped.
struct EventSeed<'c, 'a> {
    ctx: &'c Ctx<'a>,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_, '_> {
    type Value = Result<StoredEvent, String>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let before = self.ctx.used();
        let value = ChargedValue { ctx: self.ctx }.deserialize(d)?;
        let event = decode_event(&value);
        drop(value);
        // A stored event holds about what its value did (the same strings, the
        // payload); a rejected one only its reason.
        if let Err(reason) = &event {
            let charged = self.ctx.used() - before;
            self.ctx
                .release(charged.saturating_sub(cost::text(reason.len())));
        }
        Ok(event)
    }
}

/// A `serde_json::Value` whose every part is charged to the budget as it is built.
struct ChargedValue<'c, 'a> {
    ctx: &'c Ctx<'a>,
}

impl<'de> DeserializeSeed<'de> for ChargedValue<'_, '_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChargedValue<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.ctx.charge(cost::VALUE)?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.ctx.charge(cost::VALUE)?;
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.ctx.charge(cost::VALUE)?;
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.ctx.charge(cost::VALUE)?;
        // JSON numbers are finite; as in `serde_json::Value`, anything else is null.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.ctx.charge(cost::VALUE + cost::text(v.len()))?;
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.ctx.charge(cost::VALUE + cost::text(v.len()))?;
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.ctx.charge(cost::VALUE)?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.ctx.charge(cost::VALUE + cost::ALLOCATION)?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ChargedValue { ctx: self.ctx })? {
            self.ctx.charge(cost::ARRAY_SLACK)?;
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.ctx.charge(cost::VALUE)?;
        let mut entries = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let first = if entries.is_empty() {
                cost::MAP_LEAF
            } else {
                0
            };
            self.ctx
                .charge(first + cost::MAP_ENTRY + cost::text(key.len()))?;
            let value = map.next_value_seed(ChargedValue { ctx: self.ctx })?;
            entries.insert(key, value);
        }
        Ok(Value::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use std::io::Write;

    use super::*;
    use crate::ingest::budget::MemoryBudget;
    use serde_json::json;

    fn caller() -> Caller {
        Caller::key(
            "jj_test",
            store::KeyScope::Agent,
            store::Project {
                id: "prj_1".to_string(),
                name: "shop".to_string(),
                created_at: store::Timestamp(0),
                retention_days: None,
            },
        )
    }

    const LIMITS: BatchLimits = BatchLimits {
        max_events: 5,
        max_inflated_bytes: 1 << 20,
    };

    fn decode(body: &[u8], budget: usize) -> Result<DecodedEvents, BatchError> {
        let budget = MemoryBudget::new(budget);
        let mut reservation = budget.reservation();
        decode_batch(
            body,
            ContentEncoding::Identity,
            &caller(),
            LIMITS,
            &mut reservation,
        )
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn span(id: &str) -> Value {
        json!({"trace_id": "t", "span_id": id, "kind": "tool_call", "name": "x",
               "timestamp": "2026-11-01T10:00:00Z", "payload": {"tool": "shell.exec"}})
    }

    #[test]
    fn each_event_is_judged_alone() {
        let body = json!({"project": "shop", "events": [span("a"), 7, span("b")]});
        let events = decode(body.to_string().as_bytes(), 1 << 20).unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].as_ref().unwrap().tool, "shell.exec");
        assert_eq!(events[1], Err("event: expected an object".to_string()));
        assert_eq!(events[2].as_ref().unwrap().span_id, "b");
        // The same through the per-event decoder, and as a bare array.
        let bare = decode(json!([span("a")]).to_string().as_bytes(), 1 << 20).unwrap();
        assert_eq!(bare[0], decode_event(&span("a")));
    }

    #[test]
    fn the_body_shape_is_checked() {
        let status = |body: &str| match decode(body.as_bytes(), 1 << 20) {
            Ok(events) => format!("ok {}", events.len()),
            Err(BatchError::Malformed(m)) => format!("400 {m}"),
            Err(BatchError::TooLarge(m)) => format!("413 {m}"),
            Err(BatchError::Busy(m)) => format!("503 {m}"),
            Err(BatchError::Service(e)) => format!("service {e}"),
        };
        assert!(status("").starts_with("400 body: invalid JSON"));
        assert!(status(r#"{"events": []} x"#).starts_with("400 body: invalid JSON"));
        assert!(status("null").contains("expected {\"events\": [...]}"));
        assert!(status(r#"{"events": {"a": 1}}"#).contains("expected an array of events"));
        assert!(status(r#"{"project": 3}"#).contains("expected an array of events"));
        assert!(status(r#"{"project": "prj_1", "events": [], "x": [1]}"#) == "ok 0");
        assert!(status(r#"{"events": [1], "events": [1, 2]}"#) == "ok 2");
        assert!(status(r#"{"project": "other", "events": []}"#).contains("not \"other\""));
        assert!(status(r#"[1,2,3,4,5]"#) == "ok 5");
        assert_eq!(
            status(r#"[1,2,3,4,5,6"#),
            "413 events: at most 5 events per batch",
            "stops at the sixth event, before the body's end"
        );
    }

    #[test]
    fn gzip_is_inflated_under_the_cap() {
        let budget = MemoryBudget::new(1 << 20);
        let run = |body: &[u8]| {
            let mut reservation = budget.reservation();
            decode_batch(
                body,
                ContentEncoding::Gzip,
                &caller(),
                LIMITS,
                &mut reservation,
            )
        };
        let good = gzip(json!({"events": [span("a")]}).to_string().as_bytes());
        assert!(run(&good).unwrap()[0].is_ok());
        let spaces = gzip(&vec![b' '; 2 << 20]);
        assert_eq!(
            run(&spaces),
            Err(BatchError::TooLarge(
                "body: more than 1048576 bytes once decompressed".to_string()
            ))
        );
        let broken = &good[..good.len() / 2];
        assert!(
            matches!(run(broken), Err(BatchError::Malformed(m)) if m.starts_with("body: invalid gzip data")),
        );
        assert_eq!(budget.in_use(), 0, "every reservation was returned");
    }

    #[test]
    fn values_are_charged_while_they_are_built() {
        // 100,000 one-entry maps: about 700 KB of JSON, far more once decoded.
        let payload = format!(r#"{{"x":[{}{{"":0}}]}}"#, r#"{"":0},"#.repeat(99_999));
        let body = format!(
            r#"{{"events":[{{"trace_id":"t","span_id":"s","kind":"custom","name":"x","timestamp":"2026-11-01T10:00:00Z","payload":{payload}}}]}}"#
        );
        let refused = decode(body.as_bytes(), 16 << 20).unwrap_err();
        assert!(
            matches!(&refused, BatchError::TooLarge(m) if m.contains("16777216 bytes of memory")),
            "{refused:?}"
        );
        // Another request holding most of the budget: this one is told to retry.
        let budget = MemoryBudget::new(256 << 20);
        let mut other = budget.reservation();
        other.charge(250 << 20).unwrap();
        let mut reservation = budget.reservation();
        let busy = decode_batch(
            body.as_bytes(),
            ContentEncoding::Identity,
            &caller(),
            LIMITS,
            &mut reservation,
        );
        assert!(matches!(busy, Err(BatchError::Busy(_))), "{busy:?}");
        // With room, the same batch decodes; rejected events give their charge back.
        drop(other);
        let events = decode_batch(
            body.as_bytes(),
            ContentEncoding::Identity,
            &caller(),
            LIMITS,
            &mut reservation,
        )
        .unwrap();
        assert!(events[0].is_ok());
        let kept = reservation.used();
        assert!(kept > 100_000 * cost::MAP_LEAF, "charged {kept}");
        // The estimate of a value built another way agrees with what was charged.
        let value: Value = serde_json::from_str(&payload).unwrap();
        let estimate = value_memory(&value);
        assert!(
            estimate > 100_000 * cost::MAP_LEAF && estimate < kept,
            "{estimate} vs {kept}"
        );
        let junk = format!("[{}]", [r#"{"a":[1,2,3]}"#; 5].join(","));
        let mut junk_reservation = budget.reservation();
        let rejected = decode_batch(
            junk.as_bytes(),
            ContentEncoding::Identity,
            &caller(),
            LIMITS,
            &mut junk_reservation,
        )
        .unwrap();
        assert!(rejected.iter().all(Result::is_err));
        assert!(
            junk_reservation.used() < 5 * cost::EVENT_SLOT * 4 + 5 * 100,
            "rejected events keep only their reason: {}",
            junk_reservation.used()
        );
    }
}
