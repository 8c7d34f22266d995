//! `filmroom serve` and `filmroom user` as an operator runs them: the real
//! binary, a fresh data directory, real HTTP.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{corpus, scratch};

pub struct Server {
    child: Child,
    pub base: String,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn start(data: &Path, port: u16) -> Server {
    start_with(data, port, &[]).await
}

pub async fn start_with(data: &Path, port: u16, env: &[(&str, String)]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_filmroom"))
        .arg("serve")
        .env("FILMROOM__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("FILMROOM__STORAGE__DATA_DIR", data)
        .env("FILMROOM__JOBS__WORKERS", "1")
        .env("FILMROOM__JOBS__POLL_INTERVAL_MS", "50")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/health")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "filmroom serve did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Server { child, base }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn between(haystack: &str, start: &str, end: &str) -> String {
    let from = haystack.find(start).unwrap() + start.len();
    let to = haystack[from..].find(end).unwrap() + from;
    haystack[from..to].to_owned()
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The hidden `csrf` field of the form at `url`.
pub async fn form_csrf(client: &reqwest::Client, url: &str) -> String {
    let page = client.get(url).send().await.unwrap().text().await.unwrap();
    between(&page, "name=\"csrf\" value=\"", "\"")
}

/// Signs up through the forms and returns an API token for the account.
pub async fn sign_up_with_token(base: &str) -> String {
    sign_up_with_token_as(base, "alice").await
}

/// Signs `username` up and returns an API token for the account.
pub async fn sign_up_with_token_as(base: &str, username: &str) -> String {
    let client = browser();
    let csrf = form_csrf(&client, &format!("{base}/signup")).await;
    let r = client
        .post(format!("{base}/signup"))
        .form(&[
            ("username", username),
            ("password", "correct horse battery"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let csrf = form_csrf(&client, &format!("{base}/account")).await;
    let token: Value = client
        .post(format!("{base}/api/v1/tokens"))
        .header("X-CSRF-Token", csrf)
        .json(&serde_json::json!({ "name": "test" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["secret"].as_str().unwrap().to_owned()
}

pub async fn jobs(base: &str, token: &str) -> Vec<Value> {
    let body: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/uploads"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["jobs"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_server_killed_while_jobs_run_finishes_every_upload_exactly_once_after_a_restart() {
    let data = scratch("serve-crash");
    let port = free_port();
    let server = start(&data, port).await;
    let token = sign_up_with_token(&server.base).await;

    let names = [
        "b2a19",
        "sonic_spin",
        "gridiron",
        "58b2",
        "9e35b",
        "f770",
        "029d",
        "eac",
    ];
    let mut form = reqwest::multipart::Form::new();
    for name in names {
        let bytes = std::fs::read(corpus(name)).unwrap();
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes).file_name(format!("{name}.replay")),
        );
    }
    let uploaded = reqwest::Client::new()
        .post(format!("{}/api/v1/replays", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(uploaded.status().is_success());

    // Kill it (SIGKILL) as soon as a job is running and some are still waiting.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let states: Vec<String> = jobs(&server.base, &token)
            .await
            .iter()
            .map(|j| j["state"].as_str().unwrap().to_owned())
            .collect();
        if states.iter().any(|s| s == "running") {
            assert!(states.iter().any(|s| s != "done"));
            break;
        }
        assert!(Instant::now() < deadline, "no job started: {states:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(server);

    let server = start(&data, port).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let finished = loop {
        let now = jobs(&server.base, &token).await;
        if now.iter().all(|j| j["state"] == "done") {
            break now;
        }
        assert!(
            now.iter().all(|j| j["state"] != "dead"),
            "a job died: {now:?}"
        );
        assert!(Instant::now() < deadline, "jobs did not finish: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // One job per upload, each done, each game analysed once.
    assert_eq!(finished.len(), names.len());
    let games: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/games", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let games = games["games"].as_array().unwrap();
    assert_eq!(games.len(), names.len());
    assert!(
        games
            .iter()
            .all(|g| g["analyzed"] == true && g["state"] == "done")
    );
}

#[test]
fn user_create_list_and_reset_password_work_on_the_configured_database() {
    let data = scratch("user-cli");
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_filmroom"))
            .args(args)
            .env("FILMROOM__STORAGE__DATA_DIR", &data)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out, err) = run(&["user", "create", "operator"], "a long password\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created operator (admin"), "{out}");
    let (code, out, _) = run(&["user", "create", "second"], "another password\n");
    assert_eq!(code, 0);
    assert!(out.contains("(user"), "{out}");
    let (code, _, err) = run(&["user", "create", "third"], "short\n");
    assert_eq!(code, 1);
    assert!(err.contains("8 to 256"), "{err}");
    let (code, out, _) = run(&["user", "list"], "");
    assert_eq!(code, 0);
    assert!(out.contains("operator") && out.contains("admin") && out.contains("second"));
    assert!(!out.contains("third"));
    let (code, out, _) = run(&["user", "reset-password", "second"], "a new password!\n");
    assert_eq!(code, 0);
    assert!(out.contains("password of second reset"), "{out}");
    let (code, _, err) = run(&["user", "reset-password", "nobody"], "a new password!\n");
    assert_eq!(code, 1);
    assert!(err.contains("no user named nobody"), "{err}");
    let (code, out, err) = run(&["user", "plan", "second", "pro"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("second is on the pro plan"), "{out}");
    let (code, _, err) = run(&["user", "plan", "second", "platinum"], "");
    assert_eq!(code, 1);
    assert!(err.contains("no plan named \"platinum\""), "{err}");
    let (code, out, _) = run(&["user", "plan", "second", "default"], "");
    assert_eq!(code, 0);
    assert!(out.contains("second is on the free plan"), "{out}");
}

/// A model server that starts an answer and never finishes it: the call
/// stays in flight, holding its budget reservation, until the client goes.
async fn stalled_model() -> String {
    use futures_util::StreamExt;
    async fn completions() -> axum::response::Response {
        let first = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\
            \"model\":\"stalled\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\
            \"content\":\"Thinking\"},\"finish_reason\":null}]}\n\n";
        let body = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(first)])
            .chain(futures_util::stream::pending());
        axum::response::Response::builder()
            .header("content-type", "text/event-stream")
            .body(axum::body::Body::from_stream(body))
            .unwrap()
    }
    let router =
        axum::Router::new().route("/v1/chat/completions", axum::routing::post(completions));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_server_killed_with_a_chat_in_flight_leaves_no_reservation_open_after_a_restart() {
    let data = scratch("serve-kill-reservation");
    let port = free_port();
    let env = [
        ("FILMROOM__JOBS__NODE", "web-a".to_owned()),
        ("FILMROOM__COACH__PROVIDER", "openai".to_owned()),
        ("FILMROOM__COACH__OPENAI__BASE_URL", stalled_model().await),
        ("FILMROOM__COACH__OPENAI__MODEL", "stalled".to_owned()),
    ];
    let server = start_with(&data, port, &env).await;
    let token = sign_up_with_token(&server.base).await;

    // Open a chat and read until the model's first words: its call is in flight.
    let mut response = reqwest::Client::new()
        .post(format!("{}/api/v1/coach/chat", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "message": "How much should I risk?", "profile": "trading" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let mut seen = String::new();
    while !seen.contains("event: delta") && !seen.contains("event:delta") {
        let chunk = tokio::time::timeout(Duration::from_secs(30), response.chunk())
            .await
            .expect("the answer starts")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }

    let store =
        filmroom_store::connect(&format!("sqlite://{}", data.join("filmroom.db").display()))
            .await
            .unwrap();
    let alice = store
        .user_by_username(&filmroom_store::Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap();
    let period = filmroom_web::coach::limits::budget_period(time::OffsetDateTime::now_utc());
    let open = store.budget_status(alice.id, &period).await.unwrap();
    assert!(open.reserved > 0, "the call holds a reservation: {open:?}");
    assert_eq!(open.spent, 0);

    // kill -9, then start again under the same node name.
    drop(response);
    drop(server);
    let _server = start_with(&data, port, &env).await;
    let after = store.budget_status(alice.id, &period).await.unwrap();
    assert_eq!(after.reserved, 0, "nothing stays reserved: {after:?}");
    // Charged at what it held: the call may have run to its end.
    assert_eq!(after.spent, open.reserved);
}
