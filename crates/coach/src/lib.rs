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
//! One call, metered:
//!
//! ```no_run
//! # async fn call() -> Result<(), Box<dyn std::error::Error>> {
//! use filmroom_coach::*;
//! use futures_util::StreamExt;
//!
//! let provider = AnthropicProvider::new(AnthropicConfig::new(
//!     "https://api.anthropic.com",
//!     ApiKey::new("sk-ant-..."),
//! ))?;
//! let price = Price { input: 3_000_000, output: 15_000_000, cache_read: 300_000, cache_write: 3_750_000 };
//! let ledger = InMemoryLedger::new();
//! ledger.set_limit("player-1", 5_000_000)?;
//!
//! let req = ChatRequest {
//!     model: "claude-sonnet-4-5".into(),
//!     system: vec![SystemBlock { text: "You are a Rocket League coach.".into(), cacheable: true }],
//!     messages: vec![Message::user("How was my last session?")],
//!     tools: vec![],
//!     max_tokens: 1024,
//! };
//! let reservation = ledger.reserve("player-1", price.max_cost(2_000, req.max_tokens)).await?;
//! let mut usage = Usage::default();
//! let mut frames = provider.stream(req).await?;
//! while let Some(frame) = frames.next().await {
//!     match frame {
//!         Ok(Frame::TextDelta(text)) => print!("{text}"),
//!         Ok(Frame::Usage(u)) => usage = u,
//!         Ok(_) => {}
//!         // A truncated call is still metered with what the provider reported.
//!         Err(ProviderError::Truncated { partial_usage, .. }) => {
//!             usage = partial_usage.unwrap_or(usage);
//!             break;
//!         }
//!         Err(_) => break,
//!     }
//! }
//! ledger.settle(reservation, cost(&usage, &price)).await?;
//! # Ok(()) }
//! ```
//!
//! Not here yet (issue 4 continues): the local GGUF model through candle, the
//! built-in analyst, the tools the model calls, persistence of conversations and
//! usage, HTTP endpoints and pages. This crate knows nothing about HTTP routes or SQL.

pub mod analyst;
pub mod citations;
pub mod data;
pub mod profiles;
pub mod tools;
pub mod turn;

mod anthropic;
mod budget;
mod error;
mod openai;
mod pricing;
mod sse;
mod stream;
mod types;

pub use analyst::BuiltinAnalyst;
pub use anthropic::{ANTHROPIC_VERSION, AnthropicConfig, AnthropicProvider};
pub use budget::{BudgetError, BudgetLedger, InMemoryLedger, Reservation, ReservationId};
pub use citations::{CitationRef, extract_citations, format_citation};
pub use data::{
    CoachData, DataError, GameDigest, GameQuery, GameResult, InMemoryData, NoteView, PlayerKey,
    identify_me,
};
pub use error::ProviderError;
pub use openai::{OpenAiCompatConfig, OpenAiCompatProvider};
pub use pricing::{Micros, Price, PriceTable, cost};
pub use profiles::{Profile, ProfileDomain, ProfileError, ProfileSet};
pub use tools::{ToolOutcome, execute_tool, tool_definitions};
pub use turn::{
    CallEstimate, CallOutcome, CallRecord, CoachEvent, Meter, MeterError, MeterTicket,
    ProviderBinding, ToolCallRecord, TurnOutcome, TurnRequest, run_turn,
};
pub use types::{
    ApiKey, ChatRequest, Frame, FrameStream, Message, Part, Provider, Role, StopReason,
    SystemBlock, ToolDefinition, Usage,
};
