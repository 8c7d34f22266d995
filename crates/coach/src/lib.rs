//! The coach's foundation: a provider interface that turns a chat request into a
//! typed stream of [`Frame`]s, and the clients that speak the providers' streaming
//! wire formats over HTTP:
//!
//! - [`AnthropicProvider`]: the Messages API (`POST /v1/messages`, server-sent
//!   events), with tool use, prompt caching and cache usage;
//! - [`OpenAiCompatProvider`]: Chat Completions (`POST /v1/chat/completions`) as
//!   served by OpenAI, Ollama, vLLM and llama.cpp, with usage from
//!   `stream_options.include_usage`.
//!
//! It also owns the money arithmetic: a [`Price`] table and [`cost`] in exact
//! micro-dollars, and the [`BudgetLedger`] seam (reserve the maximum cost before a
//! call, settle to the real cost after) that the store will implement.
//!
//! A stream never hangs and never ends silently: a connection dropped or stalled
//! before the provider's end marker, or an OpenAI-compatible stream without its usage
//! chunk, ends with [`ProviderError::Truncated`], which carries whatever usage was
//! known so the call can still be metered.
//!
//! Not here yet (issue 4 continues): the local GGUF model through candle, the
//! built-in analyst, the tools the model calls, persistence of conversations and
//! usage, HTTP endpoints and pages. This crate knows nothing about HTTP routes or SQL.

mod anthropic;
mod budget;
mod error;
mod openai;
mod pricing;
mod sse;
mod stream;
mod types;

pub use anthropic::{ANTHROPIC_VERSION, AnthropicConfig, AnthropicProvider};
pub use budget::{BudgetError, BudgetLedger, InMemoryLedger, Reservation, ReservationId};
pub use error::ProviderError;
pub use openai::{OpenAiCompatConfig, OpenAiCompatProvider};
pub use pricing::{Micros, Price, PriceTable, cost};
pub use types::{
    ApiKey, ChatRequest, Frame, FrameStream, Message, Part, Provider, Role, StopReason,
    SystemBlock, ToolDefinition, Usage,
};
