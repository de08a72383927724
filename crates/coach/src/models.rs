//! The chat models a coach may use: one OpenAI-compatible endpoint, a model
//! client per model name (a coach may name its own), an organisation's own endpoint when it
//! brings one, and the price table.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};
use wayfinder_accounts_rules::OrgId;
use wayfinder_llm::{ChatError, ChatModel, OpenAiChat, OpenAiConfig, Price, Usage};
use wayfinder_providers::{OrgChatModel, Providers};

/// The configured chat models, or none (extractive answers only).
#[derive(Clone, Default)]
pub struct Models {
    /// The endpoint; its `model` is the one used when a coach names none.
    settings: Option<OpenAiConfig>,
    prices: HashMap<String, Price>,
    clients: Arc<Mutex<HashMap<String, Arc<dyn ChatModel>>>>,
    /// One client for every coach, whatever model it names (a provider built elsewhere).
    single: Option<Arc<dyn ChatModel>>,
    /// Organisations' own endpoints, used before the instance's.
    org_endpoints: Option<Providers>,
}

impl Models {
    /// No model: the coach answers extractively.
    pub fn none() -> Self {
        Models::default()
    }

    /// An OpenAI-compatible endpoint with a price table (per model name); `settings.model` is the
    /// default model, and a coach naming another gets a client with the same settings.
    pub fn openai(settings: OpenAiConfig, prices: HashMap<String, Price>) -> Self {
        Models { settings: Some(settings), prices, ..Models::default() }
    }

    /// One ready-made client that answers for every coach, with a price table.
    pub fn single(client: Arc<dyn ChatModel>, prices: HashMap<String, Price>) -> Self {
        Models { prices, single: Some(client), ..Models::default() }
    }

    /// The same models, with organisations' own endpoints used first.
    pub fn with_org_endpoints(self, providers: Providers) -> Self {
        Models { org_endpoints: Some(providers), ..self }
    }

    /// The client and model name for a turn of `org`'s coach naming `name`: the organisation's
    /// own endpoint when it has one, else the instance's (`None`: extractive answers).
    pub async fn client_for(&self, org: OrgId, name: Option<&str>) -> (Option<Arc<dyn ChatModel>>, Option<String>) {
        if let Some(providers) = &self.org_endpoints {
            match providers.chat_model(org, name).await {
                OrgChatModel::Own(client) => {
                    let model = client.model_id().to_string();
                    return (Some(client), Some(model));
                }
                OrgChatModel::Unusable => return (None, None),
                OrgChatModel::Instance => {}
            }
        }
        let client = self.client(name).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the chat model is misconfigured");
            None
        });
        (client, name.map(String::from).or_else(|| self.default_model().map(String::from)))
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
        let config = OpenAiConfig { model: name.clone(), ..settings.clone() };
        let client: Arc<dyn ChatModel> = Arc::new(OpenAiChat::new(config)?);
        clients.insert(name, client.clone());
        Ok(Some(client))
    }

    /// What `usage` of `model` costs, from the price table (0 when the model has no price).
    pub fn cost(&self, model: &str, usage: &Usage) -> f64 {
        self.prices.get(model).map(|p| p.cost(usage)).unwrap_or(0.0)
    }
}
