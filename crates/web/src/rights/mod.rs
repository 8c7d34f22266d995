//! Data rights: deleting a recording (the caller's owner link; the file and
//! analysis once no owner is left), exporting everything a user owns as a
//! zip, and erasing an account. The work is in [`service`] and [`export`],
//! shared by the JSON API ([`api`]), the pages ([`pages`]) and the operator's
//! CLI. docs/data-rights.md describes the export's layout.

pub mod api;
pub mod export;
pub mod pages;
pub mod service;
