//! Periods of time in a question: "this week", "last month", "since 2026-03-01".
//!
//! Days are UTC calendar days and weeks start on Monday. A period is a range of
//! whole days, `from` and `to` both included, resolved against "today".

use super::*;

/// Longest "last N days" the analyst accepts (ten years).
pub(super) const MAX_DAYS: u32 = 3660;

/// How a period was named, which decides what a comparison sets it against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PeriodKind {
    Today,
    Yesterday,
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
    LastDays(u32),
    /// The `n` days before another period (only as a comparison's other side).
    DaysBefore(u32),
    Since,
    Month,
}

/// A period of whole UTC days, both ends included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Period {
    pub(super) kind: PeriodKind,
    pub(super) from: Date,
    pub(super) to: Date,
    /// The period as a noun: "this week", "the last 7 days", "March 2026".
    pub(super) name: String,
    /// The period as an adverbial: "this week", "in the last 7 days", "in March 2026".
    pub(super) when: String,
}

pub(super) const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

pub(super) fn month_named(word: &str) -> Option<Month> {
    let at = MONTHS.iter().position(|m| *m == word)?;
    Month::try_from(u8::try_from(at + 1).ok()?).ok()
}

pub(super) fn weekday_short(d: Date) -> &'static str {
    match d.weekday() {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

pub(super) fn month_title(m: Month) -> String {
    capitalise(MONTHS[usize::from(u8::from(m)) - 1])
}

/// `Mon 16 Nov`, with the year when it is not today's.
pub(super) fn day_text(d: Date, today: Date) -> String {
    let month = month_title(d.month());
    let mut text = format!(
        "{} {} {}",
        weekday_short(d),
        d.day(),
        month.get(..3).unwrap_or(&month)
    );
    if d.year() != today.year() {
        text.push_str(&format!(" {}", d.year()));
    }
    text
}

/// The days a period covers, for the answer: `Mon 16 Nov - today, UTC`.
pub(super) fn range_text(p: &Period, today: Date) -> String {
    let end = |d: Date| {
        if d == today {
            "today".to_owned()
        } else {
            day_text(d, today)
        }
    };
    if p.from == p.to {
        format!("{}, UTC", day_text(p.from, today))
    } else {
        format!("{} - {}, UTC", day_text(p.from, today), end(p.to))
    }
}

pub(super) fn days_back(d: Date, n: u32) -> Option<Date> {
    d.checked_sub(time::Duration::days(i64::from(n)))
}

pub(super) fn monday_of(d: Date) -> Option<Date> {
    days_back(d, u32::from(d.weekday().number_days_from_monday()))
}

pub(super) fn first_of_month(d: Date) -> Option<Date> {
    d.replace_day(1).ok()
}

pub(super) fn last_of_month(year: i32, month: Month) -> Option<Date> {
    Date::from_calendar_date(year, month, month.length(year)).ok()
}

pub(super) fn period(kind: PeriodKind, from: Date, to: Date, name: &str, when: &str) -> Period {
    Period {
        kind,
        from,
        to,
        name: name.to_owned(),
        when: when.to_owned(),
    }
}

/// A named period resolved against `today` (`None` only at the calendar's edges).
pub(super) fn resolve(kind: PeriodKind, today: Date) -> Option<Period> {
    Some(match kind {
        PeriodKind::Today => period(kind, today, today, "today", "today"),
        PeriodKind::Yesterday => {
            let d = today.previous_day()?;
            period(kind, d, d, "yesterday", "yesterday")
        }
        PeriodKind::ThisWeek => period(kind, monday_of(today)?, today, "this week", "this week"),
        PeriodKind::LastWeek => {
            let monday = days_back(monday_of(today)?, 7)?;
            let sunday = monday.checked_add(time::Duration::days(6))?;
            period(kind, monday, sunday, "last week", "last week")
        }
        PeriodKind::ThisMonth => period(
            kind,
            first_of_month(today)?,
            today,
            "this month",
            "this month",
        ),
        PeriodKind::LastMonth => {
            let end = first_of_month(today)?.previous_day()?;
            period(kind, first_of_month(end)?, end, "last month", "last month")
        }
        PeriodKind::LastDays(n) => {
            let name = format!("the last {}", plural(n as usize, "day", "days"));
            period(
                kind,
                days_back(today, n.checked_sub(1)?)?,
                today,
                &name,
                &format!("in {name}"),
            )
        }
        PeriodKind::DaysBefore(_) | PeriodKind::Since | PeriodKind::Month => return None,
    })
}

pub(super) fn since(date: Date, today: Date) -> Period {
    let name = format!("since {date}");
    period(PeriodKind::Since, date, today, &name, &name)
}

/// `month` of `year`, up to today if it is the current month.
pub(super) fn month_period(month: Month, year: i32, today: Date) -> Option<Period> {
    let from = Date::from_calendar_date(year, month, 1).ok()?;
    let to = last_of_month(year, month)?.min(today);
    let name = format!("{} {year}", month_title(month));
    Some(period(
        PeriodKind::Month,
        from,
        to,
        &name,
        &format!("in {name}"),
    ))
}

/// `YYYY-MM-DD`, strictly.
pub(super) fn parse_day(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// The other side of a comparison when the question names one period: the
/// current period against the one before it, a past one against the current one.
pub(super) fn counterpart(p: &Period, today: Date) -> Option<Period> {
    let days_before = |p: &Period| {
        let n = u32::try_from((p.to - p.from).whole_days() + 1).ok()?;
        let to = p.from.previous_day()?;
        let name = format!("the {} before", plural(n as usize, "day", "days"));
        Some(period(
            PeriodKind::DaysBefore(n),
            days_back(to, n - 1)?,
            to,
            &name,
            &format!("in {name}"),
        ))
    };
    match p.kind {
        PeriodKind::Today => resolve(PeriodKind::Yesterday, today),
        PeriodKind::Yesterday => resolve(PeriodKind::Today, today),
        PeriodKind::ThisWeek => resolve(PeriodKind::LastWeek, today),
        PeriodKind::LastWeek => resolve(PeriodKind::ThisWeek, today),
        PeriodKind::ThisMonth => resolve(PeriodKind::LastMonth, today),
        PeriodKind::LastMonth => resolve(PeriodKind::ThisMonth, today),
        PeriodKind::Month if p.to == today => {
            let before = first_of_month(today)?.previous_day()?;
            month_period(before.month(), before.year(), today)
        }
        PeriodKind::Month => resolve(PeriodKind::ThisMonth, today),
        PeriodKind::LastDays(_) | PeriodKind::DaysBefore(_) | PeriodKind::Since => days_before(p),
    }
}

/// What the question says about time: nothing, periods in the order written, or
/// a phrase that looks like a period but cannot be one (the message says why).
pub(super) fn periods_in(q: &str, today: Date) -> Result<Vec<Period>, String> {
    let words: Vec<&str> = q
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let word = |i: usize| words.get(i).copied().unwrap_or("");
    let mut found: Vec<Period> = Vec::new();
    let mut push = |p: Option<Period>| {
        if let Some(p) = p
            && !found.contains(&p)
        {
            found.push(p);
        }
    };
    for (i, w) in words.iter().enumerate() {
        let next = word(i + 1);
        match *w {
            "today" => push(resolve(PeriodKind::Today, today)),
            "yesterday" => push(resolve(PeriodKind::Yesterday, today)),
            "this" if next == "week" => push(resolve(PeriodKind::ThisWeek, today)),
            "this" if next == "month" => push(resolve(PeriodKind::ThisMonth, today)),
            "last" | "previous" if next == "week" => push(resolve(PeriodKind::LastWeek, today)),
            "last" | "previous" if next == "month" => push(resolve(PeriodKind::LastMonth, today)),
            "last" | "past"
                if next.starts_with(|c: char| c.is_ascii_digit())
                    && word(i + 2).starts_with("day") =>
            {
                let n: u32 = next.parse().unwrap_or(0);
                if n == 0 || n > MAX_DAYS {
                    return Err(format!(
                        "\"{w} {next} {}\" is not a period I can look at: ask about 1 to {MAX_DAYS} days.",
                        word(i + 2)
                    ));
                }
                push(resolve(PeriodKind::LastDays(n), today));
            }
            "since" if next.starts_with(|c: char| c.is_ascii_digit()) => {
                let Some(date) = parse_day(next) else {
                    return Err(format!(
                        "\"{next}\" is not a date I can read. Write it as YYYY-MM-DD, for example \
                         \"since {}\".",
                        days_back(today, 7).unwrap_or(today)
                    ));
                };
                if date > today {
                    return Err(format!(
                        "{date} is in the future (today is {today}, UTC), so there are no games \
                         since then yet."
                    ));
                }
                push(Some(since(date, today)));
            }
            "in" | "during" => {
                let Some(month) = month_named(next) else {
                    continue;
                };
                let year_word = word(i + 2);
                let named_year = (year_word.len() == 4)
                    .then(|| year_word.parse::<i32>().ok())
                    .flatten();
                let year = match named_year {
                    Some(y) => y,
                    None if u8::from(month) <= u8::from(today.month()) => today.year(),
                    None => today.year() - 1,
                };
                let Some(p) = month_period(month, year, today) else {
                    continue;
                };
                if p.from > today {
                    return Err(format!(
                        "{} is in the future (today is {today}, UTC), so there are no games in it yet.",
                        p.name
                    ));
                }
                push(Some(p));
            }
            _ => {}
        }
    }
    Ok(found)
}

/// Words that ask for two periods side by side. Not "against": in a game it is
/// the opponents ("how did I do against them this week").
pub(super) fn asks_to_compare(q: &str) -> bool {
    q.split(|c: char| !c.is_alphanumeric()).any(|w| {
        matches!(
            w,
            "vs" | "versus" | "than" | "better" | "worse" | "progress" | "progressed"
        ) || w.starts_with("compar")
            || w.starts_with("improv")
    })
}
