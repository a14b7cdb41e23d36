//! From an operation's declared return type to what its client method returns.

use bytes::Bytes;
use http::StatusCode;
use serde::de::DeserializeOwned;

use std::convert::Infallible;

use super::{ClientError, FromProblem, ProblemDetails};
use crate::response::ResponseHeader;
use crate::{Accepted, Created, Json};

/// A handler's return type as the client reads it: `Json<T>` gives a `T`, `String` and
/// `&'static str` a `String`, `()` nothing; `Created`, `Accepted`, `(StatusCode, R)`,
/// `(H, R)` and `Result<R, E>` give what `R` gives, and `Result`'s `E` is the error type
/// answers are read back into ([`ClientError::Api`]).
#[diagnostic::on_unimplemented(
    message = "the client cannot decode `{Self}`",
    label = "not a return type the typed client reads",
    note = "an API definition's operations return `Json<T>`, `String`, `&'static str`, `()`, `Created<R>`, `Accepted<R>` or `Result<R, E>` of those"
)]
pub trait ClientOutput {
    /// What the client method returns on success.
    type Output;
    /// The operation's declared error type (`Infallible` when it has none).
    type Error;

    /// One of the declared errors, if `problem` is one (none for a type without any).
    fn read_error(_problem: &ProblemDetails) -> Option<Self::Error> {
        None
    }

    /// Decodes a success (a 2xx answer's body).
    fn success(status: StatusCode, body: Bytes) -> Result<Self::Output, ClientError>;

    /// Decodes any answer: a success as [`success`](Self::success) says, else one of the
    /// declared errors when the problem is one, else the problem.
    fn decode(status: StatusCode, body: Bytes) -> Result<Self::Output, ClientError<Self::Error>> {
        if status.is_success() {
            Self::success(status, body).map_err(ClientError::widen)
        } else {
            let problem = ProblemDetails::from_answer(status, &body);
            let problem = Box::new(problem);
            Err(match Self::read_error(&problem) {
                Some(error) => ClientError::Api { error, problem },
                None => ClientError::Problem(problem),
            })
        }
    }
}

impl<T: DeserializeOwned> ClientOutput for Json<T> {
    type Output = T;
    type Error = Infallible;

    fn success(status: StatusCode, body: Bytes) -> Result<T, ClientError> {
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode {
            status,
            message: e.to_string(),
        })
    }
}

impl ClientOutput for String {
    type Output = String;
    type Error = Infallible;

    fn success(status: StatusCode, body: Bytes) -> Result<String, ClientError> {
        String::from_utf8(body.to_vec()).map_err(|e| ClientError::Decode {
            status,
            message: e.to_string(),
        })
    }
}

impl ClientOutput for &'static str {
    type Output = String;
    type Error = Infallible;

    fn success(status: StatusCode, body: Bytes) -> Result<String, ClientError> {
        String::success(status, body)
    }
}

impl ClientOutput for () {
    type Output = ();
    type Error = Infallible;

    fn success(_: StatusCode, _: Bytes) -> Result<(), ClientError> {
        Ok(())
    }
}

macro_rules! passes_through {
    ($($wrapper:ident),*) => {$(
        impl<R: ClientOutput> ClientOutput for $wrapper<R> {
            type Output = R::Output;
            type Error = R::Error;

            fn read_error(problem: &ProblemDetails) -> Option<R::Error> {
                R::read_error(problem)
            }

            fn success(status: StatusCode, body: Bytes) -> Result<R::Output, ClientError> {
                R::success(status, body)
            }
        }
    )*};
}

passes_through!(Created, Accepted);

impl<R: ClientOutput> ClientOutput for (StatusCode, R) {
    type Output = R::Output;
    type Error = R::Error;

    fn read_error(problem: &ProblemDetails) -> Option<R::Error> {
        R::read_error(problem)
    }

    fn success(status: StatusCode, body: Bytes) -> Result<R::Output, ClientError> {
        R::success(status, body)
    }
}

impl<H: ResponseHeader, R: ClientOutput> ClientOutput for (H, R) {
    type Output = R::Output;
    type Error = R::Error;

    fn read_error(problem: &ProblemDetails) -> Option<R::Error> {
        R::read_error(problem)
    }

    fn success(status: StatusCode, body: Bytes) -> Result<R::Output, ClientError> {
        R::success(status, body)
    }
}

impl<R: ClientOutput, E: FromProblem> ClientOutput for Result<R, E> {
    type Output = R::Output;
    type Error = E::Error;

    fn read_error(problem: &ProblemDetails) -> Option<E::Error> {
        E::from_problem(problem)
    }

    fn success(status: StatusCode, body: Bytes) -> Result<R::Output, ClientError> {
        R::success(status, body)
    }
}
