//! `filmroom import-ballchasing` against a local server that answers as
//! ballchasing.com's API does (listings with `next` paging, groups with
//! child groups, `/replays/{id}/file`, a 429 with `Retry-After`, a 404),
//! built from the real replay documents and files in ../shared/replays/
//! ballchasing, and a real `filmroom serve` receiving the uploads.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::replays;
use crate::serve::{free_port, sign_up_with_token, start};

const KEY: &str = "my-ballchasing-key";
const MISSING: &str = "00000000-0000-0000-0000-00000000dead";

#[derive(Default)]
struct Fake {
    base: String,
    /// Replay id -> (its document, its file).
    replays: Vec<(String, Value, PathBuf)>,
    /// Every request, as `path?query`.
    log: Vec<String>,
    /// Whether the first file download was already throttled.
    throttled: bool,
}

type Shared = Arc<Mutex<Fake>>;

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").is_some_and(|v| v == KEY)
}

fn query(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `GET /replays`: one replay per page, `next` pointing at the following one.
async fn replays_list(State(fake): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.log.push(uri.to_string());
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let q = query(&uri);
    let ids: Vec<String> = match (q.get("group").map(String::as_str), q.get("uploader")) {
        (Some("root"), _) => vec![fake.replays[0].0.clone(), MISSING.to_owned()],
        (Some("child"), _) => vec![fake.replays[1].0.clone()],
        (Some(_), _) => vec![],
        (None, Some(uploader)) => fake
            .replays
            .iter()
            .filter(|(_, doc, _)| doc["uploader"]["steam_id"] == uploader.as_str())
            .map(|(id, _, _)| id.clone())
            .collect(),
        (None, None) => vec![],
    };
    let after: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let list: Vec<Value> = ids
        .get(after..(after + 1).min(ids.len()))
        .unwrap_or_default()
        .iter()
        .map(|id| match fake.replays.iter().find(|(r, _, _)| r == id) {
            Some((_, doc, _)) => doc.clone(),
            None => json!({ "id": id, "link": format!("{}/replays/{id}", fake.base) }),
        })
        .collect();
    let mut next = Value::Null;
    if after + 1 < ids.len() {
        let mut page: Vec<String> = q
            .iter()
            .filter(|(k, _)| *k != "after")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        page.sort();
        next = json!(format!(
            "{}/replays?{}&after={}",
            fake.base,
            page.join("&"),
            after + 1
        ));
    }
    axum::Json(json!({ "count": ids.len(), "list": list, "next": next })).into_response()
}

async fn group(State(fake): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.log.push(format!("/groups/{id}"));
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if id != "root" && id != "child" {
        return StatusCode::NOT_FOUND.into_response();
    }
    axum::Json(json!({ "id": id, "link": format!("{}/groups/{id}", fake.base), "name": id }))
        .into_response()
}

async fn groups_list(State(fake): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.log.push(uri.to_string());
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let children = match query(&uri).get("group").map(String::as_str) {
        Some("root") => vec![json!({ "id": "child", "name": "child" })],
        _ => vec![],
    };
    axum::Json(json!({ "list": children })).into_response()
}

async fn file(State(fake): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.log.push(format!("/replays/{id}/file"));
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if !fake.throttled {
        fake.throttled = true;
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response();
    }
    match fake.replays.iter().find(|(r, _, _)| *r == id) {
        Some((_, _, path)) => std::fs::read(path).unwrap().into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({ "error": "not found" })),
        )
            .into_response(),
    }
}

async fn start_fake() -> Shared {
    let dir = replays().join("ballchasing");
    let mut replays = Vec::new();
    for stem in [
        "recent-ranked-doubles-2026-03-10",
        "recent-ranked-standard-2026-03-10-a",
    ] {
        let doc: Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{stem}.ballchasing.json"))).unwrap(),
        )
        .unwrap();
        let id = doc["id"].as_str().unwrap().to_owned();
        replays.push((id, doc, dir.join(format!("{stem}.replay"))));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake = Arc::new(Mutex::new(Fake {
        base: format!("http://{}/api", listener.local_addr().unwrap()),
        replays,
        ..Fake::default()
    }));
    let app = axum::Router::new()
        .route("/api/replays", get(replays_list))
        .route("/api/replays/{id}/file", get(file))
        .route("/api/groups", get(groups_list))
        .route("/api/groups/{id}", get(group))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    fake
}

async fn import(args: Vec<String>) -> crate::Run {
    tokio::task::spawn_blocking(move || {
        let mut all = vec!["import-ballchasing".to_owned()];
        all.extend(args);
        crate::filmroom(all)
    })
    .await
    .unwrap()
}

async fn recordings(base: &str, token: &str) -> Vec<Value> {
    let body: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/recordings"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["recordings"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_imports_with_its_child_group_through_a_429_and_reports_the_missing_replay() {
    let fake = start_fake().await;
    let api = fake.lock().unwrap().base.clone();
    let (doubles, standard, uploader) = {
        let f = fake.lock().unwrap();
        (
            f.replays[0].0.clone(),
            f.replays[1].0.clone(),
            f.replays[0].1["uploader"]["steam_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    };
    let data = crate::scratch("import-ballchasing");
    let server = start(&data, free_port()).await;
    let token = sign_up_with_token(&server.base).await;
    let common = |what: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = what.iter().map(|s| (*s).to_owned()).collect();
        args.extend(
            [
                "--key",
                KEY,
                "--server",
                server.base.as_str(),
                "--token",
                token.as_str(),
                "--api-base",
                api.as_str(),
                "--min-interval-ms",
                "0",
            ]
            .map(str::to_owned),
        );
        args
    };

    let run = import(common(&["--group", "root"])).await;
    // One listed replay has no file: reported, and the exit code says so.
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("missing {MISSING}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("imported {doubles}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("imported {standard}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("imported 2, missing 1, refused 0"),
        "{}",
        run.stderr
    );
    let stored = recordings(&server.base, &token).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    let dir = replays().join("ballchasing");
    for (name, size) in [
        (
            &doubles,
            std::fs::metadata(dir.join("recent-ranked-doubles-2026-03-10.replay"))
                .unwrap()
                .len(),
        ),
        (
            &standard,
            std::fs::metadata(dir.join("recent-ranked-standard-2026-03-10-a.replay"))
                .unwrap()
                .len(),
        ),
    ] {
        let found = stored
            .iter()
            .find(|r| r["filename"] == format!("{name}.replay").as_str())
            .unwrap_or_else(|| panic!("{name} not stored: {stored:?}"));
        assert_eq!(found["size_bytes"], size);
    }
    {
        let f = fake.lock().unwrap();
        // The root's second page came through `next`, the child group was
        // walked, and the throttled download was retried.
        assert!(
            f.log
                .iter()
                .any(|l| l.contains("group=root") && l.contains("after=1")),
            "{:?}",
            f.log
        );
        assert!(
            f.log.iter().any(|l| l.contains("group=child")),
            "{:?}",
            f.log
        );
        let first_file = f.log.iter().find(|l| l.ends_with("/file")).unwrap().clone();
        assert_eq!(
            f.log.iter().filter(|l| **l == first_file).count(),
            2,
            "{:?}",
            f.log
        );
    }

    // By uploader: their replay only, already stored, so nothing new.
    let run = import(common(&["--uploader", &uploader])).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("imported {doubles}")),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(&standard), "{}", run.stdout);
    assert_eq!(recordings(&server.base, &token).await.len(), 2);

    // A wrong key is a clear error, and nothing is sent.
    let mut bad = common(&["--replay", &doubles]);
    let at = bad.iter().position(|a| a == KEY).unwrap();
    bad[at] = "wrong".into();
    let run = import(bad).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("refused the API key"), "{}", run.stderr);
}
