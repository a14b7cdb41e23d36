//! What a call can end in besides its success value.

use std::fmt;

use http::StatusCode;
use serde::Deserialize;

use crate::{BoxError, FieldError};

/// Why a call gave no success value.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The call could not be made: an argument with no wire form, a bad base URL or header.
    Request(String),
    /// Connecting, sending or receiving failed (refused, reset, closed early).
    Transport(BoxError),
    /// The call took longer than the client's timeout.
    Timeout,
    /// The server answered, but not in the operation's declared form.
    Decode {
        /// The answer's status.
        status: StatusCode,
        /// What did not fit.
        message: String,
    },
    /// The server refused or failed: its problem details (RFC 9457), as sent. (Boxed: it
    /// is the rare, large case.)
    Problem(Box<ProblemDetails>),
    /// A [`BlockingClient`](super::BlockingClient) was used inside a tokio runtime's
    /// context, where blocking could stall the runtime's thread: use the async client there.
    /// (Tokio does not tell a `spawn_blocking` thread, where blocking is allowed, from a
    /// worker; from one, `Handle::current().block_on(..)` runs the async client's call.
    /// Ninja's own blocking pool is outside any runtime's context: sync handlers may use
    /// the blocking client.)
    InsideRuntime,
}

impl ClientError {
    /// The server's status, when it answered.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Decode { status, .. } => Some(*status),
            Self::Problem(p) => Some(p.status()),
            _ => None,
        }
    }

    /// The server's problem details, when it sent some.
    #[must_use]
    pub fn problem(&self) -> Option<&ProblemDetails> {
        match self {
            Self::Problem(p) => Some(p),
            _ => None,
        }
    }

    pub(super) fn from_reqwest(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_builder() {
            Self::Request(e.to_string())
        } else {
            Self::Transport(Box::new(e))
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Request(m) => write!(f, "the call cannot be made: {m}"),
            Self::Transport(e) => {
                write!(f, "transport: {e}")?;
                let mut source = e.source();
                while let Some(s) = source {
                    write!(f, ": {s}")?;
                    source = s.source();
                }
                Ok(())
            }
            Self::Timeout => f.write_str("the call timed out"),
            Self::Decode { status, message } => {
                write!(f, "the answer ({status}) cannot be decoded: {message}")
            }
            Self::Problem(p) => fmt::Display::fmt(p, f),
            Self::InsideRuntime => f.write_str(
                "a BlockingClient cannot be used inside a tokio runtime's context (it could block \
                 the runtime's thread): use the async client there (from spawn_blocking, \
                 `Handle::current().block_on(..)` of its call)",
            ),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport(e) => Some(&**e),
            _ => None,
        }
    }
}

/// Problem details (RFC 9457) as a client reads them: the fields Ninja sends, and any
/// other member under `extensions`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ProblemDetails {
    /// The problem type: a URI reference, `about:blank` when the status says it all.
    #[serde(rename = "type", default = "about_blank")]
    pub type_uri: String,
    /// A short summary of the problem type.
    #[serde(default)]
    pub title: String,
    /// The HTTP status: the answer's (the body's own `status` is advisory).
    #[serde(default)]
    pub status: u16,
    /// This occurrence, for a person.
    #[serde(default)]
    pub detail: Option<String>,
    /// This occurrence, as a URI reference.
    #[serde(default)]
    pub instance: Option<String>,
    /// Every failing input of a validation error (422).
    #[serde(default)]
    pub errors: Vec<FieldError>,
    /// Other members.
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

impl ProblemDetails {
    /// The status as a [`StatusCode`] (500 if the server sent no valid one).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// From an answer that is not a success: its problem JSON, else its status and text.
    pub(super) fn from_answer(status: StatusCode, body: &[u8]) -> Self {
        let mut p = serde_json::from_slice::<Self>(body).unwrap_or_else(|_| Self {
            type_uri: about_blank(),
            title: String::new(),
            status: status.as_u16(),
            detail: (!body.is_empty())
                .then(|| String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned()),
            instance: None,
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
        });
        // The answer's status wins: RFC 9457 calls the member advisory.
        p.status = status.as_u16();
        if p.title.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("Error")
                .clone_into(&mut p.title);
        }
        p
    }
}

impl fmt::Display for ProblemDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        for e in &self.errors {
            write!(f, "; {}", e.msg)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ProblemDetails;
    use http::StatusCode;

    #[test]
    fn the_answers_status_wins_over_the_bodys() {
        let p =
            ProblemDetails::from_answer(StatusCode::NOT_FOUND, br#"{"status":1,"title":"Gone"}"#);
        assert_eq!((p.status, p.title.as_str()), (404, "Gone"));
        let p = ProblemDetails::from_answer(StatusCode::BAD_GATEWAY, b"upstream broke");
        assert_eq!(
            (p.status, p.title.as_str(), p.detail.as_deref()),
            (502, "Bad Gateway", Some("upstream broke"))
        );
    }
}
