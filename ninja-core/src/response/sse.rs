//! Server-sent events: [`Sse<T>`] streams [`Event<T>`]s as `text/event-stream`, each
//! payload `T` serialized as JSON, with keep-alive comments while the stream is quiet.

use std::fmt;
use std::future::Future as _;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http::header::{self, HeaderValue};
use schemars::JsonSchema;
use serde::Serialize;

use crate::body::{Body, BoxError};
use crate::openapi::OperationDoc;
use crate::response::{IntoResponse, Response};

/// One server-sent event: a payload `T` (sent as JSON on the `data` line) and the optional
/// `event` name, `id` and `retry` hint of the format.
#[derive(Debug, Clone)]
pub struct Event<T> {
    data: T,
    event: Option<String>,
    id: Option<String>,
    retry: Option<Duration>,
}

impl<T> Event<T> {
    /// An event carrying `data`.
    pub fn new(data: T) -> Self {
        Self {
            data,
            event: None,
            id: None,
            retry: None,
        }
    }

    /// Its `event:` name (the browser's `addEventListener(name, ...)`).
    #[must_use]
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.event = Some(name.into());
        self
    }

    /// Its `id:`, which a reconnecting browser sends back as `Last-Event-ID` (take it as a
    /// `last_event_id: Header<Option<String>>` argument).
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// How long a browser should wait before reconnecting (`retry:`).
    #[must_use]
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = Some(after);
        self
    }
}

/// Writes `value` as one field line, one line per line of text (the format has no escapes;
/// a name or id with a line break would end the field early).
fn field(out: &mut String, name: &str, value: &str) {
    for line in value.split(['\n', '\r']) {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(line);
        out.push('\n');
    }
}

impl<T: Serialize> Event<T> {
    /// The event in the wire format, ending with its blank line.
    fn encode(&self) -> Result<Bytes, serde_json::Error> {
        let mut out = String::new();
        if let Some(name) = &self.event {
            field(&mut out, "event", name);
        }
        if let Some(id) = &self.id {
            field(&mut out, "id", id);
        }
        if let Some(retry) = self.retry {
            field(&mut out, "retry", &retry.as_millis().to_string());
        }
        // Compact JSON has no line breaks: one `data:` line.
        field(&mut out, "data", &serde_json::to_string(&self.data)?);
        out.push('\n');
        Ok(Bytes::from(out))
    }
}

/// A `text/event-stream` response: each [`Event<T>`] of a stream as it comes, with a
/// keep-alive comment after every quiet period (15 s by default) so that proxies keep the
/// connection open. A client that goes away drops the stream. Documented as a 200 of
/// `text/event-stream` with `T`'s schema.
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::sse::{Event, Sse};
///
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct Progress { done: u32, of: u32 }
///
/// /// Progress of the import, as events.
/// #[get("/import/progress")]
/// async fn progress() -> Sse<Progress> {
///     let events = (1..=3).map(|done| Event::new(Progress { done, of: 3 }).id(done.to_string()));
///     Sse::new(futures_util::stream::iter(events))
/// }
/// ```
///
/// A payload that fails to serialize ends the stream (logged).
pub struct Sse<T> {
    events: Pin<Box<dyn Stream<Item = Event<T>> + Send>>,
    keep_alive: Option<Duration>,
    _payload: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Sse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sse")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl<T: Serialize + Send + 'static> Sse<T> {
    /// Streams `events`.
    pub fn new(events: impl Stream<Item = Event<T>> + Send + 'static) -> Self {
        Self {
            events: Box::pin(events),
            keep_alive: Some(Duration::from_secs(15)),
            _payload: PhantomData,
        }
    }

    /// Sends a keep-alive comment after `period` without an event (default 15 s).
    #[must_use]
    pub fn keep_alive(mut self, period: Duration) -> Self {
        self.keep_alive = Some(period);
        self
    }

    /// Sends no keep-alive comments.
    #[must_use]
    pub fn no_keep_alive(mut self) -> Self {
        self.keep_alive = None;
        self
    }
}

/// The events as wire chunks, with keep-alive comments when quiet. The timer is made on
/// the first poll, on the connection's task: `into_response` of a sync handler runs on the
/// blocking pool, outside the runtime's timer.
struct Frames<T> {
    events: Pin<Box<dyn Stream<Item = Event<T>> + Send>>,
    period: Option<Duration>,
    quiet: Option<Pin<Box<tokio::time::Sleep>>>,
    done: bool,
}

impl<T: Serialize> Stream for Frames<T> {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.events.as_mut().poll_next(cx) {
            Poll::Ready(Some(event)) => {
                if let (Some(period), Some(quiet)) = (this.period, &mut this.quiet) {
                    quiet.as_mut().reset(tokio::time::Instant::now() + period);
                }
                match event.encode() {
                    Ok(bytes) => Poll::Ready(Some(Ok(bytes))),
                    Err(e) => {
                        this.done = true;
                        tracing::error!(error = %e, "an event's data did not serialize; the event stream ends");
                        Poll::Ready(Some(Err(e.into())))
                    }
                }
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let Some(period) = this.period else {
                    return Poll::Pending;
                };
                let quiet = this
                    .quiet
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(period)));
                if quiet.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                quiet.as_mut().reset(tokio::time::Instant::now() + period);
                Poll::Ready(Some(Ok(Bytes::from_static(b":\n\n"))))
            }
        }
    }
}

impl<T: Serialize + JsonSchema + Send + 'static> IntoResponse for Sse<T> {
    fn into_response(self) -> Response {
        let frames = Frames {
            events: self.events,
            period: self.keep_alive,
            quiet: None,
            done: false,
        };
        let mut res = Response::new(Body::from_stream(frames));
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        // Proxies that buffer (nginx) would hold the events back.
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        res
    }

    /// Each event of the stream, as OpenAPI 3.2's `itemSchema` for `text/event-stream` puts
    /// it (and as fuzzers such as schemathesis read a 3.1 `schema` there): the event's
    /// fields, `data` being `T` as JSON text.
    fn describe(op: &mut OperationDoc<'_>) {
        let payload = op.schema_for::<T>();
        let event = serde_json::json!({
            "type": "object",
            "description": "One server-sent event; `data` is the payload as JSON text.",
            "properties": {
                "data": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": payload,
                },
                "event": {"type": "string"},
                "id": {"type": "string"},
                "retry": {"type": "integer", "minimum": 0},
            },
        });
        op.success(Some(("text/event-stream", event)));
    }
}
