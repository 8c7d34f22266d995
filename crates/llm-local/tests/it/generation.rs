use std::time::Duration;

use filmroom_coach::{Frame, Provider, StopReason, Usage};
use filmroom_llm_local::{LocalModel, LocalModelConfig, render_chatml};
use futures_util::StreamExt;

use crate::{collect, frames, question, smollm2, smollm2_path, text_of};

#[tokio::test]
async fn smollm2_answers_with_english_text_in_several_deltas_then_usage_and_stop() {
    let model = smollm2();
    let req = question("What is the capital of France?", 40);
    let got = frames(collect(model.stream(req.clone()).await.unwrap()).await);

    let deltas = got
        .iter()
        .filter(|f| matches!(f, Frame::TextDelta(_)))
        .count();
    assert!(deltas >= 2, "expected several deltas, got {got:?}");
    let text = text_of(&got);
    assert!(
        text.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 3,
        "expected English text, got {text:?}"
    );
    assert!(text.contains("Paris"), "{text:?}");

    // Text first, then exactly one Usage and one Stop.
    let (tail, _) = got.split_at(got.len() - 2);
    assert!(tail.iter().all(|f| matches!(f, Frame::TextDelta(_))));
    let prompt = model
        .tokenizer()
        .encode_chatml(&render_chatml(&req))
        .unwrap();
    assert_eq!(prompt, model.prompt_tokens(&req).unwrap());
    let Frame::Usage(usage) = &got[got.len() - 2] else {
        panic!("expected Usage, got {got:?}");
    };
    assert_eq!(usage.input_tokens, prompt.len() as u64);
    assert!(usage.output_tokens >= deltas as u64 && usage.output_tokens <= 40);
    assert_eq!((usage.cache_read_tokens, usage.cache_write_tokens), (0, 0));
    let Frame::Stop(stop) = &got[got.len() - 1] else {
        panic!("expected Stop, got {got:?}");
    };
    match stop {
        StopReason::EndTurn => assert!(usage.output_tokens < 40),
        StopReason::MaxTokens => assert_eq!(usage.output_tokens, 40),
        other => panic!("unexpected stop {other:?}"),
    }
}

#[tokio::test]
async fn greedy_generation_gives_the_same_answer_twice() {
    let model = smollm2();
    let req = question("Name three colours.", 24);
    let first = frames(collect(model.stream(req.clone()).await.unwrap()).await);
    let second = frames(collect(model.stream(req).await.unwrap()).await);
    assert!(!text_of(&first).is_empty());
    assert_eq!(first, second);
}

#[tokio::test]
async fn an_answer_cut_at_five_tokens_stops_with_max_tokens_after_five_output_tokens() {
    let model = smollm2();
    let req = question("Write a long story about a football match.", 5);
    let got = frames(collect(model.stream(req.clone()).await.unwrap()).await);
    let usage = got.iter().find_map(|f| match f {
        Frame::Usage(u) => Some(*u),
        _ => None,
    });
    assert_eq!(
        usage,
        Some(Usage {
            input_tokens: model.prompt_tokens(&req).unwrap().len() as u64,
            output_tokens: 5,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
        })
    );
    assert_eq!(got.last(), Some(&Frame::Stop(StopReason::MaxTokens)));
}

#[tokio::test]
async fn dropping_the_stream_frees_the_model_for_the_next_request() {
    let model = smollm2();
    let long = question("Count from 1 to 500, one number per line.", 1500);
    let mut stream = model.stream(long).await.unwrap();
    assert!(matches!(stream.next().await, Some(Ok(Frame::TextDelta(_)))));
    drop(stream);

    // Had the first generation gone on, it would hold the model for minutes.
    let next = model.stream(question("Say hi.", 3)).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(120), collect(next))
        .await
        .expect("the abandoned generation kept the model");
    assert!(matches!(got.last(), Some(Ok(Frame::Stop(_)))));
}

#[tokio::test]
async fn the_weights_are_expanded_by_default_and_the_quantized_ones_still_answer() {
    let config = LocalModelConfig::new(smollm2_path());
    assert!(config.dequantize);
    let quantized = LocalModel::load(LocalModelConfig {
        dequantize: false,
        ..config
    })
    .unwrap();
    let req = question("What is the capital of France?", 12);
    let got = frames(collect(quantized.stream(req).await.unwrap()).await);
    assert!(text_of(&got).contains("Paris"), "{got:?}");
}
