//! `filmroom inspect`: the header, as text or JSON.

use crate::{corpus, filmroom};

#[test]
fn inspect_prints_the_map_name_and_the_scoreboard() {
    let run = filmroom(["inspect".as_ref(), corpus("07e9").as_os_str()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("HoopsStadium_P"), "{}", run.stdout);
    assert!(run.stdout.contains("Scoreboard"));
    assert!(run.stdout.contains("Nadir"));
}

#[test]
fn inspect_json_has_the_replay_facts_and_scoreboard_rows() {
    let run = filmroom([
        "inspect".as_ref(),
        corpus("07e9").as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["replay"]["map_code"], "HoopsStadium_P");
    assert_eq!(doc["scoreboard"][0]["name"], "Nadir");
    assert!(doc["tick_marks"].is_array());
}

#[test]
fn inspect_of_a_missing_file_fails_with_exit_code_1() {
    let run = filmroom(["inspect", "/nonexistent/x.replay"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("/nonexistent/x.replay"),
        "{}",
        run.stderr
    );
}
