#![recursion_limit = "256"]
//! The part of the `wayfinder` crate that its sibling binary `wayfinder-bench`
//! shares with it: the layered configuration, the flags every command accepts
//! and the logging they set up, so both programs read the same settings the
//! same way.

pub mod config;

use clap::Args;
use config::{Config, FlagOverrides, LogFormat};
use std::path::PathBuf;
use tracing_subscriber::{EnvFilter, fmt};

/// Flags every command accepts.
#[derive(Args)]
pub struct GlobalArgs {
    /// Configuration file (default: ./wayfinder.toml when present).
    #[arg(long, global = true, env = "WAYFINDER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://path.db or postgres://user:pass@host/db.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Folder for local state (the default SQLite database lives here).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Log style.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. `info` or `debug`.
    #[arg(long, global = true)]
    pub log_level: Option<String>,
}

impl GlobalArgs {
    /// The flags that override configuration.
    pub fn overrides(&self) -> FlagOverrides {
        FlagOverrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            log_format: self.log_format,
            log_level: self.log_level.clone(),
            ..FlagOverrides::default()
        }
    }
}

/// A program's life: the configuration from `global` (exit 2 when it is wrong), logging, then
/// `job` on a multi-threaded runtime (exit 1 with the error on stderr when it fails).
pub fn run_configured<F, Fut>(global: &GlobalArgs, job: F) -> std::process::ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let config = match Config::load(global.config.clone(), global.overrides()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime starts");
    match runtime.block_on(job(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs to stderr with the configured filter and style.
pub fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).init(),
        LogFormat::Text => builder.init(),
    }
}
