//! [`App`], a built server, and how it answers a request: check the head, route, enter the
//! API's and then the route's layers (when there are any), authenticate, extract, run the
//! handler, let the API's error handler reshape a problem.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use http::request::Parts;
use http::{Request, StatusCode, header};
use tower::Service;

use crate::body::{Body, BoxError, RequestBody};
use crate::exec::Exec;
use crate::extract::{Limits, RequestCx, StateMap};
use crate::middleware::{BoxedService, DynService, LayerFn, MatchedPath, ResponseFuture, Stack};
use crate::openapi;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use crate::routing::{Lookup, PathRoutes, Route, RouteTable};
use crate::throttle::Phase;
use crate::tls::{Tls, TlsFiles};

/// Reshapes every problem answer of one API (see [`NinjaApi::error_handler`](crate::NinjaApi::error_handler)).
#[derive(Clone)]
pub(crate) struct ErrorHandler {
    pub(crate) reshape: Arc<dyn Fn(Problem) -> Response + Send + Sync>,
    pub(crate) describe: fn(&mut openapi::OperationDoc<'_>),
}

/// The server-wide settings, every value decided.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) blocking_threads: usize,
    pub(crate) blocking_queue: usize,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) drain_delay: Duration,
    pub(crate) header_read_timeout: Duration,
    pub(crate) backlog: u32,
    pub(crate) max_connections: usize,
    pub(crate) max_uri_len: usize,
    pub(crate) max_header_bytes: usize,
    /// 0: tokio's default, one per core.
    #[allow(dead_code, reason = "read from the settings before the runtime exists")]
    pub(crate) worker_threads: usize,
    pub(crate) reuse_port: bool,
    pub(crate) tls: Option<TlsFiles>,
}

/// A built server: cheap to clone, ready to serve or to call in-process.
///
/// It is also a [`tower::Service`] for requests with any [`Bytes`] body, so another server
/// can serve it or an axum app can nest it (`Router::nest_service("/api", app)`).
#[derive(Clone, Debug)]
pub struct App(pub(crate) Arc<Shared>);

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) table: RouteTable,
    pub(crate) apis: Vec<ApiShared>,
    /// API indexes, longest prefix first.
    pub(crate) by_prefix: Vec<usize>,
    pub(crate) exec: Exec,
    pub(crate) config: Config,
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) tls: Option<Tls>,
    /// Whether requests need their [`ClientAddr`](crate::ClientAddr) (an IP throttle):
    /// the server inserts it only then.
    pub(crate) needs_client_addr: bool,
}

/// What one API keeps at run time.
pub(crate) struct ApiShared {
    pub(crate) openapi: Bytes,
    pub(crate) state: StateMap,
    pub(crate) limits: Limits,
    pub(crate) error_handler: Option<ErrorHandler>,
    pub(crate) routes: Vec<Route>,
    pub(crate) title: String,
    pub(crate) version: String,
    pub(crate) description: Option<String>,
    pub(crate) prefix: String,
    /// The API's layers, innermost first, until [`App::new`] stacks them (then empty).
    pub(crate) layers: Vec<LayerFn>,
    pub(crate) stack: Option<BoxedService>,
}

impl fmt::Debug for ApiShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiShared")
            .field("title", &self.title)
            .field("prefix", &self.prefix)
            .field("layered", &self.stack.is_some())
            .finish_non_exhaustive()
    }
}

impl ApiShared {
    /// Gives a problem answer to the API's error handler, if it has one.
    fn finish(&self, mut res: Response) -> Response {
        let Some(h) = &self.error_handler else {
            return res;
        };
        let Some(p) = res.body_mut().take_problem() else {
            return res;
        };
        let mut new = (h.reshape)(p);
        // Headers the problem carried (`Allow`, `Retry-After`, `WWW-Authenticate`) belong
        // to the answer whatever its body.
        for (name, value) in res.headers() {
            if name != header::CONTENT_TYPE && !new.headers().contains_key(name) {
                new.headers_mut().insert(name, value.clone());
            }
        }
        new
    }
}

/// How far into the layers a request already is: each stack ends in an [`Inner`] service
/// that routes the request again one level deeper, so no stack is entered twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// Not in any stack yet.
    Top,
    /// Inside the API's layers.
    Api,
    /// Inside the route's (its routers') layers.
    Route,
}

impl Depth {
    /// The stack to enter next, of the API's and the route's.
    fn next<'a>(
        self,
        api: Option<&'a BoxedService>,
        route: Option<&'a BoxedService>,
    ) -> Option<&'a BoxedService> {
        match self {
            Self::Top => api.or(route),
            Self::Api => route,
            Self::Route => None,
        }
    }
}

/// The innermost service of a stack: routes the request at the next depth. Holds the app
/// weakly, since the app holds the stack.
#[derive(Clone)]
struct Inner {
    shared: Weak<Shared>,
    depth: Depth,
}

impl DynService for Inner {
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }

    fn call(&mut self, req: Request<RequestBody>) -> ResponseFuture {
        let Some(shared) = self.shared.upgrade() else {
            // Only when a layer holds a request past the app's own end.
            let gone = Problem::new(StatusCode::SERVICE_UNAVAILABLE).into_response();
            return Box::pin(std::future::ready(gone));
        };
        let (parts, body) = req.into_parts();
        Box::pin(shared.route(parts, body, self.depth))
    }

    fn clone_box(&self) -> Box<dyn DynService> {
        Box::new(self.clone())
    }
}

/// Wraps `inner` in `layers`, innermost first.
fn stack(layers: &[LayerFn], inner: Inner) -> BoxedService {
    let mut service = BoxedService::new(inner);
    for layer in layers {
        service = layer(Stack::new(service));
    }
    service
}

impl App {
    /// The app for a checked route table and APIs: stacks the layers of every API and route
    /// that has some.
    pub(crate) fn new(
        mut table: RouteTable,
        mut apis: Vec<ApiShared>,
        by_prefix: Vec<usize>,
        config: Config,
        tls: Option<Tls>,
    ) -> Self {
        Self(Arc::new_cyclic(|weak: &Weak<Shared>| {
            let inner = |depth| Inner {
                shared: weak.clone(),
                depth,
            };
            for api in &mut apis {
                let layers = std::mem::take(&mut api.layers);
                if !layers.is_empty() {
                    api.stack = Some(stack(&layers, inner(Depth::Api)));
                }
            }
            table.stack_routes(|layers| stack(layers, inner(Depth::Route)));
            let needs_client_addr = apis
                .iter()
                .flat_map(|a| &a.routes)
                .any(|r| r.throttles().is_some_and(|t| t.needs_client_addr()));
            Shared {
                needs_client_addr,
                exec: Exec::new(config.blocking_threads, config.blocking_queue),
                table,
                apis,
                by_prefix,
                config,
                tls,
            }
        }))
    }

    /// Answers one request: route, authenticate, extract, run the handler, respond.
    ///
    /// The future owns what it needs (an `App` handle and the request head), so it is
    /// `'static`, as hyper wants, without another wrapper. Every value alive across an
    /// `.await` takes room in it for as long as the request lasts, and hyper keeps one per
    /// connection: it is `Shared::route`'s own future (an `async` wrapper around it would
    /// keep a second copy of the head), and the layered paths are boxed.
    pub fn call(&self, req: Request<RequestBody>) -> impl Future<Output = Response> + Send + use<> {
        let (parts, body) = req.into_parts();
        Arc::clone(&self.0).route(parts, body, Depth::Top)
    }

    fn first(&self) -> &ApiShared {
        &self.0.apis[0]
    }

    /// The (first) API's title.
    #[must_use]
    pub fn title(&self) -> &str {
        &self.first().title
    }

    /// The (first) API's version.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.first().version
    }

    /// The (first) API's description.
    #[must_use]
    pub fn description(&self) -> Option<&str> {
        self.first().description.as_deref()
    }

    /// The (first) API's OpenAPI 3.1 document, built once at start-up.
    #[must_use]
    pub fn openapi_json(&self) -> &str {
        std::str::from_utf8(&self.first().openapi).expect("serde_json writes UTF-8")
    }

    /// The OpenAPI document of the API served under `prefix` (`""` for none).
    #[must_use]
    pub fn openapi_json_of(&self, prefix: &str) -> Option<&str> {
        let api = self.0.apis.iter().find(|a| a.prefix == prefix)?;
        std::str::from_utf8(&api.openapi).ok()
    }

    /// The OpenAPI document of every API, in registration order.
    #[cfg(feature = "contract")]
    pub(crate) fn documents(&self) -> impl Iterator<Item = &[u8]> {
        self.0.apis.iter().map(|api| &api.openapi[..])
    }

    /// Every route of the (first) API, in registration order, as served.
    #[must_use]
    pub fn routes(&self) -> &[Route] {
        &self.first().routes
    }

    pub(crate) fn drain_delay(&self) -> Duration {
        self.0.config.drain_delay
    }

    pub(crate) fn header_read_timeout(&self) -> Duration {
        self.0.config.header_read_timeout
    }

    pub(crate) fn shutdown_timeout(&self) -> Duration {
        self.0.config.shutdown_timeout
    }

    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn tls(&self) -> Option<&Tls> {
        self.0.tls.as_ref()
    }

    pub(crate) fn exec(&self) -> &Exec {
        &self.0.exec
    }

    pub(crate) fn needs_client_addr(&self) -> bool {
        self.0.needs_client_addr
    }

    pub(crate) fn max_connections(&self) -> usize {
        self.0.config.max_connections
    }
}

/// An `App` serves requests with any [`Bytes`] body: an axum app can
/// `nest_service("/api", app)`, another server can run it.
impl<B> Service<Request<B>> for App
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        Box::pin(App::call(self, req.map(RequestBody::new)).map(Ok))
    }
}

/// What routing at one depth ends in: an answer, or a stack to enter (boxed, so that
/// `Step` is no larger than a response: the path without layers moves only that).
enum Step {
    Done(Response),
    Enter(Box<Entering>),
}

/// A stack to enter with a request.
struct Entering {
    stack: BoxedService,
    req: Request<RequestBody>,
    /// Keeps the app alive while the stack runs: its innermost service holds it weakly.
    app: Arc<Shared>,
    /// The API whose error handler reshapes the stack's problems (its layers' own: a load
    /// shedder's 503, a timeout's 408).
    api: Option<usize>,
}

pin_project_lite::pin_project! {
    /// The future of [`Shared::route`]: the routing step, then, if it ended at a stack, the
    /// stack's readiness and its answer. Hand-written because `then` with a `ready` future
    /// measured ~200 instructions more per request (callgrind), moving the response through
    /// two more futures, and tower's `Oneshot` would box once more.
    #[project = RoutedProj]
    enum Routed<F> {
        Routing { #[pin] step: F },
        Readying { entering: Option<Box<Entering>> },
        Entered { answer: ResponseFuture, app: Arc<Shared>, api: Option<usize> },
    }
}

impl<F: Future<Output = Step>> Future for Routed<F> {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        loop {
            match self.as_mut().project() {
                RoutedProj::Routing { step } => match std::task::ready!(step.poll(cx)) {
                    Step::Done(res) => return Poll::Ready(res),
                    Step::Enter(entering) => self.set(Self::Readying {
                        entering: Some(entering),
                    }),
                },
                RoutedProj::Readying { entering } => {
                    let e = entering.as_mut().expect("entered once");
                    std::task::ready!(e.stack.poll_ready(cx));
                    let Entering {
                        mut stack,
                        req,
                        app,
                        api,
                    } = *entering.take().expect("entered once");
                    let answer = stack.call(req);
                    self.set(Self::Entered { answer, app, api });
                }
                RoutedProj::Entered { answer, app, api } => {
                    let res = std::task::ready!(answer.as_mut().poll(cx));
                    return Poll::Ready(match api {
                        Some(i) => app.apis[*i].finish(res),
                        None => res,
                    });
                }
            }
        }
    }
}

/// Notes the route a request matched, for layers to read: set on the way in (`Top`), kept
/// below, so an app mounted in another names its own routes.
fn matched(
    mut parts: Parts,
    at: &PathRoutes,
    body: RequestBody,
    depth: Depth,
) -> Request<RequestBody> {
    if depth == Depth::Top || parts.extensions.get::<MatchedPath>().is_none() {
        parts
            .extensions
            .insert(MatchedPath(Arc::clone(&at.template)));
    }
    Request::from_parts(parts, body)
}

impl Shared {
    /// Routes a request `depth` deep into the layers: enters the next stack its API or route
    /// has, or, below every stack, answers it.
    ///
    /// Written for the size of the future, which hyper keeps per connection: a plain `fn`
    /// returning an `async` block (an `async fn` moves its arguments into locals when it
    /// starts, and both copies of the head would take room), and a stack to enter is
    /// returned from the block and awaited after it (awaited inside, it measured 270 bytes
    /// more, on the path without layers too).
    fn route(
        self: Arc<Self>,
        parts: Parts,
        body: RequestBody,
        depth: Depth,
    ) -> impl Future<Output = Response> + Send {
        let step = async move {
            let enter = |stack: &BoxedService, req, api| {
                Step::Enter(Box::new(Entering {
                    stack: stack.clone(),
                    req,
                    app: Arc::clone(&self),
                    api,
                }))
            };
            if depth == Depth::Top
                && let Err(p) = self.check_head(&parts)
            {
                return Step::Done(self.unrouted(parts.uri.path(), p));
            }
            Step::Done(match self.table.lookup(&parts.method, parts.uri.path()) {
                Lookup::Found(target, params, at) => {
                    let api = &self.apis[target.api];
                    if let Some(stack) = depth.next(api.stack.as_ref(), target.stack.as_ref()) {
                        let req = matched(parts, at, body, depth);
                        return enter(stack, req, Some(target.api));
                    }
                    // Boxed, like the auth check: only throttled routes pay for them.
                    let mut counts: Option<Box<String>> = None;
                    if let Some(t) = &target.throttle {
                        let mut c = Box::default();
                        let checked =
                            Box::pin(t.check(Phase::BeforeAuth, &parts, None, None, &mut c));
                        if let Err(p) = checked.await {
                            return Step::Done(api.finish(p.into_response()));
                        }
                        counts = Some(c);
                    }
                    let identity = match &target.auth {
                        // Boxed: only authenticated routes pay for the check's state.
                        Some(scheme) => {
                            match Box::pin(scheme.authenticate(&parts, &self.exec)).await {
                                Ok((identity, accepted_by)) => {
                                    // User and key throttles: only on authenticated routes
                                    // (a build error otherwise), keyed by the scheme that
                                    // accepted the request.
                                    if let (Some(t), Some(c)) = (&target.throttle, &mut counts)
                                        && t.has_after_auth()
                                    {
                                        let checked = Box::pin(t.check(
                                            Phase::AfterAuth,
                                            &parts,
                                            Some(&identity),
                                            Some(accepted_by),
                                            c,
                                        ));
                                        if let Err(p) = checked.await {
                                            return Step::Done(api.finish(p.into_response()));
                                        }
                                    }
                                    Some(identity)
                                }
                                Err(p) => return Step::Done(api.finish(p.into_response())),
                            }
                        }
                        None => None,
                    };
                    let limits = match target.body_limit {
                        None => api.limits,
                        Some(bytes) => api.limits.with_body(bytes),
                    };
                    let cx =
                        RequestCx::new(&parts, params, &api.state, limits, identity, &self.exec);
                    let mut res = (target.handler)(cx, body, &self.exec).await;
                    if let Some(media_type) = &target.content_type
                        && res.status().is_success()
                    {
                        res.headers_mut()
                            .insert(header::CONTENT_TYPE, media_type.clone());
                    }
                    let mut res = api.finish(res);
                    if let (Some(t), Some(c)) = (&target.throttle, &counts) {
                        t.stamp(&mut res, c);
                    }
                    res
                }
                Lookup::Options(allow, route_stack, at) => {
                    if let Some(stack) = depth.next(self.apis[at.api].stack.as_ref(), route_stack) {
                        return enter(stack, matched(parts, at, body, depth), Some(at.api));
                    }
                    let mut res = Response::new(Body::empty());
                    *res.status_mut() = StatusCode::NO_CONTENT;
                    res.headers_mut().insert(header::ALLOW, allow.clone());
                    res
                }
                Lookup::Mount(service, rest, at) => {
                    if let Some(stack) = depth.next(self.apis[at.api].stack.as_ref(), None) {
                        return enter(stack, matched(parts, at, body, depth), Some(at.api));
                    }
                    let uri = below_prefix(&parts.uri, rest);
                    let mut req = matched(parts, at, body, depth);
                    *req.uri_mut() = uri;
                    return enter(service, req, Some(at.api));
                }
                Lookup::MethodNotAllowed(allow, at) => {
                    let api = &self.apis[at.api];
                    if let Some(stack) = depth.next(api.stack.as_ref(), None) {
                        return enter(stack, matched(parts, at, body, depth), Some(at.api));
                    }
                    api.finish(
                        Problem::new(StatusCode::METHOD_NOT_ALLOWED)
                            .with_detail(format!(
                                "{} is not allowed here; see `Allow`",
                                parts.method
                            ))
                            .with_header(header::ALLOW, allow.clone())
                            .into_response(),
                    )
                }
                Lookup::NotFound => {
                    let owner = self.owner(parts.uri.path());
                    let stack = owner.and_then(|i| self.apis[i].stack.as_ref());
                    if let Some(stack) = depth.next(stack, None) {
                        return enter(stack, Request::from_parts(parts, body), owner);
                    }
                    self.unrouted(
                        parts.uri.path(),
                        Problem::not_found(format!(
                            "no route for {} {}",
                            parts.method,
                            parts.uri.path()
                        )),
                    )
                }
            })
        };
        Routed::Routing { step }
    }

    /// Refuses request heads over the server's limits: an over-long target (414), an
    /// oversized header section (431).
    fn check_head(&self, parts: &Parts) -> Result<(), Problem> {
        let config = &self.config;
        let target = parts.uri.path_and_query().map_or(0, |p| p.as_str().len());
        if target > config.max_uri_len {
            return Err(Problem::new(StatusCode::URI_TOO_LONG).with_detail(format!(
                "the request target is {target} bytes; at most {} are accepted",
                config.max_uri_len
            )));
        }
        let header_bytes: usize = parts
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        if header_bytes > config.max_header_bytes {
            return Err(
                Problem::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE).with_detail(format!(
                    "the headers are {header_bytes} bytes; at most {} are accepted",
                    config.max_header_bytes
                )),
            );
        }
        Ok(())
    }

    /// The API whose prefix `path` is under (the longest prefix winning), if any.
    fn owner(&self, path: &str) -> Option<usize> {
        self.by_prefix.iter().copied().find(|&i| {
            path.strip_prefix(self.apis[i].prefix.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// Answers `problem` for a request no route took, through the error handler of the API
    /// that owns `path`, if any.
    fn unrouted(&self, path: &str, problem: Problem) -> Response {
        let res = problem.into_response();
        match self.owner(path) {
            Some(i) => self.apis[i].finish(res),
            None => res,
        }
    }
}

/// The URI a mounted service sees: the path below its prefix (`/` at least) and the query;
/// scheme and authority (HTTP/2 carries the host there) kept.
fn below_prefix(uri: &http::Uri, rest: &str) -> http::Uri {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let target = format!("/{}{query}", rest.trim_start_matches('/'));
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = http::uri::PathAndQuery::try_from(target).ok();
    http::Uri::from_parts(parts).unwrap_or_else(|_| http::Uri::from_static("/"))
}

#[cfg(test)]
mod tests {
    use super::below_prefix;

    #[test]
    fn a_mounted_service_sees_the_rest_of_the_path_the_query_and_the_host() {
        let uri: http::Uri = "https://shop.example/static/css/a%20b.css?v=2"
            .parse()
            .expect("a URI");
        let below = below_prefix(&uri, "css/a%20b.css");
        assert_eq!(below.to_string(), "https://shop.example/css/a%20b.css?v=2");
        let root: http::Uri = "/static".parse().expect("a URI");
        assert_eq!(below_prefix(&root, "").to_string(), "/");
    }
}
