//! [`NinjaApi`] and [`Server`]: the builders users start from; they build an [`App`].

#[cfg(feature = "config")]
pub mod config;
mod definition;
mod docs;
mod document;
mod health;
#[cfg(feature = "metrics")]
pub mod metrics;
mod router;

pub use router::Router;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::Duration;

use tower::Layer;

use crate::app::{ApiShared, App, Config, ErrorHandler};
use crate::auth::{AuthScheme, AuthSetting};
use crate::extract::{Limits, StateMap};
use crate::middleware::{self, HttpService, LayerFn, Stack};
use crate::openapi;
use crate::problem::Problem;
use crate::response::IntoResponse;
use crate::routing::{Mount, Route, RouteTable, join};
use crate::server;
use crate::throttle::{ForwardedBy, IntoThrottles, ThrottleSetting, ThrottleStore, TrustedProxies};
use crate::tls::{self, TlsFiles};

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
    meta: openapi::Metadata,
    prefix: String,
    routes: Vec<Route>,
    state: StateMap,
    /// State types registered twice: a build error, not a silent overwrite.
    duplicate_states: Vec<&'static str>,
    auth: AuthSetting,
    throttle: ThrottleSetting,
    throttle_store: ThrottleStore,
    trusted_proxies: Vec<String>,
    forwarded_by: ForwardedBy,
    error_handler: Option<ErrorHandler>,
    body_limit: usize,
    part_limit: Option<usize>,
    spool_threshold: usize,
    body_timeout: Duration,
    openapi_path: Option<String>,
    docs_path: Option<String>,
    /// ReDoc and Scalar pages, with their paths.
    pages: Vec<docs::Page>,
    /// `health(path)`: where the liveness and readiness endpoints are, if served.
    health: Option<String>,
    /// `metrics(path)`: where the Prometheus metrics are, if served.
    #[cfg(feature = "metrics")]
    metrics: Option<String>,
    /// `document_ops()`: health and metrics in the document too.
    document_ops: bool,
    readiness_checks: Vec<health::Check>,
    server: Settings,
    layers: Vec<LayerFn>,
    mounts: Vec<(String, middleware::BoxedService)>,
}

/// Server-wide settings: one pool, one listener, one shutdown for every API served.
/// `None` means "not set here".
#[derive(Debug, Clone, Default)]
struct Settings {
    blocking_threads: Option<usize>,
    blocking_queue: Option<usize>,
    shutdown_timeout: Option<Duration>,
    drain_delay: Option<Duration>,
    header_read_timeout: Option<Duration>,
    backlog: Option<u32>,
    max_connections: Option<usize>,
    max_uri_len: Option<usize>,
    max_header_bytes: Option<usize>,
    worker_threads: Option<usize>,
    reuse_port: Option<bool>,
    tls: Option<TlsFiles>,
}

impl Settings {
    /// The server's own values, else the one value the APIs agree on, else the default.
    fn resolve<'a>(
        &self,
        apis: impl Iterator<Item = &'a Settings> + Clone,
        errors: &mut Vec<String>,
    ) -> Config {
        fn pick<T: PartialEq + Clone + fmt::Debug>(
            name: &str,
            own: Option<T>,
            apis: impl Iterator<Item = Option<T>>,
            default: T,
            errors: &mut Vec<String>,
        ) -> T {
            if let Some(v) = own {
                return v;
            }
            let mut chosen: Option<T> = None;
            for v in apis.flatten() {
                match &chosen {
                    Some(c) if *c != v => {
                        errors.push(format!(
                            "two APIs set `{name}` differently ({c:?} and {v:?}); it is one \
                             setting for the whole server: set it on the `Server`"
                        ));
                        return c.clone();
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
                        self.$field.clone(),
                        apis.clone().map(|s| s.$field.clone()),
                        $default,
                        errors,
                    ),)*
                    // An `Option` setting: "not set" and "none" are one.
                    tls: pick(
                        "tls",
                        self.tls.clone().map(Some),
                        apis.clone().map(|s| s.tls.clone().map(Some)),
                        None,
                        errors,
                    ),
                }
            };
        }
        config! {
            blocking_threads: 512,
            blocking_queue: 1024,
            shutdown_timeout: Duration::from_secs(10),
            drain_delay: Duration::ZERO,
            header_read_timeout: Duration::from_secs(30),
            backlog: 4096,
            max_connections: 20_000,
            max_uri_len: 8 * 1024,
            max_header_bytes: 16 * 1024,
            worker_threads: 0,
            reuse_port: false,
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

        /// How long the server goes on accepting after a shutdown signal, with readiness
        /// answering 503 (default 0, none): a load balancer polling the API's
        /// [`health`](NinjaApi::health) endpoint takes the instance out before its
        /// listener closes, so no new request is refused. Then `shutdown_timeout` runs.
        pub fn drain_delay(mut self, d: Duration) -> Self {
            self.server_settings().drain_delay = Some(d);
            self
        }

        /// How long a client may take to send a request's headers, and how long a
        /// keep-alive or HTTP/2 connection may sit idle between requests (default 30 s).
        /// A quiet connection is closed between one and 1.25 periods after it went quiet; a
        /// client trickling its headers (slowloris) is cut off the same way; a request being
        /// answered, or a response being written, keeps the connection. A TLS handshake
        /// must end within one period.
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

        /// Serves HTTPS with the certificate chain and private key in these PEM files (read
        /// when the server is built; a bad file is a [`BuildError`]). ALPN offers HTTP/2 and
        /// HTTP/1.1; the header, idle and connection limits apply as on plain connections.
        #[cfg(feature = "tls")]
        #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
        pub fn tls_pem(
            mut self,
            cert: impl Into<std::path::PathBuf>,
            key: impl Into<std::path::PathBuf>,
        ) -> Self {
            self.server_settings().tls = Some(TlsFiles {
                cert: cert.into(),
                key: key.into(),
            });
            self
        }

        /// The largest header section accepted (names and values, in bytes; default
        /// 16 KiB); larger is a 431. Beyond hyper's own buffer (about 400 KiB) hyper answers
        /// a bare 431 and closes the connection.
        pub fn max_header_bytes(mut self, n: usize) -> Self {
            self.server_settings().max_header_bytes = Some(n);
            self
        }

        /// The listen backlog: connections the kernel queues before they are accepted
        /// (default 4096, capped by `net.core.somaxconn`).
        pub fn backlog(mut self, n: u32) -> Self {
            self.server_settings().backlog = Some(n);
            self
        }

        /// Threads of the runtime that [`serve`](Self::serve) starts (default: one per
        /// core). Not used by [`run`](Self::run), which runs on the caller's runtime.
        pub fn worker_threads(mut self, n: usize) -> Self {
            self.server_settings().worker_threads = Some(n.max(1));
            self
        }

        /// Binds with `SO_REUSEPORT` (Unix; default off), so that several processes serve
        /// one port and the kernel spreads connections among them: a restart can start the
        /// new process before stopping the old one.
        pub fn reuse_port(mut self, on: bool) -> Self {
            self.server_settings().reuse_port = Some(on);
            self
        }

        /// Applies every setting `config` has (from the environment or a file: see
        /// [`ServerConfig`](config::ServerConfig)); the others stay as they are.
        #[cfg(feature = "config")]
        pub fn configure(mut self, config: &config::ServerConfig) -> Self {
            let secs = Duration::from_secs_f64;
            let c = config;
            if let Some(n) = c.workers {
                self = self.worker_threads(n);
            }
            if let Some(n) = c.blocking_threads {
                self = self.blocking_threads(n);
            }
            if let Some(n) = c.blocking_queue {
                self = self.blocking_queue(n);
            }
            if let Some(s) = c.shutdown_timeout {
                self = self.shutdown_timeout(secs(s));
            }
            if let Some(s) = c.drain_delay {
                self = self.drain_delay(secs(s));
            }
            if let Some(s) = c.header_read_timeout {
                self = self.header_read_timeout(secs(s));
            }
            if let Some(n) = c.backlog {
                self = self.backlog(n);
            }
            if let Some(n) = c.max_connections {
                self = self.max_connections(n);
            }
            if let Some(n) = c.max_uri_len {
                self = self.max_uri_len(n);
            }
            if let Some(n) = c.max_header_bytes {
                self = self.max_header_bytes(n);
            }
            if let Some(on) = c.reuse_port {
                self = self.reuse_port(on);
            }
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
            meta: openapi::Metadata::default(),
            prefix: String::new(),
            routes: Vec::new(),
            state: StateMap::default(),
            duplicate_states: Vec::new(),
            auth: AuthSetting::Inherit,
            throttle: ThrottleSetting::Inherit,
            throttle_store: ThrottleStore::memory(),
            trusted_proxies: Vec::new(),
            forwarded_by: ForwardedBy::default(),
            error_handler: None,
            body_limit: 2 * 1024 * 1024,
            part_limit: None,
            spool_threshold: 1 << 20,
            body_timeout: Duration::from_secs(30),
            openapi_path: Some("/openapi.json".to_owned()),
            docs_path: Some("/docs".to_owned()),
            pages: Vec::new(),
            health: None,
            #[cfg(feature = "metrics")]
            metrics: None,
            document_ops: false,
            readiness_checks: Vec::new(),
            server: Settings::default(),
            layers: Vec::new(),
            mounts: Vec::new(),
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

    /// Adds a server the API is reached at (the document's `servers`), as clients and docs
    /// pages should call it: `.server("https://api.example.com", "production")`.
    pub fn server(mut self, url: &str, description: &str) -> Self {
        let mut server = serde_json::json!({ "url": url });
        if !description.is_empty() {
            server["description"] = description.into();
        }
        self.meta.servers.push(server);
        self
    }

    /// Describes a tag (the document's `tags`): docs pages show the text above the tag's
    /// operations, in the order tags are described here.
    pub fn tag(mut self, name: &str, description: &str) -> Self {
        self.meta
            .tags
            .push(serde_json::json!({ "name": name, "description": description }));
        self
    }

    /// Where more documentation is (the document's `externalDocs`).
    pub fn external_docs(mut self, url: &str, description: &str) -> Self {
        let mut docs = serde_json::json!({ "url": url });
        if !description.is_empty() {
            docs["description"] = description.into();
        }
        self.meta.external_docs = Some(docs);
        self
    }

    /// Who to contact about the API (`info.contact`): a name and an email address.
    pub fn contact(mut self, name: &str, email: &str) -> Self {
        self.meta.contact = Some(serde_json::json!({ "name": name, "email": email }));
        self
    }

    /// The API's license (`info.license`), by name and SPDX identifier: `("MIT", "MIT")`.
    pub fn license(mut self, name: &str, spdx: &str) -> Self {
        self.meta.license = Some(serde_json::json!({ "name": name, "identifier": spdx }));
        self
    }

    /// The URL of the API's terms of service (`info.termsOfService`).
    pub fn terms_of_service(mut self, url: &str) -> Self {
        self.meta.terms_of_service = Some(url.to_owned());
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

    /// Wraps the whole API in a tower `layer` (tower-http's `CorsLayer`, `TraceLayer`,
    /// `CompressionLayer`...). The layer sees every request under the API's prefix and every
    /// answer, the framework's own included: 401, 404, 405, 413, 415, 422, 503 problems, the
    /// document, the docs page and mounted services. The last layer added runs first
    /// (outermost), as in axum. Requests whose head is over the server's limits (414, 431)
    /// are refused before any layer.
    ///
    /// ```
    /// use ninja_core::prelude::*;
    /// # #[get("/hello")] async fn hello() -> &'static str { "hi" }
    /// let api = NinjaApi::new("Demo", "1.0")
    ///     .routes(routes![hello])
    ///     .layer(tower::limit::ConcurrencyLimitLayer::new(64));
    /// ```
    ///
    /// The layer wraps a [`Stack`](crate::Stack): a service taking `http::Request<B>` for any
    /// body `B` of `Bytes` frames and answering a [`Response`](crate::Response). Its own
    /// service must be an [`HttpService`](crate::HttpService) (the bounds, stated once):
    /// its errors become problems (tower's `Overloaded` a 503, `Elapsed` a 408, others a
    /// logged 500). An API without layers calls its routes directly: layers cost only where
    /// they are added. A `Stack` is always ready (each request drives its own clone of what
    /// is below), so a load shedder must be in the same layer as the limit it watches, and
    /// a wait for a limit in an inner `.layer()` is counted by the layers outside it
    /// (timeouts, trace latency, metrics).
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Stack> + Send + Sync + 'static,
        L::Service: HttpService,
    {
        self.layers.push(middleware::layer_fn(layer));
        self
    }

    /// Serves any tower service under `prefix` (under the API's prefix), for every method:
    /// static files (tower-http's `ServeDir`), an axum `Router`, a proxy. The service sees
    /// the path below the prefix (`/static/app.js` → `/app.js`), as axum's `nest_service`
    /// does, and [`MatchedPath`](crate::MatchedPath) holds the prefix. The API's layers
    /// wrap it; the document does not list it. Any [`HttpService`](crate::HttpService).
    pub fn mount(mut self, prefix: impl Into<String>, service: impl HttpService) -> Self {
        self.mounts.push((
            prefix.into(),
            middleware::sealed::Sealed::into_boxed(service),
        ));
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

    /// Throttles every route that sets no throttle of its own, nor its router: a
    /// [`Throttle`](crate::throttle::Throttle), or an array of them for several at once
    /// (`[Throttle::per_ip("10/s"), Throttle::per_user(..)]`). See [`throttle`](crate::throttle).
    pub fn throttle(mut self, throttles: impl IntoThrottles) -> Self {
        self.throttle = throttles.into_setting();
        self
    }

    /// Where this API's throttles keep their counts: in memory (the default, per
    /// instance) or a [`RedisStore`](crate::throttle::RedisStore) (feature `redis`, shared
    /// by every instance).
    pub fn throttle_store(mut self, store: impl Into<ThrottleStore>) -> Self {
        self.throttle_store = store.into();
        self
    }

    /// The proxies (IP addresses or CIDR ranges, e.g. `["127.0.0.1", "10.0.0.0/8"]`) whose
    /// `X-Forwarded-For` header names the client for IP throttles (walked from its right
    /// end, past every trusted hop). None by default: the peer address is the client. A
    /// value that does not parse is a build error.
    pub fn trusted_proxies<S: AsRef<str>>(mut self, proxies: impl IntoIterator<Item = S>) -> Self {
        self.trusted_proxies = proxies.into_iter().map(|p| p.as_ref().to_owned()).collect();
        self
    }

    /// Which header the [trusted proxies](Self::trusted_proxies) write the client into:
    /// `X-Forwarded-For` (the default) or RFC 7239 `Forwarded`. Only that one is read; the
    /// other is whatever the client sent.
    pub fn forwarded_header(mut self, header: ForwardedBy) -> Self {
        self.forwarded_by = header;
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

    /// Registers shared state, taken by handlers as [`State<T>`](crate::State). One value
    /// per type: a second of the same type is a build error (replace one on purpose, in a
    /// test, with [`override_state`](Self::override_state)).
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        if !self.state.insert(value) {
            self.duplicate_states.push(std::any::type_name::<T>());
        }
        self
    }

    /// Replaces the state of type `T` (or adds it): for a test that swaps the database for
    /// a fresh one, as FastAPI's `dependency_overrides` do.
    pub fn override_state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Gives dependency `D` the value `value` instead of computing it, for every request
    /// (FastAPI's `dependency_overrides`): for tests, say a fixed current user. What `D`
    /// itself needs is then not needed.
    ///
    /// ```
    /// use ninja_core::prelude::*;
    ///
    /// #[dependency]
    /// async fn current_user(authorization: Header<String>) -> Result<String, Problem> {
    ///     Err(Problem::new(StatusCode::UNAUTHORIZED))
    /// }
    ///
    /// #[get("/me")]
    /// async fn me(user: Depends<current_user>) -> String {
    ///     user.0.clone()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let api = NinjaApi::new("t", "1")
    ///     .routes(routes![me])
    ///     .override_dependency::<current_user>("ada".to_owned());
    /// let res = TestClient::new(api).get("/me").send().await;
    /// assert_eq!(res.text(), "ada");
    /// # });
    /// ```
    pub fn override_dependency<D: crate::depends::Dependency>(mut self, value: D::Output) -> Self {
        self.state.insert(crate::depends::Override::<D>(value));
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

    /// Uploaded files larger than this, in bytes, are written to a temporary file as they
    /// arrive instead of being held in memory (default 1 MiB, as Starlette's); see
    /// [`UploadedFile`](crate::UploadedFile).
    pub fn spool_threshold(mut self, bytes: usize) -> Self {
        self.spool_threshold = bytes;
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

    /// Serves a ReDoc page of the document at `path` (e.g. `/redoc`), besides Swagger UI's
    /// (feature `redoc`; its script is compiled in, nothing is fetched from elsewhere).
    #[cfg(feature = "redoc")]
    pub fn redoc_path(mut self, path: impl Into<String>) -> Self {
        self.pages.push(docs::Page {
            kind: docs::PageKind::Redoc,
            path: path.into(),
        });
        self
    }

    /// Serves a Scalar API reference page of the document at `path` (e.g. `/scalar`)
    /// (feature `scalar`; its script is compiled in, its web fonts and proxy are off).
    #[cfg(feature = "scalar")]
    pub fn scalar_path(mut self, path: impl Into<String>) -> Self {
        self.pages.push(docs::Page {
            kind: docs::PageKind::Scalar,
            path: path.into(),
        });
        self
    }

    /// Serves `GET {path}/live` (200 while the process serves) and `GET {path}/ready` (200
    /// when every [readiness check](Self::readiness_check) passes; 503 when one fails and
    /// while the server drains after a shutdown signal), under the API's prefix, outside
    /// the document and its auth. Bodies are JSON: `{"status": "ready", "checks": {..}}`.
    ///
    /// ```
    /// # use ninja_core::prelude::*;
    /// let api = NinjaApi::new("t", "1")
    ///     .health("/health")
    ///     .readiness_check("database", || async { Ok(()) });
    /// # let _ = api;
    /// ```
    pub fn health(mut self, path: impl Into<String>) -> Self {
        self.health = Some(path.into());
        self
    }

    /// Puts the [health](Self::health) and [metrics](Self::metrics) endpoints in the OpenAPI
    /// document (tag `ops`), for a platform that reads them from there; by default they are
    /// served but left out, as operations clients of the API do not call.
    pub fn document_ops(mut self) -> Self {
        self.document_ops = true;
        self
    }

    /// Serves Prometheus metrics at `path` (under the API's prefix, outside the document
    /// and its auth; feature `metrics`): requests by method, route template and status,
    /// their latency, requests in flight, the blocking pool's load and open connections.
    /// See [`metrics`](crate::metrics) for the names. Keeping them costs each request of
    /// the API a layer; an API without `metrics` pays nothing.
    #[cfg(feature = "metrics")]
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    pub fn metrics(mut self, path: impl Into<String>) -> Self {
        self.metrics = Some(path.into());
        self
    }

    /// A check that readiness runs on each probe (concurrently with the others, at most
    /// 2 s each): `Err(reason)` makes the instance not ready, say when its database does not
    /// answer. Needs [`health`](Self::health) to be served.
    pub fn readiness_check<F, Fut>(mut self, name: &str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.readiness_checks.push(health::Check::new(name, check));
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

    fn info(&self) -> document::ApiInfo<'_> {
        document::ApiInfo {
            title: &self.title,
            version: &self.version,
            description: self.description.as_deref(),
            meta: &self.meta,
            problem_body: self.error_handler.as_ref().map(|h| h.describe),
            state_types: None,
            throttle_fails_closed: crate::throttle::store_fails_closed(&self.throttle_store),
        }
    }

    /// The routes as served: under the API's prefix, with its auth filled in.
    fn resolved_routes(&self) -> Vec<Route> {
        let mut routes = self.routes.clone();
        for r in &mut routes {
            r.nest(&self.prefix, &[], &self.auth, &self.throttle, &[]);
        }
        routes
    }

    /// The routes its document describes: `routes`, and `ops` too when it was asked to
    /// (`document_ops`); borrowed unless it was.
    fn documented<'r>(&self, routes: &'r [Route], ops: &[Route]) -> Cow<'r, [Route]> {
        if self.document_ops {
            Cow::Owned(routes.iter().chain(ops).cloned().collect())
        } else {
            Cow::Borrowed(routes)
        }
    }

    /// The health and metrics routes it serves, under its prefix.
    fn ops_routes(&self) -> Vec<Route> {
        let mut ops = Vec::new();
        if let Some(base) = &self.health {
            ops.extend(health::routes(&join(&self.prefix, base)));
        }
        #[cfg(feature = "metrics")]
        if let Some(path) = &self.metrics {
            ops.push(metrics::route(join(&self.prefix, path)));
        }
        ops
    }

    /// The OpenAPI 3.1 document, as served at `/openapi.json` (pretty-printed JSON), without
    /// serving: for a build script, a test that checks it in (see
    /// [`openapi::breaking_changes`](crate::openapi::breaking_changes)), or a client
    /// generator. The same bytes the server would serve.
    pub fn openapi_json(&self) -> Result<String, BuildError> {
        let routes = self.resolved_routes();
        let ops = self.ops_routes();
        let bytes =
            document::document(self.info(), &self.documented(&routes, &ops)).map_err(BuildError)?;
        Ok(String::from_utf8(bytes.to_vec()).expect("serde_json writes UTF-8"))
    }

    /// The `--openapi` flag, for any binary's `main`: when it is among the command-line
    /// arguments, prints the document to stdout and returns `true` (exit then, without
    /// serving); otherwise `false`.
    ///
    /// ```no_run
    /// # use ninja_core::prelude::*;
    /// fn main() -> std::io::Result<()> {
    ///     let api = NinjaApi::new("Notes", "1.0");
    ///     if api.print_openapi_if_asked()? {
    ///         return Ok(()); // `my-server --openapi > openapi.json`
    ///     }
    ///     api.serve("127.0.0.1:8000")
    /// }
    /// ```
    ///
    /// # Errors
    /// When the API is misconfigured (the document cannot be built).
    pub fn print_openapi_if_asked(&self) -> io::Result<bool> {
        if !std::env::args().skip(1).any(|a| a == "--openapi") {
            return Ok(false);
        }
        print!("{}", self.openapi_json().map_err(io::Error::other)?);
        Ok(true)
    }

    /// Checks the routes and builds the servable [`App`]. Every problem is reported at once.
    pub fn build(self) -> Result<App, BuildError> {
        Server::new().api(self).build()
    }

    /// Serves on `addr` until SIGINT or SIGTERM, on a runtime of its own; then stops
    /// accepting, lets in-flight requests finish, and returns within the shutdown timeout
    /// even if a sync handler is stuck.
    ///
    /// For plain `fn main`; inside an async runtime (`#[tokio::main]`) it returns an error
    /// at once: await [`run`](Self::run) there.
    pub fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        Server::new().api(self).serve(addr)
    }

    /// Serves on `addr` until SIGINT or SIGTERM, on the caller's runtime: what a
    /// `#[tokio::main]` program awaits (`api.run("127.0.0.1:8000").await`).
    pub async fn run(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        Server::new().api(self).run(addr).await
    }

    /// Checks this API and turns it into what the server runs.
    #[cfg_attr(not(feature = "metrics"), allow(unused_mut))]
    fn assemble(
        mut self,
        errors: &mut Vec<String>,
    ) -> (
        ApiShared,
        Vec<Route>,
        Vec<(String, middleware::BoxedService)>,
    ) {
        if !self.prefix.is_empty() && (!self.prefix.starts_with('/') || self.prefix.ends_with('/'))
        {
            errors.push(format!(
                "API prefix `{}` must start with `/` and not end with one, e.g. `/api/v1`",
                self.prefix
            ));
        }
        for name in &self.duplicate_states {
            errors.push(format!(
                "a state of type `{name}` is registered twice; one value per type (use `override_state` to replace one on purpose)"
            ));
        }
        let mut routes = self.resolved_routes();
        #[cfg(feature = "redis")]
        if let Some(e) = self.throttle_store.redis_error() {
            errors.push(e.to_owned());
        }
        let trusted = TrustedProxies::parse(&self.trusted_proxies, self.forwarded_by)
            .unwrap_or_else(|e| {
                errors.extend(e);
                TrustedProxies::default()
            });
        let mut throttles =
            crate::throttle::Resolver::new(&self.throttle_store, Arc::new(trusted), &self.title);
        for route in &mut routes {
            let specs = route.throttle_setting().throttles();
            if specs.is_empty() {
                continue;
            }
            let here = format!("`{} {}`", route.method(), route.path());
            if let Some(t) = throttles.resolve(specs, route.auth_scheme(), &here, errors) {
                route.set_throttles(t);
            }
        }
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
        let info = document::ApiInfo {
            state_types: Some(self.state.types()),
            ..self.info()
        };
        let ops = self.ops_routes();
        let spec = document::document(info, &self.documented(&routes, &ops)).unwrap_or_else(|e| {
            errors.extend(e);
            bytes::Bytes::new()
        });
        let mut state = self.state;
        let mut served = routes.clone();
        if let Some(openapi_path) = &self.openapi_path {
            let openapi_path = join(&self.prefix, openapi_path);
            let docs_path = self.docs_path.as_deref().map(|d| join(&self.prefix, d));
            let pages: Vec<docs::Page> = self
                .pages
                .iter()
                .map(|p| docs::Page {
                    kind: p.kind,
                    path: join(&self.prefix, &p.path),
                })
                .collect();
            served.extend(docs::routes(&openapi_path, docs_path.as_deref(), &pages));
            state.insert(
                docs::Assets::new(
                    spec.clone(),
                    &openapi_path,
                    &self.title,
                    docs_path.as_deref(),
                )
                .with_pages(pages),
            );
        }
        #[cfg(feature = "metrics")]
        if self.metrics.is_some() {
            let metrics = metrics::Metrics::new();
            state.insert(metrics::Served(Arc::clone(&metrics)));
            // Added last, so it runs first: it sees every answer of the API.
            self.layers
                .push(middleware::layer_fn(metrics::MetricsLayer(metrics)));
        }
        match &self.health {
            Some(_) => {
                state.insert(health::Checks(self.readiness_checks));
            }
            None if !self.readiness_checks.is_empty() => errors.push(format!(
                "API `{}` has readiness checks but serves no health endpoint: add `.health(\"/health\")`",
                self.title
            )),
            None => {}
        }
        served.extend(ops);
        let api = ApiShared {
            openapi: spec,
            state,
            limits: Limits::new(
                self.body_limit,
                self.part_limit.unwrap_or(self.body_limit),
                self.body_timeout,
            )
            .spooling_above(self.spool_threshold),
            error_handler: self.error_handler,
            routes,
            title: self.title,
            version: self.version,
            description: self.description,
            prefix: self.prefix,
            layers: self.layers,
            stack: None,
        };
        for (path, _) in &self.mounts {
            if path != "/" && (!path.starts_with('/') || path.ends_with('/')) {
                errors.push(format!(
                    "mount prefix `{path}` must start with `/` and not end with one, e.g. `/static`"
                ));
            }
        }
        let mounts = self
            .mounts
            .into_iter()
            .map(|(path, service)| (join(&api.prefix, &path), service))
            .collect();
        (api, served, mounts)
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
        let mut mounts = Vec::new();
        for (i, api) in self.apis.into_iter().enumerate() {
            let (api, routes, api_mounts) = api.assemble(&mut errors);
            apis.push(api);
            served.extend(routes.into_iter().map(|r| (i, r)));
            mounts.extend(api_mounts.into_iter().map(|(prefix, service)| Mount {
                api: i,
                prefix,
                service,
            }));
        }
        let table = RouteTable::build(served.iter().map(|(i, r)| (*i, r)), mounts);
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
        let tls = config.tls.as_ref().map(tls::load).transpose();
        let tls = match tls {
            Ok(tls) => tls,
            Err(e) => return Err(BuildError(vec![e])),
        };
        Ok(App::new(table, apis, by_prefix, config, tls))
    }

    /// Serves on `addr` until SIGINT or SIGTERM, on a runtime of its own; see
    /// [`NinjaApi::serve`]. Inside an async runtime (`#[tokio::main]`) it returns an error
    /// at once: await [`run`](Self::run) there.
    pub fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(io::Error::other(
                "`serve` runs its own runtime and cannot be called inside one (such as \
                 `#[tokio::main]`): use `.run(addr).await` there",
            ));
        }
        let mut rt = tokio::runtime::Builder::new_multi_thread();
        rt.enable_all();
        let workers = self.settings.worker_threads.or_else(|| {
            let mut set = self.apis.iter().filter_map(|a| a.server.worker_threads);
            set.next()
        });
        if let Some(n) = workers {
            rt.worker_threads(n);
        }
        let rt = rt.build()?;
        // Built inside the runtime: a layer may spawn a task when it is applied (tower's
        // `Buffer`).
        let app = {
            let _inside = rt.enter();
            self.build().map_err(io::Error::other)?
        };
        let grace = app.0.config.shutdown_timeout;
        let result = rt.block_on(run_app(app, addr));
        rt.shutdown_timeout(grace);
        result
    }

    /// Serves on `addr` until SIGINT or SIGTERM, on the caller's runtime: what a
    /// `#[tokio::main]` program awaits. Then stops accepting and lets in-flight requests
    /// finish within the shutdown timeout.
    pub async fn run(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let app = self.build().map_err(io::Error::other)?;
        run_app(app, addr).await
    }
}

/// Binds `addr` and serves `app` there until a shutdown signal.
async fn run_app(app: App, addr: impl ToSocketAddrs) -> io::Result<()> {
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind"))?;
    let listener = server::bind(addr, app.0.config.backlog, app.0.config.reuse_port)?;
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

/// Resolves the address to serve on: `--addr HOST:PORT` on the command line, else the
/// `NINJA_ADDR` environment variable, else `PORT` (on every interface, `0.0.0.0:$PORT`, as
/// container platforms set it), else `default`.
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
        // As container platforms mean it: every interface.
        return format!("0.0.0.0:{p}");
    }
    default.to_owned()
}
