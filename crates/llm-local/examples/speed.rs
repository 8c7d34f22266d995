//! A quick speed check of the bundled SmolLM2-135M, quicker than the criterion bench
//! (a few runs of each): load time and resident memory, time to the first token for
//! a short question and for a ~1000-token system prompt, and generation speed.
//!
//! ```text
//! cargo run --release -p filmroom-llm-local --example speed [-- RUNS [quantized]]
//! ```
//!
//! `quantized` loads with `dequantize: false` (candle's quantized kernels), to
//! compare.

use std::time::{Duration, Instant};

use filmroom_coach::{ChatRequest, Frame, Message, Provider, SystemBlock};
use filmroom_llm_local::{LocalModel, LocalModelConfig, find_smollm2};
use futures_util::StreamExt;

const GENERATED: u32 = 64;

fn request(system: &str, question: &str, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        model: "smollm2".into(),
        system: vec![SystemBlock {
            text: system.into(),
            cacheable: true,
        }],
        messages: vec![Message::user(question)],
        tools: vec![],
        max_tokens,
    }
}

/// A coaching system prompt of about 1000 tokens.
fn long_system() -> String {
    let mut text = String::from("You are a Rocket League coach. Use these notes.\n");
    for i in 1..=40 {
        text.push_str(&format!(
            "Note {i}: rotate back post when a teammate challenges, keep boost above \
             thirty, and shadow the ball carrier instead of diving in.\n"
        ));
    }
    text
}

/// Time to the first text, output tokens, and total time.
async fn run(model: &LocalModel, req: ChatRequest) -> Result<(Duration, u64, Duration), String> {
    let start = Instant::now();
    let mut first = None;
    let mut output = 0;
    let mut frames = model.stream(req).await.map_err(|e| e.to_string())?;
    while let Some(frame) = frames.next().await {
        match frame.map_err(|e| e.to_string())? {
            Frame::TextDelta(_) => {
                first.get_or_insert_with(|| start.elapsed());
            }
            Frame::Usage(u) => output = u.output_tokens,
            _ => {}
        }
    }
    Ok((
        first.unwrap_or_else(|| start.elapsed()),
        output,
        start.elapsed(),
    ))
}

/// `VmRSS` and `VmHWM` (peak) from /proc, in MiB, where there is one.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().trim_end_matches(" kB").trim().to_string())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or_else(|| "?".to_string(), |kb| format!("{} MiB", kb / 1024))
    };
    format!("rss {} (peak {})", field("VmRSS:"), field("VmHWM:"))
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs.get(xs.len() / 2).copied().unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3);
    let dequantize = std::env::args().nth(2).as_deref() != Some("quantized");
    let path = find_smollm2().ok_or("SmolLM2 not found: run scripts/setup")?;
    println!("dequantize: {dequantize}, before load: {}", memory());
    let start = Instant::now();
    let mut config = LocalModelConfig::new(path);
    config.dequantize = dequantize;
    let model = LocalModel::load(config)?;
    println!("load: {:.2?}, {}", start.elapsed(), memory());
    let rt = tokio::runtime::Builder::new_current_thread().build()?;

    let short = request(
        "You are a Rocket League coach.",
        "Write a detailed plan to practise aerials, step by step.",
        1,
    );
    let system = long_system();
    let long = request(&system, "Which note matters most?", 1);
    println!(
        "prompts: short {} tokens, long {} tokens",
        model.prompt_tokens(&short)?.len(),
        model.prompt_tokens(&long)?.len()
    );
    for (name, req) in [("short", short.clone()), ("long", long)] {
        let mut ttft = Vec::new();
        for _ in 0..runs {
            ttft.push(rt.block_on(run(&model, req.clone()))?.0);
        }
        println!(
            "time to first token, {name} prompt: median {:.2?} of {ttft:.2?}",
            median(ttft.clone())
        );
    }
    let mut rates = Vec::new();
    for _ in 0..runs {
        let mut req = short.clone();
        req.max_tokens = GENERATED;
        let (first, output, total) = rt.block_on(run(&model, req))?;
        let after_first = total.saturating_sub(first).as_secs_f64();
        if output > 1 && after_first > 0.0 {
            rates.push((output - 1) as f64 / after_first);
        }
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "generation: median {:.1} tokens/s of {rates:.1?} ({GENERATED} tokens)",
        rates.get(rates.len() / 2).copied().unwrap_or_default()
    );
    println!("end: {}", memory());
    Ok(())
}
