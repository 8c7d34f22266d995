//! The provider-neutral request and frame types, and the [`Provider`] trait.

use futures_util::stream::BoxStream;

use crate::ProviderError;

/// What a provider stream yields. Errors are the `Err` side of the stream item; after
/// an `Err` the stream ends.
pub type FrameStream = BoxStream<'static, Result<Frame, ProviderError>>;

/// A model provider: turns one request into a stream of frames.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Sends the request. An error here means no stream was opened (the provider
    /// refused the request or could not be reached); errors after that come through
    /// the stream.
    async fn stream(&self, req: ChatRequest) -> Result<FrameStream, ProviderError>;

    /// This provider for a turn over recordings of these kinds (their digest
    /// specs by kind), when it words answers from them itself: the built-in
    /// analyst does; a model reads the tools' results and needs nothing.
    fn for_domains(
        &self,
        _specs: &std::collections::BTreeMap<String, filmroom_domain::CoachDigestSpec>,
    ) -> Option<std::sync::Arc<dyn Provider>> {
        None
    }
}

/// One content or control frame of a streamed answer. Text and tool calls come in
/// the order the model produced them; `Usage` and `Stop` come once each near the end,
/// in the order the provider sends them (Anthropic: usage then stop; OpenAI: stop
/// then usage), so consumers must not rely on their relative order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A piece of the answer's text.
    TextDelta(String),
    /// A complete tool call: the arguments are emitted once, after all their
    /// fragments arrived, and are valid JSON.
    ToolCall {
        id: String,
        name: String,
        arguments_json: String,
    },
    /// The tokens the call used, as the provider reported them.
    Usage(Usage),
    /// Why the model stopped.
    Stop(StopReason),
}

/// Tokens of one call. `input_tokens` excludes cached tokens, which are counted in
/// `cache_read_tokens` (read from the cache) and `cache_write_tokens` (written to it),
/// because they are priced differently.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    ToolUse,
    StopSequence,
    Other(String),
}

/// One model call.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    /// The system prompt, in blocks so that the stable parts (the methodology) can be
    /// cached apart from the parts that change.
    pub system: Vec<SystemBlock>,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolDefinition>,
    pub max_tokens: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemBlock {
    pub text: String,
    /// Marks the end of a prefix the provider may cache (Anthropic's
    /// `cache_control`); providers that cache prefixes by themselves ignore it.
    pub cacheable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    /// An image the user attached (a chart, a scoreboard screenshot), sent inline.
    /// Only vision-capable models accept it; the turn loop refuses it before any
    /// call to a model that is not.
    Image {
        /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
        media_type: String,
        /// The image bytes in standard base64, without a `data:` prefix.
        data_base64: String,
    },
    /// A tool call the assistant made earlier in the conversation.
    ToolCall {
        id: String,
        name: String,
        arguments_json: String,
    },
    /// The result of a tool call, sent back in a user turn.
    ToolResult {
        tool_call_id: String,
        content: String,
        is_error: bool,
    },
}

impl Message {
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            parts: vec![Part::Text(text.into())],
        }
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            parts: vec![Part::Text(text.into())],
        }
    }
}

/// A tool the model may call; `input_schema` is a JSON Schema object.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    pub name: String,
    pub description: String,
    pub input_schema: serde_json::Value,
}

/// A provider API key. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}
