//! Per-plan daily limits on one kind's uploads (`[plans.NAME.kinds.KIND]`):
//! the upload past the day's count or minutes is refused with 429, a
//! Retry-After running to midnight UTC and a readable message, and stores
//! nothing; other kinds are unaffected; the next UTC day starts afresh.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use filmroom_test_support::speech;
use filmroom_web::config::{Config, KindLimits};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{TestApp, User, spawn_app_built};

async fn app_with(limits: KindLimits) -> TestApp {
    let mut domains = crate::rl_domains();
    domains
        .register(Arc::new(filmroom_talk::Talk::default()))
        .unwrap();
    let adjust = move |config: &mut Config| {
        for plan in config.plans.0.values_mut() {
            plan.kinds.insert("talk".to_owned(), limits.clone());
        }
    };
    // A still clock: the test decides when the day ends.
    spawn_app_built(adjust, true, axum::Router::new(), domains).await
}

/// `seconds` of audio as WAV bytes (sox dithers, so each call's bytes differ).
fn audio(dir: &std::path::Path, seconds: f64) -> Vec<u8> {
    std::fs::read(speech::silent_wav(dir, seconds)).unwrap()
}

async fn talks(app: &TestApp, user: &User) -> u64 {
    user.get_json(app, "/api/v1/recordings?kind=talk").await["total"]
        .as_u64()
        .unwrap()
}

async fn upload(
    app: &TestApp,
    user: &User,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Option<u64>, Value) {
    let mut form = reqwest::multipart::Form::new();
    form = form.part(
        "files",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let response = user
        .client
        .post(app.url("/api/v1/recordings"))
        .header("X-CSRF-Token", &user.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    (response.status(), retry, response.json().await.unwrap())
}

#[tokio::test]
async fn the_upload_past_a_plans_daily_count_gets_429_and_stores_nothing_while_replays_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(KindLimits {
        uploads_per_day: 2,
        minutes_per_day: 0,
    })
    .await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let first = audio(dir.path(), 1.0);
    for bytes in [first.clone(), audio(dir.path(), 2.0)] {
        let (status, _, body) = upload(&app, &alice, "a.wav", bytes).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Sending a stored one again is not a new upload.
    let (status, _, body) = upload(&app, &alice, "again.wav", first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let objects = app.object_files();

    let (status, retry, body) = upload(&app, &alice, "third.wav", audio(dir.path(), 3.0)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let error = &body["recordings"][0]["error"];
    assert_eq!(error["code"], "daily_limit_reached", "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("2 talk recordings today"), "{message}");
    assert!(message.contains("midnight UTC"), "{message}");
    let retry = retry.expect("a Retry-After header");
    assert!((1..=86_400).contains(&retry), "{retry}");
    assert_eq!(talks(&app, &alice).await, 2);
    assert_eq!(app.object_files(), objects, "nothing of it was stored");

    // Another kind has no such limit; another user has their own count.
    let (status, body) = alice
        .upload_recordings(
            &app,
            vec![("match.replay", crate::replay_bytes("00bb.replay"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bob = app.sign_up("bob", crate::PASSWORD).await;
    let (status, _, body) = upload(&app, &bob, "bob.wav", audio(dir.path(), 3.0)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The next UTC day starts afresh.
    app.clock_offset
        .fetch_add(i64::try_from(retry).unwrap(), Ordering::SeqCst);
    let (status, _, body) = upload(&app, &alice, "third.wav", audio(dir.path(), 3.0)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_minutes_limit_counts_each_talks_real_length() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(KindLimits {
        uploads_per_day: 0,
        minutes_per_day: 1,
    })
    .await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let (status, _, body) = upload(&app, &alice, "forty.wav", audio(dir.path(), 40.0)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // 40 s + 30 s is over the minute.
    let (status, retry, body) = upload(&app, &alice, "thirty.wav", audio(dir.path(), 30.0)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(retry.is_some());
    let message = body["recordings"][0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("0.5 minutes long"), "{message}");
    assert_eq!(talks(&app, &alice).await, 1);
    // 40 s + 15 s fits.
    let (status, _, body) = upload(&app, &alice, "fifteen.wav", audio(dir.path(), 15.0)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(talks(&app, &alice).await, 2);
}
