//! What every Rocket League metric key means: unit, label, description and
//! direction, for each `family.field` of the engine's stat types. The
//! fields come from the types themselves ([`Family::columns`]); the rules
//! below follow ballchasing's naming scheme, so a new field gets a unit and
//! a description without a list to keep in sync (the `every_field` test
//! fails if one does not fit). `docs/stats.md` has the full definitions.

use filmroom_domain::{MetricDefinition, Unit};

use crate::stats::fields::Family;

/// The families a metric can come from: a player's five, plus the team-only ball.
pub(crate) const FAMILIES: [Family; 6] = Family::TEAM;

/// The unit of a stat field (`bpm`, `time_zero_boost`), from the naming
/// scheme ballchasing's fields follow.
pub fn unit(field: &str) -> Unit {
    match field {
        "bpm" | "bcpm" => Unit::PerMinute,
        "avg_speed" => Unit::UuPerS,
        "avg_powerslide_duration" | "possession_time" => Unit::Seconds,
        "mvp" => Unit::Boolean,
        "score" => Unit::Points,
        f if f.starts_with("percent_") || f.ends_with("_percentage") => Unit::Percent,
        f if f.starts_with("time_") => Unit::Seconds,
        f if f.starts_with("amount_") || f == "avg_amount" => Unit::Boost,
        f if f.contains("distance") => Unit::Uu,
        _ => Unit::Count,
    }
}

/// Whether more is better; `None` where it depends on the game situation
/// (most movement and positioning numbers, boost used).
pub(crate) fn higher_is_better(family: Family, field: &str) -> Option<bool> {
    match (family, field) {
        (Family::Core, "shots_against" | "goals_against") => Some(false),
        (Family::Core, _) => Some(true),
        (Family::Boost, "bcpm") => Some(true),
        (Family::Boost, f)
            if f.starts_with("amount_collected") || f.starts_with("amount_stolen") =>
        {
            Some(true)
        }
        (Family::Boost, f) if f.starts_with("count_") => Some(true),
        (Family::Boost, f) if f.starts_with("amount_overfill") || f.ends_with("zero_boost") => {
            Some(false)
        }
        (Family::Demo, "inflicted") => Some(true),
        (Family::Demo, "taken") => Some(false),
        (Family::Positioning, "goals_against_while_last_defender") => Some(false),
        (Family::Ball, "possession_time") => Some(true),
        (Family::Ball, "time_in_side") => Some(false),
        _ => None,
    }
}

/// Words for people: `time_boost_0_25` -> "boost 0-25", `infront` -> "in front of".
fn words(field: &str) -> String {
    let parts: Vec<&str> = field.split('_').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let part = parts[i];
        let next_is_number = parts.get(i + 1).is_some_and(|n| n.parse::<u32>().is_ok());
        if part.parse::<u32>().is_ok() && next_is_number {
            out.push(format!("{part}-{}", parts[i + 1]));
            i += 2;
            continue;
        }
        out.push(
            match part {
                "avg" => "average",
                "infront" => "in front of",
                "mates" => "teammates",
                other => other,
            }
            .to_owned(),
        );
        i += 1;
    }
    out.join(" ")
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A short name for tables and charts.
pub(crate) fn label(field: &str) -> String {
    match field {
        "bpm" => "Boost used per minute".into(),
        "bcpm" => "Boost collected per minute".into(),
        "mvp" => "MVP".into(),
        other => capitalized(&words(other)),
    }
}

/// What the number measures, in a sentence.
pub(crate) fn description(family: Family, field: &str) -> String {
    let known = match (family, field) {
        (Family::Core, "shots" | "goals" | "saves" | "assists") => Some(format!(
            "{} from the game's own scoreboard.",
            capitalized(field)
        )),
        (Family::Core, "shots_against" | "goals_against") => Some(format!(
            "The other team's {}.",
            field.trim_end_matches("_against")
        )),
        (Family::Core, "score") => Some("Points on the game's scoreboard.".into()),
        (Family::Core, "final_score") => Some(
            "The team's goals on the final scoreboard, from the replay header; unlike the sum \
             of its players' goals it counts goals by players who left the match."
                .into(),
        ),
        (Family::Core, "mvp") => Some("1 for the top scorer of the winning team.".into()),
        (Family::Core, "shooting_percentage") => Some("Goals per shot, in percent.".into()),
        (Family::Boost, "bpm") => {
            Some("Boost used per minute of play (kickoff countdowns excluded).".into())
        }
        (Family::Boost, "bcpm") => Some("Boost collected per minute of play.".into()),
        (Family::Boost, "avg_amount") => {
            Some("Time-weighted average boost in the tank, 0-100.".into())
        }
        (Family::Demo, "inflicted") => Some("Opponents demolished.".into()),
        (Family::Demo, "taken") => Some("Times demolished.".into()),
        (Family::Ball, "possession_time") => {
            Some("Seconds the team had the ball (last touch) while in play.".into())
        }
        (Family::Ball, "time_in_side") => {
            Some("Seconds the ball spent in the team's own half while in play.".into())
        }
        _ => None,
    };
    if let Some(text) = known.or_else(|| field_description(field)) {
        return text;
    }
    // A field the rules above do not know yet (a new stat): still a
    // sentence with its unit; the `every_field` test lists them.
    format!("{} ({}).", capitalized(&words(field)), unit(field).as_str())
}

/// Where a player was for `time_*` and `percent_*` fields (`zero_boost`,
/// `defensive_third`...): thresholds from `stats::defs`.
fn situation(rest: &str) -> Option<String> {
    if let Some(band) = rest.strip_prefix("boost_") {
        return Some(format!("with {} boost", words(band)));
    }
    let text = match rest {
        "zero_boost" => "with an empty tank",
        "full_boost" => "with a full tank",
        "supersonic_speed" => "at supersonic speed (2200 uu/s and more)",
        "boost_speed" => "at boost speed (1410 to 2200 uu/s)",
        "slow_speed" => "below 1410 uu/s (the top speed without boost)",
        "ground" => "on the ground",
        "low_air" => "in the air up to 840 uu high",
        "high_air" => "in the air above 840 uu",
        "powerslide" => "powersliding",
        "defensive_third" => "in the player's own third of the field",
        "neutral_third" => "in the middle third of the field",
        "offensive_third" => "in the opponents' third of the field",
        "defensive_half" => "in the player's own half",
        "offensive_half" => "in the opponents' half",
        "behind_ball" => "between the ball and the player's own goal",
        "infront_ball" => "ahead of the ball (the ball between the player and their goal)",
        "most_back" => "as the team's last player back",
        "most_forward" => "as the team's most forward player",
        "closest_to_ball" => "as the team's player closest to the ball",
        "farthest_from_ball" => "as the team's player farthest from the ball",
        _ => return None,
    };
    Some(text.to_owned())
}

/// The descriptions that follow from a field's name.
fn field_description(field: &str) -> Option<String> {
    if let Some(rest) = field.strip_prefix("time_") {
        return situation(rest).map(|s| format!("Seconds {s}."));
    }
    if let Some(rest) = field.strip_prefix("percent_") {
        return situation(rest).map(|s| format!("Share of the time {s}, in percent."));
    }
    let pads = |rest: &str| match rest {
        "big" => " from big pads",
        "small" => " from small pads",
        _ => "",
    };
    if let Some(rest) = field.strip_prefix("count_collected_") {
        return Some(format!("Boost pads collected{}.", pads(rest)));
    }
    if let Some(rest) = field.strip_prefix("count_stolen_") {
        return Some(format!(
            "Boost pads collected in the opponents' half{}.",
            pads(rest)
        ));
    }
    let text = match field {
        "amount_collected" => "Boost collected, 0-100 scale.".to_owned(),
        "amount_collected_big" | "amount_collected_small" => format!(
            "Boost collected{}, 0-100 scale.",
            pads(field.trim_start_matches("amount_collected_"))
        ),
        "amount_stolen" => "Boost collected in the opponents' half, 0-100 scale.".to_owned(),
        "amount_stolen_big" | "amount_stolen_small" => format!(
            "Boost collected in the opponents' half{}, 0-100 scale.",
            pads(field.trim_start_matches("amount_stolen_"))
        ),
        "amount_overfill" => {
            "Boost a pickup would have given beyond a full tank (wasted), 0-100 scale.".to_owned()
        }
        "amount_overfill_stolen" => {
            "Wasted boost (overfill) from pads in the opponents' half, 0-100 scale.".to_owned()
        }
        "amount_used_while_supersonic" => {
            "Boost used while already supersonic, 0-100 scale.".to_owned()
        }
        "avg_speed" => "Average speed while the car moves, in uu/s.".to_owned(),
        "avg_speed_percentage" => {
            "Average speed as a share of the top speed (2300 uu/s), in percent.".to_owned()
        }
        "total_distance" => "Distance driven, in uu (1 uu = 1 cm).".to_owned(),
        "count_powerslide" => "Powerslides (handbrake presses on the ground).".to_owned(),
        "avg_powerslide_duration" => "Average length of a powerslide, in seconds.".to_owned(),
        "avg_distance_to_ball" => "Average distance to the ball, in uu.".to_owned(),
        "avg_distance_to_ball_possession" => {
            "Average distance to the ball while the team has it, in uu.".to_owned()
        }
        "avg_distance_to_ball_no_possession" => {
            "Average distance to the ball while the other team has it, in uu.".to_owned()
        }
        "avg_distance_to_mates" => "Average distance to the teammates, in uu.".to_owned(),
        "goals_against_while_last_defender" => {
            "Goals conceded while the player was the team's last defender.".to_owned()
        }
        _ => return None,
    };
    Some(text)
}

/// The metric key of a field: `family.field`, as the CSV export names its columns.
pub(crate) fn key(family: Family, field: &str) -> String {
    format!("{}.{field}", family.name())
}

/// A side's final score: the replay header's `Team0Score`/`Team1Score`
/// (else its list of goals). A side's `core.goals` sums its players' goals
/// and misses those of a player who left before the end; this is the score
/// the game showed, the one lists show and the outcome follows.
pub const FINAL_SCORE_KEY: &str = "core.final_score";

fn final_score_definition() -> MetricDefinition {
    MetricDefinition {
        key: FINAL_SCORE_KEY.to_owned(),
        label: "Final score".to_owned(),
        unit: Unit::Count,
        description: description(Family::Core, "final_score"),
        higher_is_better: Some(true),
        family: Family::Core.name().to_owned(),
    }
}

/// Every metric the Rocket League domain can produce, players' and teams'.
pub fn metric_definitions() -> Vec<MetricDefinition> {
    FAMILIES
        .iter()
        .flat_map(|&family| {
            family
                .columns()
                .into_iter()
                .map(move |field| MetricDefinition {
                    key: key(family, field),
                    label: label(field),
                    unit: unit(field),
                    description: description(family, field),
                    higher_is_better: higher_is_better(family, field),
                    family: family.name().to_owned(),
                })
        })
        .chain(std::iter::once(final_score_definition()))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_field_has_a_valid_unique_key_and_a_description() {
        let defs = metric_definitions();
        let mut keys: Vec<&str> = defs.iter().map(|d| d.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), defs.len(), "duplicate keys");
        for d in &defs {
            assert!(filmroom_domain::is_metric_key(&d.key), "{}", d.key);
            let field = d.key.split_once('.').unwrap().1;
            let family = FAMILIES.into_iter().find(|f| f.name() == d.family).unwrap();
            assert!(
                field_description(field).is_some()
                    || !description(family, field).ends_with(&format!("({}).", d.unit.as_str())),
                "{} has only the generic description: add it to the rules",
                d.key
            );
            assert!(d.description.ends_with('.'), "{}: {}", d.key, d.description);
            assert!(!d.label.is_empty());
        }
    }

    #[test]
    fn units_follow_the_field_names() {
        let unit_of = |key: &str| {
            metric_definitions()
                .into_iter()
                .find(|d| d.key == key)
                .map(|d| d.unit)
                .unwrap()
        };
        assert_eq!(unit_of("boost.bpm"), Unit::PerMinute);
        assert_eq!(unit_of("boost.time_boost_0_25"), Unit::Seconds);
        assert_eq!(unit_of("boost.percent_zero_boost"), Unit::Percent);
        assert_eq!(unit_of("boost.count_collected_big"), Unit::Count);
        assert_eq!(unit_of("boost.amount_stolen"), Unit::Boost);
        assert_eq!(unit_of("movement.avg_speed"), Unit::UuPerS);
        assert_eq!(unit_of("movement.total_distance"), Unit::Uu);
        assert_eq!(unit_of("core.shooting_percentage"), Unit::Percent);
        assert_eq!(unit_of("core.mvp"), Unit::Boolean);
        assert_eq!(unit_of("ball.possession_time"), Unit::Seconds);
        assert_eq!(unit_of("demo.inflicted"), Unit::Count);
    }

    #[test]
    fn labels_read_as_words() {
        assert_eq!(label("time_boost_0_25"), "Time boost 0-25");
        assert_eq!(label("percent_infront_ball"), "Percent in front of ball");
        assert_eq!(label("bpm"), "Boost used per minute");
    }
}
