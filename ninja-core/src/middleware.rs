//! tower in: layers on an API or a router, foreign services mounted under a prefix.
//!
//! Every layer and mounted service is adapted once, at start-up, to one boxed service type
//! ([`BoxedService`]): requests carry a [`RequestBody`], responses a [`Body`], errors are
//! turned into problem answers. An API or route without layers keeps `None` and is called
//! directly: no box, no virtual call.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::FutureExt as _;
use http::{HeaderValue, Request, StatusCode, header};
use tower::{Layer, Service, ServiceExt as _};

use crate::body::{Body, BoxError, RequestBody};
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// The future of a boxed service: the response, never an error.
pub(crate) type ResponseFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// What every layer stack and mounted service becomes: one service behind one shared
/// pointer, called as a oneshot. Each request gets its own clone of the service, made ready,
/// called and dropped (tower's `Oneshot`), in the one box of the answer's future: so what
/// `poll_ready` reserved (a concurrency limit's permit) goes with that request, and cloning a
/// `BoxedService` is a reference count, not an allocation. (A clone boxed apart from its
/// future, then the future boxed again, measured three allocations more a request through a
/// typical stack, callgrind.)
#[derive(Clone)]
pub(crate) struct BoxedService(Arc<dyn DynService>);

/// The object-safe face of a service answering [`ResponseFuture`]s.
pub(crate) trait DynService: Send + Sync + 'static {
    /// Answers `req`: a layer stack with a clone of itself, driven readiness first; the
    /// routing service below every stack by routing it.
    fn oneshot(&self, req: Request<RequestBody>) -> ResponseFuture;
}

impl BoxedService {
    pub(crate) fn new(service: impl DynService) -> Self {
        Self(Arc::new(service))
    }

    pub(crate) fn oneshot(&self, req: Request<RequestBody>) -> ResponseFuture {
        self.0.oneshot(req)
    }
}

/// A layer, kept until the API is built: wraps a stack into a bigger one.
pub(crate) type LayerFn = Arc<dyn Fn(Stack) -> BoxedService + Send + Sync>;

/// The service a layer wraps: the rest of the stack below it, down to routing and the
/// handler. Takes a request with any [`Bytes`] body (so a layer may change the body type)
/// and answers a [`Response`]; never fails.
///
/// Always ready, as axum's routes are: each request drives its own clone of what is below
/// (the next `.layer()`'s service), readiness first. So backpressure does not cross
/// `.layer()` calls: put `load_shed()` in the same `ServiceBuilder` as the limit it watches;
/// and a request waiting for a limit added in a later-run `.layer()` waits inside the
/// layers above it (their timeouts, trace latencies and Ninja's metrics count the wait).
#[derive(Clone)]
pub struct Stack(BoxedService);

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack").finish_non_exhaustive()
    }
}

impl Stack {
    pub(crate) fn new(inner: BoxedService) -> Self {
        Self(inner)
    }
}

impl<B> Service<Request<B>> for Stack
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Infallibly;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        Infallibly(self.0.oneshot(req.map(RequestBody::new)))
    }
}

/// The future of [`Stack`]: its response, as the `Ok` tower wants.
pub struct Infallibly(ResponseFuture);

impl fmt::Debug for Infallibly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Infallibly").finish_non_exhaustive()
    }
}

impl Future for Infallibly {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx).map(Ok)
    }
}

/// A service Ninja can serve inside or under an API: the service of a
/// [`NinjaApi::layer`](crate::NinjaApi::layer), or one given to
/// [`NinjaApi::mount`](crate::NinjaApi::mount).
///
/// Implemented for every `S: tower::Service<http::Request<RequestBody>>` that is
/// `Clone + Send + Sync + 'static`, answers `http::Response<B>` for a body `B` of [`Bytes`]
/// frames (`Send + 'static`, its error `Into<BoxError>`; boxed once unless it is a
/// [`Body`]), fails with an error `Into<BoxError>` (answered as a problem) and has a
/// `Send + 'static` future. Sealed: it names these bounds once.
pub trait HttpService: sealed::Sealed + Clone + Send + Sync + 'static {}

impl<S: sealed::Sealed + Clone + Send + Sync + 'static> HttpService for S {}

pub(crate) mod sealed {
    use super::BoxedService;

    /// Holds the bounds of [`HttpService`](super::HttpService), and how to box one.
    #[allow(private_interfaces)]
    pub trait Sealed {
        fn into_boxed(self) -> BoxedService;
    }
}

impl<S, ResB> sealed::Sealed for S
where
    S: Service<Request<RequestBody>, Response = http::Response<ResB>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    ResB: http_body::Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    #[allow(private_interfaces)]
    fn into_boxed(self) -> BoxedService {
        BoxedService::new(Adapt(self))
    }
}

/// Adapts `layer` to [`LayerFn`].
pub(crate) fn layer_fn<L>(layer: L) -> LayerFn
where
    L: Layer<Stack> + Send + Sync + 'static,
    L::Service: HttpService,
{
    Arc::new(move |stack| sealed::Sealed::into_boxed(layer.layer(stack)))
}

/// A service made infallible, with a [`Body`]: what [`HttpService`]s are boxed as.
struct Adapt<S>(S);

impl<S, ResB> DynService for Adapt<S>
where
    S: Service<Request<RequestBody>, Response = http::Response<ResB>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    ResB: http_body::Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    fn oneshot(&self, req: Request<RequestBody>) -> ResponseFuture {
        Box::pin(self.0.clone().oneshot(req).map(|r| match r {
            Ok(res) => res.map(Body::new),
            Err(e) => error_response(&*e.into()),
        }))
    }
}

/// The problem answer for a layer's error: tower's load shedding (`Overloaded`) is a 503,
/// its `Timeout` a 408 (as tower-http's `TimeoutLayer` answers), anything else a 500.
fn error_response(e: &(dyn std::error::Error + Send + Sync + 'static)) -> Response {
    if e.is::<tower::load_shed::error::Overloaded>() {
        return Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            .with_detail("the server is overloaded; try again shortly")
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
            .into_response();
    }
    if e.is::<tower::timeout::error::Elapsed>() {
        return Problem::new(StatusCode::REQUEST_TIMEOUT)
            .with_detail("the request took longer than the server's time limit")
            .into_response();
    }
    tracing::error!(error = %e, "a layer failed");
    Problem::internal().into_response()
}

/// The path template of the route a request matched (`/items/{item_id}`), or the prefix of
/// the service mounted there: a request extension that layers can read, for instance to
/// name a trace span after the route rather than the raw path.
///
/// Set on requests that go through at least one layer (a route without layers does not pay
/// for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedPath(pub(crate) Arc<str>);

impl MatchedPath {
    /// The template, as the route was registered.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
