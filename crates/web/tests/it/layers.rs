//! The layers every answer goes through: security headers, compression,
//! caught panics with their request id, the request timeout, and 413 for
//! bodies over the limit.

use std::io::Read;

use axum::routing::get;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{PASSWORD, error_code, spawn_app, spawn_app_with_routes};

#[tokio::test]
async fn pages_api_answers_and_static_files_carry_the_security_headers() {
    let app = spawn_app().await;
    let client = app.client();
    for path in ["/login", "/api/v1/me", "/static/upload.js", "/no/such/page"] {
        let response = client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
    }
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[tokio::test]
async fn pages_scripts_and_json_are_compressed_for_clients_that_accept_it() {
    let app = spawn_app().await;
    let client = app.client();
    for path in ["/login", "/static/app.css", "/api/v1/openapi.json"] {
        let plain = client.get(app.url(path)).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        let plain = plain.text().await.unwrap();
        let zipped = client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(zipped.headers()["content-encoding"], "gzip", "{path}");
        let bytes = zipped.bytes().await.unwrap();
        assert!(bytes.len() < plain.len(), "{path} got smaller");
        let unzipped = gunzip(&bytes);
        if path == "/login" {
            // The page's csrf token differs between the two fetches.
            assert!(unzipped.contains("<form"), "{path}");
        } else {
            assert_eq!(unzipped, plain, "{path}");
        }
    }
    let brotli = client
        .get(app.url("/static/app.css"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(brotli.headers()["content-encoding"], "br");
}

#[tokio::test]
async fn event_streams_are_never_compressed() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let stream = alice
        .client
        .get(app.url("/api/v1/events"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert!(stream.headers().get("content-encoding").is_none());
}

async fn panics() -> &'static str {
    panic!("a handler bug");
}

async fn stalls() -> &'static str {
    std::future::pending::<()>().await;
    "never"
}

fn test_routes() -> axum::Router<filmroom_web::AppState> {
    axum::Router::new()
        .route("/test/panic", get(panics))
        .route("/test/stall", get(stalls))
}

#[tokio::test]
async fn a_panicking_handler_gives_a_500_with_the_request_id_and_the_server_keeps_serving() {
    let app = spawn_app_with_routes(|_| {}, test_routes()).await;
    let client = app.client();
    for sent_id in [None, Some("report-me-42")] {
        let mut request = client.get(app.url("/test/panic"));
        if let Some(id) = sent_id {
            request = request.header("x-request-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let header_id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(response.headers().contains_key("content-security-policy"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert_eq!(body["error"]["request_id"], header_id.as_str());
        assert!(
            !body.to_string().contains("a handler bug"),
            "the panic message stays in the log: {body}"
        );
        if let Some(id) = sent_id {
            assert_eq!(header_id, id);
        }
        let health = client.get(app.url("/health")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
    }
    let metrics = client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "filmroom_http_requests_total{method=\"GET\",route=\"/test/panic\",status=\"500\"} 2"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_handler_slower_than_the_request_timeout_gets_a_503_saying_so() {
    let app = spawn_app_with_routes(|c| c.server.request_timeout_secs = 0.3, test_routes()).await;
    let response = app
        .client()
        .get(app.url("/test/stall"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(error_code(response).await, "timeout");
}

#[tokio::test]
async fn json_and_form_bodies_over_the_limit_get_413() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let token = alice
        .client
        .post(app.url("/api/v1/tokens"))
        .header("x-csrf-token", &alice.csrf)
        .json(&serde_json::json!({ "name": huge }))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(token).await, "payload_too_large");
    let note = alice
        .client
        .post(app.url("/api/v1/coach/notes"))
        .header("x-csrf-token", &alice.csrf)
        .json(&serde_json::json!({ "text": huge }))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(note).await, "payload_too_large");
    let form = app
        .client()
        .post(app.url("/login"))
        .form(&[("username", "alice"), ("password", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Nothing changed: no token, no note.
    let tokens = alice.get_json(&app, "/api/v1/tokens").await;
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 0);
    let notes = alice.get_json(&app, "/api/v1/coach/notes").await;
    assert_eq!(notes["notes"].as_array().unwrap().len(), 0);
}

#[test]
fn no_template_has_inline_scripts_styles_or_event_handlers() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
        let name = path.display();
        // The CSP allows only scripts and styles from /static.
        for (at, _) in text.match_indices("<script") {
            let tag = &text[at..at + text[at..].find('>').unwrap()];
            assert!(tag.contains(" src="), "{name}: inline <script>");
        }
        assert!(!text.contains("<style"), "{name}: a <style> element");
        assert!(!text.contains(" style="), "{name}: a style attribute");
        assert!(!text.contains("javascript:"), "{name}: a javascript: URL");
        for (at, _) in text.match_indices(" on") {
            let word: String = text[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let next = text[at + 1 + word.len()..].chars().next();
            assert!(
                !(word.len() > 2 && next == Some('=')),
                "{name}: an inline event handler {word}="
            );
        }
        checked += 1;
    }
    assert!(checked >= 10, "the templates were found");
}

#[tokio::test]
async fn error_pages_and_json_errors_show_the_request_id_to_quote() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let page = alice
        .client
        .get(app.url("/games/not-a-game"))
        .header("x-request-id", "quote-me-7")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<code class=\"request-id\">quote-me-7</code>"),
        "{html}"
    );
    let json = alice
        .client
        .get(app.url("/api/v1/games/not-a-game"))
        .send()
        .await
        .unwrap();
    let id = json.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = json.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], id.as_str());
}
