//! Accuracy against ballchasing.com: every per-player and per-team field of
//! our `ballchasing` output, compared with what ballchasing itself computed
//! for the same replay, within the tolerances of the issue that specified it.
//! Prints the share of fields within tolerance per stat family (and every
//! miss with `FILMROOM_ACCURACY_DETAIL=1`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::replay_files;

/// How far a field may be from ballchasing's value. A team field has the
/// tolerance of the same player field (`team.boost` is `boost`).
fn tolerance(family: &str, field: &str) -> f64 {
    let family = family.strip_prefix("team.").unwrap_or(family);
    match field {
        "shooting_percentage" => 0.01,
        "avg_speed" => 5.0,
        "avg_speed_percentage" => 0.5,
        "total_distance" => 2500.0,
        "avg_powerslide_duration" => 0.1,
        f if f.starts_with("avg_distance") => 50.0,
        // `possession_time` (team `ball` family) is a time too.
        f if f.starts_with("time_") || f.starts_with("percent_") || f.ends_with("_time") => 1.0,
        f if f.starts_with("count_") => 0.0,
        // Boost amounts, and the averages and rates made of them.
        _ if family == "boost" => 2.0,
        _ => 0.0,
    }
}

#[derive(Default)]
struct Tally {
    within: usize,
    total: usize,
    misses: Vec<String>,
}

fn compare_family(
    tallies: &mut BTreeMap<String, Tally>,
    who: &str,
    family: &str,
    theirs: &Value,
    ours: Option<&Value>,
) {
    let Some(fields) = theirs.as_object() else {
        return;
    };
    for (field, expected) in fields {
        let tally = tallies.entry(family.to_owned()).or_default();
        tally.total += 1;
        let got = ours.and_then(|o| o.get(field));
        let ok = match (expected, got) {
            (Value::Bool(e), Some(Value::Bool(g))) => e == g,
            (Value::Number(e), Some(Value::Number(g))) => {
                let (e, g) = (
                    e.as_f64().unwrap_or(f64::NAN),
                    g.as_f64().unwrap_or(f64::NAN),
                );
                (e - g).abs() <= tolerance(family, field) + 1e-9
            }
            _ => false,
        };
        if ok {
            tally.within += 1;
        } else {
            tally.misses.push(format!(
                "{who} {family}.{field}: ours {} theirs {expected}",
                got.map_or("missing".to_owned(), Value::to_string)
            ));
        }
    }
}

fn compare_replay(
    tallies: &mut BTreeMap<String, Tally>,
    ours: &Value,
    theirs: &Value,
    label: &str,
) {
    for color in ["blue", "orange"] {
        let (our_team, their_team) = (&ours[color], &theirs[color]);
        for family in ["ball", "core", "boost", "movement", "positioning", "demo"] {
            let who = format!("{label} {color} team");
            compare_family(
                tallies,
                &who,
                &format!("team.{family}"),
                &their_team["stats"][family],
                our_team["stats"].get(family),
            );
        }
        let empty = Vec::new();
        let our_players = our_team["players"].as_array().unwrap_or(&empty);
        for their_player in their_team["players"].as_array().unwrap_or(&empty) {
            let name = their_player["name"].as_str().unwrap_or_default();
            let ours = our_players.iter().find(|p| {
                (p["id"]["id"] == their_player["id"]["id"] && !p["id"]["id"].is_null())
                    || p["name"].as_str() == Some(name)
            });
            let who = format!("{label} {color} {name}");
            for family in ["core", "boost", "movement", "positioning", "demo"] {
                compare_family(
                    tallies,
                    &who,
                    family,
                    &their_player["stats"][family],
                    ours.and_then(|p| p["stats"].get(family)),
                );
            }
        }
    }
}

#[test]
fn ballchasing_output_matches_ballchasing_within_tolerance() {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for replay in replay_files("ballchasing") {
        let reference = replay.with_extension("ballchasing.json");
        let theirs: Value =
            serde_json::from_slice(&std::fs::read(&reference).expect("reference json"))
                .expect("reference parses");
        let analysis = filmroom_replay::analyze(&std::fs::read(&replay).expect("replay"))
            .expect("reference replays analyse");
        assert_eq!(
            analysis.status,
            filmroom_replay::AnalysisStatus::Full,
            "{}",
            replay.display()
        );
        let ours = filmroom_replay::ballchasing::to_json(&analysis);
        let label = replay
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_owned();
        compare_replay(&mut tallies, &ours, &theirs, &label);
    }
    let detail = std::env::var_os("FILMROOM_ACCURACY_DETAIL").is_some();
    println!(
        "{:<20} {:>8} {:>8} {:>8}",
        "family", "within", "total", "share"
    );
    for (family, tally) in &tallies {
        let share = tally.within as f64 * 100.0 / tally.total.max(1) as f64;
        println!(
            "{family:<20} {:>8} {:>8} {share:>7.1}%",
            tally.within, tally.total
        );
        if detail {
            for miss in &tally.misses {
                println!("    {miss}");
            }
        }
    }
    // Floors under today's shares, so a change that makes the engine less
    // accurate fails here. Raise them as the definitions get closer.
    let floors = [
        ("movement", 95.0),
        ("positioning", 81.0),
        ("boost", 70.0),
        ("team.boost", 48.0),
        ("team.movement", 74.0),
        ("team.positioning", 73.5),
        ("team.ball", 33.0),
    ];
    for (family, floor) in floors {
        let tally = &tallies[family];
        let share = tally.within as f64 * 100.0 / tally.total.max(1) as f64;
        assert!(
            share >= floor,
            "{family}: {share:.1}% of fields within tolerance, below the {floor}% floor"
        );
    }
    // The scoreboard comes from the game itself: it must always agree.
    for family in ["core", "team.core", "demo", "team.demo"] {
        let tally = &tallies[family];
        assert!(
            tally.misses.is_empty(),
            "{family} disagrees: {:#?}",
            tally.misses
        );
    }
}
