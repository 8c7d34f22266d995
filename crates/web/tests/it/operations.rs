//! Health, status, metrics, request ids, the OpenAPI document and graceful shutdown.

use filmroom_web::routes::{Access, Verb};
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
async fn the_openapi_document_describes_every_api_route_and_no_route_that_does_not_exist() {
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
    assert_eq!(doc["openapi"], "3.2.0");
    let routes = filmroom_web::routes::ROUTES;
    let method_of = |verb: Verb| format!("{verb:?}").to_lowercase();
    for route in routes.iter().filter(|r| r.path.starts_with("/api/")) {
        let method = method_of(route.verb);
        let operation = &doc["paths"][route.path][&method];
        assert!(
            operation.is_object(),
            "{method} {} is missing from openapi.json",
            route.path
        );
        let public = operation["security"].as_array().is_some_and(|s| {
            s.iter()
                .all(|r| r.as_object().is_some_and(|r| r.is_empty()))
        });
        assert_eq!(
            public,
            route.access == Access::Anyone,
            "{method} {} is documented as {} but its route is {:?}",
            route.path,
            if public { "public" } else { "signed in" },
            route.access
        );
        if !public {
            assert!(
                operation["responses"]["401"].is_object(),
                "{method} {}",
                route.path
            );
        }
    }
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            if ["summary", "description", "parameters", "servers"].contains(&method.as_str()) {
                continue;
            }
            assert!(
                routes
                    .iter()
                    .any(|r| r.path == path && method_of(r.verb) == *method),
                "openapi.json documents {method} {path}, which is no route"
            );
            let operation = &item[method];
            for name in path.split('{').skip(1).filter_map(|p| p.split_once('}')) {
                assert!(
                    operation["parameters"]
                        .as_array()
                        .is_some_and(|params| params
                            .iter()
                            .any(|p| p["in"] == "path" && p["name"] == name.0)),
                    "{method} {path} does not describe its path parameter {}",
                    name.0
                );
            }
        }
    }
    assert_refs_resolve(&doc, &doc);
}

/// Every `$ref` of the document names a component it has.
fn assert_refs_resolve(doc: &Value, node: &Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let name = target
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("{target} is not a component schema"));
                assert!(
                    doc["components"]["schemas"][name].is_object(),
                    "{target} does not resolve"
                );
            }
            map.values().for_each(|v| assert_refs_resolve(doc, v));
        }
        Value::Array(items) => items.iter().for_each(|v| assert_refs_resolve(doc, v)),
        _ => {}
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

#[tokio::test]
async fn metrics_are_openmetrics_text_with_every_family_named_typed_and_described() {
    let app = spawn_app().await;
    let client = app.client();
    client.get(app.url("/health")).send().await.unwrap();
    let response = client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    assert!(body.ends_with("# EOF\n"), "{body}");
    // A counter's family is named without `_total`, which each of its
    // samples carries: the series scraped keep the names they always had.
    for (family, kind, help) in [
        (
            "filmroom_http_connections_open",
            "gauge",
            "Open HTTP connections.",
        ),
        (
            "filmroom_http_connections_refused",
            "counter",
            "Connections refused over the caps.",
        ),
        (
            "filmroom_http_requests",
            "counter",
            "HTTP requests by route and status.",
        ),
        ("filmroom_jobs", "gauge", "Analysis jobs by state."),
        ("filmroom_workers", "gauge", "Worker tasks in this process."),
    ] {
        let described = format!("# HELP {family} {help}\n# TYPE {family} {kind}\n");
        assert!(body.contains(&described), "{described} in {body}");
    }
    for sample in [
        "\nfilmroom_http_connections_open 1\n",
        "\nfilmroom_http_connections_refused_total 0\n",
        "\nfilmroom_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1\n",
        "\nfilmroom_jobs{state=\"queued\"} 0\n",
        "\nfilmroom_jobs{state=\"running\"} 0\n",
        "\nfilmroom_jobs{state=\"done\"} 0\n",
        "\nfilmroom_jobs{state=\"dead\"} 0\n",
        "\nfilmroom_workers 1\n",
    ] {
        assert!(body.contains(sample), "{sample:?} in {body}");
    }
}
