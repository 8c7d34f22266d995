//! "Which participant is me", per kind: the JSON API
//! (`GET`/`PUT /api/v1/me/identities`) and the account page's section, both
//! over the store's identity links (the user's own, or the one the platform
//! inferred from their recordings). The stored outcomes follow every change;
//! nothing here computes one.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::response::{IntoResponse, Redirect};
use filmroom_store::{KindIdentities, LinkSource, UserId};
use serde::{Deserialize, Serialize};

use super::auth::ApiUser;
use super::csrf::{ApiWrite, CsrfField, SignedForm};
use crate::app::AppState;
use crate::error::AppError;
use crate::pages::{PageError, PageResult};

/// At most this many links of one kind (alt accounts).
pub const MAX_LINKS_PER_KIND: usize = 20;
/// The longest participant key accepted (`platform:id`, `name:NAME`).
pub const MAX_PARTICIPANT_CHARS: usize = 200;

/// Who the caller is in each kind of recording they have.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Identities)]
pub struct IdentitiesJson {
    pub kinds: Vec<KindIdentitiesJson>,
}

/// Who the caller is in one kind of recording.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = KindIdentities)]
pub struct KindIdentitiesJson {
    pub kind: String,
    /// The domain's name for the kind ("Rocket League replay").
    pub display_name: String,
    /// The caller's analysed recordings of this kind.
    pub recordings: u64,
    /// Those in which a link names a participant: the ones with a result.
    pub recognized: u64,
    /// The display name of "me" in the newest recognized recording.
    pub appears_as: Option<String>,
    /// The links, the caller's own first; an `inferred` one only while the
    /// caller has none of their own for the kind.
    pub links: Vec<LinkJson>,
    /// The human participants of the caller's recordings, most frequent
    /// first: who the caller could say they are.
    pub candidates: Vec<CandidateJson>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = IdentityLink)]
pub struct LinkJson {
    /// A participant key (`steam:7656...`), or `name:NAME` matching a
    /// display name ignoring case.
    pub participant: String,
    /// `user` (said by the caller) or `inferred` (by the platform).
    #[schema(value_type = String, example = "inferred")]
    pub source: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = IdentityCandidate)]
pub struct CandidateJson {
    pub participant: String,
    pub display_name: String,
    /// How many of the caller's recordings of the kind it is in.
    pub recordings: u64,
}

/// The caller's own links for one kind, replacing their previous ones.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = SetIdentities)]
#[serde(deny_unknown_fields)]
pub struct SetIdentitiesJson {
    /// A registered kind (`rl_replay`).
    pub kind: String,
    /// The participant keys that are the caller (alt accounts included); an
    /// empty list gives the kind back to inference.
    #[schema(schema_with = crate::openapi::participant_keys)]
    pub participants: Vec<String>,
}

impl KindIdentitiesJson {
    fn new(state: &AppState, k: KindIdentities) -> Self {
        let display_name = state
            .domains
            .get_str(&k.kind)
            .map_or_else(|| k.kind.clone(), |d| d.display_name().to_owned());
        Self {
            display_name,
            recordings: k.recordings,
            recognized: k.recognized,
            appears_as: k.appears_as,
            links: k
                .links
                .into_iter()
                .map(|l| LinkJson {
                    participant: l.participant,
                    source: l.source.as_str(),
                    created_at: l.created_at,
                })
                .collect(),
            candidates: k
                .candidates
                .into_iter()
                .map(|c| CandidateJson {
                    participant: c.participant,
                    display_name: c.display_name,
                    recordings: c.recordings,
                })
                .collect(),
            kind: k.kind,
        }
    }
}

async fn identities(state: &AppState, user: UserId) -> Result<IdentitiesJson, AppError> {
    let kinds = state.store.identities(user).await?;
    Ok(IdentitiesJson {
        kinds: kinds
            .into_iter()
            .map(|k| KindIdentitiesJson::new(state, k))
            .collect(),
    })
}

/// Checks a request's kind and participant keys before anything is stored.
fn parse_links(
    state: &AppState,
    kind: &str,
    participants: &[String],
) -> Result<Vec<String>, AppError> {
    if state.domains.get_str(kind).is_none() {
        return Err(AppError::bad_request(
            "unknown_kind",
            format!("There is no kind of recording called {kind:?}."),
        ));
    }
    if participants.len() > MAX_LINKS_PER_KIND {
        return Err(AppError::bad_request(
            "too_many_links",
            format!("At most {MAX_LINKS_PER_KIND} participants can be you in one kind."),
        ));
    }
    let mut keys: Vec<String> = Vec::with_capacity(participants.len());
    for participant in participants {
        let key = participant.trim();
        if key.is_empty()
            || key.chars().count() > MAX_PARTICIPANT_CHARS
            || key.chars().any(char::is_control)
        {
            return Err(AppError::bad_request(
                "invalid_participant",
                format!(
                    "A participant must be 1 to {MAX_PARTICIPANT_CHARS} characters without control characters."
                ),
            ));
        }
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_owned());
        }
    }
    Ok(keys)
}

#[utoipa::path(get, path = "/api/v1/me/identities", tag = "accounts",
    summary = "Which participant is the caller, per kind of recording",
    description = "Each kind's identity links: the caller's own, or the one inferred from their recordings (the human participant in at least 3 and in more than half of them, or named as their username). Results (win, loss) are stored from these links.",
    responses((status = 200, body = IdentitiesJson)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Json<IdentitiesJson>, AppError> {
    Ok(Json(identities(&state, identity.user.id).await?))
}

#[utoipa::path(put, path = "/api/v1/me/identities", tag = "accounts",
    summary = "Say which participants are the caller in one kind of recording",
    description = "Replaces the caller's own links for the kind (and any inferred one); an empty list lets the platform infer again. Every stored result of the caller follows before the answer.",
    request_body = SetIdentitiesJson,
    responses(
        (status = 200, body = IdentitiesJson),
        (status = 400, description = "The body, the kind or a participant is not valid", body = crate::error::Body),
    ))]
pub async fn put(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    body: Result<Json<SetIdentitiesJson>, JsonRejection>,
) -> Result<Json<IdentitiesJson>, AppError> {
    let Json(body) = body.map_err(AppError::from_json_rejection)?;
    let keys = parse_links(&state, &body.kind, &body.participants)?;
    state
        .store
        .set_identity_links(identity.user.id, &body.kind, &keys, state.clock.now())
        .await?;
    Ok(Json(identities(&state, identity.user.id).await?))
}

/// One kind on the account page.
pub struct IdentityView {
    pub kind: String,
    pub display_name: String,
    /// "You appear as X in N of M recordings", or why not.
    pub summary: String,
    /// Whether "me" was inferred (and can be confirmed).
    pub inferred: Option<String>,
    /// `(participant, label)` choices, the current "me" first.
    pub choices: Vec<(String, String)>,
}

pub(crate) async fn views(state: &AppState, user: UserId) -> Result<Vec<IdentityView>, AppError> {
    let kinds = identities(state, user).await?;
    Ok(kinds
        .kinds
        .into_iter()
        .map(|k| {
            let summary = match &k.appears_as {
                Some(name) => format!(
                    "You appear as {name} in {} of {} recordings.",
                    k.recognized, k.recordings
                ),
                None if k.recordings == 0 => "No analysed recordings yet.".to_owned(),
                None => format!(
                    "We could not tell which player you are in your {} recordings: pick yourself below.",
                    k.recordings
                ),
            };
            let inferred = k
                .links
                .iter()
                .find(|l| l.source == LinkSource::Inferred.as_str())
                .map(|l| l.participant.clone());
            let choices = k
                .candidates
                .iter()
                .map(|c| {
                    (
                        c.participant.clone(),
                        format!("{} ({}, in {})", c.display_name, c.participant, c.recordings),
                    )
                })
                .collect();
            IdentityView {
                kind: k.kind,
                display_name: k.display_name,
                summary,
                inferred,
                choices,
            }
        })
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IdentityForm {
    pub kind: String,
    pub participant: String,
    pub csrf: String,
}

/// The account page's "this is me" form: one participant becomes the user's
/// own link for the kind (confirming the inferred one, or picking another).
impl CsrfField for IdentityForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn set_form(
    State(state): State<AppState>,
    SignedForm { identity, form: f }: SignedForm<IdentityForm>,
) -> PageResult {
    let keys =
        parse_links(&state, &f.kind, std::slice::from_ref(&f.participant)).map_err(PageError)?;
    state
        .store
        .set_identity_links(identity.user.id, &f.kind, &keys, state.clock.now())
        .await?;
    Ok(Redirect::to("/account").into_response())
}
