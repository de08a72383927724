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
