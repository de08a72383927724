//! The browser app (`web/`) served at `/`. Its built files come from the
//! binary itself (embedded from `web/dist` at compile time) or from a folder
//! read on every request (`web_dir`, for development). Hashed files under
//! `/assets/` are cached for a year; `index.html` is revalidated every time,
//! so a new release is picked up on the next page load. Any other GET that
//! asks for HTML gets `index.html` and the app's router decides what to show
//! (deep links such as `/chat/{id}` work); paths the server owns (`/api/…`,
//! `/v1/…`, the probes) never fall back to the app and keep their JSON errors.
//! Text files go out gzipped to clients that accept it; the embedded ones are
//! compressed once, on first request.

use crate::{error::ApiError, pages, state::AppState};
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use flate2::{Compression, write::GzEncoder};
use rust_embed::RustEmbed;
use std::{
    borrow::Cow,
    collections::HashMap,
    io::Write,
    path::{Component, Path, PathBuf},
    sync::{LazyLock, PoisonError, RwLock},
};

/// What `npm run build` left in `web/dist` when this crate was compiled:
/// nothing when it had not been run. Vite's build manifest is not served.
#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[exclude = ".vite/*"]
#[allow_missing = true]
struct Embedded;

/// Where the web app's files come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum WebAppSource {
    /// Built into the binary (empty when `web/dist` was missing at compile time).
    #[default]
    Embedded,
    /// Read from this folder on every request: a development build, or a build of your own.
    Folder(PathBuf),
}

/// One file of the app.
struct AppFile {
    bytes: Cow<'static, [u8]>,
    /// A strong validator for revalidation (embedded files carry their SHA-256).
    etag: Option<String>,
    /// Where its gzipped copy is kept: embedded files never change while the process runs.
    cache_key: Option<String>,
}

impl WebAppSource {
    /// Whether there is an app to serve, i.e. its `index.html` exists.
    pub fn is_available(&self) -> bool {
        match self {
            WebAppSource::Embedded => Embedded::get(INDEX).is_some(),
            WebAppSource::Folder(dir) => dir.join(INDEX).is_file(),
        }
    }

    /// Where the files come from, for the startup log.
    pub fn describe(&self) -> String {
        match self {
            WebAppSource::Embedded => format!("embedded ({} files)", Embedded::iter().count()),
            WebAppSource::Folder(dir) => format!("folder {}", dir.display()),
        }
    }

    /// The file at `relative` (a URL path without its leading `/`), if there is one.
    async fn file(&self, relative: &str) -> Option<AppFile> {
        match self {
            WebAppSource::Embedded => Embedded::get(relative).map(|file| AppFile {
                etag: Some(etag(&file.metadata.sha256_hash())),
                bytes: file.data,
                cache_key: Some(relative.to_owned()),
            }),
            WebAppSource::Folder(dir) => {
                let path = dir.join(safe_relative_path(relative)?);
                let bytes = tokio::fs::read(&path).await.ok()?;
                Some(AppFile { bytes: Cow::Owned(bytes), etag: None, cache_key: None })
            }
        }
    }
}

const INDEX: &str = "index.html";

/// A year: the longest lifetime caches honour. Vite names these files by their content hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Stored, but checked with the server before each use.
const REVALIDATE: &str = "no-cache";

// The app loads only its own files and talks only to this server. React sets
// styles through the DOM, not inline markup, so no 'unsafe-inline' is needed.
const APP_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                       form-action 'self'; frame-ancestors 'none'";

/// Paths the server answers itself; they never fall back to the app.
fn is_server_path(path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'));
    under("/api") || under("/v1") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The router's fallback: the app's files, the app itself for pages it
/// routes, and a JSON 404 for everything else.
pub async fn fallback(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if (method != Method::GET && method != Method::HEAD) || is_server_path(path) {
        return ApiError::not_found(if path.starts_with("/api") { "endpoint" } else { "page" }).into_response();
    }
    let source = &state.settings.web_app;
    let relative = path.trim_start_matches('/');
    if !relative.is_empty() && relative != INDEX {
        if let Some(file) = source.file(relative).await {
            let cache = if relative.starts_with("assets/") { IMMUTABLE } else { REVALIDATE };
            return file_response(file, content_type(relative), cache, &headers);
        }
        // A missing hashed file is an old or mistyped link, not a page: HTML would only
        // confuse the browser loading it as a script.
        if relative.starts_with("assets/") {
            return ApiError::not_found("file").into_response();
        }
    }
    if !accepts_html(&headers) {
        return ApiError::not_found("page").into_response();
    }
    match app_page(source, &headers).await {
        Some(response) => response,
        None => pages::no_web_app(),
    }
}

/// The app's `index.html`, or `None` when there is no app to serve.
pub(crate) async fn app_page(source: &WebAppSource, headers: &HeaderMap) -> Option<Response> {
    let file = source.file(INDEX).await?;
    let mut response = file_response(file, "text/html; charset=utf-8", REVALIDATE, headers);
    let set = response.headers_mut();
    set.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(APP_CSP));
    // Setup, invitation and share links carry a secret in the URL; keep it from leaking onwards.
    set.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Some(response)
}

fn file_response(file: AppFile, content_type: &'static str, cache: &'static str, request: &HeaderMap) -> Response {
    let compressible = is_text(content_type) && file.bytes.len() >= MIN_GZIP_BYTES;
    let gzip = compressible && accepts_gzip(request);
    // Each encoding is a representation of its own, so it gets a validator of its own.
    let etag = file.etag.as_ref().map(|tag| if gzip { format!("\"{tag}-gzip\"") } else { format!("\"{tag}\"") });
    let unchanged = match (&etag, request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok())) {
        (Some(etag), Some(wanted)) => wanted.split(',').any(|tag| tag.trim() == "*" || tag.trim() == etag),
        _ => false,
    };
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        (StatusCode::OK, gzipped(file.cache_key, &file.bytes)).into_response()
    } else {
        (StatusCode::OK, file.bytes).into_response()
    };
    let set = response.headers_mut();
    set.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    set.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    set.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if compressible {
        set.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if gzip && !unchanged {
        set.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Some(etag) = etag.and_then(|tag| HeaderValue::from_str(&tag).ok()) {
        set.insert(header::ETAG, etag);
    }
    response
}

/// Below this, gzip saves too little to be worth it.
const MIN_GZIP_BYTES: usize = 1024;

fn is_text(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || matches!(
            content_type,
            "application/json" | "application/manifest+json" | "image/svg+xml" | "application/xml"
        )
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not with `q=0`).
fn accepts_gzip(request: &HeaderMap) -> bool {
    let Some(accept) = request.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else { return false };
    accept.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let coding = pieces.next().unwrap_or_default();
        let refused = pieces.any(|p| p.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q == 0.0)));
        matches!(coding, "gzip" | "x-gzip" | "*") && !refused
    })
}

/// The gzipped bytes of a file, compressed once per `cache_key`.
fn gzipped(cache_key: Option<String>, bytes: &[u8]) -> Bytes {
    static CACHE: LazyLock<RwLock<HashMap<String, Bytes>>> = LazyLock::new(Default::default);
    let cached = |key: &String| CACHE.read().unwrap_or_else(PoisonError::into_inner).get(key).cloned();
    if let Some(hit) = cache_key.as_ref().and_then(cached) {
        return hit;
    }
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::best());
    // Writing into a Vec cannot fail.
    let compressed = Bytes::from(encoder.write_all(bytes).and_then(|()| encoder.finish()).unwrap_or_default());
    if let Some(key) = cache_key {
        CACHE.write().unwrap_or_else(PoisonError::into_inner).insert(key, compressed.clone());
    }
    compressed
}

/// Whether the client takes HTML: browsers navigating say so; a missing
/// `Accept` or `*/*` (curl) is taken as yes, an explicit API type as no.
fn accepts_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else { return true };
    accept.split(',').any(|part| {
        let media = part.split(';').next().unwrap_or_default().trim();
        matches!(media, "text/html" | "application/xhtml+xml" | "text/*" | "*/*")
    })
}

/// A URL path as a path inside the app's folder: only plain names, so no
/// request can reach outside it.
fn safe_relative_path(relative: &str) -> Option<PathBuf> {
    if relative.contains('\\') || relative.contains('\0') {
        return None;
    }
    let path = Path::new(relative);
    path.components().all(|c| matches!(c, Component::Normal(_))).then(|| path.to_path_buf())
}

/// The content type of a file the app's build produces, by its extension.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// The first half of a SHA-256 in hex: plenty to tell versions of a file apart.
fn etag(hash: &[u8; 32]) -> String {
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_paths_never_fall_back_to_the_app() {
        for path in ["/api", "/api/v1/nope", "/api/v2", "/v1", "/v1/nope", "/healthz", "/readyz", "/metrics"] {
            assert!(is_server_path(path), "{path}");
        }
        for path in ["/", "/chat/xyz", "/apiary", "/v1x", "/setup", "/invite/wfi_x", "/shared/abc"] {
            assert!(!is_server_path(path), "{path}");
        }
    }

    #[test]
    fn folder_paths_stay_inside_the_folder() {
        assert_eq!(safe_relative_path("assets/app.js"), Some(PathBuf::from("assets/app.js")));
        for path in ["../secret", "assets/../../x", "/etc/passwd", "a\\..\\b", "./a", "a/\0"] {
            assert_eq!(safe_relative_path(path), None, "{path:?}");
        }
    }

    #[test]
    fn html_is_served_to_browsers_and_plain_clients_only() {
        let with = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            accepts_html(&headers)
        };
        assert!(accepts_html(&HeaderMap::new()));
        assert!(with("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        assert!(with("*/*"));
        assert!(!with("application/json"));
        assert!(!with("text/event-stream"));
    }

    #[test]
    fn an_unchanged_file_is_answered_with_304() {
        let file = || AppFile { bytes: Cow::Borrowed(b"app"), etag: Some(etag(&[7; 32])), cache_key: None };
        let tag = format!("\"{}\"", etag(&[7; 32]));
        let mut request = HeaderMap::new();
        assert_eq!(file_response(file(), "text/html", REVALIDATE, &request).status(), StatusCode::OK);
        request.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&format!("\"other\", {tag}")).unwrap());
        let response = file_response(file(), "text/html", REVALIDATE, &request);
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(response.headers()[header::ETAG], tag.as_str());
        assert_eq!(response.headers()[header::CACHE_CONTROL], REVALIDATE);
        request.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(file_response(file(), "text/html", REVALIDATE, &request).status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn text_goes_out_gzipped_to_clients_that_take_it() {
        let script = "console.log('wayfinder');\n".repeat(100);
        let file = || AppFile {
            bytes: Cow::Owned(script.clone().into_bytes()),
            etag: Some(etag(&[9; 32])),
            cache_key: Some("assets/test-gzip.js".into()),
        };
        let js = "text/javascript; charset=utf-8";
        let mut request = HeaderMap::new();
        request.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip, deflate, br"));
        for _ in 0..2 {
            // The second answer comes from the cache.
            let response = file_response(file(), js, IMMUTABLE, &request);
            assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
            assert_eq!(response.headers()[header::VARY], "accept-encoding");
            assert!(response.headers()[header::ETAG].to_str().unwrap().ends_with("-gzip\""));
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            let mut unzipped = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut unzipped).unwrap();
            assert_eq!(unzipped, script);
            assert!(body.len() < script.len() / 10, "{} bytes", body.len());
        }
        for refused in ["identity", "gzip;q=0", "br"] {
            request.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(refused));
            let response = file_response(file(), js, IMMUTABLE, &request);
            assert!(response.headers().get(header::CONTENT_ENCODING).is_none(), "{refused}");
        }
        // Images come compressed already.
        request.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let png = file_response(file(), "image/png", IMMUTABLE, &request);
        assert!(png.headers().get(header::CONTENT_ENCODING).is_none());
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("assets/index-CJ4t0Myo.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("assets/index-CfPpIPCl.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
