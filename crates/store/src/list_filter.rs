//! What both lists filter on (the recordings list's query and the games
//! list's filter, as one set of conditions over a user's owner links), for
//! each backend's SQL to read.

use crate::model::{
    GAMES_MAP_FACET, GAMES_PLAYLIST_FACET, GAMES_TEAM_SIZE_FACET, OwnerOutcome, RecordingFilter,
    RecordingQuery,
};
use crate::rows::ts;

/// What both lists filter on, over `recording_owners o`.
pub(crate) struct Filters {
    pub(crate) kind: Option<String>,
    pub(crate) facets: Vec<(String, String)>,
    pub(crate) outcome: Option<OwnerOutcome>,
    pub(crate) from: Option<i64>,
    pub(crate) to: Option<i64>,
}

impl Filters {
    pub(crate) fn of_query(query: &RecordingQuery) -> Self {
        Self {
            kind: query.kind.clone(),
            facets: query.facets.clone(),
            outcome: query.outcome,
            from: query.occurred_from.map(ts),
            to: query.occurred_to.map(ts),
        }
    }

    pub(crate) fn of_filter(filter: &RecordingFilter) -> Self {
        let facets = [
            (GAMES_MAP_FACET, filter.map.clone()),
            (GAMES_PLAYLIST_FACET, filter.match_type.clone()),
            (
                GAMES_TEAM_SIZE_FACET,
                filter.team_size.map(|n| n.to_string()),
            ),
        ]
        .into_iter()
        .filter_map(|(facet, value)| value.map(|v| (facet.to_owned(), v)))
        .collect();
        Self {
            kind: None,
            facets,
            outcome: filter.result,
            from: filter.played_from.map(ts),
            to: filter.played_to.map(ts),
        }
    }
}
