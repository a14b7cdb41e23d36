//! From an operation's declared return type to what its client methods return.

use std::convert::Infallible;
use std::future::Future;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::stream::{BlockingStream, ByteStream, Events};
use super::{BlockingIo, Call, ClientError, FromProblem, ProblemDetails};
use crate::response::sse::Sse;
use crate::response::{ResponseHeader, StreamBody};
use crate::{Accepted, Created, Json};

/// A handler's return type as the client reads it: `Json<T>` gives a `T`, `String` and
/// `&'static str` a `String`, `()` nothing, [`Sse<T>`] a stream of
/// [`Event<T>`](super::Event), [`StreamBody`] a [`ByteStream`] (both an iterator on the
/// blocking client), a WebSocket upgrade a [`WebSocket`](super::WebSocket); `Created`,
/// `Accepted`, `(StatusCode, R)`, `(H, R)` and `Result<R, E>` give what `R` gives, and
/// `Result`'s `E` is the error type answers are read back into ([`ClientError::Api`]).
///
/// A response type of your own reads as the type whose answer it sends: implement it by
/// handing each item to that type (`Download` in the `live` example reads as a
/// [`StreamBody`]).
#[diagnostic::on_unimplemented(
    message = "the client cannot decode `{Self}`",
    label = "not a return type the typed client reads",
    note = "an API definition's operations return `Json<T>`, `String`, `&'static str`, `()`, `Sse<T>`, `StreamBody`, `WebSocketResponse`, `Created<R>`, `Accepted<R>` or `Result<R, E>` of those; a response type of your own implements `ClientOutput` by handing each item to the type it sends"
)]
pub trait ClientOutput {
    /// What the async client's method returns on success.
    type Output;
    /// What the blocking client's method returns on success: [`Output`](Self::Output),
    /// or its blocking twin when it is read as it arrives (a stream, a socket).
    type Blocking;
    /// The operation's declared error type (`Infallible` when it has none).
    type Error;

    /// Adds what the call needs to ask for this answer (a WebSocket's upgrade headers).
    fn prepare(_call: &mut Call) {}

    /// One of the declared errors, if `problem` is one (none for a type without any).
    fn read_error(_problem: &ProblemDetails) -> Option<Self::Error> {
        None
    }

    /// Reads a success (a 2xx answer, or the 101 of an upgrade): its whole body, or the
    /// start of a stream that is read as it arrives. The client's timeout bounds this
    /// future only.
    fn success(answer: Answer) -> impl Future<Output = Result<Self::Output, ClientError>> + Send;

    /// The blocking client's value, from the async one's: the same value, or a wrapper
    /// that blocks on `io` as it is read.
    fn blocking(output: Self::Output, io: &BlockingIo) -> Self::Blocking;
}

/// Decodes a whole body as JSON.
fn json<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T, ClientError> {
    serde_json::from_slice(body).map_err(|e| ClientError::Decode {
        status,
        message: e.to_string(),
    })
}

impl<T: DeserializeOwned> ClientOutput for Json<T> {
    type Output = T;
    type Blocking = T;
    type Error = Infallible;

    async fn success(answer: Answer) -> Result<T, ClientError> {
        let status = answer.status();
        json(status, &answer.bytes().await?)
    }

    fn blocking(output: T, _: &BlockingIo) -> T {
        output
    }
}

impl ClientOutput for String {
    type Output = String;
    type Blocking = String;
    type Error = Infallible;

    async fn success(answer: Answer) -> Result<String, ClientError> {
        let status = answer.status();
        String::from_utf8(answer.bytes().await?.to_vec()).map_err(|e| ClientError::Decode {
            status,
            message: e.to_string(),
        })
    }

    fn blocking(output: String, _: &BlockingIo) -> String {
        output
    }
}

impl ClientOutput for &'static str {
    type Output = String;
    type Blocking = String;
    type Error = Infallible;

    fn success(answer: Answer) -> impl Future<Output = Result<String, ClientError>> + Send {
        String::success(answer)
    }

    fn blocking(output: String, _: &BlockingIo) -> String {
        output
    }
}

impl ClientOutput for () {
    type Output = ();
    type Blocking = ();
    type Error = Infallible;

    async fn success(answer: Answer) -> Result<(), ClientError> {
        // Read to the end, so the connection goes back to the pool.
        answer.bytes().await.map(drop)
    }

    fn blocking((): (), _: &BlockingIo) {}
}

impl ClientOutput for StreamBody {
    type Output = ByteStream;
    type Blocking = BlockingStream<ByteStream>;
    type Error = Infallible;

    async fn success(answer: Answer) -> Result<ByteStream, ClientError> {
        Ok(answer.into_stream())
    }

    fn blocking(output: ByteStream, io: &BlockingIo) -> Self::Blocking {
        BlockingStream::new(output, io)
    }
}

impl<T: DeserializeOwned + Send + 'static> ClientOutput for Sse<T> {
    type Output = Events<T>;
    type Blocking = BlockingStream<Events<T>>;
    type Error = Infallible;

    async fn success(answer: Answer) -> Result<Events<T>, ClientError> {
        Ok(Events::new(answer.into_stream()))
    }

    fn blocking(output: Events<T>, io: &BlockingIo) -> Self::Blocking {
        BlockingStream::new(output, io)
    }
}

/// `Created<R>`, `Accepted<R>`, `(StatusCode, R)`, `(H, R)`: what `R` gives.
macro_rules! passes_through {
    ($([$($generics:tt)*] $outer:ty;)*) => {$(
        impl<$($generics)*> ClientOutput for $outer {
            type Output = R::Output;
            type Blocking = R::Blocking;
            type Error = R::Error;

            fn prepare(call: &mut Call) {
                R::prepare(call);
            }

            fn read_error(problem: &ProblemDetails) -> Option<R::Error> {
                R::read_error(problem)
            }

            fn success(
                answer: Answer,
            ) -> impl Future<Output = Result<R::Output, ClientError>> + Send {
                R::success(answer)
            }

            fn blocking(output: R::Output, io: &BlockingIo) -> R::Blocking {
                R::blocking(output, io)
            }
        }
    )*};
}

passes_through! {
    [R: ClientOutput] Created<R>;
    [R: ClientOutput] Accepted<R>;
    [R: ClientOutput] (StatusCode, R);
    [H: ResponseHeader, R: ClientOutput] (H, R);
}

impl<R: ClientOutput, E: FromProblem> ClientOutput for Result<R, E> {
    type Output = R::Output;
    type Blocking = R::Blocking;
    type Error = E::Error;

    fn prepare(call: &mut Call) {
        R::prepare(call);
    }

    fn read_error(problem: &ProblemDetails) -> Option<E::Error> {
        E::from_problem(problem)
    }

    fn success(answer: Answer) -> impl Future<Output = Result<R::Output, ClientError>> + Send {
        R::success(answer)
    }

    fn blocking(output: R::Output, io: &BlockingIo) -> R::Blocking {
        R::blocking(output, io)
    }
}

/// A success answer, as [`ClientOutput::success`] reads it: its status and headers, and a
/// body read whole or as it arrives.
#[derive(Debug)]
pub struct Answer {
    pub(super) res: reqwest::Response,
    /// The `Sec-WebSocket-Key` the call sent, for checking the server's accept key.
    #[cfg_attr(not(feature = "ws"), allow(dead_code))]
    pub(super) upgrade_key: Option<String>,
}

impl Answer {
    /// The answer's status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.res.status()
    }

    /// The answer's headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        self.res.headers()
    }

    /// The whole body.
    pub async fn bytes(self) -> Result<Bytes, ClientError> {
        self.res.bytes().await.map_err(ClientError::from_reqwest)
    }

    /// The body as it arrives, chunk by chunk.
    #[must_use]
    pub fn into_stream(self) -> ByteStream {
        ByteStream::new(self.res)
    }
}
