//! The frame model's promises, checked on real replays: who is a player,
//! which car and team belong to whom, and that keyframe re-sends never
//! become extra moments.

use filmroom_replay::frames::Timeline;
use filmroom_replay::{AnalysisStatus, EventKind};

use crate::support::replays_dir;

fn read(name: &str) -> Vec<u8> {
    let path = replays_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn timeline(name: &str) -> Timeline {
    let bytes = read(name);
    let replay = boxcars::ParserBuilder::new(&bytes)
        .must_parse_network_data()
        .on_error_check_crc()
        .parse()
        .expect("parses");
    Timeline::build(&replay)
}

#[test]
fn spectators_without_a_car_are_not_reported_as_players() {
    let analysis = filmroom_replay::analyze(&read(
        "ballchasing/rlcs-2025-worlds-grand-final-flcn-nrg-g5.replay",
    ))
    .expect("analyses");
    let names: Vec<&str> = analysis.players.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(analysis.players.len(), 6, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| !n.contains("observer") && !n.contains("obs")),
        "{names:?}"
    );
    for team in [0u8, 1] {
        assert_eq!(
            analysis.players.iter().filter(|p| p.team == team).count(),
            3
        );
    }
}

#[test]
fn every_scoreboard_row_is_exactly_one_player_with_the_same_team() {
    for name in [
        "ballchasing/recent-ranked-doubles-2026-03-10.replay",
        "corpus/b82d.replay",
        "corpus/2b37b.replay",
        "corpus/rlcs.replay",
    ] {
        let bytes = read(name);
        let header = filmroom_replay::inspect(&bytes).expect("header");
        let analysis = filmroom_replay::analyze(&bytes).expect("analyses");
        for row in &header.scoreboard {
            let matching: Vec<_> = analysis
                .players
                .iter()
                .filter(|p| p.name == row.name && p.team == row.team)
                .collect();
            assert_eq!(
                matching.len(),
                1,
                "{name}: {} appears {} times",
                row.name,
                matching.len()
            );
        }
    }
}

#[test]
fn players_are_followed_through_demolitions_and_keyframe_resends() {
    let t = timeline("ballchasing/recent-ranked-doubles-2026-03-10.replay");
    assert_eq!(t.players.len(), 4);
    // Two demolitions by players plus one by a goal explosion (no attacker);
    // each is reported once although keyframes re-send the wrecked car.
    assert_eq!(t.demos.len(), 3, "{:?}", t.demos);
    assert_eq!(t.demos.iter().filter(|d| d.attacker.is_none()).count(), 1);
    let victim =
        |d: &filmroom_replay::frames::DemoRecord| t.players[d.victim.expect("victim")].name.clone();
    let by_players: Vec<String> = t
        .demos
        .iter()
        .filter(|d| d.attacker.is_some())
        .map(victim)
        .collect();
    assert_eq!(by_players, ["Quantavious1234", "Quantavious1234"]);
    // The victim has no car while wrecked, and a car again after respawning.
    let quant = t
        .players
        .iter()
        .find(|p| p.name == "Quantavious1234")
        .expect("player");
    let first = t.demos[0].frame;
    assert!(
        quant.cars[first + 10].is_none(),
        "a wrecked car is not followed"
    );
    assert!(
        quant.cars[first + 150].is_some(),
        "the respawned car is followed"
    );
}

#[test]
fn a_pad_is_never_picked_up_twice_before_it_respawns() {
    let t = timeline("ballchasing/recent-ranked-doubles-2026-03-10.replay");
    for (i, p) in t.pickups.iter().enumerate() {
        let time = t.frames[p.frame].time;
        let again = t.pickups[..i]
            .iter()
            .rev()
            .find(|q| q.pad_object == p.pad_object)
            .map(|q| time - t.frames[q.frame].time);
        assert!(
            again.is_none_or(|gap| gap > 3.9),
            "pad {} taken again after {again:?} s",
            p.pad_object
        );
    }
}

#[test]
fn every_goal_of_the_header_is_an_event_with_its_scorer() {
    let bytes = read("ballchasing/recent-ranked-doubles-2026-03-10.replay");
    let header = filmroom_replay::inspect(&bytes).expect("header");
    let analysis = filmroom_replay::analyze(&bytes).expect("analyses");
    assert_eq!(analysis.status, AnalysisStatus::Full);
    let goals: Vec<(u8, String)> = analysis
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Goal { team, scorer, .. } => Some((
                *team,
                scorer
                    .map(|s| analysis.players[s].name.clone())
                    .unwrap_or_default(),
            )),
            _ => None,
        })
        .collect();
    let expected: Vec<(u8, String)> = header
        .goals
        .iter()
        .map(|g| (g.team, g.player_name.clone()))
        .collect();
    assert_eq!(goals, expected);
    // The opening kickoff comes before the first goal, and every goal but the
    // last (this match ended on it, by forfeit) is followed by a kickoff.
    let kickoffs: Vec<u32> = analysis
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Kickoff { .. }))
        .map(|e| e.frame)
        .collect();
    let goal_frames: Vec<u32> = analysis
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Goal { .. }))
        .map(|e| e.frame)
        .collect();
    assert_eq!(
        kickoffs.len(),
        goal_frames.len(),
        "{kickoffs:?} {goal_frames:?}"
    );
    assert!(kickoffs[0] < goal_frames[0]);
    for (goal, kickoff) in goal_frames.iter().zip(&kickoffs[1..]) {
        assert!(kickoff > goal, "{kickoffs:?} {goal_frames:?}");
    }
}

fn pickups(name: &str) -> Vec<(Option<u8>, bool)> {
    let analysis = filmroom_replay::analyze(&read(name)).expect("analyses");
    analysis
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::BoostPickup { pad, big, .. } => Some((pad, big)),
            _ => None,
        })
        .collect()
}

#[test]
fn pickups_on_a_standard_map_name_their_pad_in_the_standard_layout() {
    let seen = pickups("ballchasing/recent-ranked-doubles-2026-03-10.replay");
    assert!(!seen.is_empty());
    let big_pads = [3u8, 4, 15, 18, 29, 30];
    for (pad, big) in &seen {
        let pad = pad.expect("every pad of a standard map is placed");
        assert!(pad < 34);
        assert_eq!(big_pads.contains(&pad), *big, "pad {pad} size");
    }
    let distinct: std::collections::BTreeSet<u8> = seen.iter().filter_map(|(p, _)| *p).collect();
    assert_eq!(
        distinct.len(),
        34,
        "a whole match visits every pad: {distinct:?}"
    );
}

#[test]
fn pickups_on_a_map_with_another_layout_name_no_standard_pad() {
    let seen = pickups("corpus/256.replay");
    assert!(!seen.is_empty(), "hoops has pads too");
    assert!(seen.iter().all(|(pad, _)| pad.is_none()));
}

/// `analyze` builds the timeline while boxcars decodes (a frame visitor in
/// the vendored boxcars); it must be exactly the timeline of the fully
/// decoded replay, frame for frame, on replays of every era in the corpus.
#[test]
fn the_timeline_built_while_decoding_equals_the_one_built_from_decoded_frames() {
    use boxcars::ParserBuilder;
    use filmroom_replay::frames::TimelineBuilder;

    let mut compared = 0;
    for path in crate::support::replay_files("corpus") {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Ok(replay) = ParserBuilder::new(&bytes)
            .must_parse_network_data()
            .on_error_check_crc()
            .parse()
        else {
            continue; // degraded replays are covered by the corpus tests
        };
        let mut streamed = TimelineBuilder::default();
        let visited = ParserBuilder::new(&bytes)
            .must_parse_network_data()
            .on_error_check_crc()
            .parse_with_frame_visitor(&mut streamed)
            .expect("the visitor parse succeeds where the full parse did");
        assert!(
            visited
                .network_frames
                .as_ref()
                .is_some_and(|n| n.frames.is_empty()),
            "{}: visited frames are not kept",
            path.display()
        );
        let built = Timeline::build(&replay);
        assert!(
            streamed.finish() == built,
            "{}: the streamed timeline differs",
            path.display()
        );
        if !built.frames.is_empty() {
            compared += 1;
        }
    }
    assert!(
        compared >= 60,
        "only {compared} corpus replays with frames compared"
    );
}
