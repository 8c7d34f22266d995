//! "Me" is one mechanism: a user who linked nothing is recognised from their
//! own recordings (an inferred link, stored like a link), and the games list,
//! the recordings API and the coach read the same stored outcome. The user
//! sees the inference and confirms or corrects it on the account page or
//! through `/api/v1/me/identities`.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::coach::{FakeModel, plan, use_fake_model};
use crate::{PASSWORD, TestApp, User, error_code, spawn_app_with};

/// Four real replays: colonelpanic8 (one epic account) plays in the first
/// three, winning one and losing two; the fourth is someone else's game.
const REPLAYS: [&str; 4] = [
    "../mechanics/air-dribble-goal-mouth-2026-05-24.replay",
    "../mechanics/boost-into-ball-misclassification-2026-06-11.replay",
    "../mechanics/panzinii-double-flip-reset-2026-07-09.replay",
    "../mechanics/squishy-ranked-doubles-flip-reset-miss-2026-03-01.replay",
];

/// Each recording's result in `/api/v1/games` (`unknown` when it has none).
async fn games_results(user: &User, app: &TestApp) -> BTreeMap<String, String> {
    let games = user.get_json(app, "/api/v1/games?limit=50").await;
    games["games"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_owned(),
                g["result"].as_str().unwrap_or("unknown").to_owned(),
            )
        })
        .collect()
}

/// Each recording's outcome in `/api/v1/recordings`.
async fn recordings_outcomes(user: &User, app: &TestApp) -> BTreeMap<String, String> {
    let list = user.get_json(app, "/api/v1/recordings?limit=50").await;
    list["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn identities(user: &User, app: &TestApp) -> Value {
    let all = user.get_json(app, "/api/v1/me/identities").await;
    assert_eq!(all["kinds"].as_array().unwrap().len(), 1, "{all}");
    all["kinds"][0].clone()
}

async fn put_identities(user: &User, app: &TestApp, body: Value) -> reqwest::Response {
    user.client
        .put(app.url("/api/v1/me/identities"))
        .header("X-CSRF-Token", &user.csrf)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_user_without_links_sees_the_same_results_in_the_games_list_the_recordings_api_and_the_coach()
 {
    let model = FakeModel::start().await;
    let app =
        spawn_app_with(|config| use_fake_model(config, &model, plan(10_000_000, 1_000))).await;
    let user = app.sign_up("newcomer", PASSWORD).await;
    let ids = user.upload_and_wait(&app, &REPLAYS).await;

    // The platform recognised the player in three of the four games.
    let rl = identities(&user, &app).await;
    assert_eq!(rl["kind"], "rl_replay");
    assert_eq!(rl["display_name"], "Rocket League replay");
    assert_eq!(
        (rl["recordings"].as_u64(), rl["recognized"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(rl["appears_as"], "colonelpanic8");
    let links = rl["links"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{rl}");
    assert_eq!(links[0]["source"], "inferred");
    let me = links[0]["participant"].as_str().unwrap().to_owned();
    assert!(me.starts_with("epic:"), "{me}");
    assert_eq!(rl["candidates"][0]["participant"], me.as_str());
    assert_eq!(rl["candidates"][0]["recordings"], 3);

    // The list, the recordings API and the coach's tool agree, game by game.
    let games = games_results(&user, &app).await;
    let recordings = recordings_outcomes(&user, &app).await;
    assert_eq!(games, recordings);
    let expected: BTreeMap<String, String> = ids
        .iter()
        .zip(["win", "loss", "loss", "unknown"])
        .map(|(id, result)| (id.clone(), result.to_owned()))
        .collect();
    assert_eq!(games, expected);

    let reply = user
        .chat(&app, json!({ "message": "How did my last games go?" }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
    let requests = model.requests.lock().unwrap().clone();
    let tool: Value = requests
        .iter()
        .flat_map(|r| r["messages"].as_array().cloned().unwrap_or_default())
        .find(|m| m["role"] == "tool")
        .and_then(|m| serde_json::from_str(m["content"].as_str()?).ok())
        .expect("the model was given the recent_games result");
    let coached = tool["games"].as_array().unwrap();
    assert_eq!(coached.len(), 3, "{tool}");
    for game in coached {
        let id = game["id"].as_str().unwrap();
        assert_eq!(game["result"].as_str(), Some(games[id].as_str()), "{game}");
        assert_eq!(game["my_name"], "colonelpanic8");
    }

    // The account page says so and offers to confirm it.
    let page = user.get_page(&app, "/account").await;
    assert!(
        page.contains("You appear as colonelpanic8 in 3 of 4 recordings."),
        "{page}"
    );
    assert!(page.contains("Yes, that is me"), "{page}");
    let confirmed = user
        .client
        .post(app.url("/account/identity"))
        .form(&[
            ("kind", "rl_replay"),
            ("participant", me.as_str()),
            ("csrf", user.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(confirmed.status().is_success() || confirmed.status().is_redirection());
    let rl = identities(&user, &app).await;
    assert_eq!(rl["links"][0]["source"], "user");
    assert_eq!(rl["links"].as_array().unwrap().len(), 1);
    assert_eq!(games_results(&user, &app).await, expected);
}

#[tokio::test]
async fn a_user_picks_another_identity_and_gives_it_back_to_inference() {
    let app = spawn_app_with(|_| {}).await;
    let user = app.sign_up("newcomer", PASSWORD).await;
    let ids = user.upload_and_wait(&app, &REPLAYS).await;
    let rl = identities(&user, &app).await;
    let inferred = rl["links"][0]["participant"].as_str().unwrap().to_owned();
    // Squishy, seen in the fourth game only, won it from the blue side.
    let squishy = rl["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["display_name"] == "Squishy")
        .expect("every human participant is a candidate")["participant"]
        .as_str()
        .unwrap()
        .to_owned();

    let answer = put_identities(
        &user,
        &app,
        json!({ "kind": "rl_replay", "participants": [squishy] }),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: Value = answer.json().await.unwrap();
    let links = answer["kinds"][0]["links"].as_array().unwrap();
    assert_eq!(links.len(), 1, "the inferred link is gone: {answer}");
    assert_eq!(links[0]["participant"], squishy.as_str());
    assert_eq!(links[0]["source"], "user");
    let games = games_results(&user, &app).await;
    assert_eq!(games[&ids[3]], "win");
    assert_eq!(games[&ids[0]], "unknown");
    assert_eq!(games, recordings_outcomes(&user, &app).await);

    // Bad requests change nothing.
    for (body, code) in [
        (
            json!({ "kind": "talk_video", "participants": [] }),
            "unknown_kind",
        ),
        (
            json!({ "kind": "rl_replay", "participants": [" "] }),
            "invalid_participant",
        ),
        (
            json!({ "kind": "rl_replay", "participants": ["x".repeat(201)] }),
            "invalid_participant",
        ),
        (json!({ "kind": "rl_replay" }), "invalid_json"),
    ] {
        let response = put_identities(&user, &app, body.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(response).await, code, "{body}");
    }
    let without_csrf = user
        .client
        .put(app.url("/api/v1/me/identities"))
        .json(&json!({ "kind": "rl_replay", "participants": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(without_csrf.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        identities(&user, &app).await["links"][0]["participant"],
        squishy.as_str()
    );

    // No links of her own: the inference is back, and so are the results.
    let answer = put_identities(
        &user,
        &app,
        json!({ "kind": "rl_replay", "participants": [] }),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let rl = identities(&user, &app).await;
    assert_eq!(rl["links"][0]["participant"], inferred.as_str());
    assert_eq!(rl["links"][0]["source"], "inferred");
    assert_eq!(games_results(&user, &app).await[&ids[0]], "win");
}
