//! A local HTTP server that records each request and answers with a scripted reply.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use filmroom_coach::{Frame, FrameStream, ProviderError};
use futures_util::StreamExt;

#[derive(Clone)]
pub enum Reply {
    /// A complete event stream.
    Sse(String),
    /// Writes this much of an event stream, then drops the connection.
    Cut(String),
    /// Writes this much, then stays open and silent.
    Stall(String),
    /// Accepts the request and never answers.
    Silence,
    /// An HTTP error with headers and a body.
    Status(u16, Vec<(&'static str, &'static str)>, String),
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

pub struct Server {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    pub fn only_request(&self) -> Recorded {
        let requests = self.requests.lock().unwrap();
        assert_eq!(requests.len(), 1, "expected exactly one request");
        requests[0].clone()
    }
}

#[derive(Clone)]
struct AppState {
    reply: Reply,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

pub async fn spawn(reply: Reply) -> Server {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let state = AppState {
        reply,
        requests: requests.clone(),
    };
    let app = Router::new().fallback(handle).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base_url: format!("http://{addr}"),
        requests,
    }
}

async fn handle(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.requests.lock().unwrap().push(Recorded {
        path: uri.path().to_owned(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    });
    let sse = |body: Body| {
        Response::builder()
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-cache")
            .body(body)
            .unwrap()
    };
    match state.reply {
        Reply::Sse(text) => sse(Body::from(text)),
        Reply::Cut(text) => {
            let head = futures_util::stream::once(async move { Ok(Bytes::from(text)) });
            let cut = futures_util::stream::once(async {
                // Let the first part reach the client before the connection dies.
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::other(
                    "connection dropped by the test server",
                ))
            });
            sse(Body::from_stream(head.chain(cut)))
        }
        Reply::Stall(text) => {
            let head =
                futures_util::stream::once(
                    async move { Ok::<_, std::io::Error>(Bytes::from(text)) },
                );
            sse(Body::from_stream(
                head.chain(futures_util::stream::pending()),
            ))
        }
        Reply::Silence => std::future::pending().await,
        Reply::Status(status, extra, body) => {
            let mut response = Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .header("content-type", "application/json");
            for (name, value) in extra {
                response = response.header(name, value);
            }
            response.body(Body::from(body)).unwrap()
        }
    }
}

/// Drains a stream, failing the test if it takes longer than a few seconds: a
/// client that hangs on a broken stream must fail, not block the suite.
pub async fn collect(stream: FrameStream) -> Vec<Result<Frame, ProviderError>> {
    tokio::time::timeout(Duration::from_secs(5), stream.collect::<Vec<_>>())
        .await
        .expect("the stream did not end within 5 s")
}

/// Splits a collected stream into its frames and its final error, asserting that
/// nothing follows an error.
pub fn split(items: Vec<Result<Frame, ProviderError>>) -> (Vec<Frame>, Option<ProviderError>) {
    let mut frames = Vec::new();
    let mut error = None;
    for item in items {
        assert!(error.is_none(), "an item followed an error");
        match item {
            Ok(frame) => frames.push(frame),
            Err(e) => error = Some(e),
        }
    }
    (frames, error)
}

/// The answer's text, concatenated from its deltas.
pub fn text(frames: &[Frame]) -> String {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

/// Anthropic's framing: `event: NAME` then `data: JSON`, a blank line after each.
pub fn anthropic_events(events: &[(&str, &str)]) -> String {
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

/// OpenAI's framing: `data: JSON` and a blank line, no event names.
pub fn openai_chunks(chunks: &[&str]) -> String {
    chunks.iter().map(|c| format!("data: {c}\n\n")).collect()
}
