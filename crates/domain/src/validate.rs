//! Whether an [`Analysis`] is well-formed: the platform checks every one
//! before storing it, so that a domain's bug becomes a failed job with a
//! reason instead of rows that point nowhere.

use std::collections::BTreeSet;

use crate::analysis::{Analysis, Outcome, Span, Subject};
use crate::keys::{is_metric_key, is_name_key};

/// How far past the stated duration an event or passage may lie, in
/// seconds: durations and event times are measured from the same frames or
/// samples, but rounded separately.
pub const EVENT_TIME_SLACK_S: f64 = 1.0;

/// Longest participant key accepted (an account id with its platform).
const MAX_PARTICIPANT_KEY_LEN: usize = 256;

/// The first thing wrong with an analysis.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// The title is empty.
    #[error("the title is empty")]
    EmptyTitle,
    /// The duration is negative or not a number.
    #[error("the duration {0} is not a finite, non-negative number of seconds")]
    BadDuration(f64),
    /// A key is not of the allowed form.
    #[error("{what} {key:?} is not a valid key")]
    BadKey {
        /// Which kind of key (`facet`, `metric key`...).
        what: &'static str,
        /// The key.
        key: String,
    },
    /// Two sides or two participants share a key.
    #[error("{what} {key:?} appears twice")]
    Duplicate {
        /// `side`, `participant` or `metric`.
        what: &'static str,
        /// The key.
        key: String,
    },
    /// Something refers to a side or a participant the analysis lacks.
    #[error("{what} refers to {subject:?}, which the analysis does not have")]
    UnknownSubject {
        /// What holds the reference.
        what: String,
        /// The missing subject.
        subject: Subject,
    },
    /// A number is infinite or not a number.
    #[error("{what} is not a finite number")]
    NotFinite {
        /// Which value.
        what: String,
    },
    /// An event or passage lies outside the recording.
    #[error("{what} at {t_s} s lies outside the recording (0 to {duration_s:?} s)")]
    OutOfRange {
        /// Which event or passage.
        what: String,
        /// Its time.
        t_s: f64,
        /// The recording's duration.
        duration_s: Option<f64>,
    },
    /// An event comes before the one preceding it.
    #[error("event {index} comes before the event preceding it")]
    EventsNotSorted {
        /// Its index.
        index: usize,
    },
    /// A passage's span is backwards, or its page is 0, or it has no text.
    #[error("passage {index} is malformed: {reason}")]
    BadPassage {
        /// Its index.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

type Result<T = ()> = std::result::Result<T, ValidationError>;

fn key(ok: bool, what: &'static str, key: &str) -> Result {
    if ok {
        Ok(())
    } else {
        Err(ValidationError::BadKey {
            what,
            key: key.to_owned(),
        })
    }
}

fn finite(value: f64, what: impl FnOnce() -> String) -> Result {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ValidationError::NotFinite { what: what() })
    }
}

fn participant_key_ok(k: &str) -> bool {
    !k.trim().is_empty() && k.len() <= MAX_PARTICIPANT_KEY_LEN && !k.chars().any(char::is_control)
}

struct Known<'a> {
    sides: BTreeSet<&'a str>,
    participants: BTreeSet<&'a str>,
}

impl Known<'_> {
    fn check(&self, subject: &Subject, what: impl FnOnce() -> String) -> Result {
        let known = match subject {
            Subject::Recording => true,
            Subject::Side(s) => self.sides.contains(s.as_str()),
            Subject::Participant(p) => self.participants.contains(p.as_str()),
        };
        if known {
            Ok(())
        } else {
            Err(ValidationError::UnknownSubject {
                what: what(),
                subject: subject.clone(),
            })
        }
    }
}

impl Analysis {
    /// Checks that the analysis is well-formed: keys of the allowed forms,
    /// sides and participants unique, every reference to a side or a
    /// participant resolved, every number finite, events sorted and within
    /// the recording (with [`EVENT_TIME_SLACK_S`]), passages well-formed.
    pub fn validate(&self) -> Result {
        let facts = &self.facts;
        if facts.title.trim().is_empty() {
            return Err(ValidationError::EmptyTitle);
        }
        if let Some(d) = facts.duration_s
            && !(d.is_finite() && d >= 0.0)
        {
            return Err(ValidationError::BadDuration(d));
        }
        for facet in facts.facets.keys() {
            key(is_name_key(facet), "facet", facet)?;
        }
        if let Some(degraded) = &self.degraded {
            key(
                is_name_key(&degraded.code),
                "degradation code",
                &degraded.code,
            )?;
        }

        let mut known = Known {
            sides: BTreeSet::new(),
            participants: BTreeSet::new(),
        };
        for side in &self.sides {
            key(is_name_key(&side.key), "side", &side.key)?;
            if !known.sides.insert(&side.key) {
                return Err(ValidationError::Duplicate {
                    what: "side",
                    key: side.key.clone(),
                });
            }
        }
        if let Outcome::Winner { side } = &facts.outcome {
            known.check(&Subject::Side(side.clone()), || "the outcome".into())?;
        }
        for p in &self.participants {
            key(participant_key_ok(&p.key), "participant key", &p.key)?;
            if !known.participants.insert(&p.key) {
                return Err(ValidationError::Duplicate {
                    what: "participant",
                    key: p.key.clone(),
                });
            }
            if let Some(side) = &p.side {
                known.check(&Subject::Side(side.clone()), || {
                    format!("participant {:?}", p.key)
                })?;
            }
        }

        self.validate_metrics(&known)?;
        self.validate_events(&known)?;
        self.validate_passages()
    }

    fn validate_metrics(&self, known: &Known<'_>) -> Result {
        let mut seen = BTreeSet::new();
        for m in &self.metrics {
            key(is_metric_key(&m.key), "metric key", &m.key)?;
            known.check(&m.subject, || format!("metric {}", m.key))?;
            finite(m.value, || format!("metric {} of {:?}", m.key, m.subject))?;
            if !seen.insert((&m.subject, m.key.as_str())) {
                return Err(ValidationError::Duplicate {
                    what: "metric",
                    key: format!("{} of {:?}", m.key, m.subject),
                });
            }
        }
        Ok(())
    }

    fn within(&self, t_s: f64, what: impl FnOnce() -> String) -> Result {
        let end = self
            .facts
            .duration_s
            .map_or(f64::INFINITY, |d| d + EVENT_TIME_SLACK_S);
        if (0.0..=end).contains(&t_s) {
            Ok(())
        } else {
            Err(ValidationError::OutOfRange {
                what: what(),
                t_s,
                duration_s: self.facts.duration_s,
            })
        }
    }

    fn validate_events(&self, known: &Known<'_>) -> Result {
        let mut previous = 0.0;
        for (index, e) in self.events.iter().enumerate() {
            key(is_name_key(&e.kind), "event kind", &e.kind)?;
            finite(e.t_s, || format!("the time of event {index}"))?;
            self.within(e.t_s, || format!("event {index} ({})", e.kind))?;
            if e.t_s < previous {
                return Err(ValidationError::EventsNotSorted { index });
            }
            previous = e.t_s;
            known.check(&e.subject, || format!("event {index} ({})", e.kind))?;
            if let Some(position) = e.position {
                for v in position {
                    finite(v, || format!("the position of event {index}"))?;
                }
            }
        }
        Ok(())
    }

    fn validate_passages(&self) -> Result {
        for (index, p) in self.passages.iter().enumerate() {
            let bad = |reason| ValidationError::BadPassage { index, reason };
            if p.text.trim().is_empty() {
                return Err(bad("no text"));
            }
            match p.span {
                Span::Time { start_s, end_s } => {
                    finite(start_s, || format!("the start of passage {index}"))?;
                    finite(end_s, || format!("the end of passage {index}"))?;
                    if end_s < start_s {
                        return Err(bad("it ends before it starts"));
                    }
                    self.within(start_s, || format!("passage {index}"))?;
                    self.within(end_s, || format!("passage {index}"))?;
                }
                Span::Page { page } => {
                    if page == 0 {
                        return Err(bad("pages are numbered from 1"));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::collections::BTreeMap;

    use super::*;
    use crate::{Event, Facts, Metric, Participant, Passage, Side, Unit};

    /// A small, valid analysis of a two-side match.
    fn valid() -> Analysis {
        let side = |key: &str| Side {
            key: key.into(),
            display_name: key.into(),
        };
        Analysis {
            facts: Facts {
                title: "Stadium · 1v1".into(),
                occurred_at: None,
                duration_s: Some(300.0),
                facets: BTreeMap::from([("map".into(), "Stadium_P".into())]),
                outcome: Outcome::Winner {
                    side: "blue".into(),
                },
            },
            sides: vec![side("blue"), side("orange")],
            participants: vec![
                Participant {
                    key: "steam:1".into(),
                    display_name: "Ann".into(),
                    side: Some("blue".into()),
                    is_bot: false,
                },
                Participant {
                    key: "name:Bot".into(),
                    display_name: "Bot".into(),
                    side: Some("orange".into()),
                    is_bot: true,
                },
            ],
            metrics: vec![
                Metric {
                    subject: Subject::Participant("steam:1".into()),
                    key: "core.goals".into(),
                    value: 1.0,
                    unit: Unit::Count,
                    higher_is_better: Some(true),
                },
                Metric {
                    subject: Subject::Side("orange".into()),
                    key: "core.goals".into(),
                    value: 0.0,
                    unit: Unit::Count,
                    higher_is_better: Some(true),
                },
            ],
            events: vec![
                Event {
                    t_s: 12.0,
                    kind: "goal".into(),
                    subject: Subject::Participant("steam:1".into()),
                    label: "Goal by Ann".into(),
                    position: Some([0.0, 5120.0, 93.0]),
                    payload: serde_json::Value::Null,
                },
                Event {
                    t_s: 300.5,
                    kind: "match_end".into(),
                    subject: Subject::Recording,
                    label: "End".into(),
                    position: None,
                    payload: serde_json::Value::Null,
                },
            ],
            passages: vec![
                Passage {
                    span: Span::Time {
                        start_s: 12.0,
                        end_s: 12.0,
                    },
                    text: "0:12 Goal by Ann for blue (1-0)".into(),
                },
                Passage {
                    span: Span::Page { page: 1 },
                    text: "Slide one".into(),
                },
            ],
            report: serde_json::json!({}),
            revision: 1,
            degraded: None,
        }
    }

    #[test]
    fn a_well_formed_analysis_passes_and_survives_a_json_round_trip() {
        let a = valid();
        assert_eq!(a.validate(), Ok(()));
        let back: Analysis = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn a_metric_about_an_unknown_participant_or_side_is_refused() {
        let mut a = valid();
        a.metrics[0].subject = Subject::Participant("steam:2".into());
        assert!(matches!(
            a.validate(),
            Err(ValidationError::UnknownSubject { subject: Subject::Participant(p), .. }) if p == "steam:2"
        ));
        let mut a = valid();
        a.metrics[1].subject = Subject::Side("green".into());
        assert!(matches!(
            a.validate(),
            Err(ValidationError::UnknownSubject { .. })
        ));
    }

    #[test]
    fn a_participant_on_an_unknown_side_or_a_winner_that_is_not_a_side_is_refused() {
        let mut a = valid();
        a.participants[1].side = Some("green".into());
        assert!(matches!(
            a.validate(),
            Err(ValidationError::UnknownSubject { .. })
        ));
        let mut a = valid();
        a.facts.outcome = Outcome::Winner {
            side: "green".into(),
        };
        assert!(matches!(
            a.validate(),
            Err(ValidationError::UnknownSubject { .. })
        ));
    }

    #[test]
    fn non_finite_values_are_refused() {
        let mut a = valid();
        a.metrics[0].value = f64::NAN;
        assert!(matches!(
            a.validate(),
            Err(ValidationError::NotFinite { .. })
        ));
        let mut a = valid();
        a.events[0].position = Some([0.0, f64::INFINITY, 0.0]);
        assert!(matches!(
            a.validate(),
            Err(ValidationError::NotFinite { .. })
        ));
        let mut a = valid();
        a.facts.duration_s = Some(f64::NAN);
        assert!(matches!(a.validate(), Err(ValidationError::BadDuration(_))));
    }

    #[test]
    fn events_must_be_sorted_and_within_the_duration_plus_slack() {
        let mut a = valid();
        a.events.swap(0, 1);
        assert_eq!(
            a.validate(),
            Err(ValidationError::EventsNotSorted { index: 1 })
        );
        let mut a = valid();
        a.events[1].t_s = 300.0 + EVENT_TIME_SLACK_S + 0.01;
        assert!(matches!(
            a.validate(),
            Err(ValidationError::OutOfRange { .. })
        ));
        let mut a = valid();
        a.events[0].t_s = -0.5;
        assert!(matches!(
            a.validate(),
            Err(ValidationError::OutOfRange { .. })
        ));
        // Without a known duration only the start bounds events.
        let mut a = valid();
        a.facts.duration_s = None;
        a.events[1].t_s = 10_000.0;
        assert_eq!(a.validate(), Ok(()));
    }

    #[test]
    fn keys_of_the_wrong_form_are_refused() {
        let mut a = valid();
        a.metrics[0].key = "Core Goals".into();
        assert!(matches!(
            a.validate(),
            Err(ValidationError::BadKey {
                what: "metric key",
                ..
            })
        ));
        let mut a = valid();
        a.events[0].kind = "goal.scored".into();
        assert!(matches!(
            a.validate(),
            Err(ValidationError::BadKey {
                what: "event kind",
                ..
            })
        ));
        let mut a = valid();
        a.facts.facets.insert("Game Mode".into(), "x".into());
        assert!(matches!(
            a.validate(),
            Err(ValidationError::BadKey { what: "facet", .. })
        ));
        let mut a = valid();
        a.participants[0].key = " ".into();
        assert!(matches!(a.validate(), Err(ValidationError::BadKey { .. })));
    }

    #[test]
    fn duplicates_are_refused() {
        let mut a = valid();
        a.participants[1].key = "steam:1".into();
        assert!(matches!(
            a.validate(),
            Err(ValidationError::Duplicate {
                what: "participant",
                ..
            })
        ));
        let mut a = valid();
        a.sides[1].key = "blue".into();
        assert!(matches!(
            a.validate(),
            Err(ValidationError::Duplicate { what: "side", .. })
        ));
        let mut a = valid();
        a.metrics.push(a.metrics[0].clone());
        assert!(matches!(
            a.validate(),
            Err(ValidationError::Duplicate { what: "metric", .. })
        ));
    }

    #[test]
    fn malformed_passages_and_titles_are_refused() {
        let mut a = valid();
        a.passages[0].span = Span::Time {
            start_s: 20.0,
            end_s: 10.0,
        };
        assert!(matches!(
            a.validate(),
            Err(ValidationError::BadPassage { index: 0, .. })
        ));
        let mut a = valid();
        a.passages[1].span = Span::Page { page: 0 };
        assert!(matches!(
            a.validate(),
            Err(ValidationError::BadPassage { index: 1, .. })
        ));
        let mut a = valid();
        a.passages[0].text = "  ".into();
        assert!(matches!(
            a.validate(),
            Err(ValidationError::BadPassage { .. })
        ));
        let mut a = valid();
        a.facts.title = String::new();
        assert_eq!(a.validate(), Err(ValidationError::EmptyTitle));
    }
}
