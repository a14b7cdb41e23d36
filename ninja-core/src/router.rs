//! [`Router`]: routes grouped under a path prefix, with default tags and auth.

use std::borrow::Cow;

use crate::auth::{AuthScheme, AuthSetting};
use crate::routing::Route;

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
#[derive(Debug, Clone, Default)]
#[must_use = "a router does nothing until an API mounts it"]
pub struct Router {
    prefix: String,
    tags: Vec<Cow<'static, str>>,
    auth: AuthSetting,
    routes: Vec<Route>,
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

    /// Adds routes, usually `routes![a, b, c]`.
    pub fn routes(mut self, routes: impl IntoIterator<Item = Route>) -> Self {
        self.routes.extend(routes);
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
            r.nest(&self.prefix, &self.tags, &self.auth);
        }
        routes
    }
}
