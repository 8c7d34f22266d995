//! `cargo bench -p filmroom --bench talk --profile test`: the whole analysis
//! of a 10-minute talk the way the binary runs it. A real `filmroom serve`
//! takes the talk (WebM with Opus audio, as a phone records it) through
//! `POST /api/v1/recordings`; its worker decodes it with ffmpeg, measures
//! voice, pauses, pitch and volume, hears the words with Whisper tiny.en
//! (crates/asr, the model `scripts/setup` installs) and scores them. The
//! same file then goes to a second server without a speech model (audio-only
//! analysis: no words, no score), so both are measured in one run. Each
//! server is fresh: its peak resident memory (VmHWM) is the analysis's.
//! Prints numbers; asserts nothing about time. Needs espeak-ng, sox, ffmpeg.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SCRIPT: &str = "So, today I want to share what our team learned this year. \
    The quarterly numbers look strong, and we delivered every feature on time. \
    Our customers asked for faster reports, like, every single week. \
    We plan to grow the team next spring and open a second office.";

/// The talk's length: ten minutes.
const LENGTH_S: f64 = 600.0;

fn run(cmd: &mut Command) {
    let status = cmd.status().unwrap();
    assert!(status.success(), "{cmd:?}");
}

/// The script spoken by espeak-ng with 1.5 s after it, repeated to ten
/// minutes, as WebM (Opus, 48 kHz). Its length in seconds.
fn ten_minute_talk(dir: &Path) -> (std::path::PathBuf, f64) {
    let (raw, one) = (dir.join("raw.wav"), dir.join("one.wav"));
    run(Command::new("espeak-ng")
        .args(["-s", "140", "-w"])
        .arg(&raw)
        .arg(SCRIPT));
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "48000", "-c", "1"])
        .arg(&one)
        .args(["pad", "0", "1.5"]));
    let seconds: f64 = String::from_utf8(
        Command::new("soxi")
            .arg("-D")
            .arg(&one)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    let repeats = (LENGTH_S / seconds).ceil() as usize;
    let wav = dir.join("talk.wav");
    run(Command::new("sox")
        .arg(&one)
        .arg(&wav)
        .args(["repeat", &(repeats - 1).to_string()]));
    let webm = dir.join("talk.webm");
    run(Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(&wav)
        .args(["-c:a", "libopus", "-b:a", "48k"])
        .arg(&webm));
    (webm, seconds * repeats as f64)
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

/// A `/proc/PID/status` field in MiB (`VmHWM`: the peak resident set).
fn status_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// `filmroom serve` on a fresh data directory; `speech` false points the
/// speech model at nothing, so talks are measured from their audio only.
async fn start_server(data: &Path, speech: bool) -> Server {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_filmroom"));
    command
        .arg("serve")
        .env("FILMROOM__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("FILMROOM__STORAGE__DATA_DIR", data)
        .env("FILMROOM__LOG__FILTER", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if !speech {
        command.env("FILMROOM_ASR_MODEL", data.join("no-speech-model"));
    }
    let child = command.spawn().expect("the filmroom binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
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

/// Signs up through the pages and makes an API token.
async fn api_token(base: &str) -> String {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(format!("{base}/signup")).send().await.unwrap();
    let csrf = between(&page.text().await.unwrap(), "name=\"csrf\" value=\"", "\"");
    client
        .post(format!("{base}/signup"))
        .form(&[
            ("username", "bench"),
            ("password", "correct horse battery"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let page = client.get(format!("{base}/account")).send().await.unwrap();
    let csrf = between(&page.text().await.unwrap(), "name=\"csrf\" value=\"", "\"");
    let token: Value = client
        .post(format!("{base}/api/v1/tokens"))
        .header("X-CSRF-Token", csrf)
        .json(&json!({ "name": "bench" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["secret"].as_str().unwrap().to_owned()
}

struct Measured {
    seconds: f64,
    peak_mib: f64,
    idle_mib: f64,
    detail: Value,
}

/// Uploads the talk and waits for its job to end: the time from the stored
/// upload to the finished analysis, and the server's peak memory.
async fn analyse(server: &Server, talk: &Path) -> Measured {
    let token = api_token(&server.base).await;
    let client = reqwest::Client::new();
    let idle_mib = status_mib(server.child.id(), "VmHWM:");
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(std::fs::read(talk).unwrap()).file_name("talk.webm"),
    );
    let body: Value = client
        .post(format!("{}/api/v1/recordings", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let started = Instant::now();
    let id = body["recordings"][0]["recording_id"]
        .as_str()
        .unwrap_or_else(|| panic!("not stored: {body}"))
        .to_owned();
    let detail = loop {
        let detail: Value = client
            .get(format!("{}/api/v1/recordings/{id}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if detail["state"] == "done" || detail["state"] == "failed" || detail["state"] == "dead" {
            break detail;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    Measured {
        seconds: started.elapsed().as_secs_f64(),
        peak_mib: status_mib(server.child.id(), "VmHWM:"),
        idle_mib,
        detail,
    }
}

fn metric(detail: &Value, key: &str) -> String {
    detail["metrics"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["key"] == key))
        .and_then(|m| m["value"].as_f64())
        .map(|v| format!("{v:.1}"))
        .unwrap_or_else(|| "none".to_owned())
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (talk, length_s) = ten_minute_talk(dir.path());
    let size_mb = std::fs::metadata(&talk).unwrap().len() as f64 / 1e6;
    println!("talk: {length_s:.0} s of espeak-ng speech as WebM/Opus ({size_mb:.1} MB)");
    for (name, speech) in [("with Whisper tiny.en", true), ("audio only", false)] {
        let data = dir.path().join(if speech { "whisper" } else { "audio" });
        std::fs::create_dir_all(&data).unwrap();
        let server = start_server(&data, speech).await;
        let m = analyse(&server, &talk).await;
        let words: usize = m.detail["passages"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(|p| p["text"].as_str())
                    .map(|t| t.split_whitespace().count())
                    .sum()
            })
            .unwrap_or(0);
        println!(
            "{name}: job {} in {:.1} s, real-time factor {:.3} ({:.1}x faster than real time); \
             server peak RSS {:.0} MiB ({:.0} MiB before the upload); \
             {words} words in passages, pace.wpm {}, score {}{}",
            m.detail["state"].as_str().unwrap_or("?"),
            m.seconds,
            m.seconds / length_s,
            length_s / m.seconds,
            m.peak_mib,
            m.idle_mib,
            metric(&m.detail, "pace.wpm"),
            metric(&m.detail, "score"),
            m.detail["error"]
                .as_str()
                .map(|e| format!(" (error: {e})"))
                .unwrap_or_default(),
        );
    }
}
