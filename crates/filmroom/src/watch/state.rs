//! What the watcher has already handed to the server, kept in a small JSON
//! file so a restarted watcher sends nothing twice. Keyed by the content's
//! SHA-256: a replay renamed or copied elsewhere in the folder is the same
//! replay. Written to a temporary file and renamed, so a watcher killed
//! mid-write leaves the previous state, never half of one.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// What became of one content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Sent {
    /// The server took it: the game it is known by.
    Sent { file: String, game_id: String },
    /// The server refused it for good (not a replay, too large...): sending
    /// it again would be refused again.
    Refused { file: String, reason: String },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    /// The server the hashes were sent to: another server has seen none.
    server: String,
    sent: BTreeMap<String, Sent>,
}

pub struct State {
    path: PathBuf,
    doc: Document,
}

impl State {
    /// Loads the state at `path` for `server`; a missing file, or one kept
    /// for another server, starts empty.
    pub fn load(path: &Path, server: &str) -> anyhow::Result<Self> {
        let doc = match fs::read(path) {
            Ok(bytes) => serde_json::from_slice::<Document>(&bytes).with_context(|| {
                format!(
                    "The watcher's state file {} is not readable; move it away to start afresh",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Document::default(),
            Err(e) => {
                return Err(e).with_context(|| format!("Failed to read {}", path.display()));
            }
        };
        let doc = if doc.server == server {
            doc
        } else {
            Document {
                server: server.to_owned(),
                sent: BTreeMap::new(),
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            doc,
        })
    }

    pub fn get(&self, sha256: &str) -> Option<&Sent> {
        self.doc.sent.get(sha256)
    }

    /// Records `sent` and saves the file before returning.
    pub fn record(&mut self, sha256: String, sent: Sent) -> anyhow::Result<()> {
        self.doc.sent.insert(sha256, sent);
        let text = serde_json::to_vec_pretty(&self.doc).context("Failed to encode the state")?;
        let tmp = self.path.with_extension("tmp");
        fs::write(&tmp, text).with_context(|| format!("Failed to write {}", tmp.display()))?;
        fs::rename(&tmp, &self.path)
            .with_context(|| format!("Failed to replace {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_recorded_hash_survives_a_reload_for_the_same_server_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut state = State::load(&path, "http://a").unwrap();
        let sent = Sent::Sent {
            file: "x.replay".into(),
            game_id: "g".into(),
        };
        state.record("abc".into(), sent.clone()).unwrap();
        assert_eq!(
            State::load(&path, "http://a").unwrap().get("abc"),
            Some(&sent)
        );
        assert_eq!(State::load(&path, "http://b").unwrap().get("abc"), None);
    }

    #[test]
    fn a_damaged_state_file_is_an_error_not_a_fresh_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, b"{not json").unwrap();
        let error = State::load(&path, "http://a").err().unwrap();
        assert!(format!("{error:#}").contains("not readable"), "{error:#}");
    }
}
