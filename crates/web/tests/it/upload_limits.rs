//! Uploads under pressure: bytes past a replay's own end, the batch body
//! limit, the server's room for bytes in flight, per-plan storage quotas,
//! clients that vanish mid-upload, and owners of the same bytes who must not
//! learn of each other. Refused input leaves no row, no object and no
//! temporary file.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::{
    PASSWORD, TestApp, User, error_code, extract, replay_bytes, spawn_app, spawn_app_with,
};

async fn json_list(app: &TestApp, user: &User, path: &str, key: &str) -> Vec<Value> {
    user.get_json(app, path).await[key]
        .as_array()
        .unwrap()
        .clone()
}

/// No game, no job, no object file and no temporary file.
async fn assert_nothing_stored(app: &TestApp, user: &User) {
    assert!(
        json_list(app, user, "/api/v1/games", "games")
            .await
            .is_empty()
    );
    assert!(
        json_list(app, user, "/api/v1/uploads", "jobs")
            .await
            .is_empty()
    );
    assert_eq!(app.object_files(), 0, "an object file was left behind");
    assert_eq!(app.temp_files(), 0, "a temporary file was left behind");
}

/// Waits (up to 30 s) until `check` holds, polling the file system.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_replay_with_bytes_past_its_own_end_gets_422_and_stores_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let mut padded = replay_bytes("00bb.replay");
    padded.extend(std::iter::repeat_n(0u8, 3 * 1024 * 1024));
    let response = alice
        .upload(
            &app,
            vec![
                ("good.replay", replay_bytes("029d.replay")),
                ("padded.replay", padded),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "trailing_bytes");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("padded.replay")
    );
    assert_nothing_stored(&app, &alice).await;

    // One byte too many is as bad as megabytes.
    let mut one_more = replay_bytes("00bb.replay");
    one_more.push(0);
    let response = alice.upload(&app, vec![("one.replay", one_more)]).await;
    assert_eq!(error_code(response).await, "trailing_bytes");
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn a_body_over_the_batch_limit_gets_413_and_stores_nothing() {
    // Each file fits the per-file limit; together they pass the batch's.
    let app = spawn_app_with(|c| c.limits.max_batch_bytes = 2_000_000).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let response = alice
        .upload(
            &app,
            vec![
                ("a.replay", replay_bytes("00bb.replay")),
                ("b.replay", replay_bytes("002c.replay")),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(response).await, "batch_too_large");
    assert_nothing_stored(&app, &alice).await;

    let response = alice
        .upload(&app, vec![("a.replay", replay_bytes("00bb.replay"))])
        .await;
    assert_eq!(response.status(), StatusCode::OK, "one file fits");
}

#[tokio::test]
async fn uploads_past_the_servers_room_for_bytes_in_flight_get_503_and_the_room_comes_back() {
    // Room for the largest of these replays, not for two of them.
    let room = replay_bytes("029d.replay").len() + 1000;
    let app = spawn_app_with(|c| c.limits.max_concurrent_upload_bytes = room).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let response = alice
        .upload(
            &app,
            vec![
                ("a.replay", replay_bytes("00bb.replay")),
                ("b.replay", replay_bytes("029d.replay")),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(error_code(response).await, "server_busy");
    assert_nothing_stored(&app, &alice).await;

    // The refused request gave its room back, and so does each stored one.
    for name in ["029d.replay", "00bb.replay"] {
        let response = alice.upload(&app, vec![(name, replay_bytes(name))]).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
    }
    assert_eq!(app.temp_files(), 0);
}

#[tokio::test]
async fn an_upload_past_the_plans_storage_quota_gets_413_and_stores_nothing() {
    let first = replay_bytes("00bb.replay");
    let second = replay_bytes("029d.replay");
    let quota = first.len() + second.len() - 1;
    let app = spawn_app_with(|c| {
        for plan in c.plans.0.values_mut() {
            plan.storage_bytes = u64::try_from(quota).unwrap();
        }
    })
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let ok = alice.upload(&app, vec![("a.replay", first.clone())]).await;
    assert_eq!(ok.status(), StatusCode::OK);

    // The second file does not fit beside the first; a third tiny one in the
    // same batch is refused with it.
    let response = alice
        .upload(
            &app,
            vec![
                ("small.replay", replay_bytes("07e9.replay")),
                ("b.replay", second.clone()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "storage_quota_exceeded");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was stored")
    );
    assert_eq!(
        json_list(&app, &alice, "/api/v1/games", "games")
            .await
            .len(),
        1
    );
    assert_eq!(app.object_files(), 1);
    assert_eq!(app.temp_files(), 0);

    // Bytes already hers do not count twice.
    let again = alice.upload(&app, vec![("a.replay", first.clone())]).await;
    assert_eq!(again.status(), StatusCode::OK);

    // Bytes someone else stored count for bob too, though stored once.
    let both = bob
        .upload(&app, vec![("a.replay", first), ("b.replay", second)])
        .await;
    assert_eq!(error_code(both).await, "storage_quota_exceeded");
    assert!(
        json_list(&app, &bob, "/api/v1/games", "games")
            .await
            .is_empty()
    );
    assert_eq!(app.object_files(), 1);
}

#[tokio::test]
async fn a_second_owner_of_the_same_bytes_never_sees_the_first_owners_job() {
    let app = spawn_app_with(|c| c.jobs.workers = 0).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let bytes = replay_bytes("07e9.replay");
    let first: Value = alice
        .upload(&app, vec![("a.replay", bytes.clone())])
        .await
        .json()
        .await
        .unwrap();
    let alices_job = first["uploads"][0]["job_id"].as_str().unwrap().to_owned();
    let alices_list = json_list(&app, &alice, "/api/v1/uploads", "jobs").await;
    assert_eq!(alices_list[0]["job_id"], alices_job.as_str());

    let second: Value = bob
        .upload(&app, vec![("b.replay", bytes)])
        .await
        .json()
        .await
        .unwrap();
    let upload = &second["uploads"][0];
    // To bob this is a first upload, with a job of his own.
    assert_eq!(upload["newly_stored"], true);
    assert_eq!(upload["game_id"], first["uploads"][0]["game_id"]);
    let bobs_job = upload["job_id"].as_str().unwrap().to_owned();
    assert_ne!(bobs_job, alices_job);

    let listed = json_list(&app, &bob, "/api/v1/uploads", "jobs").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["job_id"], bobs_job.as_str());
    assert_eq!(listed[0]["filename"], "b.replay");
    assert_eq!(listed[0]["state"], "queued");

    let page = bob
        .client
        .get(app.url("/uploads"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&bobs_job));
    assert!(!page.contains(&alices_job));

    let mut events = bob
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    while !seen.contains(&bobs_job) {
        let chunk = tokio::time::timeout(Duration::from_secs(30), events.chunk())
            .await
            .expect("bob's job arrives as an event")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(!seen.contains(&alices_job), "{seen}");
}

#[tokio::test]
async fn a_client_that_disconnects_mid_upload_leaves_no_temporary_file() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let page = alice
        .client
        .post(app.url("/account/tokens"))
        .form(&[("name", "script"), ("csrf", alice.csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = extract(&page, "<code id=\"new-token\">", "</code>").unwrap();

    let replay = replay_bytes("029d.replay");
    let boundary = "filmroom-test-boundary";
    let part_head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.replay\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let request_head = format!(
        "POST /api/v1/replays HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {secret}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        part_head.len() + replay.len() + boundary.len() + 8,
    );
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    socket.write_all(request_head.as_bytes()).await.unwrap();
    socket.write_all(part_head.as_bytes()).await.unwrap();
    // Half the file, then silence: the server is mid-part.
    socket.write_all(&replay[..replay.len() / 2]).await.unwrap();
    socket.flush().await.unwrap();
    eventually("the file streams to a temporary file", || {
        app.temp_files() == 1
    })
    .await;
    drop(socket);
    eventually("the temporary file is removed", || app.temp_files() == 0).await;
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn upload_files_a_killed_process_left_are_removed_at_startup_and_recent_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let old = tmp.join("upload-old");
    let recent = tmp.join("upload-recent");
    for path in [&old, &recent] {
        std::fs::write(path, b"part of a replay").unwrap();
    }
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 24 * 60 * 60);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();

    let config = crate::test_config(dir.path());
    let app = filmroom_web::App::build(config, crate::rl_domains())
        .await
        .unwrap();
    assert!(!old.exists(), "a day-old upload file is removed");
    assert!(recent.exists(), "an upload in progress elsewhere is kept");
    drop(app);
}
