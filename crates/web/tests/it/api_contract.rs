//! What the OpenAPI document promises, held: each mismatch the schemathesis
//! pass (scripts/schemathesis) found between the document and the server,
//! as the request that showed it.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{error_code, spawn_app};

#[tokio::test]
async fn list_dates_are_taken_only_as_yyyy_mm_dd_and_the_last_day_there_is_is_a_valid_to() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    for list in ["/api/v1/recordings", "/api/v1/games"] {
        // Not RFC 3339 full-dates, though numbers parse out of them.
        for query in [
            // `%2B` is a plus sign (a bare `+` in a query string is a space).
            "to=%2B2024-01-31",
            "to=2024-1-31",
            "from=02024-01-31",
            "from=2024-01-031",
            "to=2024-02-30",
            "to=2024_01_31",
        ] {
            let response = alice
                .client
                .get(app.url(&format!("{list}?{query}")))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{list}?{query}");
            assert_eq!(
                error_code(response).await,
                "invalid_query",
                "{list}?{query}"
            );
        }
        // Valid dates at both ends of the calendar: 9999-12-31 has no next day.
        for query in [
            "to=9999-12-31",
            "from=0000-01-01",
            "from=2024-01-31&to=9999-12-31",
        ] {
            let response = alice
                .client
                .get(app.url(&format!("{list}?{query}")))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{list}?{query}");
        }
    }
}

#[tokio::test]
async fn a_games_filter_given_twice_gets_the_json_error_body_the_document_promises() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let response = alice
        .client
        .get(app.url("/api/v1/games?to=2024-01-01&to=2024-01-02"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "axum's plain-text rejection leaked"
    );
    assert_eq!(error_code(response).await, "invalid_query");
}

#[tokio::test]
async fn a_to_date_before_the_from_date_is_a_valid_query_that_lists_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    for list in ["/api/v1/recordings", "/api/v1/games"] {
        let page = alice
            .get_json(&app, &format!("{list}?from=4838-07-08&to=0405-12-31"))
            .await;
        assert_eq!(page["total"], 0, "{list}: {page}");
    }
}

#[tokio::test]
async fn the_chat_request_schema_offers_only_what_this_server_accepts() {
    // The built-in analyst reads no images, and only the built-in profiles exist.
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let doc = alice.get_json(&app, "/api/v1/openapi.json").await;
    let chat = &doc["components"]["schemas"]["ChatRequest"]["properties"];
    assert_eq!(chat["attachments"]["maxItems"], 0, "{chat}");
    let profiles = alice.get_json(&app, "/api/v1/coach/profiles").await;
    let offered = serde_json::to_string(&chat["profile"]).unwrap();
    for profile in profiles["profiles"].as_array().unwrap() {
        assert!(
            offered.contains(profile["id"].as_str().unwrap()),
            "{offered}"
        );
    }
    // What the document offers is accepted: the default profile by name.
    let default = profiles["default"].as_str().unwrap();
    let response = alice
        .client
        .post(app.url("/api/v1/coach/chat"))
        .header("x-csrf-token", &alice.csrf)
        .json(&serde_json::json!({ "message": "How did I do?", "profile": default }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let unknown = alice
        .client
        .post(app.url("/api/v1/coach/chat"))
        .header("x-csrf-token", &alice.csrf)
        .json(&serde_json::json!({ "message": "Hi", "profile": "no-such-coach" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert!(!offered.contains("no-such-coach"));
}

/// The `(event, data)` pairs of a server-sent event stream's text.
fn sse_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = "message".to_owned();
            let mut data = None;
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data = Some(serde_json::from_str(value.trim()).unwrap());
                }
            }
            data.map(|data| (name, data))
        })
        .collect()
}

/// Checks `value` against `schema` of `doc` (the keywords the document uses).
fn conforms(doc: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    if let Some(target) = schema["$ref"].as_str() {
        let name = target.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], value);
    }
    for (keyword, need_all) in [("oneOf", false), ("anyOf", false), ("allOf", true)] {
        if let Some(options) = schema[keyword].as_array() {
            let fits = options
                .iter()
                .filter(|s| conforms(doc, s, value).is_ok())
                .count();
            let ok = if need_all {
                fits == options.len()
            } else {
                fits >= 1
            };
            if !ok {
                return Err(format!("{value} fits {fits} of {keyword} {schema}"));
            }
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        if !fits {
            return Err(format!("{value} is {actual}, not {types:?}"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{value} is not one of {allowed:?}"));
    }
    if let Value::Object(fields) = value {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !fields.contains_key(name) {
                return Err(format!("{value} lacks the required {name}"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, field) in fields {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => {
                    conforms(doc, property, field).map_err(|e| format!("{name}: {e}"))?
                }
                None if schema["additionalProperties"] == Value::Bool(false) => {
                    return Err(format!("{name} is not a documented field"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for v in items {
            conforms(doc, item, v)?;
        }
    }
    Ok(())
}

/// Each event's `data` against the schema the document gives its name in
/// the operation's `itemSchema`; returns the names seen.
fn check_stream(doc: &Value, operation: &Value, events: &[(String, Value)]) -> Vec<String> {
    let item = &operation["responses"]["200"]["content"]["text/event-stream"]["itemSchema"];
    let item = match item["$ref"].as_str() {
        Some(target) => {
            &doc["components"]["schemas"][target.trim_start_matches("#/components/schemas/")]
        }
        None => item,
    };
    let branches: Vec<&Value> = match item["oneOf"].as_array() {
        Some(options) => options.iter().collect(),
        None => vec![item],
    };
    let mut seen = Vec::new();
    for (name, data) in events {
        let branch = branches
            .iter()
            .find(|b| b["properties"]["event"]["enum"][0] == *name)
            .unwrap_or_else(|| panic!("the document has no event {name}"));
        let payload = &branch["properties"]["data"]["contentSchema"];
        assert_eq!(
            branch["properties"]["data"]["contentMediaType"],
            "application/json"
        );
        if let Err(problem) = conforms(doc, payload, data) {
            panic!("event {name}: {problem}");
        }
        seen.push(name.clone());
    }
    seen
}

#[tokio::test]
async fn every_event_of_the_job_and_chat_streams_matches_the_documented_schema() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let doc = alice.get_json(&app, "/api/v1/openapi.json").await;
    alice
        .upload(
            &app,
            vec![("one.replay", crate::replay_bytes("160c.replay"))],
        )
        .await;

    // The job stream never ends: read until its first event is whole.
    let mut stream = alice
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("a job event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let jobs = sse_events(text.split_inclusive("\n\n").next().unwrap());
    let seen = check_stream(&doc, &doc["paths"]["/api/v1/events"]["get"], &jobs);
    assert_eq!(seen, ["job"]);

    // A chat answer ends: every one of its events.
    let chat = alice
        .client
        .post(app.url("/api/v1/coach/chat"))
        .header("x-csrf-token", &alice.csrf)
        .json(&serde_json::json!({ "message": "How was my boost in my last game?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(chat.status(), StatusCode::OK);
    let events = sse_events(&chat.text().await.unwrap());
    let seen = check_stream(&doc, &doc["paths"]["/api/v1/coach/chat"]["post"], &events);
    assert_eq!(
        seen.first().map(String::as_str),
        Some("conversation"),
        "{seen:?}"
    );
    assert_eq!(seen.last().map(String::as_str), Some("done"), "{seen:?}");
    assert!(seen.iter().any(|e| e == "delta"), "{seen:?}");
}
