//! "Me" for users who linked nothing: the link the platform infers from a
//! user's own recordings, stored in `identity_links` beside the user's own
//! links (`source = 'inferred'`) so the stored "me" and outcome come from one
//! mechanism. Also what the account page shows of a user's identities.
//!
//! The rule, per user and kind, only while the user has no link of their own
//! for that kind:
//! 1. a human participant whose display name is the user's username (ignoring
//!    case) in any of their recordings of the kind: the link `name:USERNAME`
//!    (the user chose that name, so one recording is evidence enough);
//! 2. else the human participant in the most of the user's analysed
//!    recordings of the kind, if it is in at least
//!    [`INFERENCE_MIN_RECORDINGS`] of them and in more than half of them (a
//!    library of other people's games infers nobody). Ties go to the one in
//!    the newest recording, then to the smaller key;
//! 3. else the human participant who is the only human in every one of the
//!    user's analysed recordings of the kind, from one recording on (a talk's
//!    speaker, a game against bots: nobody else there could be the user);
//! 4. else no link: "me" stays unknown until the user says.
//!
//! The inferred link is recomputed whenever the evidence or the links change:
//! a recording of the user completes (or is re-analysed), the user uploads an
//! already analysed recording, or their links change. A link of the user's own
//! for the kind removes the inferred one; removing the last brings it back.

use sqlx::{PgConnection, PgPool, Row};

use super::{from_ts, to_u64};
use crate::error::StoreError;
use crate::identity_model::{
    INFERENCE_MIN_RECORDINGS, IdentityCandidate, KindIdentities, LinkSource, LinkedIdentity,
    MAX_IDENTITY_CANDIDATES,
};

/// The participant in the most of `$1`'s analysed recordings of kind `$2`,
/// with that count and the number of those recordings (the recording's own
/// date: the owner link's copy is refreshed after this runs).
pub(super) const INFERENCE_BY_COUNT: &str = "WITH mine AS (
        SELECT o.recording_id, r.played_at AS occurred_at FROM recording_owners o
        JOIN recordings r
            ON r.id = o.recording_id AND r.revision IS NOT NULL
        WHERE o.user_id = $1 AND o.kind = $2
     )
     SELECT p.participant, COUNT(*) AS n, (SELECT COUNT(*) FROM mine) AS total
     FROM mine m
     JOIN participants p ON p.recording_id = m.recording_id AND NOT p.is_bot
     GROUP BY p.participant
     ORDER BY n DESC, MAX(m.occurred_at) DESC, p.participant
     LIMIT 1";

/// Who the rule says `user` is among their recordings of `kind`, if anyone.
async fn inferred_participant(
    conn: &mut PgConnection,
    user: &str,
    kind: &str,
) -> Result<Option<String>, StoreError> {
    let by_username: Option<String> = sqlx::query_scalar(
        "SELECT u.username FROM users u
         WHERE u.id = $1 AND EXISTS (
            SELECT 1 FROM recording_owners o
            JOIN participants p ON p.recording_id = o.recording_id
            WHERE o.user_id = $1 AND o.kind = $2 AND NOT p.is_bot
              AND lower(p.display_name) = lower(u.username))",
    )
    .bind(user)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(username) = by_username {
        return Ok(Some(format!("name:{username}")));
    }
    let best = sqlx::query(INFERENCE_BY_COUNT)
        .bind(user)
        .bind(kind)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(best) = best else {
        return Ok(None);
    };
    let n = to_u64(best.try_get("n")?, "recordings")?;
    let total = to_u64(best.try_get("total")?, "recordings")?;
    if n >= INFERENCE_MIN_RECORDINGS && n * 2 > total {
        return Ok(Some(best.try_get("participant")?));
    }
    // Fewer recordings suffice when this participant is the only human in
    // every one of them (a talk's speaker, a game against bots): nobody else
    // in them could be the user. Only asked while they are few, so cheap.
    if n == total && n > 0 {
        let humans: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recording_owners o
             JOIN recordings r ON r.id = o.recording_id AND r.revision IS NOT NULL
             JOIN participants p ON p.recording_id = o.recording_id AND NOT p.is_bot
             WHERE o.user_id = $1 AND o.kind = $2",
        )
        .bind(user)
        .bind(kind)
        .fetch_one(&mut *conn)
        .await?;
        if to_u64(humans, "participants")? == total {
            return Ok(Some(best.try_get("participant")?));
        }
    }
    Ok(None)
}

/// Brings `user`'s inferred link for `kind` up to date with the rule; `true`
/// when it changed (so their stored outcomes must be refreshed).
pub(super) async fn infer(
    conn: &mut PgConnection,
    user: &str,
    kind: &str,
) -> Result<bool, StoreError> {
    // Racing transactions (two of the user's jobs completing at once) would
    // each see no inferred link and both insert one: one at a time.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("filmroom.identity:{user}/{kind}"))
        .execute(&mut *conn)
        .await?;
    let own: Option<i64> = sqlx::query_scalar(
        "SELECT 1::BIGINT FROM identity_links WHERE user_id = $1 AND kind = $2 AND source = 'user' LIMIT 1",
    )
    .bind(user)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?;
    let choice = if own.is_some() {
        None
    } else {
        inferred_participant(conn, user, kind).await?
    };
    let current: Option<String> = sqlx::query_scalar(
        "SELECT participant FROM identity_links
         WHERE user_id = $1 AND kind = $2 AND source = 'inferred'",
    )
    .bind(user)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?;
    if current == choice {
        return Ok(false);
    }
    sqlx::query(
        "DELETE FROM identity_links WHERE user_id = $1 AND kind = $2 AND source = 'inferred'",
    )
    .bind(user)
    .bind(kind)
    .execute(&mut *conn)
    .await?;
    if let Some(participant) = choice {
        // Dated by the newest upload it was inferred from: when the evidence
        // last grew, whatever triggered the inference.
        sqlx::query(
            "INSERT INTO identity_links (user_id, kind, participant, created_at, source)
             SELECT $1, $2, $3, COALESCE(MAX(o.uploaded_at), 0), 'inferred'
             FROM recording_owners o WHERE o.user_id = $1 AND o.kind = $2",
        )
        .bind(user)
        .bind(kind)
        .bind(&participant)
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// Re-infers "me" for every owner of a recording whose analysis was just
/// stored; returns the owners whose links changed.
pub(super) async fn infer_for_owners(
    conn: &mut PgConnection,
    recording: &str,
) -> Result<Vec<String>, StoreError> {
    let owners = sqlx::query(
        "SELECT o.user_id, r.kind FROM recording_owners o JOIN recordings r ON r.id = o.recording_id
         WHERE o.recording_id = $1",
    )
    .bind(recording)
    .fetch_all(&mut *conn)
    .await?;
    let mut changed = Vec::new();
    for row in &owners {
        let user: String = row.try_get("user_id")?;
        let kind: String = row.try_get("kind")?;
        if infer(conn, &user, &kind).await? {
            changed.push(user);
        }
    }
    Ok(changed)
}

/// The user's identities, per kind they have recordings or links of.
pub(super) async fn identities(
    pool: &PgPool,
    user: &str,
) -> Result<Vec<KindIdentities>, StoreError> {
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM recording_owners WHERE user_id = $1 AND kind IS NOT NULL
         UNION SELECT kind FROM identity_links WHERE user_id = $1
         ORDER BY 1",
    )
    .bind(user)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let counts = sqlx::query(
            "SELECT COUNT(*) AS recordings, COUNT(o.me) AS recognized
             FROM recording_owners o
             JOIN recordings r ON r.id = o.recording_id AND r.revision IS NOT NULL
             WHERE o.user_id = $1 AND o.kind = $2",
        )
        .bind(user)
        .bind(&kind)
        .fetch_one(pool)
        .await?;
        let appears_as: Option<String> = sqlx::query_scalar(
            "SELECT p.display_name FROM recording_owners o
             JOIN participants p ON p.recording_id = o.recording_id AND p.participant = o.me
             WHERE o.user_id = $1 AND o.kind = $2
             ORDER BY o.occurred_at DESC, o.recording_id DESC LIMIT 1",
        )
        .bind(user)
        .bind(&kind)
        .fetch_optional(pool)
        .await?;
        let links = sqlx::query(
            "SELECT participant, source, created_at FROM identity_links
             WHERE user_id = $1 AND kind = $2
             ORDER BY source = 'inferred', created_at, participant",
        )
        .bind(user)
        .bind(&kind)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(LinkedIdentity {
                participant: row.try_get("participant")?,
                source: source(&row.try_get::<String, _>("source")?)?,
                created_at: from_ts(row.try_get("created_at")?)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        let candidates = sqlx::query(
            "SELECT participant, display_name, n FROM (
                SELECT p.participant, p.display_name,
                    COUNT(*) OVER (PARTITION BY p.participant) AS n,
                    ROW_NUMBER() OVER (PARTITION BY p.participant
                        ORDER BY o.occurred_at DESC, o.recording_id DESC) AS newest
                FROM recording_owners o
                JOIN participants p ON p.recording_id = o.recording_id AND NOT p.is_bot
                WHERE o.user_id = $1 AND o.kind = $2
             ) c WHERE newest = 1
             ORDER BY n DESC, participant
             LIMIT $3",
        )
        .bind(user)
        .bind(&kind)
        .bind(i64::from(MAX_IDENTITY_CANDIDATES))
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(IdentityCandidate {
                participant: row.try_get("participant")?,
                display_name: row.try_get("display_name")?,
                recordings: to_u64(row.try_get("n")?, "recordings")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        out.push(KindIdentities {
            kind,
            recordings: to_u64(counts.try_get("recordings")?, "recordings")?,
            recognized: to_u64(counts.try_get("recognized")?, "recordings")?,
            appears_as,
            links,
            candidates,
        });
    }
    Ok(out)
}

pub(super) fn source(text: &str) -> Result<LinkSource, StoreError> {
    LinkSource::parse(text).ok_or_else(|| StoreError::Corrupt(format!("link source {text:?}")))
}
