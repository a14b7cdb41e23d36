//! A typed client for Ninja APIs (feature `client`): [`Client`] (async) and
//! [`BlockingClient`] with the same settings, calls and errors, over `reqwest`'s pooled
//! HTTP/1.1 or HTTP/2 connections.
//!
//! The typed methods come from an API's definition, a trait under
//! [`#[ninja_core::api]`](crate::api): it emits `{Trait}Client` and
//! `{Trait}BlockingClient`, one method per operation, taking the operation's typed arguments
//! and returning its typed success value or a [`ClientError`]. The server links each
//! handler to its definition with `op = ..`, and `build()` refuses a route that drifted
//! from it, so the client and the server cannot disagree.

mod call;
mod error;
mod output;
mod stream;
#[cfg(feature = "ws")]
mod ws;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

pub use crate::problem::{FromProblem, ProblemDetails};
pub use call::{Call, MultipartForm, RequestBody};
pub use error::ClientError;
pub use output::{Answer, ClientOutput};
pub use stream::{BlockingStream, ByteStream, Event, Events};
#[cfg(feature = "ws")]
pub use ws::{BlockingWebSocket, WebSocket};

#[doc(hidden)]
pub use call::{
    ArgProbe, Scalar, ViaBodyArg, ViaQueryArg, ViaScalarArg, ViaScalarPath, ViaSerdePath,
};

/// How [`Client`] and [`BlockingClient`] connect: `Client::builder(base_url)`.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base: String,
    timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    connect_timeout: Duration,
    pool_max_idle_per_host: Option<usize>,
    pool_idle_timeout: Option<Duration>,
    tcp_keepalive: Option<Duration>,
    http2: bool,
    headers: HeaderMap,
    /// PEM certificates trusted besides the system's roots (feature `client-tls`).
    #[cfg(feature = "client-tls")]
    roots: Vec<Vec<u8>>,
    error: Option<String>,
}

impl ClientBuilder {
    fn new(base_url: &str) -> Self {
        let mut error = None;
        match base_url.parse::<http::Uri>() {
            Ok(uri) if uri.scheme_str() == Some("https") && !cfg!(feature = "client-tls") => {
                error = Some(format!(
                    "base URL `{base_url}` is HTTPS: the client needs ninja-core's `client-tls` feature"
                ));
            }
            Ok(uri) if uri.scheme().is_some() && uri.authority().is_some() => {}
            _ => {
                error = Some(format!(
                    "base URL `{base_url}` is not absolute, e.g. `http://127.0.0.1:8000`"
                ));
            }
        }
        Self {
            base: base_url.trim_end_matches('/').to_owned(),
            timeout: Some(Duration::from_secs(30)),
            read_timeout: None,
            connect_timeout: Duration::from_secs(10),
            pool_max_idle_per_host: None,
            pool_idle_timeout: Some(Duration::from_secs(90)),
            tcp_keepalive: Some(Duration::from_secs(60)),
            http2: false,
            headers: HeaderMap::new(),
            #[cfg(feature = "client-tls")]
            roots: Vec::new(),
            error,
        }
    }

    /// The longest a call may take up to its success value (default 30 s): connecting,
    /// sending the arguments (an upload's whole body too), and reading the answer; for an
    /// answer read as it arrives (a stream of bytes or events, a WebSocket), up to its
    /// start. `None` waits forever. Past it the call fails with [`ClientError::Timeout`].
    #[must_use]
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// The longest the client waits for the next bytes of an answer (default: no limit):
    /// what bounds a stream that stalls after it started. Past it the read fails with
    /// [`ClientError::Timeout`].
    #[must_use]
    pub fn read_timeout(mut self, idle: Duration) -> Self {
        self.read_timeout = Some(idle);
        self
    }

    /// The longest connecting may take (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many idle HTTP/1.1 connections are kept per host (default: no cap).
    #[must_use]
    pub fn pool_max_idle_per_host(mut self, n: usize) -> Self {
        self.pool_max_idle_per_host = Some(n);
        self
    }

    /// How long an idle connection is kept (default 90 s).
    #[must_use]
    pub fn pool_idle_timeout(mut self, idle: Duration) -> Self {
        self.pool_idle_timeout = Some(idle);
        self
    }

    /// TCP keep-alive probes on every connection (default every 60 s).
    #[must_use]
    pub fn tcp_keepalive(mut self, every: Duration) -> Self {
        self.tcp_keepalive = Some(every);
        self
    }

    /// HTTP/2 without TLS (prior knowledge, as a Ninja server accepts it): every call is
    /// a stream multiplexed on one connection per host. Default: HTTP/1.1.
    #[must_use]
    pub fn http2(mut self) -> Self {
        self.http2 = true;
        self
    }

    /// A header sent with every call.
    #[must_use]
    pub fn default_header(mut self, name: HeaderName, value: &str) -> Self {
        match HeaderValue::from_str(value) {
            Ok(mut v) => {
                v.set_sensitive(name == header::AUTHORIZATION);
                self.headers.insert(name, v);
            }
            Err(_) => {
                self.error
                    .get_or_insert_with(|| format!("header `{name}`: the value is not valid"));
            }
        }
        self
    }

    /// `Authorization: Bearer <token>` on every call (an API's bearer scheme).
    #[must_use]
    pub fn bearer(self, token: &str) -> Self {
        self.default_header(header::AUTHORIZATION, &format!("Bearer {token}"))
    }

    /// An API key in the header `name` on every call (an API's `api_key` scheme).
    #[must_use]
    pub fn api_key(self, name: &str, key: &str) -> Self {
        match HeaderName::try_from(name) {
            Ok(name) => {
                let mut this = self.default_header(name.clone(), key);
                if let Some(v) = this.headers.get_mut(&name) {
                    v.set_sensitive(true);
                }
                this
            }
            Err(_) => {
                let mut this = self;
                this.error
                    .get_or_insert_with(|| format!("`{name}` is not a header name"));
                this
            }
        }
    }

    /// HTTP Basic credentials on every call (an API's basic scheme).
    #[must_use]
    pub fn basic(self, user: &str, password: &str) -> Self {
        use base64::Engine as _;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.default_header(header::AUTHORIZATION, &format!("Basic {encoded}"))
    }

    /// Trusts the PEM certificate(s) in `pem` (a private CA, a self-signed server) besides
    /// the system's roots. Feature `client-tls`.
    #[cfg(feature = "client-tls")]
    #[must_use]
    pub fn add_root_certificate(mut self, pem: &[u8]) -> Self {
        self.roots.push(pem.to_vec());
        self
    }

    /// The extra roots, parsed; and rustls's process-wide crypto provider (ring, as the
    /// server's) installed if none is.
    #[cfg(feature = "client-tls")]
    fn roots(&self) -> Result<Vec<reqwest::Certificate>, ClientError> {
        // Err only when a provider is installed already, which is what is needed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        self.roots
            .iter()
            .map(|pem| {
                reqwest::Certificate::from_pem(pem)
                    .map_err(|e| ClientError::Request(format!("root certificate: {e}")))
            })
            .collect()
    }

    /// The async client.
    pub fn build(mut self) -> Result<Client, ClientError> {
        if let Some(e) = self.error.take() {
            return Err(ClientError::Request(e));
        }
        let http = self.reqwest(if self.http2 { Some(true) } else { None })?;
        // WebSocket upgrades are HTTP/1.1 only: over HTTPS (where ALPN picks HTTP/2) or
        // with `http2()`, they go through a pool of HTTP/1.1 connections of their own.
        // Without `ws` no operation upgrades: no second client.
        let h1 = cfg!(feature = "ws") && (self.http2 || self.base.starts_with("https:"));
        let upgrades = if h1 {
            Some(self.reqwest(Some(false))?)
        } else {
            None
        };
        Ok(Client {
            http,
            upgrades,
            base: Arc::from(self.base),
            timeout: self.timeout,
        })
    }

    /// A reqwest client with these settings: HTTP/2 only (prior knowledge, `Some(true)`),
    /// HTTP/1.1 only (`Some(false)`), or as ALPN picks over HTTPS (`None`).
    fn reqwest(&self, http2: Option<bool>) -> Result<reqwest::Client, ClientError> {
        #[cfg(feature = "client-tls")]
        let roots = self.roots()?;
        let mut b = reqwest::Client::builder()
            .default_headers(self.headers.clone())
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(self.pool_idle_timeout)
            .tcp_keepalive(self.tcp_keepalive)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none());
        #[cfg(feature = "client-tls")]
        {
            b = b.tls_certs_merge(roots);
        }
        if let Some(idle) = self.read_timeout {
            b = b.read_timeout(idle);
        }
        if let Some(n) = self.pool_max_idle_per_host {
            b = b.pool_max_idle_per_host(n);
        }
        b = match http2 {
            Some(true) => b.http2_prior_knowledge(),
            Some(false) => b.http1_only(),
            None => b,
        };
        b.build().map_err(ClientError::from_reqwest)
    }

    /// The blocking client. Fails with [`ClientError::InsideRuntime`] inside an async
    /// runtime: use [`build`](Self::build) there.
    pub fn build_blocking(self) -> Result<BlockingClient, ClientError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(ClientError::InsideRuntime);
        }
        // One I/O thread of its own: connections are driven there between and during
        // calls, and each caller blocks on its own call, so calls from many threads run
        // at once.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("ninja-client-io")
            .enable_all()
            .build()
            .map_err(|e| {
                ClientError::Request(format!("cannot start the client's I/O thread: {e}"))
            })?;
        let client = {
            let _inside = rt.enter();
            self.build()?
        };
        Ok(BlockingClient {
            client,
            io: BlockingIo(Arc::new(IoThread(Some(rt)))),
        })
    }
}

/// The async client of a Ninja API: cheap to clone (one pool shared by the clones), so
/// many calls run concurrently (`join!`, `join_all`, `buffer_unordered`).
///
/// An API's typed client (`{Trait}Client`) wraps one; this type sends the calls.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Arc<str>,
    /// For WebSocket upgrades, when `http` may speak HTTP/2: HTTP/1.1 connections.
    upgrades: Option<reqwest::Client>,
    /// Bounds each call up to its success value (for a stream, up to its start).
    timeout: Option<Duration>,
}

impl Client {
    /// A client of the API at `base_url` (scheme, host, port; the definition adds the
    /// paths), with default settings.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::builder(base_url).build()
    }

    /// Settings first, then [`ClientBuilder::build`].
    #[must_use]
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    /// The base URL, without a trailing `/`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends `call` and decodes the answer as `O`: what the generated methods do. The
    /// client's timeout bounds the call up to its success value: for an answer read as it
    /// arrives ([`ByteStream`], [`Events`], a WebSocket), up to its start.
    pub async fn send<O: ClientOutput>(
        &self,
        mut call: Call,
    ) -> Result<O::Output, ClientError<O::Error>> {
        O::prepare(&mut call);
        let call = call.finish(&self.base).map_err(ClientError::widen)?;
        let exchange = self.exchange::<O>(call);
        match self.timeout {
            Some(t) => tokio::time::timeout(t, exchange)
                .await
                .unwrap_or(Err(ClientError::Timeout)),
            None => exchange.await,
        }
    }

    async fn exchange<O: ClientOutput>(
        &self,
        call: call::Finished,
    ) -> Result<O::Output, ClientError<O::Error>> {
        let http = match &self.upgrades {
            Some(h1) if call.upgrade_key.is_some() => h1,
            _ => &self.http,
        };
        let mut req = http.request(call.method, call.url);
        if let Some(body) = call.body {
            req = body.add_to(req);
        }
        for (name, value) in call.headers {
            req = req.header(name, value);
        }
        let res = req.send().await.map_err(ClientError::from_reqwest)?;
        let status = res.status();
        if status.is_success() || status == http::StatusCode::SWITCHING_PROTOCOLS {
            let answer = Answer {
                res,
                upgrade_key: call.upgrade_key,
            };
            return O::success(answer).await.map_err(ClientError::widen);
        }
        // The server's refusal stands even if its explanation did not arrive whole.
        let body = res.bytes().await.unwrap_or_default();
        let problem = Box::new(ProblemDetails::from_answer(status, &body));
        Err(match O::read_error(&problem) {
            Some(error) => ClientError::Api { error, problem },
            None => ClientError::Problem(problem),
        })
    }
}

/// The blocking client of a Ninja API: the same settings, calls and errors as [`Client`]
/// (it is one, driven from an I/O thread of its own), for sync code: a `fn main`, a sync
/// handler on Ninja's blocking pool. Cheap to clone; calls from many threads run at once.
/// Inside a tokio runtime's context every call fails with [`ClientError::InsideRuntime`]
/// instead of blocking the runtime's thread.
#[derive(Debug, Clone)]
pub struct BlockingClient {
    client: Client,
    io: BlockingIo,
}

/// The blocking client's runtime, shut down without waiting when the last clone goes, so
/// that dropping a client never blocks (not even inside an async task).
#[derive(Debug)]
struct IoThread(Option<tokio::runtime::Runtime>);

impl Drop for IoThread {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl BlockingClient {
    /// A blocking client of the API at `base_url`, with default settings.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Client::builder(base_url).build_blocking()
    }

    /// The base URL, without a trailing `/`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// Sends `call` and decodes the answer as `O`: what the generated methods do. The
    /// client's timeout bounds the call as for [`Client`].
    pub fn send<O: ClientOutput>(&self, call: Call) -> Result<O::Blocking, ClientError<O::Error>> {
        let output = self
            .io
            .block_on(self.client.send::<O>(call))
            .map_err(ClientError::widen)??;
        Ok(O::blocking(output, &self.io))
    }
}

/// The blocking client's I/O thread, shared by its clones and by what it returns that is
/// read as it arrives ([`BlockingStream`], [`BlockingWebSocket`]): they wait on it.
#[derive(Debug, Clone)]
pub struct BlockingIo(Arc<IoThread>);

impl BlockingIo {
    /// Waits for `work` on the I/O thread, or fails with [`ClientError::InsideRuntime`]
    /// inside a tokio runtime's context, where blocking could stall the runtime's thread.
    pub fn block_on<F: Future>(&self, work: F) -> Result<F::Output, ClientError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(ClientError::InsideRuntime);
        }
        // `None` only while the last clone is dropped, which no call can overlap.
        let rt = self
            .0
            .0
            .as_ref()
            .expect("the runtime lives as long as a clone");
        Ok(rt.block_on(work))
    }
}
