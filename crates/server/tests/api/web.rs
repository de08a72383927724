//! The web app served by the server: files with the right types and cache
//! headers, deep links answered with the app, server paths kept as JSON
//! errors, and a helpful page when there is no app. Each test builds its own
//! app folder, so nothing depends on whether the binary embedded `web/dist`.

use crate::helpers::*;
use reqwest::{StatusCode, header};
use serde_json::Value;
use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wayfinder_server::WebAppSource;

const INDEX: &str = "<!doctype html><html><head><title>Wayfinder</title>\
                     <script type=\"module\" src=\"/assets/index-5d41402a.js\"></script>\
                     <link rel=\"stylesheet\" href=\"/assets/index-7c211433.css\"></head>\
                     <body><div id=\"root\"></div></body></html>";
const SCRIPT: &str = "console.log('wayfinder');";
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A built app as Vite leaves it: index.html, hashed assets, a public file.
fn write_app(dir: &Path) {
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(dir.join("assets/index-5d41402a.js"), SCRIPT).unwrap();
    std::fs::write(dir.join("assets/index-7c211433.css"), "body { margin: 0 }").unwrap();
    std::fs::write(dir.join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
}

async fn spawn_serving(backend: Backend, dir: &Path) -> TestApp {
    let settings = ServerSettings { web_app: WebAppSource::Folder(dir.to_path_buf()), ..test_settings() };
    TestApp::spawn_with(backend, settings).await
}

async fn get(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    reqwest::Client::new().get(app.url(path)).header(header::ACCEPT, accept).send().await.unwrap()
}

#[track_caller]
fn header_of<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

async fn assert_app_page(app: &TestApp, path: &str) {
    let response = get(app, path, BROWSER_ACCEPT).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(header_of(&response, "content-type"), "text/html; charset=utf-8", "{path}");
    assert_eq!(header_of(&response, "cache-control"), "no-cache", "{path}: index.html is always revalidated");
    let csp = header_of(&response, "content-security-policy").to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{path}: {csp}");
    assert_eq!(header_of(&response, "referrer-policy"), "no-referrer", "{path}");
    assert_eq!(response.text().await.unwrap(), INDEX, "{path} answers with the app");
}

async fn assert_json_404(app: &TestApp, path: &str, accept: &str) {
    let response = get(app, path, accept).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path} ({accept})");
    assert!(header_of(&response, "content-type").starts_with("application/json"), "{path} ({accept})");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
}

async fn the_app_answers_the_root_and_deep_links(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    write_app(dir.path());
    let app = spawn_serving(backend, dir.path()).await;

    for path in ["/", "/index.html", "/chat", "/chat/xyz", "/knowledge/abc?tab=documents", "/shared/some-token"] {
        assert_app_page(&app, path).await;
    }
    // The printed setup link and invitation links open the app's own screens.
    assert_app_page(&app, "/setup?token=wfp_x").await;
    assert_app_page(&app, "/invite/wfi_x").await;
    // curl and other clients that take anything get the page too.
    assert_eq!(get(&app, "/chat/xyz", "*/*").await.text().await.unwrap(), INDEX);
    let head = reqwest::Client::new().head(app.url("/chat/xyz")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header_of(&head, "content-type"), "text/html; charset=utf-8");
}

async fn assets_have_their_type_and_cache_headers(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    write_app(dir.path());
    let app = spawn_serving(backend, dir.path()).await;

    let script = get(&app, "/assets/index-5d41402a.js", "*/*").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(header_of(&script, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header_of(&script, "cache-control"), "public, max-age=31536000, immutable", "hashed: cached for good");
    assert_eq!(header_of(&script, "x-content-type-options"), "nosniff");
    assert_eq!(script.text().await.unwrap(), SCRIPT);

    let style = get(&app, "/assets/index-7c211433.css", "text/css,*/*;q=0.1").await;
    assert_eq!(header_of(&style, "content-type"), "text/css; charset=utf-8");
    assert!(header_of(&style, "cache-control").contains("immutable"));

    let icon = get(&app, "/favicon.svg", "image/avif,image/webp,*/*").await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(header_of(&icon, "content-type"), "image/svg+xml");
    assert_eq!(header_of(&icon, "cache-control"), "no-cache", "not hashed: revalidated");

    // A stale bundle name is a 404, never the app's HTML posing as a script.
    let missing = get(&app, "/assets/index-00000000.js", "*/*").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn server_paths_keep_their_json_errors(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    write_app(dir.path());
    let app = spawn_serving(backend, dir.path()).await;

    for accept in [BROWSER_ACCEPT, "application/json"] {
        for path in ["/api/v1/nope", "/api/v2/anything", "/v1/nope", "/metrics"] {
            assert_json_404(&app, path, accept).await;
        }
    }
    // A non-HTML request for an app path is not answered with HTML either.
    assert_json_404(&app, "/chat/xyz", "application/json").await;
    let posted = reqwest::Client::new().post(app.url("/chat/xyz")).send().await.unwrap();
    assert_eq!(posted.status(), StatusCode::NOT_FOUND);
    // The real endpoints still answer.
    assert_eq!(get(&app, "/healthz", BROWSER_ACCEPT).await.status(), StatusCode::OK);
    let unauthenticated = get(&app, "/api/v1/me", BROWSER_ACCEPT).await;
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}

async fn files_outside_the_app_folder_cannot_be_read(backend: Backend) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("dist");
    write_app(&dir);
    std::fs::write(root.path().join("secret.txt"), "not for the web").unwrap();
    let app = spawn_serving(backend, &dir).await;

    // Sent raw: HTTP clients would resolve the dots before sending.
    for target in ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"] {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(!answer.contains("not for the web"), "{target} leaked a file outside the app: {answer}");
    }
}

async fn without_an_app_the_root_says_how_to_build_it(backend: Backend) {
    let empty = tempfile::tempdir().unwrap();
    let app = spawn_serving(backend, empty.path()).await;

    for path in ["/", "/chat/xyz"] {
        let response = get(&app, path, BROWSER_ACCEPT).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header_of(&response, "content-type"), "text/html; charset=utf-8");
        let html = response.text().await.unwrap();
        assert!(html.contains("npm run build") && html.contains("WAYFINDER_WEB_DIR"), "{path}: {html}");
    }
    // The setup link printed on first start still works: the built-in page answers it.
    let setup = get(&app, "/setup?token=wfp_x", BROWSER_ACCEPT).await.text().await.unwrap();
    assert!(setup.contains("Set up Wayfinder") && setup.contains("/api/v1/setup"), "{setup}");
    assert_json_404(&app, "/api/v1/nope", BROWSER_ACCEPT).await;
}

wayfinder_testing::on_both_backends!(
    the_app_answers_the_root_and_deep_links,
    assets_have_their_type_and_cache_headers,
    server_paths_keep_their_json_errors,
    files_outside_the_app_folder_cannot_be_read,
    without_an_app_the_root_says_how_to_build_it,
);
