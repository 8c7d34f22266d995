//! Uploads: real replays go to done and show on the pages and the API; bad
//! input gets a clear 4xx and leaves no row, no file and no job.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{PASSWORD, TestApp, User, error_code, replay_bytes, spawn_app, spawn_app_with};

/// The array under `key` of the JSON the API answers at `path`.
async fn api_list(app: &TestApp, user: &User, path: &str, key: &str) -> Vec<Value> {
    let list: Value = user.get_json(app, path).await;
    list[key].as_array().unwrap().clone()
}

async fn games(app: &TestApp, user: &User) -> Vec<Value> {
    api_list(app, user, "/api/v1/games", "games").await
}

async fn jobs(app: &TestApp, user: &User) -> Vec<Value> {
    api_list(app, user, "/api/v1/uploads", "jobs").await
}

/// Nothing at all was stored: no game, no job, no object file, no temporary file.
async fn assert_nothing_stored(app: &TestApp, user: &User) {
    assert!(
        games(app, user).await.is_empty(),
        "a game row was left behind"
    );
    assert!(jobs(app, user).await.is_empty(), "a job was left behind");
    assert_eq!(app.object_files(), 0, "an object file was left behind");
    assert_eq!(app.temp_files(), 0, "a temporary file was left behind");
}

#[tokio::test]
async fn an_uploaded_replay_is_analysed_and_shown_on_the_pages_and_the_api() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let response = alice
        .upload(&app, vec![("my game.replay", replay_bytes("00bb.replay"))])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let upload = &body["uploads"][0];
    assert_eq!(upload["newly_stored"], true);
    let game_id = upload["game_id"].as_str().unwrap().to_owned();

    let game = alice.wait_until_done(&app, &game_id).await;
    assert_eq!(game["game"]["analyzed"], true);
    assert!(game["analysis"]["players"].as_array().unwrap().len() >= 2);
    assert!(game["game"]["map"].is_string());

    let list = games(&app, &alice).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], game_id.as_str());

    let games_page = alice.client.get(app.url("/games")).send().await.unwrap();
    assert_eq!(games_page.status(), StatusCode::OK);
    assert!(games_page.text().await.unwrap().contains(&game_id));
    for tab in ["overview", "boost", "movement", "positioning", "timeline"] {
        let page = alice
            .client
            .get(app.url(&format!("/games/{game_id}?tab={tab}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "tab {tab}");
        let html = page.text().await.unwrap();
        assert!(html.contains("my game.replay"));
        assert!(html.contains("<svg"), "tab {tab} has a chart");
    }
    let uploads_page = alice.client.get(app.url("/uploads")).send().await.unwrap();
    assert!(
        uploads_page
            .text()
            .await
            .unwrap()
            .contains("my game.replay")
    );
}

#[tokio::test]
async fn a_re_upload_returns_the_same_game_and_adds_no_work() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bytes = replay_bytes("029d.replay");
    let first: Value = alice
        .upload(&app, vec![("a.replay", bytes.clone())])
        .await
        .json()
        .await
        .unwrap();
    let second: Value = alice
        .upload(&app, vec![("b.replay", bytes.clone())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        first["uploads"][0]["game_id"],
        second["uploads"][0]["game_id"]
    );
    assert_eq!(second["uploads"][0]["newly_stored"], false);
    assert!(second["uploads"][0]["job_id"].is_null());
    assert_eq!(jobs(&app, &alice).await.len(), 1);

    // Another user uploading the same match gets the same game, analysed once.
    let bob = app.sign_up("bob", PASSWORD).await;
    let third: Value = bob
        .upload(&app, vec![("c.replay", bytes)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        third["uploads"][0]["game_id"],
        first["uploads"][0]["game_id"]
    );
    assert_eq!(app.object_files(), 1);
}

#[tokio::test]
async fn many_files_in_one_request_are_all_stored() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let names = ["002c.replay", "00bb.replay", "029d.replay"];
    let files = names.iter().map(|n| (*n, replay_bytes(n))).collect();
    let body: Value = alice.upload(&app, files).await.json().await.unwrap();
    assert_eq!(body["uploads"].as_array().unwrap().len(), 3);
    assert_eq!(games(&app, &alice).await.len(), 3);

    // Pages of two: the API reports the total, the page offers the next page.
    let page: Value = alice.get_json(&app, "/api/v1/games?limit=2&offset=2").await;
    assert_eq!(page["games"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], 3);
    let html = alice
        .client
        .get(app.url("/games?limit=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("1–2 of 3"), "{html}");
    assert!(html.contains("name=\"offset\" value=\"2\""));
}

#[tokio::test]
async fn a_non_replay_gets_422_and_stores_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let response = alice
        .upload(
            &app,
            vec![("notes.replay", b"hello, I am not a replay".to_vec())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(response).await, "not_a_replay");
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn a_truncated_replay_gets_422_and_stores_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bytes = replay_bytes("00bb.replay");
    for cut in [100, bytes.len() / 2, bytes.len() - 10] {
        let response = alice
            .upload(&app, vec![("cut.replay", bytes[..cut].to_vec())])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cut at {cut}"
        );
    }
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn a_zip_bomb_shaped_file_gets_422_and_stores_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    // A replay-like prefix that claims a 4 GB header, then zeros.
    let mut bytes = vec![0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    bytes.extend(std::iter::repeat_n(0u8, 64 * 1024));
    let response = alice.upload(&app, vec![("bomb.replay", bytes)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn an_oversized_file_gets_413_and_stores_nothing() {
    let app = spawn_app_with(|c| c.limits.max_file_bytes = 50_000).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let response = alice
        .upload(&app, vec![("big.replay", replay_bytes("00bb.replay"))])
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(response).await, "file_too_large");
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn too_many_files_in_one_batch_get_413_and_store_nothing() {
    let app = spawn_app_with(|c| c.limits.max_files_per_batch = 2).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let files = ["002c.replay", "00bb.replay", "029d.replay"]
        .iter()
        .map(|n| (*n, replay_bytes(n)))
        .collect();
    let response = alice.upload(&app, files).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(response).await, "too_many_files");
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn one_bad_file_in_a_batch_stores_none_of_it() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let response = alice
        .upload(
            &app,
            vec![
                ("good.replay", replay_bytes("00bb.replay")),
                ("bad.replay", b"garbage".to_vec()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn a_hostile_filename_is_kept_as_data_only() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let hostile = "../../../etc/passwd<script>alert(1)</script>\u{202e}.replay";
    let response = alice
        .upload(&app, vec![(hostile, replay_bytes("00bb.replay"))])
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let name = body["uploads"][0]["filename"].as_str().unwrap();
    assert_eq!(name, hostile);
    // Stored under its hash inside the objects directory, nowhere else.
    assert_eq!(app.object_files(), 1);
    let page = alice
        .client
        .get(app.url("/uploads"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "the name is escaped"
    );
    assert!(page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"));
}

#[tokio::test]
async fn a_malformed_multipart_body_gets_400_and_stores_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let response = alice
        .client
        .post(app.url("/api/v1/replays"))
        .header("X-CSRF-Token", &alice.csrf)
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.replay\"\r\n\r\nunterminated")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(response).await, "malformed_multipart");
    let no_boundary = alice
        .client
        .post(app.url("/api/v1/replays"))
        .header("X-CSRF-Token", &alice.csrf)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(no_boundary.status(), StatusCode::BAD_REQUEST);
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn an_upload_without_the_csrf_header_gets_403_and_stores_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(replay_bytes("00bb.replay")).file_name("a.replay"),
    );
    let response = alice
        .client
        .post(app.url("/api/v1/replays"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_nothing_stored(&app, &alice).await;
}

#[tokio::test]
async fn a_full_queue_gets_503_with_retry_after_and_stores_nothing() {
    let app = spawn_app_with(|c| {
        c.limits.max_queue_depth = 1;
        c.jobs.workers = 0;
    })
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let first = alice
        .upload(&app, vec![("a.replay", replay_bytes("00bb.replay"))])
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = alice
        .upload(&app, vec![("b.replay", replay_bytes("029d.replay"))])
        .await;
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(second.headers().contains_key("retry-after"));
    assert_eq!(error_code(second).await, "queue_full");
    assert_eq!(games(&app, &alice).await.len(), 1);
    assert_eq!(app.object_files(), 1);
}

#[tokio::test]
async fn job_states_arrive_live_over_server_sent_events() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let mut stream = alice
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body: Value = alice
        .upload(&app, vec![("live.replay", replay_bytes("07e9.replay"))])
        .await
        .json()
        .await
        .unwrap();
    let game_id = body["uploads"][0]["game_id"].as_str().unwrap().to_owned();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while !seen.contains("\"state\":\"done\"") {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("a done event within 60 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: job"));
    assert!(seen.contains(&game_id));
}

#[tokio::test]
async fn the_games_list_filters_by_result_team_size_map_and_date_once_the_player_is_named() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let body: Value = alice
        .upload(&app, vec![("g.replay", replay_bytes("00bb.replay"))])
        .await
        .json()
        .await
        .unwrap();
    let game_id = body["uploads"][0]["game_id"].as_str().unwrap().to_owned();
    let game = alice.wait_until_done(&app, &game_id).await;
    let me = game["analysis"]["players"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let saved = alice
        .client
        .post(app.url("/account/player-names"))
        .form(&[("names", me.as_str()), ("csrf", alice.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    let list = |query: String| {
        let request = alice.client.get(app.url(&format!("/api/v1/games?{query}")));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (status, body)
        }
    };
    let (_, all) = list("".to_owned()).await;
    let result = all["games"][0]["result"].as_str().unwrap().to_owned();
    let other = if result == "win" { "loss" } else { "win" };
    let size = all["games"][0]["team_size"].as_u64().unwrap();
    let map = all["games"][0]["map"].as_str().unwrap().to_owned();

    let count = |body: &Value| body["games"].as_array().unwrap().len();
    let (_, r) = list(format!("result={result}")).await;
    assert_eq!(count(&r), 1);
    let (_, r) = list(format!("result={other}")).await;
    assert_eq!(count(&r), 0);
    let (_, r) = list(format!("team_size={size}&map={map}")).await;
    assert_eq!(count(&r), 1);
    let (_, r) = list(format!("team_size={}", size + 1)).await;
    assert_eq!(count(&r), 0);
    let (_, r) = list("from=2030-01-01".to_owned()).await;
    assert_eq!(count(&r), 0);
    let (_, r) = list("to=2030-01-01&sort=map&order=asc&playlist=".to_owned()).await;
    assert_eq!(count(&r), 1);
    let (status, r) = list("sort=nonsense".to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(r["error"]["code"], "invalid_query");
    let page = alice
        .client
        .get(app.url(&format!("/games?result={result}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&game_id));
}

#[tokio::test]
async fn the_plain_html_upload_form_works_without_javascript() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let page = alice
        .client
        .get(app.url("/uploads"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::extract(&page, "name=\"csrf\" value=\"", "\"").unwrap();
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "files",
        reqwest::multipart::Part::bytes(replay_bytes("07e9.replay")).file_name("plain.replay"),
    );
    let response = alice
        .client
        .post(app.url("/api/v1/replays"))
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/uploads");
    assert_eq!(games(&app, &alice).await.len(), 1);

    // A forged field is refused like a forged header.
    let forged = reqwest::multipart::Form::new().text("csrf", "forged").part(
        "files",
        reqwest::multipart::Part::bytes(replay_bytes("00bb.replay")).file_name("x.replay"),
    );
    let response = alice
        .client
        .post(app.url("/api/v1/replays"))
        .multipart(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(games(&app, &alice).await.len(), 1);
}
