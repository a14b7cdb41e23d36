//! Turning a request into handler arguments.
//!
//! The route macros classify each argument of a handler:
//! - its name appears as `{name}` in the path → a path parameter;
//! - its type is a body extractor (`Json<T>`) → [`FromBody`], at most one per handler;
//! - anything else → [`FromRequestParts`]: a bare `T: Deserialize + JsonSchema` is the query
//!   parameter named after the argument; [`Query`], [`Header`], [`State`] and
//!   [`RequestHead`] read what their names say.
//!
//! Every argument is extracted before the handler runs and every failure is collected, so one
//! 422 answer lists all bad inputs. The handler never runs on bad input.

mod body_stream;
mod cookie;
mod form;
mod json;
mod multipart;
mod param;
mod preamble;
mod query;
mod scope;
pub(crate) mod validate;

use std::any::{Any, TypeId, type_name};
use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use http::request::Parts;
use serde::de::DeserializeOwned;

pub use crate::arg::Arg;
use crate::body::RequestBody;

use crate::exec::Exec;
pub use crate::head::RequestHead;
use crate::openapi::{OperationDoc, ParamIn};
use crate::problem::{FieldError, LocPart, Problem};
pub use body_stream::BodyStream;
pub use cookie::Cookie;
pub(crate) use cookie::cookie_values;
pub use form::Form;
pub use json::{Json, JsonPart};
pub use multipart::{FileReader, Multipart, UploadedFile};
pub(crate) use param::{Named, ParamDe, ParamError, deserialize_named};
pub(crate) use preamble::{content_type, read_whole, refuse_declared_over, too_large, unsupported};
pub use query::Query;
pub(crate) use query::{QueryPairs, parse_query};
pub use scope::Outcome;
pub(crate) use scope::{Cleanups, DepsCx, Finalizer, lock};

/// An authenticated identity, type-erased between the check and the handler.
pub(crate) type Identity = Box<dyn Any + Send + Sync>;

/// The request as extractors see it: its head, the matched path parameters, the application.
#[derive(Debug)]
pub struct RequestCx<'a> {
    parts: &'a Parts,
    params: matchit::Params<'a, 'a>,
    state: &'a StateMap,
    limits: Limits,
    query: OnceLock<Result<QueryPairs<'a>, Problem>>,
    identity: Option<Identity>,
    exec: &'a Exec,
    /// Dependencies' values and cleanups; untouched (and unallocated) when none is used.
    deps: DepsCx,
}

impl<'a> RequestCx<'a> {
    pub(crate) fn new(
        parts: &'a Parts,
        params: matchit::Params<'a, 'a>,
        state: &'a StateMap,
        limits: Limits,
        identity: Option<Identity>,
        exec: &'a Exec,
    ) -> Self {
        Self {
            parts,
            params,
            state,
            limits,
            query: OnceLock::new(),
            identity,
            exec,
            deps: DepsCx::default(),
        }
    }

    pub(crate) fn deps(&self) -> &DepsCx {
        &self.deps
    }

    /// The cleanups the request's dependencies registered; the context ends here.
    #[doc(hidden)]
    #[must_use]
    pub fn into_cleanups(self) -> Cleanups {
        self.deps.into_cleanups()
    }

    /// The server's executor (its blocking pool).
    pub(crate) fn exec(&self) -> &'a Exec {
        self.exec
    }

    /// The identity the route's auth check returned, if it is a `T`.
    #[must_use]
    pub fn identity<T: 'static>(&self) -> Option<&T> {
        self.identity.as_ref()?.downcast_ref::<T>()
    }

    /// State registered with [`NinjaApi::state`](crate::NinjaApi::state), for extractors of
    /// your own (a database connection from a pool, say).
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&'a T> {
        self.state.get_ref::<T>()
    }

    /// The API's body size limits.
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The request head: method, URI, version, headers.
    #[must_use]
    pub fn parts(&self) -> &'a Parts {
        self.parts
    }

    /// The raw (still percent-encoded) value of path parameter `name`.
    #[must_use]
    pub fn raw_path_param(&self, name: &str) -> Option<&'a str> {
        self.params.get(name)
    }

    /// The query pairs: plain text read in place, text to decode decoded once per request,
    /// on first use.
    pub(crate) fn query(&self) -> Result<Cow<'_, QueryPairs<'a>>, Problem> {
        let raw = self.parts.uri.query().unwrap_or("");
        // Text with nothing to decode is read in place, each time: cheaper than the
        // `OnceLock`'s first initialisation (~70 instructions, callgrind).
        if query::is_plain(raw) {
            return Ok(Cow::Owned(QueryPairs::Plain(raw)));
        }
        self.query
            .get_or_init(|| parse_query(raw))
            .as_ref()
            .map(Cow::Borrowed)
            .map_err(Clone::clone)
    }
}

/// Extracts one handler argument from the request head (never the body).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a Ninja handler argument",
    label = "cannot be extracted from a request",
    note = "a bare argument is a query parameter: its type must derive `serde::Deserialize` and `schemars::JsonSchema`",
    note = "or use an extractor: `Json<T>`, `Query<T>`, `Header<T>`, `State<T>`, `RequestHead`, or name it as `{{name}}` in the path"
)]
pub trait FromRequestParts: Sized {
    /// Extracts the value, or says why not (a 422 problem with `errors`, or another status).
    fn from_request_parts(cx: &RequestCx<'_>, arg: &Arg) -> Result<Self, Problem>;

    /// Describes what it reads (parameters) for the OpenAPI document. Nothing by default.
    fn describe(op: &mut OperationDoc<'_>, arg: &Arg) {
        let _ = (op, arg);
    }
}

/// How much of a request body is accepted, in bytes: in all, and per multipart part.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    body: usize,
    part: usize,
    spool: usize,
    body_timeout: std::time::Duration,
}

impl Limits {
    pub(crate) fn new(body: usize, part: usize, body_timeout: std::time::Duration) -> Self {
        Self {
            body,
            part,
            spool: 1 << 20,
            body_timeout,
        }
    }

    /// These limits with a route's own body limit (the part limit follows when it was the
    /// body limit).
    pub(crate) fn with_body(mut self, bytes: usize) -> Self {
        if self.part == self.body {
            self.part = bytes;
        }
        self.body = bytes;
        self
    }

    pub(crate) fn spooling_above(mut self, bytes: usize) -> Self {
        self.spool = bytes;
        self
    }

    /// Uploaded files larger than this go to a temporary file (`NinjaApi::spool_threshold`,
    /// 1 MiB by default).
    #[must_use]
    pub fn spool_threshold(&self) -> usize {
        self.spool
    }

    /// How long reading a whole request body may take (`NinjaApi::body_read_timeout`,
    /// 30 s by default); longer is a 408.
    #[must_use]
    pub fn body_timeout(&self) -> std::time::Duration {
        self.body_timeout
    }

    /// The whole body (`NinjaApi::body_limit`, 2 MiB by default).
    #[must_use]
    pub fn body(&self) -> usize {
        self.body
    }

    /// One part of a multipart body (`NinjaApi::part_limit`, the body limit by default).
    #[must_use]
    pub fn part(&self) -> usize {
        self.part
    }
}

/// Extracts a handler argument from the request body. At most one per handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a request body",
    label = "not a body extractor",
    note = "use `Json<T>` where `T: serde::Deserialize + schemars::JsonSchema`"
)]
pub trait FromBody: Sized {
    /// Reads and decodes the body, within the API's size `limits`.
    fn from_body(
        parts: &Parts,
        body: RequestBody,
        limits: Limits,
    ) -> impl Future<Output = Result<Self, Problem>> + Send;

    /// Describes the request body for the OpenAPI document. Nothing by default.
    fn describe(op: &mut OperationDoc<'_>) {
        let _ = op;
    }
}

/// How a handler argument is read, decided by its type's traits (never by its spelling, so
/// an alias or a re-export of `Json<T>` is a body like `Json<T>`): a [`FromBody`] type reads
/// the body, a [`FromRequestParts`] type the head. `M` is [`ViaBody`] or [`ViaParts`],
/// inferred; the route macros call this for every argument that is not a path parameter.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a Ninja handler argument",
    label = "cannot be extracted from a request",
    note = "a bare argument is a query parameter: its type must derive `serde::Deserialize` and `schemars::JsonSchema`",
    note = "or use an extractor: `Json<T>`, `Form<T>`, `Multipart<T>`, `Query<T>`, `Header<T>`, `State<T>`, `Depends<dependency>`, `RequestHead`, or name it as `{{name}}` in the path"
)]
pub trait FromArg<M>: Sized + Send {
    /// Extracts the argument; a body extractor takes the body from `body`.
    fn extract<'a, 'b>(
        cx: &'b RequestCx<'a>,
        arg: &'b Arg,
        body: &mut Option<RequestBody>,
    ) -> impl Future<Output = Result<Self, Problem>> + Send + 'b
    where
        Self: 'b,
        'a: 'b;

    /// Describes it for the OpenAPI document.
    fn describe(op: &mut OperationDoc<'_>, arg: &Arg);
}

/// [`FromArg`]'s marker for arguments read from the request head.
#[doc(hidden)]
#[derive(Debug)]
pub enum ViaParts {}

/// [`FromArg`]'s marker for arguments read from the body.
#[doc(hidden)]
#[derive(Debug)]
pub enum ViaBody {}

impl<T: FromRequestParts + Send> FromArg<ViaParts> for T {
    fn extract<'a, 'b>(
        cx: &'b RequestCx<'a>,
        arg: &'b Arg,
        _: &mut Option<RequestBody>,
    ) -> impl Future<Output = Result<Self, Problem>> + Send + 'b
    where
        Self: 'b,
        'a: 'b,
    {
        std::future::ready(T::from_request_parts(cx, arg))
    }

    fn describe(op: &mut OperationDoc<'_>, arg: &Arg) {
        <T as FromRequestParts>::describe(op, arg);
    }
}

impl<T: FromBody + Send> FromArg<ViaBody> for T {
    fn extract<'a, 'b>(
        cx: &'b RequestCx<'a>,
        _: &'b Arg,
        body: &mut Option<RequestBody>,
    ) -> impl Future<Output = Result<Self, Problem>> + Send + 'b
    where
        Self: 'b,
        'a: 'b,
    {
        let body = body.take();
        let (parts, limits) = (cx.parts(), cx.limits());
        async move {
            // A second body argument finds none: the document's builder refuses such a
            // route (`OperationDoc::request_body`), so this is not reached when served.
            let body = body.ok_or_else(Problem::internal)?;
            within_body_timeout(limits, T::from_body(parts, body, limits)).await
        }
    }

    fn describe(op: &mut OperationDoc<'_>, _: &Arg) {
        <T as FromBody>::describe(op);
    }
}

/// Runs a body extractor within the API's body read timeout: a client that stops sending
/// its body mid-way gets a 408 instead of holding the request open.
pub(crate) async fn within_body_timeout<T>(
    limits: Limits,
    read: impl Future<Output = Result<T, Problem>>,
) -> Result<T, Problem> {
    tokio::time::timeout(limits.body_timeout, read)
        .await
        .unwrap_or_else(|_| {
            Err(
                Problem::new(http::StatusCode::REQUEST_TIMEOUT).with_detail(format!(
                    "the request body did not arrive within {} s",
                    limits.body_timeout.as_secs_f64()
                )),
            )
        })
}

/// One 422 problem holding one field error.
pub(crate) fn invalid(loc: Vec<LocPart>, e: ParamError) -> Problem {
    Problem::validation(vec![FieldError::new(loc, e.kind, e.msg)])
}

/// A bare argument is the query parameter of its name: `fn f(limit: Option<u32>)` reads `?limit=`.
impl<T> FromRequestParts for T
where
    T: DeserializeOwned + schemars::JsonSchema,
{
    fn from_request_parts(cx: &RequestCx<'_>, arg: &Arg) -> Result<Self, Problem> {
        let pairs = cx.query()?;
        let values = pairs.values(arg.name());
        T::deserialize(ParamDe::new(values))
            .map_err(|e| invalid(vec!["query".into(), arg.name().into()], e))
    }

    fn describe(op: &mut OperationDoc<'_>, arg: &Arg) {
        op.typed_parameter::<T>(ParamIn::Query, arg);
    }
}

/// Reads path parameter `name`, percent-decoded, into `T`.
pub(crate) fn path_param<T: DeserializeOwned>(cx: &RequestCx<'_>, arg: &Arg) -> Result<T, Problem> {
    let raw = cx.raw_path_param(arg.name()).unwrap_or_default();
    // Most values have nothing to decode: used as they are (already UTF-8).
    let decoded = if raw.contains('%') {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| {
                Problem::bad_request(format!(
                    "path parameter `{}` is not valid UTF-8 once percent-decoded",
                    arg.name()
                ))
            })?
    } else {
        std::borrow::Cow::Borrowed(raw)
    };
    T::deserialize(ParamDe::new(std::iter::once(decoded.as_ref())))
        .map_err(|e| invalid(vec!["path".into(), arg.name().into()], e))
}

/// A request header, named after the argument with `_` spelled `-`.
///
/// `user_agent: Header<String>` reads `User-Agent`; `Header<Option<T>>` makes it optional;
/// `Header<Vec<T>>` takes every occurrence. Rename with `#[param(alias = "X-Request-Id")]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header<T>(pub T);

impl<T> Deref for Header<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + schemars::JsonSchema> FromRequestParts for Header<T> {
    fn from_request_parts(cx: &RequestCx<'_>, arg: &Arg) -> Result<Self, Problem> {
        let loc = || vec!["header".into(), arg.header_name().into()];
        let all = cx.parts.headers.get_all(arg.header_name());
        if all.iter().any(|v| v.to_str().is_err()) {
            let e = ParamError::new("invalid", "header value is not visible ASCII".to_owned());
            return Err(invalid(loc(), e));
        }
        let values = all.iter().filter_map(|v| v.to_str().ok());
        T::deserialize(ParamDe::new(values))
            .map(Header)
            .map_err(|e| invalid(loc(), e))
    }

    fn describe(op: &mut OperationDoc<'_>, arg: &Arg) {
        op.typed_parameter::<T>(ParamIn::Header, arg);
    }
}

impl FromRequestParts for RequestHead {
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        let p = cx.parts;
        Ok(Self {
            method: p.method.clone(),
            uri: p.uri.clone(),
            version: p.version,
            headers: p.headers.clone(),
        })
    }
}

/// Shared application state registered with [`NinjaApi::state`](crate::NinjaApi::state).
///
/// `State(db): State<Db>` binds an `Arc<Db>`, which is used as a `Db`: methods are called
/// on it directly (`db.query(..)`) and `&db` passes where a `&Db` is wanted (deref
/// coercion). Cloning it to move into a task is an `Arc` clone. Unlike axum's `State`, the
/// value need not be `Clone` and is never cloned per request: a pool, a `Mutex`-guarded
/// cache or a config struct is registered as it is. Without the pattern, `state.0` is the
/// `Arc` and `*state` the value.
///
/// An API whose handlers (or their dependencies) take a `State<T>` it lacks fails to
/// build, naming the route and `T`.
///
/// ```
/// use ninja_core::prelude::*;
///
/// struct Db { url: String }
/// impl Db { fn ping(&self) -> &str { &self.url } }
///
/// #[get("/ping")]
/// fn ping(State(db): State<Db>) -> String {
///     db.ping().to_owned()
/// }
///
/// let app = NinjaApi::new("t", "1")
///     .state(Db { url: "sqlite::memory:".into() })
///     .routes(routes![ping])
///     .build();
/// assert!(app.is_ok());
/// ```
#[derive(Debug)]
pub struct State<T: ?Sized>(pub Arc<T>);

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + Sync + 'static> FromRequestParts for State<T> {
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        // `build()` refuses an API whose handlers need a state it lacks, so this is found.
        cx.state.get::<T>().map(State).ok_or_else(|| {
            tracing::error!(
                state = type_name::<T>(),
                "no state of this type is registered"
            );
            Problem::internal()
        })
    }

    fn describe(op: &mut OperationDoc<'_>, _: &Arg) {
        op.requires_state(TypeId::of::<T>(), type_name::<T>());
    }
}

/// The values registered with `NinjaApi::state`, by type.
#[derive(Default)]
pub(crate) struct StateMap(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl std::fmt::Debug for StateMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateMap")
            .field("len", &self.0.len())
            .finish_non_exhaustive()
    }
}

impl StateMap {
    /// Registers `value`; `false` when a value of its type was there (and is replaced).
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> bool {
        self.0.insert(TypeId::of::<T>(), Arc::new(value)).is_none()
    }

    pub(crate) fn types(&self) -> Vec<TypeId> {
        self.0.keys().copied().collect()
    }

    fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|a| a.clone().downcast::<T>().ok())
    }

    pub(crate) fn get_ref<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|a| a.downcast_ref::<T>())
    }
}

/// A `Cow` that borrows when it can; shared by the query and body decoders.
pub(crate) type Text<'a> = Cow<'a, str>;
