//! filmroom-web's one integration-test binary: every test gets a fresh data
//! directory and an app on port 0, and talks to it over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod api_contract;
mod browser;
mod coach;
mod coach_limits;
mod coach_stored;
mod coach_tls;
mod connections;
mod events;
mod game_page;
mod identity;
mod isolation;
mod layers;
mod media;
mod operations;
mod postgres;
mod recordings;
mod rights;
mod scale_out;
mod second_domain;
mod talk;
mod talk_companions;
mod talk_limits;
mod upload_limits;
mod uploads;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use filmroom_web::{App, Clock, Config};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    /// Seconds added to the real time: tests move the app's clock with it.
    pub clock_offset: Arc<AtomicI64>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.storage.data_dir = dir.to_path_buf();
    config.jobs.workers = 1;
    config.jobs.poll_interval_ms = 50;
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_clocked(adjust, false, axum::Router::new()).await
}

/// An app that handles the kinds of `domains` instead of the binary's.
pub async fn spawn_app_with_domains(domains: filmroom_domain::Registry) -> TestApp {
    spawn_app_built(|_| {}, false, axum::Router::new(), domains).await
}

/// Like [`spawn_app_with`], but the app's clock stands still unless the test
/// moves it: for limits whose outcome depends on how many seconds passed.
pub async fn spawn_app_with_still_clock(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_clocked(adjust, true, axum::Router::new()).await
}

/// An app that also serves `routes` (handlers only tests need), behind the
/// same layers as every product route.
pub async fn spawn_app_with_routes(
    adjust: impl FnOnce(&mut Config),
    routes: axum::Router<filmroom_web::AppState>,
) -> TestApp {
    spawn_app_clocked(adjust, false, routes).await
}

async fn spawn_app_clocked(
    adjust: impl FnOnce(&mut Config),
    still: bool,
    routes: axum::Router<filmroom_web::AppState>,
) -> TestApp {
    spawn_app_built(adjust, still, routes, rl_domains()).await
}

pub(crate) async fn spawn_app_built(
    adjust: impl FnOnce(&mut Config),
    still: bool,
    routes: axum::Router<filmroom_web::AppState>,
    domains: filmroom_domain::Registry,
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    adjust(&mut config);
    let offset = Arc::new(AtomicI64::new(0));
    let clock_offset = offset.clone();
    let started = time::OffsetDateTime::now_utc();
    let clock = Clock::from_fn(move || {
        let base = if still {
            started
        } else {
            time::OffsetDateTime::now_utc()
        };
        base + time::Duration::seconds(offset.load(Ordering::SeqCst))
    });
    let app = App::build_with_clock(config, clock, domains)
        .await
        .unwrap()
        .with_extra_routes(routes);
    let addr = app.local_addr().unwrap();
    assert_ne!(app.port(), 0);
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        dir,
        clock_offset,
        shutdown: Some(tx),
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn advance_clock(&self, seconds: i64) {
        self.clock_offset.fetch_add(seconds, Ordering::SeqCst);
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// The hidden `csrf` field of the form on `path`.
    pub async fn form_csrf(&self, client: &reqwest::Client, path: &str) -> String {
        let html = client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        extract(&html, "name=\"csrf\" value=\"", "\"").expect("page has a csrf field")
    }

    pub async fn sign_up(&self, username: &str, password: &str) -> User {
        let client = self.client();
        let csrf = self.form_csrf(&client, "/signup").await;
        let response = client
            .post(self.url("/signup"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-up of {username}"
        );
        let csrf = self.form_csrf(&client, "/account").await;
        User {
            client,
            csrf,
            username: username.to_owned(),
        }
    }

    pub async fn shutdown(mut self) {
        self.stop_server().await;
    }

    /// Shuts the server down gracefully and waits for it, keeping the data
    /// directory (for a restart on the same database).
    pub async fn stop_server(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(30), server)
                .await
                .expect("graceful shutdown finishes")
                .unwrap()
                .unwrap();
        }
    }

    /// A second connection to the app's database, as another process would
    /// have: for arranging state and checking what was stored.
    pub async fn store(&self) -> Arc<dyn filmroom_store::Store> {
        let url = format!("sqlite://{}", self.dir.path().join("filmroom.db").display());
        filmroom_store::connect(&url).await.unwrap()
    }

    /// The stored user with this name.
    pub async fn user_id(&self, username: &str) -> filmroom_store::UserId {
        let name = filmroom_store::Username::parse(username).unwrap();
        self.store()
            .await
            .user_by_username(&name)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    pub fn object_files(&self) -> usize {
        count_files(&self.dir.path().join("objects"))
    }

    /// Files waiting in the uploads' temporary directory.
    pub fn temp_files(&self) -> usize {
        count_files(&self.dir.path().join("tmp"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn count_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            if path.is_dir() { count_files(&path) } else { 1 }
        })
        .sum()
}

/// A signed-in browser.
pub struct User {
    pub client: reqwest::Client,
    pub csrf: String,
    pub username: String,
}

pub fn extract(haystack: &str, start: &str, end: &str) -> Option<String> {
    let from = haystack.find(start)? + start.len();
    let to = haystack[from..].find(end)? + from;
    Some(haystack[from..to].to_owned())
}

pub fn replay_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/replays/corpus"
    ))
    .join(name)
}

pub fn replay_bytes(name: &str) -> Vec<u8> {
    std::fs::read(replay_path(name)).unwrap()
}

pub const PASSWORD: &str = "correct horse battery";

impl User {
    /// GETs `path` as this user and parses the JSON answer.
    pub async fn get_json(&self, app: &TestApp, path: &str) -> serde_json::Value {
        self.client
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// GETs `path` as this user and returns the page's text.
    pub async fn get_page(&self, app: &TestApp, path: &str) -> String {
        self.client
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Uploads `files` (name, bytes) through `/api/v1/replays`.
    pub async fn upload(&self, app: &TestApp, files: Vec<(&str, Vec<u8>)>) -> reqwest::Response {
        self.post_files(app, "/api/v1/replays", files).await
    }

    /// Uploads `files` through `/api/v1/recordings`: its status and JSON.
    pub async fn upload_recordings(
        &self,
        app: &TestApp,
        files: Vec<(&str, Vec<u8>)>,
    ) -> (StatusCode, serde_json::Value) {
        let response = self.post_files(app, "/api/v1/recordings", files).await;
        (response.status(), response.json().await.unwrap())
    }

    async fn post_files(
        &self,
        app: &TestApp,
        route: &str,
        files: Vec<(&str, Vec<u8>)>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                "files",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        }
        self.client
            .post(app.url(route))
            .header("X-CSRF-Token", &self.csrf)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Polls `/api/v1/recordings/{id}` until its job is done or dead (or
    /// fails the test after two minutes): the recording's detail.
    pub async fn settled_recording(&self, app: &TestApp, id: &str) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let detail = self
                .get_json(app, &format!("/api/v1/recordings/{id}"))
                .await;
            if matches!(detail["state"].as_str(), Some("done" | "dead")) {
                return detail;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not analysed: {detail}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls the API until the game's job is done (or fails the test).
    pub async fn wait_until_done(&self, app: &TestApp, game_id: &str) -> serde_json::Value {
        for _ in 0..600 {
            let game: serde_json::Value = self
                .client
                .get(app.url(&format!("/api/v1/games/{game_id}")))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            match game["game"]["state"].as_str() {
                Some("done") => return game,
                Some("dead") => panic!("job died: {game}"),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        panic!("game {game_id} was not analysed within 60 s");
    }
}

/// The error code of a JSON error response.
pub async fn error_code(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The registry the binary builds: the Rocket League domain alone.
pub fn rl_domains() -> filmroom_domain::Registry {
    let mut domains = filmroom_domain::Registry::new();
    domains
        .register(std::sync::Arc::new(filmroom_replay::domain::RocketLeague))
        .unwrap();
    domains
}
