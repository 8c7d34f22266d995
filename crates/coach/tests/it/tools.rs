//! The tools over real games: every tool, its results and its refusals.

use filmroom_coach::tools::{averages, stat_value};
use filmroom_coach::{
    CoachData, GameDigest, GameQuery, GameResult, InMemoryData, execute_tool, tool_definitions,
};
use filmroom_replay::EventKind;
use serde_json::{Value, json};

use crate::games::{self, SESSION, data, digests, game, games};

async fn call(data: &dyn CoachData, name: &str, args: Value) -> (Value, bool, Vec<String>) {
    let outcome = execute_tool(data, name, &args.to_string()).await;
    let value: Value = serde_json::from_str(&outcome.content).unwrap();
    (value, outcome.is_error, outcome.game_ids)
}

fn error_of(value: &Value) -> &str {
    value["error"].as_str().unwrap()
}

#[test]
fn a_digest_holds_the_players_own_numbers_and_moments_from_the_neutral_analysis() {
    for g in games() {
        let d = &g.digest;
        let index = g.me_index;
        let player = &g.analysis.players[index];
        assert_eq!(d.my_name, player.name);
        let count = |n: u32| Some(f64::from(n));
        assert_eq!(d.stat("goals"), count(player.stats.core.goals), "{}", g.id);
        assert_eq!(d.stat("saves"), count(player.stats.core.saves));
        assert_eq!(d.stat("shots"), count(player.stats.core.shots));
        assert_eq!(d.played_at, Some(g.played_at));
        let team = usize::from(player.team);
        assert_eq!(d.score_for, g.analysis.replay.score[team]);
        assert_eq!(d.score_against, g.analysis.replay.score[1 - team]);
        let expected = match d.score_for.cmp(&d.score_against) {
            std::cmp::Ordering::Greater => GameResult::Win,
            std::cmp::Ordering::Less => GameResult::Loss,
            std::cmp::Ordering::Equal => GameResult::Draw,
        };
        assert_eq!(d.result, expected);
        if let Some(boost) = &player.stats.boost {
            assert!((d.stat("bpm").unwrap() - boost.bpm).abs() <= 0.05);
        }
        // Moments: one per event of the player (and per goal of the other team), at its time.
        let shots = g
            .analysis
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Shot { player } if player == index))
            .count();
        let moment_shots = d.moments.iter().filter(|m| m.kind == "shot").count();
        assert_eq!(moment_shots, shots, "{}", g.id);
        for goal in g.analysis.events.iter() {
            if let EventKind::Goal { team, .. } = goal.kind
                && team != player.team
            {
                assert!(
                    d.moments
                        .iter()
                        .any(|m| m.kind == "goal_against"
                            && (m.at_seconds - goal.time).abs() <= 0.05)
                );
            }
        }
    }
    // The header-only replay has the scoreboard and nothing else.
    let degraded = &game("c-6688").digest;
    assert!(!degraded.complete);
    assert_eq!(degraded.stat("bpm"), None);
    // The full ones have every family.
    assert!(game(SESSION[0]).digest.complete);
    assert!(game(SESSION[0]).digest.stat("avg_speed").is_some());
}

#[test]
fn a_participant_not_in_the_recording_has_no_digest_and_a_missing_date_is_the_recordings_own() {
    let g = game(SESSION[0]);
    let spec = filmroom_replay::domain::coach_digest();
    assert_eq!(
        GameDigest::from_neutral("x", None, "rl_replay", &g.neutral, "steam:nobody", &spec),
        None
    );
    let digest =
        GameDigest::from_neutral("x", None, "rl_replay", &g.neutral, &g.me, &spec).unwrap();
    assert_eq!(digest.played_at.unwrap().date().to_string(), "2026-03-10");
    // The detail carries every stored metric of the player, not just the headline ones.
    assert!(digest.metrics.len() > 40, "{}", digest.metrics.len());
    assert!(!digest.passages.is_empty());
}

#[tokio::test]
async fn recent_games_returns_the_newest_games_first_with_their_ids() {
    let data = data();
    let (value, is_error, ids) = call(&data, "recent_games", json!({"n": 3})).await;
    assert!(!is_error, "{value}");
    assert_eq!(ids, SESSION);
    assert_eq!(value["count"], 3);
    assert_eq!(value["games"][0]["id"], SESSION[0]);
    assert!(
        value["games"][0].get("moments").is_none(),
        "lists leave moments out"
    );
    let expected = averages(&digests()[..3]);
    assert_eq!(value["summary"]["averages"]["bpm"], json!(expected["bpm"]));

    // The default is ten.
    let (_, _, ids) = call(&data, "recent_games", json!({})).await;
    assert_eq!(ids.len(), 10);
}

#[tokio::test]
async fn recent_games_filters_by_playlist_ignoring_case() {
    let data = data();
    let playlist = game("c-8206e").digest.playlist.clone().unwrap();
    let (value, is_error, ids) = call(
        &data,
        "recent_games",
        json!({"n": 50, "playlist": playlist.to_uppercase()}),
    )
    .await;
    assert!(!is_error);
    let expected: Vec<String> = digests()
        .into_iter()
        .filter(|d| d.playlist.as_deref() == Some(playlist.as_str()))
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(value["count"], expected.len());
}

#[tokio::test]
async fn recent_games_refuses_n_out_of_range_and_unknown_arguments() {
    let data = data();
    for args in [json!({"n": 0}), json!({"n": 51}), json!({"n": -1})] {
        let (value, is_error, ids) = call(&data, "recent_games", args).await;
        assert!(is_error);
        assert!(error_of(&value).contains("between 1 and 50"), "{value}");
        assert!(ids.is_empty());
    }
    let (value, is_error, _) = call(&data, "recent_games", json!({"n": "five"})).await;
    assert!(is_error);
    assert!(error_of(&value).contains("invalid arguments for recent_games"));
    let (value, is_error, _) = call(&data, "recent_games", json!({"count": 5})).await;
    assert!(is_error);
    assert!(error_of(&value).contains("count"), "{value}");
}

#[tokio::test]
async fn stats_by_playlist_averages_each_playlist_over_its_own_games() {
    let data = data();
    let (value, is_error, ids) = call(&data, "stats_by_playlist", json!({})).await;
    assert!(!is_error);
    assert_eq!(ids.len(), games().len());
    let all = digests();
    for entry in value["playlists"].as_array().unwrap() {
        let name = entry["playlist"].as_str().unwrap();
        let mine: Vec<GameDigest> = all
            .iter()
            .filter(|d| d.playlist.as_deref().unwrap_or("unknown") == name)
            .cloned()
            .collect();
        assert_eq!(entry["games"], mine.len());
        assert_eq!(entry["averages"], json!(averages(&mine)));
        let wins = mine.iter().filter(|d| d.result == GameResult::Win).count();
        assert_eq!(entry["wins"], wins);
    }
}

#[tokio::test]
async fn stats_over_range_includes_the_whole_until_day_and_lists_its_games() {
    let data = data();
    let (value, is_error, ids) = call(
        &data,
        "stats_over_range",
        json!({"from": "2026-03-08", "until": "2026-03-10"}),
    )
    .await;
    assert!(!is_error, "{value}");
    let mut expected = SESSION.to_vec();
    expected.extend(["c-8206e", "c-eac"]);
    assert_eq!(ids, expected);
    assert_eq!(value["until"], "2026-03-11T00:00:00Z");
    assert_eq!(value["summary"]["games"], 5);
    let window: Vec<GameDigest> = digests().into_iter().take(5).collect();
    assert_eq!(value["summary"]["averages"], json!(averages(&window)));

    // RFC 3339 bounds are taken as they are.
    let (_, _, ids) = call(
        &data,
        "stats_over_range",
        json!({"from": "2026-03-10T20:10:00Z", "until": "2026-03-10T20:20:00+00:00"}),
    )
    .await;
    assert_eq!(ids, ["bc-standard-0310"]);
}

#[tokio::test]
async fn stats_over_range_refuses_bad_dates_and_reversed_ranges() {
    let data = data();
    for (args, needle) in [
        (json!({"from": "yesterday", "until": "2026-03-10"}), "from"),
        (
            json!({"from": "2026-03-01", "until": "2026-02-30"}),
            "until",
        ),
        (
            json!({"from": "2026-03-10", "until": "2026-03-01"}),
            "after",
        ),
        (json!({"from": "2026-03-10"}), "until"),
    ] {
        let (value, is_error, _) = call(&data, "stats_over_range", args.clone()).await;
        assert!(is_error, "{args}");
        assert!(error_of(&value).contains(needle), "{value}");
    }
}

#[tokio::test]
async fn game_detail_returns_the_moments_and_refuses_a_game_that_is_not_the_players() {
    let data = data();
    let (value, is_error, ids) = call(&data, "game_detail", json!({"game_id": SESSION[0]})).await;
    assert!(!is_error);
    assert_eq!(ids, [SESSION[0]]);
    let back: GameDigest = serde_json::from_value(value).unwrap();
    assert_eq!(&back, &game(SESSION[0]).digest);
    assert!(!back.moments.is_empty());

    let (value, is_error, ids) =
        call(&data, "game_detail", json!({"game_id": "someone-elses"})).await;
    assert!(is_error);
    assert!(ids.is_empty());
    assert!(error_of(&value).contains("someone-elses"));
}

#[tokio::test]
async fn compare_periods_gives_both_averages_and_their_differences() {
    let data = data();
    let (value, is_error, ids) = call(
        &data,
        "compare_periods",
        json!({"a_from": "2026-03-04", "a_until": "2026-03-09", "b_from": "2026-03-10", "b_until": "2026-03-10"}),
    )
    .await;
    assert!(!is_error, "{value}");
    assert_eq!(ids.len(), 9);
    let all = digests();
    let b: Vec<GameDigest> = all[..3].to_vec();
    let a: Vec<GameDigest> = all[3..9].to_vec();
    let (avg_a, avg_b) = (averages(&a), averages(&b));
    assert_eq!(value["a"]["summary"]["averages"], json!(avg_a));
    assert_eq!(value["b"]["summary"]["averages"], json!(avg_b));
    let diff = value["differences_b_minus_a"]["bpm"].as_f64().unwrap();
    let expected = avg_b["bpm"].unwrap() - avg_a["bpm"].unwrap();
    assert!((diff - expected).abs() < 0.051, "{diff} vs {expected}");

    let (value, is_error, _) = call(
        &data,
        "compare_periods",
        json!({"a_from": "2026-03-04", "a_until": "2026-03-09", "b_from": "2026-03-10"}),
    )
    .await;
    assert!(is_error);
    assert!(error_of(&value).contains("b_until"));
}

#[tokio::test]
async fn notes_are_listed_saved_and_deleted_and_bad_notes_are_refused() {
    let data = data();
    let (value, _, _) = call(&data, "list_notes", json!({})).await;
    assert_eq!(value["notes"], json!([]));

    let (value, is_error, _) = call(
        &data,
        "save_note",
        json!({"text": "  Work on small pads when rotating back.  "}),
    )
    .await;
    assert!(!is_error);
    assert_eq!(
        value["saved"]["text"],
        "Work on small pads when rotating back."
    );
    assert_eq!(value["saved"]["author"], "coach");
    assert_eq!(value["saved"]["updated_at"], "2026-03-11T09:00:00Z");
    let id = value["saved"]["id"].as_str().unwrap().to_owned();

    let (value, _, _) = call(&data, "list_notes", json!({})).await;
    assert_eq!(value["notes"].as_array().unwrap().len(), 1);

    for text in [String::new(), "   ".into(), "x".repeat(2001)] {
        let (value, is_error, _) = call(&data, "save_note", json!({ "text": text })).await;
        assert!(is_error);
        assert!(error_of(&value).contains("1 to 2000"));
    }
    let (_, is_error, _) = call(&data, "save_note", json!({"text": "é".repeat(2000)})).await;
    assert!(
        !is_error,
        "2000 characters are allowed, whatever their bytes"
    );

    let (value, is_error, _) = call(&data, "delete_note", json!({ "note_id": id })).await;
    assert!(!is_error);
    assert_eq!(value["deleted"], id.as_str());
    let (value, is_error, _) = call(&data, "delete_note", json!({ "note_id": id })).await;
    assert!(is_error);
    assert!(error_of(&value).contains("no note"));
    assert_eq!(data.notes().await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_json_and_unknown_tools_are_clear_errors_not_panics() {
    let data = data();
    for (name, args) in [
        ("recent_games", "{\"n\": 5"),
        ("recent_games", "[1, 2]"),
        ("game_detail", "{}"),
        ("game_detail", "null"),
        ("list_notes", "{\"x\": 1}"),
        ("delete_note", "\"note-1\""),
    ] {
        let outcome = execute_tool(&data, name, args).await;
        assert!(outcome.is_error, "{name} {args}");
        let value: Value = serde_json::from_str(&outcome.content).unwrap();
        assert!(error_of(&value).contains(name), "{value}");
    }
    let outcome = execute_tool(&data, "drop_tables", "{}").await;
    assert!(outcome.is_error);
    assert!(outcome.content.contains("unknown tool"));
    assert!(outcome.content.contains("recent_games"));
    // An empty argument string is an empty object (some servers send nothing).
    assert!(!execute_tool(&data, "list_notes", "").await.is_error);
}

#[tokio::test]
async fn a_player_without_games_gets_empty_results_not_errors() {
    let empty = InMemoryData::new(vec![]);
    for (name, args) in [
        ("recent_games", json!({})),
        ("stats_by_playlist", json!({})),
        (
            "stats_over_range",
            json!({"from": "2026-01-01", "until": "2026-12-31"}),
        ),
    ] {
        let (value, is_error, ids) = call(&empty, name, args).await;
        assert!(!is_error, "{name}: {value}");
        assert!(ids.is_empty());
    }
    assert!(empty.games(&GameQuery::recent(5)).await.unwrap().is_empty());
}

#[test]
fn every_tool_definition_has_an_object_schema_and_a_description() {
    let tools = tool_definitions();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "recent_games",
            "stats_by_playlist",
            "stats_over_range",
            "game_detail",
            "compare_periods",
            "metric_summary",
            "search_moments",
            "list_notes",
            "save_note",
            "delete_note"
        ]
    );
    for tool in &tools {
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
        assert!(!tool.description.is_empty());
    }
    assert_eq!(tools[0].input_schema["properties"]["n"]["maximum"], 50);
}

#[test]
fn stat_values_read_the_digest() {
    let d = &games::game(SESSION[0]).digest;
    assert_eq!(stat_value(d, "goals"), d.stat("goals"));
    assert!(stat_value(d, "goals").is_some());
    assert_eq!(stat_value(d, "bpm"), d.stat("bpm"));
    assert!(stat_value(d, "bpm").is_some());
    assert_eq!(stat_value(d, "nope"), None);
}

#[tokio::test]
async fn search_moments_finds_moments_and_passages_with_a_citation_and_refuses_bad_text() {
    let data = data();
    let (value, is_error, ids) = call(&data, "search_moments", json!({"text": "GOAL BY"})).await;
    assert!(!is_error, "{value}");
    let results = value["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.len() <= 20, "the default limit holds");
    for hit in results {
        let id = hit["recording_id"].as_str().unwrap();
        assert!(
            ids.iter().any(|i| i == id),
            "{id} is listed for citation checks"
        );
        assert!(
            hit["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("goal by")
        );
        let at = hit["start_seconds"].as_f64().unwrap();
        assert_eq!(
            hit["cite_as"],
            filmroom_coach::format_citation(id, at),
            "{hit}"
        );
    }
    assert!(results.iter().any(|h| h["source"] == "passage"));
    assert!(results.iter().any(|h| h["source"] == "event"));

    let (value, _, _) = call(
        &data,
        "search_moments",
        json!({"text": "goal by", "limit": 3}),
    )
    .await;
    assert_eq!(value["count"], 3);
    let (value, _, ids) = call(&data, "search_moments", json!({"text": "zzz-nobody"})).await;
    assert_eq!(value["count"], 0);
    assert!(ids.is_empty());

    for (args, needle) in [
        (json!({"text": "a"}), "text must be 2 to 100"),
        (json!({"text": "x".repeat(101)}), "text must be 2 to 100"),
        (
            json!({"text": "goal", "limit": 0}),
            "limit must be between 1 and 50",
        ),
        (json!({"text": "goal", "extra": 1}), "unknown field"),
        (json!({}), "missing field `text`"),
    ] {
        let (value, is_error, _) = call(&data, "search_moments", args.clone()).await;
        assert!(is_error, "{args}");
        assert!(error_of(&value).contains(needle), "{args}: {value}");
    }
}

#[tokio::test]
async fn metric_summary_aggregates_any_stored_key_or_headline_stat_over_a_period_or_a_facet() {
    let data = data();
    let with_bpm: Vec<f64> = digests()
        .iter()
        .filter_map(|d| d.metrics.get("boost.bpm").copied())
        .collect();
    assert!(with_bpm.len() >= 2);
    let mean = with_bpm.iter().sum::<f64>() / with_bpm.len() as f64;

    let (value, is_error, _) = call(&data, "metric_summary", json!({"metric": "boost.bpm"})).await;
    assert!(!is_error, "{value}");
    let group = &value["groups"][0];
    assert_eq!(group["recordings"], with_bpm.len());
    assert!(
        (group["average"].as_f64().unwrap() - mean).abs() < 0.01,
        "{value}"
    );
    assert!(group["min"].as_f64().unwrap() <= group["max"].as_f64().unwrap());

    // A key the headline stats do not carry is still a stored metric.
    let (value, is_error, _) = call(
        &data,
        "metric_summary",
        json!({"metric": "movement.total_distance", "group_by": "playlist"}),
    )
    .await;
    assert!(!is_error, "{value}");
    let groups = value["groups"].as_array().unwrap();
    assert!(!groups.is_empty());
    let total: u64 = groups
        .iter()
        .map(|g| g["recordings"].as_u64().unwrap())
        .sum();
    let expected = digests()
        .iter()
        .filter(|d| d.metrics.contains_key("movement.total_distance"))
        .count();
    assert_eq!(total, expected as u64);

    // A period: only the last session's day.
    let (value, _, _) = call(
        &data,
        "metric_summary",
        json!({"metric": "core.goals", "from": "2026-03-10", "until": "2026-03-10"}),
    )
    .await;
    assert_eq!(value["groups"][0]["recordings"], SESSION.len());

    let (value, _, _) = call(&data, "metric_summary", json!({"metric": "no.such_key"})).await;
    assert_eq!(value["groups"], json!([]));
    assert!(value["notice"].is_string());

    for (args, needle) in [
        (json!({"metric": ""}), "metric must be 1 to 100"),
        (json!({"metric": "core.goals", "from": "yesterday"}), "from"),
        (
            json!({"metric": "core.goals", "from": "2026-03-10", "until": "2026-03-01"}),
            "until must be after from",
        ),
    ] {
        let (value, is_error, _) = call(&data, "metric_summary", args.clone()).await;
        assert!(is_error, "{args}");
        assert!(error_of(&value).contains(needle), "{args}: {value}");
    }
}

#[test]
fn tool_schemas_are_derived_from_the_argument_types() {
    let tools = tool_definitions();
    let schema = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .input_schema
            .clone()
    };
    let search = schema("search_moments");
    assert_eq!(search["required"], json!(["text"]));
    assert_eq!(search["additionalProperties"], false);
    assert_eq!(search["properties"]["text"]["maxLength"], 100);
    assert!(search.get("$schema").is_none() && search.get("title").is_none());
    let compare = schema("compare_periods");
    assert_eq!(
        compare["required"],
        json!(["a_from", "a_until", "b_from", "b_until"])
    );
    assert!(
        compare["properties"]["a_from"]["description"]
            .as_str()
            .unwrap()
            .contains("YYYY-MM-DD")
    );
    assert_eq!(schema("stats_by_playlist")["properties"], json!({}));
}

#[test]
fn a_digests_stats_are_the_domains_headline_stats_by_name_with_counts_as_whole_numbers() {
    // The digest's stats are filled from the domain's headline spec: every
    // stat under its name, the counts as JSON integers and the rest rounded to
    // a decimal, as the tools' results have always given them to the model.
    let spec = filmroom_replay::domain::coach_digest();
    let d = &game(SESSION[0]).digest;
    let names: Vec<&str> = spec.headline.iter().map(|h| h.name.as_str()).collect();
    let keys: Vec<&str> = d.stats.keys().map(String::as_str).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
    let stats = &serde_json::to_value(d).unwrap()["stats"];
    for h in &spec.headline {
        let v = &stats[&h.name];
        if h.whole {
            assert!(v.is_u64(), "{}: {v}", h.name);
        } else {
            let x = v.as_f64().unwrap();
            assert_eq!(x, (x * 10.0).round() / 10.0, "{}: {v}", h.name);
        }
    }
    assert!(stats["goals"].is_u64() && stats["bpm"].is_f64());
    // The header-only replay has null where it has no number.
    let degraded = serde_json::to_value(&game("c-6688").digest).unwrap();
    assert!(degraded["stats"]["bpm"].is_null());
    assert!(degraded["stats"]["goals"].is_u64());
}

#[test]
fn a_digest_scores_the_headers_final_score_and_an_older_analysis_its_goals() {
    // 8a26 ends 7-5, but one orange scorer left: the players' goals add to 7-4.
    let bytes = std::fs::read(crate::games::replays_dir().join("corpus/8a26.replay")).unwrap();
    let analysis = filmroom_replay::analyze(&bytes).unwrap();
    let mut neutral = filmroom_replay::domain::to_neutral(&analysis).unwrap();
    let me_index = analysis.players.iter().position(|p| p.team == 0).unwrap();
    let me = neutral.participants[me_index].key.clone();
    let spec = filmroom_replay::domain::coach_digest();
    let digest = |neutral: &filmroom_domain::Analysis| {
        GameDigest::from_neutral("8a26", None, "rl_replay", neutral, &me, &spec).unwrap()
    };
    let d = digest(&neutral);
    assert_eq!((d.score_for, d.score_against), (7, 5));
    assert_eq!(d.result, GameResult::Win);

    // An analysis stored before the final score existed keeps the goals.
    neutral.metrics.retain(|m| m.key != "core.final_score");
    let d = digest(&neutral);
    assert_eq!((d.score_for, d.score_against), (7, 4));
}
