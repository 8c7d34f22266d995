//! The coach's persistence: conversations, messages and citations, notes,
//! usage, the budget ledger and rate windows. Part of the conformance suite.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use filmroom_store::{
    BudgetReservationId, Citation, ConversationId, MessageId, MessageRole, NewConversation,
    NewMessage, NewUsageRecord, NodeRecord, NoteAuthor, NoteId, RateWindow, RecordingId, Store,
    StoreError, UsageOutcome, UserId,
};

use super::{at, upload, user};

fn conversation(owner: UserId, title: &str) -> NewConversation {
    NewConversation {
        owner,
        title: title.to_owned(),
        profile: "default".to_owned(),
    }
}

fn message(conversation: ConversationId, role: MessageRole, text: &str) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        conversation,
        role,
        text: text.to_owned(),
        tool_calls_json: "[]".to_owned(),
        attachments_json: "[]".to_owned(),
        citations: Vec::new(),
        provider: None,
        model: None,
        stop_reason: None,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_micros: 0,
    }
}

fn usage(user: UserId, cost_micros: u64) -> NewUsageRecord {
    NewUsageRecord {
        user,
        conversation: None,
        message: None,
        provider: "anthropic".to_owned(),
        model: "claude".to_owned(),
        input_tokens: 100,
        output_tokens: 20,
        cache_read_tokens: 5,
        cache_write_tokens: 1,
        latency_ms: 900,
        cost_micros,
        outcome: UsageOutcome::Ok,
        error: None,
    }
}

async fn owned_recording(store: &Arc<dyn Store>, owner: UserId, n: u32) -> RecordingId {
    store
        .add_upload(&upload(owner, n), at(0), 100)
        .await
        .unwrap()
        .recording
}

fn is_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::NotFound { .. }))
}

// ---- conversations and messages ----

pub async fn a_message_round_trips_with_its_citations_tool_calls_tokens_and_cost(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let recording = owned_recording(&store, alice.id, 1).await;
    let convo = store
        .create_conversation(&conversation(alice.id, "Kickoffs"), at(10))
        .await
        .unwrap();
    assert_eq!(convo.owner, alice.id);
    assert_eq!((convo.created_at, convo.updated_at), (at(10), at(10)));

    let question = message(convo.id, MessageRole::User, "How were my kickoffs?");
    let mut answer = message(convo.id, MessageRole::Assistant, "Slow, see 0:42.");
    answer.tool_calls_json = r#"[{"name":"get_game","input":{"id":1}}]"#.to_owned();
    answer.attachments_json = r#"[{"kind":"chart"}]"#.to_owned();
    answer.citations = vec![
        Citation {
            recording,
            at_seconds: 42.25,
            label: "late kickoff".to_owned(),
        },
        Citation {
            recording,
            at_seconds: 7.5,
            label: "whiff".to_owned(),
        },
    ];
    answer.provider = Some("anthropic".to_owned());
    answer.model = Some("claude".to_owned());
    answer.stop_reason = Some("end_turn".to_owned());
    answer.input_tokens = 1200;
    answer.output_tokens = 300;
    answer.cache_read_tokens = 800;
    answer.cache_write_tokens = 50;
    answer.cost_micros = 4321;

    let saved_question = store
        .append_message(alice.id, &question, at(11))
        .await
        .unwrap();
    let saved_answer = store
        .append_message(alice.id, &answer, at(11))
        .await
        .unwrap();
    assert_eq!(saved_answer.created_at, at(11));
    assert_eq!(saved_answer.citations, answer.citations);

    let stored = store.messages(alice.id, convo.id).await.unwrap();
    assert_eq!(stored, vec![saved_question, saved_answer.clone()]);
    let got = &stored[1];
    assert_eq!(got.id, answer.id);
    assert_eq!(got.role, MessageRole::Assistant);
    assert_eq!(got.tool_calls_json, answer.tool_calls_json);
    assert_eq!(got.attachments_json, answer.attachments_json);
    assert_eq!(got.citations, answer.citations);
    assert_eq!(got.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(
        (
            got.input_tokens,
            got.output_tokens,
            got.cache_read_tokens,
            got.cache_write_tokens,
            got.cost_micros
        ),
        (1200, 300, 800, 50, 4321)
    );
    let reloaded = store
        .conversation_for_owner(alice.id, convo.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reloaded.updated_at, at(11));
    assert_eq!(reloaded.created_at, at(10));

    // The id is the caller's: saving it twice is a conflict, not a duplicate.
    let again = store.append_message(alice.id, &answer, at(12)).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { what: "message" })),
        "{again:?}"
    );
    assert_eq!(store.messages(alice.id, convo.id).await.unwrap().len(), 2);
}

pub async fn conversation_summaries_add_up_their_messages_most_recently_updated_first(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let first = store
        .create_conversation(&conversation(alice.id, "first"), at(0))
        .await
        .unwrap();
    let second = store
        .create_conversation(&conversation(alice.id, "second"), at(1))
        .await
        .unwrap();
    let empty = store
        .create_conversation(&conversation(alice.id, "empty"), at(2))
        .await
        .unwrap();
    for (n, cost) in [(1u64, 10u64), (2, 20), (3, 30)] {
        let mut m = message(first.id, MessageRole::Assistant, "a");
        m.input_tokens = n;
        m.output_tokens = 10 * n;
        m.cache_read_tokens = 100 * n;
        m.cache_write_tokens = 1000 * n;
        m.cost_micros = cost;
        store.append_message(alice.id, &m, at(5)).await.unwrap();
    }
    let mut m = message(second.id, MessageRole::User, "q");
    m.input_tokens = 7;
    store.append_message(alice.id, &m, at(4)).await.unwrap();

    let listed = store.list_conversations(alice.id, 10).await.unwrap();
    let order: Vec<_> = listed.iter().map(|s| s.conversation.id).collect();
    assert_eq!(order, vec![first.id, second.id, empty.id]);
    let totals: Vec<_> = listed
        .iter()
        .map(|s| (s.message_count, s.total_tokens, s.cost_micros))
        .collect();
    assert_eq!(totals, vec![(3, 6666, 60), (1, 7, 0), (0, 0, 0)]);
    assert_eq!(listed[0].conversation.updated_at, at(5));
    assert_eq!(listed[0].conversation.title, "first");

    let page = store.list_conversations(alice.id, 2).await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0], listed[0]);
}

pub async fn deleting_a_conversation_deletes_its_messages_but_keeps_its_usage(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let recording = owned_recording(&store, alice.id, 1).await;
    let convo = store
        .create_conversation(&conversation(alice.id, "c"), at(0))
        .await
        .unwrap();
    let mut m = message(convo.id, MessageRole::Assistant, "a");
    m.citations = vec![Citation {
        recording,
        at_seconds: 1.0,
        label: "x".to_owned(),
    }];
    store.append_message(alice.id, &m, at(1)).await.unwrap();
    let mut record = usage(alice.id, 99);
    record.conversation = Some(convo.id);
    record.message = Some(m.id);
    store.record_usage(&record, at(1)).await.unwrap();

    store.delete_conversation(alice.id, convo.id).await.unwrap();
    assert_eq!(
        store
            .conversation_for_owner(alice.id, convo.id)
            .await
            .unwrap(),
        None
    );
    assert!(is_not_found(store.messages(alice.id, convo.id).await));
    assert!(is_not_found(
        store.delete_conversation(alice.id, convo.id).await
    ));
    assert!(
        store
            .list_conversations(alice.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let history = store.usage_history(alice.id, 10, None).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].conversation, None);
    assert_eq!(history[0].message, Some(m.id));
    assert_eq!(history[0].cost_micros, 99);
}

pub async fn another_user_cannot_read_append_to_delete_or_list_a_users_conversations(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let convo = store
        .create_conversation(&conversation(alice.id, "private"), at(0))
        .await
        .unwrap();
    let m = message(convo.id, MessageRole::User, "secret");
    store.append_message(alice.id, &m, at(1)).await.unwrap();

    assert_eq!(
        store
            .conversation_for_owner(bob.id, convo.id)
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .list_conversations(bob.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(is_not_found(store.messages(bob.id, convo.id).await));
    let intruder = message(convo.id, MessageRole::User, "injected");
    assert!(is_not_found(
        store.append_message(bob.id, &intruder, at(2)).await
    ));
    assert!(is_not_found(
        store.delete_conversation(bob.id, convo.id).await
    ));
    // Bob cannot charge his calls to Alice's conversation either.
    let mut record = usage(bob.id, 1);
    record.conversation = Some(convo.id);
    assert!(is_not_found(store.record_usage(&record, at(2)).await));
    assert!(
        store
            .usage_history(bob.id, 10, None)
            .await
            .unwrap()
            .is_empty()
    );

    let mine = store.messages(alice.id, convo.id).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].text, "secret");
    let alice_convo = store
        .conversation_for_owner(alice.id, convo.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice_convo.updated_at, at(1));
    // Unknown ids are not found either.
    assert!(is_not_found(
        store.messages(alice.id, ConversationId::new()).await
    ));
    let stray = message(ConversationId::new(), MessageRole::User, "x");
    assert!(is_not_found(
        store.append_message(alice.id, &stray, at(3)).await
    ));
}

pub async fn a_message_citing_another_users_recording_is_not_found_and_saves_nothing(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let mine = owned_recording(&store, alice.id, 1).await;
    let theirs = owned_recording(&store, bob.id, 2).await;
    let convo = store
        .create_conversation(&conversation(alice.id, "c"), at(0))
        .await
        .unwrap();
    let mut m = message(convo.id, MessageRole::Assistant, "look at this");
    m.citations = vec![
        Citation {
            recording: mine,
            at_seconds: 3.0,
            label: "mine".to_owned(),
        },
        Citation {
            recording: theirs,
            at_seconds: 4.0,
            label: "theirs".to_owned(),
        },
    ];
    assert!(is_not_found(
        store.append_message(alice.id, &m, at(5)).await
    ));
    m.citations[1].recording = RecordingId::new();
    assert!(is_not_found(
        store.append_message(alice.id, &m, at(5)).await
    ));

    assert!(store.messages(alice.id, convo.id).await.unwrap().is_empty());
    let reloaded = store
        .conversation_for_owner(alice.id, convo.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        reloaded.updated_at,
        at(0),
        "the refused append changed nothing"
    );

    // The same id saves once the citations are all hers.
    m.citations.truncate(1);
    store.append_message(alice.id, &m, at(6)).await.unwrap();
    assert_eq!(store.messages(alice.id, convo.id).await.unwrap().len(), 1);
}

// ---- notes ----

pub async fn notes_are_created_listed_newest_first_updated_and_deleted(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let first = store
        .create_note(alice.id, "rotate back post", NoteAuthor::Coach, at(1))
        .await
        .unwrap();
    let second = store
        .create_note(alice.id, "practise fast aerials", NoteAuthor::User, at(2))
        .await
        .unwrap();
    assert_eq!(first.author, NoteAuthor::Coach);
    assert_eq!((first.created_at, first.updated_at), (at(1), at(1)));
    assert_eq!(
        store.list_notes(alice.id).await.unwrap(),
        vec![second.clone(), first.clone()]
    );

    let updated = store
        .update_note(alice.id, first.id, "rotate back post, always", at(9))
        .await
        .unwrap();
    assert_eq!(updated.text, "rotate back post, always");
    assert_eq!(updated.created_at, at(1));
    assert_eq!(updated.updated_at, at(9));
    assert_eq!(updated.author, NoteAuthor::Coach);
    assert_eq!(store.list_notes(alice.id).await.unwrap()[1], updated);

    store.delete_note(alice.id, second.id).await.unwrap();
    assert_eq!(store.list_notes(alice.id).await.unwrap(), vec![updated]);
    assert!(is_not_found(store.delete_note(alice.id, second.id).await));
    assert!(is_not_found(
        store
            .update_note(alice.id, NoteId::new(), "x", at(10))
            .await
    ));
    assert!(is_not_found(
        store
            .create_note(UserId::new(), "x", NoteAuthor::User, at(0))
            .await
    ));
}

pub async fn another_user_cannot_read_update_or_delete_a_users_notes(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let note = store
        .create_note(alice.id, "mine", NoteAuthor::User, at(0))
        .await
        .unwrap();
    assert!(store.list_notes(bob.id).await.unwrap().is_empty());
    assert!(is_not_found(
        store.update_note(bob.id, note.id, "defaced", at(1)).await
    ));
    assert!(is_not_found(store.delete_note(bob.id, note.id).await));
    assert_eq!(store.list_notes(alice.id).await.unwrap(), vec![note]);
}

// ---- usage ----

pub async fn usage_totals_and_history_cover_their_window_newest_first(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let convo = store
        .create_conversation(&conversation(alice.id, "c"), at(0))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (t, cost) in [(0, 10), (10, 20), (20, 40)] {
        let mut record = usage(alice.id, cost);
        record.conversation = Some(convo.id);
        ids.push(store.record_usage(&record, at(t)).await.unwrap().id);
    }
    let mut failed = usage(alice.id, 0);
    failed.outcome = UsageOutcome::Error;
    failed.error = Some("overloaded".to_owned());
    failed.output_tokens = 0;
    let failed = store.record_usage(&failed, at(30)).await.unwrap();
    assert_eq!(failed.outcome, UsageOutcome::Error);
    assert_eq!(failed.error.as_deref(), Some("overloaded"));
    assert_eq!(failed.created_at, at(30));
    store
        .record_usage(&usage(bob.id, 1000), at(10))
        .await
        .unwrap();

    // from <= created_at < until
    let totals = store.usage_totals(alice.id, at(0), at(20)).await.unwrap();
    assert_eq!(totals.calls, 2);
    assert_eq!(totals.cost_micros, 30);
    assert_eq!(totals.input_tokens, 200);
    assert_eq!(totals.output_tokens, 40);
    assert_eq!(totals.cache_read_tokens, 10);
    assert_eq!(totals.cache_write_tokens, 2);
    let all = store.usage_totals(alice.id, at(0), at(31)).await.unwrap();
    assert_eq!((all.calls, all.cost_micros, all.output_tokens), (4, 70, 60));
    let none = store
        .usage_totals(alice.id, at(100), at(200))
        .await
        .unwrap();
    assert_eq!(none, Default::default());

    let newest: Vec<_> = store
        .usage_history(alice.id, 2, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(newest, vec![failed.id, ids[2]]);
    let older = store
        .usage_history(alice.id, 10, Some(at(20)))
        .await
        .unwrap();
    let older_ids: Vec<_> = older.iter().map(|r| r.id).collect();
    assert_eq!(older_ids, vec![ids[1], ids[0]]);
    assert_eq!(older[0].conversation, Some(convo.id));
    assert_eq!(older[0].provider, "anthropic");
    assert_eq!(older[0].latency_ms, 900);
    assert_eq!(older[0].created_at, at(10));
    let bobs = store.usage_history(bob.id, 10, None).await.unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].user, bob.id);
    assert!(is_not_found(
        store.record_usage(&usage(UserId::new(), 1), at(0)).await
    ));
}

// ---- budget ----

pub async fn a_budget_reservation_is_settled_once_at_the_real_amount_capped_at_what_it_held(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    assert_eq!(
        store.budget_status(alice.id, "2026-11").await.unwrap(),
        Default::default()
    );
    let held = store
        .reserve_budget(alice.id, "2026-11", 100, 60, at(0))
        .await
        .unwrap();
    assert_eq!(
        (held.user, held.period.as_str(), held.amount),
        (alice.id, "2026-11", 60)
    );
    let status = store.budget_status(alice.id, "2026-11").await.unwrap();
    assert_eq!((status.spent, status.reserved), (0, 60));

    let refused = store
        .reserve_budget(alice.id, "2026-11", 100, 41, at(1))
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::BudgetExceeded {
                requested: 41,
                available: 40
            })
        ),
        "{refused:?}"
    );
    // Other periods and other users have their own ledgers.
    store
        .reserve_budget(alice.id, "2026-12", 100, 100, at(1))
        .await
        .unwrap();
    store
        .reserve_budget(bob.id, "2026-11", 100, 100, at(1))
        .await
        .unwrap();

    // The real cost may exceed what was held: the user is charged what was
    // held, the rest is the operator's overrun.
    let settled = store.settle_budget(held.id, 75, at(2)).await.unwrap();
    assert_eq!((settled.charged, settled.overrun), (60, 15));
    let status = store.budget_status(alice.id, "2026-11").await.unwrap();
    assert_eq!((status.spent, status.reserved, status.overrun), (60, 0, 15));

    // Settling twice is NotFound and changes nothing.
    assert!(is_not_found(store.settle_budget(held.id, 75, at(3)).await));
    assert!(is_not_found(
        store
            .settle_budget(BudgetReservationId::new(), 5, at(3))
            .await
    ));
    assert_eq!(
        store.budget_status(alice.id, "2026-11").await.unwrap(),
        status
    );
    let refused = store
        .reserve_budget(alice.id, "2026-11", 100, 41, at(4))
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::BudgetExceeded {
                requested: 41,
                available: 40
            })
        ),
        "{refused:?}"
    );
    // Under the real amount, the rest of the hold goes back.
    let small = store
        .reserve_budget(alice.id, "2026-11", 100, 40, at(5))
        .await
        .unwrap();
    let settled = store.settle_budget(small.id, 10, at(6)).await.unwrap();
    assert_eq!((settled.charged, settled.overrun), (10, 0));
    let status = store.budget_status(alice.id, "2026-11").await.unwrap();
    assert_eq!((status.spent, status.reserved, status.overrun), (70, 0, 15));
    assert!(is_not_found(
        store
            .reserve_budget(UserId::new(), "2026-11", 100, 1, at(0))
            .await
    ));
}

pub async fn fifty_concurrent_reservations_hold_exactly_what_the_limit_allows(
    store: Arc<dyn Store>,
) {
    const LIMIT: u64 = 1000;
    const AMOUNT: u64 = 30;
    let alice = user(&store, "alice").await;
    let racing = Arc::new(AtomicBool::new(true));
    // Watches the ledger while the reservations race: it must never overshoot.
    let watcher = {
        let store = store.clone();
        let racing = racing.clone();
        tokio::spawn(async move {
            let mut looks = 0u32;
            while racing.load(Ordering::SeqCst) || looks == 0 {
                let s = store.budget_status(alice.id, "p").await.unwrap();
                assert!(s.spent + s.reserved <= LIMIT, "{s:?}");
                looks += 1;
                tokio::task::yield_now().await;
            }
        })
    };
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .reserve_budget(alice.id, "p", LIMIT, AMOUNT, at(0))
                    .await
            })
        })
        .collect();
    let mut held = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(reservation) => held.push(reservation),
            Err(StoreError::BudgetExceeded {
                requested,
                available,
            }) => {
                assert_eq!(requested, AMOUNT);
                assert!(available < AMOUNT, "refused with {available} available");
            }
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    racing.store(false, Ordering::SeqCst);
    watcher.await.unwrap();
    assert_eq!(held.len() as u64, LIMIT / AMOUNT);
    let distinct: HashSet<_> = held.iter().map(|r| r.id).collect();
    assert_eq!(distinct.len(), held.len());
    let status = store.budget_status(alice.id, "p").await.unwrap();
    assert_eq!(
        (status.spent, status.reserved),
        (0, AMOUNT * (LIMIT / AMOUNT))
    );

    // Settle them all concurrently, some for more than was held.
    let actuals: Vec<u64> = (0..held.len() as u64).map(|i| i * 7 % 45).collect();
    let tasks: Vec<_> = held
        .iter()
        .zip(&actuals)
        .map(|(reservation, &actual)| {
            let store = store.clone();
            let id = reservation.id;
            tokio::spawn(async move { store.settle_budget(id, actual, at(1)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let status = store.budget_status(alice.id, "p").await.unwrap();
    assert_eq!(status.reserved, 0);
    assert_eq!(
        status.spent,
        actuals.iter().map(|&a| a.min(AMOUNT)).sum::<u64>()
    );
    assert_eq!(
        status.overrun,
        actuals
            .iter()
            .map(|&a| a.saturating_sub(AMOUNT))
            .sum::<u64>()
    );
    assert!(status.spent <= LIMIT);
    // A second settlement of every one is refused and changes nothing.
    for reservation in &held {
        assert!(is_not_found(
            store.settle_budget(reservation.id, 1000, at(2)).await
        ));
    }
    assert_eq!(store.budget_status(alice.id, "p").await.unwrap(), status);
}

pub async fn stale_reservations_are_settled_at_their_full_amount(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let dead = store
        .reserve_budget(alice.id, "p", 1000, 40, at(0))
        .await
        .unwrap();
    store
        .reserve_budget(bob.id, "p", 1000, 15, at(10))
        .await
        .unwrap();
    let live = store
        .reserve_budget(alice.id, "p", 1000, 25, at(100))
        .await
        .unwrap();

    assert_eq!(
        store
            .settle_stale_reservations(at(50), at(200))
            .await
            .unwrap(),
        2
    );
    let status = store.budget_status(alice.id, "p").await.unwrap();
    assert_eq!((status.spent, status.reserved), (40, 25));
    let status = store.budget_status(bob.id, "p").await.unwrap();
    assert_eq!((status.spent, status.reserved), (15, 0));
    // The dead call's late settlement cannot charge it a second time.
    assert!(is_not_found(
        store.settle_budget(dead.id, 10, at(201)).await
    ));
    assert_eq!(
        store
            .settle_stale_reservations(at(50), at(202))
            .await
            .unwrap(),
        0
    );
    store.settle_budget(live.id, 20, at(203)).await.unwrap();
    let status = store.budget_status(alice.id, "p").await.unwrap();
    assert_eq!((status.spent, status.reserved), (60, 0));
}

// ---- rate windows ----

const MINUTE_3: RateWindow = RateWindow {
    seconds: 60,
    max: 3,
};
const HOUR_100: RateWindow = RateWindow {
    seconds: 3600,
    max: 100,
};

pub async fn a_rate_window_admits_up_to_its_max_then_refuses_until_it_slides(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let windows = [MINUTE_3, HOUR_100];
    for (n, t) in [(1, 0), (2, 10), (3, 20)] {
        let admitted = store
            .admit_request(alice.id, "chat", &windows, at(t))
            .await
            .unwrap();
        assert_eq!(admitted.windows.len(), 2);
        let minute = admitted.windows[0];
        assert_eq!((minute.seconds, minute.max, minute.used), (60, 3, n));
        assert_eq!(minute.reset_at, at(60), "the event at 0 leaves at 60");
        assert_eq!(admitted.windows[1].used, n);
        assert_eq!(admitted.windows[1].reset_at, at(3600));
    }
    let refused = store
        .admit_request(alice.id, "chat", &windows, at(30))
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::RateLimited {
                window_seconds: 60,
                max: 3,
                retry_after_seconds: 30
            })
        ),
        "{refused:?}"
    );
    // Other users and other kinds have their own windows.
    store
        .admit_request(bob.id, "chat", &windows, at(30))
        .await
        .unwrap();
    store
        .admit_request(alice.id, "upload", &windows, at(30))
        .await
        .unwrap();

    // At 60 the event at 0 has left (the window is (0, 60]).
    let admitted = store
        .admit_request(alice.id, "chat", &windows, at(60))
        .await
        .unwrap();
    assert_eq!(admitted.windows[0].used, 3);
    assert_eq!(admitted.windows[0].reset_at, at(70));
    assert_eq!(admitted.windows[1].used, 4, "the refusal was not counted");
    // One second before the event at 10 leaves: wait at least 1 s.
    let refused = store
        .admit_request(alice.id, "chat", &windows, at(69))
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::RateLimited {
                retry_after_seconds: 1,
                ..
            })
        ),
        "{refused:?}"
    );
    store
        .admit_request(alice.id, "chat", &windows, at(70))
        .await
        .unwrap();
}

pub async fn the_longer_full_window_decides_the_retry_after(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let windows = [
        RateWindow {
            seconds: 10,
            max: 1,
        },
        RateWindow {
            seconds: 100,
            max: 2,
        },
    ];
    store
        .admit_request(alice.id, "chat", &windows, at(0))
        .await
        .unwrap();
    store
        .admit_request(alice.id, "chat", &windows, at(20))
        .await
        .unwrap();
    let refused = store
        .admit_request(alice.id, "chat", &windows, at(25))
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::RateLimited {
                window_seconds: 100,
                max: 2,
                retry_after_seconds: 75
            })
        ),
        "{refused:?}"
    );
}

pub async fn fifty_concurrent_admissions_against_a_max_of_ten_admit_exactly_ten(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let windows = [RateWindow {
        seconds: 60,
        max: 10,
    }];
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(
                async move { store.admit_request(alice.id, "chat", &windows, at(0)).await },
            )
        })
        .collect();
    let mut admitted = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(admission) => admitted.push(admission.windows[0].used),
            Err(StoreError::RateLimited {
                retry_after_seconds,
                ..
            }) => {
                assert_eq!(retry_after_seconds, 60);
                refused += 1;
            }
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    admitted.sort_unstable();
    assert_eq!(admitted, (1..=10).collect::<Vec<u64>>());
    assert_eq!(refused, 40);
}

// ---- process registry ----

fn node(name: &str, instance: &str, pid: u32, t: i64) -> NodeRecord {
    NodeRecord {
        name: name.to_owned(),
        instance: instance.to_owned(),
        host: "host-a".to_owned(),
        pid,
        started_at: at(t),
        heartbeat_at: at(t),
        workers: 2,
    }
}

pub async fn a_live_node_name_is_refused_and_a_dead_ones_reservations_are_released(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    assert_eq!(
        store
            .register_node(&node("web", "one", 10, 0), None, at(-60), at(0))
            .await
            .unwrap(),
        0
    );
    let held = store
        .reserve_budget_for_node(alice.id, "p", 1000, 300, Some("web"), at(1))
        .await
        .unwrap();
    store
        .reserve_budget_for_node(alice.id, "p", 1000, 200, Some("worker"), at(1))
        .await
        .unwrap();
    store
        .reserve_budget(alice.id, "p", 1000, 100, at(1))
        .await
        .unwrap();
    store.node_heartbeat("web", "one", at(30)).await.unwrap();

    // Its heartbeat is fresh: a second process cannot take the name.
    let refused = store
        .register_node(&node("web", "two", 11, 40), None, at(40 - 60), at(40))
        .await;
    assert!(
        matches!(&refused, Err(StoreError::NodeInUse { name, pid: 10, .. }) if name == "web"),
        "{refused:?}"
    );
    assert_eq!(
        store.budget_status(alice.id, "p").await.unwrap().reserved,
        600
    );
    assert_eq!(store.nodes().await.unwrap()[0].instance, "one");

    // Proven dead (named as the instance replaced): taken over, and only its
    // own reservation is settled, at the full amount held.
    let released = store
        .register_node(
            &node("web", "two", 11, 41),
            Some("one"),
            at(41 - 60),
            at(41),
        )
        .await
        .unwrap();
    assert_eq!(released, 1);
    let status = store.budget_status(alice.id, "p").await.unwrap();
    assert_eq!((status.spent, status.reserved), (300, 300));
    assert!(matches!(
        store.settle_budget(held.id, 5, at(42)).await,
        Err(StoreError::NotFound { .. })
    ));
    // The old instance's heartbeat no longer counts; the new one's does.
    assert!(matches!(
        store.node_heartbeat("web", "one", at(43)).await,
        Err(StoreError::NotFound { .. })
    ));
    store.node_heartbeat("web", "two", at(43)).await.unwrap();

    // Whatever was held under a name before it registers is released by the
    // registration; after that, a stale heartbeat is dead without proof.
    assert_eq!(
        store
            .register_node(&node("worker", "w1", 12, 0), None, at(-60), at(0))
            .await
            .unwrap(),
        1
    );
    store
        .reserve_budget_for_node(alice.id, "p", 1000, 50, Some("worker"), at(1))
        .await
        .unwrap();
    assert_eq!(
        store
            .register_node(&node("worker", "w2", 13, 100), None, at(100 - 60), at(100))
            .await
            .unwrap(),
        1
    );
    let status = store.budget_status(alice.id, "p").await.unwrap();
    assert_eq!((status.spent, status.reserved), (550, 100));
}

pub async fn releasing_a_node_settles_only_its_own_reservations_once(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    store
        .register_node(&node("a", "a1", 1, 0), None, at(-60), at(0))
        .await
        .unwrap();
    store
        .register_node(&node("b", "b1", 2, 0), None, at(-60), at(0))
        .await
        .unwrap();
    store
        .reserve_budget_for_node(alice.id, "p", 1000, 70, Some("a"), at(1))
        .await
        .unwrap();
    store
        .reserve_budget_for_node(alice.id, "p", 1000, 30, Some("b"), at(1))
        .await
        .unwrap();
    // Another instance's name: nothing happens.
    assert_eq!(store.release_node("a", "other", at(2)).await.unwrap(), 0);
    assert_eq!(store.release_node("a", "a1", at(2)).await.unwrap(), 1);
    assert_eq!(store.release_node("a", "a1", at(3)).await.unwrap(), 0);
    let status = store.budget_status(alice.id, "p").await.unwrap();
    assert_eq!((status.spent, status.reserved), (70, 30));
    let names: Vec<String> = store
        .nodes()
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(names, ["b"]);
}

// ---- message pages ----

pub async fn a_conversations_messages_come_in_pages_latest_first_with_a_cursor(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let c = store
        .create_conversation(&conversation(alice.id, "long"), at(0))
        .await
        .unwrap();
    let mut ids = Vec::new();
    // Several messages share a second: the cursor must still split them right.
    for n in 0..7 {
        let m = message(c.id, MessageRole::User, &format!("m{n}"));
        ids.push(m.id);
        store.append_message(alice.id, &m, at(n / 3)).await.unwrap();
    }
    let texts = |page: &filmroom_store::MessagePage| -> Vec<String> {
        page.messages.iter().map(|m| m.text.clone()).collect()
    };
    let latest = store.messages_page(alice.id, c.id, None, 3).await.unwrap();
    assert_eq!(texts(&latest), ["m4", "m5", "m6"]);
    assert!(latest.has_older);
    let middle = store
        .messages_page(alice.id, c.id, Some(latest.messages[0].id), 3)
        .await
        .unwrap();
    assert_eq!(texts(&middle), ["m1", "m2", "m3"]);
    assert!(middle.has_older);
    let first = store
        .messages_page(alice.id, c.id, Some(middle.messages[0].id), 3)
        .await
        .unwrap();
    assert_eq!(texts(&first), ["m0"]);
    assert!(!first.has_older);
    let all = store.messages_page(alice.id, c.id, None, 7).await.unwrap();
    assert_eq!(all.messages.len(), 7);
    assert!(!all.has_older);

    // Another user's conversation, or a cursor from another conversation: not found.
    assert!(matches!(
        store.messages_page(bob.id, c.id, None, 3).await,
        Err(StoreError::NotFound { .. })
    ));
    let other = store
        .create_conversation(&conversation(alice.id, "other"), at(0))
        .await
        .unwrap();
    assert!(matches!(
        store
            .messages_page(alice.id, other.id, Some(ids[0]), 3)
            .await,
        Err(StoreError::NotFound { .. })
    ));
}
