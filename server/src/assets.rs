//! The dashboard's compiled assets (`/pkg/…`: the WebAssembly, its JavaScript glue and
//! the stylesheet) served like a product: gzip for clients that accept it, compressed
//! once per file version and kept in memory; a strong `ETag` (a digest of the file) with
//! `Cache-Control: no-cache`, so a browser keeps its copy and a repeat visit costs a
//! `304` instead of the 3.9 MB download. File names carry no hash, so nothing is marked
//! immutable: a new build is picked up on the next request (size or mtime changed).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// What every asset answer says about caching: keep it, but ask before using it.
const CACHE_CONTROL: &str = "no-cache";
/// Below this a gzip stream costs more than it saves.
const MIN_COMPRESSED_BYTES: usize = 1024;
/// Asset files larger than this are not read into memory (the bundle is about 4 MB).
const MAX_ASSET_BYTES: u64 = 64 * 1024 * 1024;

/// One file as served: both encodings, made once per version of the file.
struct Asset {
    modified: Option<SystemTime>,
    len: u64,
    etag: HeaderValue,
    content_type: &'static str,
    identity: Bytes,
    gzip: Option<Bytes>,
}

#[derive(Clone)]
struct Assets {
    dir: PathBuf,
    // At most one entry per file present under `dir` (misses are never cached).
    cache: Arc<Mutex<HashMap<String, Arc<Asset>>>>,
}

/// `GET /pkg/{*file}` from `<site_root>/pkg`.
pub fn router(site_root: &str) -> Router {
    let assets = Assets {
        dir: Path::new(site_root).join("pkg"),
        cache: Arc::default(),
    };
    Router::new()
        .route("/pkg/{*file}", get(serve))
        .with_state(assets)
}

async fn serve(
    State(assets): State<Assets>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(relative) = safe_relative(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let asset = match load(&assets, relative).await {
        Some(asset) => asset,
        None => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut response = if if_none_match(&headers, &asset.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match (&asset.gzip, accepts_gzip(&headers)) {
            (Some(gzip), true) => {
                let mut r = Response::new(Body::from(gzip.clone()));
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                r
            }
            _ => Response::new(Body::from(asset.identity.clone())),
        }
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, asset.etag.clone());
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    response
}

/// A path of plain segments (`[A-Za-z0-9._-]`, none of them `.` or `..`), or nothing.
fn safe_relative(file: &str) -> Option<&str> {
    let plain = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    (file.len() <= 256 && file.split('/').all(plain)).then_some(file)
}

/// The cached asset if the file is unchanged, else a fresh read (off the async workers).
async fn load(assets: &Assets, relative: &str) -> Option<Arc<Asset>> {
    let path = assets.dir.join(relative);
    let meta = tokio::fs::metadata(&path).await.ok()?;
    if !meta.is_file() || meta.len() > MAX_ASSET_BYTES {
        return None;
    }
    let modified = meta.modified().ok();
    if let Some(hit) = assets
        .cache
        .lock()
        .ok()?
        .get(relative)
        .filter(|a| a.len == meta.len() && a.modified == modified)
    {
        return Some(hit.clone());
    }
    let content_type = content_type(relative);
    let asset = tokio::task::spawn_blocking(move || read_asset(&path, content_type))
        .await
        .ok()??;
    let asset = Arc::new(asset);
    assets
        .cache
        .lock()
        .ok()?
        .insert(relative.to_string(), asset.clone());
    Some(asset)
}

fn read_asset(path: &Path, content_type: &'static str) -> Option<Asset> {
    let meta = std::fs::metadata(path).ok()?;
    let identity = std::fs::read(path).ok()?;
    let digest = Sha256::digest(&identity);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let etag = HeaderValue::from_str(&format!("\"{hex}\"")).ok()?;
    let compressible = content_type != "application/octet-stream"
        && !content_type.starts_with("image/png")
        && identity.len() >= MIN_COMPRESSED_BYTES;
    let gzip = compressible.then(|| gzip(&identity)).flatten();
    Some(Asset {
        modified: meta.modified().ok(),
        len: identity.len() as u64,
        etag,
        content_type,
        identity: Bytes::from(identity),
        gzip,
    })
}

fn gzip(data: &[u8]) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::best(),
    );
    encoder.write_all(data).ok()?;
    let compressed = encoder.finish().ok()?;
    // Kept only when it saves something.
    (compressed.len() < data.len()).then(|| Bytes::from(compressed))
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next().unwrap_or("") {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "html" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// `Accept-Encoding` lists `gzip` (or `*`) without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// `If-None-Match` names this ETag (or `*`).
fn if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn only_plain_paths_are_served() {
        assert_eq!(safe_relative("preflight.wasm"), Some("preflight.wasm"));
        assert_eq!(
            safe_relative("snippets/a-1/x.js"),
            Some("snippets/a-1/x.js")
        );
        for bad in [
            "../Cargo.toml",
            "a/../../b",
            "",
            "a//b",
            "./a",
            "a\\b",
            "%2e%2e/x",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        let ae = header::ACCEPT_ENCODING;
        assert!(accepts_gzip(&headers(ae.clone(), "gzip, deflate, br")));
        assert!(accepts_gzip(&headers(ae.clone(), "br;q=1.0, gzip;q=0.8")));
        assert!(accepts_gzip(&headers(ae.clone(), "*")));
        assert!(!accepts_gzip(&headers(ae.clone(), "gzip;q=0")));
        assert!(!accepts_gzip(&headers(ae, "br, identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn etags_match_strong_weak_and_star() {
        let etag = HeaderValue::from_static("\"abc\"");
        let inm = header::IF_NONE_MATCH;
        assert!(if_none_match(&headers(inm.clone(), "\"abc\""), &etag));
        assert!(if_none_match(
            &headers(inm.clone(), "\"x\", W/\"abc\""),
            &etag
        ));
        assert!(if_none_match(&headers(inm.clone(), "*"), &etag));
        assert!(!if_none_match(&headers(inm, "\"abd\""), &etag));
    }
}
