//! Request ids: every request gets one, answered in `X-Request-Id`, recorded in the
//! request's log span, and named in every internal error (the page, the server
//! function's or the API's answer, and the log line with the details), so that an
//! operator can find what went wrong from what a user saw.
//!
//! An incoming `X-Request-Id` is kept only when it is short and made of letters, digits
//! and `-` (what a proxy in front generates); anything else is replaced. Either way the
//! request travels on with the id in its `X-Request-Id` header, which is where the
//! dashboard's server functions read it (`app::server::request_id`).
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The header carrying the id, both ways.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest incoming id kept.
pub const MAX_LEN: usize = 64;

/// Characters in a generated id.
const GENERATED_LEN: usize = 16;

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being served (in the middleware's task), if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// The incoming id when it is well formed: 1 to [`MAX_LEN`] characters of
/// `[A-Za-z0-9-]`.
pub fn accept(incoming: &[u8]) -> Option<&str> {
    let well_formed = !incoming.is_empty()
        && incoming.len() <= MAX_LEN
        && incoming
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    well_formed
        .then(|| std::str::from_utf8(incoming).ok())
        .flatten()
}

/// Middleware: decides the id, puts it on the request (header) and on the answer, and
/// makes it [`current`] while the request is served.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&HEADER)
        .and_then(|v| accept(v.as_bytes()))
        .map(str::to_string)
        .unwrap_or_else(|| service::password::random_text(GENERATED_LEN));
    // Letters, digits and `-` only: always a valid header value.
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("-"));
    request.headers_mut().insert(HEADER, value.clone());
    let mut response = CURRENT.scope(id, next.run(request)).await;
    response.headers_mut().insert(HEADER, value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert_eq!(accept(b"abc-123-XYZ"), Some("abc-123-XYZ"));
        assert_eq!(
            accept("a".repeat(MAX_LEN).as_bytes()).map(str::len),
            Some(MAX_LEN)
        );
        for bad in [
            &b""[..],
            "a".repeat(MAX_LEN + 1).as_bytes(),
            b"abc def",
            b"abc\ninjected=1",
            b"abc_def",
            b"abc/def",
            "é".as_bytes(),
            b"\xff\xfe",
        ] {
            assert_eq!(accept(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn generated_ids_are_kept_as_they_are() {
        let id = service::password::random_text(GENERATED_LEN);
        assert_eq!(accept(id.as_bytes()), Some(id.as_str()));
    }
}
