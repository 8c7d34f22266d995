//! The OpenAI-compatible Chat Completions client (OpenAI, Ollama, vLLM, llama.cpp
//! server): request mapping and the decoder of its `data:` chunk stream.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::sse::SseEvent;
use crate::stream::{Decoder, frames, send};
use crate::{
    ApiKey, ChatRequest, Frame, FrameStream, Part, Provider, ProviderError, Role, StopReason, Usage,
};

#[derive(Debug, Clone)]
pub struct OpenAiCompatConfig {
    /// Without the `/v1` path, e.g. `https://api.openai.com` or
    /// `http://127.0.0.1:11434` for Ollama.
    pub base_url: String,
    /// Sent as a Bearer token; local servers usually need none.
    pub api_key: Option<ApiKey>,
    /// How long to wait for the response headers, and how long the stream may then
    /// stay silent before it counts as cut off. Local models can be slow to process
    /// a long prompt before the first token, hence the generous default.
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    /// PEM certificates trusted besides the system's roots: the CA of a
    /// private model server.
    pub ca_pem: Option<Vec<u8>>,
}

impl OpenAiCompatConfig {
    pub fn new(base_url: impl Into<String>, api_key: Option<ApiKey>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key,
            idle_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            ca_pem: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OpenAiCompatProvider {
    config: OpenAiCompatConfig,
    client: reqwest::Client,
}

impl OpenAiCompatProvider {
    pub fn new(config: OpenAiCompatConfig) -> Result<Self, ProviderError> {
        let client = crate::stream::client(config.connect_timeout, config.ca_pem.as_deref())?;
        Ok(Self { config, client })
    }
}

#[async_trait::async_trait]
impl Provider for OpenAiCompatProvider {
    async fn stream(&self, req: ChatRequest) -> Result<FrameStream, ProviderError> {
        let body = request_body(&req);
        let url = format!(
            "{}/v1/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(&body);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key.expose());
        }
        let response = send(request, self.config.idle_timeout, error_fields).await?;
        Ok(frames(
            response,
            OpenAiDecoder::default(),
            self.config.idle_timeout,
        ))
    }
}

/// `{"error":{"message":"...","type":"invalid_request_error","code":null}}`; Ollama
/// and llama.cpp sometimes send `{"error":"..."}`.
fn error_fields(body: &Value) -> Option<(String, String)> {
    match body.get("error")? {
        Value::String(message) => Some(("unknown".to_owned(), message.clone())),
        error => {
            let kind = error
                .get("type")
                .and_then(Value::as_str)
                .or_else(|| error.get("code").and_then(Value::as_str))
                .unwrap_or("unknown");
            let message = error.get("message")?.as_str()?;
            Some((kind.to_owned(), message.to_owned()))
        }
    }
}

fn request_body(req: &ChatRequest) -> Value {
    let mut messages = Vec::new();
    // The prefix cache of these servers is automatic, so the blocks are joined and
    // `cacheable` has nothing to mark.
    let system: Vec<&str> = req.system.iter().map(|b| b.text.as_str()).collect();
    if !system.is_empty() {
        messages.push(json!({"role": "system", "content": system.join("\n\n")}));
    }
    for message in &req.messages {
        let mut text = String::new();
        let mut images = Vec::new();
        let mut tool_calls = Vec::new();
        for part in &message.parts {
            match part {
                Part::Text(t) => text.push_str(t),
                Part::Image {
                    media_type,
                    data_base64,
                } => images.push(json!({
                    "type": "image_url",
                    "image_url": {"url": format!("data:{media_type};base64,{data_base64}")},
                })),
                Part::ToolCall {
                    id,
                    name,
                    arguments_json,
                } => tool_calls.push(json!({
                    "id": id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments_json},
                })),
                // Tool results are messages of their own in this API.
                Part::ToolResult {
                    tool_call_id,
                    content,
                    ..
                } => messages.push(json!({
                    "role": "tool",
                    "tool_call_id": tool_call_id,
                    "content": content,
                })),
            }
        }
        match message.role {
            // Images need the array form of `content`; plain text keeps the string
            // form, which every compatible server reads.
            Role::User if !images.is_empty() => {
                let mut content = Vec::with_capacity(images.len() + 1);
                if !text.is_empty() {
                    content.push(json!({"type": "text", "text": text}));
                }
                content.extend(images);
                messages.push(json!({"role": "user", "content": content}));
            }
            Role::User if !text.is_empty() => {
                messages.push(json!({"role": "user", "content": text}));
            }
            Role::User => {}
            Role::Assistant => {
                let mut m = json!({"role": "assistant", "content": text});
                if !tool_calls.is_empty() {
                    m["tool_calls"] = Value::Array(tool_calls);
                }
                messages.push(m);
            }
        }
    }
    // `max_tokens` rather than OpenAI's newer `max_completion_tokens`: every
    // compatible server reads it.
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens,
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": messages,
    });
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.input_schema,
                }})
            })
            .collect();
    }
    body
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<ChoiceDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChoiceDelta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCallDelta>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: u64,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Default)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Default)]
struct OpenAiDecoder {
    calls: BTreeMap<u64, PendingCall>,
    usage: Option<Usage>,
    stopped: bool,
    finished: bool,
}

impl OpenAiDecoder {
    fn flush_calls(&mut self) -> Result<Vec<Frame>, ProviderError> {
        std::mem::take(&mut self.calls)
            .into_values()
            .map(|call| {
                let arguments_json = if call.arguments.trim().is_empty() {
                    "{}".to_owned()
                } else {
                    call.arguments
                };
                serde_json::from_str::<Value>(&arguments_json).map_err(|e| {
                    ProviderError::json(format!("arguments of tool call {}", call.id), e)
                })?;
                Ok(Frame::ToolCall {
                    id: call.id,
                    name: call.name,
                    arguments_json,
                })
            })
            .collect()
    }
}

impl Decoder for OpenAiDecoder {
    fn on_event(&mut self, event: SseEvent) -> Result<Vec<Frame>, ProviderError> {
        if event.data.trim() == "[DONE]" {
            self.finished = true;
            let out = self.flush_calls()?;
            if self.usage.is_none() {
                return Err(ProviderError::Truncated {
                    reason: "the stream ended without its usage chunk".to_owned(),
                    partial_usage: None,
                    source: None,
                });
            }
            return Ok(out);
        }
        let chunk: Chunk = serde_json::from_str(&event.data)
            .map_err(|e| ProviderError::json("a chat completion chunk", e))?;
        if let Some(error) = chunk.error {
            let (kind, message) = error_fields(&json!({ "error": error }))
                .unwrap_or_else(|| ("unknown".to_owned(), error.to_string()));
            return Err(ProviderError::Stream { kind, message });
        }
        let mut out = Vec::new();
        // Only one choice is ever requested (`n` is left at 1).
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(delta) = choice.delta {
                if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                    out.push(Frame::TextDelta(text));
                }
                for fragment in delta.tool_calls {
                    let call = self.calls.entry(fragment.index).or_default();
                    if let Some(id) = fragment.id {
                        call.id = id;
                    }
                    if let Some(function) = fragment.function {
                        if let Some(name) = function.name {
                            call.name.push_str(&name);
                        }
                        if let Some(arguments) = function.arguments {
                            call.arguments.push_str(&arguments);
                        }
                    }
                }
            }
            if let Some(reason) = choice.finish_reason {
                out.extend(self.flush_calls()?);
                self.stopped = true;
                out.push(Frame::Stop(finish_reason(&reason)));
            }
        }
        if let Some(wire) = chunk.usage {
            let cached = wire
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0);
            let usage = Usage {
                // Cached prompt tokens are included in `prompt_tokens` here, but are
                // counted apart in `Usage` because they are priced apart.
                input_tokens: wire.prompt_tokens.saturating_sub(cached),
                output_tokens: wire.completion_tokens,
                cache_read_tokens: cached,
                cache_write_tokens: 0,
            };
            self.usage = Some(usage);
            out.push(Frame::Usage(usage));
        }
        Ok(out)
    }

    fn finished(&self) -> bool {
        self.finished
    }

    fn partial_usage(&self) -> Option<Usage> {
        self.usage
    }

    fn truncation_reason(&self) -> String {
        if self.usage.is_some() {
            "the stream ended after its usage chunk but before [DONE]".to_owned()
        } else {
            "the stream ended before its usage chunk (usage unknown)".to_owned()
        }
    }
}

fn finish_reason(reason: &str) -> StopReason {
    match reason {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        other => StopReason::Other(other.to_owned()),
    }
}
