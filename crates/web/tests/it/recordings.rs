//! The recordings API for every kind, over the neutral tables: the list with
//! its filters, one recording's facts, participants, metrics, events and
//! passages, the domain's report, and clear errors for bad queries.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{error_code, replay_bytes, spawn_app};

#[tokio::test]
async fn an_analysed_replay_is_a_recording_with_facts_metrics_events_and_passages() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let body: Value = alice
        .upload(&app, vec![("mine.replay", replay_bytes("160c.replay"))])
        .await
        .json()
        .await
        .unwrap();
    let id = body["uploads"][0]["game_id"].as_str().unwrap().to_owned();
    let game = alice.wait_until_done(&app, &id).await;

    let detail = alice
        .get_json(&app, &format!("/api/v1/recordings/{id}"))
        .await;
    assert_eq!(detail["id"], id.as_str());
    assert_eq!(detail["kind"], "rl_replay");
    assert_eq!(detail["state"], "done");
    assert_eq!(detail["filename"], "mine.replay");
    assert!(detail["revision"].as_u64().unwrap() >= 1);
    assert_eq!(
        detail["facts"]["facets"]["map"],
        game["analysis"]["replay"]["map_code"]
    );
    let players = game["analysis"]["players"].as_array().unwrap();
    let participants = detail["participants"].as_array().unwrap();
    assert_eq!(participants.len(), players.len());
    assert_eq!(participants[0]["display_name"], players[0]["name"]);
    let metrics = detail["metrics"].as_array().unwrap();
    let goals: f64 = metrics
        .iter()
        .filter(|m| m["key"] == "core.goals" && m["subject"].get("participant").is_some())
        .map(|m| m["value"].as_f64().unwrap())
        .sum();
    let scored: u64 = game["analysis"]["replay"]["score"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_u64().unwrap())
        .sum();
    assert_eq!(
        goals, scored as f64,
        "the players' goals add up to the score"
    );
    // Every goal event of the report, and nothing else, is a stored event.
    // (On this 2016 replay the engine finds 5 of the 7 goals as events.)
    // The report names an event's kind `type`, the neutral event `kind`.
    let goals_in = |events: &Value, field: &str| {
        events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e[field] == "goal")
            .count()
    };
    assert_eq!(
        goals_in(&detail["events"], "kind"),
        goals_in(&game["analysis"]["events"], "type")
    );
    assert!(goals_in(&detail["events"], "kind") > 0);
    assert!(!detail["passages"].as_array().unwrap().is_empty());
    // Nobody is linked yet: no "me", no outcome.
    assert_eq!(detail["me"], Value::Null);
    assert_eq!(detail["outcome"], "unknown");

    // Say who alice is: her outcome is stored and follows.
    let me = players[0]["name"].as_str().unwrap();
    let saved = alice
        .client
        .post(app.url("/account/player-names"))
        .form(&[("names", me), ("csrf", alice.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let detail = alice
        .get_json(&app, &format!("/api/v1/recordings/{id}"))
        .await;
    let outcome = detail["outcome"].as_str().unwrap().to_owned();
    assert!(
        ["win", "loss", "draw"].contains(&outcome.as_str()),
        "{outcome}"
    );
    assert_eq!(detail["me"], participants[0]["key"]);

    // The list shows it with its facets and the outcome, and filters on them.
    let list = alice.get_json(&app, "/api/v1/recordings").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["recordings"][0]["id"], id.as_str());
    assert_eq!(list["recordings"][0]["outcome"], outcome.as_str());
    let map = detail["facts"]["facets"]["map"].as_str().unwrap();
    for (query, expected) in [
        (format!("kind=rl_replay&facet.map={map}"), 1),
        (format!("facet.map={}", map.to_uppercase()), 1),
        ("facet.map=nowhere".to_owned(), 0),
        ("kind=talk".to_owned(), 0),
        (format!("outcome={outcome}"), 1),
        ("outcome=unknown".to_owned(), 0),
        ("sort=title&order=asc&limit=1".to_owned(), 1),
    ] {
        let page = alice
            .get_json(&app, &format!("/api/v1/recordings?{query}"))
            .await;
        assert_eq!(page["total"], expected, "{query}: {page}");
    }

    // The report is the domain's own, as the games API serves it.
    let report: Value = alice
        .client
        .get(app.url(&format!("/api/v1/recordings/{id}/report")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report, game["analysis"]);
}

#[tokio::test]
async fn bad_recordings_queries_get_a_clear_400() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    for query in [
        "sort=loudness",
        "order=sideways",
        "outcome=maybe",
        "from=2024-13-01",
        "limit=0",
        "limit=501",
        "offset=-1",
        "colour=blue",
        "facet.=x",
        "cursor=nonsense",
        "cursor=od.00000000-0000-4000-8000-000000000000.i1&offset=5",
        "cursor=od.00000000-0000-4000-8000-000000000000.i1&sort=title",
    ] {
        let response = alice
            .client
            .get(app.url(&format!("/api/v1/recordings?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(error_code(response).await, "invalid_query", "{query}");
    }
    // Blank values mean "any".
    let page = alice
        .get_json(&app, "/api/v1/recordings?kind=&outcome=&sort=")
        .await;
    assert_eq!(page["total"], 0);
}

#[tokio::test]
async fn a_recording_not_analysed_yet_has_no_facts_and_no_report() {
    let app = spawn_app_without_workers().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let body: Value = alice
        .upload(&app, vec![("waiting.replay", replay_bytes("07e9.replay"))])
        .await
        .json()
        .await
        .unwrap();
    let id = body["uploads"][0]["game_id"].as_str().unwrap().to_owned();
    let detail = alice
        .get_json(&app, &format!("/api/v1/recordings/{id}"))
        .await;
    assert_eq!(detail["state"], "queued");
    assert_eq!(detail["facts"], Value::Null);
    assert_eq!(detail["revision"], Value::Null);
    assert_eq!(detail["metrics"], serde_json::json!([]));
    let response = alice
        .client
        .get(app.url(&format!("/api/v1/recordings/{id}/report")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(response).await, "not_analysed");
    let missing = alice
        .client
        .get(app.url("/api/v1/recordings/not-an-id"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_list_pages_by_cursor_as_it_does_by_offset() {
    let app = spawn_app_without_workers().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let files = ["002c.replay", "00bb.replay", "029d.replay", "07e9.replay"]
        .map(|name| (name, replay_bytes(name)))
        .to_vec();
    let (status, _) = upload_recordings(&app, &alice, files).await;
    assert_eq!(status, StatusCode::OK);
    let ids = |page: &Value| -> Vec<String> {
        page["recordings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for sort in ["uploaded_at&order=asc", "title", "occurred_at&order=asc"] {
        let whole = alice
            .get_json(&app, &format!("/api/v1/recordings?sort={sort}"))
            .await;
        assert_eq!(whole["next_cursor"], Value::Null);
        let mut walked = Vec::new();
        let mut next = String::new();
        loop {
            let page = alice
                .get_json(
                    &app,
                    &format!("/api/v1/recordings?sort={sort}&limit=3{next}"),
                )
                .await;
            assert_eq!(page["total"], 4);
            walked.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(cursor) => next = format!("&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(walked, ids(&whole), "{sort}");
    }
    // A cursor from one order does not continue another.
    let first = alice
        .get_json(&app, "/api/v1/recordings?sort=title&limit=1")
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let response = alice
        .client
        .get(app.url(&format!("/api/v1/recordings?sort=duration&cursor={cursor}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(response).await, "invalid_query");
}

async fn spawn_app_without_workers() -> crate::TestApp {
    crate::spawn_app_with(|config| config.jobs.workers = 0).await
}

/// A multipart batch of named files, sent by `user` to `POST /api/v1/recordings`.
async fn upload_recordings(
    app: &crate::TestApp,
    user: &crate::User,
    files: Vec<(&str, Vec<u8>)>,
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    let response = user
        .client
        .post(app.url("/api/v1/recordings"))
        .header("X-CSRF-Token", &user.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_bad_file_in_a_batch_is_refused_on_its_own_and_the_good_files_are_stored() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let good = replay_bytes("07e9.replay");
    let mut padded = replay_bytes("dropshot_rumble.replay");
    padded.extend_from_slice(&[0u8; 4096]);
    let truncated = good[..good.len() / 2].to_vec();
    let (status, body) = upload_recordings(
        &app,
        &alice,
        vec![
            (
                "notes.txt",
                b"these are not the replays you are looking for".to_vec(),
            ),
            ("first.replay", good.clone()),
            ("padded.replay", padded),
            ("half.replay", truncated),
            ("second.replay", replay_bytes("heatseeker.replay")),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 2);
    assert_eq!(body["refused"], 3);
    let files = body["recordings"].as_array().unwrap();
    let summary: Vec<(&str, &str, &str)> = files
        .iter()
        .map(|f| {
            (
                f["filename"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
                f["error"]["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            // No registered domain recognizes a text file.
            ("notes.txt", "refused", "unrecognized_file"),
            ("first.replay", "stored", ""),
            ("padded.replay", "refused", "trailing_bytes"),
            ("half.replay", "refused", "not_a_replay"),
            ("second.replay", "stored", ""),
        ]
    );
    assert!(
        files[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("notes.txt")
    );
    assert_eq!(files[1]["kind"], "rl_replay");
    assert_eq!(files[1]["newly_stored"], true);

    // Only the two good files left anything behind.
    assert_eq!(app.object_files(), 2);
    assert_eq!(app.temp_files(), 0);
    let list = alice.get_json(&app, "/api/v1/recordings").await;
    assert_eq!(list["total"], 2);
    let id = files[1]["recording_id"].as_str().unwrap();
    alice.wait_until_done(&app, id).await;
    let detail = alice
        .get_json(&app, &format!("/api/v1/recordings/{id}"))
        .await;
    assert_eq!(detail["filename"], "first.replay");
}

#[tokio::test]
async fn a_batch_of_only_bad_files_gets_422_with_each_files_error_and_stores_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let (status, body) = upload_recordings(
        &app,
        &alice,
        vec![("a.replay", vec![0u8; 100]), ("b.replay", Vec::new())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["stored"], 0);
    assert_eq!(body["refused"], 2);
    // Zeros carry no domain's signature; an empty file has no bytes to
    // recognize.
    assert_eq!(body["recordings"][0]["error"]["code"], "unrecognized_file");
    assert_eq!(body["recordings"][1]["error"]["code"], "unrecognized_file");
    assert_eq!(app.object_files(), 0);
    assert_eq!(app.temp_files(), 0);
    let list = alice.get_json(&app, "/api/v1/recordings").await;
    assert_eq!(list["total"], 0);
}
