//! `wayfinder backup` and `wayfinder restore`: a consistent copy of the database taken while
//! the server runs, with every table's row count in a manifest, and its restoration into an
//! empty database, checked table by table against that count.
//!
//! SQLite: `VACUUM INTO` writes the snapshot file. PostgreSQL: a read-only transaction exports
//! its snapshot, counts the rows in it and keeps it open while `pg_dump --snapshot` dumps
//! exactly that state; `pg_restore` loads it into the configured (empty) database.

use crate::{
    cli::{BackupArgs, RestoreArgs},
    config::{self, Config},
    open_migrated, open_store,
};
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wayfinder_store::Backend;

/// The manifest's file name, and the database files' names inside a backup folder.
const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "wayfinder.db";
const POSTGRES_FILE: &str = "wayfinder.pgdump";

/// What a backup folder holds.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    backend: String,
    wayfinder_version: String,
    created_at: chrono::DateTime<chrono::Utc>,
    /// The database file in the folder.
    file: String,
    /// Every table's row count in the snapshot.
    tables: BTreeMap<String, i64>,
}

pub async fn backup(config: &Config, args: &BackupArgs) -> anyhow::Result<()> {
    let store = open_migrated(config).await?;
    if args.out.join(MANIFEST).exists() {
        bail!("{} already holds a backup; choose another folder", args.out.display());
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let (file, tables) = match store.backend() {
        Backend::Sqlite => {
            let path = absolute(&args.out)?.join(SQLITE_FILE);
            if path.exists() {
                bail!("{} exists already", path.display());
            }
            store.snapshot_into(&path).await?;
            // The manifest counts the snapshot itself, not the live database.
            let snapshot = wayfinder_store::Store::connect(&wayfinder_store::StoreOptions {
                url: format!("sqlite://{}", path.display()),
                max_connections: 1,
            })
            .await?;
            let counts = snapshot.table_counts().await?;
            snapshot.close().await;
            (SQLITE_FILE, counts)
        }
        Backend::Postgres => {
            let pg_dump = tool(config, "pg_dump")?;
            let path = args.out.join(POSTGRES_FILE);
            let url = config.database_url();
            let dumped = store
                .with_exported_snapshot(|snapshot, counts| async move {
                    let status = tokio::process::Command::new(&pg_dump)
                        .args(["--format=custom", "--no-owner", "--no-privileges", "--snapshot", &snapshot, "--file"])
                        .arg(&path)
                        .arg("--dbname")
                        .arg(&url)
                        .status()
                        .await;
                    (status, counts)
                })
                .await?;
            match dumped {
                (Ok(status), counts) if status.success() => (POSTGRES_FILE, counts),
                (Ok(status), _) => bail!("pg_dump failed ({status})"),
                (Err(e), _) => bail!("cannot run {}: {e}", tool_name(config, "pg_dump")),
            }
        }
    };
    store.close().await;
    let manifest = Manifest {
        format: 1,
        backend: match store.backend() {
            Backend::Sqlite => "sqlite".into(),
            Backend::Postgres => "postgres".into(),
        },
        wayfinder_version: env!("CARGO_PKG_VERSION").into(),
        created_at: chrono::Utc::now(),
        file: file.into(),
        tables,
    };
    std::fs::write(args.out.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    let rows: i64 = manifest.tables.values().sum();
    outln!("backed up {} tables, {rows} rows, into {}", manifest.tables.len(), args.out.display());
    Ok(())
}

pub async fn restore(config: &Config, args: &RestoreArgs) -> anyhow::Result<()> {
    let manifest: Manifest = serde_json::from_str(
        &std::fs::read_to_string(args.from.join(MANIFEST))
            .with_context(|| format!("{} holds no backup ({MANIFEST} is missing)", args.from.display()))?,
    )
    .context("the backup's manifest is not readable")?;
    if manifest.format != 1 {
        bail!("this backup's format ({}) is newer than this Wayfinder understands", manifest.format);
    }
    let store = open_store(config).await?;
    let backend = store.backend();
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    if manifest.backend != expected {
        bail!("this is a {} backup; the configured database is {expected}", manifest.backend);
    }
    if !store.is_blank().await? {
        bail!("the configured database is not empty; restore into a new one");
    }
    let source = args.from.join(&manifest.file);
    match backend {
        Backend::Sqlite => {
            let url = config.database_url();
            let target = PathBuf::from(url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default());
            store.close().await;
            // The blank file (and its journal) the check above may have created goes first.
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
            }
            std::fs::copy(&source, &target)
                .with_context(|| format!("cannot copy {} to {}", source.display(), target.display()))?;
        }
        Backend::Postgres => {
            store.close().await;
            let pg_restore = tool(config, "pg_restore")?;
            let status = tokio::process::Command::new(&pg_restore)
                .args(["--no-owner", "--no-privileges", "--exit-on-error", "--dbname"])
                .arg(config.database_url())
                .arg(&source)
                .status()
                .await
                .with_context(|| format!("cannot run {}", tool_name(config, "pg_restore")))?;
            if !status.success() {
                bail!("pg_restore failed ({status})");
            }
        }
    }
    // Check every table against the backup's count before declaring success.
    let restored = open_migrated(config).await?;
    let counts = restored.table_counts().await?;
    restored.close().await;
    let differing: Vec<String> = manifest
        .tables
        .iter()
        .filter(|(table, n)| counts.get(*table) != Some(n))
        .map(|(table, n)| format!("{table}: {n} in the backup, {} restored", counts.get(table).copied().unwrap_or(0)))
        .collect();
    if !differing.is_empty() {
        bail!("the restored database differs from the backup:\n  {}", differing.join("\n  "));
    }
    let rows: i64 = counts.values().sum();
    outln!(
        "restored {} tables, {rows} rows, into {}; every table's count matches the backup",
        counts.len(),
        config::mask_url_password(&config.database_url())
    );
    Ok(())
}

/// A PostgreSQL client program: from `postgres_tools_dir`, else by name from `PATH`.
fn tool(config: &Config, name: &str) -> anyhow::Result<PathBuf> {
    match &config.postgres_tools_dir {
        Some(dir) => {
            let path = dir.join(name);
            if !path.exists() {
                bail!("{} has no {name}", dir.display());
            }
            Ok(path)
        }
        None => Ok(PathBuf::from(name)),
    }
}

fn tool_name(config: &Config, name: &str) -> String {
    tool(config, name).map(|p| p.display().to_string()).unwrap_or_else(|_| name.to_string())
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    Ok(if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) })
}
