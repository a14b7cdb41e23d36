//! [`StreamBody`]: a response sent chunk by chunk as a stream produces it.

use std::fmt;

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt as _};
use http::header::{self, HeaderValue};
use http_body::Frame;

use crate::body::{Body, BoxError};
use crate::openapi::OperationDoc;
use crate::response::{IntoResponse, Response};

/// A response whose body is a stream of chunks, each sent as soon as it is produced: a
/// large export, a proxied download, progress lines. hyper polls the stream for the next
/// chunk only once it has written the previous one, so a slow client slows the producer
/// down (back-pressure) instead of filling memory; a client that goes away drops the
/// stream. An error from the stream ends the response abruptly (the client sees a
/// truncated body), and is logged.
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::StreamBody;
///
/// /// Every line of the export, as CSV.
/// #[get("/export.csv")]
/// async fn export() -> StreamBody {
///     let lines = (0..3).map(|i| Ok::<_, std::io::Error>(format!("{i},item {i}\n")));
///     StreamBody::new(futures_util::stream::iter(lines)).content_type("text/csv")
/// }
/// ```
///
/// Not generic, so a handler can name it as its return type (the stream is boxed once).
/// Documented as a `200` of `application/octet-stream` (binary).
pub struct StreamBody {
    body: Body,
    content_type: HeaderValue,
}

impl fmt::Debug for StreamBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamBody")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl StreamBody {
    /// Streams `stream`'s chunks (`Bytes`, `Vec<u8>`, `String`...) as
    /// `application/octet-stream`.
    pub fn new<S, T, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes> + 'static,
        E: Into<BoxError>,
    {
        Self {
            body: Body::from_stream(stream.map_ok(Into::into)),
            content_type: HeaderValue::from_static("application/octet-stream"),
        }
    }

    /// Sets the `Content-Type` (`text/csv`, `application/x-ndjson`...). A value that cannot
    /// be a header keeps the previous one, with a warning.
    #[must_use]
    pub fn content_type(mut self, media_type: &str) -> Self {
        match HeaderValue::from_str(media_type) {
            Ok(v) => self.content_type = v,
            Err(_) => tracing::warn!(
                media_type,
                "not a valid Content-Type; kept the previous one"
            ),
        }
        self
    }
}

impl StreamBody {
    /// A body written from sync code: the [`ChunkSender`] sends chunks, the `StreamBody` is
    /// the answer. At most `capacity` chunks wait to be sent: past that, `send` blocks until
    /// the client has taken one (back-pressure), so memory stays bounded however large the
    /// body. Write from the blocking pool, for instance a [`Background`](crate::Background)
    /// task of a sync handler:
    ///
    /// ```
    /// use ninja_core::prelude::*;
    /// use ninja_core::{Background, StreamBody};
    ///
    /// #[get("/export.csv")]
    /// fn export(tasks: Background) -> StreamBody {
    ///     let (rows, body) = StreamBody::channel(16);
    ///     tasks.spawn_blocking(move || {
    ///         for i in 0..1000 {
    ///             // A sync database cursor would be read here.
    ///             if rows.send(format!("{i},item {i}\n")).is_err() {
    ///                 break; // the client went away
    ///             }
    ///         }
    ///     });
    ///     body.content_type("text/csv")
    /// }
    /// ```
    #[must_use]
    pub fn channel(capacity: usize) -> (ChunkSender, Self) {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(capacity.max(1));
        let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (Ok::<_, BoxError>(chunk), rx))
        });
        (ChunkSender(tx), Self::new(chunks))
    }
}

/// The writing end of [`StreamBody::channel`], for sync code (the blocking pool). The body
/// ends when it is dropped.
#[derive(Debug, Clone)]
pub struct ChunkSender(tokio::sync::mpsc::Sender<Bytes>);

/// The client went away (or the response was dropped): stop producing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnected;

impl fmt::Display for Disconnected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the client went away")
    }
}

impl std::error::Error for Disconnected {}

impl ChunkSender {
    /// Sends one chunk, blocking while the channel is full. Not from async code (it would
    /// block the reactor; tokio panics): there, stream with [`StreamBody::new`].
    pub fn send(&self, chunk: impl Into<Bytes>) -> Result<(), Disconnected> {
        self.0.blocking_send(chunk.into()).map_err(|_| Disconnected)
    }
}

impl Body {
    /// A body streamed from `stream`, one frame per chunk.
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let frames = stream.map_ok(Frame::data).map_err(|e| {
            let e: BoxError = e.into();
            tracing::warn!(error = %e, "a streamed response body failed; the response is cut short");
            e
        });
        Self::new(http_body_util::StreamBody::new(frames))
    }
}

impl IntoResponse for StreamBody {
    fn into_response(self) -> Response {
        let mut res = Response::new(self.body);
        res.headers_mut()
            .insert(header::CONTENT_TYPE, self.content_type);
        res
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.success(Some((
            "application/octet-stream",
            serde_json::json!({"type": "string", "format": "binary"}),
        )));
    }
}
