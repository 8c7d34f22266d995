//! `cargo bench -p filmroom --bench coach`: the coach's streaming overhead and
//! memory, measured from the outside against the real `filmroom serve` binary
//! and a model server on loopback that speaks OpenAI's streaming format. It
//! prints numbers; nothing asserts a time.
//!
//! 1. First-token overhead: the time from sending a question to the first
//!    streamed token, through filmroom (`POST /api/v1/coach/chat`, which checks
//!    the plan's limits, saves the question, reserves budget and calls the
//!    model) and straight to the model server, sequentially, 50 times each.
//! 2. Memory with 1,000 open chat streams: the model server sends a first token
//!    and then holds every stream open; the server's resident memory (VmRSS)
//!    is read before and once all 1,000 streams are open.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::IntoResponse;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};

const SAMPLES: usize = 50;
const OPEN_STREAMS: usize = 1_000;

fn chunk(choices: Value, usage: Value) -> String {
    let body = json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1_732_000_000,
        "model": "bench-model", "choices": choices, "usage": usage,
    });
    format!("data: {body}\n\n")
}

/// Streams a first token at once; then, while `hold` is true, waits before
/// the rest of the answer.
async fn completions(State(hold): State<watch::Receiver<bool>>) -> impl IntoResponse {
    let first = chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": "Hello"}, "finish_reason": null}]),
        Value::Null,
    );
    let rest = chunk(
        json!([{"index": 0, "delta": {"content": " there."}, "finish_reason": "stop"}]),
        Value::Null,
    ) + &chunk(
        json!([]),
        json!({"prompt_tokens": 100, "completion_tokens": 3, "total_tokens": 103}),
    ) + "data: [DONE]\n\n";
    let mut hold = hold.clone();
    let body = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(first) })
        .chain(futures_util::stream::once(async move {
            let _ = hold.wait_for(|h| !*h).await;
            Ok(rest)
        }));
    (
        [("content-type", "text/event-stream")],
        axum::body::Body::from_stream(body),
    )
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn start_server(data: &std::path::Path, model_url: &str) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_filmroom"))
        .arg("serve")
        .env("FILMROOM__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("FILMROOM__STORAGE__DATA_DIR", data)
        .env("FILMROOM__COACH__PROVIDER", "openai")
        .env("FILMROOM__COACH__OPENAI__BASE_URL", model_url)
        .env("FILMROOM__COACH__OPENAI__MODEL", "bench-model")
        .env("FILMROOM__PLANS__FREE__MONTHLY_TOKENS", "1000000000")
        .env("FILMROOM__PLANS__FREE__MESSAGES_PER_DAY", "1000000")
        .env("FILMROOM__PLANS__FREE__REQUESTS_PER_MINUTE", "1000000")
        .env("FILMROOM__PLANS__FREE__REQUESTS_PER_HOUR", "1000000")
        .env("FILMROOM__LOG__FILTER", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the filmroom binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client
        .get(format!("{base}/health"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "filmroom serve did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Server { child, base }
}

fn between(haystack: &str, start: &str, end: &str) -> String {
    let from = haystack.find(start).map(|i| i + start.len()).unwrap_or(0);
    let to = haystack[from..].find(end).map(|i| i + from).unwrap_or(from);
    haystack[from..to].to_owned()
}

async fn api_token(base: &str) -> String {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(format!("{base}/signup"))
        .send()
        .await
        .expect("signup page");
    let csrf = between(
        &page.text().await.unwrap_or_default(),
        "name=\"csrf\" value=\"",
        "\"",
    );
    client
        .post(format!("{base}/signup"))
        .form(&[
            ("username", "bench"),
            ("password", "correct horse battery"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("sign up");
    let page = client
        .get(format!("{base}/account"))
        .send()
        .await
        .expect("account");
    let csrf = between(
        &page.text().await.unwrap_or_default(),
        "name=\"csrf\" value=\"",
        "\"",
    );
    let token: Value = client
        .post(format!("{base}/api/v1/tokens"))
        .header("X-CSRF-Token", csrf)
        .json(&json!({ "name": "bench" }))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    token["secret"].as_str().unwrap_or_default().to_owned()
}

/// Sends a request and waits for the first chunk that carries a token.
async fn first_token(
    request: reqwest::RequestBuilder,
    marker: &str,
) -> (Duration, reqwest::Response) {
    let started = Instant::now();
    let mut response = request.send().await.expect("request");
    let mut seen = String::new();
    while let Ok(Some(bytes)) = response.chunk().await {
        seen.push_str(&String::from_utf8_lossy(&bytes));
        if seen.contains(marker) {
            return (started.elapsed(), response);
        }
    }
    panic!("no token in the stream: {seen}");
}

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let p95 = v[(v.len() * 95 / 100).min(v.len() - 1)];
    (v[v.len() / 2], p95)
}

#[tokio::main]
async fn main() {
    let (hold_tx, hold_rx) = watch::channel(false);
    let router = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(completions))
        .with_state(hold_rx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let model_url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });

    let data = tempfile::tempdir().expect("tempdir");
    let server = start_server(data.path(), &model_url).await;
    let token = api_token(&server.base).await;
    let http = reqwest::Client::new();

    // 1. First-token overhead.
    let direct_body = json!({ "model": "bench-model", "stream": true,
        "messages": [{ "role": "user", "content": "hi" }] });
    let mut direct = Vec::new();
    let mut through = Vec::new();
    for n in 0..SAMPLES {
        let (t, _) = first_token(
            http.post(format!("{model_url}/v1/chat/completions"))
                .json(&direct_body),
            "Hello",
        )
        .await;
        direct.push(t);
        let (t, response) = first_token(
            http.post(format!("{}/api/v1/coach/chat", server.base))
                .bearer_auth(&token)
                .json(&json!({ "message": format!("Question {n}") })),
            "event: delta",
        )
        .await;
        through.push(t);
        let _ = response.bytes().await;
    }
    let (direct_median, direct_p95) = median(direct);
    let (through_median, through_p95) = median(through);
    println!("first token, model server directly: median {direct_median:?}, p95 {direct_p95:?}");
    println!("first token, through filmroom:      median {through_median:?}, p95 {through_p95:?}");
    println!(
        "filmroom adds: median {:?}, p95 {:?}",
        through_median.saturating_sub(direct_median),
        through_p95.saturating_sub(direct_p95)
    );

    // 2. Memory with 1,000 open streams.
    let pid = server.child.id();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid);
    let _ = hold_tx.send(true);
    let openers = Arc::new(Semaphore::new(100));
    let mut streams = Vec::new();
    for n in 0..OPEN_STREAMS {
        let permit = openers.clone().acquire_owned().await.expect("semaphore");
        let request = http
            .post(format!("{}/api/v1/coach/chat", server.base))
            .bearer_auth(&token)
            .json(&json!({ "message": format!("Held question {n}") }));
        streams.push(tokio::spawn(async move {
            let (_, response) = first_token(request, "event: delta").await;
            drop(permit);
            response
        }));
    }
    let mut open = Vec::new();
    for s in streams {
        open.push(s.await.expect("stream task"));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = rss_kib(pid);
    println!(
        "server RSS: {} MiB idle, {} MiB with {OPEN_STREAMS} open chat streams: {} KiB per stream",
        before / 1024,
        during / 1024,
        during.saturating_sub(before) / OPEN_STREAMS as u64
    );
    let _ = hold_tx.send(false);
    for response in open {
        let _ = response.bytes().await;
    }
}
