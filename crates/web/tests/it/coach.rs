//! The coach over HTTP: the built-in analyst with no configuration, a model
//! server speaking OpenAI's real streaming format on loopback, metering,
//! budgets under concurrency, rate limits, bad input, notes and usage.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use filmroom_web::Config;
use filmroom_web::config::{CoachProviderKind, PlanConfig, Plans};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{PASSWORD, TestApp, User, error_code, replay_bytes, spawn_app, spawn_app_with};

/// One server-sent event of a chat answer.
#[derive(Debug, Clone)]
pub struct ChatEvent {
    pub name: String,
    pub data: Value,
}

/// A chat request's response: its status, headers and, for a stream, every event.
pub struct ChatReply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub events: Vec<ChatEvent>,
    pub error: Option<Value>,
}

impl ChatReply {
    pub fn event(&self, name: &str) -> Option<&Value> {
        self.events.iter().find(|e| e.name == name).map(|e| &e.data)
    }

    pub fn text(&self) -> String {
        self.events
            .iter()
            .filter(|e| e.name == "delta")
            .map(|e| e.data["text"].as_str().unwrap_or_default())
            .collect()
    }
}

fn parse_events(body: &str) -> Vec<ChatEvent> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = "message".to_owned();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            let data = serde_json::from_str(&data).ok()?;
            Some(ChatEvent { name, data })
        })
        .collect()
}

impl User {
    pub async fn chat(&self, app: &TestApp, body: Value) -> ChatReply {
        let response = self
            .client
            .post(app.url("/api/v1/coach/chat"))
            .header("X-CSRF-Token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        if status == StatusCode::OK {
            ChatReply {
                status,
                headers,
                events: parse_events(&text),
                error: None,
            }
        } else {
            ChatReply {
                status,
                headers,
                events: Vec::new(),
                error: serde_json::from_str(&text).ok(),
            }
        }
    }

    /// Uploads and waits like [`User::upload_and_wait`], then says the first
    /// player of each game is this user (alt accounts are links too): one or
    /// two strangers' games infer nobody, and the coach digests only games
    /// in which it knows which player is the user.
    pub async fn upload_and_claim(&self, app: &TestApp, names: &[&str]) -> Vec<String> {
        let ids = self.upload_and_wait(app, names).await;
        let current = self.get_json(app, "/api/v1/me/identities").await;
        let mut mine: Vec<String> = current["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["kind"] == "rl_replay")
            .flat_map(|k| k["links"].as_array().unwrap().clone())
            .filter(|l| l["source"] == "user")
            .map(|l| l["participant"].as_str().unwrap().to_owned())
            .collect();
        for id in &ids {
            let detail = self
                .get_json(app, &format!("/api/v1/recordings/{id}"))
                .await;
            mine.push(
                detail["participants"][0]["key"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let linked = self
            .client
            .put(app.url("/api/v1/me/identities"))
            .header("X-CSRF-Token", &self.csrf)
            .json(&json!({ "kind": "rl_replay", "participants": mine }))
            .send()
            .await
            .unwrap();
        assert_eq!(linked.status(), StatusCode::OK);
        ids
    }

    pub async fn upload_and_wait(&self, app: &TestApp, names: &[&str]) -> Vec<String> {
        let files = names.iter().map(|n| (*n, replay_bytes(n))).collect();
        let uploaded: Value = self.upload(app, files).await.json().await.unwrap();
        let mut ids = Vec::new();
        for upload in uploaded["uploads"].as_array().unwrap() {
            let id = upload["game_id"].as_str().unwrap().to_owned();
            self.wait_until_done(app, &id).await;
            ids.push(id);
        }
        ids
    }
}

/// A model server on loopback that speaks OpenAI's streaming Chat Completions:
/// asked with tools, it calls `recent_games`; given the tool's result, it
/// answers citing the first game in it. It counts the tokens it reports.
pub struct FakeModel {
    pub base_url: String,
    pub input_tokens: Arc<AtomicU64>,
    pub output_tokens: Arc<AtomicU64>,
    pub calls: Arc<AtomicU64>,
    pub requests: Arc<Mutex<Vec<Value>>>,
}

#[derive(Clone)]
struct FakeState {
    input_tokens: Arc<AtomicU64>,
    output_tokens: Arc<AtomicU64>,
    calls: Arc<AtomicU64>,
    requests: Arc<Mutex<Vec<Value>>>,
}

fn chunk(choices: Value, usage: Value) -> String {
    let body = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_732_000_000,
        "model": "fake-model", "choices": choices, "usage": usage,
    });
    format!("data: {body}\n\n")
}

fn first_game_id(text: &str) -> Option<String> {
    let start = text.find("\"id\":\"")? + 6;
    Some(text[start..start + 36].to_owned())
}

async fn fake_completions(
    State(state): State<FakeState>,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    state.requests.lock().unwrap().push(body.clone());
    state.calls.fetch_add(1, Ordering::SeqCst);
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let tool_result = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .and_then(|m| m["content"].as_str().map(str::to_owned));
    let mut out = chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]),
        Value::Null,
    );
    let (input, output) = match (tool_result, body["tools"].is_array()) {
        (Some(result), _) => {
            let answer = match first_game_id(&result) {
                Some(id) => format!("Your latest game [game:{id}@1:05] had a strong kickoff."),
                None => "You have no games yet.".to_owned(),
            };
            for piece in answer.split_inclusive(' ') {
                out.push_str(&chunk(
                    json!([{"index": 0, "delta": {"content": piece}, "finish_reason": null}]),
                    Value::Null,
                ));
            }
            out.push_str(&chunk(
                json!([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
                Value::Null,
            ));
            (300, 20)
        }
        (None, true) => {
            out.push_str(&chunk(
                json!([{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                    "function": {"name": "recent_games", "arguments": "{\"n\": 3}"}}]}, "finish_reason": null}]),
                Value::Null,
            ));
            out.push_str(&chunk(
                json!([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
                Value::Null,
            ));
            (200, 10)
        }
        (None, false) => {
            out.push_str(&chunk(
                json!([{"index": 0, "delta": {"content": "Risk at most 1% per trade."}, "finish_reason": null}]),
                Value::Null,
            ));
            out.push_str(&chunk(
                json!([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
                Value::Null,
            ));
            (150, 8)
        }
    };
    out.push_str(&chunk(
        json!([]),
        json!({"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output}),
    ));
    out.push_str("data: [DONE]\n\n");
    state.input_tokens.fetch_add(input, Ordering::SeqCst);
    state.output_tokens.fetch_add(output, Ordering::SeqCst);
    ([("content-type", "text/event-stream")], out)
}

impl FakeModel {
    pub async fn start() -> FakeModel {
        let (router, mut model) = FakeModel::routes();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        model.base_url = format!("http://{addr}");
        model
    }

    /// The model's routes and the counters they feed, to serve over any
    /// transport; `base_url` is left for the caller to set.
    pub fn routes() -> (axum::Router, FakeModel) {
        let state = FakeState {
            input_tokens: Arc::default(),
            output_tokens: Arc::default(),
            calls: Arc::default(),
            requests: Arc::default(),
        };
        let router = axum::Router::new()
            .route(
                "/v1/chat/completions",
                axum::routing::post(fake_completions),
            )
            .with_state(state.clone());
        let model = FakeModel {
            base_url: String::new(),
            input_tokens: state.input_tokens,
            output_tokens: state.output_tokens,
            calls: state.calls,
            requests: state.requests,
        };
        (router, model)
    }

    pub fn reported_tokens(&self) -> u64 {
        self.input_tokens.load(Ordering::SeqCst) + self.output_tokens.load(Ordering::SeqCst)
    }
}

pub fn plan(monthly_tokens: u64, per_minute: u64) -> PlanConfig {
    PlanConfig {
        monthly_tokens,
        messages_per_day: 10_000,
        requests_per_minute: per_minute,
        requests_per_hour: 10_000,
        storage_bytes: 0,
        kinds: Default::default(),
    }
}

pub fn use_fake_model(config: &mut Config, model: &FakeModel, plan: PlanConfig) {
    config.coach.provider = CoachProviderKind::Openai;
    config.coach.openai.base_url = model.base_url.clone();
    config.coach.openai.model = "fake-model".to_owned();
    config.coach.max_tokens = 100;
    config.coach.prices.0.insert(
        "fake-model".to_owned(),
        filmroom_coach::Price {
            input: 3_000_000,
            output: 15_000_000,
            cache_read: 300_000,
            cache_write: 3_750_000,
        },
    );
    config.plans = Plans([("free".to_owned(), plan)].into_iter().collect());
}

pub async fn usage_records(user: &User, app: &TestApp) -> Vec<Value> {
    user.get_json(app, "/api/v1/usage/history?limit=500").await["records"]
        .as_array()
        .unwrap()
        .clone()
}

pub fn record_tokens(records: &[Value]) -> u64 {
    records
        .iter()
        .map(|r| {
            ["input", "output", "cache_read", "cache_write"]
                .iter()
                .map(|k| r["tokens"][k].as_u64().unwrap())
                .sum::<u64>()
        })
        .sum()
}

#[tokio::test]
async fn with_no_configuration_a_new_user_gets_a_cited_answer_about_their_games() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let games = alice
        .upload_and_claim(&app, &["00bb.replay", "07e9.replay"])
        .await;

    let reply = alice
        .chat(&app, json!({ "message": "How was my last session?" }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
    let done = reply.event("done").expect("the answer completes");
    let text = reply.text();
    assert!(!text.trim().is_empty());
    let citations = done["citations"].as_array().unwrap();
    assert!(!citations.is_empty(), "every number is cited: {text}");
    for citation in citations {
        let game = citation["game_id"].as_str().unwrap();
        assert!(
            games.iter().any(|g| g == game),
            "{game} is one of alice's games"
        );
        assert!(
            citation["url"]
                .as_str()
                .unwrap()
                .starts_with(&format!("/games/{game}?"))
        );
    }
    assert!(
        reply.event("tool_started").is_some(),
        "the analyst reads through the tools"
    );

    // The conversation and both messages are kept, with the answer's citations.
    let conversation_id = reply.event("conversation").unwrap()["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = alice
        .get_json(
            &app,
            &format!("/api/v1/coach/conversations/{conversation_id}"),
        )
        .await;
    let messages = stored["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["text"].as_str().unwrap(), text);
    assert_eq!(messages[1]["citations"], done["citations"]);
    assert!(!messages[1]["tool_calls"].as_array().unwrap().is_empty());

    // A citation opens the game's timeline at that moment.
    let page = alice
        .client
        .get(app.url(citations[0]["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Cited moment"), "{page}");
    assert!(
        page.contains(" cited\""),
        "the cited event's row is highlighted"
    );
}

#[tokio::test]
async fn a_model_server_answer_runs_the_tool_on_the_users_games_and_is_metered_per_call() {
    let model = FakeModel::start().await;
    let app = spawn_app_with(|c| use_fake_model(c, &model, plan(1_000_000, 100))).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let games = alice.upload_and_claim(&app, &["00bb.replay"]).await;

    let reply = alice
        .chat(&app, json!({ "message": "How did my last game go?" }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
    let done = reply.event("done").expect("done");
    assert_eq!(
        reply.text(),
        format!(
            "Your latest game [game:{}@1:05] had a strong kickoff.",
            games[0]
        )
    );
    assert_eq!(done["citations"][0]["game_id"], games[0].as_str());
    assert_eq!(done["citations"][0]["at_seconds"], 65.0);
    assert_eq!(
        model.calls.load(Ordering::SeqCst),
        2,
        "a tool round, then the answer"
    );

    // The tool result the model saw holds alice's game.
    let requests = model.requests.lock().unwrap().clone();
    let tool_message = requests[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()
        .clone();
    assert!(
        tool_message["content"]
            .as_str()
            .unwrap()
            .contains(&games[0])
    );

    // One usage record per call; they add up to what the server reported, and
    // the message carries the sum and its cost.
    let records = usage_records(&alice, &app).await;
    assert_eq!(records.len(), 2);
    assert_eq!(record_tokens(&records), model.reported_tokens());
    assert_eq!(done["tokens"]["input"], 500);
    assert_eq!(done["tokens"]["output"], 30);
    // 500 input at $3/M + 30 output at $15/M = 1500 + 450 µ$.
    assert_eq!(done["cost_micros"], 1_950);
    let current = alice.get_json(&app, "/api/v1/usage/current").await;
    assert_eq!(current["budget"]["spent_tokens"], 530);
    assert_eq!(current["budget"]["reserved_tokens"], 0);
    assert_eq!(current["month"]["calls"], 2);
    assert_eq!(current["month"]["cost_micros"], 1_950);
}

#[tokio::test]
async fn fifty_concurrent_chats_never_spend_past_a_nearly_spent_budget() {
    let model = FakeModel::start().await;
    // A turn reserves two calls' worth of prompt estimate + max_tokens and
    // spends 530 tokens: only some of the 50 fit.
    let limit = 12_000;
    let app = spawn_app_with(|c| use_fake_model(c, &model, plan(limit, 1_000))).await;
    let alice = Arc::new(app.sign_up("alice", PASSWORD).await);
    alice.upload_and_claim(&app, &["00bb.replay"]).await;
    let app = Arc::new(app);

    let mut tasks = Vec::new();
    for n in 0..50 {
        let (alice, app) = (alice.clone(), app.clone());
        tasks.push(tokio::spawn(async move {
            alice
                .chat(
                    &app,
                    json!({ "message": format!("Question {n}: how was my last game?") }),
                )
                .await
        }));
    }
    let mut answered = 0;
    let mut refused = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            StatusCode::OK => {
                // A budget warning may follow the end of the answer.
                let last = reply
                    .events
                    .iter()
                    .rfind(|e| e.name == "done" || e.name == "error")
                    .expect("the answer ends");
                assert!(last.name == "done" || last.name == "error", "{last:?}");
                if last.name == "done" {
                    answered += 1;
                } else {
                    assert_eq!(last.data["code"], "budget_exceeded", "{last:?}");
                    refused += 1;
                }
            }
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}: {:?}", reply.error),
        }
    }
    assert!(
        answered > 0 && refused > 0,
        "answered {answered}, refused {refused}"
    );

    let current = alice.get_json(&app, "/api/v1/usage/current").await;
    let spent = current["budget"]["spent_tokens"].as_u64().unwrap();
    assert!(spent <= limit, "spent {spent} of {limit}");
    assert_eq!(
        current["budget"]["reserved_tokens"], 0,
        "every reservation settled"
    );
    let records = usage_records(&alice, &app).await;
    assert_eq!(record_tokens(&records), model.reported_tokens());
    assert_eq!(spent, model.reported_tokens());
    assert_eq!(records.len() as u64, model.calls.load(Ordering::SeqCst));
}

#[tokio::test]
async fn over_the_request_limit_the_coach_answers_429_with_retry_after_and_rate_headers() {
    let model = FakeModel::start().await;
    let app = spawn_app_with(|c| use_fake_model(c, &model, plan(1_000_000, 2))).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    for _ in 0..2 {
        let reply = alice.chat(&app, json!({ "message": "hello" })).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.headers["x-ratelimit-limit"], "2");
    }
    let conversations_before = alice.get_json(&app, "/api/v1/coach/conversations").await;
    let refused = alice.chat(&app, json!({ "message": "hello again" })).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.error.as_ref().unwrap()["error"]["code"],
        "rate_limited"
    );
    assert!(
        refused.error.as_ref().unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2 requests per minute")
    );
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(refused.headers["x-ratelimit-remaining"], "0");
    assert_eq!(refused.headers["x-ratelimit-limit"], "2");
    // A refused request stores nothing.
    let conversations_after = alice.get_json(&app, "/api/v1/coach/conversations").await;
    assert_eq!(conversations_before, conversations_after);

    // The window slides: a minute later the coach answers again.
    app.advance_clock(61);
    let again = alice.chat(&app, json!({ "message": "hello" })).await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn at_eighty_percent_of_the_budget_the_coach_warns_and_then_stops_before_overspending() {
    let model = FakeModel::start().await;
    // The trading coach offers no tools: one call of 158 tokens per message,
    // each reserving its prompt estimate (about 3,800 tokens: its bytes) plus
    // max_tokens first. Three quarters spent already, the warning (at 80%
    // spent) comes some messages before a hold no longer fits (near 85%).
    let limit = 25_000;
    let app = spawn_app_with(|c| use_fake_model(c, &model, plan(limit, 1_000))).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let already = 19_000;
    crate::coach_limits::pre_spend(&app, app.user_id("alice").await, limit, already).await;
    let mut warned = false;
    let mut stopped = None;
    for _ in 0..80 {
        let reply = alice
            .chat(
                &app,
                json!({ "message": "How much should I risk?", "profile": "trading" }),
            )
            .await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            stopped = Some(reply.error.unwrap()["error"]["code"].clone());
            break;
        }
        warned |= reply.event("warning").is_some();
        if let Some(error) = reply.event("error") {
            stopped = Some(error["code"].clone());
            break;
        }
    }
    assert!(warned, "a warning came before the budget ran out");
    let code = stopped.expect("the budget ran out within 80 messages");
    assert!(
        code == "budget_exceeded" || code == "budget_exhausted",
        "{code}"
    );
    let current = alice.get_json(&app, "/api/v1/usage/current").await;
    assert!(current["budget"]["warning"].as_bool().unwrap());
    let spent = current["budget"]["spent_tokens"].as_u64().unwrap();
    assert!(spent <= limit, "spent {spent} of {limit}");
    assert_eq!(spent, already + model.reported_tokens());
}

#[tokio::test]
async fn bad_chat_requests_get_clear_errors_and_store_nothing() {
    // An operator's profile that takes no images, beside the built-in ones.
    let profiles = tempfile::tempdir().unwrap();
    let plain = profiles.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::write(
        plain.join("profile.toml"),
        "id = \"plain\"\nname = \"Plain coach\"\nversion = \"1\"\ndescription = \"Text only.\"\ndomain = \"methodology\"\naccepts_images = false\n",
    )
    .unwrap();
    std::fs::write(plain.join("system.md"), "You coach in plain text.").unwrap();
    std::fs::write(plain.join("guardrails.md"), "Stay on topic.").unwrap();
    let dir = profiles.path().to_path_buf();
    let app = spawn_app_with(move |c| c.coach.profiles_dir = Some(dir)).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let png = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\n0000")
    };
    let cases = [
        (
            json!({ "message": "   " }),
            StatusCode::BAD_REQUEST,
            "empty_message",
        ),
        (
            json!({ "message": "x".repeat(8_001) }),
            StatusCode::BAD_REQUEST,
            "message_too_long",
        ),
        (
            json!({ "message": "hi", "profile": "nope" }),
            StatusCode::BAD_REQUEST,
            "unknown_profile",
        ),
        (
            json!({ "message": "hi", "extra": 1 }),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            json!({ "message": 5 }),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            json!({ "message": "hi", "conversation_id": "00000000-0000-4000-8000-000000000000" }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json!({ "message": "hi", "conversation_id": "garbage" }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json!({ "message": "hi", "profile": "trading", "attachments": [{ "media_type": "image/png", "data_base64": "!!!" }] }),
            StatusCode::BAD_REQUEST,
            "invalid_attachment",
        ),
        (
            json!({ "message": "hi", "profile": "trading", "attachments": [{ "media_type": "image/jpeg", "data_base64": png }] }),
            StatusCode::BAD_REQUEST,
            "invalid_attachment",
        ),
        (
            json!({ "message": "hi", "profile": "plain", "attachments": [{ "media_type": "image/png", "data_base64": png }] }),
            StatusCode::BAD_REQUEST,
            "attachments_not_accepted",
        ),
        (
            // The built-in analyst reads no images.
            json!({ "message": "hi", "profile": "trading", "attachments": [{ "media_type": "image/png", "data_base64": png }] }),
            StatusCode::BAD_REQUEST,
            "vision_unsupported",
        ),
    ];
    for (body, status, code) in cases {
        let reply = alice.chat(&app, body.clone()).await;
        assert_eq!(reply.status, status, "{body}");
        assert_eq!(reply.error.unwrap()["error"]["code"], code, "{body}");
    }
    let without_csrf = alice
        .client
        .post(app.url("/api/v1/coach/chat"))
        .json(&json!({ "message": "hi" }))
        .send()
        .await
        .unwrap();
    assert_eq!(without_csrf.status(), StatusCode::FORBIDDEN);
    let not_json = alice
        .client
        .post(app.url("/api/v1/coach/chat"))
        .header("X-CSRF-Token", &alice.csrf)
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(not_json).await, "invalid_json");

    let conversations = alice.get_json(&app, "/api/v1/coach/conversations").await;
    assert_eq!(conversations["conversations"].as_array().unwrap().len(), 0);
    assert!(usage_records(&alice, &app).await.is_empty());
}

#[tokio::test]
async fn an_image_for_the_trading_coach_reaches_a_vision_model_as_an_image_part() {
    let model = FakeModel::start().await;
    let app = spawn_app_with(|c| {
        use_fake_model(c, &model, plan(1_000_000, 100));
        c.coach.openai.vision = true;
    })
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let png = chart_png_base64();
    let reply = alice
        .chat(
            &app,
            json!({ "message": "Is this entry inside my rules?", "profile": "trading",
                    "attachments": [{ "media_type": "image/png", "data_base64": png }] }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
    assert!(reply.event("done").is_some());
    let request = model.requests.lock().unwrap()[0].clone();
    assert!(
        request.get("tools").is_none(),
        "the trading coach offers no game tools"
    );
    let sent = request.to_string();
    assert!(sent.contains(&format!("data:image/png;base64,{png}")));
    assert!(sent.contains("trading") || sent.contains("Trading") || sent.contains("risk"));
    let conversation_id = reply.event("conversation").unwrap()["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = alice
        .get_json(
            &app,
            &format!("/api/v1/coach/conversations/{conversation_id}"),
        )
        .await;
    assert_eq!(stored["conversation"]["profile"], "trading");
    assert_eq!(
        stored["messages"][0]["attachments"][0]["media_type"],
        "image/png"
    );
}

#[tokio::test]
async fn notes_are_written_edited_and_deleted_by_their_owner_only() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let created = alice
        .client
        .post(app.url("/api/v1/coach/notes"))
        .header("X-CSRF-Token", &alice.csrf)
        .json(&json!({ "text": "Work on back-post rotation" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let note: Value = created.json().await.unwrap();
    assert_eq!(note["author"], "user");
    let id = note["id"].as_str().unwrap();

    let edited: Value = alice
        .client
        .patch(app.url(&format!("/api/v1/coach/notes/{id}")))
        .header("X-CSRF-Token", &alice.csrf)
        .json(&json!({ "text": "Work on far-post rotation" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(edited["text"], "Work on far-post rotation");

    let empty = alice
        .client
        .post(app.url("/api/v1/coach/notes"))
        .header("X-CSRF-Token", &alice.csrf)
        .json(&json!({ "text": "  " }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(empty).await, "invalid_note");

    // The page shows the note and its form edits it.
    let page = alice
        .client
        .get(app.url("/coach"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Work on far-post rotation"));
    let form = alice
        .client
        .post(app.url(&format!("/coach/notes/{id}")))
        .form(&[
            ("csrf", alice.csrf.as_str()),
            ("text", "Shadow defence"),
            ("back", "/coach"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    let notes = alice.get_json(&app, "/api/v1/coach/notes").await;
    assert_eq!(notes["notes"][0]["text"], "Shadow defence");

    let deleted = alice
        .client
        .delete(app.url(&format!("/api/v1/coach/notes/{id}")))
        .header("X-CSRF-Token", &alice.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let notes = alice.get_json(&app, "/api/v1/coach/notes").await;
    assert!(notes["notes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_usage_page_shows_cost_per_message_and_per_conversation() {
    let model = FakeModel::start().await;
    let app = spawn_app_with(|c| use_fake_model(c, &model, plan(1_000_000, 100))).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let reply = alice
        .chat(
            &app,
            json!({ "message": "How much should I risk?", "profile": "trading" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // 150 input at $3/M + 8 output at $15/M = 450 + 120 µ$.
    assert_eq!(reply.event("done").unwrap()["cost_micros"], 570);
    let page = alice
        .client
        .get(app.url("/usage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("How much should I risk?"),
        "the conversation is listed"
    );
    assert!(page.contains("$0.0005"), "its cost is shown: {page}");
    assert!(page.contains("fake-model"));
}

#[tokio::test]
async fn the_local_model_answers_in_process_and_its_tokens_are_metered() {
    // SmolLM2-135M-Instruct from the PyPI package scripts/setup installs.
    let app = spawn_app_with(|c| {
        c.coach.provider = CoachProviderKind::Local;
        c.coach.max_tokens = 24;
    })
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let reply = alice
        .chat(
            &app,
            json!({ "message": "Give me one tip for better kickoffs.", "profile": "trading" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
    let done = reply.event("done").expect("the local model finishes");
    assert!(
        reply.text().trim().chars().any(char::is_alphabetic),
        "{}",
        reply.text()
    );
    assert_eq!(done["provider"], "local");
    let output = done["tokens"]["output"].as_u64().unwrap();
    assert!((1..=24).contains(&output), "{output}");
    assert!(
        done["tokens"]["input"].as_u64().unwrap() > 100,
        "the system prompt counts"
    );
    let records = usage_records(&alice, &app).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["provider"], "local");
    assert_eq!(records[0]["cost_micros"], 0);
    let current = alice.get_json(&app, "/api/v1/usage/current").await;
    assert_eq!(
        current["budget"]["spent_tokens"].as_u64().unwrap(),
        record_tokens(&records)
    );
}

#[tokio::test]
async fn a_question_with_an_image_goes_to_the_vision_model_and_others_to_the_configured_one() {
    let model = FakeModel::start().await;
    let app = spawn_app_with(|c| {
        use_fake_model(c, &model, plan(1_000_000, 100));
        c.coach.openai.vision = true;
        c.coach.provider = CoachProviderKind::Builtin;
        c.coach.vision_provider = Some(CoachProviderKind::Openai);
    })
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let png = chart_png_base64();
    let plain = alice
        .chat(
            &app,
            json!({ "message": "How much should I risk?", "profile": "trading" }),
        )
        .await;
    assert_eq!(plain.event("done").unwrap()["provider"], "builtin");
    assert_eq!(model.calls.load(Ordering::SeqCst), 0);
    let with_image = alice
        .chat(
            &app,
            json!({ "message": "Is this entry inside my rules?", "profile": "trading",
                    "attachments": [{ "media_type": "image/png", "data_base64": png }] }),
        )
        .await;
    assert_eq!(with_image.event("done").unwrap()["provider"], "openai");
    assert_eq!(model.calls.load(Ordering::SeqCst), 1);
}

/// A tiny PNG-signed "chart screenshot", base64-encoded as the chat API takes it.
fn chart_png_base64() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\n-chart-")
}

#[tokio::test]
async fn note_and_conversation_writes_without_the_session_csrf_token_get_403_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let note: Value = alice
        .client
        .post(app.url("/api/v1/coach/notes"))
        .header("X-CSRF-Token", &alice.csrf)
        .json(&json!({ "text": "Keep boost above 50" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = note["id"].as_str().unwrap();
    let answered = alice.chat(&app, json!({ "message": "hello coach" })).await;
    assert_eq!(answered.status, StatusCode::OK);
    let conversations = alice.get_json(&app, "/api/v1/coach/conversations").await;
    let conversation = conversations["conversations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let forged = "0".repeat(64);
    for csrf in [None, Some(forged.as_str())] {
        // The page forms: a missing field and a forged one alike.
        let mut fields = vec![("text", "Rewritten by a forged form"), ("back", "/coach")];
        if let Some(csrf) = csrf {
            fields.push(("csrf", csrf));
        }
        for path in [
            "/coach/notes".to_owned(),
            format!("/coach/notes/{id}"),
            format!("/coach/notes/{id}/delete"),
        ] {
            let response = alice
                .client
                .post(app.url(&path))
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path} {csrf:?}");
        }
        // The JSON API with the session cookie.
        let with_token = |request: reqwest::RequestBuilder| match csrf {
            Some(csrf) => request.header("X-CSRF-Token", csrf),
            None => request,
        };
        let requests = [
            with_token(alice.client.post(app.url("/api/v1/coach/notes")))
                .json(&json!({ "text": "Forged" })),
            with_token(
                alice
                    .client
                    .patch(app.url(&format!("/api/v1/coach/notes/{id}"))),
            )
            .json(&json!({ "text": "Forged" })),
            with_token(
                alice
                    .client
                    .delete(app.url(&format!("/api/v1/coach/notes/{id}"))),
            ),
            with_token(
                alice
                    .client
                    .delete(app.url(&format!("/api/v1/coach/conversations/{conversation}"))),
            ),
        ];
        for request in requests {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{csrf:?}");
            assert_eq!(error_code(response).await, "csrf_failed");
        }
    }
    let notes = alice.get_json(&app, "/api/v1/coach/notes").await;
    let notes = notes["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["text"], "Keep boost above 50");
    let kept = alice
        .client
        .get(app.url(&format!("/api/v1/coach/conversations/{conversation}")))
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), StatusCode::OK);
}
