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

/// `1.5 goals per game` (or `2 goals` for a single game), `412 bpm`.
pub(super) fn stat_phrase(def: &HeadlineStat, v: f64, per_game: bool, one: &str) -> String {
    match &def.noun {
        Some(_) => {
            let per = if per_game {
                format!(" per {one}")
            } else {
                String::new()
            };
            format!("{}{per}", counted(def, v))
        }
        None => labelled(def, v),
    }
}

/// Said when a period holds more games than the tools read.
pub(super) fn capped(spec: &CoachDigestSpec) -> String {
    format!(
        "The tools read at most the {MAX_GAMES_SCANNED} newest {} of a period, so older {} in it \
         are not counted.",
        spec.words.recording.many, spec.words.recording.many
    )
}

/// How many game lines a period summary lists before it stops.
pub(super) const PERIOD_LISTED: usize = 10;

pub(super) fn period_answer(
    p: &Period,
    family: Option<&str>,
    games: &[GameDigest],
    today: Date,
    spec: &CoachDigestSpec,
) -> String {
    let w = &spec.words;
    let (one, many) = (&w.recording.one, &w.recording.many);
    let range = range_text(p, today);
    if games.is_empty() {
        return format!(
            "You played no {many} {} ({range}), as far as your uploaded {}s show. Days are UTC \
             calendar days and weeks start on Monday. Ask \"How was my last session?\" to review \
             your latest {many} instead.",
            p.when, w.file
        );
    }
    let head = format!(
        "{} ({range}): {}.",
        capitalise(&p.when),
        count_and_record(games, spec)
    );
    if let Some(family) = family {
        let mut lines = Vec::new();
        for def in stats_of(Some(family), spec) {
            let with = having(games, &def.name);
            let Some(Some(v)) = averages(&with).get(&def.name).copied() else {
                continue;
            };
            lines.push(format!(
                "- {}: {} over {} ({}).",
                capitalise(&def.label),
                with_unit(def, v),
                count_of(with.len(), spec),
                cites(&with)
            ));
        }
        if lines.is_empty() {
            return format!(
                "{head}\n\nI have no {} numbers for these {many}: their {}s could only be read \
                 for the {} ({}).",
                family_name(Some(family), spec),
                w.file,
                w.scoreboard,
                cites(games)
            );
        }
        return format!(
            "{head}\n\nYour {} {}:\n\n{}",
            family_name(Some(family), spec),
            p.when,
            lines.join("\n")
        );
    }
    let mut text = format!("{head}\n\n");
    if games.len() > PERIOD_LISTED {
        text.push_str(&format!(
            "Your {PERIOD_LISTED} newest {many} of the period:\n"
        ));
    } else {
        text.push_str(&format!("{} by {one}, newest first:\n", capitalise(one)));
    }
    for game in games.iter().take(PERIOD_LISTED) {
        text.push_str(&game_line(game, spec));
        text.push('\n');
    }
    // Averages grouped by the games they come from, so each cites exactly those.
    let mut groups: Vec<(Vec<GameDigest>, Vec<String>)> = Vec::new();
    for key in &w.period_stats {
        let Some(def) = spec.stat(key) else { continue };
        let with = having(games, key);
        let Some(Some(v)) = averages(&with).get(key).copied() else {
            continue;
        };
        let phrase = stat_phrase(def, v, games.len() > 1, one);
        match groups.iter_mut().find(|(g, _)| g == &with) {
            Some((_, items)) => items.push(phrase),
            None => groups.push((with, vec![phrase])),
        }
    }
    for (with, items) in &groups {
        let lead = if with.len() == games.len() {
            if games.len() == 1 {
                format!("In that {one} you had")
            } else {
                format!("Over these {} {many} you averaged", games.len())
            }
        } else {
            format!(
                "Over the {} of them fully analysed you averaged",
                count_of(with.len(), spec)
            )
        };
        text.push_str(&format!("\n{lead} {} ({}).", join_and(items), cites(with)));
    }
    if games.len() >= MAX_GAMES_SCANNED {
        text.push_str(&format!("\n\n{}", capped(spec)));
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
    family: Option<&str>,
    today: Date,
    spec: &CoachDigestSpec,
) -> String {
    let (one, many) = (&spec.words.recording.one, &spec.words.recording.many);
    let (pa, pb) = (a.period, b.period);
    let side_line = |s: &Side<'_>| {
        let what = if s.games.is_empty() {
            format!("no {many}")
        } else {
            format!("{} ({})", count_and_record(&s.games, spec), cites(&s.games))
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
            "\n\nThere is nothing to compare: you played no {many} {}. Days are UTC calendar \
             days and weeks start on Monday.",
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
    for def in stats_of(family, spec) {
        let (Some(Some(x)), Some(Some(y))) = (avg_a.get(&def.name), avg_b.get(&def.name)) else {
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
            capitalise(&def.label),
            with_unit(def, x),
            cites(&having(&a.games, &def.name)),
            with_unit(def, y),
            cites(&having(&b.games, &def.name)),
        );
        changes.push((d.abs() / x.abs().max(1.0), line));
    }
    // Biggest relative change first; the stable sort keeps the headline order for ties.
    changes.sort_by(|l, r| r.0.total_cmp(&l.0));
    if changes.is_empty() {
        text.push_str(&format!(
            "\n\nI have no {} numbers for both periods to compare.",
            family.map_or("comparable", |f| family_name(Some(f), spec))
        ));
        return text;
    }
    text.push_str(&format!(
        "\n\n{}, from {} to {}, biggest changes first:\n",
        match family {
            Some(f) => format!("Your {}", family_name(Some(f), spec)),
            None => format!("Per {one}"),
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
        text.push_str(&format!("\n\n{}", capped(spec)));
    }
    if a.games.len() < 3 || b.games.len() < 3 {
        text.push_str(&format!(
            "\n\nWith this few {many} the comparison is a hint, not a trend."
        ));
    }
    text
}
