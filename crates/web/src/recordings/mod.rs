//! Recordings of every kind: uploads ([`uploads`], with each file's domain
//! recognized by [`recognize`]), the lists and details read from the neutral
//! tables, the upload jobs and their events. The JSON API ([`api`]) and the
//! list pages ([`pages`]) call the same [`service`].

pub mod api;
mod companions;
mod daily;
pub mod exports;
pub mod media;
pub(crate) mod pages;
pub mod progress;
mod recognize;
pub mod service;
pub(crate) mod uploads;
