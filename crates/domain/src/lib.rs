//! The domain seam: what a kind of recording (a Rocket League replay, a talk,
//! a lecture) must tell the platform, and the neutral analysis it produces.
//!
//! The platform (store, jobs, web, coach) knows only these types: a
//! [`Domain`] recognizes its files, states its [`Limits`], turns a recording
//! into an [`Analysis`] (facts, participants, metrics, events, passages, and
//! its own full report), describes its metrics ([`MetricDefinition`]), gives
//! the coach a [`CoachProfile`] and lays out its pages as neutral
//! [`Page`]s of tabbed [`Section`]s. Domains are found through a [`Registry`].
//!
//! This crate depends on no domain and on nothing of HTTP, SQL or the disk.

#![warn(missing_docs)]

mod analysis;
mod clock;
mod coach;
mod domain;
mod export;
mod keys;
mod page;
mod progress;
mod registry;
mod validate;

pub use analysis::{
    Analysis, Degraded, Event, Facts, Metric, Outcome, Participant, Passage, Side, SideOutcome,
    Span, Subject, Unit,
};
pub use clock::{format_clock, parse_clock};
pub use coach::{
    CoachDigestSpec, CoachMoments, CoachRecording, CoachWords, FactWord, HeadlineStat, HitSource,
    MetricGroup, MomentOwner, MomentRule, Noun, SearchHit, StatFamily, Tip,
};
pub use domain::{
    AnalysisError, AnalysisInput, CoachProfile, Companion, CompanionFile, DeclaredLength, Domain,
    InputMode, Limits, MetricDefinition, RECOGNITION_HEAD_BYTES, Recognition, ReportError,
    UNREADABLE_CODE,
};
pub use export::ExchangeFormat;
pub use keys::{Kind, KindError, is_metric_key, is_name_key};
pub use page::{
    Bar, Cell, Chart, Column, DEFAULT_TAB, Fact, Grid, GridColumn, GridRow, Lane, Mark, MarkSize,
    Moment, Moments, Page, Section, SectionBody, ShareRow, Tab, Table, TableRow, TimelineEntry,
};
pub use page::{SeriesPoint, TimedLine, TimedWord};
pub use progress::Progress;
pub use registry::{Registry, RegistryError};
pub use validate::{EVENT_TIME_SLACK_S, ValidationError};
