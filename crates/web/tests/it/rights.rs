//! Data rights through the real app: deleting a recording (the owner link;
//! the rows and file once no owner is left), the export zip, and erasing an
//! account, checked against the database file and the object directory.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

use crate::{PASSWORD, TestApp, User, replay_bytes, spawn_app};

/// The app's database, opened as another process would.
async fn database(app: &TestApp) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", app.dir.path().join("filmroom.db").display());
    sqlx::SqlitePool::connect(&url).await.unwrap()
}

async fn rows_of_recording(app: &TestApp, id: &str) -> i64 {
    let db = database(app).await;
    let mut total = 0;
    for table in [
        "recordings",
        "recording_owners",
        "jobs",
        "recording_facets",
        "recording_sides",
        "participants",
        "metrics",
        "events",
        "passages",
        "owner_facets",
    ] {
        let column = if table == "recordings" {
            "id"
        } else {
            "recording_id"
        };
        let n: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = ?"))
                .bind(id)
                .fetch_one(&db)
                .await
                .unwrap();
        total += n;
    }
    total
}

async fn delete_recording(app: &TestApp, user: &User, id: &str) -> reqwest::Response {
    user.client
        .delete(app.url(&format!("/api/v1/recordings/{id}")))
        .header("X-CSRF-Token", &user.csrf)
        .send()
        .await
        .unwrap()
}

async fn upload_one(app: &TestApp, user: &User, name: &str, replay: &str) -> String {
    let uploaded: Value = user
        .upload(app, vec![(name, replay_bytes(replay))])
        .await
        .json()
        .await
        .unwrap();
    let id = uploaded["uploads"][0]["game_id"]
        .as_str()
        .unwrap()
        .to_owned();
    user.wait_until_done(app, &id).await;
    id
}

#[tokio::test]
async fn a_shared_recording_stays_for_the_other_owner_and_the_last_owners_delete_removes_rows_and_file()
 {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let id = upload_one(&app, &alice, "alice.replay", "07e9.replay").await;
    assert_eq!(
        upload_one(&app, &bob, "bob.replay", "07e9.replay").await,
        id
    );
    assert_eq!(app.object_files(), 1);
    let rows = rows_of_recording(&app, &id).await;

    let response = delete_recording(&app, &alice, &id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["deleted_everywhere"], false);
    let gone = alice
        .client
        .get(app.url(&format!("/api/v1/recordings/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    // Bob's copy is whole: his page, his analysis, the file.
    let bobs = bob
        .get_json(&app, &format!("/api/v1/recordings/{id}"))
        .await;
    assert_eq!(bobs["id"], id.as_str());
    assert!(!bobs["events"].as_array().unwrap().is_empty());
    assert_eq!(app.object_files(), 1);
    // Only alice's owner link (and her facet rows) went.
    assert!(rows_of_recording(&app, &id).await < rows);
    assert!(rows_of_recording(&app, &id).await > 0);
    // Deleting it again is a 404: she no longer owns it.
    assert_eq!(
        delete_recording(&app, &alice, &id).await.status(),
        StatusCode::NOT_FOUND
    );

    let response = delete_recording(&app, &bob, &id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["deleted_everywhere"], true);
    assert_eq!(rows_of_recording(&app, &id).await, 0);
    assert_eq!(app.object_files(), 0);
    let db = database(&app).await;
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM object_deletions")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(queued, 0);
    // The same bytes uploaded again are a new recording with a file.
    let again = upload_one(&app, &alice, "again.replay", "07e9.replay").await;
    assert_ne!(again, id);
    assert_eq!(app.object_files(), 1);
}

#[tokio::test]
async fn the_recordings_page_deletes_it_only_once_the_box_is_ticked() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let id = upload_one(&app, &alice, "alice.replay", "07e9.replay").await;
    let page = alice.get_page(&app, &format!("/games/{id}")).await;
    assert!(
        page.contains(&format!("action=\"/games/{id}/delete\"")),
        "{page}"
    );

    let unconfirmed = alice
        .client
        .post(app.url(&format!("/games/{id}/delete")))
        .form(&[("csrf", alice.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(unconfirmed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.object_files(), 1);

    let confirmed = alice
        .client
        .post(app.url(&format!("/games/{id}/delete")))
        .form(&[("csrf", alice.csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(rows_of_recording(&app, &id).await, 0);
    assert_eq!(app.object_files(), 0);
    let list = alice.get_json(&app, "/api/v1/recordings").await;
    assert_eq!(list["total"], 0, "{list}");
}

async fn post_json(app: &TestApp, user: &User, path: &str, body: Value) -> Value {
    let response = user
        .client
        .post(app.url(path))
        .header("X-CSRF-Token", &user.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

fn entry(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut file = zip.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).unwrap();
    bytes
}

fn json_entry(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Value {
    serde_json::from_slice(&entry(zip, name)).unwrap()
}

#[tokio::test]
async fn the_export_holds_every_file_analysis_conversation_note_usage_and_setting_of_the_user() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let id = upload_one(&app, &alice, "../my game.replay", "07e9.replay").await;
    let bobs = upload_one(&app, &bob, "bob-only.replay", "00bb.replay").await;
    post_json(
        &app,
        &alice,
        "/api/v1/coach/notes",
        serde_json::json!({ "text": "alice's kickoff note" }),
    )
    .await;
    let chat = alice
        .client
        .post(app.url("/api/v1/coach/chat"))
        .header("X-CSRF-Token", &alice.csrf)
        .json(&serde_json::json!({ "message": "Explain my last game" }))
        .send()
        .await
        .unwrap();
    assert_eq!(chat.status(), StatusCode::OK);
    chat.text().await.unwrap();
    let names = alice
        .client
        .post(app.url("/account/player-names"))
        .form(&[("names", "Alice One"), ("csrf", alice.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(names.status(), StatusCode::SEE_OTHER);

    // A client that accepts gzip (as browsers and most HTTP libraries do)
    // gets the zip whole, as long as its Content-Length says: a compressed
    // body once broke off mid-stream (found by schemathesis).
    let response = alice
        .client
        .get(app.url("/api/v1/me/export"))
        .header("Accept-Encoding", "gzip, deflate")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert!(response.headers().get("content-encoding").is_none());
    let declared: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = response.bytes().await.unwrap().to_vec();
    assert_eq!(bytes.len(), declared);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();

    let account = json_entry(&mut zip, "account.json");
    assert_eq!(account["format"], "filmroom-export/1");
    assert_eq!(account["username"], "alice");
    assert_eq!(account["player_names"], serde_json::json!(["Alice One"]));
    let me = alice.get_json(&app, "/api/v1/me").await;
    assert_eq!(account["id"], me["id"]);

    let recordings = json_entry(&mut zip, "recordings.json");
    let recordings = recordings.as_array().unwrap();
    assert_eq!(recordings.len(), 1, "only alice's own: {recordings:?}");
    let recording = &recordings[0];
    assert_eq!(recording["id"], id.as_str());
    assert_eq!(recording["original_filename"], "../my game.replay");
    // The name the user gave cannot climb out of the recording's folder.
    let file = recording["file"].as_str().unwrap();
    assert_eq!(file, format!("recordings/{id}/_my game.replay"));
    assert_eq!(entry(&mut zip, file), replay_bytes("07e9.replay"));
    let report: Value = alice
        .client
        .get(app.url(&format!("/api/v1/recordings/{id}/report")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let analysis = json_entry(&mut zip, recording["analysis"].as_str().unwrap());
    assert_eq!(analysis, report);

    let conversations = json_entry(&mut zip, "conversations.json");
    let listed = alice.get_json(&app, "/api/v1/coach/conversations").await;
    let conversation_id = listed["conversations"][0]["id"].as_str().unwrap();
    assert_eq!(conversations.as_array().unwrap().len(), 1);
    assert_eq!(conversations[0]["id"], conversation_id);
    let messages = alice
        .get_json(
            &app,
            &format!("/api/v1/coach/conversations/{conversation_id}"),
        )
        .await;
    assert_eq!(
        conversations[0]["messages"].as_array().unwrap().len(),
        messages["messages"].as_array().unwrap().len()
    );
    assert_eq!(
        conversations[0]["messages"][0]["text"],
        "Explain my last game"
    );

    let notes = json_entry(&mut zip, "notes.json");
    assert_eq!(notes.as_array().unwrap().len(), 1);
    assert_eq!(notes[0]["text"], "alice's kickoff note");

    let usage = json_entry(&mut zip, "usage.json");
    let history = alice.get_json(&app, "/api/v1/usage/history").await;
    let history = history
        .as_array()
        .or(history["records"].as_array())
        .unwrap();
    assert_eq!(usage.as_array().unwrap().len(), history.len());

    // Nothing of bob's.
    let names: Vec<String> = zip
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(&bobs)), "{names:?}");
    assert_eq!(
        names.len(),
        7,
        "account, recordings, file, analysis, conversations, notes, usage: {names:?}"
    );
}

/// Every cell of every table of the database that contains `needle`.
async fn cells_containing(db: &sqlx::SqlitePool, needle: &str) -> Vec<String> {
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(db)
            .await
            .unwrap();
    assert!(tables.len() > 20, "{tables:?}");
    let mut found = Vec::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(db)
                .await
                .unwrap()
                .iter()
                .map(|row| row.get::<String, _>("name"))
                .collect();
        for column in columns {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE instr(lower(CAST(\"{column}\" AS TEXT)), lower(?)) > 0"
            ))
            .bind(needle)
            .fetch_one(db)
            .await
            .unwrap();
            if n > 0 {
                found.push(format!("{table}.{column} ({n})"));
            }
        }
    }
    found
}

#[tokio::test]
async fn erasing_an_account_leaves_no_row_naming_the_user_and_no_file_only_they_owned() {
    let app = spawn_app().await;
    let erin = app.sign_up("erin-erasable", PASSWORD).await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let only_erins = upload_one(&app, &erin, "erin.replay", "00bb.replay").await;
    let shared = upload_one(&app, &erin, "erin-shared.replay", "07e9.replay").await;
    assert_eq!(
        upload_one(&app, &bob, "bob.replay", "07e9.replay").await,
        shared
    );
    let note = "erin's private note zq7";
    post_json(
        &app,
        &erin,
        "/api/v1/coach/notes",
        serde_json::json!({ "text": note }),
    )
    .await;
    post_json(
        &app,
        &erin,
        "/api/v1/tokens",
        serde_json::json!({ "name": "erin-token-zq7" }),
    )
    .await;
    let chat = erin
        .client
        .post(app.url("/api/v1/coach/chat"))
        .header("X-CSRF-Token", &erin.csrf)
        .json(&serde_json::json!({ "message": "Explain my last game" }))
        .send()
        .await
        .unwrap();
    chat.text().await.unwrap();
    let erin_id = erin.get_json(&app, "/api/v1/me").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.object_files(), 2);
    let db = database(&app).await;
    assert!(!cells_containing(&db, &erin_id).await.is_empty());

    let refused = erin
        .client
        .delete(app.url("/api/v1/me"))
        .header("X-CSRF-Token", &erin.csrf)
        .json(&serde_json::json!({ "password": "not erin's password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        erin.get_json(&app, "/api/v1/me").await["id"],
        erin_id.as_str()
    );

    let erased = erin
        .client
        .delete(app.url("/api/v1/me"))
        .header("X-CSRF-Token", &erin.csrf)
        .json(&serde_json::json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::OK);
    let erased: Value = erased.json().await.unwrap();
    assert_eq!(erased["recordings_deleted"], 1);
    assert_eq!(erased["recordings_kept"], 1);

    for needle in [
        erin_id.as_str(),
        "erin-erasable",
        note,
        "erin-token-zq7",
        "erin.replay",
        "erin-shared",
    ] {
        assert_eq!(
            cells_containing(&db, needle).await,
            Vec::<String>::new(),
            "{needle}"
        );
    }
    assert_eq!(rows_of_recording(&app, &only_erins).await, 0);
    // The shared recording is bob's, whole; its file is the one left.
    assert_eq!(app.object_files(), 1);
    let bobs = bob
        .get_json(&app, &format!("/api/v1/recordings/{shared}"))
        .await;
    assert_eq!(bobs["id"], shared.as_str());
    let report = bob
        .client
        .get(app.url(&format!("/api/v1/recordings/{shared}/report")))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    // The session is gone with the account, and the name is free again.
    let me = erin.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let log = app.store().await.audit_log(10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].actor.as_str(), log[0].action.as_str()),
        ("self", "erase_user")
    );
    app.sign_up("erin-erasable", PASSWORD).await;
}

#[tokio::test]
async fn the_account_page_erases_only_with_the_right_password() {
    let app = spawn_app().await;
    let erin = app.sign_up("erin", PASSWORD).await;
    upload_one(&app, &erin, "erin.replay", "07e9.replay").await;
    let page = erin.get_page(&app, "/account").await;
    assert!(page.contains("action=\"/account/delete\""), "{page}");
    assert!(page.contains("href=\"/api/v1/me/export\""), "{page}");

    let wrong = erin
        .client
        .post(app.url("/account/delete"))
        .form(&[("password", "wrong password"), ("csrf", erin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(wrong.text().await.unwrap().contains("password is wrong"));
    assert_eq!(app.object_files(), 1);

    let right = erin
        .client
        .post(app.url("/account/delete"))
        .form(&[("password", PASSWORD), ("csrf", erin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.object_files(), 0);
    let store = app.store().await;
    let name = filmroom_store::Username::parse("erin").unwrap();
    assert!(store.user_by_username(&name).await.unwrap().is_none());
}
