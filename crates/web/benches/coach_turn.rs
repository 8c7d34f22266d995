//! `cargo bench -p filmroom-web --bench coach_turn`: the coach over stored
//! rows, in one run against `/health` on the same server. It prints numbers;
//! nothing asserts a time.
//!
//! The user's recordings are generated into the store as in the `library`
//! bench: the full neutral analysis of a real corpus replay per recording,
//! the date, map and result varied, a stub report (no measured path reads
//! it; the store counts every report it hands out, and the bench prints that
//! count).
//!
//! 1. With 1,000 analysed games: a coach turn's time before the first token
//!    through `POST /api/v1/coach/chat` (limits, the question saved, the
//!    budget reserved, the turn's date and latest game read, the model
//!    called), against the same model server called directly: p50/p95 of
//!    both and of the difference, for a model that answers at once and one
//!    that first calls `stats_by_playlist` (a tool round over all 1,000
//!    games). Reports parsed during the turns are counted (must be 0).
//! 2. With 10,000: each aggregate tool called through the store-backed
//!    `CoachData` (what a turn runs): p50/p95.
//!
//! `FILMROOM_BENCH_LIBRARY=path/filmroom.db` (a `library` bench's 10,000)
//! skips the generating: both parts then run over those 10,000, a turn
//! reading the newest 1,000 of them as the tools always do.

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use filmroom_web::Config;
use futures_util::StreamExt;
use serde_json::{Value, json};

const FIRST: u32 = 1_000;
const TOTAL: u32 = 10_000;
const TURNS: usize = 40;
const TOOL_RUNS: usize = 30;

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let body = json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1_732_000_000,
        "model": "bench-model", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    format!("data: {body}\n\n")
}

/// The model: with `tool_first` set, a request without a tool result gets a
/// `stats_by_playlist` call; otherwise it answers "Hello there." at once.
async fn completions(
    State(tool_first): State<Arc<AtomicBool>>,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    let has_result = body["messages"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m["role"] == "tool"));
    let mut out = chunk(json!({"role": "assistant", "content": ""}), None);
    if tool_first.load(Ordering::SeqCst) && !has_result && body["tools"].is_array() {
        out.push_str(&chunk(
            json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                "function": {"name": "stats_by_playlist", "arguments": "{}"}}]}),
            None,
        ));
        out.push_str(&chunk(json!({}), Some("tool_calls")));
    } else {
        out.push_str(&chunk(json!({"content": "Hello"}), None));
        out.push_str(&chunk(json!({"content": " there."}), Some("stop")));
    }
    let usage = json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1_732_000_000,
        "model": "bench-model", "choices": [],
        "usage": {"prompt_tokens": 100, "completion_tokens": 3, "total_tokens": 103},
    });
    out.push_str(&format!("data: {usage}\n\ndata: [DONE]\n\n"));
    ([("content-type", "text/event-stream")], out)
}

/// Time from sending `request` to the first streamed content token.
async fn first_token(request: reqwest::RequestBuilder, token_marker: &str) -> Duration {
    let sent = Instant::now();
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("request: {e}"));
    assert!(
        response.status().is_success(),
        "status {}",
        response.status()
    );
    let mut stream = response.bytes_stream();
    let mut seen = String::new();
    let mut at = None;
    while let Some(bytes) = stream.next().await {
        let bytes = bytes.unwrap_or_else(|e| panic!("stream: {e}"));
        seen.push_str(&String::from_utf8_lossy(&bytes));
        if at.is_none() && seen.contains(token_marker) {
            at = Some(sent.elapsed());
        }
    }
    at.unwrap_or_else(|| panic!("no token in {seen}"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn p(sorted: &[Duration], q: f64) -> f64 {
    ms(support::percentile(sorted, q))
}

#[tokio::main]
async fn main() {
    // The model server on loopback.
    let tool_first = Arc::new(AtomicBool::new(false));
    let router = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(completions))
        .with_state(tool_first.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let model_url = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(async move { axum::serve(listener, router).await });

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut config = Config::default();
    config.storage.data_dir = dir.path().to_path_buf();
    config.jobs.workers = 0;
    config.limits.max_queue_depth = u64::MAX;
    config.server.max_connections_per_address = 0;
    config.coach.provider = filmroom_web::config::CoachProviderKind::Openai;
    config.coach.openai.base_url = model_url.clone();
    config.coach.openai.model = "bench-model".to_owned();
    for plan in config.plans.0.values_mut() {
        plan.monthly_tokens = 1_000_000_000;
        plan.messages_per_day = 1_000_000;
        plan.requests_per_minute = 1_000_000;
        plan.requests_per_hour = 1_000_000;
    }
    let reused = support::reuse_library(dir.path());
    let (app, base, user) = if reused {
        support::app_with_stored_user(config).await
    } else {
        support::app_with_user(config).await
    };
    let store = app.state().store.clone();
    let domains = app.state().domains.clone();
    let now = time::OffsetDateTime::now_utc();

    let template = if reused {
        // The library bench's 10,000: a turn reads the newest 1,000 of them
        // (the tools' cap), the same work as over a library of 1,000.
        println!("reused the library in $FILMROOM_BENCH_LIBRARY ({TOTAL} recordings)");
        None
    } else {
        let template = support::real_game(store.as_ref(), user.id, now).await;
        let started = Instant::now();
        support::generate(store.as_ref(), user.id, &template, 0..FIRST, now).await;
        println!(
            "generated {FIRST} recordings in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Some(template)
    };
    tokio::spawn(app.serve(std::future::pending()));

    // 1. First token, through filmroom and straight to the model.
    let http = reqwest::Client::new();
    let health = support::load(
        &http,
        &format!("{base}/health"),
        None,
        1,
        Duration::from_secs(2),
    )
    .await;
    println!(
        "GET /health, 1 connection: p50 {:.2} ms, p95 {:.2} ms",
        health.percentile_ms(0.5),
        health.percentile_ms(0.95)
    );
    let direct_body = json!({
        "model": "bench-model", "stream": true,
        "messages": [{"role": "user", "content": "How was my last session?"}],
    });
    for with_tool in [false, true] {
        tool_first.store(with_tool, Ordering::SeqCst);
        let reports_before = store.reports_read();
        let (mut through, mut direct, mut added) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..TURNS {
            let t = first_token(
                http.post(format!("{base}/api/v1/coach/chat"))
                    .bearer_auth(support::TOKEN)
                    .json(&json!({"message": "How was my last session?"})),
                "Hello",
            )
            .await;
            // The direct path makes the same model calls the turn makes.
            let mut d = Duration::ZERO;
            if with_tool {
                let mut call = direct_body.clone();
                call["tools"] = json!([]);
                d += first_token(
                    http.post(format!("{model_url}/v1/chat/completions"))
                        .json(&call),
                    "stats_by_playlist",
                )
                .await;
            }
            d += first_token(
                http.post(format!("{model_url}/v1/chat/completions"))
                    .json(&direct_body),
                "Hello",
            )
            .await;
            through.push(t);
            direct.push(d);
            added.push(t.saturating_sub(d));
        }
        for v in [&mut through, &mut direct, &mut added] {
            v.sort();
        }
        let what = if with_tool {
            "a stats_by_playlist round over 1,000 games, then the answer"
        } else {
            "the answer at once"
        };
        println!(
            "coach turn, model gives {what} ({TURNS} turns): first token through filmroom p50 {:.1} ms p95 {:.1} ms; \
             model alone p50 {:.1} ms p95 {:.1} ms; added by filmroom p50 {:.1} ms p95 {:.1} ms; reports parsed: {}",
            p(&through, 0.5),
            p(&through, 0.95),
            p(&direct, 0.5),
            p(&direct, 0.95),
            p(&added, 0.5),
            p(&added, 0.95),
            store.reports_read() - reports_before,
        );
    }

    // 2. The aggregate tools over 10,000 recordings.
    if let Some(template) = &template {
        let started = Instant::now();
        support::generate(store.as_ref(), user.id, template, FIRST..TOTAL, now).await;
        println!(
            "generated {} more recordings in {:.1} s ({TOTAL} in all)",
            TOTAL - FIRST,
            started.elapsed().as_secs_f64()
        );
    }
    let day = |days: i64| (now - time::Duration::days(days)).date().to_string();
    let tools: Vec<(&str, String)> = vec![
        ("stats_by_playlist", "{}".to_owned()),
        (
            "stats_over_range",
            json!({"from": day(30), "until": day(0)}).to_string(),
        ),
        (
            "compare_periods",
            json!({"a_from": day(60), "a_until": day(31), "b_from": day(30), "b_until": day(0)})
                .to_string(),
        ),
        ("recent_games", json!({"n": 50}).to_string()),
        ("metric_summary", json!({"metric": "boost.bpm"}).to_string()),
        (
            "metric_summary",
            json!({"metric": "bpm", "group_by": "map"}).to_string(),
        ),
        ("search_moments", json!({"text": "demolished"}).to_string()),
    ];
    let reports_before = store.reports_read();
    for (name, args) in &tools {
        let mut times = Vec::with_capacity(TOOL_RUNS);
        let mut size = 0;
        for _ in 0..TOOL_RUNS {
            // A turn's data: built per turn, as the chat handler does.
            let data = filmroom_web::coach::data::StoreCoachData::new(
                store.clone(),
                user.id,
                now,
                &domains,
            );
            let sent = Instant::now();
            let outcome = filmroom_coach::execute_tool(&data, name, args).await;
            times.push(sent.elapsed());
            assert!(!outcome.is_error, "{name}: {}", outcome.content);
            size = outcome.content.len();
        }
        times.sort();
        println!(
            "{name} {args} over {TOTAL} recordings: p50 {:.1} ms, p95 {:.1} ms ({size} bytes)",
            p(&times, 0.5),
            p(&times, 0.95),
        );
    }
    println!(
        "reports parsed by the tools: {}",
        store.reports_read() - reports_before
    );
}
