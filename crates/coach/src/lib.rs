//! filmroom's coach: everything between the player's question and a cited answer,
//! with no HTTP server and no SQL (the web layer and the store plug in through traits).
//!
//! - **Providers** ([`Provider`]: a chat request in, a typed stream of [`Frame`]s
//!   out): [`AnthropicProvider`] (the Messages API, with tool use, prompt caching and
//!   images), [`OpenAiCompatProvider`] (Chat Completions as served by OpenAI, Ollama,
//!   vLLM and llama.cpp, with usage from `stream_options.include_usage`), and the
//!   [`BuiltinAnalyst`], the offline default that answers a few kinds of questions
//!   from the numbers, deterministically, through the same tools.
//! - **Profiles** ([`profiles`]): who the coach is. A directory of `profile.toml`,
//!   `system.md`, `guardrails.md` and methodology sections; `rocket-league` (the
//!   default) and `trading` are built in.
//! - **Player data** ([`data`]): the [`CoachData`] seam, already scoped to one player,
//!   and [`GameDigest`], one recording from the player's point of view, built from
//!   stored rows (or a neutral analysis) with the domain's digest spec. [`InMemoryData`] holds games in memory for tests.
//! - **Tools** ([`tools`]): `recent_games`, `stats_by_playlist`, `stats_over_range`,
//!   `game_detail`, `compare_periods` and the notes, with JSON Schemas for the model;
//!   bad arguments are error results, never panics.
//! - **Citations** ([`citations`]): `[game:<id>@<m:ss>]` in answers, kept only when
//!   the game is the player's.
//! - **The turn loop** ([`turn::run_turn`]): system prompt, provider calls, tool
//!   rounds, streamed [`CoachEvent`]s ending in exactly one `Done` or `Failed`, every
//!   call reserved before and settled after through the [`Meter`].
//! - **Money**: a [`Price`] table and [`cost`] in exact micro-dollars, and the
//!   [`BudgetLedger`] seam (reserve the maximum cost before a call, settle to the real
//!   cost after, never above what was reserved) that the store implements;
//!   [`MeterError`] converts from its errors. Prompt estimates count UTF-8 bytes
//!   ([`turn::estimate_prompt_tokens`]), an upper bound for byte-level BPE tokenizers.
//!
//! A stream never hangs and never ends silently: a connection dropped or stalled
//! before the provider's end marker, or an OpenAI-compatible stream without its usage
//! chunk, ends with [`ProviderError::Truncated`], which carries whatever usage was
//! known so the call can still be metered.
//!
//! One turn with the built-in analyst, over games held in memory:
//!
//! ```no_run
//! # async fn turn() {
//! use std::sync::Arc;
//! use filmroom_coach::*;
//! use futures_util::StreamExt;
//!
//! # struct NoMeter;
//! # #[async_trait::async_trait]
//! # impl Meter for NoMeter {
//! #     async fn reserve(&self, _: CallEstimate) -> Result<MeterTicket, MeterError> { Ok(MeterTicket(String::new())) }
//! #     async fn settle(&self, _: MeterTicket, _: CallRecord) -> Result<(), MeterError> { Ok(()) }
//! # }
//! let profiles = ProfileSet::builtin();
//! let data: Arc<dyn CoachData> = Arc::new(InMemoryData::new(vec![/* GameDigest::from_neutral(..) */]));
//! let meter: Arc<dyn Meter> = Arc::new(NoMeter);
//! let request = TurnRequest {
//!     profile: profiles.default_profile(),
//!     history: vec![],
//!     user_message: Message::user("How was my last session?"),
//!     max_tokens: 1024,
//!     max_tool_rounds: 4,
//! };
//! let mut events = run_turn(ProviderBinding::builtin(), data, meter, request);
//! while let Some(event) = events.next().await {
//!     match event {
//!         CoachEvent::TextDelta(text) => print!("{text}"),
//!         CoachEvent::Done(outcome) => println!("\n{} citations", outcome.citations.len()),
//!         CoachEvent::Failed { code, message, .. } => eprintln!("{code}: {message}"),
//!         _ => {}
//!     }
//! }
//! # }
//! ```
//!
//! One provider call, metered by hand (what the turn loop does for each call):
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
//! Not here: the local GGUF model (the `filmroom-llm-local` crate implements
//! [`Provider`]), persistence of conversations and usage records (the store), HTTP
//! endpoints and pages (the web crate).

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
pub use citations::{CitationRef, extract_citations, format_citation, format_clock};
pub use data::{
    CoachData, DataError, GameDigest, GameQuery, GameResult, InMemoryData, MetricGroup,
    MetricQuery, NoteView, PassageView, SearchHit,
};
pub use error::ProviderError;
pub use openai::{OpenAiCompatConfig, OpenAiCompatProvider};
pub use pricing::{Micros, Price, PriceTable, cost};
pub use profiles::{Profile, ProfileDomain, ProfileError, ProfileSet};
pub use tools::{MAX_NOTE_CHARS, ToolOutcome, execute_tool, tool_definitions};
pub use turn::{
    CallEstimate, CallOutcome, CallRecord, CoachEvent, Meter, MeterError, MeterTicket,
    ProviderBinding, ToolCallRecord, TurnOutcome, TurnRequest, first_call_estimate, run_turn,
};
pub use types::{
    ApiKey, ChatRequest, Frame, FrameStream, Message, Part, Provider, Role, StopReason,
    SystemBlock, ToolDefinition, Usage,
};
