//! The OpenAI-compatible client against Chat Completions' documented chunk stream.

use std::time::Duration;

use filmroom_coach::{
    ApiKey, ChatRequest, Frame, Message, OpenAiCompatConfig, OpenAiCompatProvider, Part, Provider,
    ProviderError, Role, StopReason, SystemBlock, ToolDefinition, Usage,
};
use serde_json::json;

use crate::support::{Reply, collect, openai_chunks, spawn, split, text};

fn provider(base_url: &str, key: Option<&str>) -> OpenAiCompatProvider {
    let mut config = OpenAiCompatConfig::new(base_url, key.map(ApiKey::new));
    config.idle_timeout = Duration::from_millis(300);
    OpenAiCompatProvider::new(config).unwrap()
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "gpt-4o-mini".into(),
        system: vec![SystemBlock {
            text: "You are a Rocket League coach.".into(),
            cacheable: true,
        }],
        messages: vec![
            Message::user("How was my last session?"),
            Message {
                role: Role::Assistant,
                parts: vec![Part::ToolCall {
                    id: "call_1".into(),
                    name: "recent_games".into(),
                    arguments_json: r#"{"n":1}"#.into(),
                }],
            },
            Message {
                role: Role::User,
                parts: vec![Part::ToolResult {
                    tool_call_id: "call_1".into(),
                    content: r#"[{"game":"g1","goals":2}]"#.into(),
                    is_error: false,
                }],
            },
        ],
        tools: vec![ToolDefinition {
            name: "recent_games".into(),
            description: "The player's most recent games".into(),
            input_schema: json!({"type": "object", "properties": {"n": {"type": "integer"}}}),
        }],
        max_tokens: 512,
    }
}

/// One chunk in OpenAI's shape, with the envelope fields a real server sends.
fn chunk(choices: serde_json::Value, usage: serde_json::Value) -> String {
    json!({
        "id": "chatcmpl-AX1", "object": "chat.completion.chunk", "created": 1_732_000_000,
        "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_0ba0d124f1",
        "choices": choices, "usage": usage,
    })
    .to_string()
}

fn content(text: &str) -> String {
    chunk(
        json!([{"index": 0, "delta": {"content": text}, "logprobs": null, "finish_reason": null}]),
        json!(null),
    )
}

fn finish(reason: &str) -> String {
    chunk(
        json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": reason}]),
        json!(null),
    )
}

fn usage_chunk() -> String {
    chunk(
        json!([]),
        json!({
            "prompt_tokens": 1200, "completion_tokens": 9, "total_tokens": 1209,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }),
    )
}

fn role() -> String {
    chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]),
        json!(null),
    )
}

#[tokio::test]
async fn a_text_answer_streams_its_text_a_stop_and_the_usage_with_cached_tokens_apart() {
    let body = openai_chunks(&[
        &role(),
        &content("You won"),
        &content(" 3 of 4."),
        &finish("stop"),
        &usage_chunk(),
        "[DONE]",
    ]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url, Some("sk-test"))
        .stream(request())
        .await
        .unwrap();
    let (frames, error) = split(collect(stream).await);

    assert!(error.is_none(), "{error:?}");
    assert_eq!(text(&frames), "You won 3 of 4.");
    assert!(frames.contains(&Frame::Stop(StopReason::EndTurn)));
    assert_eq!(
        frames.last(),
        Some(&Frame::Usage(Usage {
            input_tokens: 176,
            output_tokens: 9,
            cache_read_tokens: 1024,
            cache_write_tokens: 0,
        }))
    );
}

#[tokio::test]
async fn the_request_asks_for_streaming_with_usage_and_carries_the_bearer_key() {
    let body = openai_chunks(&[&content("Hi"), &finish("stop"), &usage_chunk(), "[DONE]"]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url, Some("sk-test"))
        .stream(request())
        .await
        .unwrap();
    collect(stream).await;

    let seen = server.only_request();
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(seen.headers["authorization"], "Bearer sk-test");
    assert_eq!(seen.body["stream"], true);
    assert_eq!(seen.body["stream_options"], json!({"include_usage": true}));
    assert_eq!(seen.body["max_tokens"], 512);
    assert_eq!(
        seen.body["messages"],
        json!([
            {"role": "system", "content": "You are a Rocket League coach."},
            {"role": "user", "content": "How was my last session?"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "recent_games", "arguments": "{\"n\":1}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "[{\"game\":\"g1\",\"goals\":2}]"},
        ])
    );
    assert_eq!(seen.body["tools"][0]["type"], "function");
    assert_eq!(seen.body["tools"][0]["function"]["name"], "recent_games");
}

#[tokio::test]
async fn a_local_server_without_a_key_gets_no_authorization_header() {
    let body = openai_chunks(&[&content("Hi"), &finish("stop"), &usage_chunk(), "[DONE]"]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url, None)
        .stream(request())
        .await
        .unwrap();
    collect(stream).await;

    assert!(!server.only_request().headers.contains_key("authorization"));
}

#[tokio::test]
async fn tool_calls_split_across_chunks_are_joined_per_index() {
    let tool = |calls: serde_json::Value| {
        chunk(
            json!([{"index": 0, "delta": {"tool_calls": calls}, "logprobs": null, "finish_reason": null}]),
            json!(null),
        )
    };
    let body = openai_chunks(&[
        &chunk(
            json!([{"index": 0, "delta": {"role": "assistant", "content": null}, "logprobs": null, "finish_reason": null}]),
            json!(null),
        ),
        &tool(
            json!([{"index": 0, "id": "call_abc", "type": "function", "function": {"name": "recent_games", "arguments": ""}}]),
        ),
        &tool(json!([{"index": 0, "function": {"arguments": "{\"n\""}}])),
        &tool(
            json!([{"index": 1, "id": "call_def", "type": "function", "function": {"name": "stats_by_playlist", "arguments": ""}}]),
        ),
        &tool(json!([{"index": 0, "function": {"arguments": ": 5}"}}])),
        &tool(json!([{"index": 1, "function": {"arguments": "{\"playlist\": \"ranked-duel\"}"}}])),
        &finish("tool_calls"),
        &usage_chunk(),
        "[DONE]",
    ]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url, None)
        .stream(request())
        .await
        .unwrap();
    let (frames, error) = split(collect(stream).await);

    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        &frames[..3],
        &[
            Frame::ToolCall {
                id: "call_abc".into(),
                name: "recent_games".into(),
                arguments_json: r#"{"n": 5}"#.into(),
            },
            Frame::ToolCall {
                id: "call_def".into(),
                name: "stats_by_playlist".into(),
                arguments_json: r#"{"playlist": "ranked-duel"}"#.into(),
            },
            Frame::Stop(StopReason::ToolUse),
        ]
    );
}

#[tokio::test]
async fn a_length_finish_stops_with_max_tokens() {
    let body = openai_chunks(&[
        &content("Your rotations"),
        &finish("length"),
        &usage_chunk(),
        "[DONE]",
    ]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url, None)
        .stream(request())
        .await
        .unwrap();
    let (frames, error) = split(collect(stream).await);

    assert!(error.is_none(), "{error:?}");
    assert!(frames.contains(&Frame::Stop(StopReason::MaxTokens)));
}

#[tokio::test]
async fn a_stream_cut_before_its_usage_chunk_is_truncated_with_usage_unknown() {
    let partial = openai_chunks(&[&content("You won"), &finish("stop")]);
    let server = spawn(Reply::Cut(partial)).await;
    let stream = provider(&server.base_url, None)
        .stream(request())
        .await
        .unwrap();
    let (frames, error) = split(collect(stream).await);

    assert_eq!(text(&frames), "You won");
    match error {
        Some(ProviderError::Truncated {
            partial_usage,
            source,
            ..
        }) => {
            assert!(source.is_some(), "the body error is kept as the source");
            assert_eq!(partial_usage, None);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[tokio::test]
async fn a_done_marker_without_a_usage_chunk_is_truncated_too() {
    let body = openai_chunks(&[&content("You won"), &finish("stop"), "[DONE]"]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url, None)
        .stream(request())
        .await
        .unwrap();
    let (_, error) = split(collect(stream).await);

    assert!(
        matches!(error, Some(ProviderError::Truncated { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_openai_error_response_is_an_http_error_with_its_type_and_message() {
    let body = r#"{"error":{"message":"Rate limit reached for gpt-4o-mini","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
    let server = spawn(Reply::Status(429, vec![("retry-after", "2")], body.into())).await;
    let error = provider(&server.base_url, Some("sk-test"))
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
            assert_eq!((status, kind.as_str()), (429, "requests"));
            assert_eq!(message, "Rate limit reached for gpt-4o-mini");
            assert_eq!(retry_after, Some(Duration::from_secs(2)));
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_error_chunk_mid_stream_ends_it_with_a_typed_stream_error() {
    let body = openai_chunks(&[
        &content("You"),
        r#"{"error":{"message":"model overloaded","type":"server_error"}}"#,
    ]);
    let server = spawn(Reply::Sse(body)).await;
    let stream = provider(&server.base_url, None)
        .stream(request())
        .await
        .unwrap();
    let (_, error) = split(collect(stream).await);

    match error {
        Some(ProviderError::Stream { kind, message }) => {
            assert_eq!(
                (kind.as_str(), message.as_str()),
                ("server_error", "model overloaded")
            );
        }
        other => panic!("expected a stream error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout_not_a_hang() {
    let server = spawn(Reply::Silence).await;
    let provider = provider(&server.base_url, None);
    let call = provider.stream(request());
    let result = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("the call did not give up within 5 s");

    assert!(
        matches!(result, Err(ProviderError::Timeout { .. })),
        "{:?}",
        result.err()
    );
}

#[tokio::test]
async fn an_attached_image_is_sent_as_a_data_url_inside_a_content_array() {
    let body = openai_chunks(&[
        &content("A chart."),
        &finish("stop"),
        &usage_chunk(),
        "[DONE]",
    ]);
    let server = spawn(Reply::Sse(body)).await;
    let mut req = request();
    req.messages = vec![Message {
        role: Role::User,
        parts: vec![
            Part::Text("What do you see on this chart?".into()),
            Part::Image {
                media_type: "image/jpeg".into(),
                data_base64: "/9j/4AAQ".into(),
            },
        ],
    }];
    let stream = provider(&server.base_url, None).stream(req).await.unwrap();
    collect(stream).await;

    let seen = server.only_request();
    assert_eq!(
        seen.body["messages"][1],
        json!({"role": "user", "content": [
            {"type": "text", "text": "What do you see on this chart?"},
            {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
        ]})
    );
}
