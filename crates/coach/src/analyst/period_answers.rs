//! Answers about periods: one period's summary and two periods side by side,
//! from `stats_over_range` results.

use super::*;

/// A `stats_over_range` call for a period (a date `until` includes that day).
pub(super) fn range_call(p: &Period) -> (String, Value) {
    (
        "stats_over_range".to_owned(),
        json!({ "from": p.from.to_string(), "until": p.to.to_string() }),
    )
}

/// The error message of a failed tool result.
pub(super) fn error_of(step: &Step) -> String {
    serde_json::from_str::<Value>(&step.content)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// Whether a tool result's `from` and `until` (RFC 3339, `until` exclusive) are
/// exactly this period's days.
pub(super) fn covers(v: &Value, p: &Period) -> bool {
    let day = |key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .map(|at| at.to_offset(UtcOffset::UTC).date())
    };
    day("from") == Some(p.from) && day("until") == p.to.next_day()
}

/// The `stats_over_range` result covering exactly this period.
pub(super) fn range_step<'a>(steps: &'a [Step], p: &Period) -> Option<&'a Step> {
    steps.iter().rev().find(|s| {
        s.name == "stats_over_range"
            && serde_json::from_str::<Value>(&s.content).is_ok_and(|v| covers(&v, p))
    })
}

/// The averages worth a sentence in a period summary, in order.
pub(super) const PERIOD_KEYS: [&str; 8] = [
    "goals",
    "assists",
    "saves",
    "shots",
    "bpm",
    "percent_zero_boost",
    "avg_speed",
    "percent_behind_ball",
];

/// `1.5 goals per game` (or `2 goals` for a single game), `412 bpm`.
pub(super) fn stat_phrase(def: &StatDef, v: f64, per_game: bool) -> String {
    match def.key {
        "goals" | "assists" | "saves" | "shots" | "score" => {
            let word = if fmt_num(v) == "1" {
                def.key.trim_end_matches('s')
            } else {
                def.key
            };
            let per = if per_game { " per game" } else { "" };
            format!("{} {word}{per}", fmt_num(v))
        }
        key => format!("{} {}", with_unit(def, v), short_label(key))
            .trim_end()
            .to_owned(),
    }
}

/// Said when a period holds more games than the tools read.
pub(super) const CAPPED: &str = "The tools read at most the 1000 newest games of a period, so older games \
in it are not counted.";

/// How many game lines a period summary lists before it stops.
pub(super) const PERIOD_LISTED: usize = 10;

pub(super) fn period_answer(
    p: &Period,
    family: Option<StatFamily>,
    games: &[GameDigest],
    today: Date,
) -> String {
    let range = range_text(p, today);
    if games.is_empty() {
        return format!(
            "You played no games {} ({range}), as far as your uploaded replays show. Days are UTC \
             calendar days and weeks start on Monday. Ask \"How was my last session?\" to review \
             your latest games instead.",
            p.when
        );
    }
    let head = format!(
        "{} ({range}): {}, {}.",
        capitalise(&p.when),
        plural(games.len(), "game", "games"),
        record(games)
    );
    if let Some(family) = family {
        let mut lines = Vec::new();
        for def in STATS.iter().filter(|d| d.family == family) {
            let with = having(games, def.key);
            let Some(Some(v)) = averages(&with).get(def.key).copied() else {
                continue;
            };
            lines.push(format!(
                "- {}: {} over {} ({}).",
                capitalise(def.label),
                with_unit(def, v),
                plural(with.len(), "game", "games"),
                cites(&with)
            ));
        }
        if lines.is_empty() {
            return format!(
                "{head}\n\nI have no {} numbers for these games: their replays could only be read \
                 for the scoreboard ({}).",
                family_name(family),
                cites(games)
            );
        }
        return format!(
            "{head}\n\nYour {} {}:\n\n{}",
            family_name(family),
            p.when,
            lines.join("\n")
        );
    }
    let mut text = format!("{head}\n\n");
    if games.len() > PERIOD_LISTED {
        text.push_str(&format!(
            "Your {PERIOD_LISTED} newest games of the period:\n"
        ));
    } else {
        text.push_str("Game by game, newest first:\n");
    }
    for game in games.iter().take(PERIOD_LISTED) {
        text.push_str(&game_line(game));
        text.push('\n');
    }
    // Averages grouped by the games they come from, so each cites exactly those.
    let mut groups: Vec<(Vec<GameDigest>, Vec<String>)> = Vec::new();
    for key in PERIOD_KEYS {
        let Some(def) = stat_def(key) else { continue };
        let with = having(games, key);
        let Some(Some(v)) = averages(&with).get(key).copied() else {
            continue;
        };
        let phrase = stat_phrase(def, v, games.len() > 1);
        match groups.iter_mut().find(|(g, _)| g == &with) {
            Some((_, items)) => items.push(phrase),
            None => groups.push((with, vec![phrase])),
        }
    }
    for (with, items) in &groups {
        let lead = if with.len() == games.len() {
            if games.len() == 1 {
                "In that game you had".to_owned()
            } else {
                format!("Over these {} games you averaged", games.len())
            }
        } else {
            format!(
                "Over the {} of them fully analysed you averaged",
                plural(with.len(), "game", "games")
            )
        };
        text.push_str(&format!("\n{lead} {} ({}).", join_and(items), cites(with)));
    }
    if games.len() >= MAX_GAMES_SCANNED {
        text.push_str(&format!("\n\n{CAPPED}"));
    }
    text.trim_end().to_owned()
}

/// One side of a comparison: its period and games.
pub(super) struct Side<'a> {
    pub(super) period: &'a Period,
    pub(super) games: Vec<GameDigest>,
}

pub(super) fn compare_answer(
    a: &Side<'_>,
    b: &Side<'_>,
    family: Option<StatFamily>,
    today: Date,
) -> String {
    let (pa, pb) = (a.period, b.period);
    let side_line = |s: &Side<'_>| {
        let what = if s.games.is_empty() {
            "no games".to_owned()
        } else {
            format!(
                "{}, {} ({})",
                plural(s.games.len(), "game", "games"),
                record(&s.games),
                cites(&s.games)
            )
        };
        format!(
            "- {} ({}): {what}.",
            capitalise(&s.period.name),
            range_text(s.period, today)
        )
    };
    let mut text = format!(
        "{} against {}:\n\n{}\n{}",
        capitalise(&pa.name),
        pb.name,
        side_line(a),
        side_line(b)
    );
    let empty: Vec<&Period> = [a, b]
        .iter()
        .filter(|s| s.games.is_empty())
        .map(|s| s.period)
        .collect();
    if let Some(first) = empty.first() {
        text.push_str(&format!(
            "\n\nThere is nothing to compare: you played no games {}. Days are UTC calendar days \
             and weeks start on Monday.",
            if empty.len() == 2 {
                "in either period".to_owned()
            } else {
                first.when.clone()
            }
        ));
        return text;
    }
    // The same averages `compare_periods` would give: one tool result per
    // period is enough to cite and to compare.
    let (avg_a, avg_b) = (averages(&a.games), averages(&b.games));
    let mut changes: Vec<(f64, String)> = Vec::new();
    for def in STATS
        .iter()
        .filter(|d| family.is_none_or(|f| d.family == f))
    {
        let (Some(Some(x)), Some(Some(y))) = (avg_a.get(def.key), avg_b.get(def.key)) else {
            continue;
        };
        let (x, y) = (*x, *y);
        // Rounded to a decimal, as the averages are.
        let d = ((y - x) * 10.0).round() / 10.0;
        let change = if d == 0.0 {
            "no change".to_owned()
        } else {
            let dir = if d > 0.0 { "up" } else { "down" };
            let verdict = match def.higher_is_better {
                Some(up) if up == (d > 0.0) => ", better",
                Some(_) => ", worse",
                None => "",
            };
            format!("{dir} {}{verdict}", with_unit(def, d.abs()))
        };
        let line = format!(
            "- {}: {} ({}) to {} ({}), {change}.",
            capitalise(def.label),
            with_unit(def, x),
            cites(&having(&a.games, def.key)),
            with_unit(def, y),
            cites(&having(&b.games, def.key)),
        );
        changes.push((d.abs() / x.abs().max(1.0), line));
    }
    // Biggest relative change first; the stable sort keeps STATS order for ties.
    changes.sort_by(|l, r| r.0.total_cmp(&l.0));
    if changes.is_empty() {
        text.push_str(&format!(
            "\n\nI have no {} numbers for both periods to compare.",
            family.map_or("comparable", family_name)
        ));
        return text;
    }
    text.push_str(&format!(
        "\n\n{}, from {} to {}, biggest changes first:\n",
        match family {
            Some(f) => format!("Your {}", family_name(f)),
            None => "Per game".to_owned(),
        },
        pa.name,
        pb.name
    ));
    let shown = if family.is_some() { changes.len() } else { 6 };
    for (_, line) in changes.iter().take(shown) {
        text.push('\n');
        text.push_str(line);
    }
    if changes.len() > shown {
        text.push_str(&format!(
            "\n\n{} changed less.",
            plural(changes.len() - shown, "other stat", "other stats")
        ));
    }
    if a.games.len() >= MAX_GAMES_SCANNED || b.games.len() >= MAX_GAMES_SCANNED {
        text.push_str(&format!("\n\n{CAPPED}"));
    }
    if a.games.len() < 3 || b.games.len() < 3 {
        text.push_str("\n\nWith this few games the comparison is a hint, not a trend.");
    }
    text
}
