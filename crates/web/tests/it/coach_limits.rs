//! Budgets as hard caps (non-Latin questions, providers that overrun their
//! reservation, refusals that store nothing), the process registry at
//! startup, and paginated conversations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use filmroom_store::{MessageId, MessageRole, NewConversation, NewMessage, UserId};
use filmroom_web::coach::limits::budget_period;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::coach::{FakeModel, plan, record_tokens, usage_records, use_fake_model};
use crate::{PASSWORD, TestApp, User, spawn_app_with, test_config};

/// A model server that answers at once (no tools) and reports the usage a
/// tokenizer of its choosing would: `per_char` prompt tokens per character
/// of the question plus `base`, and 20 output tokens.
#[derive(Clone)]
struct Tokenizer {
    per_char: u64,
    base: u64,
    reported: Arc<AtomicU64>,
    calls: Arc<AtomicU64>,
}

async fn answer(State(t): State<Tokenizer>, Json(body): Json<Value>) -> impl IntoResponse {
    t.calls.fetch_add(1, Ordering::SeqCst);
    let question = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .chars()
        .count() as u64;
    let input = t.base + t.per_char * question;
    t.reported.fetch_add(input + 20, Ordering::SeqCst);
    let chunk = |choices: Value, usage: Value| {
        let body = json!({"id": "c", "object": "chat.completion.chunk", "created": 1,
            "model": "fake-model", "choices": choices, "usage": usage});
        format!("data: {body}\n\n")
    };
    let mut out = chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": "了解しました。"}, "finish_reason": null}]),
        Value::Null,
    );
    out.push_str(&chunk(
        json!([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
        Value::Null,
    ));
    out.push_str(&chunk(
        json!([]),
        json!({"prompt_tokens": input, "completion_tokens": 20, "total_tokens": input + 20}),
    ));
    out.push_str("data: [DONE]\n\n");
    ([("content-type", "text/event-stream")], out)
}

impl Tokenizer {
    async fn start(per_char: u64, base: u64) -> (Tokenizer, FakeModel) {
        let t = Tokenizer {
            per_char,
            base,
            reported: Arc::default(),
            calls: Arc::default(),
        };
        let router = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(answer))
            .with_state(t.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let (_, mut model) = FakeModel::routes();
        model.base_url = format!("http://{addr}");
        (t, model)
    }

    fn reported(&self) -> u64 {
        self.reported.load(Ordering::SeqCst)
    }
}

/// Spends `tokens` of the user's current budget, as earlier answers would have.
pub async fn pre_spend(app: &TestApp, user: UserId, limit: u64, tokens: u64) {
    let store = app.store().await;
    let now = time::OffsetDateTime::now_utc();
    let held = store
        .reserve_budget(user, &budget_period(now), limit, tokens, now)
        .await
        .unwrap();
    store.settle_budget(held.id, tokens, now).await.unwrap();
}

async fn budget(user: &User, app: &TestApp) -> Value {
    user.get_json(app, "/api/v1/usage/current").await["budget"].clone()
}

async fn conversation_count(user: &User, app: &TestApp) -> usize {
    user.get_json(app, "/api/v1/coach/conversations").await["conversations"]
        .as_array()
        .unwrap()
        .len()
}

fn cjk_question(chars: usize) -> String {
    "最近の試合で私のブーストの使い方はどうでしたか"
        .chars()
        .cycle()
        .take(chars)
        .collect()
}

#[tokio::test]
async fn six_concurrent_non_latin_questions_on_a_nearly_spent_plan_never_pass_the_budget() {
    // A tokenizer that makes two tokens of every CJK character: a third of
    // the characters (the old estimate) would admit all six and overspend.
    let (tokenizer, model) = Tokenizer::start(2, 1_500).await;
    let limit = 100_000;
    let app = Arc::new(spawn_app_with(|c| use_fake_model(c, &model, plan(limit, 1_000))).await);
    let alice = Arc::new(app.sign_up("alice", PASSWORD).await);
    pre_spend(&app, app.user_id("alice").await, limit, 45_000).await;

    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (alice, app) = (alice.clone(), app.clone());
            tokio::spawn(async move {
                alice
                    .chat(
                        &app,
                        json!({ "message": cjk_question(7_990), "profile": "trading" }),
                    )
                    .await
            })
        })
        .collect();
    let (mut answered, mut refused) = (0, 0);
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            StatusCode::OK => {
                assert!(reply.event("done").is_some(), "{:?}", reply.events);
                answered += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let code = &reply.error.as_ref().unwrap()["error"]["code"];
                assert!(
                    code == "budget_exceeded" || code == "budget_exhausted",
                    "{code}"
                );
                refused += 1;
            }
            other => panic!("unexpected {other}: {:?}", reply.error),
        }
    }
    assert!(
        answered >= 1 && refused >= 1,
        "answered {answered}, refused {refused}"
    );

    let budget = budget(&alice, &app).await;
    let spent = budget["spent_tokens"].as_u64().unwrap();
    assert!(spent <= limit, "spent {spent} of {limit}");
    assert_eq!(budget["reserved_tokens"], 0);
    // Bytes never undercount: no call ran past its reservation.
    assert_eq!(budget["overrun_tokens"], 0);
    assert_eq!(spent, 45_000 + tokenizer.reported());
    assert_eq!(tokenizer.calls.load(Ordering::SeqCst), answered);
    // Refused questions left no conversation behind.
    assert_eq!(conversation_count(&alice, &app).await, answered as usize);
}

#[tokio::test]
async fn a_chat_refused_for_its_budget_stores_nothing_takes_no_request_slot_and_warns_of_nothing() {
    let (_tokenizer, model) = Tokenizer::start(1, 200).await;
    let limit = 40_000;
    // Two requests a minute: a refused question must not use one up.
    let app = spawn_app_with(|c| use_fake_model(c, &model, plan(limit, 2))).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let first = alice
        .chat(&app, json!({ "message": "Hello", "profile": "trading" }))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let conversation_id = first.event("conversation").unwrap()["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // 70% spent: below the warning, but too little left for a long question.
    pre_spend(&app, app.user_id("alice").await, limit, 28_000 - 220 - 20).await;
    let before = budget(&alice, &app).await;
    let path = format!("/api/v1/coach/conversations/{conversation_id}");
    let conversation_before = alice.get_json(&app, &path).await;

    for body in [
        json!({ "message": cjk_question(7_990), "profile": "trading" }),
        json!({ "message": cjk_question(7_990), "conversation_id": conversation_id }),
    ] {
        let refused = alice.chat(&app, body).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        let error = &refused.error.as_ref().unwrap()["error"];
        assert_eq!(error["code"], "budget_exceeded", "{error}");
        assert!(
            error["message"].as_str().unwrap().contains("left"),
            "{error}"
        );
        assert!(refused.headers.contains_key("retry-after"));
    }
    assert_eq!(conversation_count(&alice, &app).await, 1);
    assert_eq!(alice.get_json(&app, &path).await, conversation_before);
    let after = budget(&alice, &app).await;
    assert_eq!(after, before, "a refusal holds and spends nothing");
    assert_eq!(after["reserved_tokens"], 0);
    assert_eq!(after["warning"], false);

    // The refusals took no request slot: the second of two per minute is free.
    let second = alice
        .chat(
            &app,
            json!({ "message": "Short one", "conversation_id": conversation_id }),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.error);
    assert!(second.event("done").is_some());
    assert!(second.event("warning").is_none(), "{:?}", second.events);
}

#[tokio::test]
async fn a_provider_overrunning_its_reservation_is_charged_to_the_operator_not_past_the_budget() {
    // The server claims far more tokens than the request could hold.
    let (tokenizer, model) = Tokenizer::start(0, 400_000).await;
    let limit = 100_000;
    let app = spawn_app_with(|c| use_fake_model(c, &model, plan(limit, 100))).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let reply = alice
        .chat(
            &app,
            json!({ "message": "How much should I risk?", "profile": "trading" }),
        )
        .await;
    assert!(reply.event("done").is_some(), "{:?}", reply.events);

    let budget = budget(&alice, &app).await;
    let spent = budget["spent_tokens"].as_u64().unwrap();
    let overrun = budget["overrun_tokens"].as_u64().unwrap();
    assert!(spent > 0 && spent <= limit, "spent {spent}");
    assert_eq!(spent + overrun, tokenizer.reported());
    assert_eq!(budget["reserved_tokens"], 0);
    // The usage record keeps what the provider reported.
    let records = usage_records(&alice, &app).await;
    assert_eq!(record_tokens(&records), tokenizer.reported());
}

#[tokio::test]
async fn a_second_live_process_with_the_same_node_name_is_refused_with_a_clear_message() {
    let first = spawn_app_with(|c| c.jobs.node = Some("web-1".to_owned())).await;
    let mut config = test_config(first.dir.path());
    config.jobs.node = Some("web-1".to_owned());
    let refused = filmroom_web::App::build(config.clone(), crate::rl_domains()).await;
    let message = format!("{:#}", refused.err().expect("the second start is refused"));
    assert!(
        message.contains("\"web-1\"") && message.contains("jobs.node"),
        "{message}"
    );
    // Two processes on the default name never collide.
    let mut default = test_config(first.dir.path());
    default.jobs.node = None;
    filmroom_web::App::build(default, crate::rl_domains())
        .await
        .unwrap();

    // Once the first has stopped, its name is free again.
    let mut first = first;
    first.stop_server().await;
    filmroom_web::App::build(config, crate::rl_domains())
        .await
        .unwrap();
}

fn message(conversation: filmroom_store::ConversationId, n: usize) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        conversation,
        role: if n.is_multiple_of(2) {
            MessageRole::User
        } else {
            MessageRole::Assistant
        },
        text: format!("message {n}"),
        tool_calls_json: "[]".to_owned(),
        attachments_json: "[]".to_owned(),
        citations: Vec::new(),
        provider: None,
        model: None,
        stop_reason: None,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_micros: 0,
    }
}

#[tokio::test]
async fn a_long_conversation_comes_in_pages_through_the_api_and_the_page() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let store = app.store().await;
    let owner = app.user_id("alice").await;
    let now = time::OffsetDateTime::now_utc();
    let conversation = store
        .create_conversation(
            &NewConversation {
                owner,
                title: "A long one".to_owned(),
                profile: "rocket-league".to_owned(),
            },
            now,
        )
        .await
        .unwrap();
    for n in 0..130 {
        store
            .append_message(owner, &message(conversation.id, n), now)
            .await
            .unwrap();
    }
    let path = format!("/api/v1/coach/conversations/{}", conversation.id);
    let texts = |page: &Value| -> Vec<String> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect()
    };

    // Nothing passed: the same shape, the latest 100, oldest first.
    let latest = alice.get_json(&app, &path).await;
    assert_eq!(latest["conversation"]["title"], "A long one");
    let page = texts(&latest);
    assert_eq!(page.len(), 100);
    assert_eq!(
        (page[0].as_str(), page[99].as_str()),
        ("message 30", "message 129")
    );
    assert_eq!(latest["has_older"], true);

    // Following the cursor walks back to the first message, each exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(before) => format!("{path}?limit=40&before={before}"),
            None => format!("{path}?limit=40"),
        };
        let page = alice.get_json(&app, &url).await;
        let mut texts = texts(&page);
        texts.extend(seen);
        seen = texts;
        match page["older_before"].as_str() {
            Some(before) => cursor = Some(before.to_owned()),
            None => {
                assert_eq!(page["has_older"], false);
                break;
            }
        }
    }
    let expected: Vec<String> = (0..130).map(|n| format!("message {n}")).collect();
    assert_eq!(seen, expected);

    // Bad cursors and limits are clear errors; another conversation's id is not found.
    for query in ["limit=0", "limit=501", "before=nope", "page=2"] {
        let response = alice
            .client
            .get(app.url(&format!("{path}?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    }
    let response = alice
        .client
        .get(app.url(&format!("{path}?before={}", MessageId::new())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The page shows the latest 50 with a link to the older ones.
    let html = alice
        .client
        .get(app.url(&format!("/coach/{}", conversation.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(">message 129<") && html.contains(">message 80<"));
    assert!(!html.contains(">message 79<"));
    let older = crate::extract(&html, "<p class=\"meta older\"><a href=\"", "\"").unwrap();
    let html = alice
        .client
        .get(app.url(&older.replace("&amp;", "&")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(">message 79<") && html.contains(">message 30<"));
    assert!(!html.contains(">message 80<"));
}

#[tokio::test]
async fn a_dead_processs_reservations_are_released_by_the_periodic_sweep_of_a_live_one() {
    // A lease of 3 s: the live app beats and sweeps every second.
    let app = spawn_app_with(|c| c.jobs.lease_secs = 3).await;
    app.sign_up("alice", PASSWORD).await;
    let alice = app.user_id("alice").await;
    let store = app.store().await;
    let now = time::OffsetDateTime::now_utc();
    let period = budget_period(now);
    // Another process on another host, registered an hour ago and silent since.
    let hour_ago = now - time::Duration::hours(1);
    store
        .register_node(
            &filmroom_store::NodeRecord {
                name: "gone".to_owned(),
                instance: "i-gone".to_owned(),
                host: "another-host".to_owned(),
                pid: 4242,
                started_at: hour_ago,
                heartbeat_at: hour_ago,
                workers: 0,
            },
            None,
            hour_ago,
            hour_ago,
        )
        .await
        .unwrap();
    store
        .reserve_budget_for_node(alice, &period, 100_000, 1_234, Some("gone"), now)
        .await
        .unwrap();
    assert_eq!(
        store.budget_status(alice, &period).await.unwrap().reserved,
        1_234
    );

    // Wait (at most 30 s) for the live app's sweep.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        let status = store.budget_status(alice, &period).await.unwrap();
        if status.reserved == 0 {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not swept: {status:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(status.spent, 1_234, "charged at what it held");
    let names: Vec<String> = store
        .nodes()
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert!(!names.contains(&"gone".to_owned()), "{names:?}");
    assert_eq!(names.len(), 1, "only the live app is left: {names:?}");
}
