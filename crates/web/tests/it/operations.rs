//! Health, status, metrics, request ids, the OpenAPI document and graceful shutdown.

use reqwest::StatusCode;
use serde_json::Value;

use crate::spawn_app;

#[tokio::test]
async fn health_status_and_metrics_answer() {
    let app = spawn_app().await;
    let client = app.client();
    let health = client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let status: Value = client
        .get(app.url("/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["database"], "ok");
    assert_eq!(status["queue_depth"], 0);
    assert_eq!(status["workers"], 1);
    let metrics = client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains(
        "filmroom_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"
    ));
    assert!(metrics.contains("filmroom_jobs{state=\"queued\"} 0"));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let client = app.client();
    let generated = client.get(app.url("/health")).send().await.unwrap();
    assert!(!generated.headers()["x-request-id"].is_empty());
    let echoed = client
        .get(app.url("/no/such/page"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), StatusCode::NOT_FOUND);
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
    let body: Value = echoed.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let app = spawn_app().await;
    let doc: Value = app
        .client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    for route in filmroom_web::routes::ROUTES {
        if route.path.starts_with("/api/") {
            let method = format!("{:?}", route.verb).to_lowercase();
            assert!(
                doc["paths"][route.path][&method].is_object(),
                "{method} {} is missing from openapi.json",
                route.path
            );
        }
    }
}

#[tokio::test]
async fn the_app_shuts_down_gracefully_with_an_event_stream_open() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let stream = alice
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    app.shutdown().await;
    drop(stream);
}
