//! How the coach words Rocket League: the stat families a question names
//! ("how is my boost?"), how a game and its scoreboard read ("Win 3-2 on DFH
//! Stadium: 2 goals, 1 assist"), and the advice a session summary may give.
//! The coach's built-in analyst reads these through the digest spec, so it
//! names no Rocket League stat itself.

use filmroom_domain::{CoachWords, FactWord, Noun, StatFamily, Tip};

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

fn family(name: &str, title: &str, precedence: u8, words: &[&str]) -> StatFamily {
    StatFamily {
        name: name.to_owned(),
        title: title.to_owned(),
        asked_as: name.to_owned(),
        words: strings(words),
        precedence,
    }
}

/// The families in the order the analyst lists them; a question using
/// several families' words is about the one of lowest precedence: boost's
/// words win, the core stats' words lose to every other family's.
pub fn families() -> Vec<StatFamily> {
    vec![
        family("boost", "boost", 0, &["boost", "bpm", "pads"]),
        family(
            "movement",
            "movement",
            3,
            &["speed", "movement", "supersonic", "fast", "slow"],
        ),
        family(
            "positioning",
            "positioning",
            2,
            &[
                "position",
                "rotation",
                "defensive third",
                "behind the ball",
                "behind ball",
            ],
        ),
        StatFamily {
            asked_as: "shooting".to_owned(),
            ..family(
                "core",
                "shooting and scoreboard numbers",
                4,
                &[
                    "shoot",
                    "shot",
                    "goal",
                    "scoring",
                    "finishing",
                    "saves",
                    "assist",
                    "core",
                ],
            )
        },
        family("demos", "demos", 1, &["demo", "bump"]),
    ]
}

/// A headline stat's extra words: (whole number, noun, short label).
pub fn stat_words(name: &str) -> (bool, Option<Noun>, &'static str) {
    let count = |one: &str, many: &str| (true, Some(Noun::new(one, many)), "");
    match name {
        "goals" => count("goal", "goals"),
        "assists" => count("assist", "assists"),
        "saves" => count("save", "saves"),
        "shots" => count("shot", "shots"),
        "score" => (true, None, ""),
        "demos_inflicted" => (true, None, "demos inflicted"),
        "demos_taken" => (true, None, "demos taken"),
        "percent_zero_boost" => (false, None, "at zero boost"),
        "percent_supersonic" => (false, None, "supersonic"),
        "percent_behind_ball" => (false, None, "behind the ball"),
        "percent_defensive_third" => (false, None, "in the defensive third"),
        "avg_speed" => (false, None, "average speed"),
        "avg_boost_amount" => (false, None, "average boost"),
        "avg_distance_to_ball" => (false, None, "average distance to the ball"),
        _ => (false, None, ""),
    }
}

/// How a game reads in the analyst's answers.
pub fn words() -> CoachWords {
    CoachWords {
        domain: "Rocket League".to_owned(),
        recording: Noun::new("game", "games"),
        recording_aliases: strings(&["match", "replay"]),
        file: "replay".to_owned(),
        place_facet: Some("map".to_owned()),
        facts: vec![
            FactWord {
                facet: "playlist".to_owned(),
                template: "{value}".to_owned(),
            },
            FactWord {
                facet: "team_size".to_owned(),
                template: "{value}v{value}".to_owned(),
            },
        ],
        line_counts: strings(&["goals", "assists", "saves", "shots"]),
        line_values: strings(&["bpm", "percent_zero_boost"]),
        scoreboard: "scoreboard".to_owned(),
        total: Some(("score".to_owned(), "a score of".to_owned())),
        session_stats: strings(&[
            "goals",
            "saves",
            "shots",
            "bpm",
            "avg_speed",
            "percent_behind_ball",
        ]),
        period_stats: strings(&[
            "goals",
            "assists",
            "saves",
            "shots",
            "bpm",
            "percent_zero_boost",
            "avg_speed",
            "percent_behind_ball",
        ]),
        tips: vec![Tip {
            stat: "percent_zero_boost".to_owned(),
            above: 10.0,
            text: "One thing to practise: you spent {value} of the time at zero boost ({cites}). \
                   Take the small pads on your way back so you arrive at the ball with boost."
                .to_owned(),
        }],
        against: Noun::new("the goal against", "the goals against"),
        none_against: "no goal was scored against you".to_owned(),
    }
}
