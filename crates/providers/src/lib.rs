//! Organisations' own model endpoints. An organisation may bring its own OpenAI-compatible chat
//! endpoint (its coach's answers, practice questions and grading then go there, on its account)
//! and its own embedding endpoint (its collections are then embedded and searched with that
//! model). The API key is sealed with the server key, never returned (only its last four
//! characters, to tell keys apart), and replaced by setting a new one. Without an endpoint of its
//! own, an organisation uses the instance's.
//!
//! Clients are built once per endpoint version and kept; every instance re-reads an endpoint at
//! most [`REREAD_SECONDS`] after it changed elsewhere.

use chrono::Utc;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use wayfinder_accounts_rules::{
    OrgId, PersonId, ValidationError,
    sealing::{Keyring, SealError},
};
use wayfinder_embeddings::{Embedder, RemoteConfig, RemoteEmbedder};
use wayfinder_llm::{ChatModel, OpenAiChat, OpenAiConfig};
use wayfinder_store::{ModelEndpointRecord, Store, StoreError};

/// How long an instance uses what it read of an organisation's endpoint before reading it again.
pub const REREAD_SECONDS: u64 = 10;
/// The longest API key accepted.
const MAX_KEY_CHARS: usize = 1024;

wayfinder_accounts_rules::closed_set! {
    /// What an endpoint serves.
    pub enum ModelEndpointKind {
        /// Chat completions (`/chat/completions`): the coach, practice questions, grading.
        Chat,
        /// Embeddings (`/embeddings`): the organisation's collections and searches.
        Embedding,
    }
}

/// An organisation's endpoint as shown to its admins (never the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelEndpoint {
    pub kind: ModelEndpointKind,
    pub base_url: String,
    pub model: String,
    /// The key's last four characters, when a key is set.
    pub api_key_hint: Option<String>,
    pub updated_by: Option<PersonId>,
    pub updated_at: chrono::DateTime<Utc>,
}

/// What to do with the stored key when an endpoint is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiKeyChange {
    /// Keep the key stored (none when there is none).
    Keep,
    /// Store this key instead.
    Set(String),
    /// The endpoint needs no key.
    Remove,
}

/// Setting an endpoint.
#[derive(Clone, Debug)]
pub struct EndpointChange {
    pub base_url: String,
    pub model: String,
    pub api_key: ApiKeyChange,
}

/// Where an organisation's chat requests go.
pub enum OrgChatModel {
    /// Its own endpoint.
    Own(Arc<dyn ChatModel>),
    /// Its own endpoint, which cannot be used now (logged): no model at all.
    Unusable,
    /// It has none of its own: the instance's model (if any).
    Instance,
}

/// What goes wrong with endpoints.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("the organisation has no {0} endpoint of its own")]
    NotFound(ModelEndpointKind),
    #[error(transparent)]
    Sealed(#[from] SealError),
    /// The stored endpoint cannot make a client (a setting the client refuses).
    #[error("the organisation's {kind} endpoint cannot be used: {message}")]
    Unusable { kind: ModelEndpointKind, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Timeouts and retries of clients for organisations' endpoints (the instance's own settings).
#[derive(Clone, Debug)]
pub struct ClientSettings {
    pub chat_timeout: Duration,
    pub chat_max_retries: u32,
    pub embedding_timeout: Duration,
    pub embedding_max_retries: u32,
    pub embedding_batch_size: usize,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            chat_timeout: Duration::from_secs(120),
            chat_max_retries: 2,
            embedding_timeout: Duration::from_secs(30),
            embedding_max_retries: 2,
            embedding_batch_size: 64,
        }
    }
}

#[derive(Clone)]
enum Client {
    Chat(Arc<dyn ChatModel>),
    Embedding(Arc<dyn Embedder>),
}

struct Cached {
    read_at: Instant,
    /// The endpoint's version (when it was last set); `None`: the organisation has none.
    version: Option<i64>,
    client: Option<Client>,
}

/// Clients by organisation, kind and model name (empty: the endpoint's own model).
type ClientCache = HashMap<(OrgId, ModelEndpointKind, String), Cached>;

/// Organisations' endpoints over one store; cheap to clone.
#[derive(Clone)]
pub struct Providers {
    store: Store,
    keyring: Arc<Keyring>,
    settings: ClientSettings,
    cache: Arc<Mutex<ClientCache>>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers").finish_non_exhaustive()
    }
}

fn context(org: OrgId, kind: ModelEndpointKind) -> String {
    format!("model-endpoint:{org}:{kind}")
}

fn shown(record: ModelEndpointRecord) -> Result<ModelEndpoint, ProviderError> {
    Ok(ModelEndpoint {
        kind: record.kind.parse().map_err(|_| StoreError::Corrupt(format!("endpoint kind {}", record.kind)))?,
        base_url: record.base_url,
        model: record.model,
        api_key_hint: record.api_key_hint,
        updated_by: record.updated_by,
        updated_at: record.updated_at,
    })
}

/// Checks an endpoint's address: absolute http(s), no credentials or fragment in it.
pub fn validate_base_url(raw: &str) -> Result<String, ValidationError> {
    let invalid = |m: &str| ValidationError::new("base_url", m);
    let url = url::Url::parse(raw.trim()).map_err(|_| invalid("must be an absolute http(s) address"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid("must be an absolute http(s) address"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("put the key in api_key, not in the address"));
    }
    if url.fragment().is_some() || url.query().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    Ok(raw.trim().trim_end_matches('/').to_string())
}

impl Providers {
    pub fn new(store: Store, keyring: Arc<Keyring>, settings: ClientSettings) -> Self {
        Providers { store, keyring, settings, cache: Arc::default() }
    }

    /// The organisation's endpoints.
    pub async fn endpoints(&self, org: OrgId) -> Result<Vec<ModelEndpoint>, ProviderError> {
        self.store.model_endpoints(org).await?.into_iter().map(shown).collect()
    }

    /// Sets the organisation's endpoint of `kind`; the key is sealed, and kept when not given.
    pub async fn set_endpoint(
        &self,
        org: OrgId,
        by: PersonId,
        kind: ModelEndpointKind,
        change: EndpointChange,
    ) -> Result<ModelEndpoint, ProviderError> {
        let base_url = validate_base_url(&change.base_url)?;
        let model = change.model.trim().to_string();
        if model.is_empty() || model.chars().count() > 200 || model.chars().any(char::is_control) {
            return Err(ValidationError::new("model", "must be 1 to 200 characters").into());
        }
        let kind_name: &str = kind.into();
        let existing = self.store.model_endpoint(org, kind_name).await?;
        let (api_key_sealed, api_key_hint) = match change.api_key {
            ApiKeyChange::Keep => existing.map(|e| (e.api_key_sealed, e.api_key_hint)).unwrap_or_default(),
            ApiKeyChange::Remove => (None, None),
            ApiKeyChange::Set(key) => {
                let key = key.trim().to_string();
                if key.is_empty() || key.chars().count() > MAX_KEY_CHARS || key.chars().any(char::is_control) {
                    return Err(
                        ValidationError::new("api_key", format!("must be 1 to {MAX_KEY_CHARS} characters")).into()
                    );
                }
                let hint: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                (Some(self.keyring.seal(key.as_bytes(), &context(org, kind))), Some(hint))
            }
        };
        let record = ModelEndpointRecord {
            org,
            kind: kind_name.to_string(),
            base_url,
            model,
            api_key_sealed,
            api_key_hint,
            updated_by: Some(by),
            updated_at: Utc::now(),
        };
        // The client must accept it before it is stored.
        self.build(&record, kind, None)?;
        self.store.put_model_endpoint(&record).await?;
        self.forget(org, kind);
        shown(record)
    }

    /// Removes the organisation's endpoint of `kind`: the instance's is used again.
    pub async fn remove_endpoint(&self, org: OrgId, kind: ModelEndpointKind) -> Result<(), ProviderError> {
        if !self.store.delete_model_endpoint(org, kind.into()).await? {
            return Err(ProviderError::NotFound(kind));
        }
        self.forget(org, kind);
        Ok(())
    }

    /// Where the organisation's chat requests go — `model` (a coach's own) or its endpoint's
    /// default on its own endpoint, or the instance's model. An organisation whose own endpoint
    /// cannot be used gets none: its data never goes to the instance's model instead.
    pub async fn chat_model(&self, org: OrgId, model: Option<&str>) -> OrgChatModel {
        match self.client(org, ModelEndpointKind::Chat, model).await {
            Ok(Some(Client::Chat(client))) => OrgChatModel::Own(client),
            Ok(_) => OrgChatModel::Instance,
            Err(error) => {
                tracing::error!(%error, %org, "the organisation's chat endpoint cannot be used");
                OrgChatModel::Unusable
            }
        }
    }

    /// The organisation's embedder when it has an endpoint of its own; `None`: use the instance's.
    pub async fn embedder(&self, org: OrgId) -> Result<Option<Arc<dyn Embedder>>, ProviderError> {
        match self.client(org, ModelEndpointKind::Embedding, None).await? {
            Some(Client::Embedding(client)) => Ok(Some(client)),
            _ => Ok(None),
        }
    }

    /// Opens every stored key (an instance without the server key they were sealed with stops at
    /// start-up, with the reason) and seals again those sealed with a previous server key.
    pub async fn check_and_reseal(&self) -> Result<usize, ProviderError> {
        let endpoints = self.store.all_model_endpoints().await?;
        for endpoint in &endpoints {
            let Some(sealed) = &endpoint.api_key_sealed else { continue };
            let kind: ModelEndpointKind =
                endpoint.kind.parse().map_err(|_| StoreError::Corrupt(format!("endpoint kind {}", endpoint.kind)))?;
            if let Some(resealed) = self.keyring.reseal(sealed, &context(endpoint.org, kind))? {
                self.store.reseal_model_endpoint_key(endpoint.org, &endpoint.kind, &resealed).await?;
            }
        }
        Ok(endpoints.len())
    }

    async fn client(
        &self,
        org: OrgId,
        kind: ModelEndpointKind,
        model: Option<&str>,
    ) -> Result<Option<Client>, ProviderError> {
        let slot = (org, kind, model.unwrap_or_default().to_string());
        if let Some(cached) = self.cache.lock().expect("provider cache").get(&slot)
            && cached.read_at.elapsed().as_secs() < REREAD_SECONDS
        {
            return Ok(cached.client.clone());
        }
        let record = self.store.model_endpoint(org, kind.into()).await?;
        let version = record.as_ref().map(|r| r.updated_at.timestamp_millis());
        {
            let mut cache = self.cache.lock().expect("provider cache");
            if let Some(cached) = cache.get_mut(&slot)
                && cached.version == version
            {
                cached.read_at = Instant::now();
                return Ok(cached.client.clone());
            }
        }
        let client = match &record {
            Some(record) => Some(self.build(record, kind, model)?),
            None => None,
        };
        self.cache
            .lock()
            .expect("provider cache")
            .insert(slot, Cached { read_at: Instant::now(), version, client: client.clone() });
        Ok(client)
    }

    fn build(
        &self,
        record: &ModelEndpointRecord,
        kind: ModelEndpointKind,
        model: Option<&str>,
    ) -> Result<Client, ProviderError> {
        let api_key = match &record.api_key_sealed {
            Some(sealed) => {
                let key = self.keyring.open(sealed, &context(record.org, kind))?;
                Some(String::from_utf8(key).map_err(|_| SealError::Damaged)?)
            }
            None => None,
        };
        let unusable = |message: String| ProviderError::Unusable { kind, message };
        let s = &self.settings;
        Ok(match kind {
            ModelEndpointKind::Chat => {
                let config = OpenAiConfig {
                    base_url: record.base_url.clone(),
                    api_key,
                    model: model.unwrap_or(&record.model).to_string(),
                    timeout: s.chat_timeout,
                    max_retries: s.chat_max_retries,
                    backoff: Duration::from_millis(500),
                };
                Client::Chat(Arc::new(OpenAiChat::new(config).map_err(|e| unusable(e.to_string()))?))
            }
            ModelEndpointKind::Embedding => {
                let config = RemoteConfig {
                    api_key,
                    batch_size: s.embedding_batch_size,
                    timeout: s.embedding_timeout,
                    max_retries: s.embedding_max_retries,
                    ..RemoteConfig::new(record.base_url.clone(), record.model.clone())
                };
                Client::Embedding(Arc::new(RemoteEmbedder::new(config).map_err(|e| unusable(e.to_string()))?))
            }
        })
    }

    /// Forgets what this instance read of the organisation's endpoint of `kind`: the next use
    /// reads it again (when another instance may have changed it a moment ago).
    pub fn forget(&self, org: OrgId, kind: ModelEndpointKind) {
        self.cache.lock().expect("provider cache").retain(|(o, k, _), _| !(*o == org && *k == kind));
    }
}

/// The chat model a service uses for `org`: the organisation's own endpoint's default when
/// `endpoints` are known and it has one, else `instance`. An organisation whose own endpoint cannot
/// be used gets none (its data never goes to the instance's model instead).
pub async fn org_chat_model(
    endpoints: Option<&Providers>,
    org: OrgId,
    instance: Option<Arc<dyn ChatModel>>,
) -> Option<Arc<dyn ChatModel>> {
    let Some(endpoints) = endpoints else { return instance };
    match endpoints.chat_model(org, None).await {
        OrgChatModel::Own(own) => Some(own),
        OrgChatModel::Unusable => None,
        OrgChatModel::Instance => instance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_addresses_are_absolute_http_without_credentials() {
        assert_eq!(validate_base_url(" https://api.openai.com/v1/ ").unwrap(), "https://api.openai.com/v1");
        assert_eq!(validate_base_url("http://10.0.0.5:11434/v1").unwrap(), "http://10.0.0.5:11434/v1");
        for bad in ["ftp://x/v1", "/v1", "https://user:pw@api.example/v1", "https://api.example/v1?key=1", "nope"] {
            assert!(validate_base_url(bad).is_err(), "{bad}");
        }
    }
}
