//! `analyze --format json|ballchasing|md|csv` on stdout.

use crate::{BOTH_TEAMS, TINY, corpus, filmroom};

#[test]
fn json_of_one_replay_is_one_document_with_schema_version_and_players() {
    let run = filmroom(["analyze".as_ref(), corpus("07e9").as_os_str()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert!(doc["schema_version"].as_u64().is_some(), "{doc}");
    let players = doc["players"].as_array().unwrap();
    assert!(!players.is_empty());
    assert!(
        players
            .iter()
            .all(|p| p["name"].is_string() && p["stats"]["core"].is_object())
    );
}

#[test]
fn ballchasing_format_lists_blue_and_orange_players_with_core_stats() {
    let run = filmroom([
        "analyze".as_ref(),
        corpus(BOTH_TEAMS).as_os_str(),
        "--format".as_ref(),
        "ballchasing".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    for color in ["blue", "orange"] {
        let players = doc[color]["players"]
            .as_array()
            .unwrap_or_else(|| panic!("{color}: {doc}"));
        assert!(!players.is_empty(), "{color} has players");
        for player in players {
            assert!(player["stats"]["core"]["goals"].is_u64(), "{player}");
        }
    }
}

#[test]
fn markdown_dossier_names_the_map_and_every_player() {
    let json = filmroom(["analyze".as_ref(), corpus(BOTH_TEAMS).as_os_str()]).json();
    let run = filmroom([
        "analyze".as_ref(),
        corpus(BOTH_TEAMS).as_os_str(),
        "--format".as_ref(),
        "md".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let map = json["replay"]["map_code"].as_str().unwrap();
    assert!(run.stdout.starts_with("# "), "{}", run.stdout);
    assert!(run.stdout.contains(map), "map {map} in:\n{}", run.stdout);
    assert!(run.stdout.contains("## Scoreboard"));
    for player in json["players"].as_array().unwrap() {
        let name = player["name"].as_str().unwrap();
        assert!(
            run.stdout.contains(name),
            "player {name} in:\n{}",
            run.stdout
        );
    }
}

#[test]
fn csv_has_one_header_and_one_row_per_player_across_replays() {
    let files: Vec<_> = TINY.iter().map(|stem| corpus(stem)).collect();
    let mut args = vec!["analyze".into(), "--format".into(), "csv".into()];
    args.extend(files.iter().map(|f| f.clone().into_os_string()));
    let run = filmroom(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let expected_players: usize = files
        .iter()
        .map(|f| {
            filmroom(["analyze".as_ref(), f.as_os_str()]).json()["players"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    for column in [
        "file",
        "replay_id",
        "map",
        "team",
        "name",
        "platform",
        "player_id",
        "core.goals",
        "boost.bpm",
        "movement.avg_speed",
        "positioning.time_behind_ball",
        "demo.inflicted",
    ] {
        assert!(
            header.iter().any(|h| h == column),
            "column {column} in {header:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), expected_players);
    assert!(rows.iter().all(|r| r.len() == header.len()));
}
