// The house, by the request's path: a request comes in at `server` (socket, connection),
// is answered by `app` (layers, dispatch), which finds its route (`routing`), runs its
// `handler` after `throttle` and `auth`, with arguments from `extract` (and dependencies,
// background tasks, WebSockets), on the executor (`exec`), and sends a `response` or a
// `problem`. `api` builds all of it (and the document); `testing` and `client` use it.
//
// Each module imports only modules on lower lines (a line's modules use none of each
// other); tests/layering.rs fails on any other import.
// layer: testing client
// layer: api
// layer: server
// layer: app
// layer: routing
// layer: handler throttle
// layer: auth depends background ws pagination
// layer: extract
// layer: exec middleware
// layer: response tls
// layer: openapi body head
// layer: arg problem

//! # Ninja
//!
//! A typed, declarative HTTP API framework: annotate plain functions, sync or async, and
//! Ninja extracts and validates their arguments, runs them (async on the reactor, sync on a
//! bounded blocking pool), and answers bad input with RFC 9457 problem details. Either way the
//! answer is made (serialized) in the connection's task, so a sync handler returns a `Send`
//! value.
//!
//! ```no_run
//! use ninja_core::prelude::*;
//!
//! #[derive(serde::Serialize, schemars::JsonSchema)]
//! struct Saying { saying: String }
//!
//! /// Say a word after a delay (awaited on the reactor).
//! #[get("/say-after")]
//! async fn say_after(delay: f64, word: String) -> Json<Saying> {
//!     tokio::time::sleep(std::time::Duration::from_secs_f64(delay)).await;
//!     Json(Saying { saying: word })
//! }
//!
//! /// The same as a plain function: it runs on the blocking pool.
//! #[get("/say-sync")]
//! fn say_sync(delay: f64, word: String) -> Json<Saying> {
//!     std::thread::sleep(std::time::Duration::from_secs_f64(delay));
//!     Json(Saying { saying: word })
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     NinjaApi::new("Demo", "1.0")
//!         .routes(routes![say_after, say_sync])
//!         .serve("127.0.0.1:8000")
//! }
//! ```
//!
//! ## Arguments
//!
//! | argument | reads |
//! |---|---|
//! | `item_id: u32` with `{item_id}` in the path | the path parameter |
//! | `q: String`, `q: Option<String>`, `tag: Vec<String>`, `#[param(default = 10)] limit: u32` | the query parameter of that name |
//! | `Query<T>` | a struct of query parameters |
//! | `Json<T>` | the JSON body (at most one body argument) |
//! | `Header<T>` | the header named after the argument (`user_agent` → `User-Agent`) |
//! | `State<T>` | state registered with [`NinjaApi::state`] |
//! | `Auth<T>` | the identity the route's [`auth`] scheme returned |
//! | [`RequestHead`] | method, URI, version and headers |
//!
//! Bad input never reaches the handler: it gets a 422 listing every failing field, or a
//! 400/404/405/413/415 [`Problem`].
//!
//! ## Structure
//!
//! A [`Router`] groups routes under a prefix with default tags and [`auth`]; a
//! [`NinjaApi`] mounts routers; a [`Server`] serves several APIs (versions), each with its
//! own document and docs page. `serve(addr)` runs a runtime of its own (plain `fn main`);
//! under `#[tokio::main]`, await `run(addr)`.
//!
//! ## Middleware and other services
//!
//! Any tower layer wraps an API ([`NinjaApi::layer`]) or a router ([`Router::layer`]), and
//! sees the framework's own answers too; any tower service can be mounted under a prefix
//! ([`NinjaApi::mount`]); a built [`App`] is itself a tower service. tower-http's CORS,
//! trace, request-id, compression and timeout layers work unchanged:
//!
//! ```
//! use ninja_core::prelude::*;
//! # #[get("/hello")] async fn hello() -> &'static str { "hi" }
//! let api = NinjaApi::new("Demo", "1.0")
//!     .routes(routes![hello])
//!     .layer(tower::limit::ConcurrencyLimitLayer::new(100)); // last added runs first
//! ```
//!
//! ## Dependencies
//!
//! An `async fn` marked [`#[dependency]`](dependency) is computed before the handler from
//! what a handler can take (headers, query parameters, state, identity, other dependencies),
//! once per request, and taken as [`Depends<fn_name>`](Depends); a [`Cleanup`] argument runs
//! code after the handler with its [`Outcome`] (commit or roll back). See [`Depends`].
//!
//! ## Streaming and real-time
//!
//! [`StreamBody`] streams chunks with back-pressure (or from sync code through
//! [`StreamBody::channel`]), [`sse::Sse`] sends server-sent events, [`FileResponse`] serves
//! a file with ranges and validators, a `ws::WebSocketUpgrade` argument (feature `ws`)
//! upgrades to a WebSocket, [`BodyStream`] reads a raw upload chunk by chunk, multipart
//! [`UploadedFile`]s above the spool threshold go to a temporary file, and a [`Background`]
//! argument queues work to run after the answer.
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `tls` | HTTPS with rustls (`tls_pem(cert, key)`), ALPN `h2` and `http/1.1` |
//! | `redoc` | a ReDoc page of the document (`NinjaApi::redoc_path`), its script compiled in |
//! | `scalar` | a Scalar page of the document (`NinjaApi::scalar_path`), its script compiled in |
//! | `ws` | WebSockets: a [`ws::WebSocketUpgrade`] argument, tokio-tungstenite underneath |
//!
//! ## Errors
//!
//! `#[derive(ApiError)]` turns an error enum into problem answers, one status per variant,
//! every status in the document:
//!
//! ```
//! use ninja_core::prelude::*;
//!
//! #[derive(Debug, ApiError)]
//! enum ItemError {
//!     /// No item has this id.
//!     #[api(status = 404)]
//!     NotFound(u32),
//! }
//!
//! impl std::fmt::Display for ItemError {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         match self {
//!             Self::NotFound(id) => write!(f, "item {id} does not exist"),
//!         }
//!     }
//! }
//!
//! #[get("/items/{id}")]
//! fn get_item(id: u32) -> Result<String, ItemError> {
//!     Err(ItemError::NotFound(id))
//! }
//! ```
//!
//! The detail is the error's `Display`, except for 5xx statuses, whose cause goes to the log.
// Every public item says what it is for; CI's clippy `-D warnings` makes this a failure.
#![warn(missing_docs)]

mod api;
mod app;
mod arg;
pub mod auth;
mod background;
mod body;
#[cfg(feature = "client")]
pub mod client;
mod depends;
mod exec;
mod extract;
mod handler;
mod head;
mod middleware;
pub mod openapi;
pub mod pagination;
mod problem;
pub mod response;
mod routing;
mod server;
mod testing;
pub mod throttle;
mod tls;
#[cfg(feature = "ws")]
pub mod ws;

pub use api::Router;
#[cfg(feature = "config")]
pub use api::config;
#[cfg(feature = "metrics")]
pub use api::metrics;
pub use api::{BuildError, NinjaApi, Server, addr_from_env};
pub use app::App;
pub use auth::Auth;
pub use background::{Background, TaskOutcome};
pub use body::{Body, BoxError, RequestBody};
pub use depends::{Cleanup, CleanupOutcome, Dependency, Depends};
pub use exec::blocking;
pub use extract::{
    Arg, BodyStream, Cookie, FileReader, Form, FromBody, FromRequestParts, Header, Json, JsonPart,
    Limits, Multipart, Outcome, Query, RequestCx, RequestHead, State, UploadedFile,
};
pub use middleware::{HttpService, MatchedPath, Stack};
pub use problem::{FieldError, LocPart, PROBLEM_JSON, Problem};
pub use response::{
    Accepted, ChunkSender, Created, Disconnected, FileResponse, IntoResponse, Response, ServedFile,
    StreamBody, sse,
};
pub use routing::{Operation, Route};
#[cfg(feature = "contract")]
pub use testing::contract;
pub use testing::{TestClient, TestRequest, TestResponse, test_client};
pub use throttle::ClientAddr;

#[doc(no_inline)]
pub use http;

/// Route attributes: `#[get("/path")]` and friends. See the crate docs.
pub use ninja_macros::{delete, get, patch, post, put};

/// `#[dependency]`: an `async fn` whose value handlers take as `Depends<name>`. See
/// [`Depends`].
pub use ninja_macros::dependency;

/// `#[api]` on a trait: an API's operations stated once, for its server and its clients.
///
/// Each method is an operation: a route attribute with the path (under the trait's
/// `prefix`), doc comments, the arguments that travel (path, query, body) and the return
/// type; no `self`, no body. Emitted beside the trait:
/// - a module named after it (`ShopV1` → `shop_v1`) holding one route per operation, never
///   run: a server's handler links to it with `op = shop_v1::get_product`, and `build()`
///   fails if the handler is served elsewhere or reads or answers anything else;
/// - with the `client` feature, `ShopV1Client` (async) and `ShopV1BlockingClient`, one
///   method per operation, taking its typed arguments and returning its typed success
///   value or a [`client::ClientError`].
///
/// A crate holding only definitions (and the types they use) lets clients build without
/// the server's handlers or their dependencies.
///
/// ```
/// # #[cfg(feature = "client")] mod demo {
/// use ninja_core::prelude::*;
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// # pub struct Product { id: i64 }
///
/// #[ninja_core::api(prefix = "/api/v1")]
/// pub trait ShopV1 {
///     /// Get one product.
///     #[get("/products/{product_id}")]
///     fn get_product(product_id: i64) -> Result<Json<Product>, Problem>;
/// }
///
/// // The server: a handler held to its operation.
/// #[get("/products/{product_id}", op = shop_v1::get_product)]
/// fn get_product(product_id: i64) -> Result<Json<Product>, Problem> {
///     Ok(Json(Product { id: product_id }))
/// }
///
/// fn api() -> NinjaApi {
///     NinjaApi::new("Shop", "1.0").prefix("/api/v1").routes(routes![get_product])
/// }
///
/// // A caller: the typed client.
/// async fn call() -> Result<Product, ninja_core::client::ClientError> {
///     let shop = ShopV1Client::new("http://127.0.0.1:8000")?;
///     shop.get_product(1).await
/// }
/// # }
/// ```
pub use ninja_macros::api;

/// `api_from_document!(pub trait ShopV1 = "openapi/shop-v1.json");` (feature
/// `client-codegen`): an API definition and its typed clients (`ShopV1Client`,
/// `ShopV1BlockingClient`) generated at compile time from a published OpenAPI document, for
/// an API whose Rust definitions are not at hand. The path is from the calling crate's root;
/// the crate is rebuilt when the document changes.
///
/// The document's schemas become Rust types (typify), named as in `components.schemas`, in
/// the calling module, so give the call a module of its own; they derive `Serialize`,
/// `Deserialize`, `Debug` and `Clone`. Each operation becomes a client method named after
/// its `operationId`, with its parameters (optional ones as `Option`, lists as `Vec`, headers
/// as `Header`, cookies as `Cookie`), a JSON or form body as `body`, and its first success's
/// body as the result. Validation keywords are not carried over (the server checks them).
/// Operations the typed client cannot call yet (multipart bodies, streamed or binary
/// answers, WebSockets) are left out and listed in the trait's documentation.
#[cfg(feature = "client-codegen")]
pub use ninja_macros::api_from_document;

/// `#[derive(ApiError)]`: an error type answered as problem details, each variant with the
/// status it declares (`#[api(status = 404)]`), every status in the document. See the
/// crate docs' "Errors" section.
pub use ninja_macros::ApiError;

/// `#[derive(ApiResponse)]`: an enum of a handler's answers, several success shapes in one
/// type (poem-openapi's `ApiResponse`). Each variant declares its status and has no field
/// (no body) or one (its body); every variant is in the document under its status.
///
/// ```
/// use ninja_core::prelude::*;
///
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct Job { id: u32 }
///
/// #[derive(ApiResponse)]
/// enum JobAnswer {
///     /// The job is done: its result.
///     #[api(status = 200)]
///     Done(Json<Job>),
///     /// Still running: look again later.
///     #[api(status = 202)]
///     Running(Json<Job>),
///     /// Nothing changed since the client's copy.
///     #[api(status = 304)]
///     NotModified,
/// }
///
/// #[get("/jobs/{id}")]
/// async fn job(id: u32) -> JobAnswer {
///     if id == 0 { JobAnswer::NotModified } else { JobAnswer::Running(Json(Job { id })) }
/// }
/// ```
pub use ninja_macros::ApiResponse;

/// Everything a handler module needs: `use ninja_core::prelude::*;`.
pub mod prelude {
    pub use crate::auth::AuthScheme;
    pub use crate::http::StatusCode;
    pub use crate::throttle::Throttle;
    pub use crate::{
        Accepted, ApiError, ApiResponse, Auth, Cookie, Created, Depends, Form, Header,
        IntoResponse, Json, JsonPart, Multipart, NinjaApi, Problem, Query, RequestHead, Router,
        Server, State, TestClient, UploadedFile, delete, dependency, get, patch, post, put, routes,
    };
}

/// Collects routes made by the route attributes: `api.routes(routes![a, b, module::c])`.
#[macro_export]
macro_rules! routes {
    ($($handler:path),* $(,)?) => {
        ::std::vec![$(<$handler as $crate::__private::Endpoint>::route()),*]
    };
}

/// `#[api]`'s clients, emitted only when this crate has its `client` feature.
#[cfg(feature = "client")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_client {
    ($($item:tt)*) => { $($item)* };
}

/// `#[api]`'s clients, emitted only when this crate has its `client` feature.
#[cfg(not(feature = "client"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_client {
    ($($item:tt)*) => {};
}

/// For the route macros' generated code only; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::auth::{IntoAuthSetting, NoAuth};
    pub use crate::depends::{DepFuture, Dependency, DependencyResult, head_only};
    pub use crate::exec::Exec;
    pub use crate::extract::validate::{
        Counted, DefaultDoc, Rule, Validatable, Validates, Validator, ViaNoSchema, ViaOpaque,
        ViaSchema, ViaSerialize, ViaUnchecked, ViaValidatable, check, json, length, rule,
    };
    pub use crate::extract::{Arg, FromArg, FromRequestParts, RequestCx, ViaBody, ViaParts};
    pub use crate::handler::endpoint::{ParamFns, ResponseFns, parts, path, responds};
    pub use crate::handler::{BoxFuture, HandlerFn, InputErrors, handle, run_async, run_inline};
    pub use crate::openapi::{OperationDoc, ParamIn};
    pub use crate::problem::{FromProblem, ProblemDetails, ReadField, ReadNothing, ReadSerde};
    pub use crate::response::{
        documented_status, error_doc, error_problem, status_only, with_status,
    };
    pub use crate::routing::{Operation, Route};
    pub use crate::throttle::{IntoThrottles, NoThrottle};
    pub use crate::{IntoResponse, RequestBody, Response};
    pub use garde;
    pub use http::Method;
    pub use serde_json::Value as JsonValue;

    /// Implemented by the hidden type each route attribute generates beside the function.
    pub trait Endpoint {
        /// The route: method, path, docs, and the generated extract-and-call function.
        fn route() -> Route;
    }
}
