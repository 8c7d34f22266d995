//! The Anthropic Messages API client: request mapping (system blocks with
//! `cache_control`, tool use and results) and the decoder of its event stream.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::sse::SseEvent;
use crate::stream::{Decoder, frames, send};
use crate::{
    ApiKey, ChatRequest, Frame, FrameStream, Part, Provider, ProviderError, Role, StopReason, Usage,
};

/// The API version this client speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

#[derive(Debug, Clone)]
pub struct AnthropicConfig {
    /// Without the `/v1` path, e.g. `https://api.anthropic.com`.
    pub base_url: String,
    pub api_key: ApiKey,
    /// How long to wait for the response headers, and how long the stream may then
    /// stay silent before it counts as cut off. Anthropic sends `ping` events, so a
    /// long silence is a dead connection.
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    /// PEM certificates trusted besides the system's roots: the CA of a
    /// private model server.
    pub ca_pem: Option<Vec<u8>>,
}

impl AnthropicConfig {
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> Self {
        Self {
            base_url: base_url.into(),
            api_key,
            idle_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            ca_pem: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AnthropicProvider {
    config: AnthropicConfig,
    client: reqwest::Client,
}

impl AnthropicProvider {
    pub fn new(config: AnthropicConfig) -> Result<Self, ProviderError> {
        let client = crate::stream::client(config.connect_timeout, config.ca_pem.as_deref())?;
        Ok(Self { config, client })
    }
}

#[async_trait::async_trait]
impl Provider for AnthropicProvider {
    async fn stream(&self, req: ChatRequest) -> Result<FrameStream, ProviderError> {
        let body = request_body(&req)?;
        let url = format!("{}/v1/messages", self.config.base_url.trim_end_matches('/'));
        let request = self
            .client
            .post(url)
            .header("x-api-key", self.config.api_key.expose())
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(&body);
        let response = send(request, self.config.idle_timeout, error_fields).await?;
        Ok(frames(
            response,
            AnthropicDecoder::default(),
            self.config.idle_timeout,
        ))
    }
}

/// `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`
fn error_fields(body: &Value) -> Option<(String, String)> {
    let error = body.get("error")?;
    Some((
        error.get("type")?.as_str()?.to_owned(),
        error.get("message")?.as_str()?.to_owned(),
    ))
}

fn request_body(req: &ChatRequest) -> Result<Value, ProviderError> {
    let system: Vec<Value> = req
        .system
        .iter()
        .map(|block| {
            let mut v = json!({"type": "text", "text": block.text});
            if block.cacheable {
                v["cache_control"] = json!({"type": "ephemeral"});
            }
            v
        })
        .collect();
    let messages = req
        .messages
        .iter()
        .map(|m| {
            let content = m
                .parts
                .iter()
                .map(part_json)
                .collect::<Result<Vec<_>, _>>()?;
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            Ok(json!({"role": role, "content": content}))
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens,
        "stream": true,
        "messages": messages,
    });
    if !system.is_empty() {
        body["system"] = Value::Array(system);
    }
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.input_schema}))
            .collect();
    }
    Ok(body)
}

fn part_json(part: &Part) -> Result<Value, ProviderError> {
    Ok(match part {
        Part::Text(text) => json!({"type": "text", "text": text}),
        Part::Image {
            media_type,
            data_base64,
        } => json!({
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data_base64},
        }),
        Part::ToolCall {
            id,
            name,
            arguments_json,
        } => {
            let input: Value = serde_json::from_str(arguments_json).map_err(|e| {
                ProviderError::InvalidRequest(format!("tool call {id} arguments: {e}"))
            })?;
            json!({"type": "tool_use", "id": id, "name": name, "input": input})
        }
        Part::ToolResult {
            tool_call_id,
            content,
            is_error,
        } => json!({
            "type": "tool_result",
            "tool_use_id": tool_call_id,
            "content": content,
            "is_error": is_error,
        }),
    })
}

// The event payloads, as documented at
// https://docs.anthropic.com/en/docs/build-with-claude/streaming. Unknown event,
// block and delta types are skipped: Anthropic adds them over time.

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u64,
        content_block: Block,
    },
    ContentBlockDelta {
        index: u64,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: u64,
    },
    MessageDelta {
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: WireError,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text,
    ToolUse {
        id: String,
        name: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

/// Every field is optional: `message_start` carries the input side, `message_delta`
/// the (cumulative) output side and sometimes the input side again.
#[derive(Deserialize, Default)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

struct ToolBlock {
    id: String,
    name: String,
    json: String,
}

#[derive(Default)]
struct AnthropicDecoder {
    usage: Option<Usage>,
    tools: BTreeMap<u64, ToolBlock>,
    stopped: bool,
    finished: bool,
}

impl AnthropicDecoder {
    fn merge_usage(&mut self, wire: WireUsage) -> Usage {
        let usage = self.usage.get_or_insert_with(Usage::default);
        if let Some(n) = wire.input_tokens {
            usage.input_tokens = n;
        }
        if let Some(n) = wire.output_tokens {
            usage.output_tokens = n;
        }
        if let Some(n) = wire.cache_creation_input_tokens {
            usage.cache_write_tokens = n;
        }
        if let Some(n) = wire.cache_read_input_tokens {
            usage.cache_read_tokens = n;
        }
        *usage
    }
}

impl Decoder for AnthropicDecoder {
    fn on_event(&mut self, event: SseEvent) -> Result<Vec<Frame>, ProviderError> {
        let name = event.event.as_deref().unwrap_or("message").to_owned();
        let parsed: Event = serde_json::from_str(&event.data)
            .map_err(|e| ProviderError::json(format!("Anthropic `{name}` event"), e))?;
        Ok(match parsed {
            Event::MessageStart { message } => {
                self.merge_usage(message.usage.unwrap_or_default());
                vec![]
            }
            Event::ContentBlockStart {
                index,
                content_block,
            } => {
                if let Block::ToolUse { id, name } = content_block {
                    let json = String::new();
                    self.tools.insert(index, ToolBlock { id, name, json });
                }
                vec![]
            }
            Event::ContentBlockDelta { index, delta } => match delta {
                BlockDelta::TextDelta { text } => vec![Frame::TextDelta(text)],
                BlockDelta::InputJsonDelta { partial_json } => {
                    let block = self.tools.get_mut(&index).ok_or_else(|| {
                        ProviderError::protocol(format!(
                            "input_json_delta for block {index}, which is not a tool_use block"
                        ))
                    })?;
                    block.json.push_str(&partial_json);
                    vec![]
                }
                BlockDelta::Other => vec![],
            },
            Event::ContentBlockStop { index } => match self.tools.remove(&index) {
                None => vec![],
                Some(block) => {
                    // A tool without parameters streams no fragment at all.
                    let arguments_json = if block.json.trim().is_empty() {
                        "{}".to_owned()
                    } else {
                        block.json
                    };
                    serde_json::from_str::<Value>(&arguments_json).map_err(|e| {
                        ProviderError::json(format!("arguments of tool call {}", block.id), e)
                    })?;
                    vec![Frame::ToolCall {
                        id: block.id,
                        name: block.name,
                        arguments_json,
                    }]
                }
            },
            Event::MessageDelta { delta, usage } => {
                let usage = self.merge_usage(usage.unwrap_or_default());
                let mut out = vec![Frame::Usage(usage)];
                if let Some(reason) = delta.stop_reason {
                    self.stopped = true;
                    out.push(Frame::Stop(stop_reason(&reason)));
                }
                out
            }
            Event::MessageStop => {
                self.finished = true;
                vec![]
            }
            Event::Ping | Event::Unknown => vec![],
            Event::Error { error } => {
                return Err(ProviderError::Stream {
                    kind: error.kind,
                    message: error.message,
                });
            }
        })
    }

    fn finished(&self) -> bool {
        self.finished
    }

    fn partial_usage(&self) -> Option<Usage> {
        self.usage
    }

    fn truncation_reason(&self) -> String {
        if self.stopped {
            "the stream ended after message_delta but before message_stop".to_owned()
        } else {
            "the stream ended before message_delta and message_stop".to_owned()
        }
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" => StopReason::MaxTokens,
        "tool_use" => StopReason::ToolUse,
        "stop_sequence" => StopReason::StopSequence,
        other => StopReason::Other(other.to_owned()),
    }
}
