//! The events timeline.
use crate::frames::Timeline;
use crate::report::Event;
use crate::stats::Computed;

pub fn collect(_timeline: &Timeline, _computed: &Computed) -> Vec<Event> {
    Vec::new()
}
