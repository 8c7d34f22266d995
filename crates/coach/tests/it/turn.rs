//! The turn loop against a scripted provider and a recording meter: every call is
//! reserved and settled exactly once, with the usage the provider reported.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use filmroom_coach::data::CoachData;
use filmroom_coach::turn::{FRAMING_TOKENS, IMAGE_TOKEN_ESTIMATE, estimate_prompt_tokens};
use filmroom_coach::{
    CallEstimate, CallOutcome, CallRecord, ChatRequest, CoachEvent, Frame, FrameStream, Message,
    Meter, MeterError, MeterTicket, Micros, Part, Price, ProfileSet, Provider, ProviderBinding,
    ProviderError, Role, StopReason, TurnOutcome, TurnRequest, Usage, run_turn,
};
use futures_util::StreamExt;
use serde_json::json;

use crate::games::{SESSION, data};

pub const PRICE: Price = Price {
    input: 3_000_000,
    output: 15_000_000,
    cache_read: 300_000,
    cache_write: 3_750_000,
};

/// Records every reservation and settlement; refuses calls above `limit`.
#[derive(Default)]
pub struct RecordingMeter {
    pub limit: Option<Micros>,
    pub reserved: Mutex<Vec<(MeterTicket, CallEstimate)>>,
    pub settled: Mutex<Vec<(MeterTicket, CallRecord)>>,
}

impl RecordingMeter {
    /// Every reservation settled exactly once, in order; the records.
    pub fn records(&self) -> Vec<CallRecord> {
        let reserved = self.reserved.lock().unwrap();
        let settled = self.settled.lock().unwrap();
        let tickets: Vec<&MeterTicket> = reserved.iter().map(|(t, _)| t).collect();
        let settled_tickets: Vec<&MeterTicket> = settled.iter().map(|(t, _)| t).collect();
        assert_eq!(
            tickets, settled_tickets,
            "each reservation settled exactly once"
        );
        settled.iter().map(|(_, r)| r.clone()).collect()
    }

    pub fn estimates(&self) -> Vec<CallEstimate> {
        self.reserved
            .lock()
            .unwrap()
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }
}

#[async_trait::async_trait]
impl Meter for RecordingMeter {
    async fn reserve(&self, estimate: CallEstimate) -> Result<MeterTicket, MeterError> {
        if let Some(limit) = self.limit
            && estimate.max_cost > limit
        {
            return Err(MeterError::BudgetExceeded {
                requested: estimate.max_cost,
                available: limit,
            });
        }
        let mut reserved = self.reserved.lock().unwrap();
        let ticket = MeterTicket(format!("ticket-{}", reserved.len() + 1));
        reserved.push((ticket.clone(), estimate));
        Ok(ticket)
    }

    async fn settle(&self, ticket: MeterTicket, record: CallRecord) -> Result<(), MeterError> {
        let mut settled = self.settled.lock().unwrap();
        assert!(
            !settled.iter().any(|(t, _)| t == &ticket),
            "{ticket:?} settled twice"
        );
        settled.push((ticket, record));
        Ok(())
    }
}

type Script = Result<Vec<Result<Frame, ProviderError>>, ProviderError>;

/// Answers each call with the next scripted reply and keeps the requests.
pub struct Scripted {
    replies: Mutex<VecDeque<Script>>,
    pub requests: Mutex<Vec<ChatRequest>>,
}

impl Scripted {
    pub fn new(replies: Vec<Script>) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.into()),
            requests: Mutex::new(Vec::new()),
        })
    }

    pub fn calls(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

#[async_trait::async_trait]
impl Provider for Scripted {
    async fn stream(&self, req: ChatRequest) -> Result<FrameStream, ProviderError> {
        self.requests.lock().unwrap().push(req);
        let reply = self
            .replies
            .lock()
            .unwrap()
            .pop_front()
            .expect("more calls than scripted replies");
        reply.map(|frames| futures_util::stream::iter(frames).boxed())
    }
}

pub fn binding(provider: Arc<dyn Provider>, vision: bool) -> ProviderBinding {
    ProviderBinding {
        name: "anthropic".into(),
        provider,
        model: "claude-test".into(),
        price: PRICE,
        vision,
    }
}

pub fn request(question: &str) -> TurnRequest {
    TurnRequest {
        profile: ProfileSet::builtin().default_profile(),
        history: vec![],
        user_message: Message::user(question),
        max_tokens: 1000,
        max_tool_rounds: 3,
    }
}

/// Runs a turn to its end and returns its events, checking that it ends with
/// exactly one `Done` or `Failed`.
pub async fn run(
    binding: ProviderBinding,
    data: Arc<dyn CoachData>,
    meter: Arc<RecordingMeter>,
    req: TurnRequest,
) -> Vec<CoachEvent> {
    let stream = run_turn(binding, data, meter, req);
    let events = tokio::time::timeout(Duration::from_secs(10), stream.collect::<Vec<_>>())
        .await
        .expect("the turn did not end within 10 s");
    let ends = events
        .iter()
        .filter(|e| matches!(e, CoachEvent::Done(_) | CoachEvent::Failed { .. }))
        .count();
    assert_eq!(ends, 1, "{events:?}");
    assert!(matches!(
        events.last(),
        Some(CoachEvent::Done(_) | CoachEvent::Failed { .. })
    ));
    events
}

pub fn done(events: &[CoachEvent]) -> &TurnOutcome {
    match events.last() {
        Some(CoachEvent::Done(outcome)) => outcome,
        other => panic!("expected Done, got {other:?}"),
    }
}

pub fn failed(events: &[CoachEvent]) -> (&str, &str, &TurnOutcome) {
    match events.last() {
        Some(CoachEvent::Failed {
            code,
            message,
            partial,
        }) => (code, message, partial),
        other => panic!("expected Failed, got {other:?}"),
    }
}

fn usage(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        cache_read_tokens: 100,
        cache_write_tokens: 0,
    }
}

fn text(t: &str) -> Result<Frame, ProviderError> {
    Ok(Frame::TextDelta(t.into()))
}

fn sum(records: &[CallRecord]) -> Usage {
    records.iter().fold(Usage::default(), |a, r| Usage {
        input_tokens: a.input_tokens + r.usage.input_tokens,
        output_tokens: a.output_tokens + r.usage.output_tokens,
        cache_read_tokens: a.cache_read_tokens + r.usage.cache_read_tokens,
        cache_write_tokens: a.cache_write_tokens + r.usage.cache_write_tokens,
    })
}

#[tokio::test]
async fn a_tool_round_runs_between_two_calls_each_reserved_and_settled_once_with_its_usage() {
    let provider = Scripted::new(vec![
        Ok(vec![
            text("Let me look. "),
            Ok(Frame::ToolCall {
                id: "toolu_1".into(),
                name: "recent_games".into(),
                arguments_json: r#"{"n": 3}"#.into(),
            }),
            Ok(Frame::Usage(usage(1200, 40))),
            Ok(Frame::Stop(StopReason::ToolUse)),
        ]),
        Ok(vec![
            text("You won your last game "),
            text(&format!("[game:{}@0:00].", SESSION[0])),
            Ok(Frame::Stop(StopReason::EndTurn)),
            Ok(Frame::Usage(usage(1500, 60))),
        ]),
    ]);
    let meter = Arc::new(RecordingMeter::default());
    let events = run(
        binding(provider.clone(), false),
        Arc::new(data()),
        meter.clone(),
        request("How was my last game?"),
    )
    .await;

    let outcome = done(&events);
    assert_eq!(
        outcome.text,
        format!(
            "Let me look. You won your last game [game:{}@0:00].",
            SESSION[0]
        )
    );
    assert_eq!(outcome.stop, Some(StopReason::EndTurn));
    assert_eq!(outcome.tool_calls.len(), 1);
    assert_eq!(outcome.tool_calls[0].name, "recent_games");
    assert!(!outcome.tool_calls[0].is_error);
    assert_eq!(outcome.citations.len(), 1);
    assert_eq!(
        (outcome.provider.as_str(), outcome.model.as_str()),
        ("anthropic", "claude-test")
    );

    // Events: text, tool started, tool finished, text, done.
    assert!(matches!(&events[0], CoachEvent::TextDelta(t) if t == "Let me look. "));
    assert!(
        matches!(&events[1], CoachEvent::ToolStarted { id, name, .. } if id == "toolu_1" && name == "recent_games")
    );
    assert!(
        matches!(&events[2], CoachEvent::ToolFinished { is_error: false, content, .. } if content.contains(SESSION[0]))
    );

    let records = meter.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].usage, usage(1200, 40));
    assert_eq!(records[1].usage, usage(1500, 60));
    assert!(
        records
            .iter()
            .all(|r| r.outcome == CallOutcome::Ok && r.error.is_none())
    );
    assert_eq!(outcome.usage, sum(&records));
    assert_eq!(outcome.cost, records.iter().map(|r| r.cost).sum::<u64>());
    assert_eq!(
        records[0].cost,
        filmroom_coach::cost(&usage(1200, 40), &PRICE)
    );

    // The second call carries the assistant's tool call and its result.
    let requests = provider.requests.lock().unwrap();
    let second = &requests[1].messages;
    assert_eq!(second.len(), 3);
    assert_eq!(second[1].role, Role::Assistant);
    assert!(
        matches!(&second[1].parts[..], [Part::Text(_), Part::ToolCall { id, .. }] if id == "toolu_1")
    );
    assert!(
        matches!(&second[2].parts[..], [Part::ToolResult { tool_call_id, is_error: false, .. }] if tool_call_id == "toolu_1")
    );
    // Tools are offered and the system prompt ends with the turn's block.
    assert_eq!(requests[0].tools.len(), 10);
    let system = &requests[0].system;
    assert!(system.last().unwrap().text.contains("[rec:<id>@<m:ss>]"));
    assert!(!system.last().unwrap().cacheable);

    // Each reservation is the over-estimate of what was sent plus max_tokens.
    let estimates = meter.estimates();
    for (estimate, request) in estimates.iter().zip(requests.iter()) {
        assert_eq!(estimate.prompt_tokens, estimate_prompt_tokens(request));
        assert_eq!(estimate.max_output_tokens, 1000);
        assert_eq!(
            estimate.max_cost,
            PRICE.max_cost(estimate.prompt_tokens, 1000)
        );
        assert_eq!(
            (estimate.provider.as_str(), estimate.model.as_str()),
            ("anthropic", "claude-test")
        );
    }
    assert!(estimates[1].prompt_tokens > estimates[0].prompt_tokens);
}

#[test]
fn the_prompt_estimate_is_the_utf8_bytes_sent_with_framing_and_a_flat_cost_per_image() {
    let mut req = ChatRequest {
        model: "m".into(),
        system: vec![filmroom_coach::SystemBlock {
            text: "a".repeat(30),
            cacheable: true,
        }],
        messages: vec![Message::user("b".repeat(31))],
        tools: vec![],
        max_tokens: 10,
    };
    // One system block and one message: two items of framing.
    assert_eq!(estimate_prompt_tokens(&req), 61 + 2 * FRAMING_TOKENS);
    req.messages[0].parts.push(Part::Image {
        media_type: "image/png".into(),
        data_base64: "A".repeat(3_000_000),
    });
    assert_eq!(
        estimate_prompt_tokens(&req),
        61 + 2 * FRAMING_TOKENS + IMAGE_TOKEN_ESTIMATE
    );
}

#[test]
fn non_latin_text_is_estimated_from_its_bytes_never_below_its_characters() {
    // 7,990 CJK characters: 23,970 UTF-8 bytes. A third of the characters
    // (2,664) undercounted what tokenizers make of it (often 1-2 per character).
    let question = "漢".repeat(7_990);
    let req = ChatRequest {
        model: "m".into(),
        system: vec![],
        messages: vec![Message::user(question.clone())],
        tools: vec![],
        max_tokens: 10,
    };
    let estimate = estimate_prompt_tokens(&req);
    assert_eq!(estimate, 23_970 + FRAMING_TOKENS);
    assert!(estimate >= 2 * question.chars().count() as u64);
}

#[tokio::test]
async fn the_first_call_estimate_known_before_the_turn_covers_the_turns_first_reservation() {
    let profiles = ProfileSet::builtin();
    for (profile, games) in [
        (profiles.default_profile(), data()),
        (
            profiles.default_profile(),
            filmroom_coach::InMemoryData::new(vec![]),
        ),
        (profiles.get("trading").unwrap(), data()),
    ] {
        let mut req = request("How was my last game? 最後の試合はどうだった？");
        req.profile = profile;
        req.history = vec![Message::user("earlier"), Message::assistant("an answer")];
        let provider = Scripted::new(vec![Ok(vec![
            text("Fine."),
            Ok(Frame::Usage(usage(10, 2))),
            Ok(Frame::Stop(StopReason::EndTurn)),
        ])]);
        let binding = binding(provider, false);
        let bound = filmroom_coach::first_call_estimate(&binding, &req);
        let meter = Arc::new(RecordingMeter::default());
        run(binding, Arc::new(games), meter.clone(), req).await;
        let first = &meter.estimates()[0];
        assert!(
            first.prompt_tokens <= bound.prompt_tokens,
            "{first:?} > {bound:?}"
        );
        // The bound is tight: only the date and latest-game sentence can differ.
        assert!(
            bound.prompt_tokens - first.prompt_tokens < 64,
            "{first:?} {bound:?}"
        );
        assert_eq!(first.max_output_tokens, bound.max_output_tokens);
        assert!(first.max_cost <= bound.max_cost);
    }
}

#[tokio::test]
async fn a_max_tokens_stop_ends_the_turn_with_the_answer_so_far() {
    let provider = Scripted::new(vec![Ok(vec![
        text("Your boost use was"),
        Ok(Frame::Usage(usage(900, 1000))),
        Ok(Frame::Stop(StopReason::MaxTokens)),
    ])]);
    let meter = Arc::new(RecordingMeter::default());
    let events = run(
        binding(provider.clone(), false),
        Arc::new(data()),
        meter.clone(),
        request("boost?"),
    )
    .await;
    let outcome = done(&events);
    assert_eq!(outcome.stop, Some(StopReason::MaxTokens));
    assert_eq!(outcome.text, "Your boost use was");
    let records = meter.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, CallOutcome::Ok);
    assert_eq!(outcome.usage, usage(900, 1000));
}

#[tokio::test]
async fn a_truncated_stream_is_settled_with_its_partial_usage_and_fails_as_truncated() {
    let provider = Scripted::new(vec![
        Ok(vec![
            Ok(Frame::ToolCall {
                id: "t1".into(),
                name: "list_notes".into(),
                arguments_json: "{}".into(),
            }),
            Ok(Frame::Usage(usage(800, 20))),
            Ok(Frame::Stop(StopReason::ToolUse)),
        ]),
        Ok(vec![
            text("You have no notes"),
            Ok(Frame::Usage(usage(950, 3))),
            Err(ProviderError::Truncated {
                reason: "connection lost".into(),
                partial_usage: Some(usage(950, 7)),
                source: None,
            }),
        ]),
    ]);
    let meter = Arc::new(RecordingMeter::default());
    let events = run(
        binding(provider, false),
        Arc::new(data()),
        meter.clone(),
        request("notes?"),
    )
    .await;
    let (code, message, partial) = failed(&events);
    assert_eq!(code, "truncated");
    assert!(message.contains("connection lost"));
    assert_eq!(partial.text, "You have no notes");
    assert_eq!(partial.tool_calls.len(), 1);

    let records = meter.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].outcome, CallOutcome::Truncated);
    assert_eq!(
        records[1].usage,
        usage(950, 7),
        "the partial usage of the truncation wins"
    );
    assert!(
        records[1]
            .error
            .as_deref()
            .unwrap()
            .contains("connection lost")
    );
    assert_eq!(partial.usage, sum(&records));
    assert_eq!(partial.cost, records.iter().map(|r| r.cost).sum::<u64>());
}

#[tokio::test]
async fn a_provider_error_before_or_during_the_stream_is_settled_and_fails_the_turn() {
    // Refused before any stream: settled with no usage.
    let provider = Scripted::new(vec![Err(ProviderError::Http {
        status: 529,
        kind: "overloaded_error".into(),
        message: "Overloaded".into(),
        retry_after: None,
    })]);
    let meter = Arc::new(RecordingMeter::default());
    let events = run(
        binding(provider, false),
        Arc::new(data()),
        meter.clone(),
        request("hi"),
    )
    .await;
    let (code, message, partial) = failed(&events);
    assert_eq!(code, "provider_error");
    assert!(message.contains("Overloaded"));
    assert_eq!(partial.usage, Usage::default());
    let records = meter.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, CallOutcome::Error);
    assert_eq!(records[0].usage, Usage::default());

    // Mid-stream: settled with the usage seen so far.
    let provider = Scripted::new(vec![Ok(vec![
        text("Well"),
        Ok(Frame::Usage(usage(700, 2))),
        Err(ProviderError::Stream {
            kind: "overloaded_error".into(),
            message: "Overloaded".into(),
        }),
    ])]);
    let meter = Arc::new(RecordingMeter::default());
    let events = run(
        binding(provider, false),
        Arc::new(data()),
        meter.clone(),
        request("hi"),
    )
    .await;
    let (code, _, partial) = failed(&events);
    assert_eq!(code, "provider_error");
    assert_eq!(partial.text, "Well");
    let records = meter.records();
    assert_eq!(records[0].usage, usage(700, 2));
    assert_eq!(partial.usage, usage(700, 2));
}

#[tokio::test]
async fn a_budget_refusal_fails_the_turn_before_any_call() {
    let provider = Scripted::new(vec![]);
    let meter = Arc::new(RecordingMeter {
        limit: Some(10),
        ..RecordingMeter::default()
    });
    let events = run(
        binding(provider.clone(), false),
        Arc::new(data()),
        meter.clone(),
        request("hi"),
    )
    .await;
    let (code, _, partial) = failed(&events);
    assert_eq!(code, "budget_exceeded");
    assert_eq!(provider.calls(), 0);
    assert!(meter.records().is_empty());
    assert_eq!(partial.cost, 0);
}

#[tokio::test]
async fn an_image_for_a_model_without_vision_is_refused_before_any_call() {
    let provider = Scripted::new(vec![]);
    let meter = Arc::new(RecordingMeter::default());
    let mut req = request("What do you see?");
    req.user_message.parts.push(Part::Image {
        media_type: "image/png".into(),
        data_base64: "iVBORw0KGgo=".into(),
    });
    let events = run(
        binding(provider.clone(), false),
        Arc::new(data()),
        meter.clone(),
        req.clone(),
    )
    .await;
    let (code, _, _) = failed(&events);
    assert_eq!(code, "vision_unsupported");
    assert_eq!(provider.calls(), 0);
    assert!(meter.estimates().is_empty());

    // With vision, the image is sent.
    let provider = Scripted::new(vec![Ok(vec![
        text("A scoreboard."),
        Ok(Frame::Usage(usage(3000, 5))),
        Ok(Frame::Stop(StopReason::EndTurn)),
    ])]);
    let events = run(
        binding(provider.clone(), true),
        Arc::new(data()),
        meter.clone(),
        req,
    )
    .await;
    done(&events);
    let requests = provider.requests.lock().unwrap();
    assert!(matches!(
        requests[0].messages[0].parts[1],
        Part::Image { .. }
    ));
}

#[tokio::test]
async fn a_methodology_profile_gets_no_tools_and_its_own_prompt() {
    let provider = Scripted::new(vec![Ok(vec![
        text("Risk 1% per trade."),
        Ok(Frame::Usage(usage(500, 5))),
        Ok(Frame::Stop(StopReason::EndTurn)),
    ])]);
    let meter = Arc::new(RecordingMeter::default());
    let mut req = request("How much should I risk?");
    req.profile = ProfileSet::builtin().get("trading").unwrap();
    req.history = vec![
        Message::user("Hello"),
        Message::assistant("Hi, how can I help?"),
    ];
    let events = run(
        binding(provider.clone(), false),
        Arc::new(data()),
        meter,
        req,
    )
    .await;
    done(&events);
    let requests = provider.requests.lock().unwrap();
    assert!(requests[0].tools.is_empty());
    assert!(
        requests[0]
            .system
            .iter()
            .any(|b| b.text.contains("risk per trade"))
    );
    assert_eq!(requests[0].messages.len(), 3, "history then the question");
}

#[tokio::test]
async fn citations_of_games_the_tools_did_not_return_are_dropped_unless_the_player_owns_them() {
    let provider = Scripted::new(vec![Ok(vec![
        text(&format!(
            "See [game:invented-1@1:00], [game:{}@0:42] and [game:someone-else@2:00].",
            SESSION[1]
        )),
        Ok(Frame::Usage(usage(500, 30))),
        Ok(Frame::Stop(StopReason::EndTurn)),
    ])]);
    let meter = Arc::new(RecordingMeter::default());
    let events = run(
        binding(provider, false),
        Arc::new(data()),
        meter,
        request("hi"),
    )
    .await;
    let outcome = done(&events);
    // No tool ran, but the player's data confirms the one real game.
    let ids: Vec<&str> = outcome
        .citations
        .iter()
        .map(|c| c.game_id.as_str())
        .collect();
    assert_eq!(ids, [SESSION[1]]);
    assert_eq!(outcome.citations[0].at_seconds, 42.0);
}

#[tokio::test]
async fn a_model_that_keeps_calling_tools_is_stopped_after_the_last_round() {
    let call = |n: u32| {
        Ok(vec![
            Ok(Frame::ToolCall {
                id: format!("t{n}"),
                name: "list_notes".into(),
                arguments_json: "{}".into(),
            }),
            Ok(Frame::Usage(usage(100, 10))),
            Ok(Frame::Stop(StopReason::ToolUse)),
        ])
    };
    let provider = Scripted::new(vec![call(1), call(2), call(3)]);
    let meter = Arc::new(RecordingMeter::default());
    let mut req = request("notes");
    req.max_tool_rounds = 2;
    let events = run(
        binding(provider.clone(), false),
        Arc::new(data()),
        meter.clone(),
        req,
    )
    .await;
    let (code, _, partial) = failed(&events);
    assert_eq!(code, "tool_rounds_exceeded");
    assert_eq!(provider.calls(), 3);
    assert_eq!(partial.tool_calls.len(), 2);
    assert_eq!(meter.records().len(), 3);
}

#[tokio::test]
async fn a_tool_error_goes_back_to_the_model_and_the_turn_continues() {
    let provider = Scripted::new(vec![
        Ok(vec![
            Ok(Frame::ToolCall {
                id: "t1".into(),
                name: "recent_games".into(),
                arguments_json: json!({"n": 500}).to_string(),
            }),
            Ok(Frame::Usage(usage(100, 10))),
            Ok(Frame::Stop(StopReason::ToolUse)),
        ]),
        Ok(vec![
            text("Sorry."),
            Ok(Frame::Usage(usage(150, 3))),
            Ok(Frame::Stop(StopReason::EndTurn)),
        ]),
    ]);
    let meter = Arc::new(RecordingMeter::default());
    let events = run(
        binding(provider.clone(), false),
        Arc::new(data()),
        meter,
        request("all games"),
    )
    .await;
    let outcome = done(&events);
    assert!(outcome.tool_calls[0].is_error);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, CoachEvent::ToolFinished { is_error: true, .. }))
    );
    let requests = provider.requests.lock().unwrap();
    assert!(
        matches!(&requests[1].messages[2].parts[0], Part::ToolResult { is_error: true, content, .. } if content.contains("between 1 and 50"))
    );
}

/// Sends a first piece of text, waits, then asks for a tool.
struct SlowToolCaller {
    calls: Mutex<usize>,
}

#[async_trait::async_trait]
impl Provider for SlowToolCaller {
    async fn stream(&self, _req: ChatRequest) -> Result<FrameStream, ProviderError> {
        *self.calls.lock().unwrap() += 1;
        let head = futures_util::stream::iter(vec![text("Looking")]);
        let tail = futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            futures_util::stream::iter(vec![
                Ok(Frame::ToolCall {
                    id: "t1".into(),
                    name: "list_notes".into(),
                    arguments_json: "{}".into(),
                }),
                Ok(Frame::Usage(usage(400, 9))),
                Ok(Frame::Stop(StopReason::ToolUse)),
            ])
        })
        .flatten();
        Ok(head.chain(tail).boxed())
    }
}

#[tokio::test]
async fn a_client_that_leaves_mid_answer_still_gets_the_call_settled_and_no_further_call_made() {
    let provider = Arc::new(SlowToolCaller {
        calls: Mutex::new(0),
    });
    let meter = Arc::new(RecordingMeter::default());
    let mut stream = run_turn(
        binding(provider.clone(), false),
        Arc::new(data()),
        meter.clone(),
        request("notes"),
    );
    let first = stream.next().await;
    assert!(matches!(first, Some(CoachEvent::TextDelta(_))));
    drop(stream);

    tokio::time::sleep(Duration::from_millis(400)).await;
    let records = meter.records();
    assert_eq!(records.len(), 1, "the call in flight is settled");
    assert_eq!(records[0].usage, usage(400, 9));
    assert_eq!(
        *provider.calls.lock().unwrap(),
        1,
        "no call after the client left"
    );
}
