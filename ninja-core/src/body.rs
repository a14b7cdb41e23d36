//! Bodies: [`Body`] for responses, [`RequestBody`] for requests.
//!
//! Both are small enums instead of boxed trait objects so that the common cases (a whole
//! response already in memory, a request from hyper) cost no allocation.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use crate::problem::Problem;
use http_body::{Frame, SizeHint};

/// A response body: the bytes of a response that has been serialized once, up front.
///
/// A problem answer also keeps its [`Problem`] here (one pointer, no allocation), for an
/// API's error handler to reshape; it is never sent.
#[derive(Debug, Default)]
pub struct Body(Option<Bytes>, Option<Problem>);

impl Body {
    /// An empty body.
    #[must_use]
    pub const fn empty() -> Self {
        Self(None, None)
    }

    pub(crate) fn problem(bytes: Bytes, problem: Problem) -> Self {
        Self(Some(bytes), Some(problem))
    }

    /// The problem this body was serialized from, if any.
    pub(crate) fn take_problem(&mut self) -> Option<Problem> {
        self.1.take()
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Self((!b.is_empty()).then_some(b), None)
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
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.take().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

/// A request body: streamed from the connection, or given whole (by the test client).
#[derive(Debug)]
pub struct RequestBody(Kind);

#[derive(Debug)]
enum Kind {
    Incoming(hyper::body::Incoming),
    Full(Option<Bytes>),
}

impl RequestBody {
    /// A body that is already in memory.
    #[must_use]
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self(Kind::Full(Some(bytes.into())))
    }

    /// An empty body.
    #[must_use]
    pub fn empty() -> Self {
        Self(Kind::Full(None))
    }
}

impl From<hyper::body::Incoming> for RequestBody {
    fn from(b: hyper::body::Incoming) -> Self {
        Self(Kind::Incoming(b))
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match &mut self.get_mut().0 {
            Kind::Incoming(b) => Pin::new(b).poll_frame(cx),
            Kind::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Incoming(b) => b.is_end_stream(),
            Kind::Full(b) => b.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Incoming(b) => b.size_hint(),
            Kind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
        }
    }
}
