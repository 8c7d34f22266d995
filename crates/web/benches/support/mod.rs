//! What the web benches share: a closed-loop HTTP load generator that reports
//! requests per second and latency percentiles. Numbers only, never asserts.

// Each bench includes this module and uses only part of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// The bench user's API token (see [`app_with_user`]).
pub const TOKEN: &str = "frt_bench_token";

/// The result of [`load`]: throughput and each request's latency, sorted.
pub struct Load {
    pub requests_per_second: f64,
    pub latencies: Vec<Duration>,
    /// Requests that failed or did not answer 2xx (not counted above).
    pub failures: u64,
}

impl Load {
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies, p).as_secs_f64() * 1000.0
    }
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let last = sorted.len() - 1;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((last as f64) * p).round() as usize;
    sorted[index.min(last)]
}

/// `clients` connections each sending GET `url` one after another for
/// `run_for`, with the bearer `token` when given.
pub async fn load(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    clients: usize,
    run_for: Duration,
) -> Load {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, token) = (http.clone(), url.to_owned(), token.map(str::to_owned));
        let (latencies, failures) = (latencies.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while started.elapsed() < run_for {
                let sent = Instant::now();
                let mut request = http.get(&url);
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let answered = match request.send().await {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                if answered {
                    mine.push(sent.elapsed());
                } else {
                    failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            latencies.lock().await.extend(mine);
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = std::mem::take(&mut *latencies.lock().await);
    latencies.sort();
    #[allow(clippy::cast_precision_loss)]
    let requests_per_second = latencies.len() as f64 / elapsed;
    Load {
        requests_per_second,
        latencies,
        failures: failures.load(std::sync::atomic::Ordering::Relaxed),
    }
}

/// Builds the app from `config` (listening on a free loopback port) and
/// creates the user `bench` with the API token [`TOKEN`], straight through
/// the store. Returns the app (not serving yet), its base URL and the user.
pub async fn app_with_user(
    mut config: filmroom_web::Config,
) -> (filmroom_web::App, String, filmroom_store::User) {
    config.server.listen = ([127, 0, 0, 1], 0).into();
    let app = filmroom_web::App::build(config, rl_domains())
        .await
        .unwrap_or_else(|e| panic!("build: {e:#}"));
    let base = format!(
        "http://{}",
        app.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let store = app.state().store.clone();
    let now = time::OffsetDateTime::now_utc();
    let user = store
        .create_user(
            &filmroom_store::Username::parse("bench").unwrap_or_else(|e| panic!("{e}")),
            "x",
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .create_api_token(
            user.id,
            "bench",
            &filmroom_web::auth::secret_hash(TOKEN),
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (app, base, user)
}

/// A database a bench run generated, to be measured again by a later build
/// (`FILMROOM_BENCH_LIBRARY=path/filmroom.db`): copied into `data_dir`, so the
/// app's start migrates it to the later build's schema, and the library is
/// not generated again (generating 10,000 recordings takes minutes).
pub fn reuse_library(data_dir: &std::path::Path) -> bool {
    let Some(saved) = std::env::var_os("FILMROOM_BENCH_LIBRARY") else {
        return false;
    };
    std::fs::copy(&saved, data_dir.join("filmroom.db"))
        .unwrap_or_else(|e| panic!("copy {}: {e}", saved.to_string_lossy()));
    true
}

/// [`app_with_user`] over a reused library: the user `bench` and its token
/// are already stored.
pub async fn app_with_stored_user(
    mut config: filmroom_web::Config,
) -> (filmroom_web::App, String, filmroom_store::User) {
    config.server.listen = ([127, 0, 0, 1], 0).into();
    let app = filmroom_web::App::build(config, rl_domains())
        .await
        .unwrap_or_else(|e| panic!("build: {e:#}"));
    let base = format!(
        "http://{}",
        app.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let user = app
        .state()
        .store
        .user_by_username(
            &filmroom_store::Username::parse("bench").unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no user bench in the reused library"));
    (app, base, user)
}

/// The registry the binary builds: the Rocket League domain alone.
pub fn rl_domains() -> filmroom_domain::Registry {
    let mut domains = filmroom_domain::Registry::new();
    domains
        .register(std::sync::Arc::new(filmroom_replay::domain::RocketLeague))
        .unwrap_or_else(|e| panic!("{e}"));
    domains
}

/// Maps the generated recordings cycle through.
pub const MAPS: [&str; 5] = [
    "Stadium_P",
    "EuroStadium_P",
    "Park_P",
    "TrainStation_P",
    "Wasteland_P",
];
/// Playlists the generated recordings cycle through.
pub const PLAYLISTS: [&str; 3] = ["Online", "Private", "Tournament"];

/// One real game's analysis (corpus replay `181d6`) as the store keeps it,
/// with its first player linked as `user`'s "me": the template every
/// generated recording varies.
pub async fn real_game(
    store: &dyn filmroom_store::Store,
    user: filmroom_store::UserId,
    now: time::OffsetDateTime,
) -> filmroom_store::AnalysisOutput {
    let replay = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/replays/corpus/181d6.replay"
    ))
    .unwrap_or_else(|e| panic!("corpus replay: {e}"));
    let analysis = filmroom_replay::analyze(&replay).unwrap_or_else(|e| panic!("{e}"));
    let neutral = filmroom_replay::domain::to_neutral(&analysis).unwrap_or_else(|e| panic!("{e}"));
    let template =
        filmroom_store::AnalysisOutput::from_neutral(neutral).unwrap_or_else(|e| panic!("{e}"));
    let me = template
        .neutral
        .as_ref()
        .map(|n| n.participants[0].key.clone())
        .unwrap_or_else(|| panic!("neutral"));
    store
        .link_identity(user, filmroom_replay::domain::KIND.as_str(), &me, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    template
}

/// Stores recordings `range` of `user`, each `template` with its own date
/// (recording 0 newest, one an hour before each), map, playlist and winner,
/// completed straight through the store's job calls.
pub async fn generate(
    store: &dyn filmroom_store::Store,
    user: filmroom_store::UserId,
    template: &filmroom_store::AnalysisOutput,
    range: std::ops::Range<u32>,
    now: time::OffsetDateTime,
) {
    let neutral = template
        .neutral
        .clone()
        .unwrap_or_else(|| panic!("neutral"));
    for i in range {
        let upload = filmroom_store::NewUpload {
            owner: user,
            sha256: filmroom_store::Sha256Hex::digest(&i.to_le_bytes()),
            size: 1_500_000,
            original_filename: format!("game-{i}.replay"),
            kind: filmroom_replay::domain::KIND,
        };
        store
            .add_upload(&upload, now, u64::MAX)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let claimed = store
            .claim_job("bench", now, Duration::from_secs(600))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no job"));
        let mut output = template.clone();
        output.report_json = "{}".to_owned();
        let played = now - time::Duration::hours(i64::from(i));
        output.summary.played_at = Some(played);
        let mut varied = neutral.clone();
        varied.facts.occurred_at = Some(played);
        let map = MAPS[i as usize % MAPS.len()];
        varied.facts.facets.insert("map".to_owned(), map.to_owned());
        varied.facts.facets.insert(
            "playlist".to_owned(),
            PLAYLISTS[i as usize % PLAYLISTS.len()].to_owned(),
        );
        output.summary.map = Some(map.to_owned());
        varied.facts.outcome = filmroom_domain::Outcome::Winner {
            side: if i % 3 == 0 { "orange" } else { "blue" }.to_owned(),
        };
        output.neutral = Some(varied);
        store
            .complete_job(claimed.job.id, "bench", &output, now)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}
