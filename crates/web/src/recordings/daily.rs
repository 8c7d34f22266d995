//! Per-plan daily limits on uploads of one kind: how many new recordings
//! and how many minutes of them a user may upload per UTC day
//! (`[plans.NAME.kinds.KIND]` in the config). Counted from the stored owner
//! links, so the limit holds across processes sharing the database; a
//! recording the user already has does not count again.

use axum::http::StatusCode;
use filmroom_store::UserId;
use time::{Duration, OffsetDateTime, Time};

use crate::app::AppState;
use crate::error::AppError;

/// The code of an upload refused by a daily limit.
pub const CODE: &str = "daily_limit_reached";

/// The start of `now`'s UTC day and the seconds until the next one.
fn day_of(now: OffsetDateTime) -> (OffsetDateTime, u64) {
    let now = now.to_offset(time::UtcOffset::UTC);
    let start = now.replace_time(Time::MIDNIGHT);
    let left = start + Duration::days(1) - now;
    // Rounded up: a client that waits exactly this long is in the next day.
    let seconds = left.whole_seconds() + i64::from(left.subsec_nanoseconds() > 0);
    (start, u64::try_from(seconds.max(1)).unwrap_or(1))
}

/// Refuses a recording of `kind` (`length_s` long, when known) that would
/// take `owner` past their plan's daily limits for that kind, with 429 and
/// the seconds until the next UTC day as Retry-After. Called under the
/// upload commit lock, so two uploads of one user cannot both pass.
pub async fn check(
    state: &AppState,
    owner: UserId,
    kind: &str,
    length_s: Option<f64>,
) -> Result<(), AppError> {
    let assigned = state.store.user_plan(owner).await?;
    let Some((plan_name, plan)) = state.config.plan(assigned.as_deref()) else {
        return Ok(());
    };
    let Some(limits) = plan.kinds.get(kind) else {
        return Ok(());
    };
    if limits.uploads_per_day == 0 && limits.minutes_per_day == 0 {
        return Ok(());
    }
    let (since, retry_after) = day_of(state.clock.now());
    let used = state.store.uploads_since(owner, kind, since).await?;
    let refuse = |what: String| {
        let hours = retry_after / 3600;
        let minutes = (retry_after % 3600).div_ceil(60);
        AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            CODE,
            format!(
                "{what} The {plan_name} plan's daily limit resets at midnight UTC, in \
                 {hours} h {minutes} min."
            ),
        )
        .with_retry_after(retry_after)
    };
    if limits.uploads_per_day > 0 && used.uploads >= limits.uploads_per_day {
        return Err(refuse(format!(
            "You have uploaded {} {kind} recordings today, the most your plan allows per day.",
            used.uploads
        )));
    }
    let allowed_s = limits.minutes_per_day as f64 * 60.0;
    let adding = length_s.unwrap_or(0.0);
    if limits.minutes_per_day > 0 && used.seconds + adding > allowed_s {
        let left_min = ((allowed_s - used.seconds).max(0.0) / 60.0).floor();
        return Err(refuse(format!(
            "This recording is {:.1} minutes long and {left_min} of your {} minutes of {kind} \
             recordings per day are left.",
            adding / 60.0,
            limits.minutes_per_day
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_day_starts_at_utc_midnight_and_retry_after_runs_to_the_next() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let (start, left) = day_of(now);
        assert_eq!(start.unix_timestamp() % 86_400, 0);
        assert!(start <= now);
        assert_eq!(
            start.unix_timestamp() + 86_400,
            now.unix_timestamp() + left as i64
        );
        // Half a second before midnight, waiting the answer lands past it.
        let late = start + Duration::days(1) - Duration::milliseconds(500);
        let (_, left) = day_of(late);
        assert_eq!(left, 1);
        assert!(day_of(late + Duration::seconds(1)).0 > start);
    }
}
