//! Authentication: a scheme reads a credential from the request, the user's check turns it
//! into an identity or rejects it, and the handler takes the identity as [`Auth<T>`].
//!
//! ```
//! use ninja_core::prelude::*;
//! use ninja_core::auth::{AuthScheme, constant_time_eq};
//!
//! #[derive(Clone)]
//! struct User { name: String }
//!
//! // A check that never blocks can be async: it then runs on the reactor, with no hand-off.
//! async fn check_token(token: String) -> Option<User> {
//!     constant_time_eq(&token, "s3cret").then(|| User { name: "ada".into() })
//! }
//!
//! /// Who am I?
//! #[get("/me")]
//! async fn me(user: Auth<User>) -> String {
//!     user.name.clone()
//! }
//!
//! let api = NinjaApi::new("Demo", "1.0").auth(AuthScheme::bearer(check_token)).routes(routes![me]);
//! ```
//!
//! A scheme (or [`AuthScheme::any_of`] several) is set on the API, a
//! [`Router`](crate::Router) or one route (`auth = expr` in the route attribute), the
//! innermost winning; `auth = none` opens one route under an authenticated router. Each
//! scheme is also an OpenAPI `securityScheme`, and each authenticated operation lists it
//! under `security`.
//!
//! A sync check (`fn(String) -> Option<User>`) runs on the blocking pool like a sync handler,
//! so it may query a database; an async one is awaited. Either returns `Option<T>` (`None` →
//! 401) or `Result<T, Problem>` (the problem is the answer, e.g. a 403).

use std::any::{TypeId, type_name};
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine as _;
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use crate::exec::Exec;
use crate::extract::{Arg, FromRequestParts, Identity, RequestCx, cookie_values, parse_query};
use crate::openapi::OperationDoc;
use crate::problem::Problem;

type CheckFuture = Pin<Box<dyn Future<Output = Result<Identity, Problem>> + Send>>;

/// The user's check, erased: credential in, identity or rejection out.
type CheckFn<C> = Arc<dyn Fn(C, &Exec) -> CheckFuture + Send + Sync>;

/// Compares two secrets in time that depends only on their lengths, not on where they
/// differ, so a client cannot guess a key byte by byte from response times.
///
/// ```
/// assert!(ninja_core::auth::constant_time_eq("k3y", "k3y"));
/// assert!(!ninja_core::auth::constant_time_eq("k3y", "key"));
/// ```
#[must_use]
pub fn constant_time_eq(a: impl AsRef<[u8]>, b: impl AsRef<[u8]>) -> bool {
    use subtle::ConstantTimeEq as _;
    a.as_ref().ct_eq(b.as_ref()).into()
}

/// What a check returns: an identity, or a rejection.
pub trait Verdict: Send + 'static {
    /// The identity handlers take as [`Auth<Identity>`].
    type Identity: Clone + Send + Sync + 'static;
    /// `Err(None)` is the scheme's own 401.
    fn into_result(self) -> Result<Self::Identity, Option<Problem>>;
}

impl<T: Clone + Send + Sync + 'static> Verdict for Option<T> {
    type Identity = T;
    fn into_result(self) -> Result<T, Option<Problem>> {
        self.ok_or(None)
    }
}

impl<T: Clone + Send + Sync + 'static> Verdict for Result<T, Problem> {
    type Identity = T;
    fn into_result(self) -> Result<T, Option<Problem>> {
        self.map_err(Some)
    }
}

/// Marks a sync check (runs on the blocking pool). Only for type inference.
#[derive(Debug)]
pub enum SyncCheck {}
/// Marks an async check (awaited on the reactor). Only for type inference.
#[derive(Debug)]
pub enum AsyncCheck {}

/// A function that checks a credential of type `C`: sync (`Fn(C) -> Option<T>`) or async
/// (`Fn(C) -> impl Future<Output = Option<T>>`); `Result<T, Problem>` works in both places.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot check credentials of type `{C}`",
    note = "a check is `fn(C) -> Option<Identity>` or `async fn(C) -> Option<Identity>` (or returns `Result<Identity, Problem>`), where `Identity: Clone + Send + Sync + 'static`"
)]
pub trait Check<C, M>: Send + Sync + 'static {
    /// The identity the check produces.
    type Identity: 'static;
    #[doc(hidden)]
    fn erase(self, reject: fn() -> Problem) -> CheckFn<C>;
}

fn settle<V: Verdict>(v: V, reject: fn() -> Problem) -> Result<Identity, Problem> {
    match v.into_result() {
        Ok(id) => Ok(Box::new(id)),
        Err(p) => Err(p.unwrap_or_else(reject)),
    }
}

impl<F, C, V> Check<C, (SyncCheck, V)> for F
where
    F: Fn(C) -> V + Send + Sync + 'static,
    C: Send + 'static,
    V: Verdict,
{
    type Identity = V::Identity;
    fn erase(self, reject: fn() -> Problem) -> CheckFn<C> {
        let f = Arc::new(self);
        Arc::new(move |cred, exec| {
            let f = Arc::clone(&f);
            let call = exec.blocking(move || settle(f(cred), reject));
            Box::pin(async move { call.await.and_then(|r| r) })
        })
    }
}

impl<F, C, Fut> Check<C, (AsyncCheck, Fut)> for F
where
    F: Fn(C) -> Fut + Send + Sync + 'static,
    C: Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Verdict,
{
    type Identity = <Fut::Output as Verdict>::Identity;
    fn erase(self, reject: fn() -> Problem) -> CheckFn<C> {
        Arc::new(move |cred, _| {
            let fut = self(cred);
            Box::pin(async move {
                use futures_util::FutureExt as _;
                match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
                    Ok(v) => settle(v, reject),
                    Err(_) => {
                        tracing::error!("an authentication check panicked; answered 500");
                        Err(Problem::internal())
                    }
                }
            })
        })
    }
}

/// Where an API key is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiKeyIn {
    /// A request header, e.g. `X-API-Key`.
    Header,
    /// A query parameter, e.g. `?api_key=`.
    Query,
    /// A cookie, e.g. `session`.
    Cookie,
}

/// HTTP Basic credentials, decoded from `Authorization: Basic ...`.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The user name (before the first `:`).
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Clone)]
enum SchemeKind {
    ApiKey {
        location: ApiKeyIn,
        name: String,
        check: CheckFn<String>,
    },
    Bearer {
        format: Option<String>,
        check: CheckFn<String>,
    },
    Basic {
        /// `Basic realm="..", charset="UTF-8"`, built once.
        challenge: HeaderValue,
        check: CheckFn<BasicCredentials>,
    },
    /// Any one of these, tried in order.
    AnyOf(Vec<AuthScheme>),
}

/// One way to authenticate: where the credential is, and the check that accepts it.
///
/// Cheap to clone; set it with `NinjaApi::auth`, `Router::auth` or `auth = expr` on a route.
#[derive(Clone)]
pub struct AuthScheme(Arc<Inner>);

#[derive(Clone)]
struct Inner {
    kind: SchemeKind,
    /// The key under `components.securitySchemes`.
    name: String,
    description: Option<String>,
    identity: (TypeId, &'static str),
    /// Misconfigurations found while the scheme was made (an empty `any_of`, mixed
    /// identity types, a bad realm): reported by `build()`, with every other problem.
    errors: Vec<String>,
}

impl fmt::Debug for AuthScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthScheme")
            .field("name", &self.0.name)
            .field("identity", &self.0.identity.1)
            .finish_non_exhaustive()
    }
}

fn unauthorized(www_authenticate: Option<&'static str>, detail: &'static str) -> Problem {
    let p = Problem::new(StatusCode::UNAUTHORIZED).with_detail(detail);
    match www_authenticate {
        Some(v) => p.with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static(v)),
        None => p,
    }
}

fn reject_api_key() -> Problem {
    unauthorized(None, "the API key is missing or not valid")
}

fn reject_bearer() -> Problem {
    unauthorized(
        Some("Bearer error=\"invalid_token\""),
        "the bearer token is not valid",
    )
}

impl AuthScheme {
    fn new<C, M, F: Check<C, M>>(
        kind: impl FnOnce(CheckFn<C>) -> SchemeKind,
        name: &str,
        check: F,
        reject: fn() -> Problem,
    ) -> Self {
        Self(Arc::new(Inner {
            kind: kind(check.erase(reject)),
            name: name.to_owned(),
            description: None,
            identity: (TypeId::of::<F::Identity>(), type_name::<F::Identity>()),
            errors: Vec::new(),
        }))
    }

    /// An API key in a header, query parameter or cookie named `name`.
    ///
    /// A missing or rejected key is a 401 (API keys define no `WWW-Authenticate` challenge).
    pub fn api_key<M, F: Check<String, M>>(location: ApiKeyIn, name: &str, check: F) -> Self {
        let scheme = match location {
            ApiKeyIn::Header => "apiKeyHeader",
            ApiKeyIn::Query => "apiKeyQuery",
            ApiKeyIn::Cookie => "apiKeyCookie",
        };
        let name_owned = name.to_owned();
        Self::new(
            move |check| SchemeKind::ApiKey {
                location,
                name: name_owned,
                check,
            },
            scheme,
            check,
            reject_api_key,
        )
    }

    /// `Authorization: Bearer <token>`. Missing or rejected: 401 with
    /// `WWW-Authenticate: Bearer`.
    pub fn bearer<M, F: Check<String, M>>(check: F) -> Self {
        Self::new(
            |check| SchemeKind::Bearer {
                format: None,
                check,
            },
            "bearerAuth",
            check,
            reject_bearer,
        )
    }

    /// `Authorization: Basic <base64(user:password)>`. Missing or rejected: 401 with
    /// `WWW-Authenticate: Basic realm="api"` (see [`realm`](Self::realm)).
    pub fn basic<M, F: Check<BasicCredentials, M>>(check: F) -> Self {
        Self::new(
            |check| SchemeKind::Basic {
                challenge: basic_challenge("api").expect("a valid header value"),
                check,
            },
            "basicAuth",
            check,
            || unauthorized(None, "the user name or password is not valid"),
        )
    }

    /// Accepts a request that any one of `schemes` accepts, tried in order (django-ninja's
    /// `auth=[a, b]`): a missing or rejected credential moves on to the next. Every scheme
    /// must give the same identity type.
    ///
    /// When none accepts, the answer is a problem a scheme gave other than 401 (say, a
    /// check's 403) if there is one, else a 401 with every scheme's challenge. The document
    /// lists each scheme as an alternative under `security`.
    ///
    /// An empty list, or schemes giving different identity types, make the API fail to
    /// build (a [`BuildError`](crate::BuildError) naming them).
    pub fn any_of(schemes: impl IntoIterator<Item = AuthScheme>) -> Self {
        let schemes: Vec<AuthScheme> = schemes
            .into_iter()
            .flat_map(|s| match &s.0.kind {
                SchemeKind::AnyOf(inner) => inner.clone(),
                _ => vec![s],
            })
            .collect();
        let mut errors = Vec::new();
        let identity = match schemes.first() {
            Some(first) => first.0.identity,
            None => {
                errors.push("`AuthScheme::any_of` needs at least one scheme".to_owned());
                (TypeId::of::<()>(), "()")
            }
        };
        if let (Some(first), Some(other)) = (
            schemes.first(),
            schemes.iter().find(|s| s.0.identity.0 != identity.0),
        ) {
            errors.push(format!(
                "`AuthScheme::any_of`: `{}` gives a `{}` but `{}` gives a `{}`; every scheme must give the same identity type",
                first.name(),
                identity.1,
                other.name(),
                other.0.identity.1
            ));
        }
        let name = schemes
            .iter()
            .map(AuthScheme::name)
            .collect::<Vec<_>>()
            .join(" or ");
        Self(Arc::new(Inner {
            kind: SchemeKind::AnyOf(schemes),
            name,
            description: None,
            identity,
            errors,
        }))
    }

    /// The schemes a request may use: this one, or each of an `any_of`.
    /// The credential a request carries for this scheme: what a per-key throttle counts
    /// by, asked of the scheme that accepted the request. For Basic, the user name.
    pub(crate) fn credential(&self, parts: &Parts) -> Option<String> {
        match &self.0.kind {
            SchemeKind::AnyOf(all) => all.iter().find_map(|s| s.credential(parts)),
            SchemeKind::ApiKey { location, name, .. } => api_key(*location, name, parts),
            SchemeKind::Bearer { .. } => authorization(parts, "Bearer").map(str::to_owned),
            SchemeKind::Basic { .. } => authorization(parts, "Basic")
                .and_then(basic_credentials)
                .map(|c| c.username),
        }
    }

    pub(crate) fn alternatives(&self) -> &[AuthScheme] {
        match &self.0.kind {
            SchemeKind::AnyOf(all) => all,
            _ => std::slice::from_ref(self),
        }
    }

    /// Changes this scheme. A scheme already cloned is copied first, so the change is this
    /// value's own: `s.clone().named("a")` leaves `s` as it was, and the two are then two
    /// schemes (which the document lists apart, so they need two names).
    fn edit(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        f(Arc::make_mut(&mut self.0));
        self
    }

    /// Every misconfiguration of this scheme and of the schemes it combines.
    pub(crate) fn errors(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(self)
            .chain(self.alternatives().iter().filter(|a| !a.same(self)))
            .flat_map(|s| {
                s.0.errors
                    .iter()
                    .map(move |e| format!("auth scheme `{}`: {e}", s.name()))
            })
    }

    /// Its key under `components.securitySchemes` (default `apiKeyHeader`, `apiKeyQuery`,
    /// `apiKeyCookie`, `bearerAuth` or `basicAuth`). Two schemes in one API need two names.
    #[must_use]
    pub fn named(self, name: &str) -> Self {
        self.edit(|i| i.name = name.to_owned())
    }

    /// A description for the document.
    #[must_use]
    pub fn description(self, text: &str) -> Self {
        self.edit(|i| i.description = Some(text.to_owned()))
    }

    /// A bearer token's format, for the document (e.g. `JWT`).
    #[must_use]
    pub fn bearer_format(self, format: &str) -> Self {
        self.edit(|i| {
            if let SchemeKind::Bearer { format: f, .. } = &mut i.kind {
                *f = Some(format.to_owned());
            }
        })
    }

    /// The realm a Basic challenge names (default `api`). A realm that cannot be a header
    /// value (a control character, a `"`) makes the API fail to build.
    #[must_use]
    pub fn realm(self, realm: &str) -> Self {
        let Some(value) = basic_challenge(realm) else {
            let e = format!(
                "`realm({realm:?})` is not a valid Basic realm (no control characters or `\"`)"
            );
            return self.edit(|i| i.errors.push(e));
        };
        self.edit(|i| {
            if let SchemeKind::Basic { challenge, .. } = &mut i.kind {
                *challenge = value;
            }
        })
    }

    /// Its key under `components.securitySchemes`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub(crate) fn identity(&self) -> (TypeId, &'static str) {
        self.0.identity
    }

    pub(crate) fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The OpenAPI `securityScheme` object.
    pub(crate) fn security_scheme(&self) -> Value {
        let mut v = match &self.0.kind {
            SchemeKind::ApiKey { location, name, .. } => {
                let loc = match location {
                    ApiKeyIn::Header => "header",
                    ApiKeyIn::Query => "query",
                    ApiKeyIn::Cookie => "cookie",
                };
                json!({"type": "apiKey", "in": loc, "name": name})
            }
            SchemeKind::Bearer { format, .. } => match format {
                Some(f) => json!({"type": "http", "scheme": "bearer", "bearerFormat": f}),
                None => json!({"type": "http", "scheme": "bearer"}),
            },
            SchemeKind::Basic { .. } => json!({"type": "http", "scheme": "basic"}),
            // Documented through its alternatives.
            SchemeKind::AnyOf(_) => json!({}),
        };
        if let Some(d) = &self.0.description {
            v["description"] = Value::String(d.clone());
        }
        v
    }

    /// Reads the credential and runs the check: the identity and the scheme that accepted
    /// it (one of an `any_of`'s alternatives), or the answer to send instead.
    pub(crate) async fn authenticate<'a>(
        &'a self,
        parts: &Parts,
        exec: &Exec,
    ) -> Result<(Identity, &'a AuthScheme), Problem> {
        match &self.0.kind {
            SchemeKind::AnyOf(all) => {
                let mut refusals = Vec::with_capacity(all.len());
                for scheme in all {
                    match Box::pin(scheme.authenticate(parts, exec)).await {
                        Ok(accepted) => return Ok(accepted),
                        Err(p) => refusals.push(p),
                    }
                }
                Err(combine(refusals))
            }
            SchemeKind::ApiKey {
                location,
                name,
                check,
            } => {
                let key = api_key(*location, name, parts).ok_or_else(reject_api_key)?;
                check(key, exec).await.map(|id| (id, self))
            }
            SchemeKind::Bearer { check, .. } => {
                let token = authorization(parts, "Bearer")
                    .ok_or_else(|| unauthorized(Some("Bearer"), "a bearer token is required"))?;
                check(token.to_owned(), exec).await.map(|id| (id, self))
            }
            SchemeKind::Basic { challenge, check } => {
                let challenged =
                    |p: Problem| p.with_header(header::WWW_AUTHENTICATE, challenge.clone());
                let Some(creds) = authorization(parts, "Basic").and_then(basic_credentials) else {
                    return Err(challenged(
                        Problem::new(StatusCode::UNAUTHORIZED)
                            .with_detail("a user name and password are required"),
                    ));
                };
                // A rejection challenges again, as RFC 7617 asks.
                check(creds, exec).await.map(|id| (id, self)).map_err(|p| {
                    let unchallenged = p.status() == StatusCode::UNAUTHORIZED
                        && !p.headers().contains_key(header::WWW_AUTHENTICATE);
                    if unchallenged { challenged(p) } else { p }
                })
            }
        }
    }
}

/// The `WWW-Authenticate` value of a Basic challenge for `realm`.
fn basic_challenge(realm: &str) -> Option<HeaderValue> {
    if realm.contains('"') {
        return None;
    }
    HeaderValue::from_str(&format!("Basic realm=\"{realm}\", charset=\"UTF-8\"")).ok()
}

/// One answer for every scheme of an `any_of` refusing: a refusal other than 401 if any
/// (the credential was recognised and refused), else a 401 carrying every challenge.
fn combine(refusals: Vec<Problem>) -> Problem {
    if let Some(p) = refusals
        .iter()
        .find(|p| p.status() != StatusCode::UNAUTHORIZED)
    {
        return p.clone();
    }
    let mut answer =
        Problem::new(StatusCode::UNAUTHORIZED).with_detail("no accepted credentials were sent");
    for p in &refusals {
        for v in p.headers().get_all(header::WWW_AUTHENTICATE) {
            answer = answer.append_header(header::WWW_AUTHENTICATE, v.clone());
        }
    }
    answer
}

/// The credential after `Authorization: <scheme> ` (scheme compared without case).
fn authorization<'a>(parts: &'a Parts, scheme: &str) -> Option<&'a str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    (given.eq_ignore_ascii_case(scheme) && !rest.is_empty()).then_some(rest)
}

fn basic_credentials(encoded: &str) -> Option<BasicCredentials> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some(BasicCredentials {
        username: user.to_owned(),
        password: pass.to_owned(),
    })
}

fn api_key(location: ApiKeyIn, name: &str, parts: &Parts) -> Option<String> {
    let key = match location {
        ApiKeyIn::Header => parts.headers.get(name)?.to_str().ok()?.to_owned(),
        ApiKeyIn::Query => {
            let pairs = parse_query(parts.uri.query()?).ok()?;
            let mut values = pairs.values(name);
            values.next()?.to_owned()
        }
        ApiKeyIn::Cookie => cookie_values(&parts.headers, name)?.into_iter().next()?,
    };
    (!key.is_empty()).then_some(key)
}

/// The identity the route's auth check returned.
///
/// ```
/// # use ninja_core::prelude::*;
/// # #[derive(Clone)] struct User { name: String }
/// #[get("/me")]
/// fn me(user: Auth<User>) -> String {
///     format!("hello {}", user.name)
/// }
/// ```
///
/// An API that serves a route taking `Auth<T>` without a scheme that yields a `T` fails to
/// build, naming the route.
#[derive(Debug, Clone)]
pub struct Auth<T>(pub T);

impl<T> Deref for Auth<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone + Send + Sync + 'static> FromRequestParts for Auth<T> {
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        cx.identity::<T>().cloned().map(Auth).ok_or_else(|| {
            // The build-time check makes this unreachable for routes the macros made.
            tracing::error!(
                identity = type_name::<T>(),
                "no authenticated identity of this type"
            );
            Problem::internal()
        })
    }

    fn describe(op: &mut OperationDoc<'_>, _: &Arg) {
        op.requires_identity(TypeId::of::<T>(), type_name::<T>());
    }
}

/// Whether a route has its own auth setting or takes its router's.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub enum AuthSetting {
    /// The enclosing router's (or API's) setting.
    #[default]
    Inherit,
    /// No authentication, even under an authenticated router.
    Off,
    /// This scheme.
    On(AuthScheme),
}

impl AuthSetting {
    /// Fills an inherited setting from the enclosing one.
    pub(crate) fn inherit(&mut self, outer: &AuthSetting) {
        if matches!(self, Self::Inherit) {
            *self = outer.clone();
        }
    }

    pub(crate) fn scheme(&self) -> Option<&AuthScheme> {
        match self {
            Self::On(s) => Some(s),
            _ => None,
        }
    }
}

/// What `auth = ...` on a route attribute accepts: a scheme, or `none`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`auth = ...` takes an `AuthScheme` or `none`, not `{Self}`",
    label = "not an auth scheme"
)]
pub trait IntoAuthSetting {
    fn into_setting(self) -> AuthSetting;
}

impl IntoAuthSetting for AuthScheme {
    fn into_setting(self) -> AuthSetting {
        AuthSetting::On(self)
    }
}

/// `auth = none` on a route.
#[doc(hidden)]
#[derive(Debug)]
pub struct NoAuth;

impl IntoAuthSetting for NoAuth {
    fn into_setting(self) -> AuthSetting {
        AuthSetting::Off
    }
}
