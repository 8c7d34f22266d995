//! Metering of the coach's model calls over the store: before a call its
//! maximum (prompt estimate + `max_tokens`) is reserved against the user's
//! monthly token budget; after it, whatever happened, the reservation is
//! settled to the tokens the provider reported, capped at what it held (the
//! excess is the operator's overrun), and one usage record is written. The
//! store does both atomically, so concurrent requests, even in several
//! processes, can never together spend past the budget.
//!
//! The first call's reservation is made at admission, before the question is
//! stored ([`StoreMeter::admitted`]): a question the budget cannot take
//! stores nothing.

use std::sync::{Arc, Mutex};

use filmroom_coach::{CallEstimate, CallOutcome, CallRecord, Meter, MeterError, MeterTicket};
use filmroom_store::{
    BudgetReservation, BudgetReservationId, ConversationId, MessageId, NewUsageRecord, Store,
    StoreError, UsageOutcome, UserId,
};

use crate::app::Clock;

/// The built-in analyst runs no model: its calls are recorded but hold no budget.
pub const UNMETERED_PROVIDER: &str = "builtin";

pub struct StoreMeter {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    pub user: UserId,
    pub conversation: ConversationId,
    /// The assistant message the calls are for (saved after them).
    pub message: MessageId,
    /// The budget period key, e.g. `2026-11`.
    pub period: String,
    pub monthly_tokens: u64,
    /// The node the reservations are made for (released if it dies).
    pub node: String,
    /// The hold taken at admission, used by the first call.
    pub admitted: Mutex<Option<BudgetReservation>>,
}

impl StoreMeter {
    fn take_admitted(&self) -> Option<BudgetReservation> {
        self.admitted.lock().ok().and_then(|mut hold| hold.take())
    }

    /// Gives back a hold no call used (the turn ended before its first call).
    pub async fn release_unused(&self) {
        if let Some(hold) = self.take_admitted()
            && let Err(error) = self.store.settle_budget(hold.id, 0, self.clock.now()).await
        {
            tracing::warn!(error = %error, "coach: failed to release an unused budget hold");
        }
    }
}

/// Tokens count against the budget whatever kind they are: cached tokens are
/// cheaper in money, but they are still tokens the user had processed.
pub fn budget_tokens(usage: &filmroom_coach::Usage) -> u64 {
    usage
        .input_tokens
        .saturating_add(usage.output_tokens)
        .saturating_add(usage.cache_read_tokens)
        .saturating_add(usage.cache_write_tokens)
}

#[async_trait::async_trait]
impl Meter for StoreMeter {
    async fn reserve(&self, estimate: CallEstimate) -> Result<MeterTicket, MeterError> {
        if estimate.provider == UNMETERED_PROVIDER {
            return Ok(MeterTicket(String::new()));
        }
        let amount = estimate
            .prompt_tokens
            .saturating_add(estimate.max_output_tokens);
        if let Some(hold) = self.take_admitted() {
            if hold.amount >= amount {
                return Ok(MeterTicket(hold.id.to_string()));
            }
            // Cannot happen while the admission bound holds; stay correct anyway.
            tracing::warn!(
                held = hold.amount,
                needed = amount,
                "coach: the admission hold was below the first call's estimate"
            );
            self.store
                .settle_budget(hold.id, 0, self.clock.now())
                .await
                .map_err(|e| MeterError::Backend(e.to_string()))?;
        }
        match self
            .store
            .reserve_budget_for_node(
                self.user,
                &self.period,
                self.monthly_tokens,
                amount,
                Some(&self.node),
                self.clock.now(),
            )
            .await
        {
            Ok(reservation) => Ok(MeterTicket(reservation.id.to_string())),
            Err(StoreError::BudgetExceeded {
                requested,
                available,
            }) => Err(MeterError::BudgetExceeded {
                requested,
                available,
            }),
            Err(other) => Err(MeterError::Backend(other.to_string())),
        }
    }

    async fn settle(&self, ticket: MeterTicket, record: CallRecord) -> Result<(), MeterError> {
        let now = self.clock.now();
        // Settle first: the budget must be right even if the record fails.
        let settled = if ticket.0.is_empty() {
            Ok(())
        } else {
            match ticket.0.parse::<BudgetReservationId>() {
                Ok(id) => match self
                    .store
                    .settle_budget(id, budget_tokens(&record.usage), now)
                    .await
                {
                    Ok(settled) => {
                        if settled.overrun > 0 {
                            tracing::warn!(
                                user = %self.user,
                                overrun = settled.overrun,
                                provider = %record.provider,
                                model = %record.model,
                                "coach: the provider used more tokens than the call reserved; \
                                 the excess is charged to the operator"
                            );
                        }
                        Ok(())
                    }
                    Err(e) => Err(MeterError::Backend(e.to_string())),
                },
                Err(_) => Err(MeterError::Backend(format!(
                    "not a reservation id: {:?}",
                    ticket.0
                ))),
            }
        };
        let usage = NewUsageRecord {
            user: self.user,
            conversation: Some(self.conversation),
            message: Some(self.message),
            provider: record.provider,
            model: record.model,
            input_tokens: record.usage.input_tokens,
            output_tokens: record.usage.output_tokens,
            cache_read_tokens: record.usage.cache_read_tokens,
            cache_write_tokens: record.usage.cache_write_tokens,
            latency_ms: u64::try_from(record.latency.as_millis()).unwrap_or(u64::MAX),
            cost_micros: record.cost,
            outcome: match record.outcome {
                CallOutcome::Ok => UsageOutcome::Ok,
                CallOutcome::Truncated => UsageOutcome::Truncated,
                CallOutcome::Error => UsageOutcome::Error,
            },
            error: record.error,
        };
        let recorded = self
            .store
            .record_usage(&usage, now)
            .await
            .map(|_| ())
            .map_err(|e| MeterError::Backend(e.to_string()));
        settled.and(recorded)
    }
}
