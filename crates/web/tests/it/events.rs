//! `/api/v1/events` over the shared job feed: the event format, fan-out to
//! every stream of a user, isolation between users, and the per-user cap.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::{PASSWORD, TestApp, User, error_code, replay_bytes, spawn_app, spawn_app_with};

async fn open(app: &TestApp, user: &User) -> reqwest::Response {
    user.client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap()
}

/// Reads the stream into `seen` until `done` holds for what was read.
async fn read_until(
    stream: &mut reqwest::Response,
    seen: &mut String,
    done: impl Fn(&str) -> bool,
) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while !done(seen) {
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the awaited events did not arrive: {seen}"));
}

/// The `job` events read so far, parsed.
fn job_events(seen: &str) -> Vec<Value> {
    seen.split("\n\n")
        .filter_map(|block| {
            let mut lines = block.lines();
            (lines.next()? == "event: job").then_some(())?;
            serde_json::from_str(lines.next()?.strip_prefix("data: ")?).ok()
        })
        .collect()
}

fn is_done(game_id: &str) -> impl Fn(&str) -> bool + '_ {
    move |seen: &str| {
        job_events(seen)
            .iter()
            .any(|e| e["game_id"] == game_id && e["state"] == "done")
    }
}

async fn upload(app: &TestApp, user: &User, name: &str) -> String {
    let response = user.upload(app, vec![(name, replay_bytes(name))]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["uploads"][0]["game_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_stream_sends_every_job_first_then_each_change_as_job_events() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let earlier = upload(&app, &alice, "07e9.replay").await;
    alice.wait_until_done(&app, &earlier).await;

    let mut stream = open(&app, &alice).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, is_done(&earlier)).await;
    let first = &job_events(&seen)[0];
    assert_eq!(first["game_id"], earlier.as_str());
    assert_eq!(first["filename"], "07e9.replay");
    assert_eq!(first["attempts"], 1);
    assert!(first["job_id"].is_string() && first["uploaded_at"].is_i64());

    let later = upload(&app, &alice, "00bb.replay").await;
    read_until(&mut stream, &mut seen, is_done(&later)).await;
    let events = job_events(&seen);
    assert_eq!(
        events
            .iter()
            .filter(|e| e["game_id"] == earlier.as_str())
            .count(),
        1,
        "an unchanged job is not sent again: {seen}"
    );
}

#[tokio::test]
async fn every_stream_of_a_user_gets_each_change_and_no_other_users_jobs() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let mut streams = Vec::new();
    for _ in 0..6 {
        let stream = open(&app, &alice).await;
        assert_eq!(stream.status(), StatusCode::OK);
        streams.push((stream, String::new()));
    }
    let bobs = upload(&app, &bob, "00bb.replay").await;
    bob.wait_until_done(&app, &bobs).await;
    let alices = upload(&app, &alice, "07e9.replay").await;
    for (stream, seen) in &mut streams {
        read_until(stream, seen, is_done(&alices)).await;
        assert!(!seen.contains(&bobs), "bob's job reached alice: {seen}");
    }
}

#[tokio::test]
async fn a_user_over_the_stream_cap_gets_429_until_one_of_their_streams_closes() {
    let app = spawn_app_with(|c| c.limits.max_event_streams_per_user = 2).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let first = open(&app, &alice).await;
    let second = open(&app, &alice).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let third = open(&app, &alice).await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
    assert_eq!(error_code(third).await, "too_many_streams");
    assert_eq!(
        open(&app, &bob).await.status(),
        StatusCode::OK,
        "the cap is per user"
    );

    drop(first);
    // The server gives the slot back when it notices the closed connection.
    let reopened = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let stream = open(&app, &alice).await;
            if stream.status() == StatusCode::OK {
                return stream;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(reopened.is_ok(), "a closed stream frees its place");
}
