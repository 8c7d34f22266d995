//! The app on PostgreSQL (the harness's server, a fresh database per test):
//! a web process with no workers and a separate worker process sharing the
//! database, and the web process's event stream hearing the worker's jobs
//! through the store's job signals (LISTEN/NOTIFY), not by polling.

use std::time::Duration;

use filmroom_web::WorkerProcess;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{PASSWORD, replay_bytes, rl_domains, spawn_app_with, test_config};

/// A fresh database on this test binary's PostgreSQL server.
async fn database_url() -> String {
    tokio::task::spawn_blocking(|| filmroom_test_support::postgres().database())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_process_on_postgres_streams_a_job_that_a_worker_process_finished() {
    let url = database_url().await;
    let web_url = url.clone();
    let app = spawn_app_with(move |c| {
        c.storage.database_url = Some(web_url);
        c.jobs.workers = 0;
        c.jobs.node = Some("web-1".to_owned());
        // An hour: only a signal can make this process read jobs again.
        c.jobs.poll_interval_ms = 3_600_000;
    })
    .await;
    let status: Value = reqwest::get(app.url("/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["backend"], "postgres", "{status}");

    let alice = app.sign_up("alice", PASSWORD).await;
    let mut stream = alice
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let response = alice
        .upload(&app, vec![("game.replay", replay_bytes("00bb.replay"))])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let game_id = body["uploads"][0]["game_id"].as_str().unwrap().to_owned();

    // The worker process: same database and objects, its own node name.
    let mut config = test_config(app.dir.path());
    config.storage.database_url = Some(url);
    config.jobs.node = Some("worker-1".to_owned());
    let worker = WorkerProcess::build(config, rl_domains()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));

    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while !seen.split("\n\n").any(|event| {
            event.starts_with("event: job")
                && event.contains(&format!("\"game_id\":\"{game_id}\""))
                && event.contains("\"state\":\"done\"")
        }) {
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the web process never streamed the finished job: {seen}"));

    let game = alice
        .get_json(&app, &format!("/api/v1/games/{game_id}"))
        .await;
    assert_eq!(game["game"]["state"], "done");
    let _ = stop.send(());
    running.await.unwrap();
}
