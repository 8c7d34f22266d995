//! `filmroom serve` with `jobs.workers = 0` and separate `filmroom worker`
//! processes on one data directory, as an operator runs them: the real
//! binaries, real HTTP, a worker killed with SIGKILL in the middle of a job.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::corpus;
use crate::scratch;
use crate::serve::{free_port, jobs, sign_up_with_token, start_with};

/// A `filmroom worker` process; killed (SIGKILL) when dropped.
struct WorkerProc(Child);

impl WorkerProc {
    fn start(data: &Path, node: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_filmroom"))
            .arg("worker")
            .env("FILMROOM__STORAGE__DATA_DIR", data)
            .env("FILMROOM__JOBS__WORKERS", "1")
            .env("FILMROOM__JOBS__NODE", node)
            .env("FILMROOM__JOBS__POLL_INTERVAL_MS", "50")
            // Long: a killed worker's jobs must come back because its
            // process is gone, not because its lease ran out.
            .env("FILMROOM__JOBS__LEASE_SECS", "600")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }

    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for WorkerProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn live_nodes(base: &str) -> Vec<(String, u64)> {
    let status: Value = reqwest::get(format!("{base}/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    status["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_owned(),
                n["workers"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn uploads_to_a_serve_only_process_are_analysed_once_by_worker_processes_even_when_one_is_killed()
 {
    let data = scratch("scale-out");
    let port = free_port();
    let server = start_with(
        &data,
        port,
        &[
            ("FILMROOM__JOBS__WORKERS", "0".to_owned()),
            ("FILMROOM__JOBS__NODE", "web".to_owned()),
            ("FILMROOM__JOBS__POLL_INTERVAL_MS", "20".to_owned()),
        ],
    )
    .await;
    let token = sign_up_with_token(&server.base).await;
    let worker_a = WorkerProc::start(&data, "worker-a");
    wait_for("worker-a on /status", async || {
        live_nodes(&server.base)
            .await
            .contains(&("worker-a".to_owned(), 1))
    })
    .await;
    assert!(
        live_nodes(&server.base)
            .await
            .contains(&("web".to_owned(), 0))
    );

    let names = [
        "b2a19",
        "sonic_spin",
        "gridiron",
        "58b2",
        "9e35b",
        "f770",
        "029d",
        "eac",
    ];
    let mut form = reqwest::multipart::Form::new();
    for name in names {
        let bytes = std::fs::read(corpus(name)).unwrap();
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes).file_name(format!("{name}.replay")),
        );
    }
    let uploaded = reqwest::Client::new()
        .post(format!("{}/api/v1/replays", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(uploaded.status().is_success());

    // SIGKILL worker-a while it holds a job and others still wait.
    wait_for("a running job", async || {
        let states: Vec<Value> = jobs(&server.base, &token)
            .await
            .iter()
            .map(|j| j["state"].clone())
            .collect();
        states.iter().any(|s| s == "running") && states.iter().any(|s| s == "queued")
    })
    .await;
    worker_a.kill();
    let stuck = jobs(&server.base, &token).await;
    assert!(stuck.iter().any(|j| j["state"] == "running"), "{stuck:?}");

    // worker-b sees at start that worker-a's process is gone and takes its job back.
    let _worker_b = WorkerProc::start(&data, "worker-b");
    wait_for("every job done", async || {
        let now = jobs(&server.base, &token).await;
        assert!(
            now.iter().all(|j| j["state"] != "dead"),
            "a job died: {now:?}"
        );
        now.iter().all(|j| j["state"] == "done")
    })
    .await;
    let nodes = live_nodes(&server.base).await;
    assert!(nodes.contains(&("worker-b".to_owned(), 1)), "{nodes:?}");
    assert!(!nodes.iter().any(|(n, _)| n == "worker-a"), "{nodes:?}");

    let finished = jobs(&server.base, &token).await;
    assert_eq!(finished.len(), names.len(), "one job per upload");
    let games: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/games", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let games = games["games"].as_array().unwrap();
    assert_eq!(games.len(), names.len(), "each game analysed once");
    assert!(
        games
            .iter()
            .all(|g| g["analyzed"] == true && g["state"] == "done")
    );
}

#[test]
fn a_worker_process_with_an_unknown_objects_backend_exits_with_a_clear_error() {
    let data = scratch("worker-bad-objects");
    let out = Command::new(env!("CARGO_BIN_EXE_filmroom"))
        .arg("worker")
        .env("FILMROOM__STORAGE__DATA_DIR", &data)
        .env("FILMROOM__STORAGE__OBJECTS_URL", "gs://films")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Failed to open the object storage"),
        "{stderr}"
    );
    assert!(stderr.contains("\"gs\""), "{stderr}");
}
