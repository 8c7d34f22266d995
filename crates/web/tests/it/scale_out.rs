//! Scaling out: recordings on S3 (SeaweedFS on loopback, one server for this
//! test binary), and a web process with no workers whose uploads a separate
//! worker process analyses.

use std::time::Duration;

use filmroom_store::objects::ObjectStore;
use filmroom_store::objects::s3::{S3ObjectStore, S3Settings};
use filmroom_web::{Config, WorkerProcess};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{PASSWORD, TestApp, replay_bytes, rl_domains, spawn_app_with, test_config};

fn s3_settings() -> S3Settings {
    let server = filmroom_test_support::seaweedfs();
    S3Settings {
        endpoint: Some(server.endpoint.clone()),
        region: String::new(),
        access_key_id: Some(server.access_key_id.clone()),
        secret_access_key: Some(server.secret_access_key.clone()),
    }
}

fn on_s3(config: &mut Config, bucket: &str) {
    let s3 = s3_settings();
    config.storage.objects_url = Some(format!("s3://{bucket}"));
    config.storage.s3.endpoint = s3.endpoint;
    config.storage.s3.access_key_id = s3.access_key_id;
    config.storage.s3.secret_access_key = s3.secret_access_key;
}

async fn status(app: &TestApp) -> Value {
    reqwest::get(app.url("/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The live node named `name` on `/status`, waiting for it to appear.
async fn wait_for_node(app: &TestApp, name: &str, present: bool) -> Value {
    for _ in 0..300 {
        let status = status(app).await;
        let found = status["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["name"] == name);
        if found == present {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "node {name} never became {}",
        if present { "listed" } else { "unlisted" }
    );
}

#[tokio::test]
async fn a_replay_uploaded_with_objects_on_s3_is_stored_in_the_bucket_and_analysed_from_it() {
    let bucket = filmroom_test_support::seaweedfs().bucket();
    let app = spawn_app_with(|c| on_s3(c, &bucket)).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bytes = replay_bytes("00bb.replay");
    let response = alice
        .upload(&app, vec![("game.replay", bytes.clone())])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let game_id = body["uploads"][0]["game_id"].as_str().unwrap().to_owned();
    let game = alice.wait_until_done(&app, &game_id).await;
    assert_eq!(game["game"]["state"], "done");
    // Nothing on local disk: the worker could only have read it from S3.
    assert_eq!(app.object_files(), 0);
    assert_eq!(app.temp_files(), 0);
    let objects = S3ObjectStore::new(&bucket, &s3_settings()).unwrap();
    let key = filmroom_store::Sha256Hex::digest(&bytes);
    assert_eq!(objects.get(&key).await.unwrap(), Some(bytes));
}

#[tokio::test]
async fn the_app_refuses_to_start_on_a_bucket_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    on_s3(&mut config, "missing-bucket");
    let secret = config.storage.s3.secret_access_key.clone().unwrap();
    let error = filmroom_web::App::build(config, rl_domains())
        .await
        .err()
        .unwrap();
    let message = format!("{error:#}");
    assert!(
        message.contains("\"missing-bucket\" does not exist"),
        "{message}"
    );
    assert!(!format!("{message} {error:?}").contains(&secret));
}

#[tokio::test]
async fn a_web_process_without_workers_takes_uploads_that_a_worker_process_analyses() {
    let app = spawn_app_with(|c| {
        c.jobs.workers = 0;
        c.jobs.node = Some("web-1".to_owned());
    })
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let response = alice
        .upload(&app, vec![("game.replay", replay_bytes("00bb.replay"))])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let game_id = body["uploads"][0]["game_id"].as_str().unwrap().to_owned();
    let game: Value = alice
        .get_json(&app, &format!("/api/v1/games/{game_id}"))
        .await;
    assert_eq!(
        game["game"]["state"], "queued",
        "nobody works in the web process"
    );
    let status = status(&app).await;
    assert_eq!(status["workers"], 0);
    assert_eq!(status["live_workers"], 0);

    // The worker process: same database and objects, its own node name.
    let mut config = test_config(app.dir.path());
    config.jobs.node = Some("worker-1".to_owned());
    config.jobs.workers = 2;
    let worker = WorkerProcess::build(config, rl_domains()).await.unwrap();
    assert_eq!(worker.node_name(), "worker-1");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));

    let status = wait_for_node(&app, "worker-1", true).await;
    let nodes = status["nodes"].as_array().unwrap();
    let worker_node = nodes.iter().find(|n| n["name"] == "worker-1").unwrap();
    assert_eq!(worker_node["workers"], 2);
    let web_node = nodes.iter().find(|n| n["name"] == "web-1").unwrap();
    assert_eq!(web_node["workers"], 0);
    assert_eq!(status["live_workers"], 2);

    let game = alice.wait_until_done(&app, &game_id).await;
    assert_eq!(game["game"]["state"], "done");

    // A worker that stops leaves the registry.
    stop.send(()).unwrap();
    running.await.unwrap();
    let status = wait_for_node(&app, "worker-1", false).await;
    assert_eq!(status["live_workers"], 0);
}

#[tokio::test]
async fn a_worker_process_with_no_workers_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.jobs.workers = 0;
    let error = WorkerProcess::build(config, rl_domains())
        .await
        .err()
        .unwrap();
    assert!(
        format!("{error:#}").contains("jobs.workers is 0"),
        "{error:#}"
    );
}
