//! A client of ballchasing.com's API (<https://ballchasing.com/doc/api>)
//! for importing: the replay ids of an uploader, of a group and its child
//! groups, and a replay's `.replay` file. The user's own API key goes in the
//! `Authorization` header, as ballchasing asks. Their limits are per key
//! and tier (the free tier: 2 calls a second, 1000 an hour): calls are
//! spaced by `min_interval`, and a 429 waits as its `Retry-After` says (or
//! the interval doubled when it says nothing). Paging follows the answers'
//! `next` links, and only those on the configured API: the key is never
//! sent anywhere else.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::StatusCode;
use serde::Deserialize;

/// Replays or groups asked for per page (ballchasing's maximum).
const PAGE: u32 = 200;

/// The deepest group nesting followed (ballchasing nests a few levels).
const MAX_GROUP_DEPTH: usize = 16;

/// 429s in a row on one call before giving up.
const MAX_THROTTLED: u32 = 20;

/// The longest wait a `Retry-After` is obeyed for.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// Ballchasing ids (replay UUIDs, group slugs such as `rlcs-2025-abc123`)
/// and uploader Steam ids: letters, digits, `-` and `_`. Anything else is
/// refused before it can change the path or query it is put in.
pub fn parse_id(raw: &str) -> anyhow::Result<String> {
    let id = raw.trim();
    if id.is_empty()
        || id.len() > 100
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        bail!("{raw:?} is not a ballchasing.com id (letters, digits, - and _)");
    }
    Ok(id.to_owned())
}

#[derive(Deserialize)]
struct Listing {
    #[serde(default)]
    list: Vec<Listed>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct Listed {
    id: String,
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
    min_interval: Duration,
    last_call: Option<Instant>,
}

impl Client {
    pub fn new(base: &str, key: String, min_interval: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .context("Failed to set up the HTTP client")?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
            min_interval,
            last_call: None,
        })
    }

    /// One call, paced and retried on 429; `None` for a 404.
    async fn get(&mut self, url: &str) -> anyhow::Result<Option<reqwest::Response>> {
        let mut throttled = 0;
        loop {
            if let Some(last) = self.last_call {
                let since = last.elapsed();
                if since < self.min_interval {
                    tokio::time::sleep(self.min_interval - since).await;
                }
            }
            self.last_call = Some(Instant::now());
            let response = self
                .http
                .get(url)
                .header(reqwest::header::AUTHORIZATION, &self.key)
                .send()
                .await
                .context("Could not reach ballchasing.com")?;
            let status = response.status();
            match status {
                s if s.is_success() => return Ok(Some(response)),
                StatusCode::NOT_FOUND => return Ok(None),
                StatusCode::TOO_MANY_REQUESTS => {
                    throttled += 1;
                    if throttled > MAX_THROTTLED {
                        bail!("ballchasing.com kept answering 429 (too many requests)");
                    }
                    let wait = retry_after(&response)
                        .unwrap_or(self.min_interval.max(Duration::from_millis(500)) * throttled);
                    tokio::time::sleep(wait.min(MAX_WAIT)).await;
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    bail!(
                        "ballchasing.com refused the API key ({status}): check it on ballchasing.com/upload"
                    )
                }
                other => bail!("ballchasing.com answered {other}"),
            }
        }
    }

    /// `get`, where a 404 means `what` does not exist.
    async fn get_existing(&mut self, url: &str, what: &str) -> anyhow::Result<reqwest::Response> {
        self.get(url)
            .await?
            .with_context(|| format!("ballchasing.com has no {what}"))
    }

    /// Every id of a listing, following `next` on this API only.
    async fn list_all(&mut self, first: String, what: &str) -> anyhow::Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut url = Some(first);
        let mut seen = HashSet::new();
        while let Some(current) = url.take() {
            // A `next` that loops would page for ever.
            if !seen.insert(current.clone()) {
                break;
            }
            let listing: Listing = self
                .get_existing(&current, what)
                .await?
                .json()
                .await
                .context("A listing of ballchasing.com is not what its API documents")?;
            ids.extend(listing.list.into_iter().map(|l| l.id));
            if let Some(next) = listing.next.filter(|n| !n.is_empty()) {
                if !next.starts_with(&format!("{}/", self.base)) {
                    bail!("ballchasing.com gave a `next` link off its API ({next})");
                }
                url = Some(next);
            }
        }
        Ok(ids)
    }

    /// The ids of the replays `uploader` (a Steam id, or `me`) uploaded.
    pub async fn uploader_replays(&mut self, uploader: &str) -> anyhow::Result<Vec<String>> {
        let url = format!("{}/replays?uploader={}&count={PAGE}", self.base, uploader);
        self.list_all(url, &format!("uploader {uploader}")).await
    }

    /// The ids of the replays in `group` and, recursively, its child groups,
    /// each once.
    pub async fn group_replays(&mut self, group: &str) -> anyhow::Result<Vec<String>> {
        let mut replays = Vec::new();
        let mut seen_replays = HashSet::new();
        let mut seen_groups = HashSet::new();
        let mut pending = vec![(group.to_owned(), 0usize)];
        while let Some((current, depth)) = pending.pop() {
            if !seen_groups.insert(current.clone()) || depth > MAX_GROUP_DEPTH {
                continue;
            }
            // The group itself first: a missing group is a clear error,
            // not an empty import.
            let url = format!("{}/groups/{}", self.base, current);
            self.get_existing(&url, &format!("group {current}")).await?;
            let url = format!("{}/replays?group={}&count={PAGE}", self.base, current);
            for id in self.list_all(url, &format!("group {current}")).await? {
                if seen_replays.insert(id.clone()) {
                    replays.push(id);
                }
            }
            let url = format!("{}/groups?group={}&count={PAGE}", self.base, current);
            for child in self.list_all(url, &format!("group {current}")).await? {
                pending.push((parse_id(&child)?, depth + 1));
            }
        }
        Ok(replays)
    }

    /// The `.replay` file of replay `id`; `None` when ballchasing has no
    /// such replay (or no longer its file).
    pub async fn replay_file(&mut self, id: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let url = format!("{}/replays/{}/file", self.base, id);
        let Some(response) = self.get(&url).await? else {
            return Ok(None);
        };
        let bytes = response
            .bytes()
            .await
            .context("The download from ballchasing.com broke off")?;
        Ok(Some(bytes.to_vec()))
    }
}

/// `Retry-After` in seconds.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds: f64 = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::parse_id;

    #[test]
    fn ids_that_could_leave_their_path_segment_are_refused() {
        assert_eq!(parse_id(" abc-123_x ").unwrap(), "abc-123_x");
        for bad in ["", "..", "a/b", "g?x=1", "a b", "é"] {
            assert!(parse_id(bad).is_err(), "{bad:?}");
        }
    }
}
