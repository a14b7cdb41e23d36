//! Bodies: [`Body`] for responses, [`RequestBody`] for requests.
//!
//! Both are small enums instead of boxed trait objects so that the common cases (a whole
//! response already in memory, a request from hyper) cost no allocation; any other
//! [`http_body::Body`] (a layer's, a stream, a mounted service's) is boxed once.

use std::any::Any;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt as _;
use http_body_util::combinators::UnsyncBoxBody;

use crate::problem::Problem;

/// The error type of boxed bodies and of layers' services: any error, sendable.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Takes `value` as a `T` when it is one, else gives it back: how a body that is already
/// ours avoids a second box.
fn downcast<T: 'static, K: 'static>(value: K) -> Result<T, K> {
    let mut slot = Some(value);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>() {
        Some(t) => Ok(t.take().expect("just filled")),
        None => Err(slot.expect("not taken")),
    }
}

/// A response body: the bytes of a response serialized once, up front (no allocation
/// beyond them), or any [`http_body::Body`] streamed frame by frame (boxed once).
///
/// A problem answer also keeps its [`Problem`] here (one pointer, no allocation), for an
/// API's error handler to reshape; it is never sent.
#[derive(Debug, Default)]
pub struct Body {
    kind: Repr,
    problem: Option<Problem>,
}

enum Repr {
    /// Empty bytes mean no body (`Bytes::new()` allocates nothing).
    Full(Bytes),
    Boxed(UnsyncBoxBody<Bytes, BoxError>),
}

impl Default for Repr {
    fn default() -> Self {
        Self::Full(Bytes::new())
    }
}

impl std::fmt::Debug for Repr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Full(b) => f.debug_tuple("Full").field(&b.len()).finish(),
            Self::Boxed(_) => f.write_str("Boxed"),
        }
    }
}

impl Body {
    /// An empty body.
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            kind: Repr::Full(Bytes::new()),
            problem: None,
        }
    }

    /// Any body whose frames hold [`Bytes`]: a layer's, a mounted service's, a stream's
    /// (see [`http_body_util::StreamBody`]). A `Body` given here is taken as it is.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        downcast::<Self, B>(body).unwrap_or_else(|body| Self {
            kind: Repr::Boxed(body.map_err(Into::into).boxed_unsync()),
            problem: None,
        })
    }

    pub(crate) fn problem(bytes: Bytes, problem: Problem) -> Self {
        Self {
            kind: Repr::Full(bytes),
            problem: Some(problem),
        }
    }

    /// The problem this body was serialized from, if any.
    pub(crate) fn take_problem(&mut self) -> Option<Problem> {
        self.problem.take()
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Self {
            kind: Repr::Full(b),
            problem: None,
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Bytes::from(v).into()
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Bytes::from_static(s.as_bytes()).into()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            Repr::Full(b) if b.is_empty() => Poll::Ready(None),
            Repr::Full(b) => Poll::Ready(Some(Ok(Frame::data(std::mem::take(b))))),
            Repr::Boxed(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Repr::Full(b) => b.is_empty(),
            Repr::Boxed(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Repr::Full(b) => SizeHint::with_exact(b.len() as u64),
            Repr::Boxed(b) => b.size_hint(),
        }
    }
}

/// A request body: streamed from the connection, given whole (by the test client), or any
/// other body a layer or an outer server hands over (boxed once).
#[derive(Debug)]
pub struct RequestBody(RequestKind);

enum RequestKind {
    Incoming(hyper::body::Incoming),
    Full(Option<Bytes>),
    Boxed(UnsyncBoxBody<Bytes, BoxError>),
}

impl std::fmt::Debug for RequestKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Incoming(b) => b.fmt(f),
            Self::Full(b) => f.debug_tuple("Full").field(b).finish(),
            Self::Boxed(_) => f.write_str("Boxed"),
        }
    }
}

impl RequestBody {
    /// A body that is already in memory.
    #[must_use]
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self(RequestKind::Full(Some(bytes.into())))
    }

    /// An empty body.
    #[must_use]
    pub fn empty() -> Self {
        Self(RequestKind::Full(None))
    }

    /// Any body whose frames hold [`Bytes`] (an outer server's, a layer's). A
    /// `RequestBody` or hyper's `Incoming` given here is taken as it is.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        downcast::<Self, B>(body)
            .or_else(|body| downcast::<hyper::body::Incoming, B>(body).map(Self::from))
            .unwrap_or_else(|body| {
                Self(RequestKind::Boxed(body.map_err(Into::into).boxed_unsync()))
            })
    }
}

impl From<hyper::body::Incoming> for RequestBody {
    fn from(b: hyper::body::Incoming) -> Self {
        Self(RequestKind::Incoming(b))
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().0 {
            RequestKind::Incoming(b) => Pin::new(b).poll_frame(cx).map_err(Into::into),
            RequestKind::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            RequestKind::Boxed(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            RequestKind::Incoming(b) => b.is_end_stream(),
            RequestKind::Full(b) => b.is_none(),
            RequestKind::Boxed(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            RequestKind::Incoming(b) => b.size_hint(),
            RequestKind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            RequestKind::Boxed(b) => b.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_of_ours_is_not_boxed_again() {
        let b = Body::new(Body::from("hi"));
        assert!(matches!(b.kind, Repr::Full(ref x) if x == "hi"));
        let r = RequestBody::new(RequestBody::full("x"));
        assert!(matches!(r.0, RequestKind::Full(Some(_))));
    }

    #[test]
    fn a_foreign_body_is_boxed_and_streams() {
        let b = Body::new(http_body_util::Full::new(Bytes::from_static(b"abc")));
        assert!(matches!(b.kind, Repr::Boxed(_)));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("rt");
        let bytes = rt.block_on(b.collect()).expect("infallible").to_bytes();
        assert_eq!(bytes, "abc");
    }

    #[test]
    fn a_full_body_stays_as_small_as_before() {
        // `Full(Bytes)` and a box share one niche: no tag word on the hot path.
        assert_eq!(size_of::<Repr>(), size_of::<Bytes>());
    }
}
