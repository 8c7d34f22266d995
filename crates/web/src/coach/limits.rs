//! The plan's limits on the coach: the monthly token budget and the request
//! windows (per minute, per hour, and messages per day as a sliding 24 hours).
//! Admission is atomic store calls made before anything is stored: the first
//! model call's budget hold, then a slot in every request window, so the
//! limits hold across processes and a refused request stores nothing. Over a
//! limit the caller gets 429 with `Retry-After` and `X-RateLimit-*` headers; at
//! 80% of the budget actually spent, a warning.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use filmroom_store::{BudgetReservation, RateWindow, StoreError, UserId};
use serde::Serialize;
use time::{Date, Month, OffsetDateTime, Time};

use crate::app::AppState;
use crate::config::PlanConfig;
use crate::error::AppError;

/// The share of the monthly budget at which the coach warns, in percent.
pub const WARN_PERCENT: u64 = 80;
/// The event kind the request windows count.
const CHAT_REQUEST: &str = "coach_chat";

/// A user's budget period: the calendar month in UTC, as `YYYY-MM`.
pub fn budget_period(now: OffsetDateTime) -> String {
    let now = now.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}", now.year(), u8::from(now.month()))
}

/// When the current budget period ends (the next month's first second, UTC).
pub fn period_end(now: OffsetDateTime) -> OffsetDateTime {
    let now = now.to_offset(time::UtcOffset::UTC);
    let (year, month) = match now.month() {
        Month::December => (now.year() + 1, Month::January),
        m => (now.year(), m.next()),
    };
    Date::from_calendar_date(year, month, 1)
        .map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
        .unwrap_or(now)
}

/// The start of the current budget period.
pub fn period_start(now: OffsetDateTime) -> OffsetDateTime {
    let now = now.to_offset(time::UtcOffset::UTC);
    now.replace_day(1)
        .map(|d| d.replace_time(Time::MIDNIGHT))
        .unwrap_or(now)
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BudgetState {
    pub period: String,
    pub limit_tokens: u64,
    pub spent_tokens: u64,
    /// Held by calls in flight.
    pub reserved_tokens: u64,
    /// Tokens providers used beyond what their calls reserved: the
    /// operator's cost, not counted in `spent_tokens`.
    pub overrun_tokens: u64,
    /// Of the limit, spent (settled calls only: holds are not spending).
    pub percent_used: u64,
    pub warning: bool,
    pub resets_at: i64,
}

impl BudgetState {
    pub fn remaining(&self) -> u64 {
        self.limit_tokens
            .saturating_sub(self.spent_tokens.saturating_add(self.reserved_tokens))
    }
}

pub async fn budget_state(
    state: &AppState,
    user: UserId,
    plan: &PlanConfig,
) -> Result<BudgetState, AppError> {
    let now = state.clock.now();
    let period = budget_period(now);
    let status = state.store.budget_status(user, &period).await?;
    let percent_used = if plan.monthly_tokens == 0 {
        100
    } else {
        u64::try_from(u128::from(status.spent) * 100 / u128::from(plan.monthly_tokens))
            .unwrap_or(u64::MAX)
    };
    Ok(BudgetState {
        period,
        limit_tokens: plan.monthly_tokens,
        spent_tokens: status.spent,
        reserved_tokens: status.reserved,
        overrun_tokens: status.overrun,
        percent_used,
        warning: percent_used >= WARN_PERCENT,
        resets_at: period_end(now).unix_timestamp(),
    })
}

/// What an admitted request learns: the headers to send, the budget, and
/// the first model call's hold (for metered models).
pub struct Admission {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub budget: BudgetState,
    pub hold: Option<BudgetReservation>,
}

fn header(name: &'static str, value: u64) -> (HeaderName, HeaderValue) {
    (HeaderName::from_static(name), HeaderValue::from(value))
}

fn rate_headers(limit: u64, remaining: u64, reset_secs: u64) -> Vec<(HeaderName, HeaderValue)> {
    vec![
        header("x-ratelimit-limit", limit),
        header("x-ratelimit-remaining", remaining),
        header("x-ratelimit-reset", reset_secs),
    ]
}

fn windows(plan: &PlanConfig) -> [RateWindow; 3] {
    [
        RateWindow {
            seconds: 60,
            max: plan.requests_per_minute,
        },
        RateWindow {
            seconds: 3_600,
            max: plan.requests_per_hour,
        },
        RateWindow {
            seconds: 86_400,
            max: plan.messages_per_day,
        },
    ]
}

fn window_name(seconds: u64) -> &'static str {
    match seconds {
        60 => "requests per minute",
        3_600 => "requests per hour",
        _ => "messages per day",
    }
}

fn budget_refusal(budget: &BudgetState, now: OffsetDateTime, requested: u64) -> AppError {
    let wait = u64::try_from(budget.resets_at - now.unix_timestamp())
        .unwrap_or(0)
        .max(1);
    let available = budget.remaining();
    let mut error = if available == 0 {
        AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "budget_exhausted",
            format!(
                "Your plan's {} tokens for {} are used up; the budget resets at the start of next month.",
                budget.limit_tokens, budget.period
            ),
        )
    } else {
        AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "budget_exceeded",
            format!(
                "This question may take up to {requested} tokens and your plan has {available} left \
                 for {}: ask a shorter question, or wait for answers in progress to finish.",
                budget.period
            ),
        )
    };
    error = error.with_retry_after(wait);
    error.headers = rate_headers(budget.limit_tokens, 0, wait);
    error
}

/// Holds `first_call_tokens` of the budget (for a metered model), then takes
/// a slot in every request window, or refuses with 429. A refused request
/// holds nothing and takes no slot.
pub async fn admit_chat(
    state: &AppState,
    user: UserId,
    plan: &PlanConfig,
    first_call_tokens: Option<u64>,
) -> Result<Admission, AppError> {
    let now = state.clock.now();
    let hold = match first_call_tokens {
        None => {
            let budget = budget_state(state, user, plan).await?;
            if budget.remaining() == 0 {
                return Err(budget_refusal(&budget, now, 1));
            }
            None
        }
        Some(amount) => match state
            .store
            .reserve_budget_for_node(
                user,
                &budget_period(now),
                plan.monthly_tokens,
                amount,
                Some(&state.node.name),
                now,
            )
            .await
        {
            Ok(hold) => Some(hold),
            Err(StoreError::BudgetExceeded { requested, .. }) => {
                let budget = budget_state(state, user, plan).await?;
                return Err(budget_refusal(&budget, now, requested));
            }
            Err(other) => return Err(other.into()),
        },
    };
    let admitted = state
        .store
        .admit_request(user, CHAT_REQUEST, &windows(plan), now)
        .await;
    let admission = match admitted {
        Ok(admission) => admission,
        Err(error) => {
            if let Some(hold) = &hold {
                release(state, hold).await;
            }
            return Err(match error {
                StoreError::RateLimited {
                    window_seconds,
                    max,
                    retry_after_seconds,
                } => {
                    let mut error = AppError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "rate_limited",
                        format!(
                            "Your plan allows {max} {}; try again in {retry_after_seconds} s.",
                            window_name(window_seconds)
                        ),
                    )
                    .with_retry_after(retry_after_seconds);
                    error.headers = rate_headers(max, 0, retry_after_seconds);
                    error
                }
                other => other.into(),
            });
        }
    };
    // Report the window closest to its limit.
    let tightest = admission
        .windows
        .iter()
        .min_by_key(|w| w.max.saturating_sub(w.used));
    let headers = match tightest {
        Some(w) => rate_headers(
            w.max,
            w.max.saturating_sub(w.used),
            u64::try_from((w.reset_at - now).whole_seconds()).unwrap_or(0),
        ),
        None => Vec::new(),
    };
    let budget = match budget_state(state, user, plan).await {
        Ok(budget) => budget,
        Err(error) => {
            if let Some(hold) = &hold {
                release(state, hold).await;
            }
            return Err(error);
        }
    };
    Ok(Admission {
        headers,
        budget,
        hold,
    })
}

/// Gives a hold back untouched (settled at zero).
pub async fn release(state: &AppState, hold: &BudgetReservation) {
    if let Err(error) = state
        .store
        .settle_budget(hold.id, 0, state.clock.now())
        .await
    {
        tracing::warn!(error = %error, "coach: failed to release a budget hold");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_budget_period_is_the_utc_calendar_month() {
        let now = datetime!(2026-12-31 23:30 -02:00);
        assert_eq!(budget_period(now), "2027-01");
        assert_eq!(period_end(now), datetime!(2027-02-01 0:00 UTC));
        assert_eq!(
            period_start(datetime!(2026-11-22 10:00 UTC)),
            datetime!(2026-11-01 0:00 UTC)
        );
    }
}
