//! The coach in the web layer: the configured provider and profiles
//! ([`CoachService`]), the store-backed data the tools read ([`data`]), the
//! metering of every model call ([`meter`]), the plan's limits ([`limits`]),
//! and the HTTP endpoints ([`api`]). The conversation logic itself lives in
//! `filmroom-coach`; this module wires it to users, the store and HTTP.

pub mod api;
pub mod data;
pub mod dto;
pub mod limits;
pub mod meter;
pub mod pages;

use std::sync::Arc;

use anyhow::Context;
use filmroom_coach::{
    AnthropicConfig, AnthropicProvider, ApiKey, BuiltinAnalyst, OpenAiCompatConfig,
    OpenAiCompatProvider, Price, ProfileSet, Provider, ProviderBinding,
};

use crate::config::{CoachConfig, CoachProviderKind};

/// The coach as configured: built once at startup, shared by every request.
pub struct CoachService {
    pub profiles: ProfileSet,
    pub binding: ProviderBinding,
    pub max_tokens: u32,
    pub max_tool_rounds: u8,
    pub max_image_bytes: usize,
}

impl CoachService {
    pub fn from_config(config: &CoachConfig) -> anyhow::Result<Self> {
        let mut profiles = ProfileSet::builtin();
        if let Some(dir) = &config.profiles_dir {
            profiles = profiles
                .with_dir(dir)
                .with_context(|| format!("Failed to load coach profiles from {}", dir.display()))?;
        }
        let price = |model: &str| config.prices.get(model).copied().unwrap_or_default();
        let binding = match config.provider {
            CoachProviderKind::Builtin => ProviderBinding {
                name: "builtin".to_owned(),
                provider: Arc::new(BuiltinAnalyst::new()) as Arc<dyn Provider>,
                model: "builtin-analyst".to_owned(),
                price: Price::default(),
                vision: false,
            },
            CoachProviderKind::Anthropic => {
                let remote = &config.anthropic;
                let key = remote.api_key.clone().context(
                    "coach.provider is anthropic but coach.anthropic.api_key is not set \
                     (FILMROOM__COACH__ANTHROPIC__API_KEY)",
                )?;
                let provider = AnthropicProvider::new(AnthropicConfig::new(
                    &remote.base_url,
                    ApiKey::new(key),
                ))
                .context("Failed to set up the Anthropic client")?;
                ProviderBinding {
                    name: "anthropic".to_owned(),
                    provider: Arc::new(provider),
                    model: remote.model.clone(),
                    price: price(&remote.model),
                    vision: remote.vision,
                }
            }
            CoachProviderKind::Openai => {
                let remote = &config.openai;
                let provider = OpenAiCompatProvider::new(OpenAiCompatConfig::new(
                    &remote.base_url,
                    remote.api_key.clone().map(ApiKey::new),
                ))
                .context("Failed to set up the OpenAI-compatible client")?;
                ProviderBinding {
                    name: "openai".to_owned(),
                    provider: Arc::new(provider),
                    model: remote.model.clone(),
                    price: price(&remote.model),
                    vision: remote.vision,
                }
            }
            CoachProviderKind::Local => {
                let path = match &config.local.model_path {
                    Some(path) => path.clone(),
                    None => filmroom_llm_local::find_smollm2().context(
                        "coach.provider is local but no model was found: set coach.local.model_path \
                         or run scripts/setup to install SmolLM2",
                    )?,
                };
                let mut local = filmroom_llm_local::LocalModelConfig::new(path.clone());
                local.temperature = config.local.temperature;
                let model = filmroom_llm_local::LocalModel::load(local).with_context(|| {
                    format!("Failed to load the local model {}", path.display())
                })?;
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "local".to_owned());
                ProviderBinding {
                    name: "local".to_owned(),
                    provider: Arc::new(model),
                    price: price(&name),
                    model: name,
                    vision: false,
                }
            }
        };
        Ok(Self {
            profiles,
            binding,
            max_tokens: config.max_tokens,
            max_tool_rounds: config.max_tool_rounds,
            max_image_bytes: config.max_image_bytes,
        })
    }
}
