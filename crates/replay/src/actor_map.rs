//! A map from network actor ids to per-actor state, built for the replay
//! loop: ids are small integers (the game allots them from its channel
//! count), so a vector indexed by id beats hashing on every one of the tens
//! of thousands of attribute updates in a match. Ids outside the dense range
//! (only a hostile file has them) fall back to a hash map. Iteration follows
//! a list of live ids, so it is deterministic.

use std::collections::HashMap;

/// Ids below this are stored densely (the game's channel count is 2047 at most).
const DENSE_LIMIT: usize = 1 << 16;

#[derive(Debug)]
pub(crate) struct ActorMap<T> {
    dense: Vec<Option<T>>,
    sparse: HashMap<i32, T>,
    live: Vec<i32>,
}

impl<T> Default for ActorMap<T> {
    fn default() -> Self {
        ActorMap {
            dense: Vec::new(),
            sparse: HashMap::new(),
            live: Vec::new(),
        }
    }
}

fn dense_index(id: i32) -> Option<usize> {
    usize::try_from(id).ok().filter(|&i| i < DENSE_LIMIT)
}

impl<T> ActorMap<T> {
    pub(crate) fn get(&self, id: &i32) -> Option<&T> {
        match dense_index(*id) {
            Some(i) => self.dense.get(i).and_then(Option::as_ref),
            None => self.sparse.get(id),
        }
    }

    pub(crate) fn get_mut(&mut self, id: &i32) -> Option<&mut T> {
        match dense_index(*id) {
            Some(i) => self.dense.get_mut(i).and_then(Option::as_mut),
            None => self.sparse.get_mut(id),
        }
    }

    /// The state of `id`, created with `make` if absent.
    pub(crate) fn slot_with(&mut self, id: i32, make: impl FnOnce() -> T) -> &mut T {
        match dense_index(id) {
            Some(i) => {
                if self.dense.len() <= i {
                    self.dense.resize_with(i + 1, || None);
                }
                let slot = &mut self.dense[i];
                if slot.is_none() {
                    self.live.push(id);
                }
                slot.get_or_insert_with(make)
            }
            None => {
                if !self.sparse.contains_key(&id) {
                    self.live.push(id);
                }
                self.sparse.entry(id).or_insert_with(make)
            }
        }
    }

    pub(crate) fn insert(&mut self, id: i32, value: T) {
        let existed = match dense_index(id) {
            Some(i) => {
                if self.dense.len() <= i {
                    self.dense.resize_with(i + 1, || None);
                }
                self.dense[i].replace(value).is_some()
            }
            None => self.sparse.insert(id, value).is_some(),
        };
        if !existed {
            self.live.push(id);
        }
    }

    pub(crate) fn remove(&mut self, id: &i32) -> Option<T> {
        let removed = match dense_index(*id) {
            Some(i) => self.dense.get_mut(i).and_then(Option::take),
            None => self.sparse.remove(id),
        };
        if removed.is_some()
            && let Some(at) = self.live.iter().position(|l| l == id)
        {
            self.live.remove(at);
        }
        removed
    }

    /// Live ids with their state, in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i32, &T)> {
        self.live.iter().filter_map(|id| Some((*id, self.get(id)?)))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.iter().map(|(_, v)| v)
    }
}

impl<T: Default> ActorMap<T> {
    /// The state of `id`, default-created if absent.
    pub(crate) fn slot(&mut self, id: i32) -> &mut T {
        self.slot_with(id, T::default)
    }
}
