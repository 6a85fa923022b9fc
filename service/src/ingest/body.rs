//! Request bodies as sent: plain, or gzip inflated incrementally under a cap, so a
//! small gzip bomb never becomes a large allocation.
use std::cell::Cell;
use std::io::Read;

use super::budget::{OverBudget, Reservation};
use super::BatchError;

/// How the body was sent (`Content-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEncoding {
    Identity,
    Gzip,
}

/// Reads at most `remaining` bytes from `inner`; asking for more is an error, and
/// `exceeded` says so afterwards (the JSON decoder reports reader errors only as text).
pub(crate) struct CappedReader<'a, R> {
    inner: R,
    remaining: usize,
    exceeded: &'a Cell<bool>,
}

impl<'a, R: Read> CappedReader<'a, R> {
    pub(crate) fn new(inner: R, cap: usize, exceeded: &'a Cell<bool>) -> Self {
        CappedReader {
            inner,
            remaining: cap,
            exceeded,
        }
    }
}

impl<R: Read> Read for CappedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte more than allowed tells a body at the cap from one over it.
        let window = buf.len().min(self.remaining.saturating_add(1));
        let read = self.inner.read(&mut buf[..window])?;
        if read > self.remaining {
            self.exceeded.set(true);
            return Err(std::io::Error::other(
                "body over the decompressed size limit",
            ));
        }
        self.remaining -= read;
        Ok(read)
    }
}

pub(crate) fn too_large_inflated(max_inflated: usize) -> BatchError {
    BatchError::TooLarge(format!(
        "body: more than {max_inflated} bytes once decompressed"
    ))
}

pub(crate) fn invalid_gzip(err: impl std::fmt::Display) -> BatchError {
    BatchError::Malformed(format!("body: invalid gzip data: {err}"))
}

/// What a refused charge means for the client.
pub(crate) fn over_budget(err: OverBudget) -> BatchError {
    match err {
        OverBudget::TooLarge { capacity } => BatchError::TooLarge(format!(
            "body: this request needs more than the {capacity} bytes of memory ingest may \
             use once decoded; send smaller batches"
        )),
        OverBudget::Busy => BatchError::Busy(
            "the server is busy with other ingest requests; retry shortly".to_string(),
        ),
    }
}

/// The first buffer's size while inflating; it doubles from there.
const FIRST_CHUNK: usize = 64 * 1024;

/// The body inflated into one buffer (for decoders that need it whole, such as
/// protobuf), at most `max_inflated` bytes, charging the buffer to `reservation` as it
/// grows. `body`'s capacity is taken to be charged already (when it was received): a
/// plain body is returned as it is; a compressed one is dropped once inflated and its
/// charge returned.
pub fn inflate(
    body: Vec<u8>,
    encoding: ContentEncoding,
    max_inflated: usize,
    reservation: &mut Reservation,
) -> Result<Vec<u8>, BatchError> {
    if encoding == ContentEncoding::Identity {
        return Ok(body);
    }
    let exceeded = Cell::new(false);
    let mut reader = CappedReader::new(
        flate2::read::GzDecoder::new(body.as_slice()),
        max_inflated,
        &exceeded,
    );
    let mut inflated: Vec<u8> = Vec::new();
    let mut charged = 0;
    loop {
        if inflated.len() == charged {
            // Doubling, but never past one byte over the cap (which is refused anyway).
            let grown = (charged * 2)
                .max(FIRST_CHUNK)
                .min(max_inflated.saturating_add(1))
                .max(inflated.len() + 1);
            // Charged before it is filled: the buffer's capacity is what is held.
            reservation.charge(grown - charged).map_err(over_budget)?;
            charged = grown;
            inflated.reserve_exact(grown - inflated.len());
        }
        let start = inflated.len();
        inflated.resize(charged, 0);
        match reader.read(&mut inflated[start..]) {
            Ok(0) => {
                inflated.truncate(start);
                break;
            }
            Ok(read) => inflated.truncate(start + read),
            Err(_) if exceeded.get() => return Err(too_large_inflated(max_inflated)),
            Err(err) => return Err(invalid_gzip(err)),
        }
    }
    drop(reader);
    reservation.release(body.capacity());
    drop(body);
    Ok(inflated)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Write;

    use super::*;
    use crate::ingest::budget::MemoryBudget;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn inflating_is_capped_and_charged() {
        let budget = MemoryBudget::new(4 << 20);
        let mut reservation = budget.reservation();
        let body = gzip(&[b'x'; 300_000]);
        reservation.charge(body.capacity()).unwrap();
        let inflated = inflate(body, ContentEncoding::Gzip, 1 << 20, &mut reservation).unwrap();
        assert_eq!(inflated.len(), 300_000);
        // What is held: the inflated buffer (the compressed body's charge went back).
        assert!(reservation.used() >= inflated.len() && reservation.used() <= 2 * inflated.len());

        let bomb = gzip(&[b' '; 3 << 20]);
        assert_eq!(
            inflate(
                bomb,
                ContentEncoding::Gzip,
                1 << 20,
                &mut budget.reservation()
            ),
            Err(too_large_inflated(1 << 20))
        );
        drop(reservation);
        // More than the budget holds: refused before it is allocated.
        let large = gzip(&[b'y'; 5 << 20]);
        assert!(matches!(
            inflate(large, ContentEncoding::Gzip, 8 << 20, &mut budget.reservation()),
            Err(BatchError::TooLarge(m)) if m.contains("bytes of memory")
        ));
        assert!(matches!(
            inflate(b"plain".to_vec(), ContentEncoding::Gzip, 1 << 20, &mut budget.reservation()),
            Err(BatchError::Malformed(m)) if m.starts_with("body: invalid gzip data")
        ));
        assert_eq!(
            inflate(
                b"plain".to_vec(),
                ContentEncoding::Identity,
                1,
                &mut budget.reservation()
            ),
            Ok(b"plain".to_vec())
        );
        assert_eq!(budget.in_use(), 0);
    }
}
