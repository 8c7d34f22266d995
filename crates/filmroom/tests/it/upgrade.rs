//! Upgrades keep data: a data directory written by an older filmroom (the
//! schema of migrations 0001-0003, filled as that release filled it: real
//! analyses, argon2 passwords, hashed session and token secrets, a coach
//! conversation with a citation, notes, usage, a budget, a plan) is served by
//! today's binary, which migrates it on start. Every account, session, token,
//! game, conversation, note, usage record and plan must still be there and
//! usable, and no row of the old tables may be lost.
//!
//! The old database is built with raw SQL against the old schema, never with
//! today's `Store` (whose writes follow today's schema), so the test keeps
//! describing the old release however the code moves on.

use std::borrow::Cow;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

use crate::serve::{Server, browser, form_csrf, free_port, start};
use crate::{BOTH_TEAMS, corpus, filmroom, scratch};

/// The last migration of the release whose data this test upgrades.
const OLD_SCHEMA_VERSION: i64 = 3;

/// The old release's tables, whose rows must all survive the upgrade.
const OLD_TABLES: [&str; 15] = [
    "users",
    "user_player_names",
    "sessions",
    "api_tokens",
    "recordings",
    "recording_players",
    "recording_owners",
    "jobs",
    "conversations",
    "messages",
    "message_citations",
    "notes",
    "usage_records",
    "budget_periods",
    "rate_events",
];

const ALICE: &str = "2d1c9f3e-0a6b-4c2e-9d51-6f1f8a0b7c11";
const BOB: &str = "7b2e4a90-3c5d-4e8f-a1b2-c3d4e5f60718";
const ALICE_PASSWORD: &str = "a long old password";
const ALICE_SESSION: &str = "5e551013a11ce0000000000000000000000000000000000000000000000000001";
const BOB_SESSION: &str = "5e551013b0b00000000000000000000000000000000000000000000000000002";
const ALICE_TOKEN: &str = "frt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const CONVERSATION: &str = "c0c0c0c0-1111-4222-8333-444455556666";
const QUESTION: &str = "a1a1a1a1-1111-4222-8333-444455556666";
const ANSWER: &str = "b2b2b2b2-1111-4222-8333-444455556666";
const NOTE: &str = "d3d3d3d3-1111-4222-8333-444455556666";
const USAGE: &str = "e4e4e4e4-1111-4222-8333-444455556666";

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn open(db: &Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(true)
        .foreign_keys(true);
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap()
}

/// The migrations of the old release only, from the store's own directory.
async fn old_migrator() -> Migrator {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/migrations/sqlite");
    let mut migrator = Migrator::new(dir).await.unwrap();
    let old: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= OLD_SCHEMA_VERSION)
        .cloned()
        .collect();
    assert_eq!(old.len(), 3, "migrations 0001-0003 are the old release");
    migrator.migrations = Cow::Owned(old);
    migrator
}

struct OldGame {
    id: String,
    sha256: String,
    player_name: String,
}

/// Writes one analysed game as the old release did: the replay in the
/// content-addressed objects directory, the report JSON and summary columns
/// on the recording, its players, the owner link and a finished job.
async fn insert_game(
    pool: &SqlitePool,
    objects: &Path,
    id: &str,
    owner: &str,
    stem: &str,
    now: i64,
) -> OldGame {
    let bytes = std::fs::read(corpus(stem)).unwrap();
    let sha = sha256_hex(&bytes);
    let dir = objects.join(&sha[0..2]).join(&sha[2..4]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&sha), &bytes).unwrap();

    let analysis = filmroom_replay::analyze(&bytes).unwrap();
    let neutral = filmroom_replay::domain::to_neutral(&analysis).unwrap();
    let output = filmroom_store::AnalysisOutput::from_neutral(neutral).unwrap();
    let summary = &output.summary;
    sqlx::query(
        "INSERT INTO recordings (id, sha256, size, kind, created_at, analysis_json, analyzed_at,
             played_at, map, match_type, team_size, score_blue, score_orange)
         VALUES (?, ?, ?, 'rl_replay', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(&sha)
    .bind(i64::try_from(bytes.len()).unwrap())
    .bind(now - 3600)
    .bind(&output.report_json)
    .bind(now - 3500)
    .bind(summary.played_at.map(|t| t.unix_timestamp()))
    .bind(&summary.map)
    .bind(&summary.match_type)
    .bind(summary.team_size.map(i64::from))
    .bind(i64::from(summary.score[0]))
    .bind(i64::from(summary.score[1]))
    .execute(pool)
    .await
    .unwrap();
    for (position, player) in summary.players.iter().enumerate() {
        sqlx::query(
            "INSERT INTO recording_players (recording_id, position, name, player_id, team)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(i64::try_from(position).unwrap())
        .bind(&player.name)
        .bind(&player.id)
        .bind(i64::from(player.team))
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO recording_owners (recording_id, user_id, original_filename, uploaded_at)
         VALUES (?, ?, ?, ?)",
    )
    .bind(id)
    .bind(owner)
    .bind(format!("{stem}.replay"))
    .bind(now - 3600)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO jobs (id, recording_id, state, attempts, max_attempts, run_after, created_at,
             updated_at, finished_at)
         VALUES (?, ?, 'done', 1, 3, ?, ?, ?, ?)",
    )
    .bind(uuid_like(id, 'f'))
    .bind(id)
    .bind(now - 3600)
    .bind(now - 3600)
    .bind(now - 3500)
    .bind(now - 3500)
    .execute(pool)
    .await
    .unwrap();
    OldGame {
        id: id.to_owned(),
        sha256: sha,
        player_name: summary.players[0].name.clone(),
    }
}

/// Another UUID derived from `id` (its first character replaced).
fn uuid_like(id: &str, first: char) -> String {
    format!("{first}{}", &id[1..])
}

async fn exec(pool: &SqlitePool, sql: &str, binds: &[&str]) {
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    query.execute(pool).await.unwrap();
}

/// Builds the old release's data directory; returns its games.
async fn build_old_installation(data: &Path) -> Vec<OldGame> {
    let pool = open(&data.join("filmroom.db")).await;
    old_migrator().await.run(&pool).await.unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let hash = filmroom_web::auth::hash_password(ALICE_PASSWORD.to_owned())
        .await
        .unwrap();

    sqlx::query(
        "INSERT INTO users (id, username, password_hash, is_admin, created_at, plan)
         VALUES (?, 'alice', ?, 1, ?, 'pro'), (?, 'bob', ?, 0, ?, NULL)",
    )
    .bind(ALICE)
    .bind(&hash)
    .bind(now - 86_400)
    .bind(BOB)
    .bind(&hash)
    .bind(now - 86_000)
    .execute(&pool)
    .await
    .unwrap();
    for (id_hash, user, csrf) in [
        (sha256_hex(ALICE_SESSION.as_bytes()), ALICE, "csrf-alice"),
        (sha256_hex(BOB_SESSION.as_bytes()), BOB, "csrf-bob"),
    ] {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id_hash)
        .bind(user)
        .bind(csrf)
        .bind(now - 600)
        .bind(now + 30 * 86_400)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, last_used_at)
         VALUES ('0f0f0f0f-1111-4222-8333-444455556666', ?, 'old laptop', ?, ?, ?)",
    )
    .bind(ALICE)
    .bind(sha256_hex(ALICE_TOKEN.as_bytes()))
    .bind(now - 7200)
    .bind(now - 7000)
    .execute(&pool)
    .await
    .unwrap();

    let objects = data.join("objects");
    let games = vec![
        insert_game(
            &pool,
            &objects,
            "11111111-2222-4333-8444-555566667777",
            ALICE,
            BOTH_TEAMS,
            now,
        )
        .await,
        insert_game(
            &pool,
            &objects,
            "22222222-2222-4333-8444-555566667777",
            ALICE,
            "07e9",
            now,
        )
        .await,
    ];
    // Bob owns the first game too: one recording, two owners.
    exec(
        &pool,
        "INSERT INTO recording_owners (recording_id, user_id, original_filename, uploaded_at)
         VALUES (?, ?, 'same.replay', 0)",
        &[&games[0].id, BOB],
    )
    .await;
    exec(
        &pool,
        "INSERT INTO user_player_names (user_id, name) VALUES (?, ?)",
        &[ALICE, &games[0].player_name],
    )
    .await;

    let ts = now.to_string();
    exec(
        &pool,
        "INSERT INTO conversations (id, owner_id, title, profile, created_at, updated_at)
         VALUES (?, ?, 'How was my last game?', 'rl-coach', ?, ?)",
        &[CONVERSATION, ALICE, &ts, &ts],
    )
    .await;
    for (id, role, text, tokens) in [
        (QUESTION, "user", "How was my last game?", "0"),
        (
            ANSWER,
            "assistant",
            "You scored at 1:05 [game:11111111-2222-4333-8444-555566667777@1:05].",
            "120",
        ),
    ] {
        exec(
            &pool,
            "INSERT INTO messages (id, conversation_id, role, text, tool_calls_json,
                 attachments_json, provider, model, stop_reason, input_tokens, output_tokens,
                 cache_read_tokens, cache_write_tokens, cost_micros, created_at)
             VALUES (?, ?, ?, ?, '[]', '[]', 'builtin', 'analyst', 'end_turn', ?, ?, 0, 0, 0, ?)",
            &[id, CONVERSATION, role, text, tokens, tokens, &ts],
        )
        .await;
    }
    exec(
        &pool,
        "INSERT INTO message_citations (message_id, position, recording_id, at_seconds, label)
         VALUES (?, 0, ?, 65.0, '1:05')",
        &[ANSWER, &games[0].id],
    )
    .await;
    exec(
        &pool,
        "INSERT INTO notes (id, owner_id, text, author, created_at, updated_at)
         VALUES (?, ?, 'Rotate back post after a challenge.', 'coach', ?, ?)",
        &[NOTE, ALICE, &ts, &ts],
    )
    .await;
    exec(
        &pool,
        "INSERT INTO usage_records (id, user_id, conversation_id, message_id, provider, model,
             input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, latency_ms,
             cost_micros, outcome, created_at)
         VALUES (?, ?, ?, ?, 'anthropic', 'claude-old', 1000, 240, 0, 0, 900, 4200, 'ok', ?)",
        &[USAGE, ALICE, CONVERSATION, ANSWER, &ts],
    )
    .await;
    let period = format!(
        "{:04}-{:02}",
        time::OffsetDateTime::now_utc().year(),
        u8::from(time::OffsetDateTime::now_utc().month())
    );
    exec(
        &pool,
        "INSERT INTO budget_periods (user_id, period, spent, reserved, updated_at)
         VALUES (?, ?, 1240, 0, ?)",
        &[ALICE, &period, &ts],
    )
    .await;
    exec(
        &pool,
        "INSERT INTO rate_events (user_id, kind, at) VALUES (?, 'chat', ?)",
        &[ALICE, &ts],
    )
    .await;
    pool.close().await;
    games
}

async fn row_counts(db: &Path) -> Vec<(String, i64)> {
    let pool = open(db).await;
    let mut counts = Vec::new();
    for table in OLD_TABLES {
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        counts.push((table.to_owned(), row.get::<i64, _>("n")));
    }
    pool.close().await;
    counts
}

async fn get(server: &Server, path: &str, auth: (&str, String)) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", server.base))
        .header(auth.0, auth.1)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "GET {path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

fn token() -> (&'static str, String) {
    ("authorization", format!("Bearer {ALICE_TOKEN}"))
}

fn session(secret: &str) -> (&'static str, String) {
    ("cookie", format!("{}={secret}", "filmroom_session"))
}

/// The old argon2 hash still verifies: the login form signs the user in.
async fn assert_password_login_works(base: &str, username: &str, password: &str) {
    let client = browser();
    let csrf = form_csrf(&client, &format!("{base}/login")).await;
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let me: Value = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], username);
}

#[tokio::test]
async fn a_data_directory_of_the_old_schema_upgrades_with_everything_intact() {
    let data = scratch("upgrade");
    let games = build_old_installation(&data).await;
    let before = row_counts(&data.join("filmroom.db")).await;
    assert!(before.iter().all(|(_, n)| *n > 0), "{before:?}");

    let server = start(&data, free_port()).await;

    // The token and both sessions still sign their users in.
    let me = get(&server, "/api/v1/me", token()).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["is_admin"], true);
    assert_eq!(me["player_names"][0], games[0].player_name.as_str());
    let bob = get(&server, "/api/v1/me", session(BOB_SESSION)).await;
    assert_eq!(bob["username"], "bob");
    let account = reqwest::Client::new()
        .get(format!("{}/account", server.base))
        .header("cookie", format!("filmroom_session={ALICE_SESSION}"))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
    assert_password_login_works(&server.base, "alice", ALICE_PASSWORD).await;
    let tokens = get(&server, "/api/v1/tokens", token()).await;
    assert_eq!(tokens["tokens"][0]["name"], "old laptop");

    // Games: both listed, analysed, with their files and reports.
    let list = get(&server, "/api/v1/games", token()).await;
    assert_eq!(list["total"], 2, "{list}");
    let mut ids: Vec<&str> = list["games"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [games[0].id.as_str(), games[1].id.as_str()]);
    assert!(
        list["games"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["analyzed"] == true)
    );
    let detail = get(&server, &format!("/api/v1/games/{}", games[0].id), token()).await;
    assert!(detail["analysis"]["players"].as_array().unwrap().len() >= 2);
    let bobs = get(&server, "/api/v1/games", session(BOB_SESSION)).await;
    assert_eq!(bobs["total"], 1);
    for game in &games {
        let object = data
            .join("objects")
            .join(&game.sha256[0..2])
            .join(&game.sha256[2..4])
            .join(&game.sha256);
        assert_eq!(sha256_hex(&std::fs::read(object).unwrap()), game.sha256);
    }

    // The coach's conversation, its citation, the note, the usage and the plan.
    let conversation = get(
        &server,
        &format!("/api/v1/coach/conversations/{CONVERSATION}"),
        token(),
    )
    .await;
    let messages = conversation["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["text"], "How was my last game?");
    assert_eq!(messages[1]["citations"][0]["game_id"], games[0].id.as_str());
    assert_eq!(messages[1]["citations"][0]["at_seconds"], 65.0);
    let notes = get(&server, "/api/v1/coach/notes", token()).await;
    assert_eq!(
        notes["notes"][0]["text"],
        "Rotate back post after a challenge."
    );
    let history = get(&server, "/api/v1/usage/history", token()).await;
    assert_eq!(history["records"][0]["id"], USAGE);
    assert_eq!(history["records"][0]["cost_micros"], 4200);
    let usage = get(&server, "/api/v1/usage/current", token()).await;
    assert_eq!(usage["plan"], "pro");

    // The old analyses had no neutral rows: the server queued their
    // re-analysis at start, and alice's old player name became her link.
    let db = data.join("filmroom.db");
    let pool = open(&db).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recordings WHERE revision IS NULL
             OR EXISTS (SELECT 1 FROM jobs WHERE recording_id = recordings.id
                        AND state IN ('queued', 'running'))",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if pending == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the old games were not re-analysed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let metrics: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM metrics")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(metrics > 100, "{metrics} metrics");
    let (me, outcome): (Option<String>, String) = sqlx::query_as(
        "SELECT me, outcome FROM recording_owners WHERE user_id = ? AND recording_id = ?",
    )
    .bind(ALICE)
    .bind(&games[0].id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        me.is_some(),
        "alice's old player name finds her participant"
    );
    assert!(
        ["win", "loss", "draw"].contains(&outcome.as_str()),
        "{outcome}"
    );
    pool.close().await;
    // The re-analysis did not replace what the user sees of the upload.
    let list = get(&server, "/api/v1/games", token()).await;
    assert!(
        list["games"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["state"] == "done" && g["analyzed"] == true),
        "{list}"
    );
    drop(server);

    // By hand: nothing is outdated any more; --all queues both again.
    let config = data.join("filmroom.toml");
    std::fs::write(
        &config,
        format!("[storage]\ndata_dir = {:?}\n", data.display().to_string()),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let run = filmroom(["reanalyze", "--config", config]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let revision = filmroom_replay::ANALYSIS_REVISION;
    // One line per domain the binary ships (Rocket League, then talks).
    assert_eq!(
        run.stdout,
        format!(
            "rl_replay: queued 0 re-analyses (revision {revision})\ntalk: queued 0 re-analyses (revision {})\n",
            filmroom_talk::REVISION
        )
    );
    let run = filmroom([
        "reanalyze",
        "--config",
        config,
        "--kind",
        "rl_replay",
        "--all",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("rl_replay: queued 2 re-analyses (revision {revision})\n")
    );
    let run = filmroom(["reanalyze", "--config", config, "--kind", "chess"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("unknown kind \"chess\""),
        "{}",
        run.stderr
    );

    // No row of the old tables was lost (requests may add some: a login's session).
    let after = row_counts(&data.join("filmroom.db")).await;
    for ((table, was), (_, is)) in before.iter().zip(&after) {
        assert!(
            is >= was,
            "{table}: {was} rows before the upgrade, {is} after"
        );
    }
}
