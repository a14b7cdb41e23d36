//! What a call can end in besides its success value.

use std::convert::Infallible;
use std::fmt;

use crate::BoxError;
use crate::problem::ProblemDetails;
use http::StatusCode;

/// Why a call gave no success value. `E` is the operation's declared error type (its
/// handler's `Result<_, E>`): an answer that is one of its variants arrives as
/// [`Api`](Self::Api); operations without one use the default, which has no values.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError<E = Infallible> {
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
    /// The server answered one of the operation's declared errors: a variant of its
    /// `#[derive(ApiError)]` type, read back from the problem's `code` and members.
    Api {
        /// The variant, with its fields.
        error: E,
        /// The problem details it arrived as.
        problem: Box<ProblemDetails>,
    },
    /// The server refused or failed otherwise (auth, validation, throttling, an error
    /// type's answer it could not read back): its problem details (RFC 9457), as sent.
    /// (Boxed: it is the rare, large case.)
    Problem(Box<ProblemDetails>),
    /// A [`BlockingClient`](super::BlockingClient) was used inside a tokio runtime's
    /// context, where blocking could stall the runtime's thread: use the async client there.
    /// (Tokio does not tell a `spawn_blocking` thread, where blocking is allowed, from a
    /// worker; from one, `Handle::current().block_on(..)` runs the async client's call.
    /// Ninja's own blocking pool is outside any runtime's context: sync handlers may use
    /// the blocking client.)
    InsideRuntime,
}

impl<E> ClientError<E> {
    /// The server's status, when it answered.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Decode { status, .. } => Some(*status),
            Self::Problem(p) | Self::Api { problem: p, .. } => Some(p.status()),
            _ => None,
        }
    }

    /// The operation's declared error, when the server answered one.
    #[must_use]
    pub fn api(&self) -> Option<&E> {
        match self {
            Self::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The server's problem details, when it sent some (a declared error's too).
    #[must_use]
    pub fn problem(&self) -> Option<&ProblemDetails> {
        match self {
            Self::Problem(p) | Self::Api { problem: p, .. } => Some(p),
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

impl ClientError {
    /// The same error as any operation's (it cannot be an [`Api`](Self::Api) one).
    pub(super) fn widen<E>(self) -> ClientError<E> {
        match self {
            Self::Request(m) => ClientError::Request(m),
            Self::Transport(e) => ClientError::Transport(e),
            Self::Timeout => ClientError::Timeout,
            Self::Decode { status, message } => ClientError::Decode { status, message },
            Self::Api { error, .. } => match error {},
            Self::Problem(p) => ClientError::Problem(p),
            Self::InsideRuntime => ClientError::InsideRuntime,
        }
    }
}

impl<E> fmt::Display for ClientError<E> {
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
            Self::Api { problem, .. } => fmt::Display::fmt(problem, f),
            Self::Problem(p) => fmt::Display::fmt(p, f),
            Self::InsideRuntime => f.write_str(
                "a BlockingClient cannot be used inside a tokio runtime's context (it could block \
                 the runtime's thread): use the async client there (from spawn_blocking, \
                 `Handle::current().block_on(..)` of its call)",
            ),
        }
    }
}

impl<E: fmt::Debug> std::error::Error for ClientError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport(e) => Some(&**e),
            _ => None,
        }
    }
}
