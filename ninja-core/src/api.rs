//! [`NinjaApi`]: the builder users start from, and [`App`], what it builds.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, StatusCode, header};
use tokio::net::TcpListener;

use crate::body::RequestBody;
use crate::docs_ui;
use crate::extract::{Limits, RequestCx, StateMap};
use crate::handler::Exec;
use crate::openapi;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use crate::routing::{Lookup, Route, RouteTable};
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
    routes: Vec<Route>,
    state: StateMap,
    config: Config,
}

/// Limits and runtime settings, with defaults fit for production.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) body_limit: usize,
    pub(crate) part_limit: Option<usize>,
    pub(crate) blocking_threads: usize,
    pub(crate) blocking_queue: usize,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) header_read_timeout: Duration,
    pub(crate) backlog: u32,
    pub(crate) openapi_path: Option<String>,
    pub(crate) docs_path: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            body_limit: 2 * 1024 * 1024,
            part_limit: None,
            blocking_threads: 512,
            blocking_queue: 1024,
            shutdown_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(30),
            backlog: 4096,
            openapi_path: Some("/openapi.json".to_owned()),
            docs_path: Some("/docs".to_owned()),
        }
    }
}

impl fmt::Debug for NinjaApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NinjaApi")
            .field("title", &self.title)
            .field("version", &self.version)
            .field("routes", &self.routes)
            .field("config", &self.config)
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
            routes: Vec::new(),
            state: StateMap::default(),
            config: Config::default(),
        }
    }

    /// A longer description of the API.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Adds routes, usually `routes![a, b, c]`.
    pub fn routes(mut self, routes: impl IntoIterator<Item = Route>) -> Self {
        self.routes.extend(routes);
        self
    }

    /// Registers shared state, taken by handlers as [`State<T>`](crate::State).
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// The largest request body accepted, in bytes (default 2 MiB); larger is a 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit = bytes;
        self
    }

    /// The largest part of a multipart body, in bytes (default: the body limit); larger is a 413.
    pub fn part_limit(mut self, bytes: usize) -> Self {
        self.config.part_limit = Some(bytes);
        self
    }

    /// Threads of the blocking pool that runs sync handlers (default 512). Applies when
    /// [`serve`](Self::serve) builds the runtime.
    pub fn blocking_threads(mut self, n: usize) -> Self {
        self.config.blocking_threads = n.max(1);
        self
    }

    /// Sync calls that may wait for a blocking thread (default 1024); beyond, a 503.
    pub fn blocking_queue(mut self, n: usize) -> Self {
        self.config.blocking_queue = n;
        self
    }

    /// How long shutdown waits for in-flight requests before it gives up (default 10 s).
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.config.shutdown_timeout = d;
        self
    }

    /// How long a client may take to send a request's headers (default 30 s).
    pub fn header_read_timeout(mut self, d: Duration) -> Self {
        self.config.header_read_timeout = d;
        self
    }

    /// Where the OpenAPI document is served (default `/openapi.json`).
    pub fn openapi_path(mut self, path: impl Into<String>) -> Self {
        self.config.openapi_path = Some(path.into());
        self
    }

    /// Where the docs page is served (default `/docs`; it redirects to `/docs/`).
    pub fn docs_path(mut self, path: impl Into<String>) -> Self {
        self.config.docs_path = Some(path.into());
        self
    }

    /// Serves no docs page (the document is still served).
    pub fn no_docs(mut self) -> Self {
        self.config.docs_path = None;
        self
    }

    /// Serves neither the document nor the docs page (`openapi_json` still builds it).
    pub fn no_openapi(mut self) -> Self {
        self.config.openapi_path = None;
        self.config.docs_path = None;
        self
    }

    /// The routes registered so far.
    #[must_use]
    pub fn route_list(&self) -> &[Route] {
        &self.routes
    }

    fn info(&self) -> openapi::ApiInfo<'_> {
        openapi::ApiInfo {
            title: &self.title,
            version: &self.version,
            description: self.description.as_deref(),
        }
    }

    /// The OpenAPI 3.1 document, as served at `/openapi.json` (pretty-printed JSON).
    pub fn openapi_json(&self) -> Result<String, BuildError> {
        let bytes =
            openapi::document(self.info(), &self.routes).map_err(|e| BuildError(vec![e]))?;
        Ok(String::from_utf8(bytes.to_vec()).expect("serde_json writes UTF-8"))
    }

    /// Checks the routes and builds the servable [`App`]. Every problem is reported at once.
    pub fn build(mut self) -> Result<App, BuildError> {
        let mut errors = Vec::new();
        let spec = openapi::document(self.info(), &self.routes).unwrap_or_else(|e| {
            errors.push(e);
            bytes::Bytes::new()
        });
        let mut all = self.routes.clone();
        if let Some(openapi_path) = self.config.openapi_path.as_deref() {
            let docs_path = self.config.docs_path.as_deref();
            all.extend(docs_ui::routes(openapi_path, docs_path));
            self.state
                .insert(docs_ui::Assets::new(spec.clone(), openapi_path, docs_path));
        }
        let table = match RouteTable::build(&all) {
            Ok(table) if errors.is_empty() => table,
            Ok(_) => return Err(BuildError(errors)),
            Err(more) => {
                errors.extend(more);
                return Err(BuildError(errors));
            }
        };
        Ok(App(Arc::new(Shared {
            openapi: spec,
            exec: Exec::new(
                Limits::new(
                    self.config.body_limit,
                    self.config.part_limit.unwrap_or(self.config.body_limit),
                ),
                self.config.blocking_threads,
                self.config.blocking_queue,
            ),
            table,
            state: self.state,
            routes: self.routes,
            title: self.title,
            version: self.version,
            description: self.description,
            config: self.config,
        })))
    }

    /// Serves on `addr` until SIGINT or SIGTERM, on a runtime of its own; then stops
    /// accepting, lets in-flight requests finish, and returns within the shutdown timeout
    /// even if a sync handler is stuck.
    pub fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let app = self.build().map_err(io::Error::other)?;
        let addr = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind"))?;
        let config = &app.0.config;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .max_blocking_threads(config.blocking_threads)
            .build()?;
        let grace = config.shutdown_timeout;
        let result = rt.block_on(async {
            let listener = server::bind(addr, app.0.config.backlog)?;
            tracing::info!(
                "{} {} listening on http://{}",
                app.0.title,
                app.0.version,
                listener.local_addr()?
            );
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

/// A built API: cheap to clone, ready to serve or to call in-process.
#[derive(Clone, Debug)]
pub struct App(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    openapi: bytes::Bytes,
    table: RouteTable,
    state: StateMap,
    exec: Exec,
    routes: Vec<Route>,
    title: String,
    version: String,
    description: Option<String>,
    config: Config,
}

impl App {
    /// Answers one request: route, extract, run the handler, respond.
    pub async fn call(&self, req: Request<RequestBody>) -> Response {
        let (parts, body) = req.into_parts();
        let shared = &*self.0;
        match shared.table.lookup(&parts.method, parts.uri.path()) {
            Lookup::Found(handler, params) => {
                let cx = RequestCx::new(&parts, params, &shared.state);
                handler(cx, body, &shared.exec).await
            }
            Lookup::MethodNotAllowed(allow) => Problem::new(StatusCode::METHOD_NOT_ALLOWED)
                .with_detail(format!("{} is not allowed here; see `Allow`", parts.method))
                .with_header(header::ALLOW, allow.clone())
                .into_response(),
            Lookup::NotFound => Problem::not_found(format!(
                "no route for {} {}",
                parts.method,
                parts.uri.path()
            ))
            .into_response(),
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

    /// The API's title.
    #[must_use]
    pub fn title(&self) -> &str {
        &self.0.title
    }

    /// The API's version.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.0.version
    }

    /// The API's description.
    #[must_use]
    pub fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The OpenAPI 3.1 document, built once at start-up.
    #[must_use]
    pub fn openapi_json(&self) -> &str {
        std::str::from_utf8(&self.0.openapi).expect("serde_json writes UTF-8")
    }

    /// Every route, in registration order.
    #[must_use]
    pub fn routes(&self) -> &[Route] {
        &self.0.routes
    }

    pub(crate) fn header_read_timeout(&self) -> Duration {
        self.0.config.header_read_timeout
    }

    pub(crate) fn shutdown_timeout(&self) -> Duration {
        self.0.config.shutdown_timeout
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
