//! The turn loop: one question from the player to one answer, through as many
//! model calls and tool rounds as it takes, every call metered.
//!
//! For each model call the loop first reserves the call's maximum through the
//! [`Meter`] (refused: the turn fails with `budget_exceeded` and nothing is called),
//! then streams the answer, then settles exactly once with what the provider reported,
//! whether the call ended well, was cut off or failed. Tool calls run between model
//! calls over the player's own data. The event stream ends with exactly one
//! [`CoachEvent::Done`] or [`CoachEvent::Failed`].
//!
//! The loop runs on its own task once the stream is first polled, so a client that
//! goes away mid-answer cannot leave a call unsettled: the call in flight finishes and
//! is settled, and no further call is made.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use crate::analyst::BuiltinAnalyst;
use crate::citations::{CitationRef, extract_citations};
use crate::data::{CoachData, GameQuery};
use crate::profiles::Profile;
use crate::tools::{execute_tool, tool_definitions};
use crate::{
    BudgetError, ChatRequest, Frame, Message, Micros, Part, Price, Provider, ProviderError, Role,
    StopReason, SystemBlock, ToolDefinition, Usage, cost,
};

/// The model a turn talks to, and what it costs.
#[derive(Clone)]
pub struct ProviderBinding {
    /// `anthropic`, `openai`, `local` or `builtin`: recorded with each call.
    pub name: String,
    pub provider: Arc<dyn Provider>,
    pub model: String,
    pub price: Price,
    /// Whether the model reads images.
    pub vision: bool,
}

impl ProviderBinding {
    /// The built-in analyst: free, offline, no images.
    pub fn builtin() -> Self {
        Self {
            name: "builtin".to_owned(),
            provider: Arc::new(BuiltinAnalyst::new()),
            model: crate::analyst::BUILTIN_MODEL.to_owned(),
            price: Price {
                input: 0,
                output: 0,
                cache_read: 0,
                cache_write: 0,
            },
            vision: false,
        }
    }

    /// The same binding on the caller's clock: the built-in analyst resolves
    /// "this week" against `now` (the server's clock, a test's fixed one);
    /// other providers are unchanged.
    pub fn at(mut self, now: OffsetDateTime) -> Self {
        if self.name == "builtin" {
            self.provider = Arc::new(BuiltinAnalyst::with_now(now));
        }
        self
    }
}

impl std::fmt::Debug for ProviderBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderBinding")
            .field("name", &self.name)
            .field("model", &self.model)
            .field("price", &self.price)
            .field("vision", &self.vision)
            .finish_non_exhaustive()
    }
}

/// One question of a conversation.
#[derive(Debug, Clone)]
pub struct TurnRequest {
    pub profile: Arc<Profile>,
    /// Earlier turns, text only (tool rounds of earlier turns are not replayed).
    pub history: Vec<Message>,
    /// The player's question: text and optionally [`Part::Image`]s.
    pub user_message: Message,
    /// The output limit of each model call.
    pub max_tokens: u32,
    /// How many rounds of tool calls the model may make before it must answer.
    pub max_tool_rounds: u8,
}

/// Usage metering: reserve before each model call, settle after it.
#[async_trait::async_trait]
pub trait Meter: Send + Sync {
    /// Before each provider call: reserve the call's maximum (estimated prompt tokens
    /// + max_tokens, and its max cost). `Err` refuses the call.
    async fn reserve(&self, estimate: CallEstimate) -> Result<MeterTicket, MeterError>;
    /// After each provider call, exactly once per reserve, whatever the outcome (ok,
    /// truncated, error): settle and write one usage record.
    async fn settle(&self, ticket: MeterTicket, record: CallRecord) -> Result<(), MeterError>;
}

/// What one call may use at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEstimate {
    pub provider: String,
    pub model: String,
    /// An upper bound: the UTF-8 bytes sent (a byte-level BPE token is at least
    /// one byte, whatever the script), [`FRAMING_TOKENS`] per message, block
    /// and tool for the chat template, and [`IMAGE_TOKEN_ESTIMATE`] per image.
    pub prompt_tokens: u64,
    pub max_output_tokens: u64,
    pub max_cost: Micros,
}

/// A reservation, as the meter's implementor identifies it (a reservation id, a
/// row id...). The loop hands it back to [`Meter::settle`] untouched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MeterTicket(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The call ended normally (including a stop at `max_tokens`).
    Ok,
    /// The stream was cut off before its end.
    Truncated,
    /// The provider refused the call or failed mid-stream.
    Error,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Truncated => "truncated",
            Self::Error => "error",
        }
    }
}

/// The usage record of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub provider: String,
    pub model: String,
    pub usage: Usage,
    pub cost: Micros,
    pub latency: Duration,
    pub outcome: CallOutcome,
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MeterError {
    /// The budget cannot cover the call.
    #[error("the budget cannot cover this call ({requested} µ$ needed, {available} µ$ left)")]
    BudgetExceeded {
        requested: Micros,
        available: Micros,
    },
    /// The meter refused the call for another reason (no budget set, account closed).
    #[error("{0}")]
    Refused(String),
    /// The meter's storage failed.
    #[error("the usage meter failed: {0}")]
    Backend(String),
}

impl From<BudgetError> for MeterError {
    fn from(e: BudgetError) -> Self {
        match e {
            BudgetError::Exceeded {
                requested,
                available,
            } => Self::BudgetExceeded {
                requested,
                available,
            },
            BudgetError::UnknownAccount(account) => {
                Self::Refused(format!("no budget is set for account {account}"))
            }
            other => Self::Backend(other.to_string()),
        }
    }
}

/// What the player's screen is told as the turn goes.
#[derive(Debug, Clone, PartialEq)]
pub enum CoachEvent {
    ToolStarted {
        id: String,
        name: String,
        arguments_json: String,
    },
    ToolFinished {
        id: String,
        name: String,
        is_error: bool,
        content: String,
    },
    TextDelta(String),
    Done(TurnOutcome),
    /// `code`: `budget_exceeded`, `meter_unavailable`, `provider_error`, `truncated`,
    /// `vision_unsupported`, `images_not_accepted`, `tool_rounds_exceeded`.
    Failed {
        code: String,
        message: String,
        partial: TurnOutcome,
    },
}

/// One tool call of the turn and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCallRecord {
    pub id: String,
    pub name: String,
    pub arguments_json: String,
    pub content: String,
    pub is_error: bool,
}

/// Everything the turn produced, for the conversation's record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TurnOutcome {
    /// The answer's text over every call of the turn.
    pub text: String,
    pub tool_calls: Vec<ToolCallRecord>,
    /// The answer's citations whose game is the player's.
    pub citations: Vec<CitationRef>,
    /// Summed over the turn's calls.
    pub usage: Usage,
    pub cost: Micros,
    /// Why the last call stopped.
    pub stop: Option<StopReason>,
    pub provider: String,
    pub model: String,
}

/// Images are counted at this many tokens each: above what Anthropic and OpenAI
/// charge for the largest image they accept (they downscale bigger ones), where a
/// third of the base64 characters would reserve hundreds of thousands of tokens.
pub const IMAGE_TOKEN_ESTIMATE: u64 = 2_000;

/// Tokens a chat template adds around each message, system block and tool
/// (role markers, separators): a few per item for every template we know.
pub const FRAMING_TOKENS: u64 = 8;

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The prompt tokens of a request, from above (see [`CallEstimate::prompt_tokens`]).
/// Characters would undercount: a CJK character is one character, three UTF-8
/// bytes, and often two or three tokens; the bytes never undercount.
pub fn estimate_prompt_tokens(req: &ChatRequest) -> u64 {
    let mut bytes = 0usize;
    let mut items = 0usize;
    let mut images = 0u64;
    for block in &req.system {
        bytes += block.text.len();
        items += 1;
    }
    for message in &req.messages {
        items += 1;
        for part in &message.parts {
            match part {
                Part::Text(t) => bytes += t.len(),
                Part::Image { .. } => images += 1,
                Part::ToolCall {
                    id,
                    name,
                    arguments_json,
                } => {
                    items += 1;
                    bytes += id.len() + name.len() + arguments_json.len();
                }
                Part::ToolResult {
                    tool_call_id,
                    content,
                    ..
                } => {
                    items += 1;
                    bytes += tool_call_id.len() + content.len();
                }
            }
        }
    }
    for tool in &req.tools {
        items += 1;
        bytes += tool.name.len() + tool.description.len();
        bytes += tool.input_schema.to_string().len();
    }
    count(bytes)
        .saturating_add(count(items).saturating_mul(FRAMING_TOKENS))
        .saturating_add(images.saturating_mul(IMAGE_TOKEN_ESTIMATE))
}

/// The most the first model call of `req` can reserve, known before the turn
/// starts: the caller can hold it at admission, before it stores anything, and
/// hand the hold to its [`Meter`] (the turn's first reservation is never larger).
pub fn first_call_estimate(binding: &ProviderBinding, req: &TurnRequest) -> CallEstimate {
    let tools = tools_for(&req.profile);
    let mut system = req.profile.system_blocks();
    system.push(SystemBlock {
        text: turn_block_bound(&tools, req.max_tool_rounds),
        cacheable: false,
    });
    let mut messages = req.history.clone();
    messages.push(req.user_message.clone());
    let chat = ChatRequest {
        model: binding.model.clone(),
        system,
        messages,
        tools,
        max_tokens: req.max_tokens,
    };
    let prompt_tokens = estimate_prompt_tokens(&chat);
    CallEstimate {
        provider: binding.name.clone(),
        model: binding.model.clone(),
        prompt_tokens,
        max_output_tokens: u64::from(req.max_tokens),
        max_cost: binding.price.max_cost(prompt_tokens, req.max_tokens),
    }
}

fn tools_for(profile: &Profile) -> Vec<ToolDefinition> {
    if profile.uses_game_tools() {
        tool_definitions()
    } else {
        Vec::new()
    }
}

/// What the player's data adds to the turn block.
enum Latest {
    /// The data could not be read, or the latest game has no date.
    Unknown,
    NoGames,
    PlayedOn(time::Date),
}

/// The per-turn system block: today's date, the citation format and how to use
/// the tools. Not cacheable: it changes every day.
fn turn_block_text(
    tools: &[ToolDefinition],
    max_rounds: u8,
    today: time::Date,
    latest: Latest,
) -> String {
    let mut text = format!("Today is {today} (UTC).");
    if tools.is_empty() {
        text.push_str(
            " No game data is available in this conversation: answer from the methodology \
             and what the user tells you.",
        );
        return text;
    }
    text.push_str(&format!(
        "\n\nYou read the player's games only through the tools ({}), in at most {max_rounds} \
         rounds of tool calls before you answer.\n\nCite every number you state about a game as \
         [rec:<id>@<m:ss>], where <id> is a recording's id from a tool result and <m:ss> the \
         time of the moment (minutes:seconds, from a moment's at_seconds; use 0:00 \
         for a number about a whole game). Example: [rec:3f2a9c@4:07]. An average cites \
         the games it covers. Never cite a game the tools did not return.",
        tools
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    match latest {
        Latest::Unknown => {}
        Latest::NoGames => text.push_str("\n\nThe player has no analysed games yet."),
        Latest::PlayedOn(date) => text.push_str(&format!(
            "\n\nThe player's most recent analysed game was played on {date}."
        )),
    }
    text
}

/// The longest turn block `turn_block_text` can write: the widest dates are
/// `Date::MIN` (`-9999-01-01`, 11 bytes) and `Date::MAX` (10 bytes).
fn turn_block_bound(tools: &[ToolDefinition], max_rounds: u8) -> String {
    [Latest::NoGames, Latest::PlayedOn(time::Date::MIN)]
        .into_iter()
        .map(|latest| turn_block_text(tools, max_rounds, time::Date::MIN, latest))
        .max_by_key(String::len)
        .unwrap_or_default()
}

fn add_usage(a: Usage, b: Usage) -> Usage {
    Usage {
        input_tokens: a.input_tokens.saturating_add(b.input_tokens),
        output_tokens: a.output_tokens.saturating_add(b.output_tokens),
        cache_read_tokens: a.cache_read_tokens.saturating_add(b.cache_read_tokens),
        cache_write_tokens: a.cache_write_tokens.saturating_add(b.cache_write_tokens),
    }
}

/// Runs one turn. The stream starts working when first polled (on the caller's
/// Tokio runtime) and ends with exactly one `Done` or `Failed`.
pub fn run_turn(
    binding: ProviderBinding,
    data: Arc<dyn CoachData>,
    meter: Arc<dyn Meter>,
    req: TurnRequest,
) -> BoxStream<'static, CoachEvent> {
    type Args = (
        ProviderBinding,
        Arc<dyn CoachData>,
        Arc<dyn Meter>,
        TurnRequest,
    );
    enum State {
        Idle(Box<Args>),
        Running(mpsc::UnboundedReceiver<CoachEvent>),
    }
    let start = State::Idle(Box::new((binding, data, meter, req)));
    futures_util::stream::unfold(start, |state| async move {
        let mut rx = match state {
            State::Running(rx) => rx,
            State::Idle(args) => {
                let (tx, rx) = mpsc::unbounded_channel();
                let (mut binding, data, meter, req) = *args;
                if let Some(provider) = binding.provider.for_domains(&data.digest_specs()) {
                    binding.provider = provider;
                }
                let turn = Turn {
                    out: TurnOutcome {
                        provider: binding.name.clone(),
                        model: binding.model.clone(),
                        ..TurnOutcome::default()
                    },
                    binding,
                    data,
                    meter,
                    tx,
                    known_games: BTreeSet::new(),
                };
                tokio::spawn(turn.run(req));
                rx
            }
        };
        rx.recv().await.map(|event| (event, State::Running(rx)))
    })
    .boxed()
}

struct Turn {
    binding: ProviderBinding,
    data: Arc<dyn CoachData>,
    meter: Arc<dyn Meter>,
    tx: mpsc::UnboundedSender<CoachEvent>,
    out: TurnOutcome,
    /// Games the turn's tool results mentioned: citations of them are valid.
    known_games: BTreeSet<String>,
}

/// What one model call produced.
#[derive(Default)]
struct Call {
    text: String,
    tool_calls: Vec<(String, String, String)>,
    usage: Option<Usage>,
    stop: Option<StopReason>,
    error: Option<ProviderError>,
}

impl Turn {
    fn emit(&self, event: CoachEvent) {
        // A closed channel means the client left: the loop still settles the call
        // in flight and stops before the next one (see `abandoned`).
        let _ = self.tx.send(event);
    }

    fn abandoned(&self) -> bool {
        self.tx.is_closed()
    }

    async fn fail(mut self, code: &str, message: String) {
        self.out.citations = self.valid_citations().await;
        let partial = self.out.clone();
        self.emit(CoachEvent::Failed {
            code: code.to_owned(),
            message,
            partial,
        });
    }

    async fn run(mut self, req: TurnRequest) {
        let has_image = req
            .user_message
            .parts
            .iter()
            .any(|p| matches!(p, Part::Image { .. }));
        if has_image && !self.binding.vision {
            let message = format!(
                "{} ({}) cannot read images: ask without the image, or choose a model with vision",
                self.binding.model, self.binding.name
            );
            return self.fail("vision_unsupported", message).await;
        }
        if has_image && !req.profile.accepts_images {
            let message = format!("the {} coach does not take images", req.profile.name);
            return self.fail("images_not_accepted", message).await;
        }

        let tools = tools_for(&req.profile);
        let mut system = req.profile.system_blocks();
        system.push(self.turn_block(&tools, req.max_tool_rounds).await);
        let mut messages = req.history.clone();
        messages.push(req.user_message.clone());

        let mut round: u8 = 0;
        loop {
            let chat = ChatRequest {
                model: self.binding.model.clone(),
                system: system.clone(),
                messages: messages.clone(),
                tools: tools.clone(),
                max_tokens: req.max_tokens,
            };
            let prompt_tokens = estimate_prompt_tokens(&chat);
            let estimate = CallEstimate {
                provider: self.binding.name.clone(),
                model: self.binding.model.clone(),
                prompt_tokens,
                max_output_tokens: u64::from(req.max_tokens),
                max_cost: self.binding.price.max_cost(prompt_tokens, req.max_tokens),
            };
            let ticket = match self.meter.reserve(estimate).await {
                Ok(ticket) => ticket,
                Err(e @ MeterError::BudgetExceeded { .. }) => {
                    return self.fail("budget_exceeded", e.to_string()).await;
                }
                Err(e) => return self.fail("meter_unavailable", e.to_string()).await,
            };

            let started = Instant::now();
            let call = self.call(chat).await;
            let usage = call.usage.unwrap_or_default();
            let call_cost = cost(&usage, &self.binding.price);
            let outcome = match &call.error {
                None => CallOutcome::Ok,
                Some(ProviderError::Truncated { .. }) => CallOutcome::Truncated,
                Some(_) => CallOutcome::Error,
            };
            let record = CallRecord {
                provider: self.binding.name.clone(),
                model: self.binding.model.clone(),
                usage,
                cost: call_cost,
                latency: started.elapsed(),
                outcome,
                error: call.error.as_ref().map(error_chain),
            };
            self.out.usage = add_usage(self.out.usage, usage);
            self.out.cost = self.out.cost.saturating_add(call_cost);
            self.out.text.push_str(&call.text);
            self.out.stop = call.stop.clone();
            if let Err(e) = self.meter.settle(ticket, record).await {
                return self.fail("meter_unavailable", e.to_string()).await;
            }
            if let Some(error) = call.error {
                let code = match outcome {
                    CallOutcome::Truncated => "truncated",
                    _ => "provider_error",
                };
                return self.fail(code, error_chain(&error)).await;
            }
            if self.abandoned() {
                return;
            }

            let wants_tools =
                !call.tool_calls.is_empty() && call.stop != Some(StopReason::MaxTokens);
            if !wants_tools {
                break;
            }
            if round >= req.max_tool_rounds {
                let message = format!(
                    "the model still wanted tools after {} rounds",
                    req.max_tool_rounds
                );
                return self.fail("tool_rounds_exceeded", message).await;
            }
            round += 1;

            let mut assistant = Vec::new();
            if !call.text.is_empty() {
                assistant.push(Part::Text(call.text.clone()));
            }
            let mut results = Vec::new();
            for (id, name, arguments_json) in call.tool_calls {
                self.emit(CoachEvent::ToolStarted {
                    id: id.clone(),
                    name: name.clone(),
                    arguments_json: arguments_json.clone(),
                });
                let result = if tools.iter().any(|t| t.name == name) {
                    execute_tool(self.data.as_ref(), &name, &arguments_json).await
                } else {
                    crate::tools::ToolOutcome {
                        content: serde_json::json!({"error": format!("no tool {name:?} in this conversation")}).to_string(),
                        is_error: true,
                        game_ids: Vec::new(),
                    }
                };
                self.known_games.extend(result.game_ids.iter().cloned());
                self.emit(CoachEvent::ToolFinished {
                    id: id.clone(),
                    name: name.clone(),
                    is_error: result.is_error,
                    content: result.content.clone(),
                });
                self.out.tool_calls.push(ToolCallRecord {
                    id: id.clone(),
                    name: name.clone(),
                    arguments_json: arguments_json.clone(),
                    content: result.content.clone(),
                    is_error: result.is_error,
                });
                assistant.push(Part::ToolCall {
                    id: id.clone(),
                    name,
                    arguments_json,
                });
                results.push(Part::ToolResult {
                    tool_call_id: id,
                    content: result.content,
                    is_error: result.is_error,
                });
            }
            messages.push(Message {
                role: Role::Assistant,
                parts: assistant,
            });
            messages.push(Message {
                role: Role::User,
                parts: results,
            });
        }

        self.out.citations = self.valid_citations().await;
        let done = CoachEvent::Done(self.out.clone());
        self.emit(done);
    }

    /// Streams one call, relaying its text.
    async fn call(&self, chat: ChatRequest) -> Call {
        let mut call = Call::default();
        let mut frames = match self.binding.provider.stream(chat).await {
            Ok(frames) => frames,
            Err(e) => {
                call.error = Some(e);
                return call;
            }
        };
        while let Some(item) = frames.next().await {
            match item {
                Ok(Frame::TextDelta(text)) => {
                    call.text.push_str(&text);
                    self.emit(CoachEvent::TextDelta(text));
                }
                Ok(Frame::ToolCall {
                    id,
                    name,
                    arguments_json,
                }) => call.tool_calls.push((id, name, arguments_json)),
                Ok(Frame::Usage(usage)) => call.usage = Some(usage),
                Ok(Frame::Stop(reason)) => call.stop = Some(reason),
                Err(e) => {
                    if let ProviderError::Truncated {
                        partial_usage: Some(partial),
                        ..
                    } = &e
                    {
                        call.usage = Some(*partial);
                    }
                    call.error = Some(e);
                    break;
                }
            }
        }
        call
    }

    /// The per-turn system block, with the player's latest game date.
    async fn turn_block(&self, tools: &[ToolDefinition], max_rounds: u8) -> SystemBlock {
        let today = self.data.now().to_offset(time::UtcOffset::UTC).date();
        let latest = if tools.is_empty() {
            Latest::Unknown
        } else {
            match self.data.games(&GameQuery::recent(1)).await {
                Err(_) => Latest::Unknown,
                Ok(games) => match games.first() {
                    None => Latest::NoGames,
                    Some(game) => game
                        .played_at
                        .map_or(Latest::Unknown, |at| Latest::PlayedOn(at.date())),
                },
            }
        };
        SystemBlock {
            text: turn_block_text(tools, max_rounds, today, latest),
            cacheable: false,
        }
    }

    /// The answer's citations whose game a tool returned this turn, or that the
    /// player's data confirms; the others are dropped.
    async fn valid_citations(&mut self) -> Vec<CitationRef> {
        let mut valid = Vec::new();
        for citation in extract_citations(&self.out.text) {
            let known = self.known_games.contains(&citation.game_id)
                || matches!(self.data.game(&citation.game_id).await, Ok(Some(_)));
            if known {
                self.known_games.insert(citation.game_id.clone());
                valid.push(citation);
            }
        }
        valid
    }
}

/// An error and its sources, for the usage record and the player's message.
fn error_chain(error: &ProviderError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
