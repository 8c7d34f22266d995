//! The Anthropic client against the Messages API's documented event stream.

use std::time::Duration;

use filmroom_coach::{
    AnthropicConfig, AnthropicProvider, ApiKey, ChatRequest, Frame, Message, Provider,
    ProviderError, StopReason, SystemBlock, ToolDefinition, Usage,
};
use serde_json::json;

use crate::support::{Reply, anthropic_events, collect, spawn, split, text};

const MESSAGE_START: &str = r#"{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":1200,"cache_read_input_tokens":3400,"output_tokens":1}}}"#;
const TEXT_BLOCK_START: &str =
    r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#;
const PING: &str = r#"{"type": "ping"}"#;

fn text_delta(text: &str) -> String {
    json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}})
        .to_string()
}

fn provider(base_url: &str) -> AnthropicProvider {
    let mut config = AnthropicConfig::new(base_url, ApiKey::new("sk-ant-test-key"));
    config.idle_timeout = Duration::from_millis(300);
    AnthropicProvider::new(config).unwrap()
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "claude-sonnet-4-5".into(),
        system: vec![
            SystemBlock {
                text: "You are a Rocket League coach.".into(),
                cacheable: true,
            },
            SystemBlock {
                text: "The player is on the orange team today.".into(),
                cacheable: false,
            },
        ],
        messages: vec![Message::user("How was my last session?")],
        tools: vec![ToolDefinition {
            name: "recent_games".into(),
            description: "The player's most recent games".into(),
            input_schema: json!({"type": "object", "properties": {"n": {"type": "integer"}}}),
        }],
        max_tokens: 1024,
    }
}

fn text_answer() -> String {
    let d1 = text_delta("Your last session");
    let d2 = text_delta(" was strong.");
    anthropic_events(&[
        ("message_start", MESSAGE_START),
        ("content_block_start", TEXT_BLOCK_START),
        ("ping", PING),
        ("content_block_delta", &d1),
        ("content_block_delta", &d2),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ])
}

#[tokio::test]
async fn a_text_answer_streams_its_text_then_usage_with_cache_reads_and_writes_then_end_turn() {
    let server = spawn(Reply::Sse(text_answer())).await;
    let stream = provider(&server.base_url).stream(request()).await.unwrap();
    let (frames, error) = split(collect(stream).await);

    assert!(error.is_none(), "{error:?}");
    assert_eq!(text(&frames), "Your last session was strong.");
    let usage = Usage {
        input_tokens: 25,
        output_tokens: 15,
        cache_read_tokens: 3400,
        cache_write_tokens: 1200,
    };
    assert_eq!(
        &frames[frames.len() - 2..],
        &[Frame::Usage(usage), Frame::Stop(StopReason::EndTurn)]
    );
}

#[tokio::test]
async fn the_request_carries_the_key_the_version_streaming_and_a_cacheable_system_block() {
    let server = spawn(Reply::Sse(text_answer())).await;
    let stream = provider(&server.base_url).stream(request()).await.unwrap();
    collect(stream).await;

    let seen = server.only_request();
    assert_eq!(seen.path, "/v1/messages");
    assert_eq!(seen.headers["x-api-key"], "sk-ant-test-key");
    assert_eq!(seen.headers["anthropic-version"], "2023-06-01");
    assert_eq!(seen.body["stream"], true);
    assert_eq!(seen.body["model"], "claude-sonnet-4-5");
    assert_eq!(seen.body["max_tokens"], 1024);
    assert_eq!(
        seen.body["system"],
        json!([
            {"type": "text", "text": "You are a Rocket League coach.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "The player is on the orange team today."},
        ])
    );
    assert_eq!(
        seen.body["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "How was my last session?"}]}])
    );
    assert_eq!(seen.body["tools"][0]["name"], "recent_games");
    assert_eq!(seen.body["tools"][0]["input_schema"]["type"], "object");
}

#[tokio::test]
async fn a_tool_use_block_is_one_tool_call_with_its_json_fragments_joined() {
    let fragment = |partial: &str| {
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": partial}})
            .to_string()
    };
    let (f0, f1, f2, f3) = (
        fragment(""),
        fragment("{\"n\": 5"),
        fragment(", \"playlist\""),
        fragment(": \"ranked-doubles\"}"),
    );
    let d = text_delta("Let me look at your games.");
    let body = anthropic_events(&[
        ("message_start", MESSAGE_START),
        ("content_block_start", TEXT_BLOCK_START),
        ("content_block_delta", &d),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"recent_games","input":{}}}"#,
        ),
        ("content_block_delta", &f0),
        ("content_block_delta", &f1),
        ("ping", PING),
        ("content_block_delta", &f2),
        ("content_block_delta", &f3),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":1}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url).stream(request()).await.unwrap();
    let (frames, error) = split(collect(stream).await);

    assert!(error.is_none(), "{error:?}");
    let calls: Vec<_> = frames
        .iter()
        .filter(|f| matches!(f, Frame::ToolCall { .. }))
        .collect();
    assert_eq!(
        calls,
        [&Frame::ToolCall {
            id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
            name: "recent_games".into(),
            arguments_json: r#"{"n": 5, "playlist": "ranked-doubles"}"#.into(),
        }]
    );
    assert_eq!(frames.last(), Some(&Frame::Stop(StopReason::ToolUse)));
}

#[tokio::test]
async fn a_max_tokens_cut_off_stops_with_max_tokens_and_reports_usage() {
    let d = text_delta("Your kickoffs were");
    let body = anthropic_events(&[
        ("message_start", MESSAGE_START),
        ("content_block_start", TEXT_BLOCK_START),
        ("content_block_delta", &d),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":1024}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url).stream(request()).await.unwrap();
    let (frames, error) = split(collect(stream).await);

    assert!(error.is_none(), "{error:?}");
    assert_eq!(frames.last(), Some(&Frame::Stop(StopReason::MaxTokens)));
    assert!(
        frames
            .iter()
            .any(|f| matches!(f, Frame::Usage(u) if u.output_tokens == 1024))
    );
}

#[tokio::test]
async fn an_overloaded_error_event_mid_stream_ends_it_with_a_typed_stream_error() {
    let d = text_delta("Your");
    let body = anthropic_events(&[
        ("message_start", MESSAGE_START),
        ("content_block_start", TEXT_BLOCK_START),
        ("content_block_delta", &d),
        (
            "error",
            r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#,
        ),
    ]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url).stream(request()).await.unwrap();
    let (frames, error) = split(collect(stream).await);

    assert_eq!(text(&frames), "Your");
    match error {
        Some(ProviderError::Stream { kind, message }) => {
            assert_eq!(kind, "overloaded_error");
            assert_eq!(message, "Overloaded");
        }
        other => panic!("expected a stream error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_429_response_is_an_http_error_with_the_providers_type_message_and_retry_after() {
    let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#;
    let server = spawn(Reply::Status(429, vec![("retry-after", "17")], body.into())).await;
    let error = provider(&server.base_url)
        .stream(request())
        .await
        .err()
        .expect("a 429 opens no stream");

    match error {
        ProviderError::Http {
            status,
            kind,
            message,
            retry_after,
        } => {
            assert_eq!(status, 429);
            assert_eq!(kind, "rate_limit_error");
            assert!(message.starts_with("Number of request tokens"));
            assert_eq!(retry_after, Some(Duration::from_secs(17)));
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_500_with_a_non_json_body_is_an_http_error_with_the_body_as_message() {
    let server = spawn(Reply::Status(500, vec![], "upstream exploded".into())).await;
    let error = provider(&server.base_url)
        .stream(request())
        .await
        .err()
        .expect("a 500 opens no stream");

    match error {
        ProviderError::Http {
            status,
            kind,
            message,
            ..
        } => {
            assert_eq!((status, kind.as_str()), (500, "unknown"));
            assert_eq!(message, "upstream exploded");
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_connection_dropped_mid_stream_is_truncated_with_the_input_usage_known_so_far() {
    let d = text_delta("Your last");
    let partial = anthropic_events(&[
        ("message_start", MESSAGE_START),
        ("content_block_start", TEXT_BLOCK_START),
        ("content_block_delta", &d),
    ]);
    // And half an event, as a real cut would leave it.
    let partial = format!("{partial}event: content_block_delta\ndata: {{\"type\":\"content_bl");
    let server = spawn(Reply::Cut(partial)).await;
    let stream = provider(&server.base_url).stream(request()).await.unwrap();
    let (frames, error) = split(collect(stream).await);

    assert_eq!(text(&frames), "Your last");
    match error {
        Some(ProviderError::Truncated {
            partial_usage,
            source,
            ..
        }) => {
            assert!(source.is_some(), "the body error is kept as the source");
            let usage = partial_usage.expect("message_start gave the input usage");
            assert_eq!(usage.input_tokens, 25);
            assert_eq!(usage.cache_read_tokens, 3400);
            assert_eq!(usage.cache_write_tokens, 1200);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[tokio::test]
async fn a_body_that_ends_cleanly_before_message_stop_is_truncated() {
    let d = text_delta("Your last");
    let partial = anthropic_events(&[
        ("message_start", MESSAGE_START),
        ("content_block_start", TEXT_BLOCK_START),
        ("content_block_delta", &d),
    ]);
    let server = spawn(Reply::Sse(partial)).await;
    let stream = provider(&server.base_url).stream(request()).await.unwrap();
    let (_, error) = split(collect(stream).await);

    assert!(
        matches!(error, Some(ProviderError::Truncated { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_stream_that_goes_silent_is_truncated_after_the_idle_timeout_instead_of_hanging() {
    let partial = anthropic_events(&[("message_start", MESSAGE_START)]);
    let server = spawn(Reply::Stall(partial)).await;
    let stream = provider(&server.base_url).stream(request()).await.unwrap();
    let (_, error) = split(collect(stream).await);

    assert!(
        matches!(error, Some(ProviderError::Truncated { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_a_transport_error() {
    // Bind then drop a listener so the port is very likely closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let error = provider(&format!("http://{addr}"))
        .stream(request())
        .await
        .err()
        .expect("nothing listens");

    assert!(matches!(error, ProviderError::Transport(_)), "{error:?}");
}

#[tokio::test]
async fn the_api_key_never_appears_in_debug_output() {
    let config = AnthropicConfig::new("http://localhost", ApiKey::new("sk-ant-secret"));
    assert!(!format!("{config:?}").contains("sk-ant-secret"));
}

#[tokio::test]
async fn an_attached_image_is_sent_as_a_base64_image_block_after_the_text() {
    let server = spawn(Reply::Sse(text_answer())).await;
    let mut req = request();
    req.messages = vec![filmroom_coach::Message {
        role: filmroom_coach::Role::User,
        parts: vec![
            filmroom_coach::Part::Text("What do you see on this chart?".into()),
            filmroom_coach::Part::Image {
                media_type: "image/png".into(),
                data_base64: "iVBORw0KGgo=".into(),
            },
        ],
    }];
    let stream = provider(&server.base_url).stream(req).await.unwrap();
    collect(stream).await;

    let seen = server.only_request();
    assert_eq!(
        seen.body["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "What do you see on this chart?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        ]}])
    );
}
