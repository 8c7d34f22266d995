//! Connection hygiene over raw TCP: idle connections and slow senders are
//! closed after their timeouts, requests in flight are not, and the caps on
//! open connections (in all and per address) answer 503.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::{PASSWORD, TestApp, replay_bytes, spawn_app_with};

/// Longer than every short timeout the tests set, far shorter than the
/// long ones: a close seen within it comes from the short timeout.
const BOUND: Duration = Duration::from_secs(10);
/// What the tests set as "never" for the timeout they are not testing.
const LONG_SECS: f64 = 120.0;

/// Reads until the server closes the connection (EOF or reset), failing
/// the test if that takes longer than `BOUND`. Returns what was read.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    tokio::time::timeout(BOUND, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server closed the connection in time");
    received
}

async fn connect_from(local: &str, app: &TestApp) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(format!("{local}:0").parse::<SocketAddr>().unwrap())
        .unwrap();
    socket.connect(app.addr).await.unwrap()
}

/// One `GET path` on a fresh connection: the whole answer.
async fn get_raw(app: &TestApp, local: &str, path: &str) -> String {
    let mut stream = connect_from(local, app).await;
    let request = format!("GET {path} HTTP/1.1\r\nhost: filmroom\r\nconnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned()
}

/// One `GET /health` on a fresh connection: the status line's code, or
/// `None` when the connection was closed without an answer.
async fn health_status(app: &TestApp, local: &str) -> Option<u16> {
    get_raw(app, local, "/health")
        .await
        .get(9..12)?
        .parse()
        .ok()
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|c| {
        c.server.idle_timeout_secs = 0.3;
        c.server.header_read_timeout_secs = LONG_SECS;
    })
    .await;
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let received = read_until_closed(&mut silent).await;
    assert!(received.is_empty(), "nothing is answered to nothing");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_answer_and_the_idle_timeout() {
    let app = spawn_app_with(|c| {
        c.server.idle_timeout_secs = 0.3;
        c.server.header_read_timeout_secs = LONG_SECS;
    })
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    // HTTP/1.1 without `connection: close`: the connection stays open for more.
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: filmroom\r\n\r\n")
        .await
        .unwrap();
    let received = String::from_utf8(read_until_closed(&mut stream).await).unwrap();
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert!(received.ends_with("ok"), "one whole answer: {received}");
}

#[tokio::test]
async fn a_slow_sender_is_closed_after_the_header_read_timeout_while_others_are_served() {
    let app = spawn_app_with(|c| {
        c.server.header_read_timeout_secs = 0.3;
        c.server.idle_timeout_secs = LONG_SECS;
    })
    .await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    let closed = tokio::time::timeout(BOUND, async {
        let mut buf = [0u8; 1024];
        let mut line = 0u32;
        loop {
            // One more header line every 50 ms, never the blank line that ends them.
            tokio::select! {
                read = slow.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return Vec::new(),
                    Ok(n) => return buf[..n].to_vec(),
                },
                () = tokio::time::sleep(Duration::from_millis(50)) => {
                    line += 1;
                    let header = format!("x-slow-{line}: still coming\r\n");
                    if slow.write_all(header.as_bytes()).await.is_err() {
                        return Vec::new();
                    }
                }
            }
        }
    })
    .await
    .expect("the slow sender was cut off in time");
    assert!(
        closed.is_empty(),
        "no answer to half a request: {}",
        String::from_utf8_lossy(&closed)
    );
    assert_eq!(health_status(&app, "127.0.0.1").await, Some(200));
}

#[tokio::test]
async fn an_event_stream_outlives_the_idle_timeout_and_still_delivers() {
    let app = spawn_app_with(|c| c.server.idle_timeout_secs = 0.3).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let mut stream = alice
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    // A silent connection closing proves the idle timeout has passed.
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    read_until_closed(&mut silent).await;

    let uploaded = alice
        .upload(&app, vec![("a.replay", replay_bytes("07e9.replay"))])
        .await;
    assert_eq!(uploaded.status(), StatusCode::OK);
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while !seen.contains("\"state\":\"done\"") {
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("the job's events arrived");
    assert!(seen.contains("event: job"), "{seen}");
}

/// An API token's secret for raw requests.
async fn token(app: &TestApp, user: &crate::User) -> String {
    let created: serde_json::Value = user
        .client
        .post(app.url("/api/v1/tokens"))
        .header("x-csrf-token", &user.csrf)
        .json(&serde_json::json!({ "name": "raw" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_slow_upload_that_keeps_arriving_outlives_the_body_and_request_timeouts() {
    let app = spawn_app_with(|c| {
        c.server.body_timeout_secs = 0.3;
        c.server.request_timeout_secs = 0.3;
        c.server.idle_timeout_secs = 0.3;
        c.server.header_read_timeout_secs = 0.3;
    })
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let secret = token(&app, &alice).await;
    let replay = replay_bytes("07e9.replay");
    let mut body = b"--XYZ\r\ncontent-disposition: form-data; name=\"files\"; \
        filename=\"slow.replay\"\r\ncontent-type: application/octet-stream\r\n\r\n"
        .to_vec();
    body.extend_from_slice(&replay);
    body.extend_from_slice(b"\r\n--XYZ--\r\n");
    let head = format!(
        "POST /api/v1/replays HTTP/1.1\r\nhost: filmroom\r\nauthorization: Bearer {secret}\r\n\
         content-type: multipart/form-data; boundary=XYZ\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // Twelve pieces 100 ms apart: 1.2 s in all, four times each timeout,
    // yet never 0.3 s without progress.
    let pieces = 12;
    for piece in body.chunks(body.len().div_ceil(pieces)) {
        stream.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = String::from_utf8(read_until_closed(&mut stream).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("slow.replay"), "{answer}");
}

#[tokio::test]
async fn a_request_body_that_stops_arriving_fails_after_the_body_timeout() {
    let app = spawn_app_with(|c| {
        c.server.body_timeout_secs = 0.3;
        c.server.request_timeout_secs = LONG_SECS;
        c.server.idle_timeout_secs = LONG_SECS;
    })
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let secret = token(&app, &alice).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/tokens HTTP/1.1\r\nhost: filmroom\r\nauthorization: Bearer {secret}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"name\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = String::from_utf8(read_until_closed(&mut stream).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 4"), "refused: {answer}");
    let tokens = alice.get_json(&app, "/api/v1/tokens").await;
    assert_eq!(
        tokens["tokens"].as_array().unwrap().len(),
        1,
        "no token was created from half a body"
    );
}

#[tokio::test]
async fn connections_over_the_global_cap_get_503_until_one_closes() {
    let app = spawn_app_with(|c| c.server.max_connections = 2).await;
    let first = TcpStream::connect(app.addr).await.unwrap();
    let _second = TcpStream::connect(app.addr).await.unwrap();
    let mut third = TcpStream::connect(app.addr).await.unwrap();
    let answer = String::from_utf8(read_until_closed(&mut third).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");

    drop(first);
    // The server frees the slot when it sees the close: until then, 503.
    let served = tokio::time::timeout(BOUND, async {
        loop {
            if health_status(&app, "127.0.0.1").await == Some(200) {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(served.is_ok(), "a closed connection gives its slot back");
    let metrics = tokio::time::timeout(BOUND, async {
        loop {
            let answer = get_raw(&app, "127.0.0.1", "/metrics").await;
            if answer.starts_with("HTTP/1.1 200") {
                return answer;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the metrics answer once a slot is free");
    let refused: u64 = crate::extract(&metrics, "\nfilmroom_http_connections_refused_total ", "\n")
        .unwrap()
        .parse()
        .unwrap();
    assert!(refused >= 1, "{metrics}");
    assert!(
        metrics.contains("filmroom_http_connections_open 2\n"),
        "the idle second connection and this one (the cap is 2): {metrics}"
    );
}

#[tokio::test]
async fn connections_over_the_per_address_cap_get_503_while_other_addresses_are_served() {
    let app = spawn_app_with(|c| c.server.max_connections_per_address = 2).await;
    let _first = connect_from("127.0.0.1", &app).await;
    let _second = connect_from("127.0.0.1", &app).await;
    assert_eq!(health_status(&app, "127.0.0.1").await, Some(503));
    assert_eq!(
        health_status(&app, "127.0.0.2").await,
        Some(200),
        "another address has its own allowance"
    );
}
