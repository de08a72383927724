//! The chat models a coach may use: one OpenAI-compatible endpoint, a model
//! client per model name (a coach may name its own), and the price table.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use wayfinder_llm::{ChatError, ChatModel, OpenAiChat, OpenAiConfig, Price, Usage};

/// How to reach the chat model.
#[derive(Clone, Debug)]
pub struct ChatSettings {
    /// OpenAI-compatible API root, e.g. `http://localhost:11434/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    /// Model used when a coach names none.
    pub model: String,
    /// Per attempt: the whole answer, or the first text and any gap of a stream.
    pub timeout: Duration,
    pub max_retries: u32,
    /// Base of the exponential backoff between retries.
    pub backoff: Duration,
}

/// The configured chat models, or none (extractive answers only).
#[derive(Clone, Default)]
pub struct Models {
    settings: Option<ChatSettings>,
    prices: HashMap<String, Price>,
    clients: Arc<Mutex<HashMap<String, Arc<dyn ChatModel>>>>,
    /// One client for every coach, whatever model it names (a provider built elsewhere).
    single: Option<Arc<dyn ChatModel>>,
}

impl Models {
    /// No model: the coach answers extractively.
    pub fn none() -> Self {
        Models::default()
    }

    /// An OpenAI-compatible endpoint with a price table (per model name).
    pub fn openai(settings: ChatSettings, prices: HashMap<String, Price>) -> Self {
        Models { settings: Some(settings), prices, ..Models::default() }
    }

    /// One ready-made client that answers for every coach, with a price table.
    pub fn single(client: Arc<dyn ChatModel>, prices: HashMap<String, Price>) -> Self {
        Models { prices, single: Some(client), ..Models::default() }
    }

    /// Whether a model is configured.
    pub fn configured(&self) -> bool {
        self.settings.is_some() || self.single.is_some()
    }

    /// The default model's name, when configured.
    pub fn default_model(&self) -> Option<&str> {
        match &self.single {
            Some(client) => Some(client.model_id()),
            None => self.settings.as_ref().map(|s| s.model.as_str()),
        }
    }

    /// The client for `name` (the default model when `None`).
    pub fn client(&self, name: Option<&str>) -> Result<Option<Arc<dyn ChatModel>>, ChatError> {
        if let Some(client) = &self.single {
            return Ok(Some(client.clone()));
        }
        let Some(settings) = &self.settings else { return Ok(None) };
        let name = name.unwrap_or(&settings.model).to_string();
        let mut clients = self.clients.lock().map_err(|_| ChatError::InvalidConfig("model cache poisoned".into()))?;
        if let Some(client) = clients.get(&name) {
            return Ok(Some(client.clone()));
        }
        let config = OpenAiConfig {
            base_url: settings.base_url.clone(),
            api_key: settings.api_key.clone(),
            model: name.clone(),
            timeout: settings.timeout,
            max_retries: settings.max_retries,
            backoff: settings.backoff,
        };
        let client: Arc<dyn ChatModel> = Arc::new(OpenAiChat::new(config)?);
        clients.insert(name, client.clone());
        Ok(Some(client))
    }

    /// What `usage` of `model` costs, from the price table (0 when the model has no price).
    pub fn cost(&self, model: &str, usage: &Usage) -> f64 {
        self.prices.get(model).map(|p| p.cost(usage)).unwrap_or(0.0)
    }
}
