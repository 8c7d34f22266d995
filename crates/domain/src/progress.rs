//! What a user follows over time for a kind of recording: one headline
//! metric and the components it is made of, named by the domain; the
//! platform charts their stored values recording after recording.

use serde::{Deserialize, Serialize};

/// The metrics a progress view of one kind shows, each a recording-level
/// metric key the domain defines ([`crate::Domain::metric_definitions`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The view's title ("Your talks").
    pub title: String,
    /// The one number that sums a recording up (`score`).
    pub headline: String,
    /// What the headline is made of, in display order (`score.pace`).
    pub components: Vec<String>,
}
