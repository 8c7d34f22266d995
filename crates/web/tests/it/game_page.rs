//! The Rocket League game page, laid out by its domain and rendered by the
//! web's one recording-page renderer: tabs, units, side colours, the notice
//! of a header-only analysis, and the list's final score.

use reqwest::StatusCode;

use crate::{PASSWORD, TestApp, User, spawn_app};

async fn page(app: &TestApp, user: &User, path: &str) -> String {
    let response = user.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_game_page_has_five_tabs_a_unit_in_every_header_and_the_teams_colours() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let id = alice
        .upload_and_wait(&app, &["00bb.replay"])
        .await
        .remove(0);

    let overview = page(&app, &alice, &format!("/games/{id}")).await;
    // The heading is the map, then the file; the subtitle the playlist and size.
    assert!(
        overview.contains("<h1>TrainStation_Dawn_P: 00bb.replay</h1>"),
        "{overview}"
    );
    assert!(overview.contains("Online · 3v3"), "{overview}");
    assert_eq!(overview.matches("role=\"tab\"").count(), 5);
    for tab in ["overview", "boost", "movement", "positioning", "timeline"] {
        assert!(
            overview.contains(&format!("href=\"/games/{id}?tab={tab}\"")),
            "{tab}"
        );
    }
    assert!(overview.contains("id=\"tab-overview\""));
    assert!(overview.contains("Score (points)"));
    assert!(overview.contains("Goals (count)"));

    let movement = page(&app, &alice, &format!("/games/{id}?tab=movement")).await;
    assert!(movement.contains("id=\"tab-movement\""));
    for header in [
        "Average speed (uu/s)",
        "Distance (km)",
        "Powerslides (count)",
    ] {
        assert!(movement.contains(&format!("<th>{header}</th>")), "{header}");
    }
    assert!(movement.contains("<tr class=\"blue\">"));
    assert!(movement.contains("<tr class=\"orange\">"));
    // Every header but the row labels' has a unit in brackets.
    let headers: Vec<&str> = movement
        .split("<th>")
        .skip(1)
        .filter_map(|h| h.split("</th>").next())
        .collect();
    assert!(headers.len() > 5);
    for header in headers.iter().filter(|h| **h != "Player") {
        assert!(header.ends_with(')'), "{header:?} has no unit");
    }

    // An unknown tab opens the overview; the timeline lists the goals.
    let unknown = page(&app, &alice, &format!("/games/{id}?tab=nope")).await;
    assert!(unknown.contains("id=\"tab-overview\""));
    let timeline = page(&app, &alice, &format!("/games/{id}?tab=timeline")).await;
    assert!(timeline.contains("Goal by "), "{timeline}");
    assert!(
        timeline.contains("<circle"),
        "goals are marked on the chart"
    );
    assert!(!timeline.contains("Cited moment"));
}

#[tokio::test]
async fn a_header_only_game_says_only_the_scoreboard_is_known_on_every_tab() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let id = alice
        .upload_and_wait(&app, &["6688.replay"])
        .await
        .remove(0);

    let overview = page(&app, &alice, &format!("/games/{id}")).await;
    assert!(
        overview.contains("<p class=\"note\">Only the scoreboard is known: "),
        "{overview}"
    );
    assert!(overview.contains("Scoreboard"));
    let boost = page(&app, &alice, &format!("/games/{id}?tab=boost")).await;
    assert!(boost.contains("Boost: not available"), "{boost}");
    assert!(boost.contains("network data could not be decoded"));
    assert!(!boost.contains("<svg"), "no chart of numbers nobody has");
}

#[tokio::test]
async fn the_games_list_shows_the_headers_final_score_when_a_scorer_left_the_match() {
    // 8a26.replay ends 7-5, but an orange scorer left: the scoreboard's
    // players' goals add up to 7-4.
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let id = alice
        .upload_and_wait(&app, &["8a26.replay"])
        .await
        .remove(0);

    let list = alice.get_json(&app, "/api/v1/games").await;
    let game = list["games"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id.as_str())
        .unwrap();
    assert_eq!(game["score"], serde_json::json!([7, 5]), "{game}");

    let detail = alice
        .get_json(&app, &format!("/api/v1/recordings/{id}"))
        .await;
    let side_metric = |side: &str, key: &str| {
        detail["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["subject"]["side"] == side && m["key"] == key)
            .map(|m| m["value"].as_f64().unwrap())
    };
    assert_eq!(side_metric("orange", "core.final_score"), Some(5.0));
    assert_eq!(side_metric("orange", "core.goals"), Some(4.0));

    let games = page(&app, &alice, "/games").await;
    assert!(games.contains("7 – 5"), "{games}");
}
