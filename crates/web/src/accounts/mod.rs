//! Accounts: who is asking ([`auth`]: sessions, API tokens, passwords), the
//! CSRF checks of every write ([`csrf`], [`pre_session`]), the login and
//! sign-up limits ([`throttle`]), which participant is the user in each
//! kind of recording ([`identities`]), and the work both the JSON API ([`api`])
//! and the pages ([`pages`]) call ([`service`]).

pub mod api;
pub mod auth;
pub mod csrf;
pub mod identities;
pub(crate) mod pages;
pub mod pre_session;
pub mod service;
pub mod throttle;
