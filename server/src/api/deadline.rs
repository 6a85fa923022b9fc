//! A deadline for a request's whole body: a client that sends it slowly (a byte every
//! few seconds) would otherwise hold one of the `max_concurrent_requests` places for as
//! long as it likes, and a handful of them would shut the API for everyone. Past the
//! deadline the body fails with [`BodyDeadlinePassed`], which the API answers 408.
use std::time::Duration;

use axum::body::Body;
use futures::StreamExt;

/// The body did not arrive in time.
#[derive(Debug)]
pub struct BodyDeadlinePassed(pub Duration);

impl std::fmt::Display for BodyDeadlinePassed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request body did not arrive within {} s",
            self.0.as_secs_f64()
        )
    }
}

impl std::error::Error for BodyDeadlinePassed {}

/// `body`, failing once `within` has passed since now (counted from when the request
/// was admitted, whatever the pace of its frames).
pub fn with_deadline(body: Body, within: Duration) -> Body {
    let deadline = tokio::time::Instant::now() + within;
    let frames = futures::stream::unfold(Some(body.into_data_stream()), move |state| async move {
        let mut frames = state?;
        match tokio::time::timeout_at(deadline, frames.next()).await {
            Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(frames))),
            Ok(Some(Err(err))) => Some((Err(axum::BoxError::from(err)), None)),
            Ok(None) => None,
            Err(_) => Some((Err(axum::BoxError::from(BodyDeadlinePassed(within))), None)),
        }
    });
    // Fused: polled after its end, an unfused `unfold` panics.
    Body::from_stream(frames.fuse())
}

/// Whether `err` (or what caused it) is a passed deadline.
pub fn passed<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a BodyDeadlinePassed> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<BodyDeadlinePassed>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}
