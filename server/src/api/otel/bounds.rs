//! What an OTLP export request will hold once decoded, estimated from its bytes before
//! it is decoded: a message two bytes long on the wire (an empty span, attribute or
//! array element) is a struct of tens or hundreds of bytes in memory, so a body of a
//! few megabytes could otherwise decode into gigabytes. The estimate is charged to
//! the ingest memory budget before decoding, and the spans are counted on the wire so
//! an export over the span limit is refused without decoding it.
use std::mem::size_of;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};

/// What the allocator adds to each heap block.
const ALLOCATION: usize = 16;

/// The messages of an OTLP trace export, as the walk meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Message {
    Request,
    ResourceSpans,
    Resource,
    EntityRef,
    ScopeSpans,
    Scope,
    Span,
    Event,
    Link,
    Status,
    KeyValue,
    AnyValue,
    ArrayValue,
    KeyValueList,
}

impl Message {
    /// The message a length-delimited field holds; `None` for strings and bytes.
    fn field(self, number: u64) -> Option<Message> {
        use Message as M;
        match (self, number) {
            (M::Request, 1) => Some(M::ResourceSpans),
            (M::ResourceSpans, 1) => Some(M::Resource),
            (M::ResourceSpans, 2) => Some(M::ScopeSpans),
            (M::Resource, 1) => Some(M::KeyValue),
            (M::Resource, 3) => Some(M::EntityRef),
            (M::ScopeSpans, 1) => Some(M::Scope),
            (M::ScopeSpans, 2) => Some(M::Span),
            (M::Scope, 3) => Some(M::KeyValue),
            (M::Span, 9) => Some(M::KeyValue),
            (M::Span, 11) => Some(M::Event),
            (M::Span, 13) => Some(M::Link),
            (M::Span, 15) => Some(M::Status),
            (M::Event, 3) => Some(M::KeyValue),
            (M::Link, 4) => Some(M::KeyValue),
            (M::KeyValue, 2) => Some(M::AnyValue),
            (M::AnyValue, 5) => Some(M::ArrayValue),
            (M::AnyValue, 6) => Some(M::KeyValueList),
            (M::ArrayValue, 1) => Some(M::AnyValue),
            (M::KeyValueList, 1) => Some(M::KeyValue),
            _ => None,
        }
    }

    /// Its size in memory, twice over: its slot in a growing `Vec` may be doubled.
    fn memory(self) -> usize {
        use Message as M;
        2 * match self {
            M::Request => size_of::<ExportTraceServiceRequest>(),
            M::ResourceSpans => size_of::<ResourceSpans>(),
            M::Resource => size_of::<Resource>(),
            M::EntityRef => size_of::<EntityRef>(),
            M::ScopeSpans => size_of::<ScopeSpans>(),
            M::Scope => size_of::<InstrumentationScope>(),
            M::Span => size_of::<Span>(),
            M::Event => size_of::<span::Event>(),
            M::Link => size_of::<span::Link>(),
            M::Status => size_of::<Status>(),
            M::KeyValue => size_of::<KeyValue>(),
            M::AnyValue => size_of::<AnyValue>(),
            M::ArrayValue => size_of::<ArrayValue>(),
            M::KeyValueList => size_of::<KeyValueList>(),
        } + ALLOCATION
    }
}

/// The largest message's memory: what one JSON object of OTLP/JSON may become.
fn largest_message() -> usize {
    use Message as M;
    [
        M::Request,
        M::ResourceSpans,
        M::Resource,
        M::EntityRef,
        M::ScopeSpans,
        M::Scope,
        M::Span,
        M::Event,
        M::Link,
        M::Status,
        M::KeyValue,
        M::AnyValue,
        M::ArrayValue,
        M::KeyValueList,
    ]
    .into_iter()
    .map(M::memory)
    .max()
    .unwrap_or(0)
}

/// What the walk of a protobuf body found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub spans: usize,
    /// Bytes the decoded request will hold (at most).
    pub memory: usize,
}

/// Why a protobuf body could not be walked (it would not decode either).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkError {
    /// More spans than allowed; the walk stopped there.
    TooManySpans,
    Malformed(&'static str),
}

/// prost's own nesting limit: deeper bodies do not decode.
const MAX_DEPTH: usize = 100;

/// Walks a protobuf `ExportTraceServiceRequest` without decoding it: counts its spans
/// (stopping past `max_spans`) and estimates its decoded memory.
pub fn protobuf(body: &[u8], max_spans: usize) -> Result<Estimate, WalkError> {
    let mut estimate = Estimate {
        spans: 0,
        memory: Message::Request.memory(),
    };
    walk(body, Message::Request, 0, max_spans, &mut estimate)?;
    Ok(estimate)
}

fn walk(
    mut buf: &[u8],
    message: Message,
    depth: usize,
    max_spans: usize,
    estimate: &mut Estimate,
) -> Result<(), WalkError> {
    if depth > MAX_DEPTH {
        return Err(WalkError::Malformed("nested too deeply"));
    }
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        let number = key >> 3;
        match key & 7 {
            0 | 1 | 5 => buf = skip_number(buf, key & 7)?,
            2 => {
                let len = length(&mut buf)?;
                let inner = buf
                    .get(..len)
                    .ok_or(WalkError::Malformed("length past the end"))?;
                buf = skip(buf, len)?;
                match message.field(number) {
                    Some(child) => {
                        if child == Message::Span {
                            estimate.spans += 1;
                            if estimate.spans > max_spans {
                                return Err(WalkError::TooManySpans);
                            }
                        }
                        estimate.memory += child.memory();
                        walk(inner, child, depth + 1, max_spans, estimate)?;
                    }
                    // A string or bytes (possibly repeated): its slot and its block.
                    None => estimate.memory += 2 * size_of::<String>() + len + ALLOCATION,
                }
            }
            // Groups are obsolete and not in OTLP; skipping them as prost does.
            3 => buf = skip_group(buf, number, depth + 1)?,
            _ => return Err(WalkError::Malformed("invalid wire type")),
        }
    }
    Ok(())
}

/// Past the end group of `number` (a group's fields carry no OTLP meaning).
fn skip_group(mut buf: &[u8], number: u64, depth: usize) -> Result<&[u8], WalkError> {
    if depth > MAX_DEPTH {
        return Err(WalkError::Malformed("nested too deeply"));
    }
    loop {
        if buf.is_empty() {
            return Err(WalkError::Malformed("unterminated group"));
        }
        let key = varint(&mut buf)?;
        match key & 7 {
            0 | 1 | 5 => buf = skip_number(buf, key & 7)?,
            2 => {
                let len = length(&mut buf)?;
                buf = skip(buf, len)?;
            }
            3 => buf = skip_group(buf, key >> 3, depth + 1)?,
            4 if key >> 3 == number => return Ok(buf),
            _ => return Err(WalkError::Malformed("invalid wire type")),
        }
    }
}

fn skip(buf: &[u8], len: usize) -> Result<&[u8], WalkError> {
    buf.get(len..)
        .ok_or(WalkError::Malformed("length past the end"))
}

/// Past a varint (wire type 0), fixed64 (1) or fixed32 (5) value.
fn skip_number(mut buf: &[u8], wire_type: u64) -> Result<&[u8], WalkError> {
    match wire_type {
        0 => varint(&mut buf).map(|_| buf),
        1 => skip(buf, 8),
        5 => skip(buf, 4),
        _ => Err(WalkError::Malformed("invalid wire type")),
    }
}

/// A length-delimited field's length (wire type 2).
fn length(buf: &mut &[u8]) -> Result<usize, WalkError> {
    usize::try_from(varint(buf)?).map_err(|_| WalkError::Malformed("length out of range"))
}

fn varint(buf: &mut &[u8]) -> Result<u64, WalkError> {
    prost::encoding::decode_varint(buf).map_err(|_| WalkError::Malformed("invalid varint"))
}

/// OTLP/JSON: every object may become the largest message, and every byte of text a
/// byte of a string.
pub fn json(body: &[u8]) -> usize {
    let objects = body.iter().filter(|b| **b == b'{').count();
    objects.saturating_mul(largest_message()) + body.len()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use opentelemetry_proto::tonic::common::v1::any_value;
    use prost::Message as _;

    fn request(spans: usize, attributes: usize) -> ExportTraceServiceRequest {
        let span = Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            name: "tool".to_string(),
            attributes: (0..attributes)
                .map(|i| KeyValue {
                    key: format!("k{i}"),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::ArrayValue(ArrayValue {
                            values: vec![AnyValue::default(); 3],
                        })),
                    }),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![span; spans],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn spans_are_counted_without_decoding() {
        let body = request(7, 2).encode_to_vec();
        assert_eq!(protobuf(&body, 10).unwrap().spans, 7);
        assert_eq!(protobuf(&body, 6), Err(WalkError::TooManySpans));
        assert!(matches!(
            protobuf(&body[..body.len() - 1], 10),
            Err(WalkError::Malformed(_))
        ));
    }

    #[test]
    fn the_estimate_covers_what_decoding_holds() {
        let body = request(50, 20).encode_to_vec();
        let estimate = protobuf(&body, 100).unwrap();
        // What the decoded request holds: every struct and every heap block.
        let messages = 1 + 1 + 1 + 50 * (1 + 20 * (1 + 1 + 1 + 3));
        let at_least = messages * size_of::<AnyValue>();
        assert!(
            estimate.memory > at_least && estimate.memory > 20 * body.len(),
            "{estimate:?} for {} bytes",
            body.len()
        );
        // Empty messages: two bytes each on the wire, a struct each once decoded.
        let empties = request(1, 100_000).encode_to_vec();
        assert!(protobuf(&empties, 1).unwrap().memory > 100_000 * size_of::<KeyValue>());
        assert!(json(br#"{"resourceSpans":[{},{}]}"#) >= 3 * size_of::<Span>());
    }
}
