//! The typed errors of provider calls.

use std::time::Duration;

use crate::Usage;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The request could not be sent or the response headers never came.
    #[error("could not reach the provider")]
    Transport(#[source] reqwest::Error),

    /// The provider's TLS certificate is not trusted (or not valid for its name):
    /// a private model server needs its CA added (the web app's `coach.ca_file`).
    #[error(
        "the provider's TLS certificate is not trusted ({detail}); for a private model server, \
         add its CA certificate (coach.ca_file)"
    )]
    Certificate {
        detail: String,
        /// Kept for the operator's logs, not chained into the player's message
        /// (it names the server's URL).
        error: reqwest::Error,
    },

    /// The extra CA certificates given to the client cannot be used.
    #[error("the CA certificates cannot be used: {0}")]
    InvalidCa(String),

    /// The response headers did not come in time.
    #[error("the provider did not answer within {} s", waited.as_secs_f32())]
    Timeout { waited: Duration },

    /// The provider refused the request with an HTTP error status.
    #[error("the provider answered HTTP {status} ({kind}): {message}")]
    Http {
        status: u16,
        /// The provider's error type, e.g. `rate_limit_error`, or `unknown`.
        kind: String,
        message: String,
        /// From the `Retry-After` header, when it gave seconds.
        retry_after: Option<Duration>,
    },

    /// The provider reported an error inside an open stream (Anthropic's `error`
    /// event, e.g. `overloaded_error`).
    #[error("the provider reported an error mid-stream ({kind}): {message}")]
    Stream { kind: String, message: String },

    /// The stream ended before the provider's end marker (or, for
    /// OpenAI-compatible servers, before the usage chunk).
    #[error("the stream was cut off before its end: {reason}")]
    Truncated {
        reason: String,
        /// The usage known when the stream was cut, for metering.
        partial_usage: Option<Usage>,
        #[source]
        source: Option<reqwest::Error>,
    },

    /// The provider sent something this client could not read.
    #[error("the provider sent an unreadable stream: {what}")]
    Protocol {
        what: String,
        #[source]
        source: Option<serde_json::Error>,
    },

    /// The request cannot be expressed for this provider (e.g. tool arguments that
    /// are not JSON).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl ProviderError {
    /// A send failure, told apart when it is the peer's certificate: that one
    /// the operator fixes in the config, not by retrying.
    pub(crate) fn transport(error: reqwest::Error) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(e) = source {
            let text = e.to_string();
            if text.contains("certificate") {
                return Self::Certificate {
                    detail: text,
                    error,
                };
            }
            source = e.source();
        }
        Self::Transport(error)
    }

    pub(crate) fn protocol(what: impl Into<String>) -> Self {
        Self::Protocol {
            what: what.into(),
            source: None,
        }
    }

    pub(crate) fn json(what: impl Into<String>, source: serde_json::Error) -> Self {
        Self::Protocol {
            what: what.into(),
            source: Some(source),
        }
    }
}
