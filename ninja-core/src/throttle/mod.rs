//! Throttling, as django-ninja's `throttle=`: rates per client IP, per authenticated user,
//! per API key or for everyone, set on the API, a router or a route (the innermost setting
//! replaces the outer ones), kept in memory or in Redis.
//!
//! ```
//! use ninja_core::prelude::*;
//! use ninja_core::throttle::Throttle;
//!
//! #[post("/orders", throttle = Throttle::per_ip("5/m").named("orders"))]
//! fn place_order() -> &'static str { "placed" }
//!
//! #[get("/items")]
//! fn list_items() -> &'static str { "[]" }
//!
//! let api = NinjaApi::new("Shop", "1.0")
//!     // Every route: 10 a second and 1000 an hour per client address.
//!     .throttle(Throttle::per_ip(["10/s", "1000/h"]))
//!     .routes(routes![place_order, list_items]);
//! # api.build().unwrap();
//! ```
//!
//! A refused request gets a 429 problem with `Retry-After` and the IETF draft's
//! `RateLimit`/`RateLimit-Policy` headers; every answer of a throttled route carries the
//! latter two. Throttled operations document the 429.
//!
//! **Order.** IP and global throttles run before authentication, so failed logins count
//! too; user and key throttles run after it. A request refused by one throttle is not
//! counted by the later ones.
//!
//! **Budgets** are per throttle *name* (default: `ip`, `user`, `key`, `global`) within an
//! API: the same name on several routes shares one budget, so give a route its own budget
//! with [`Throttle::named`]. One name must always have the same rates, kind and user type
//! (a build error otherwise). With the [`RedisStore`] the budgets are shared by every
//! instance of the API (same title) using the same Redis and key prefix.
//!
//! **Who is who.** An IP throttle counts the peer address, or behind
//! [`trusted_proxies`](crate::NinjaApi::trusted_proxies) the client they forwarded for;
//! IPv6 clients count by their /64, which one host commonly holds whole. A key throttle
//! counts the credential read by the scheme that accepted the request (of an `any_of`, the
//! alternative that passed), as a SHA-256.

mod client_ip;
mod memory;
mod rate;
#[cfg(feature = "redis")]
mod redis_store;

use std::any::{Any, TypeId, type_name};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

use http::header::RETRY_AFTER;
use http::request::Parts;
use http::{HeaderName, HeaderValue, StatusCode};

pub(crate) use client_ip::TrustedProxies;
pub use client_ip::{ClientAddr, ForwardedBy};
pub use rate::{IntoRates, Rate};
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;

use crate::auth::AuthScheme;
use crate::extract::Identity;
use crate::problem::Problem;
use crate::response::Response;

/// The draft's header with each policy's remaining quota (`"ip:10/s";r=7;t=1`).
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
/// The draft's header with each policy's quota and window (`"ip:10/s";q=10;w=1`).
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

type UserKey = Arc<dyn Fn(&(dyn Any + Send + Sync)) -> Option<String> + Send + Sync>;

/// Whose requests a throttle counts together.
#[derive(Clone)]
enum By {
    Ip,
    User {
        ty: (TypeId, &'static str),
        key: UserKey,
    },
    Key,
    Global,
}

impl By {
    fn kind(&self) -> &'static str {
        match self {
            By::Ip => "ip",
            By::User { .. } => "user",
            By::Key => "key",
            By::Global => "global",
        }
    }

    fn before_auth(&self) -> bool {
        matches!(self, By::Ip | By::Global)
    }
}

/// A set of rates and whose requests they count: see the [module](self) for where it
/// applies and how budgets are shared.
#[derive(Clone)]
pub struct Throttle(Arc<Spec>);

#[derive(Clone)]
struct Spec {
    name: Cow<'static, str>,
    by: By,
    rates: Result<Vec<Rate>, String>,
}

impl fmt::Debug for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttle")
            .field("name", &self.0.name)
            .field("by", &self.0.by.kind())
            .field("rates", &self.0.rates)
            .finish()
    }
}

impl Throttle {
    fn new(by: By, rates: impl IntoRates) -> Self {
        let rates = rates.into_rates().and_then(|r| {
            if r.is_empty() {
                Err("a throttle needs at least one rate".to_owned())
            } else {
                Ok(r)
            }
        });
        Self(Arc::new(Spec {
            name: Cow::Borrowed(by.kind()),
            by,
            rates,
        }))
    }

    /// Counts each client address's requests (an IPv6 client's /64): the peer's, or behind
    /// proxies named with [`NinjaApi::trusted_proxies`](crate::NinjaApi::trusted_proxies),
    /// the one they forwarded for. Runs before authentication.
    pub fn per_ip(rates: impl IntoRates) -> Self {
        Self::new(By::Ip, rates)
    }

    /// Counts each authenticated user's requests, told apart by `key` (an id, a name) of the
    /// identity the route's auth check returned, the `T` of `Auth<T>`. The route must be
    /// authenticated with a scheme giving a `T`: a build error otherwise.
    pub fn per_user<T: Send + Sync + 'static>(
        rates: impl IntoRates,
        key: impl Fn(&T) -> String + Send + Sync + 'static,
    ) -> Self {
        let key: UserKey = Arc::new(move |id| id.downcast_ref::<T>().map(&key));
        Self::new(
            By::User {
                ty: (TypeId::of::<T>(), type_name::<T>()),
                key,
            },
            rates,
        )
    }

    /// Counts each credential's requests: the API key, bearer token or Basic user name the
    /// client authenticated with (kept only as a SHA-256). The route must be authenticated: a
    /// build error otherwise.
    pub fn per_key(rates: impl IntoRates) -> Self {
        Self::new(By::Key, rates)
    }

    /// Counts every request together, whoever sends it: a cap on an expensive route.
    pub fn global(rates: impl IntoRates) -> Self {
        Self::new(By::Global, rates)
    }

    /// Names the budget (default: the kind, `ip`, `user`, `key` or `global`): the same name
    /// shares one budget, and it names the policy in the `RateLimit` headers.
    pub fn named(self, name: impl Into<Cow<'static, str>>) -> Self {
        let mut spec = Arc::unwrap_or_clone(self.0);
        spec.name = name.into();
        Self(Arc::new(spec))
    }
}

/// Whether a route has its own throttles or takes its router's.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub enum ThrottleSetting {
    /// The enclosing router's (or API's) throttles.
    #[default]
    Inherit,
    /// None, even under a throttled router.
    Off,
    /// These.
    On(Vec<Throttle>),
}

impl ThrottleSetting {
    pub(crate) fn inherit(&mut self, outer: &ThrottleSetting) {
        if matches!(self, Self::Inherit) {
            *self = outer.clone();
        }
    }

    pub(crate) fn throttles(&self) -> &[Throttle] {
        match self {
            Self::On(t) => t,
            _ => &[],
        }
    }
}

/// What `throttle = ...` takes (on a route attribute, `NinjaApi::throttle`,
/// `Router::throttle`): a [`Throttle`], an array or `Vec` of them, or `none` on a route.
#[diagnostic::on_unimplemented(
    message = "`throttle = ...` takes a `Throttle`, an array or `Vec` of them, or `none`, not `{Self}`",
    label = "not a throttle"
)]
pub trait IntoThrottles {
    #[doc(hidden)]
    fn into_setting(self) -> ThrottleSetting;
}

impl IntoThrottles for Throttle {
    fn into_setting(self) -> ThrottleSetting {
        ThrottleSetting::On(vec![self])
    }
}

impl<const N: usize> IntoThrottles for [Throttle; N] {
    fn into_setting(self) -> ThrottleSetting {
        ThrottleSetting::On(self.to_vec())
    }
}

impl IntoThrottles for Vec<Throttle> {
    fn into_setting(self) -> ThrottleSetting {
        ThrottleSetting::On(self)
    }
}

/// `throttle = none` on a route.
#[doc(hidden)]
#[derive(Debug)]
pub struct NoThrottle;

impl IntoThrottles for NoThrottle {
    fn into_setting(self) -> ThrottleSetting {
        ThrottleSetting::Off
    }
}

/// Where throttles keep their counts: in this process (the default) or in Redis.
#[derive(Clone, Default)]
pub struct ThrottleStore(StoreKind);

#[derive(Clone, Default)]
enum StoreKind {
    #[default]
    Memory,
    #[cfg(feature = "redis")]
    Redis(Arc<RedisStore>),
}

impl fmt::Debug for ThrottleStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match &self.0 {
            StoreKind::Memory => "ThrottleStore::Memory",
            #[cfg(feature = "redis")]
            StoreKind::Redis(_) => "ThrottleStore::Redis",
        })
    }
}

impl ThrottleStore {
    /// Counts in this process's memory (GCRA, `governor`): limits hold per instance.
    #[must_use]
    pub fn memory() -> Self {
        Self(StoreKind::Memory)
    }

    /// What is wrong with the store's settings (a Redis URL that does not parse).
    #[cfg(feature = "redis")]
    pub(crate) fn redis_error(&self) -> Option<&str> {
        match &self.0 {
            StoreKind::Redis(r) => r.error(),
            StoreKind::Memory => None,
        }
    }

    fn fails_closed(&self) -> bool {
        match &self.0 {
            StoreKind::Memory => false,
            #[cfg(feature = "redis")]
            StoreKind::Redis(r) => r.fails_closed(),
        }
    }
}

#[cfg(feature = "redis")]
impl From<RedisStore> for ThrottleStore {
    fn from(store: RedisStore) -> Self {
        Self(StoreKind::Redis(Arc::new(store)))
    }
}

/// What a store says of one request against one throttle's rates.
pub(crate) enum Decision {
    /// Let through; each rate's count after it.
    Allowed(Vec<Count>),
    /// Refused: the wait until it would be let through, and each rate's count.
    Refused(Duration, Vec<Count>),
}

/// One rate's state: requests left in the window, and the time until the full quota is back.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Count {
    pub(crate) remaining: u64,
    pub(crate) reset: Duration,
}

/// One throttle as a route runs it: its spec and where its counts are.
struct Bound {
    spec: Throttle,
    /// The budget's name in a shared store: the API's title and the throttle's name, so
    /// two services on one Redis do not share budgets by default.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    scope: String,
    rates: Arc<[Rate]>,
    /// Each rate's policy name in the headers: `"ip:10/s"`.
    items: Vec<String>,
    backend: Backend,
}

enum Backend {
    Memory(Arc<memory::Limiters>),
    #[cfg(feature = "redis")]
    Redis(Arc<RedisStore>),
}

/// A route's throttles, resolved at build time.
pub(crate) struct Throttles {
    before_auth: Vec<Bound>,
    after_auth: Vec<Bound>,
    policy: HeaderValue,
    trusted: Arc<TrustedProxies>,
}

impl fmt::Debug for Throttles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttles")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Which throttles to run: those before authentication or those after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    BeforeAuth,
    AfterAuth,
}

impl Throttles {
    pub(crate) fn needs_client_addr(&self) -> bool {
        self.before_auth
            .iter()
            .any(|b| matches!(b.spec.0.by, By::Ip))
    }

    pub(crate) fn has_after_auth(&self) -> bool {
        !self.after_auth.is_empty()
    }

    /// Counts the request against the throttles of `phase`. `Ok` carries the `RateLimit`
    /// items to send (appended to `counts`); `Err` is the 429 (or, when a fail-closed store
    /// is down, 503) to answer instead.
    pub(crate) async fn check(
        &self,
        phase: Phase,
        parts: &Parts,
        identity: Option<&Identity>,
        scheme: Option<&AuthScheme>,
        counts: &mut String,
    ) -> Result<(), Problem> {
        let bounds = match phase {
            Phase::BeforeAuth => &self.before_auth,
            Phase::AfterAuth => &self.after_auth,
        };
        for b in bounds {
            let Some(key) = self.key(b, parts, identity, scheme) else {
                continue;
            };
            let decision = match &b.backend {
                Backend::Memory(limiters) => Ok(limiters.check(&b.rates, key)),
                #[cfg(feature = "redis")]
                Backend::Redis(store) => store.check(&b.scope, &b.rates, &key).await,
            };
            match decision {
                Ok(Decision::Allowed(c)) => write_counts(counts, &b.items, &c),
                Ok(Decision::Refused(wait, c)) => {
                    let mut now = String::new();
                    write_counts(&mut now, &b.items, &c);
                    return Err(self.refusal(b, wait, &now));
                }
                // The store is down and fails open: let it through uncounted.
                Err(None) => {}
                Err(Some(p)) => return Err(p),
            }
        }
        Ok(())
    }

    fn key(
        &self,
        b: &Bound,
        parts: &Parts,
        identity: Option<&Identity>,
        scheme: Option<&AuthScheme>,
    ) -> Option<String> {
        match &b.spec.0.by {
            By::Ip => Some(match parts.extensions.get::<ClientAddr>() {
                Some(ClientAddr(peer)) => {
                    client_ip::throttle_key(self.trusted.client(peer.ip(), &parts.headers))
                }
                None => "unknown".to_owned(),
            }),
            By::Global => Some(String::new()),
            By::User { key, .. } => key(identity?.as_ref()),
            By::Key => {
                use sha2::Digest as _;
                let credential = scheme?.credential(parts)?;
                // The same in every instance and build; the credential itself is never a
                // key in the store (a hash: low-entropy credentials stay guessable).
                let digest = sha2::Sha256::digest(credential.as_bytes());
                let mut hex = String::with_capacity(32);
                for b in &digest[..16] {
                    use std::fmt::Write as _;
                    let _ = write!(hex, "{b:02x}");
                }
                Some(hex)
            }
        }
    }

    fn refusal(&self, b: &Bound, wait: Duration, counts: &str) -> Problem {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let secs = secs.max(1);
        let rates: Vec<String> = b.rates.iter().map(ToString::to_string).collect();
        let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS)
            .with_detail(format!(
                "too many requests: the `{}` limit ({}) is used up; retry in {secs} s",
                b.spec.0.name,
                rates.join(", ")
            ))
            .with_header(RETRY_AFTER, HeaderValue::from(secs))
            .with_header(RATELIMIT_POLICY, self.policy.clone());
        if let Ok(v) = HeaderValue::from_str(counts) {
            p = p.with_header(RATELIMIT, v);
        }
        p
    }

    /// Puts the `RateLimit` headers on an answer.
    pub(crate) fn stamp(&self, res: &mut Response, counts: &str) {
        let headers = res.headers_mut();
        if headers.contains_key(RATELIMIT_POLICY) {
            return; // a refusal: already stamped
        }
        headers.insert(RATELIMIT_POLICY, self.policy.clone());
        if let Ok(v) = HeaderValue::from_str(counts)
            && !counts.is_empty()
        {
            headers.insert(RATELIMIT, v);
        }
    }
}

fn write_counts(out: &mut String, items: &[String], counts: &[Count]) {
    for (item, c) in items.iter().zip(counts) {
        let t = c.reset.as_secs() + u64::from(c.reset.subsec_nanos() > 0);
        if !out.is_empty() {
            out.push_str(", ");
        }
        let _ = write!(out, "{item};r={};t={t}", c.remaining);
    }
}

/// Resolves routes' throttles against the API's store: one budget per name, the same
/// rates for one name, user and key throttles only on authenticated routes.
pub(crate) struct Resolver<'a> {
    store: &'a ThrottleStore,
    trusted: Arc<TrustedProxies>,
    api_title: &'a str,
    /// Per name: the first throttle seen, its rates, and its limiters when in memory.
    budgets: HashMap<String, Budget>,
}

type Budget = (Throttle, Arc<[Rate]>, Option<Arc<memory::Limiters>>);

impl<'a> Resolver<'a> {
    pub(crate) fn new(
        store: &'a ThrottleStore,
        trusted: Arc<TrustedProxies>,
        api_title: &'a str,
    ) -> Self {
        Self {
            store,
            trusted,
            api_title,
            budgets: HashMap::new(),
        }
    }

    /// The resolved throttles of the route `here` (its `specs`, behind `scheme`), or `None`
    /// when it has none or each was reported into `errors`.
    pub(crate) fn resolve(
        &mut self,
        specs: &[Throttle],
        scheme: Option<&AuthScheme>,
        here: &str,
        errors: &mut Vec<String>,
    ) -> Option<Arc<Throttles>> {
        let mut resolved = Throttles {
            before_auth: Vec::new(),
            after_auth: Vec::new(),
            policy: HeaderValue::from_static(""),
            trusted: Arc::clone(&self.trusted),
        };
        let mut policy = String::new();
        for spec in specs {
            let s = &spec.0;
            let own = match &s.rates {
                Ok(r) => r,
                Err(e) => {
                    errors.push(format!("{here}: {e}"));
                    continue;
                }
            };
            // A structured-field string in the headers: printable ASCII, no `"` or `\`.
            let printable = |c: char| (' '..='~').contains(&c) && c != '"' && c != '\\';
            if s.name.is_empty() || !s.name.chars().all(printable) {
                errors.push(format!(
                    "{here}: throttle name {:?} must be printable ASCII without quotes or backslashes",
                    s.name
                ));
                continue;
            }
            match (&s.by, scheme) {
                (By::User { ty, .. }, Some(sch)) if sch.identity().0 != ty.0 => {
                    errors.push(format!(
                        "{here}: `Throttle::per_user::<{}>` but the route's auth scheme `{}` gives a `{}`",
                        ty.1,
                        sch.name(),
                        sch.identity().1
                    ));
                    continue;
                }
                (By::User { .. } | By::Key, None) => {
                    errors.push(format!(
                        "{here}: the `{}` throttle counts per {} but the route is not authenticated; set an auth scheme or use `Throttle::per_ip`",
                        s.name,
                        if matches!(s.by, By::Key) { "credential" } else { "user" },
                    ));
                    continue;
                }
                _ => {}
            }
            let (first, rates, limiters) = self
                .budgets
                .entry(s.name.to_string())
                .or_insert_with(|| {
                    let rates: Arc<[Rate]> = own.clone().into();
                    let limiters = matches!(self.store.0, StoreKind::Memory)
                        .then(|| Arc::new(memory::Limiters::new(&rates)));
                    (spec.clone(), rates, limiters)
                })
                .clone();
            let user_type = |b: &By| match b {
                By::User { ty, .. } => Some(ty.0),
                _ => None,
            };
            if rates[..] != own[..]
                || first.0.by.kind() != s.by.kind()
                || user_type(&first.0.by) != user_type(&s.by)
            {
                errors.push(format!(
                    "{here}: two throttles are named `{}` with different kinds, rates or user types; one name is one budget: name them apart with `.named(..)`",
                    s.name
                ));
                continue;
            }
            let items: Vec<String> = rates
                .iter()
                .map(|r| format!("\"{}:{r}\"", s.name))
                .collect();
            for (item, r) in items.iter().zip(rates.iter()) {
                if !policy.is_empty() {
                    policy.push_str(", ");
                }
                let _ = write!(policy, "{item};q={};w={}", r.quota(), r.window().as_secs());
            }
            let backend = match (&self.store.0, limiters) {
                (_, Some(l)) => Backend::Memory(l),
                #[cfg(feature = "redis")]
                (StoreKind::Redis(r), None) => Backend::Redis(Arc::clone(r)),
                (StoreKind::Memory, None) => unreachable!("memory budgets have limiters"),
            };
            let bound = Bound {
                scope: format!("{}:{}", self.api_title, s.name),
                rates,
                items,
                backend,
                spec: spec.clone(),
            };
            if s.by.before_auth() {
                resolved.before_auth.push(bound);
            } else {
                resolved.after_auth.push(bound);
            }
        }
        if policy.is_empty() {
            return None; // every throttle of the route was reported above
        }
        match HeaderValue::from_str(&policy) {
            Ok(v) => {
                resolved.policy = v;
                Some(Arc::new(resolved))
            }
            Err(_) => {
                errors.push(format!(
                    "{here}: the throttles' `RateLimit-Policy` header `{policy}` is not a valid header value"
                ));
                None
            }
        }
    }
}

/// Whether an operation's 429 (and, with a fail-closed store, 503) are documented.
pub(crate) fn store_fails_closed(store: &ThrottleStore) -> bool {
    store.fails_closed()
}
