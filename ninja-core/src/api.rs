//! [`NinjaApi`]: the builder users start from, and [`App`], what it builds.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, StatusCode, header};
use tokio::net::TcpListener;

use crate::auth::{AuthScheme, AuthSetting};
use crate::body::RequestBody;
use crate::docs_ui;
use crate::extract::{Limits, RequestCx, StateMap};
use crate::handler::Exec;
use crate::openapi;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use crate::router::Router;
use crate::routing::{Lookup, Route, RouteTable, join};
use crate::server;

/// An API: its title and version, its routes, its state and its limits.
///
/// ```no_run
/// use ninja_core::prelude::*;
///
/// /// Greets.
/// #[get("/hello")]
/// async fn hello(name: Option<String>) -> String {
///     format!("hello {}", name.as_deref().unwrap_or("world"))
/// }
///
/// fn main() -> std::io::Result<()> {
///     NinjaApi::new("Demo", "1.0").routes(routes![hello]).serve("127.0.0.1:8000")
/// }
/// ```
#[must_use = "an API does nothing until it is served"]
pub struct NinjaApi {
    title: String,
    version: String,
    description: Option<String>,
    prefix: String,
    routes: Vec<Route>,
    state: StateMap,
    auth: AuthSetting,
    error_handler: Option<ErrorHandler>,
    body_limit: usize,
    part_limit: Option<usize>,
    body_timeout: Duration,
    openapi_path: Option<String>,
    docs_path: Option<String>,
    server: Settings,
}

/// Reshapes every problem answer of one API (see [`NinjaApi::error_handler`]).
#[derive(Clone)]
struct ErrorHandler {
    reshape: Arc<dyn Fn(Problem) -> Response + Send + Sync>,
    describe: fn(&mut openapi::OperationDoc<'_>),
}

/// Server-wide settings: one pool, one listener, one shutdown for every API served.
/// `None` means "not set here".
#[derive(Debug, Clone, Default)]
struct Settings {
    blocking_threads: Option<usize>,
    blocking_queue: Option<usize>,
    shutdown_timeout: Option<Duration>,
    header_read_timeout: Option<Duration>,
    backlog: Option<u32>,
    max_connections: Option<usize>,
    max_uri_len: Option<usize>,
    max_header_bytes: Option<usize>,
}

/// [`Settings`] with every value decided.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) blocking_threads: usize,
    pub(crate) blocking_queue: usize,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) header_read_timeout: Duration,
    pub(crate) backlog: u32,
    pub(crate) max_connections: usize,
    pub(crate) max_uri_len: usize,
    pub(crate) max_header_bytes: usize,
}

impl Settings {
    /// The server's own values, else the one value the APIs agree on, else the default.
    fn resolve<'a>(
        &self,
        apis: impl Iterator<Item = &'a Settings> + Clone,
        errors: &mut Vec<String>,
    ) -> Config {
        fn pick<T: PartialEq + Copy + fmt::Debug>(
            name: &str,
            own: Option<T>,
            apis: impl Iterator<Item = Option<T>>,
            default: T,
            errors: &mut Vec<String>,
        ) -> T {
            if let Some(v) = own {
                return v;
            }
            let mut chosen = None;
            for v in apis.flatten() {
                match chosen {
                    Some(c) if c != v => {
                        errors.push(format!(
                            "two APIs set `{name}` differently ({c:?} and {v:?}); it is one \
                             setting for the whole server: set it on the `Server`"
                        ));
                        return c;
                    }
                    _ => chosen = Some(v),
                }
            }
            chosen.unwrap_or(default)
        }
        // Each setting by its field name, with its default.
        macro_rules! config {
            ($($field:ident: $default:expr),* $(,)?) => {
                Config {
                    $($field: pick(
                        stringify!($field),
                        self.$field,
                        apis.clone().map(|s| s.$field),
                        $default,
                        errors,
                    ),)*
                }
            };
        }
        config! {
            blocking_threads: 512,
            blocking_queue: 1024,
            shutdown_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(30),
            backlog: 4096,
            max_connections: 20_000,
            max_uri_len: 8 * 1024,
            max_header_bytes: 16 * 1024,
        }
    }
}

/// The server-wide setters, shared by [`NinjaApi`] (serving alone) and [`Server`].
macro_rules! server_setters {
    () => {
        /// Threads of the blocking pool that runs sync handlers (default 512). One pool
        /// serves every API of a server.
        pub fn blocking_threads(mut self, n: usize) -> Self {
            self.server_settings().blocking_threads = Some(n.max(1));
            self
        }

        /// Sync calls that may wait for a blocking thread (default 1024); beyond, a 503.
        pub fn blocking_queue(mut self, n: usize) -> Self {
            self.server_settings().blocking_queue = Some(n);
            self
        }

        /// How long shutdown waits for in-flight requests before it gives up (default 10 s).
        pub fn shutdown_timeout(mut self, d: Duration) -> Self {
            self.server_settings().shutdown_timeout = Some(d);
            self
        }

        /// How long a client may take to send a request's headers, and how long a
        /// keep-alive or HTTP/2 connection may sit idle between requests (default 30 s).
        /// Checked once per period, so a quiet connection is closed one to two periods after
        /// it went quiet; a client trickling its headers (slowloris) is cut off; a request
        /// being answered, or a response being written, keeps the connection.
        pub fn header_read_timeout(mut self, d: Duration) -> Self {
            self.server_settings().header_read_timeout = Some(d);
            self
        }

        /// Connections served at once (default 20,000); beyond, a new connection is
        /// answered 503 with `Retry-After` and closed.
        pub fn max_connections(mut self, n: usize) -> Self {
            self.server_settings().max_connections = Some(n.max(1));
            self
        }

        /// The longest request target (path and query) accepted, in bytes (default 8 KiB);
        /// longer is a 414.
        pub fn max_uri_len(mut self, n: usize) -> Self {
            self.server_settings().max_uri_len = Some(n);
            self
        }

        /// The largest header section accepted (names and values, in bytes; default
        /// 16 KiB); larger is a 431. Beyond hyper's own buffer (about 400 KiB) hyper answers
        /// a bare 431 and closes the connection.
        pub fn max_header_bytes(mut self, n: usize) -> Self {
            self.server_settings().max_header_bytes = Some(n);
            self
        }
    };
}

impl fmt::Debug for NinjaApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NinjaApi")
            .field("title", &self.title)
            .field("version", &self.version)
            .field("prefix", &self.prefix)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl NinjaApi {
    /// A new API with its title and version (as its OpenAPI document will show them).
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            version: version.into(),
            description: None,
            prefix: String::new(),
            routes: Vec::new(),
            state: StateMap::default(),
            auth: AuthSetting::Inherit,
            error_handler: None,
            body_limit: 2 * 1024 * 1024,
            part_limit: None,
            body_timeout: Duration::from_secs(30),
            openapi_path: Some("/openapi.json".to_owned()),
            docs_path: Some("/docs".to_owned()),
            server: Settings::default(),
        }
    }

    fn server_settings(&mut self) -> &mut Settings {
        &mut self.server
    }

    server_setters!();

    /// A longer description of the API.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Serves the whole API under `prefix` (e.g. `/api/v1`): its routes, its document and
    /// its docs page. Several APIs with their own prefixes share one [`Server`].
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Adds routes, usually `routes![a, b, c]`.
    pub fn routes(mut self, routes: impl IntoIterator<Item = Route>) -> Self {
        self.routes.extend(routes);
        self
    }

    /// Mounts a [`Router`] (its prefix under the API's).
    pub fn router(mut self, router: Router) -> Self {
        self.routes.extend(router.into_routes());
        self
    }

    /// Authenticates every route that sets no auth of its own, nor its router.
    pub fn auth(mut self, scheme: AuthScheme) -> Self {
        self.auth = AuthSetting::On(scheme);
        self
    }

    /// Reshapes every problem answer of this API (bad input, 401, 404, 405, 503, panics,
    /// and the problems handlers return) before it is sent. The document describes the
    /// error responses with `R`'s schema instead of `ProblemDetails`.
    ///
    /// ```
    /// use ninja_core::prelude::*;
    ///
    /// #[derive(serde::Serialize, schemars::JsonSchema)]
    /// struct ApiError { code: u16, message: String }
    ///
    /// let api = NinjaApi::new("Demo", "1.0").error_handler(|p: Problem| {
    ///     let message = p.detail().unwrap_or(p.title()).to_owned();
    ///     (p.status(), Json(ApiError { code: p.status().as_u16(), message }))
    /// });
    /// ```
    pub fn error_handler<R, F>(mut self, f: F) -> Self
    where
        F: Fn(Problem) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.error_handler = Some(ErrorHandler {
            reshape: Arc::new(move |p| f(p).into_response()),
            describe: R::describe,
        });
        self
    }

    /// Registers shared state, taken by handlers as [`State<T>`](crate::State).
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// The largest request body accepted, in bytes (default 2 MiB); larger is a 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The largest part of a multipart body, in bytes (default: the body limit); larger is a 413.
    pub fn part_limit(mut self, bytes: usize) -> Self {
        self.part_limit = Some(bytes);
        self
    }

    /// How long a client may take to send a whole request body (default 30 s); a body
    /// that stops arriving is answered 408 and its connection closed.
    pub fn body_read_timeout(mut self, d: Duration) -> Self {
        self.body_timeout = d;
        self
    }

    /// Where the OpenAPI document is served, under the API's prefix (default `/openapi.json`).
    pub fn openapi_path(mut self, path: impl Into<String>) -> Self {
        self.openapi_path = Some(path.into());
        self
    }

    /// Where the docs page is served, under the API's prefix (default `/docs`; it
    /// redirects to `/docs/`).
    pub fn docs_path(mut self, path: impl Into<String>) -> Self {
        self.docs_path = Some(path.into());
        self
    }

    /// Serves no docs page (the document is still served).
    pub fn no_docs(mut self) -> Self {
        self.docs_path = None;
        self
    }

    /// Serves neither the document nor the docs page (`openapi_json` still builds it).
    pub fn no_openapi(mut self) -> Self {
        self.openapi_path = None;
        self.docs_path = None;
        self
    }

    /// The routes registered so far (with their routers' prefixes, not yet the API's).
    #[must_use]
    pub fn route_list(&self) -> &[Route] {
        &self.routes
    }

    fn info(&self) -> openapi::ApiInfo<'_> {
        openapi::ApiInfo {
            title: &self.title,
            version: &self.version,
            description: self.description.as_deref(),
            problem_body: self.error_handler.as_ref().map(|h| h.describe),
        }
    }

    /// The routes as served: under the API's prefix, with its auth filled in.
    fn resolved_routes(&self) -> Vec<Route> {
        let mut routes = self.routes.clone();
        for r in &mut routes {
            r.nest(&self.prefix, &[], &self.auth);
        }
        routes
    }

    /// The OpenAPI 3.1 document, as served at `/openapi.json` (pretty-printed JSON).
    pub fn openapi_json(&self) -> Result<String, BuildError> {
        let bytes = openapi::document(self.info(), &self.resolved_routes()).map_err(BuildError)?;
        Ok(String::from_utf8(bytes.to_vec()).expect("serde_json writes UTF-8"))
    }

    /// Checks the routes and builds the servable [`App`]. Every problem is reported at once.
    pub fn build(self) -> Result<App, BuildError> {
        Server::new().api(self).build()
    }

    /// Serves on `addr` until SIGINT or SIGTERM, on a runtime of its own; then stops
    /// accepting, lets in-flight requests finish, and returns within the shutdown timeout
    /// even if a sync handler is stuck.
    pub fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        Server::new().api(self).serve(addr)
    }

    /// Checks this API and turns it into what the server runs.
    fn assemble(self, errors: &mut Vec<String>) -> (ApiShared, Vec<Route>) {
        if !self.prefix.is_empty() && (!self.prefix.starts_with('/') || self.prefix.ends_with('/'))
        {
            errors.push(format!(
                "API prefix `{}` must start with `/` and not end with one, e.g. `/api/v1`",
                self.prefix
            ));
        }
        let routes = self.resolved_routes();
        let mut ids: HashMap<&str, &Route> = HashMap::new();
        for r in &routes {
            let id = r.operation().operation_id();
            if let Some(first) = ids.insert(id, r) {
                errors.push(format!(
                    "operation id `{id}` is used by both `{} {}` and `{} {}`; give one `operation_id = \"...\"`",
                    first.method(),
                    first.path(),
                    r.method(),
                    r.path()
                ));
            }
        }
        let spec = openapi::document(self.info(), &routes).unwrap_or_else(|e| {
            errors.extend(e);
            bytes::Bytes::new()
        });
        let mut state = self.state;
        let mut served = routes.clone();
        if let Some(openapi_path) = &self.openapi_path {
            let openapi_path = join(&self.prefix, openapi_path);
            let docs_path = self.docs_path.as_deref().map(|d| join(&self.prefix, d));
            served.extend(docs_ui::routes(&openapi_path, docs_path.as_deref()));
            state.insert(docs_ui::Assets::new(
                spec.clone(),
                &openapi_path,
                docs_path.as_deref(),
            ));
        }
        let api = ApiShared {
            openapi: spec,
            state,
            limits: Limits::new(
                self.body_limit,
                self.part_limit.unwrap_or(self.body_limit),
                self.body_timeout,
            ),
            error_handler: self.error_handler,
            routes,
            title: self.title,
            version: self.version,
            description: self.description,
            prefix: self.prefix,
        };
        (api, served)
    }
}

/// One server for several APIs, each under its own prefix with its own document and docs
/// page (django-ninja's versioning model), sharing the listener and the blocking pool.
///
/// ```no_run
/// use ninja_core::prelude::*;
///
/// #[get("/hello")]
/// async fn hello() -> &'static str { "hello" }
///
/// fn main() -> std::io::Result<()> {
///     let v1 = NinjaApi::new("Shop", "1.0").prefix("/api/v1").routes(routes![hello]);
///     let v2 = NinjaApi::new("Shop", "2.0").prefix("/api/v2").routes(routes![hello]);
///     Server::new().api(v1).api(v2).serve("127.0.0.1:8000")
/// }
/// ```
///
/// Server-wide settings (the pool, timeouts) are set here, or on an API when it is served
/// alone; two APIs that set one differently fail to build.
#[derive(Default)]
#[must_use = "a server does nothing until it is served"]
pub struct Server {
    apis: Vec<NinjaApi>,
    settings: Settings,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("apis", &self.apis)
            .field("settings", &self.settings)
            .finish()
    }
}

impl From<NinjaApi> for Server {
    fn from(api: NinjaApi) -> Self {
        Self::new().api(api)
    }
}

impl Server {
    /// A server with no API yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `api` (under its [`prefix`](NinjaApi::prefix)).
    pub fn api(mut self, api: NinjaApi) -> Self {
        self.apis.push(api);
        self
    }

    fn server_settings(&mut self) -> &mut Settings {
        &mut self.settings
    }

    server_setters!();

    /// Checks every API and builds the servable [`App`]. Every problem is reported at once.
    pub fn build(self) -> Result<App, BuildError> {
        let mut errors = Vec::new();
        if self.apis.is_empty() {
            errors.push("a server needs at least one API".to_owned());
        }
        let config = self
            .settings
            .resolve(self.apis.iter().map(|a| &a.server), &mut errors);
        let mut apis = Vec::new();
        let mut served = Vec::new();
        for (i, api) in self.apis.into_iter().enumerate() {
            let (api, routes) = api.assemble(&mut errors);
            apis.push(api);
            served.extend(routes.into_iter().map(|r| (i, r)));
        }
        let table = RouteTable::build(served.iter().map(|(i, r)| (*i, r)));
        let table = match table {
            Ok(t) if errors.is_empty() => t,
            Ok(_) => return Err(BuildError(errors)),
            Err(more) => {
                errors.extend(more);
                return Err(BuildError(errors));
            }
        };
        // The longest prefix first: the API a path that matches no route belongs to.
        let mut by_prefix: Vec<usize> = (0..apis.len()).collect();
        by_prefix.sort_by_key(|&i| std::cmp::Reverse(apis[i].prefix.len()));
        Ok(App(Arc::new(Shared {
            exec: Exec::new(config.blocking_threads, config.blocking_queue),
            table,
            apis,
            by_prefix,
            config,
        })))
    }

    /// Serves on `addr` until SIGINT or SIGTERM; see [`NinjaApi::serve`].
    pub fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let app = self.build().map_err(io::Error::other)?;
        let addr = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind"))?;
        let config = &app.0.config;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let grace = config.shutdown_timeout;
        let result = rt.block_on(async {
            let listener = server::bind(addr, app.0.config.backlog)?;
            for api in &app.0.apis {
                tracing::info!(
                    "{} {} listening on http://{}{}",
                    api.title,
                    api.version,
                    listener.local_addr()?,
                    api.prefix
                );
            }
            app.serve_on(listener, server::shutdown_signal()).await
        });
        rt.shutdown_timeout(grace);
        result
    }
}

/// Routes that could not be built, one message each.
#[derive(Debug, Clone)]
pub struct BuildError(Vec<String>);

impl BuildError {
    /// Every problem found.
    #[must_use]
    pub fn messages(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the API cannot be built: {}", self.0.join("; "))
    }
}

impl std::error::Error for BuildError {}

/// A built server: cheap to clone, ready to serve or to call in-process.
#[derive(Clone, Debug)]
pub struct App(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    table: RouteTable,
    apis: Vec<ApiShared>,
    /// API indexes, longest prefix first.
    by_prefix: Vec<usize>,
    exec: Exec,
    config: Config,
}

/// What one API keeps at run time.
struct ApiShared {
    openapi: bytes::Bytes,
    state: StateMap,
    limits: Limits,
    error_handler: Option<ErrorHandler>,
    routes: Vec<Route>,
    title: String,
    version: String,
    description: Option<String>,
    prefix: String,
}

impl fmt::Debug for ApiShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiShared")
            .field("title", &self.title)
            .field("prefix", &self.prefix)
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

impl App {
    /// Answers one request: route, authenticate, extract, run the handler, respond.
    ///
    /// The future owns what it needs (an `App` handle and the request head), so it is
    /// `'static`, as hyper wants, without another wrapper. It is written as one `async`
    /// block because every value alive across an `.await` takes room in it for as long as
    /// the request lasts, and hyper keeps one per connection: no second copy of the request.
    pub fn call(&self, req: Request<RequestBody>) -> impl Future<Output = Response> + Send + use<> {
        let app = self.clone();
        let (parts, body) = req.into_parts();
        async move {
            let shared = &*app.0;
            if let Err(p) = shared.check_head(&parts) {
                return shared.unrouted(parts.uri.path(), p);
            }
            match shared.table.lookup(&parts.method, parts.uri.path()) {
                Lookup::Found(target, params) => {
                    let api = &shared.apis[target.api];
                    let identity = match &target.auth {
                        // Boxed: only authenticated routes pay for the check's state.
                        Some(scheme) => {
                            match Box::pin(scheme.authenticate(&parts, &shared.exec)).await {
                                Ok(identity) => Some(identity),
                                Err(p) => return api.finish(p.into_response()),
                            }
                        }
                        None => None,
                    };
                    let cx = RequestCx::new(&parts, params, &api.state, api.limits, identity);
                    let res = (target.handler)(cx, body, &shared.exec).await;
                    api.finish(res)
                }
                Lookup::MethodNotAllowed(allow, api) => shared.apis[api].finish(
                    Problem::new(StatusCode::METHOD_NOT_ALLOWED)
                        .with_detail(format!("{} is not allowed here; see `Allow`", parts.method))
                        .with_header(header::ALLOW, allow.clone())
                        .into_response(),
                ),
                Lookup::NotFound => shared.unrouted(
                    parts.uri.path(),
                    Problem::not_found(format!(
                        "no route for {} {}",
                        parts.method,
                        parts.uri.path()
                    )),
                ),
            }
        }
    }

    /// Serves connections from `listener` until `shutdown` completes, then drains in-flight
    /// requests for at most the shutdown timeout. Runs on the caller's runtime.
    pub async fn serve_on(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        server::run(self.clone(), listener, shutdown).await
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

    /// Every route of the (first) API, in registration order, as served.
    #[must_use]
    pub fn routes(&self) -> &[Route] {
        &self.first().routes
    }

    pub(crate) fn header_read_timeout(&self) -> Duration {
        self.0.config.header_read_timeout
    }

    pub(crate) fn shutdown_timeout(&self) -> Duration {
        self.0.config.shutdown_timeout
    }

    pub(crate) fn max_connections(&self) -> usize {
        self.0.config.max_connections
    }
}

impl Shared {
    /// Refuses request heads over the server's limits: an over-long target (414), an
    /// oversized header section (431).
    fn check_head(&self, parts: &http::request::Parts) -> Result<(), Problem> {
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

    /// Answers `problem` for a request no route took, through the error handler of the API
    /// whose prefix `path` is under (the longest prefix winning), if any.
    fn unrouted(&self, path: &str, problem: Problem) -> Response {
        let res = problem.into_response();
        let owner = self.by_prefix.iter().map(|&i| &self.apis[i]).find(|a| {
            path.strip_prefix(a.prefix.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        match owner {
            Some(api) => api.finish(res),
            None => res,
        }
    }
}

/// Resolves the address to serve on: `--addr HOST:PORT` on the command line, else the
/// `NINJA_ADDR` environment variable, else `PORT` (on 127.0.0.1), else `default`.
#[must_use]
pub fn addr_from_env(default: &str) -> String {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--addr" {
            if let Some(v) = args.next() {
                return v;
            }
        } else if let Some(v) = a.strip_prefix("--addr=") {
            return v.to_owned();
        }
    }
    if let Ok(a) = std::env::var("NINJA_ADDR") {
        return a;
    }
    if let Ok(p) = std::env::var("PORT") {
        return format!("127.0.0.1:{p}");
    }
    default.to_owned()
}
