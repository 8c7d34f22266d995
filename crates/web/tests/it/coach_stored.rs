//! The coach over stored rows: a turn reads no report, the search tool finds
//! the asking user's moments and never another user's, `[rec:]` citations are
//! checked and become links, and an answer stored with the older `[game:]`
//! citations keeps its links.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use filmroom_web::AppState;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::coach::{ChatReply, FakeModel, plan, use_fake_model};
use crate::{PASSWORD, TestApp, User, spawn_app_with_routes};

/// How many reports the app's store handed out so far: a route only tests mount.
async fn reports_read(State(state): State<AppState>) -> String {
    state.store.reports_read().to_string()
}

fn test_routes() -> axum::Router<AppState> {
    axum::Router::new().route("/test/reports-read", axum::routing::get(reports_read))
}

async fn reports_so_far(app: &TestApp) -> u64 {
    reqwest::get(app.url("/test/reports-read"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap()
}

/// An id no user has: citing it must be dropped.
const STRANGER: &str = "11111111-1111-4111-8111-111111111111";

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let body = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_732_000_000,
        "model": "fake-model", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    format!("data: {body}\n\n")
}

/// A model on loopback speaking OpenAI's streaming format. Asked
/// `search: <text>`, it calls `search_moments` with that text; given the
/// result, it answers citing the first hit's `cite_as` and a recording that is
/// nobody's. Every request is kept, tool results included.
async fn searching_model(
    State(requests): State<Arc<Mutex<Vec<Value>>>>,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    requests.lock().unwrap().push(body.clone());
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let tool_result = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .and_then(|m| m["content"].as_str().map(str::to_owned));
    let mut out = chunk(json!({"role": "assistant", "content": ""}), None);
    match tool_result {
        Some(result) => {
            let result: Value = serde_json::from_str(&result).unwrap();
            let answer = match result["results"][0]["cite_as"].as_str() {
                Some(cite) => format!("Found it {cite}, not [rec:{STRANGER}@0:10]."),
                None => "Nothing like that in your recordings.".to_owned(),
            };
            out.push_str(&chunk(json!({"content": answer}), None));
            out.push_str(&chunk(json!({}), Some("stop")));
        }
        None => {
            let question = messages
                .iter()
                .rev()
                .find(|m| m["role"] == "user")
                .and_then(|m| m["content"].as_str())
                .unwrap_or_default()
                .to_owned();
            let text = question.trim_start_matches("search: ");
            let arguments = json!({"text": text}).to_string();
            out.push_str(&chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                    "function": {"name": "search_moments", "arguments": arguments}}]}),
                None,
            ));
            out.push_str(&chunk(json!({}), Some("tool_calls")));
        }
    }
    let usage = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_732_000_000,
        "model": "fake-model", "choices": [],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    });
    out.push_str(&format!("data: {usage}\n\ndata: [DONE]\n\n"));
    ([("content-type", "text/event-stream")], out)
}

pub(crate) struct SearchingModel {
    pub(crate) base_url: String,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl SearchingModel {
    pub(crate) async fn start() -> SearchingModel {
        let requests: Arc<Mutex<Vec<Value>>> = Arc::default();
        let router = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(searching_model))
            .with_state(requests.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        SearchingModel {
            base_url: format!("http://{addr}"),
            requests,
        }
    }

    /// The search tool's result the model was given last.
    pub(crate) fn last_tool_result(&self) -> Value {
        let requests = self.requests.lock().unwrap();
        let content = requests
            .iter()
            .rev()
            .flat_map(|r| r["messages"].as_array().cloned().unwrap_or_default())
            .find(|m| m["role"] == "tool")
            .and_then(|m| m["content"].as_str().map(str::to_owned))
            .expect("the model was given a tool result");
        serde_json::from_str(&content).unwrap()
    }
}

pub(crate) async fn search(
    user: &User,
    app: &TestApp,
    model: &SearchingModel,
    text: &str,
) -> (ChatReply, Value) {
    let reply = user
        .chat(app, json!({ "message": format!("search: {text}") }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
    assert!(reply.event("done").is_some(), "the answer completes");
    (reply, model.last_tool_result())
}

/// The display names of a recording's participants, from the recordings API.
async fn participant_names(user: &User, app: &TestApp, id: &str) -> Vec<String> {
    let detail = user
        .get_json(app, &format!("/api/v1/recordings/{id}"))
        .await;
    detail["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["display_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_coach_turn_over_stored_recordings_reads_no_report() {
    let app = spawn_app_with_routes(|_| {}, test_routes()).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let games = alice
        .upload_and_claim(
            &app,
            &["00bb.replay", "07e9.replay", "002c.replay", "029d.replay"],
        )
        .await;

    let before = reports_so_far(&app).await;
    let mut cited: Option<String> = None;
    for question in [
        "How was my last session?",
        "How is my boost?",
        "How did I do this week compared to last week?",
        // The game the first answer cited, in detail (moments and passages).
        "Tell me about game ",
    ] {
        let question = match (&cited, question.ends_with("game ")) {
            (Some(id), true) => format!("{question}{id}"),
            _ => question.to_owned(),
        };
        let reply = alice.chat(&app, json!({ "message": question })).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
        let done = reply.event("done").expect("the answer completes");
        let text = reply.text();
        assert!(!text.trim().is_empty(), "{question}");
        assert!(
            !text.contains("could not") && !text.contains("unavailable"),
            "{question}: every tool read the stored rows: {text}"
        );
        assert!(
            reply.event("tool_started").is_some(),
            "{question}: the analyst reads through the tools"
        );
        let citations = done["citations"].as_array().unwrap();
        if !question.contains("this week") {
            assert!(!citations.is_empty(), "{question}: {text}");
        }
        for citation in citations {
            let id = citation["game_id"].as_str().unwrap();
            assert!(games.iter().any(|g| g == id), "{id} is alice's");
            cited.get_or_insert_with(|| id.to_owned());
        }
    }
    assert_eq!(
        reports_so_far(&app).await,
        before,
        "the turns read stored rows, never a report"
    );

    // The count is live: the game page still lays out the report.
    let page = alice
        .client
        .get(app.url(&format!("/games/{}", cited.unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(reports_so_far(&app).await > before);
}

#[tokio::test]
async fn the_search_tool_finds_the_users_own_moments_and_never_another_users() {
    let model = SearchingModel::start().await;
    let fake = FakeModel {
        base_url: model.base_url.clone(),
        input_tokens: Arc::default(),
        output_tokens: Arc::default(),
        calls: Arc::default(),
        requests: Arc::default(),
    };
    let app = spawn_app_with_routes(
        |config| use_fake_model(config, &fake, plan(10_000_000, 1_000)),
        test_routes(),
    )
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let alices = alice.upload_and_claim(&app, &["00bb.replay"]).await;
    let bobs = bob.upload_and_claim(&app, &["07e9.replay"]).await;
    let (alice_game, bob_game) = (&alices[0], &bobs[0]);

    // A player only in bob's recording.
    let alice_names = participant_names(&alice, &app, alice_game).await;
    let bob_only = participant_names(&bob, &app, bob_game)
        .await
        .into_iter()
        .find(|n| n.len() >= 3 && !alice_names.iter().any(|a| a.contains(n.as_str())))
        .expect("bob's recording has a player alice's has not");

    // Bob finds his player's moments in his recording...
    let (_, found) = search(&bob, &app, &model, &bob_only).await;
    let results = found["results"].as_array().unwrap();
    assert!(!results.is_empty(), "{found}");
    for hit in results {
        assert_eq!(hit["recording_id"], bob_game.as_str());
        assert!(hit["text"].as_str().unwrap().contains(&bob_only), "{hit}");
    }
    // ...and alice, asking for the same text, finds nothing of his.
    let before = reports_so_far(&app).await;
    let (reply, found) = search(&alice, &app, &model, &bob_only).await;
    assert_eq!(found["count"], 0, "{found}");
    assert!(reply.text().contains("Nothing like that"));
    assert!(!found.to_string().contains(bob_game.as_str()));

    // Her own goals are found, cited as [rec:], checked and linked; the cited
    // recording that is nobody's is dropped.
    let (reply, found) = search(&alice, &app, &model, "goal by").await;
    let results = found["results"].as_array().unwrap();
    assert!(!results.is_empty(), "{found}");
    assert!(
        results
            .iter()
            .all(|h| h["recording_id"] == alice_game.as_str())
    );
    let cite = results[0]["cite_as"].as_str().unwrap();
    assert!(cite.starts_with(&format!("[rec:{alice_game}@")), "{cite}");
    assert!(reply.text().contains(cite));
    let done = reply.event("done").unwrap();
    let citations = done["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 1, "only alice's recording is kept: {done}");
    assert_eq!(citations[0]["game_id"], alice_game.as_str());
    let seconds = results[0]["start_seconds"].as_f64().unwrap().floor();
    assert_eq!(
        citations[0]["url"],
        format!("/games/{alice_game}?tab=timeline&t={seconds}")
    );
    assert_eq!(
        reports_so_far(&app).await,
        before,
        "searching reads no report"
    );

    // The conversation page shows the citation as a link to the moment.
    let conversation = reply.event("conversation").unwrap()["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = alice
        .get_page(&app, &format!("/coach/{conversation}"))
        .await;
    // (askama writes the `&` of the query as `&#38;`.)
    assert!(
        page.contains(&format!(
            "href=\"/games/{alice_game}?tab=timeline&#38;t={seconds}\""
        )),
        "{page}"
    );
    assert!(!page.contains(cite), "the citation is a link, not raw text");
}

#[tokio::test]
async fn an_answer_stored_with_game_citations_still_links_its_moments() {
    // This model answers with the citation form answers were stored in before
    // `[rec:]`: `[game:ID@1:05]`.
    let model = FakeModel::start().await;
    let app = spawn_app_with_routes(
        |config| use_fake_model(config, &model, plan(10_000_000, 1_000)),
        test_routes(),
    )
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let games = alice.upload_and_claim(&app, &["00bb.replay"]).await;

    let reply = alice
        .chat(&app, json!({ "message": "How was my last game?" }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
    let text = reply.text();
    let old = format!("[game:{}@1:05]", games[0]);
    assert!(text.contains(&old), "{text}");
    let done = reply.event("done").unwrap();
    assert_eq!(done["citations"][0]["game_id"], games[0].as_str());

    let conversation = reply.event("conversation").unwrap()["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = alice
        .get_page(&app, &format!("/coach/{conversation}"))
        .await;
    let link = format!("/games/{}?tab=timeline", games[0]);
    assert!(page.contains(&link), "{page}");
    assert!(
        !page.contains(&old),
        "the old citation renders as a link: {page}"
    );
}
