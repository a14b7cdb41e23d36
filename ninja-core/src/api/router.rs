//! [`Router`]: routes grouped under a path prefix, with default tags and auth.

use std::borrow::Cow;
use std::fmt;

use tower::Layer;

use crate::auth::{AuthScheme, AuthSetting};
use crate::middleware::{HttpService, LayerFn, Stack, layer_fn};
use crate::routing::Route;
use crate::throttle::{IntoThrottles, ThrottleSetting};

/// A group of routes under a path prefix, with the tags and auth they default to.
///
/// ```
/// use ninja_core::prelude::*;
///
/// #[get("/")]
/// fn list_items() -> &'static str { "[]" }
///
/// #[get("/{item_id}")]
/// fn get_item(item_id: u32) -> String { item_id.to_string() }
///
/// let items = Router::new("/items").tags(["items"]).routes(routes![list_items, get_item]);
/// let api = NinjaApi::new("Shop", "1.0").router(Router::new("/v1").router(items));
/// let paths: Vec<_> = api.route_list().iter().map(|r| r.path().to_owned()).collect();
/// assert_eq!(paths, ["/v1/items", "/v1/items/{item_id}"]);
/// ```
///
/// What a route says for itself wins: its own `tags = [..]` replace the router's, its own
/// `auth = ..` (or `auth = none`) replaces the router's scheme. Routers nest, the innermost
/// setting winning. The route `/` under a prefix is the prefix itself.
#[derive(Clone, Default)]
#[must_use = "a router does nothing until an API mounts it"]
pub struct Router {
    prefix: String,
    tags: Vec<Cow<'static, str>>,
    auth: AuthSetting,
    throttle: ThrottleSetting,
    routes: Vec<Route>,
    layers: Vec<LayerFn>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("prefix", &self.prefix)
            .field("tags", &self.tags)
            .field("auth", &self.auth)
            .field("throttle", &self.throttle)
            .field("routes", &self.routes)
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl Router {
    /// A router for paths under `prefix` (e.g. `/items`; `""` for none).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            ..Self::default()
        }
    }

    /// Tags for the routes that name none of their own.
    pub fn tags<S: Into<Cow<'static, str>>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Authenticates the routes that set no auth of their own.
    pub fn auth(mut self, scheme: AuthScheme) -> Self {
        self.auth = AuthSetting::On(scheme);
        self
    }

    /// Leaves the routes unauthenticated even when the enclosing router or API has auth.
    pub fn no_auth(mut self) -> Self {
        self.auth = AuthSetting::Off;
        self
    }

    /// Throttles the routes that set none of their own: `Throttle`s, an array of them (see
    /// [`throttle`](crate::throttle)). Replaces the API's throttles for these routes.
    pub fn throttle(mut self, throttles: impl IntoThrottles) -> Self {
        self.throttle = throttles.into_setting();
        self
    }

    /// Leaves the routes unthrottled even when the enclosing router or API throttles.
    pub fn no_throttle(mut self) -> Self {
        self.throttle = ThrottleSetting::Off;
        self
    }

    /// Adds routes, usually `routes![a, b, c]`.
    pub fn routes(mut self, routes: impl IntoIterator<Item = Route>) -> Self {
        self.routes.extend(routes);
        self
    }

    /// Wraps every route of this router (nested routers' too) in a tower `layer`, which then
    /// sees each request from authentication to the handler's answer, including the
    /// framework's 401/413/415/422/503 problems. The last layer added runs first
    /// (outermost), as in axum; a nested router's layers run inside its parent's.
    ///
    /// Answers for paths no route of the router matches (404, 405) belong to the API: use
    /// [`NinjaApi::layer`](crate::NinjaApi::layer) for those. An `OPTIONS` request on a
    /// router's path goes through its layers, so a router-level CORS layer answers
    /// preflights. The bounds are those of [`NinjaApi::layer`](crate::NinjaApi::layer).
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Stack> + Send + Sync + 'static,
        L::Service: HttpService,
    {
        self.layers.push(layer_fn(layer));
        self
    }

    /// Nests `child` under this router's prefix.
    pub fn router(mut self, child: Router) -> Self {
        self.routes.extend(child.into_routes());
        self
    }

    /// The routes with this router's prefix, tags and auth applied.
    pub(crate) fn into_routes(self) -> Vec<Route> {
        let mut routes = self.routes;
        for r in &mut routes {
            r.nest(
                &self.prefix,
                &self.tags,
                &self.auth,
                &self.throttle,
                &self.layers,
            );
        }
        routes
    }
}
