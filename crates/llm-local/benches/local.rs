//! Time to first token (for a short coaching question and for a ~1200-token system
//! prompt) and generation throughput of the bundled SmolLM2-135M. Needs the model
//! (`scripts/setup`). `examples/speed.rs` gives rougher numbers in less time.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use filmroom_coach::{ChatRequest, Frame, Message, Provider, SystemBlock};
use filmroom_llm_local::{LocalModel, LocalModelConfig, find_smollm2};
use futures_util::StreamExt;

const GENERATED: u32 = 32;

fn request(max_tokens: u32) -> ChatRequest {
    with_system("You are a Rocket League coach.".into(), max_tokens)
}

/// The same question after a coaching system prompt of about 1200 tokens.
fn long_request(max_tokens: u32) -> ChatRequest {
    let mut system = String::from("You are a Rocket League coach. Use these notes.\n");
    for i in 1..=40 {
        system.push_str(&format!(
            "Note {i}: rotate back post when a teammate challenges, keep boost above \
             thirty, and shadow the ball carrier instead of diving in.\n"
        ));
    }
    with_system(system, max_tokens)
}

fn with_system(system: String, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        model: "smollm2".into(),
        system: vec![SystemBlock {
            text: system,
            cacheable: true,
        }],
        messages: vec![Message::user(
            "Write a detailed plan to practise aerials, step by step.",
        )],
        tools: vec![],
        max_tokens,
    }
}

/// Runs one request; returns the time to the first text and the output tokens.
async fn run(model: &LocalModel, req: ChatRequest) -> (Duration, u64) {
    let start = Instant::now();
    let mut first = None;
    let mut output = 0;
    let Ok(mut frames) = model.stream(req).await else {
        panic!("the request was refused");
    };
    while let Some(frame) = frames.next().await {
        match frame {
            Ok(Frame::TextDelta(_)) => {
                first.get_or_insert_with(|| start.elapsed());
            }
            Ok(Frame::Usage(u)) => output = u.output_tokens,
            Ok(_) => {}
            Err(e) => panic!("generation failed: {e}"),
        }
    }
    (first.unwrap_or_else(|| start.elapsed()), output)
}

fn local(c: &mut Criterion) {
    let Some(path) = find_smollm2() else {
        panic!("SmolLM2 not found: run scripts/setup");
    };
    let model = match LocalModel::load(LocalModelConfig::new(path)) {
        Ok(model) => model,
        Err(e) => panic!("could not load SmolLM2: {e}"),
    };
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
        panic!("no tokio runtime");
    };
    // The model must not stop early, or tokens/s would be computed over fewer tokens.
    let (_, produced) = rt.block_on(run(&model, request(GENERATED)));
    assert_eq!(produced, u64::from(GENERATED), "the answer ended early");

    let mut group = c.benchmark_group("smollm2_135m");
    group.sample_size(10);
    group.bench_function("time_to_first_token", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.block_on(run(&model, request(1))).0)
                .sum::<Duration>()
        })
    });
    group.bench_function("time_to_first_token_long_prompt", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.block_on(run(&model, long_request(1))).0)
                .sum::<Duration>()
        })
    });
    group.throughput(Throughput::Elements(u64::from(GENERATED)));
    group.bench_function("generate_32_tokens", |b| {
        b.iter(|| rt.block_on(run(&model, request(GENERATED))))
    });
    group.finish();
}

criterion_group!(benches, local);
criterion_main!(benches);
