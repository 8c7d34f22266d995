//! Budget reservations: the seam between a model call and the money it may spend.
//!
//! Before a call, the caller reserves the call's maximum cost (its prompt at the
//! input price plus `max_tokens` at the output price); the reservation fails if the
//! account cannot cover it, so concurrent calls can never together spend more than
//! the budget. After the call, the reservation is settled to the real cost from the
//! provider's usage, never above what was held, which releases the difference. The store will implement
//! [`BudgetLedger`] with one atomic statement per step; [`InMemoryLedger`] is the
//! reference implementation the store's conformance tests will be compared with.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::Micros;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReservationId(pub u64);

/// Money held for one call in flight. Settle it exactly once.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a reservation holds budget until it is settled"]
pub struct Reservation {
    pub id: ReservationId,
    pub account: String,
    pub amount: Micros,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BudgetError {
    #[error("the budget cannot cover {requested} µ$: {available} µ$ left")]
    Exceeded {
        requested: Micros,
        available: Micros,
    },
    #[error("no budget is set for account {0}")]
    UnknownAccount(String),
    #[error("reservation {0:?} was already settled or never made")]
    UnknownReservation(ReservationId),
    #[error("the budget store failed: {0}")]
    Store(String),
}

#[async_trait::async_trait]
pub trait BudgetLedger: Send + Sync {
    /// Holds `max_cost` against the account, or fails without holding anything.
    async fn reserve(&self, account: &str, max_cost: Micros) -> Result<Reservation, BudgetError>;

    /// Replaces the reservation with the real cost, capped at the reservation:
    /// a budget is a hard cap. A real cost above the reservation (the provider
    /// overran the estimate) is not charged to the account; the excess is
    /// returned so the caller can record it as the operator's.
    async fn settle(&self, reservation: Reservation, actual: Micros)
    -> Result<Micros, BudgetError>;

    /// What the account can still reserve.
    async fn available(&self, account: &str) -> Result<Micros, BudgetError>;
}

#[derive(Debug, Default, Clone, Copy)]
struct Account {
    limit: Micros,
    spent: Micros,
    reserved: Micros,
}

impl Account {
    fn available(&self) -> Micros {
        self.limit
            .saturating_sub(self.spent.saturating_add(self.reserved))
    }
}

#[derive(Debug, Default)]
struct Ledger {
    accounts: HashMap<String, Account>,
    open: HashMap<ReservationId, Micros>,
    next_id: u64,
}

/// A ledger held in memory: for tests and single-process use.
#[derive(Debug, Default)]
pub struct InMemoryLedger {
    inner: Mutex<Ledger>,
}

impl InMemoryLedger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an account's budget; what it spent so far is kept.
    pub fn set_limit(&self, account: &str, limit: Micros) -> Result<(), BudgetError> {
        let mut ledger = self.lock()?;
        ledger.accounts.entry(account.to_owned()).or_default().limit = limit;
        Ok(())
    }

    /// What the account has spent (settled calls only).
    pub fn spent(&self, account: &str) -> Result<Micros, BudgetError> {
        let ledger = self.lock()?;
        ledger
            .accounts
            .get(account)
            .map(|a| a.spent)
            .ok_or_else(|| BudgetError::UnknownAccount(account.to_owned()))
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Ledger>, BudgetError> {
        self.inner
            .lock()
            .map_err(|_| BudgetError::Store("the ledger lock is poisoned".to_owned()))
    }
}

#[async_trait::async_trait]
impl BudgetLedger for InMemoryLedger {
    async fn reserve(&self, account: &str, max_cost: Micros) -> Result<Reservation, BudgetError> {
        let mut ledger = self.lock()?;
        let entry = ledger
            .accounts
            .get_mut(account)
            .ok_or_else(|| BudgetError::UnknownAccount(account.to_owned()))?;
        let available = entry.available();
        if max_cost > available {
            return Err(BudgetError::Exceeded {
                requested: max_cost,
                available,
            });
        }
        entry.reserved = entry.reserved.saturating_add(max_cost);
        let id = ReservationId(ledger.next_id);
        ledger.next_id = ledger.next_id.wrapping_add(1);
        ledger.open.insert(id, max_cost);
        Ok(Reservation {
            id,
            account: account.to_owned(),
            amount: max_cost,
        })
    }

    async fn settle(
        &self,
        reservation: Reservation,
        actual: Micros,
    ) -> Result<Micros, BudgetError> {
        let mut ledger = self.lock()?;
        let held = ledger
            .open
            .remove(&reservation.id)
            .ok_or(BudgetError::UnknownReservation(reservation.id))?;
        let entry = ledger
            .accounts
            .get_mut(&reservation.account)
            .ok_or_else(|| BudgetError::UnknownAccount(reservation.account.clone()))?;
        entry.reserved = entry.reserved.saturating_sub(held);
        entry.spent = entry.spent.saturating_add(actual.min(held));
        Ok(actual.saturating_sub(held))
    }

    async fn available(&self, account: &str) -> Result<Micros, BudgetError> {
        let ledger = self.lock()?;
        ledger
            .accounts
            .get(account)
            .map(Account::available)
            .ok_or_else(|| BudgetError::UnknownAccount(account.to_owned()))
    }
}
