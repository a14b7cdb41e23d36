//! Answers read as they arrive: a body's bytes, server-sent events, and their blocking
//! twins.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf as _, Bytes};
use eventsource_stream::{EventStream, EventStreamError};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt as _};
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::{BlockingIo, ClientError};

/// A body read as it arrives ([`StreamBody`](crate::StreamBody) answers): a `Stream` of
/// chunks, with the answer's status and headers (`Content-Length`, `Content-Range`..).
/// The client's timeout covered the wait for the answer, not the reading.
pub struct ByteStream {
    status: StatusCode,
    headers: HeaderMap,
    chunks: BoxStream<'static, Result<Bytes, ClientError>>,
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl ByteStream {
    pub(super) fn new(mut res: reqwest::Response) -> Self {
        let headers = std::mem::take(res.headers_mut());
        Self {
            status: res.status(),
            headers,
            chunks: res
                .bytes_stream()
                .map(|c| c.map_err(ClientError::from_reqwest))
                .boxed(),
        }
    }

    /// The answer's status (200, or 206 for a range).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The answer's headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The rest of the body, whole.
    pub async fn collect(mut self) -> Result<Bytes, ClientError> {
        let mut all = Vec::new();
        while let Some(chunk) = self.chunks.next().await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all.into())
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.chunks.poll_next_unpin(cx)
    }
}

/// One server-sent event, as the client reads it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Event<T> {
    /// Its payload, decoded from the JSON of its `data` lines.
    pub data: T,
    /// Its `event:` name (`message` when the server gave none, as in a browser).
    pub event: String,
    /// Its `id:` (the last one seen when it has none of its own, as in a browser).
    pub id: Option<String>,
    /// The server's `retry:` hint.
    pub retry: Option<Duration>,
}

/// The events of an [`Sse<T>`](crate::sse::Sse) answer, as they arrive: a `Stream` that
/// ends when the server ends the answer. An event whose data is not a `T` is a
/// [`ClientError::Decode`] item; the stream goes on after it.
pub struct Events<T> {
    inner: EventStream<ByteStream>,
    status: StatusCode,
    _data: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Events<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("last_event_id", &self.inner.last_event_id())
            .finish_non_exhaustive()
    }
}

impl<T> Events<T> {
    pub(super) fn new(body: ByteStream) -> Self {
        Self {
            status: body.status,
            inner: EventStream::new(body),
            _data: PhantomData,
        }
    }

    /// The id of the last event that had one: what a reconnecting caller sends back as
    /// `Last-Event-ID`.
    #[must_use]
    pub fn last_event_id(&self) -> Option<&str> {
        Some(self.inner.last_event_id()).filter(|id| !id.is_empty())
    }
}

impl<T: DeserializeOwned> Stream for Events<T> {
    type Item = Result<Event<T>, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let status = self.status;
        let decode = |message: String| ClientError::Decode { status, message };
        self.inner.poll_next_unpin(cx).map(|next| {
            next.map(|event| match event {
                Ok(e) => match serde_json::from_str(&e.data) {
                    Ok(data) => Ok(Event {
                        data,
                        event: e.event,
                        id: Some(e.id).filter(|id| !id.is_empty()),
                        retry: e.retry,
                    }),
                    Err(err) => Err(decode(format!("event data: {err}"))),
                },
                Err(EventStreamError::Transport(e)) => Err(e),
                Err(EventStreamError::Utf8(e)) => Err(decode(e.to_string())),
                Err(EventStreamError::Parser(e)) => Err(decode(e.to_string())),
            })
        })
    }
}

/// What the blocking client gives for an answer read as it arrives: an `Iterator` over
/// the async client's `Stream` (chunks of a [`ByteStream`], which is also an
/// [`io::Read`]; the events of [`Events`]), each item waited for on the client's I/O
/// thread. Inside a tokio runtime's context the next item is
/// [`ClientError::InsideRuntime`], then the end; after a transport error it ends too, while
/// after a [`ClientError::Decode`] item it goes on, as the async stream does.
#[derive(Debug)]
pub struct BlockingStream<S> {
    stream: S,
    io: BlockingIo,
    /// What a `read` did not take of the last chunk.
    rest: Bytes,
    done: bool,
}

impl<S> BlockingStream<S> {
    pub(super) fn new(stream: S, io: &BlockingIo) -> Self {
        Self {
            stream,
            io: io.clone(),
            rest: Bytes::new(),
            done: false,
        }
    }

    /// The async stream it reads.
    #[must_use]
    pub fn get_ref(&self) -> &S {
        &self.stream
    }
}

impl<S, T> Iterator for BlockingStream<S>
where
    S: Stream<Item = Result<T, ClientError>> + Unpin,
{
    type Item = Result<T, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = match self.io.block_on(self.stream.next()) {
            Ok(next) => next,
            Err(e) => Some(Err(e)),
        };
        // As the async stream: a bad item (an event that is not a `T`) is one error, and
        // the answer goes on; the end, a broken connection or a refusal to block end it.
        self.done = match &next {
            None => true,
            Some(Err(e)) => !matches!(e, ClientError::Decode { .. }),
            Some(Ok(_)) => false,
        };
        next
    }
}

impl BlockingStream<ByteStream> {
    /// The answer's status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.stream.status
    }

    /// The answer's headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.stream.headers
    }
}

impl io::Read for BlockingStream<ByteStream> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.rest.is_empty() {
            match self.next() {
                Some(Ok(chunk)) => self.rest = chunk,
                Some(Err(e)) => return Err(io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest.advance(n);
        Ok(n)
    }
}
