//! `cargo bench -p filmroom-web --bench upload_memory`: the server's memory
//! while it receives 4 upload batches at once, each of the largest size
//! allowed. It prints numbers; nothing asserts a time or a size.
//!
//! The server runs in a child process (this same binary, started again with
//! `FILMROOM_BENCH_SERVER_DIR` set), so its peak RSS (`VmHWM`) is its own and
//! not the client's. Each batch is `BENCH_FILES - 1` valid replays padded
//! inside their network data to `BENCH_FILE_BYTES` (so they pass every check
//! until the end) and one broken file last, which refuses the whole batch:
//! the server must receive and check every byte, and stores nothing.
//!
//! Knobs (environment): `BENCH_BATCHES` (4), `BENCH_FILES` (files per batch,
//! default: as many as `limits.max_batch_bytes` allows, at most
//! `limits.max_files_per_batch`), `BENCH_FILE_BYTES` (9,900,000). `FILMROOM__*`
//! variables configure the server as usual.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use filmroom_web::Config;

const SERVER_ENV: &str = "FILMROOM_BENCH_SERVER_DIR";
use support::TOKEN;

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    if let Ok(dir) = std::env::var(SERVER_ENV) {
        run_server(PathBuf::from(dir));
        return;
    }
    run_client();
}

/// The child: the real app on loopback with no workers (only receiving is
/// measured), one account and token; prints its port and serves forever.
#[tokio::main]
async fn run_server(dir: PathBuf) {
    let mut config = Config::from_env(None).unwrap_or_else(|e| panic!("config: {e:#}"));
    config.storage.data_dir = dir;
    config.jobs.workers = 0;
    let (app, _, _) = support::app_with_user(config).await;
    println!("port {}", app.port());
    app.serve(std::future::pending())
        .await
        .unwrap_or_else(|e| panic!("serve: {e:#}"));
}

/// A real replay whose network data is padded with zeros so the whole file is
/// `target` bytes: its header and framing stay valid and declare that length.
fn padded_replay(source: &[u8], target: usize) -> Vec<u8> {
    let u32_at = |at: usize| {
        u32::from_le_bytes(
            source[at..at + 4]
                .try_into()
                .unwrap_or_else(|e| panic!("{e}")),
        ) as usize
    };
    let header_size = u32_at(0);
    let content_at = 8 + header_size + 8;
    // Content: levels (count, strings), keyframes (count, 12 bytes each),
    // then the network data's length and bytes.
    let mut at = content_at;
    let levels = u32_at(at);
    at += 4;
    for _ in 0..levels {
        let len = u32_at(at) as i32;
        at += 4 + if len < 0 {
            (-len as usize) * 2
        } else {
            len as usize
        };
    }
    let keyframes = u32_at(at);
    at += 4 + 12 * keyframes;
    let network_len_at = at;
    let network_len = u32_at(at);
    let network_end = at + 4 + network_len;
    let pad = target.saturating_sub(source.len());
    let mut out = Vec::with_capacity(target);
    out.extend_from_slice(&source[..network_len_at]);
    out.extend_from_slice(&((network_len + pad) as u32).to_le_bytes());
    out.extend_from_slice(&source[network_len_at + 4..network_end]);
    out.resize(out.len() + pad, 0);
    out.extend_from_slice(&source[network_end..]);
    let content_size = out.len() - content_at;
    out[8 + header_size..8 + header_size + 4].copy_from_slice(&(content_size as u32).to_le_bytes());
    out
}

fn proc_status_kb(pid: u32, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn spawn_server(dir: &Path) -> (Child, u16) {
    let mut child = Command::new(std::env::current_exe().unwrap_or_else(|e| panic!("{e}")))
        .env(SERVER_ENV, dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn server: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let port = line
        .trim()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("server said {line:?}"));
    (child, port)
}

#[tokio::main]
async fn run_client() {
    let config = Config::from_env(None).unwrap_or_else(|e| panic!("config: {e:#}"));
    let batches = env_usize("BENCH_BATCHES").unwrap_or(4);
    let file_bytes = env_usize("BENCH_FILE_BYTES").unwrap_or(9_900_000);
    // What one batch may hold: the per-batch byte limit where there is one.
    let files = env_usize("BENCH_FILES").unwrap_or_else(|| {
        let by_bytes =
            (config.limits.max_batch_bytes.saturating_sub(64 * 1024) / (file_bytes + 512)).max(1);
        config.limits.max_files_per_batch.min(by_bytes)
    });

    let source = std::fs::read(
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/replays/corpus"
        ))
        .join("00bb.replay"),
    )
    .unwrap_or_else(|e| panic!("corpus: {e}"));
    // One copy shared by every part of every request: the client stays small.
    let big: &'static [u8] = Box::leak(padded_replay(&source, file_bytes).into_boxed_slice());

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut child, port) = spawn_server(dir.path());
    let pid = child.id();
    let idle_kb = proc_status_kb(pid, "VmRSS:");

    let sampling = Arc::new(AtomicBool::new(true));
    let max_rss = Arc::new(AtomicU64::new(idle_kb));
    let sampler = {
        let (sampling, max_rss) = (sampling.clone(), max_rss.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                max_rss.fetch_max(proc_status_kb(pid, "VmRSS:"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };

    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/replays");
    let started = Instant::now();
    let mut requests = Vec::new();
    for _ in 0..batches {
        let (http, url) = (http.clone(), url.clone());
        requests.push(tokio::spawn(async move {
            let mut form = reqwest::multipart::Form::new();
            for n in 0..files.saturating_sub(1) {
                form = form.part(
                    "files",
                    reqwest::multipart::Part::bytes(big).file_name(format!("big-{n}.replay")),
                );
            }
            form = form.part(
                "files",
                reqwest::multipart::Part::bytes(&b"not a replay"[..]).file_name("broken.replay"),
            );
            match http
                .post(&url)
                .bearer_auth(TOKEN)
                .multipart(form)
                .send()
                .await
            {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap_or_default();
                    format!("{status} {}", body.chars().take(120).collect::<String>())
                }
                Err(error) => format!("error: {error}"),
            }
        }));
    }
    let mut outcomes = Vec::new();
    for request in requests {
        outcomes.push(request.await.unwrap_or_else(|e| format!("join: {e}")));
    }
    let wall = started.elapsed();
    // Whatever the allocator keeps after the requests: what stays held.
    std::thread::sleep(Duration::from_secs(2));
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let after_kb = proc_status_kb(pid, "VmRSS:");
    let hwm_kb = proc_status_kb(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();

    let mb = |kb: u64| kb as f64 / 1024.0;
    let sent = (files.saturating_sub(1) * file_bytes) as f64 / 1e6;
    println!(
        "{batches} concurrent batches of {files} files ({} x {file_bytes} B + 1 broken, {sent:.0} MB each) in {:.2} s",
        files.saturating_sub(1),
        wall.as_secs_f64()
    );
    for (n, outcome) in outcomes.iter().enumerate() {
        println!("  batch {n}: {outcome}");
    }
    println!(
        "server RSS: idle {:.0} MB, peak (VmHWM) {:.0} MB, peak sampled {:.0} MB, 2 s after {:.0} MB",
        mb(idle_kb),
        mb(hwm_kb),
        mb(max_rss.load(Ordering::Relaxed)),
        mb(after_kb)
    );
}
