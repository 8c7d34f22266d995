//! The coach's digest of a Rocket League game: the headline stats per family
//! (the numbers the built-in analyst quotes) and which events are the
//! player's moments. The coach reads them through the registry, so it names
//! no Rocket League metric itself.

use super::analyst_words::{families, stat_words, words};
use super::definitions::FINAL_SCORE_KEY;
use filmroom_domain::{CoachDigestSpec, HeadlineStat, MomentOwner, MomentRule};

/// (digest name, metric key, label, family, suffix, higher is better)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<bool>,
);

const HEADLINE: &[Row] = &[
    (
        "goals",
        "core.goals",
        "goals per game",
        "core",
        "",
        Some(true),
    ),
    (
        "assists",
        "core.assists",
        "assists per game",
        "core",
        "",
        Some(true),
    ),
    (
        "saves",
        "core.saves",
        "saves per game",
        "core",
        "",
        Some(true),
    ),
    (
        "shots",
        "core.shots",
        "shots per game",
        "core",
        "",
        Some(true),
    ),
    (
        "score",
        "core.score",
        "score per game",
        "core",
        "",
        Some(true),
    ),
    (
        "demos_inflicted",
        "demo.inflicted",
        "demos inflicted per game",
        "demos",
        "",
        Some(true),
    ),
    (
        "demos_taken",
        "demo.taken",
        "demos taken per game",
        "demos",
        "",
        Some(false),
    ),
    (
        "bpm",
        "boost.bpm",
        "boost used per minute",
        "boost",
        " bpm",
        None,
    ),
    (
        "avg_boost_amount",
        "boost.avg_amount",
        "average boost",
        "boost",
        "",
        None,
    ),
    (
        "percent_zero_boost",
        "boost.percent_zero_boost",
        "time at zero boost",
        "boost",
        "%",
        Some(false),
    ),
    (
        "avg_speed",
        "movement.avg_speed",
        "average speed",
        "movement",
        " uu/s",
        Some(true),
    ),
    (
        "percent_supersonic",
        "movement.percent_supersonic_speed",
        "time supersonic",
        "movement",
        "%",
        Some(true),
    ),
    (
        "percent_defensive_third",
        "positioning.percent_defensive_third",
        "time in the defensive third",
        "positioning",
        "%",
        None,
    ),
    (
        "percent_behind_ball",
        "positioning.percent_behind_ball",
        "time behind the ball",
        "positioning",
        "%",
        Some(true),
    ),
    (
        "avg_distance_to_ball",
        "positioning.avg_distance_to_ball",
        "average distance to the ball",
        "positioning",
        " uu",
        None,
    ),
];

fn rule(event_kind: &str, moment: &str, owner: MomentOwner) -> MomentRule {
    MomentRule {
        event_kind: event_kind.to_owned(),
        moment: moment.to_owned(),
        owner,
        highlight: None,
        against: false,
    }
}

fn highlight(mut rule: MomentRule, name: &str) -> MomentRule {
    rule.highlight = Some(name.to_owned());
    rule
}

/// The Rocket League digest spec.
pub fn coach_digest() -> CoachDigestSpec {
    CoachDigestSpec {
        headline: HEADLINE
            .iter()
            .map(|&(name, metric, label, family, suffix, higher_is_better)| {
                let (whole, noun, short_label) = stat_words(name);
                HeadlineStat {
                    name: name.to_owned(),
                    metric: metric.to_owned(),
                    label: label.to_owned(),
                    family: family.to_owned(),
                    suffix: suffix.to_owned(),
                    higher_is_better,
                    whole,
                    noun,
                    short_label: short_label.to_owned(),
                }
            })
            .collect(),
        // A goal event's subject is its scorer, its payload names the
        // assister and the scoring side (see `neutral::event`).
        moments: vec![
            highlight(rule("goal", "goal", MomentOwner::Subject), "your goal"),
            rule(
                "goal",
                "assist",
                MomentOwner::PayloadParticipant("assister".into()),
            ),
            MomentRule {
                against: true,
                ..rule(
                    "goal",
                    "goal_against",
                    MomentOwner::OtherSide("side".into()),
                )
            },
            rule("shot", "shot", MomentOwner::Subject),
            highlight(rule("save", "save", MomentOwner::Subject), "your save"),
        ],
        // The header's final score counts goals by players who left; an
        // analysis made before revision 2 only has the players' goals.
        score_metrics: vec![FINAL_SCORE_KEY.to_owned(), "core.goals".to_owned()],
        families: families(),
        words: words(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::definitions::metric_definitions;

    #[test]
    fn every_headline_stat_is_a_metric_the_domain_defines() {
        let defined: Vec<String> = metric_definitions().into_iter().map(|d| d.key).collect();
        for stat in coach_digest().headline {
            assert!(
                defined.contains(&stat.metric),
                "{} is not defined",
                stat.metric
            );
        }
    }

    #[test]
    fn every_stat_the_words_name_is_a_headline_stat_of_a_declared_family() {
        assert_eq!(coach_digest().problems(), Vec::<String>::new());
    }
}
