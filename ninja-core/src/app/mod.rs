//! [`App`], a built server: its APIs, routes, settings and executor, shared by every
//! connection, and its face as a tower `Service` (how it answers is in `dispatch`).

mod dispatch;

use dispatch::{Depth, Inner, stack};

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use http::{Request, header};
use tower::Service;

use crate::body::{BoxError, RequestBody};
use crate::exec::Exec;
use crate::extract::{Limits, StateMap};
use crate::middleware::{BoxedService, LayerFn};
use crate::openapi;
use crate::problem::Problem;
use crate::response::Response;
use crate::routing::{Route, RouteTable};
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
        self.reshape(&mut res);
        res
    }

    /// [`finish`](Self::finish) in place: the path of every routed request moves no
    /// response for it (a `Response` is 152 bytes; each move is a `memcpy`).
    fn reshape(&self, res: &mut Response) {
        let Some(h) = &self.error_handler else {
            return;
        };
        let Some(p) = res.body_mut().take_problem() else {
            return;
        };
        let mut new = (h.reshape)(p);
        // Headers the problem carried (`Allow`, `Retry-After`, `WWW-Authenticate`) belong
        // to the answer whatever its body.
        for (name, value) in res.headers() {
            if name != header::CONTENT_TYPE && !new.headers().contains_key(name) {
                new.headers_mut().insert(name, value.clone());
            }
        }
        *res = new;
    }
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
