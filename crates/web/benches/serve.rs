//! `cargo bench -p filmroom-web --bench serve`: the app on loopback, measured
//! from the outside. It prints numbers; nothing asserts a time.
//!
//! 1. Upload-to-analysed latency: 10 uploaders at once, each sending its
//!    replays one by one and waiting until each is analysed.
//! 2. Requests per second on the games-list API and the game API (with the
//!    full analysis), 8 clients at once for 3 s each.
//! 3. 300 open job-event streams of one user: this process's CPU time over
//!    5 s while they sit open, then how long one upload's `done` event takes
//!    to reach all of them (Linux: CPU from /proc/self/stat).

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use filmroom_web::Config;
use serde_json::Value;
use support::percentile;

const UPLOADERS: usize = 10;
const PER_UPLOADER: usize = 4;
const CLIENTS: usize = 8;
const RUN_FOR: Duration = Duration::from_secs(3);
const STREAMS: usize = 300;
const STREAMS_IDLE_FOR: Duration = Duration::from_secs(5);

/// This process's user plus system CPU time, in clock ticks (100 per second).
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

async fn event_streams(http: &reqwest::Client, base: &str, token: &str) {
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        let Ok(mut stream) = http
            .get(format!("{base}/api/v1/events"))
            .bearer_auth(token)
            .send()
            .await
        else {
            println!("event streams: opening one failed");
            return;
        };
        // The first chunk is the user's jobs: the stream is live after it.
        let _ = stream.chunk().await;
        streams.push(stream);
    }
    let before = cpu_ticks();
    tokio::time::sleep(STREAMS_IDLE_FOR).await;
    if let (Some(before), Some(after)) = (before, cpu_ticks()) {
        #[allow(clippy::cast_precision_loss)]
        let percent = (after - before) as f64 / STREAMS_IDLE_FOR.as_secs_f64();
        println!("{STREAMS} open event streams of one user, idle: {percent:.1}% of one core");
    }
    let Some(path) = corpus().into_iter().last() else {
        return;
    };
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    let started = Instant::now();
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(bytes).file_name("fan-out.replay"),
    );
    let Ok(uploaded) = http
        .post(format!("{base}/api/v1/replays"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
    else {
        return;
    };
    let body: Value = uploaded.json().await.unwrap_or_default();
    let Some(game) = body["uploads"][0]["game_id"].as_str().map(str::to_owned) else {
        println!("event streams: the upload was refused: {body}");
        return;
    };
    let mut waits = Vec::new();
    for mut stream in streams {
        let game = game.clone();
        waits.push(tokio::spawn(async move {
            let mut seen = String::new();
            while !(seen.contains(&game) && seen.contains("\"state\":\"done\"")) {
                match stream.chunk().await {
                    Ok(Some(chunk)) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                    _ => return None,
                }
            }
            Some(started.elapsed())
        }));
    }
    let mut latencies = Vec::new();
    for wait in waits {
        if let Ok(Some(latency)) = wait.await {
            latencies.push(latency);
        }
    }
    latencies.sort();
    println!(
        "one upload's done event on {} of {STREAMS} streams: last after {:.0} ms (upload and analysis included)",
        latencies.len(),
        percentile(&latencies, 1.0).as_secs_f64() * 1000.0,
    );
}

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/replays/corpus"
    ));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "replay"))
        .collect();
    files.sort();
    files
}

async fn upload_and_wait(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &PathBuf,
) -> Option<Duration> {
    let bytes = std::fs::read(path).ok()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    let started = Instant::now();
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(bytes).file_name(name),
    );
    let response = http
        .post(format!("{base}/api/v1/replays"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    let id = body["uploads"][0]["game_id"].as_str()?.to_owned();
    loop {
        let game: Value = http
            .get(format!("{base}/api/v1/games/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        match game["game"]["state"].as_str() {
            Some("done") => return Some(started.elapsed()),
            Some("dead") => return None,
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn requests_per_second(http: &reqwest::Client, url: String, token: &str) -> f64 {
    support::load(http, &url, Some(token), CLIENTS, RUN_FOR)
        .await
        .requests_per_second
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut config = Config::default();
    config.storage.data_dir = dir.path().to_path_buf();
    config.jobs.poll_interval_ms = 50;
    config.limits.max_event_streams_per_user = STREAMS;
    // Every client here is one address, like behind a proxy.
    config.server.max_connections_per_address = 0;
    let workers = config.jobs.workers;
    let (app, base, _user) = support::app_with_user(config).await;
    let token = support::TOKEN;
    tokio::spawn(app.serve(std::future::pending()));

    let http = reqwest::Client::new();
    let files = corpus();
    let mut uploaders = Vec::new();
    let started = Instant::now();
    for u in 0..UPLOADERS {
        let mine: Vec<PathBuf> = files
            .iter()
            .skip(u)
            .step_by(UPLOADERS)
            .take(PER_UPLOADER)
            .cloned()
            .collect();
        let (http, base) = (http.clone(), base.clone());
        uploaders.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for path in &mine {
                if let Some(latency) = upload_and_wait(&http, &base, token, path).await {
                    latencies.push(latency);
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for uploader in uploaders {
        latencies.extend(uploader.await.unwrap_or_default());
    }
    let wall = started.elapsed();
    latencies.sort();
    println!(
        "upload-to-analysed, {UPLOADERS} uploaders, {workers} workers: {} replays in {:.2} s; latency per replay median {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        latencies.len(),
        wall.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.95).as_secs_f64() * 1000.0,
        percentile(&latencies, 1.0).as_secs_f64() * 1000.0,
    );

    let list = requests_per_second(&http, format!("{base}/api/v1/games"), token).await;
    println!(
        "GET /api/v1/games ({} games), {CLIENTS} clients: {list:.0} requests/s",
        latencies.len()
    );
    let games: Value = http
        .get(format!("{base}/api/v1/games"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(id) = games["games"][0]["id"].as_str() {
        let one = requests_per_second(&http, format!("{base}/api/v1/games/{id}"), token).await;
        println!(
            "GET /api/v1/games/{{id}} (full analysis), {CLIENTS} clients: {one:.0} requests/s"
        );
    }

    event_streams(&http, &base, token).await;
}
