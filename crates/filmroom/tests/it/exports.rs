//! Exports from a running `filmroom serve` against what `filmroom analyze`
//! prints for the same files: the web's ballchasing JSON and games CSV are
//! the CLI's, for the owner only.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::serve::{free_port, sign_up_with_token, start};
use crate::{TINY, corpus, filmroom, scratch};

async fn upload(base: &str, token: &str, name: &str) -> String {
    let bytes = std::fs::read(corpus(name)).unwrap();
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(bytes).file_name(format!("{name}.replay")),
    );
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/replays"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["uploads"][0]["game_id"].as_str().unwrap().to_owned()
}

async fn get(base: &str, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The game once its analysis is done.
async fn analysed(base: &str, token: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let game: Value = get(base, token, &format!("/api/v1/games/{id}"))
            .await
            .json()
            .await
            .unwrap();
        match game["game"]["state"].as_str() {
            Some("done") => return game,
            Some("dead") => panic!("job died: {game}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "not analysed: {game}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The server keeps a report as JSON text and reads it back with serde_json,
/// whose default float parser may land one unit in the last place away from
/// the number written; anything more is a real difference.
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// `web` and `cli` hold the same keys, strings and (see [`close`]) numbers.
fn same_json(at: &str, web: &Value, cli: &Value) {
    match (web, cli) {
        (Value::Number(w), Value::Number(c)) => {
            let (w, c) = (w.as_f64().unwrap(), c.as_f64().unwrap());
            assert!(close(w, c), "{at}: web {w}, cli {c}");
        }
        (Value::Array(w), Value::Array(c)) => {
            assert_eq!(w.len(), c.len(), "{at}");
            for (i, (w, c)) in w.iter().zip(c).enumerate() {
                same_json(&format!("{at}[{i}]"), w, c);
            }
        }
        (Value::Object(w), Value::Object(c)) => {
            assert_eq!(
                w.keys().collect::<Vec<_>>(),
                c.keys().collect::<Vec<_>>(),
                "{at}"
            );
            for (key, w) in w {
                same_json(&format!("{at}.{key}"), w, &c[key]);
            }
        }
        (w, c) => assert_eq!(w, c, "{at}"),
    }
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn the_games_csv_holds_the_filtered_games_rows_as_analyze_writes_them_and_the_json_is_the_clis()
 {
    let data = scratch("exports");
    let server = start(&data, free_port()).await;
    let token = sign_up_with_token(&server.base).await;
    let mut maps = Vec::new();
    for name in TINY {
        let id = upload(&server.base, &token, name).await;
        let game = analysed(&server.base, &token, &id).await;
        maps.push((name, id, game["game"]["map"].as_str().unwrap().to_owned()));
    }
    let (picked, picked_id, map) = maps[0].clone();
    let others: Vec<_> = maps.iter().filter(|(_, _, m)| *m != map).collect();
    assert!(!others.is_empty(), "the tiny replays share a map: {maps:?}");

    // The CSV of the list filtered to one map: that game's players only,
    // under the analyze CLI's header, each row the CLI's but for `file`.
    let response = get(
        &server.base,
        &token,
        &format!("/api/v1/games/export.csv?map={map}"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let (header, rows) = csv_rows(&response.text().await.unwrap());
    let cli = filmroom([
        "analyze".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        corpus(picked).as_os_str(),
    ]);
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    let (cli_header, cli_rows) = csv_rows(&cli.stdout);
    assert_eq!(header, cli_header);
    assert!(!rows.is_empty());
    assert_eq!(rows.len(), cli_rows.len());
    for (web, cli) in rows.iter().zip(&cli_rows) {
        assert_eq!(web[0], format!("{picked}.replay"));
        assert_eq!(web.len(), cli.len());
        for (column, (w, c)) in header.iter().zip(web.iter().zip(cli)).skip(1) {
            let same = match (w.parse::<f64>(), c.parse::<f64>()) {
                (Ok(w), Ok(c)) => close(w, c),
                _ => w == c,
            };
            assert!(same, "{column}: web {w:?}, cli {c:?}");
        }
    }

    // Unfiltered: every game's players.
    let all = get(&server.base, &token, "/api/v1/games/export.csv").await;
    let (_, all_rows) = csv_rows(&all.text().await.unwrap());
    let mut files: Vec<&str> = all_rows.iter().map(|r| r[0].as_str()).collect();
    files.dedup();
    files.sort_unstable();
    let mut expected: Vec<String> = TINY.iter().map(|n| format!("{n}.replay")).collect();
    expected.sort_unstable();
    assert_eq!(files, expected);

    // A bad filter is refused like on the list.
    let bad = get(&server.base, &token, "/api/v1/games/export.csv?team_size=9").await;
    assert_eq!(bad.status(), 400);

    // The ballchasing JSON of one game is the CLI's for that file.
    let response = get(
        &server.base,
        &token,
        &format!("/api/v1/recordings/{picked_id}/export"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"{picked}.ballchasing.json\"").as_str()
    );
    let web: Value = response.json().await.unwrap();
    let cli = filmroom([
        "analyze".as_ref(),
        "--format".as_ref(),
        "ballchasing".as_ref(),
        corpus(picked).as_os_str(),
    ]);
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    same_json("$", &web, &cli.json());

    // The game page links the download.
    let page = get(&server.base, &token, &format!("/games/{picked_id}")).await;
    let page = page.text().await.unwrap();
    assert!(
        page.contains(&format!("/api/v1/recordings/{picked_id}/export")),
        "{page}"
    );

    // The games list offers the CSV of what it shows, filters included.
    let list = get(&server.base, &token, &format!("/games?map={map}")).await;
    let list = list.text().await.unwrap();
    let form = list
        .split(r#"action="/api/v1/games/export.csv""#)
        .nth(1)
        .unwrap_or_else(|| panic!("no CSV form: {list}"));
    let form = &form[..form.find("</form>").unwrap()];
    assert!(
        form.contains(&format!(r#"name="map" value="{map}""#)),
        "{form}"
    );

    // Another user gets 404 for the game and none of its rows in their CSV.
    let bob = crate::serve::sign_up_with_token_as(&server.base, "bob").await;
    let theirs = get(
        &server.base,
        &bob,
        &format!("/api/v1/recordings/{picked_id}/export"),
    )
    .await;
    assert_eq!(theirs.status(), 404);
    let (_, bob_rows) = csv_rows(
        &get(&server.base, &bob, "/api/v1/games/export.csv")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(bob_rows.is_empty());
}
