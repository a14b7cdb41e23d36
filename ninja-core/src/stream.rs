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
