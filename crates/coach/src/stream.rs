//! Drives a provider's HTTP body through the SSE parser and a provider-specific
//! decoder, yielding frames. Owns the guarantees common to every provider: a stream
//! ends after its first error, a dropped connection or a body that ends early is
//! `Truncated`, and a stall longer than the idle timeout is `Truncated` too.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::sse::{SseEvent, SseParser};
use crate::{Frame, FrameStream, ProviderError, Usage};

/// Turns one provider's SSE events into frames.
pub(crate) trait Decoder: Send + 'static {
    /// Frames for one event; an `Err` ends the stream.
    fn on_event(&mut self, event: SseEvent) -> Result<Vec<Frame>, ProviderError>;
    /// True once the provider's end marker was seen: the stream ends there.
    fn finished(&self) -> bool;
    /// The usage known so far, reported with a truncation.
    fn partial_usage(&self) -> Option<Usage>;
    /// Why the body ending now is a truncation (called only when not finished).
    fn truncation_reason(&self) -> String;
}

struct State<D> {
    body: BoxStream<'static, Result<Bytes, reqwest::Error>>,
    parser: SseParser,
    decoder: D,
    pending: VecDeque<Result<Frame, ProviderError>>,
    done: bool,
    idle_timeout: Duration,
}

pub(crate) fn frames<D: Decoder>(
    response: reqwest::Response,
    decoder: D,
    idle_timeout: Duration,
) -> FrameStream {
    let state = State {
        body: response.bytes_stream().boxed(),
        parser: SseParser::default(),
        decoder,
        pending: VecDeque::new(),
        done: false,
        idle_timeout,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.pending.pop_front() {
                if item.is_err() {
                    st.done = true;
                    st.pending.clear();
                }
                return Some((item, st));
            }
            if st.done {
                return None;
            }
            st.pull().await;
        }
    })
    .boxed()
}

impl<D: Decoder> State<D> {
    /// Reads one body chunk and queues what it yields (at least one item, or `done`).
    async fn pull(&mut self) {
        let next = tokio::time::timeout(self.idle_timeout, self.body.next()).await;
        match next {
            Err(_) => self.truncated(
                format!("no data for {} s", self.idle_timeout.as_secs_f32()),
                None,
            ),
            Ok(None) => {
                if self.decoder.finished() {
                    self.done = true;
                } else {
                    let reason = self.decoder.truncation_reason();
                    self.truncated(reason, None);
                }
            }
            Ok(Some(Err(e))) => {
                let reason = format!("connection lost: {}", self.decoder.truncation_reason());
                self.truncated(reason, Some(e));
            }
            Ok(Some(Ok(bytes))) => match self.parser.push(&bytes) {
                Err(e) => self.pending.push_back(Err(e)),
                Ok(events) => {
                    // An empty `data:` is a keep-alive some servers send, not a chunk.
                    for event in events.into_iter().filter(|e| !e.data.trim().is_empty()) {
                        match self.decoder.on_event(event) {
                            Ok(frames) => self.pending.extend(frames.into_iter().map(Ok)),
                            Err(e) => {
                                self.pending.push_back(Err(e));
                                return;
                            }
                        }
                        if self.decoder.finished() {
                            // Whatever follows the end marker is not part of the answer.
                            self.done = true;
                            return;
                        }
                    }
                }
            },
        }
    }

    fn truncated(&mut self, reason: String, source: Option<reqwest::Error>) {
        self.pending.push_back(Err(ProviderError::Truncated {
            reason,
            partial_usage: self.decoder.partial_usage(),
            source,
        }));
    }
}

/// The HTTP client of a provider: system root certificates (with the `rustls`
/// feature, on by default) plus the PEM certificates in `ca_pem`.
pub(crate) fn client(
    connect_timeout: Duration,
    ca_pem: Option<&[u8]>,
) -> Result<reqwest::Client, ProviderError> {
    #[allow(unused_mut)] // only the TLS build adds roots
    let mut builder = reqwest::Client::builder().connect_timeout(connect_timeout);
    match ca_pem {
        None => {}
        #[cfg(feature = "rustls")]
        Some(pem) => {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ProviderError::InvalidCa(e.to_string()))?;
            if certificates.is_empty() {
                return Err(ProviderError::InvalidCa(
                    "no PEM certificate found".to_owned(),
                ));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        #[cfg(not(feature = "rustls"))]
        Some(_) => {
            return Err(ProviderError::InvalidCa(
                "this build has no TLS (the rustls feature is off)".to_owned(),
            ));
        }
    }
    builder.build().map_err(ProviderError::Transport)
}

/// Sends a request and waits at most `wait` for the response headers, so a server
/// that accepts the connection and never answers cannot hang the caller. An error
/// status becomes [`ProviderError::Http`]; `extract` pulls the provider's error type
/// and message out of its JSON body.
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    wait: Duration,
    extract: fn(&serde_json::Value) -> Option<(String, String)>,
) -> Result<reqwest::Response, ProviderError> {
    let response = tokio::time::timeout(wait, request.send())
        .await
        .map_err(|_| ProviderError::Timeout { waited: wait })?
        .map_err(ProviderError::transport)?;
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(http_error(response, wait, extract).await)
    }
}

async fn http_error(
    mut response: reqwest::Response,
    wait: Duration,
    extract: fn(&serde_json::Value) -> Option<(String, String)>,
) -> ProviderError {
    /// Error bodies are small JSON documents; read at most this much of a big one.
    const MAX_ERROR_BODY: usize = 16 * 1024;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut body = Vec::new();
    let read = async {
        while let Ok(Some(chunk)) = response.chunk().await {
            let room = MAX_ERROR_BODY.saturating_sub(body.len());
            body.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
            if body.len() >= MAX_ERROR_BODY {
                break;
            }
        }
    };
    // The status is the error; a body that is slow or broken only loses the detail.
    let _ = tokio::time::timeout(wait, read).await;
    let parsed = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| extract(&v));
    let (kind, message) = parsed.unwrap_or_else(|| {
        (
            "unknown".to_owned(),
            String::from_utf8_lossy(&body).trim().to_owned(),
        )
    });
    ProviderError::Http {
        status,
        kind,
        message,
        retry_after,
    }
}
