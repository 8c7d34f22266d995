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
    AnthropicConfig, AnthropicProvider, ApiKey, OpenAiCompatConfig, OpenAiCompatProvider,
    ProfileSet, ProviderBinding,
};

use crate::config::{CoachConfig, CoachProviderKind};

/// The coach as configured: built once at startup, shared by every request.
pub struct CoachService {
    pub profiles: ProfileSet,
    pub binding: ProviderBinding,
    /// Answers questions that carry images when `binding` reads none.
    pub vision_binding: Option<ProviderBinding>,
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
        let binding = binding_for(config.provider, config)?;
        let vision_binding = match config.vision_provider {
            None => None,
            Some(kind) => {
                let vision = binding_for(kind, config)?;
                anyhow::ensure!(
                    vision.vision,
                    "coach.vision_provider is {kind:?} but that provider's vision is off"
                );
                Some(vision)
            }
        };
        Ok(Self {
            profiles,
            binding,
            vision_binding,
            max_tokens: config.max_tokens,
            max_tool_rounds: config.max_tool_rounds,
            max_image_bytes: config.max_image_bytes,
        })
    }

    /// Whether questions may carry images at all.
    pub fn reads_images(&self) -> bool {
        self.binding.vision || self.vision_binding.is_some()
    }

    /// The model for a question: the configured one, or the vision model when
    /// the question has images the configured one cannot read.
    pub fn binding_for_question(&self, has_images: bool) -> Option<&ProviderBinding> {
        if !has_images || self.binding.vision {
            Some(&self.binding)
        } else {
            self.vision_binding.as_ref()
        }
    }
}

/// Builds the client of one provider kind from its config section.
fn binding_for(kind: CoachProviderKind, config: &CoachConfig) -> anyhow::Result<ProviderBinding> {
    let price = |model: &str| config.prices.get(model).copied().unwrap_or_default();
    let ca_pem = || -> anyhow::Result<Option<Vec<u8>>> {
        config
            .ca_file
            .as_ref()
            .map(|path| {
                std::fs::read(path)
                    .with_context(|| format!("Failed to read coach.ca_file {}", path.display()))
            })
            .transpose()
    };
    Ok(match kind {
        CoachProviderKind::Builtin => ProviderBinding::builtin(),
        CoachProviderKind::Anthropic => {
            let remote = &config.anthropic;
            let key = remote.api_key.clone().context(
                "the coach uses anthropic but coach.anthropic.api_key is not set \
                 (FILMROOM__COACH__ANTHROPIC__API_KEY)",
            )?;
            let mut client = AnthropicConfig::new(&remote.base_url, ApiKey::new(key));
            client.ca_pem = ca_pem()?;
            let provider = AnthropicProvider::new(client)
                .context("Failed to set up the Anthropic client (coach.ca_file?)")?;
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
            let mut client =
                OpenAiCompatConfig::new(&remote.base_url, remote.api_key.clone().map(ApiKey::new));
            client.ca_pem = ca_pem()?;
            let provider = OpenAiCompatProvider::new(client)
                .context("Failed to set up the OpenAI-compatible client (coach.ca_file?)")?;
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
                    "the coach uses the local model but none was found: set coach.local.model_path \
                     or run scripts/setup to install SmolLM2",
                )?,
            };
            let mut local = filmroom_llm_local::LocalModelConfig::new(path.clone());
            local.temperature = config.local.temperature;
            let model = filmroom_llm_local::LocalModel::load(local)
                .with_context(|| format!("Failed to load the local model {}", path.display()))?;
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
    })
}
