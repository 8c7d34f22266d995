//! `GET /api/v1/recordings/{id}/media` through the real app: a talk's
//! original file comes back whole or by byte ranges with its media type,
//! a range past the end is refused with 416, another user and a replay get
//! 404, and the talk's page draws the player with every moment seeking it.

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_RANGE, CONTENT_TYPE, RANGE,
};

use crate::talk::{spoken_talk, talk_domains};
use crate::{TestApp, User, error_code, replay_bytes, spawn_app_with_domains};

async fn uploaded_talk(app: &TestApp, user: &User, bytes: Vec<u8>) -> String {
    let (status, body) = user
        .upload_recordings(app, vec![("rehearsal.wav", bytes)])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["recordings"][0]["recording_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail = user.settled_recording(app, &id).await;
    assert_eq!(detail["state"], "done", "{detail}");
    id
}

async fn media(
    app: &TestApp,
    user: &User,
    id: &str,
    range: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = user
        .client
        .get(app.url(&format!("/api/v1/recordings/{id}/media")))
        // A browser offers gzip; media must come back as it is stored.
        .header(ACCEPT_ENCODING, "gzip, br");
    if let Some(range) = range {
        request = request.header(RANGE, range);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_owner_streams_a_talks_file_whole_or_by_byte_range_with_its_media_type() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with_domains(talk_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let wav = spoken_talk(dir.path());
    let size = wav.len();
    let id = uploaded_talk(&app, &alice, wav.clone()).await;

    let (status, headers, body) = media(&app, &alice, &id, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_TYPE], "audio/wav");
    assert_eq!(headers[ACCEPT_RANGES], "bytes");
    assert!(headers.get(CONTENT_ENCODING).is_none(), "{headers:?}");
    assert_eq!(body, wav, "the whole file, byte for byte");

    let (status, headers, body) = media(&app, &alice, &id, Some("bytes=0-99")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers[CONTENT_RANGE],
        format!("bytes 0-99/{size}").as_str()
    );
    assert_eq!(headers[CONTENT_TYPE], "audio/wav");
    assert_eq!(body, &wav[..100]);

    let (status, headers, body) = media(&app, &alice, &id, Some("bytes=1000-")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers[CONTENT_RANGE],
        format!("bytes 1000-{}/{size}", size - 1).as_str()
    );
    assert_eq!(body, &wav[1000..]);

    let (status, _, body) = media(&app, &alice, &id, Some("bytes=-16")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, &wav[size - 16..]);

    for bad in [format!("bytes={size}-"), "bytes=50-10".to_owned()] {
        let (status, headers, body) = media(&app, &alice, &id, Some(&bad)).await;
        assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE, "{bad}");
        assert_eq!(headers[CONTENT_RANGE], format!("bytes */{size}").as_str());
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["error"]["code"], "bad_range", "{error}");
    }
}

#[tokio::test]
async fn another_user_gets_404_for_a_talks_media_and_a_replay_has_no_media() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with_domains(talk_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let bob = app.sign_up("bob", crate::PASSWORD).await;
    let id = uploaded_talk(&app, &alice, spoken_talk(dir.path())).await;

    let (status, _, body) = media(&app, &bob, &id, Some("bytes=0-99")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.starts_with(b"RIFF"), "nothing of the file leaks");

    let (status, replay) = alice
        .upload_recordings(&app, vec![("a.replay", replay_bytes("00bb.replay"))])
        .await;
    assert_eq!(status, StatusCode::OK, "{replay}");
    let replay_id = replay["recordings"][0]["recording_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = alice
        .client
        .get(app.url(&format!("/api/v1/recordings/{replay_id}/media")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(response).await, "no_media");
    // And its page draws no player.
    let page = alice.get_page(&app, &format!("/games/{replay_id}")).await;
    assert!(!page.contains("id=\"player\""), "a replay has no player");
}

#[tokio::test]
async fn a_talks_page_draws_the_player_and_every_moment_seeks_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with_domains(talk_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let id = uploaded_talk(&app, &alice, spoken_talk(dir.path())).await;

    let flags = alice
        .get_page(&app, &format!("/games/{id}?tab=flags"))
        .await;
    assert!(
        flags.contains(&format!(
            "<audio id=\"player\" class=\"player\" controls preload=\"metadata\"><source src=\"/api/v1/recordings/{id}/media\" type=\"audio/wav\">"
        )),
        "{flags}"
    );
    assert!(flags.contains("<script src=\"/static/page.js\" defer></script>"));
    // The 2 s silence between the sentences: a pause, its row and its mark
    // on the axis both seek the player to where it starts.
    let detail = alice
        .get_json(&app, &format!("/api/v1/recordings/{id}"))
        .await;
    let pause = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "pause" && e["payload"]["duration_s"].as_f64().unwrap() >= 1.5)
        .unwrap_or_else(|| panic!("no long pause: {detail}"));
    let seek = format!("data-seek=\"{:.2}\"", pause["t_s"].as_f64().unwrap());
    assert!(
        flags.matches(&seek).count() >= 2,
        "{seek}: a row and a mark in {flags}"
    );
    // Pitch per 30 seconds: each bar seeks to the start of its window.
    let charts = alice
        .get_page(&app, &format!("/games/{id}?tab=charts"))
        .await;
    assert!(charts.contains("data-seek=\"0.00\""), "{charts}");

    // A citation opens the page with the player at the cited second.
    let cited = alice
        .get_page(&app, &format!("/games/{id}?tab=timeline&t=3"))
        .await;
    assert!(cited.contains("data-start=\"3.00\""), "{cited}");
    assert!(cited.contains("Cited moment: 0:03"), "{cited}");

    let script = app
        .client()
        .get(app.url("/static/page.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.text().await.unwrap().contains("data-seek"));
}
