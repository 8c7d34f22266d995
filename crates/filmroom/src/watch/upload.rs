//! Sending one file to the server's upload API (`POST /api/v1/replays`,
//! multipart, bearer token) until it is taken or refused for good: network
//! errors and 5xx answers are retried with a doubling backoff, a 429 waits
//! as long as its `Retry-After` says. The caller learns of each wait, so the
//! user sees why nothing moves.

use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::StatusCode;
use serde::Deserialize;

/// The longest single wait, whatever a server asks for or the backoff reaches.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// How the server answered, once it did.
pub enum Outcome {
    /// Stored (or already the user's): the game's id.
    Taken { game_id: String },
    /// Refused for good (a 4xx other than 401, 403, 408 and 429).
    Refused { reason: String },
}

pub struct Uploader {
    client: reqwest::Client,
    url: String,
    token: String,
    first_backoff: Duration,
}

#[derive(Deserialize)]
struct UploadResponse {
    uploads: Vec<Uploaded>,
}

#[derive(Deserialize)]
struct Uploaded {
    game_id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

impl Uploader {
    pub fn new(server: &str, token: String, first_backoff: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .context("Failed to set up the HTTP client")?;
        Ok(Self {
            client,
            url: format!("{}/api/v1/replays", server.trim_end_matches('/')),
            token,
            first_backoff,
        })
    }

    /// Sends `bytes` as `name` until the server answers for good. `waiting`
    /// hears of every retry: the reason and the wait. An answer that no
    /// retry will change for any file (a bad token) is an error.
    pub async fn send(
        &self,
        name: &str,
        bytes: &[u8],
        mut waiting: impl FnMut(&str, Duration),
    ) -> anyhow::Result<Outcome> {
        let mut backoff = self.first_backoff;
        loop {
            let form = reqwest::multipart::Form::new().part(
                "files",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
            );
            let attempt = self
                .client
                .post(&self.url)
                .bearer_auth(&self.token)
                .multipart(form)
                .send()
                .await;
            let (reason, wait) = match attempt {
                Err(error) => (format!("server unreachable ({error})"), backoff),
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        let body: UploadResponse = response
                            .json()
                            .await
                            .context("The server's upload answer is not the API's")?;
                        let game_id = body
                            .uploads
                            .into_iter()
                            .next()
                            .map(|u| u.game_id)
                            .context("The server's upload answer names no game")?;
                        return Ok(Outcome::Taken { game_id });
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let asked = retry_after(&response).unwrap_or(backoff);
                        ("the server asks to slow down (429)".to_owned(), asked)
                    } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
                        (format!("the server answered {status}"), backoff)
                    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
                    {
                        bail!(
                            "The server refused the token ({status}): create one on the account page"
                        );
                    } else {
                        let reason = match response.json::<ErrorBody>().await {
                            Ok(body) => body.error.message,
                            Err(_) => format!("the server answered {status}"),
                        };
                        return Ok(Outcome::Refused { reason });
                    }
                }
            };
            let wait = wait.min(MAX_WAIT);
            waiting(&reason, wait);
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(MAX_WAIT);
        }
    }
}

/// `Retry-After` in seconds (the form filmroom and most APIs send).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}
