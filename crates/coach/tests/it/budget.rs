//! The in-memory budget ledger: the behaviour the store's ledger must match.

use std::sync::Arc;

use filmroom_coach::{BudgetError, BudgetLedger, InMemoryLedger};

#[tokio::test]
async fn a_reservation_holds_money_until_settled_to_the_real_cost() {
    let ledger = InMemoryLedger::new();
    ledger.set_limit("ada", 10_000).unwrap();

    let reservation = ledger.reserve("ada", 4_000).await.unwrap();
    assert_eq!(ledger.available("ada").await.unwrap(), 6_000);

    let excess = ledger.settle(reservation, 1_500).await.unwrap();
    assert_eq!(excess, 0);
    assert_eq!(ledger.available("ada").await.unwrap(), 8_500);
    assert_eq!(ledger.spent("ada").unwrap(), 1_500);
}

#[tokio::test]
async fn a_reservation_beyond_what_is_left_is_refused_and_holds_nothing() {
    let ledger = InMemoryLedger::new();
    ledger.set_limit("ada", 1_000).unwrap();

    let refused = ledger.reserve("ada", 1_001).await;
    assert_eq!(
        refused,
        Err(BudgetError::Exceeded {
            requested: 1_001,
            available: 1_000
        })
    );
    assert_eq!(ledger.available("ada").await.unwrap(), 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_against_a_nearly_spent_budget_never_overspend_it() {
    let ledger = Arc::new(InMemoryLedger::new());
    ledger.set_limit("ada", 1_000_000).unwrap();
    let spent = ledger.reserve("ada", 990_000).await.unwrap();
    ledger.settle(spent, 990_000).await.unwrap();

    let calls = (0..50).map(|_| {
        let ledger = ledger.clone();
        tokio::spawn(async move {
            let reservation = ledger.reserve("ada", 1_000).await.ok()?;
            tokio::task::yield_now().await;
            ledger.settle(reservation, 700).await.unwrap();
            Some(700u64)
        })
    });
    let mut settled = 0;
    for call in calls.collect::<Vec<_>>() {
        settled += call.await.unwrap().unwrap_or(0);
    }

    let total = ledger.spent("ada").unwrap();
    assert!(total <= 1_000_000, "spent {total}");
    assert_eq!(total, 990_000 + settled);
    assert!(settled >= 10 * 700, "at least ten calls fit in the budget");
}

#[tokio::test]
async fn a_reservation_cannot_be_settled_twice() {
    let ledger = InMemoryLedger::new();
    ledger.set_limit("ada", 1_000).unwrap();
    let first = ledger.reserve("ada", 100).await.unwrap();
    let id = first.id;
    ledger.settle(first, 100).await.unwrap();

    let replay = filmroom_coach::Reservation {
        id,
        account: "ada".into(),
        amount: 100,
    };
    assert_eq!(
        ledger.settle(replay, 100).await,
        Err(BudgetError::UnknownReservation(id))
    );
}

#[tokio::test]
async fn a_call_that_overruns_its_reservation_is_charged_only_what_it_held() {
    let ledger = InMemoryLedger::new();
    ledger.set_limit("ada", 1_000).unwrap();
    let reservation = ledger.reserve("ada", 900).await.unwrap();

    // The provider reported more than the estimate allowed for.
    let overrun = ledger.settle(reservation, 1_400).await.unwrap();
    assert_eq!(overrun, 500, "the excess is returned as the operator's");
    assert_eq!(ledger.spent("ada").unwrap(), 900);
    assert_eq!(ledger.available("ada").await.unwrap(), 100);
}
