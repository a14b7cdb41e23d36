//! [`BodyStream`]: a request body taken chunk by chunk as it arrives, within the limits.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http::StatusCode;
use http::request::Parts;
use http_body::Body as _;

use crate::body::RequestBody;
use crate::extract::{FromBody, Limits, refuse_declared_over, too_large};
use crate::openapi::OperationDoc;
use crate::problem::Problem;

/// The raw request body as a stream of chunks, for uploads that are not multipart (a file
/// `PUT`, a CSV import): nothing is buffered beyond the chunk in hand. Any content type is
/// accepted. The API's body limit holds while streaming: past it the stream yields a 413
/// problem and ends, and a chunk that takes longer than the body read timeout to arrive
/// yields a 408; return the problem (`?`) and the connection is closed after the answer.
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::BodyStream;
///
/// /// Counts the bytes of an upload of any size.
/// #[put("/blobs/{name}")]
/// async fn put_blob(name: String, mut body: BodyStream) -> Result<String, Problem> {
///     let mut total = 0;
///     while let Some(chunk) = body.chunk().await {
///         total += chunk?.len();
///     }
///     Ok(format!("{name}: {total} bytes"))
/// }
/// ```
#[derive(Debug)]
pub struct BodyStream {
    body: RequestBody,
    limit: usize,
    read: usize,
    chunk_timeout: Duration,
    /// Made when a chunk is first waited for; set afresh each time waiting starts.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Whether the timer runs for the chunk being waited for (not still for the last one,
    /// however long the handler took with it).
    waiting: bool,
    done: bool,
}

impl BodyStream {
    /// The next chunk: `None` at the end of the body, an error problem (413, 408, 400) once.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, Problem>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// How many bytes have arrived so far.
    #[must_use]
    pub fn bytes_read(&self) -> usize {
        self.read
    }

    fn fail(&mut self, problem: Problem) -> Poll<Option<Result<Bytes, Problem>>> {
        self.done = true;
        Poll::Ready(Some(Err(problem)))
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, Problem>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            let frame = match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(frame) => frame,
                Poll::Pending => {
                    let period = this.chunk_timeout;
                    let timer = this
                        .timer
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(period)));
                    if !this.waiting {
                        this.waiting = true;
                        timer.as_mut().reset(tokio::time::Instant::now() + period);
                    }
                    ready!(timer.as_mut().poll(cx));
                    return this.fail(Problem::new(StatusCode::REQUEST_TIMEOUT).with_detail(
                        format!(
                            "the request body stopped arriving for {} s",
                            period.as_secs_f64()
                        ),
                    ));
                }
            };
            this.waiting = false;
            match frame {
                None => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "a streamed request body broke off");
                    return this.fail(Problem::bad_request("the request body could not be read"));
                }
                Some(Ok(frame)) => {
                    // Trailers carry no data: read on.
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    this.read += data.len();
                    if this.read > this.limit {
                        return this.fail(too_large(this.limit));
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
            }
        }
    }
}

impl FromBody for BodyStream {
    async fn from_body(parts: &Parts, body: RequestBody, limits: Limits) -> Result<Self, Problem> {
        refuse_declared_over(parts, limits.body())?;
        Ok(Self {
            body,
            limit: limits.body(),
            read: 0,
            chunk_timeout: limits.body_timeout(),
            timer: None,
            waiting: false,
            done: false,
        })
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.request_body(
            "application/octet-stream",
            serde_json::json!({"type": "string", "format": "binary"}),
        );
    }
}
