//! `cargo bench -p filmroom-web --bench library`: one user with 10,000
//! analysed recordings (generated into the store), measured from the outside
//! against `/health` on the same server in the same run. It prints numbers;
//! nothing asserts a time.
//!
//! Every recording carries the full neutral analysis of a real corpus replay
//! (its participants, ~560 metrics, events and passages, with the date, map
//! and result varied), so the list, filter and trend queries run over
//! realistic row counts. The stored report is a stub: no measured query reads
//! it, and 10,000 real reports would add 2 GB to the database.
//!
//! 1. Requests per second and p50/p99 latency at 16 connections: `/health`,
//!    `GET /api/v1/recordings` (newest 50), the same filtered by a facet and
//!    an outcome, sorted by title at row 5,000 by offset and by cursor, and
//!    the older `GET /api/v1/games` (newest 50, and filtered by map and
//!    result).
//! 2. A metric's trend over all 10,000 recordings (`my_metric_series`): p50/p95.
//!
//! `FILMROOM_BENCH_LIBRARY=path/filmroom.db` measures a library an earlier
//! run generated (copy its `filmroom.db` while it measures) instead of
//! generating one: the app's start migrates the copy to this build's schema,
//! so one library serves a before and an after build.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use filmroom_store::RecordingKind;
use filmroom_web::Config;

const RECORDINGS: u32 = 10_000;
const CLIENTS: usize = 16;
const RUN_FOR: Duration = Duration::from_secs(3);
const TREND_RUNS: usize = 40;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut config = Config::default();
    config.storage.data_dir = dir.path().to_path_buf();
    // The jobs are completed here, by hand: no worker may take them.
    config.jobs.workers = 0;
    config.limits.max_queue_depth = u64::MAX;
    config.server.max_connections_per_address = 0;
    let started = Instant::now();
    let reused = support::reuse_library(dir.path());
    let (app, base, user) = if reused {
        support::app_with_stored_user(config).await
    } else {
        support::app_with_user(config).await
    };
    let token = support::TOKEN;
    let store = app.state().store.clone();
    let now = time::OffsetDateTime::now_utc();

    if reused {
        println!(
            "reused the library in $FILMROOM_BENCH_LIBRARY, migrated in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    } else {
        // One real analysis, varied per recording.
        let template = support::real_game(store.as_ref(), user.id, now).await;
        let neutral = template
            .neutral
            .clone()
            .unwrap_or_else(|| panic!("neutral"));
        let per_recording = (
            neutral.metrics.len(),
            neutral.events.len(),
            neutral.passages.len(),
        );
        let started = Instant::now();
        support::generate(store.as_ref(), user.id, &template, 0..RECORDINGS, now).await;
        println!(
            "generated {RECORDINGS} recordings ({} metrics, {} events, {} passages each) in {:.1} s",
            per_recording.0,
            per_recording.1,
            per_recording.2,
            started.elapsed().as_secs_f64()
        );
    }
    tokio::spawn(app.serve(std::future::pending()));

    let http = reqwest::Client::new();
    let health = support::load(&http, &format!("{base}/health"), None, CLIENTS, RUN_FOR).await;
    let report = |name: &str, load: &support::Load| {
        println!(
            "{name}, {CLIENTS} connections: {:.0} requests/s ({:.2}x /health), p50 {:.1} ms, p99 {:.1} ms, failures {}",
            load.requests_per_second,
            load.requests_per_second / health.requests_per_second,
            load.percentile_ms(0.5),
            load.percentile_ms(0.99),
            load.failures,
        );
    };
    report("GET /health", &health);
    // The cursor a client holds after paging by title to row 5,000.
    let before: serde_json::Value = http
        .get(format!(
            "{base}/api/v1/recordings?sort=title&order=asc&offset=4950"
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cursor = before["next_cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("no cursor: {before}"))
        .to_owned();
    for (name, path) in [
        (
            "GET /api/v1/recordings (newest 50 of 10,000)",
            "/api/v1/recordings".to_owned(),
        ),
        (
            "GET /api/v1/recordings?facet.map&outcome=win",
            format!(
                "/api/v1/recordings?facet.map={}&outcome=win",
                support::MAPS[1]
            ),
        ),
        (
            "GET /api/v1/recordings?sort=title&offset=5000",
            "/api/v1/recordings?sort=title&order=asc&offset=5000".to_owned(),
        ),
        (
            "GET /api/v1/recordings?sort=title&cursor= (row 5,000)",
            format!("/api/v1/recordings?sort=title&order=asc&cursor={cursor}"),
        ),
        (
            "GET /api/v1/games (the older list)",
            "/api/v1/games".to_owned(),
        ),
        (
            "GET /api/v1/games?map&result=win",
            format!("/api/v1/games?map={}&result=win", support::MAPS[1]),
        ),
    ] {
        let load = support::load(
            &http,
            &format!("{base}{path}"),
            Some(token),
            CLIENTS,
            RUN_FOR,
        )
        .await;
        report(name, &load);
    }

    let mut trend = Vec::with_capacity(TREND_RUNS);
    let mut points = 0;
    for _ in 0..TREND_RUNS {
        let sent = Instant::now();
        let series = store
            .my_metric_series(
                user.id,
                RecordingKind::from_static("rl_replay").as_str(),
                "boost.bpm",
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        trend.push(sent.elapsed());
        points = series.len();
    }
    trend.sort();
    println!(
        "trend of boost.bpm over {points} recordings (store query): p50 {:.1} ms, p95 {:.1} ms",
        support::percentile(&trend, 0.5).as_secs_f64() * 1000.0,
        support::percentile(&trend, 0.95).as_secs_f64() * 1000.0,
    );
}
