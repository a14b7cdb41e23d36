//! Routes and the table that finds them: one matchit lookup per request, then an array index
//! by method. Built once at start-up, never locked.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::{HeaderValue, Method};

use crate::auth::{AuthScheme, AuthSetting};
use crate::handler::HandlerFn;
use crate::middleware::{BoxedService, LayerFn};
use crate::openapi::OperationDoc;
use crate::throttle::{ThrottleSetting, Throttles};

/// The generated function that describes a route's arguments and responses.
pub(crate) type DescribeFn = fn(&mut OperationDoc<'_>);

/// One endpoint: method, path template, what the OpenAPI document says of it, and the
/// generated function that extracts arguments and calls the handler.
///
/// Made by the route macros; collect them with [`routes!`](crate::routes).
#[derive(Clone)]
pub struct Route {
    method: Method,
    path: Cow<'static, str>,
    handler: HandlerFn,
    describe: DescribeFn,
    operation: Operation,
    /// The attribute's `tags`, or the innermost router's.
    tags: Vec<Cow<'static, str>>,
    auth: AuthSetting,
    /// `body_limit = ...` in the route attribute: this route's own, over the API's.
    body_limit: Option<usize>,
    /// `errors = [..]` in the route attribute: the error statuses it documents.
    errors: Option<&'static [u16]>,
    /// `openapi_extra = ..` in the route attribute: fields merged into the operation.
    openapi_extra: Option<fn() -> serde_json::Value>,
    /// `content_type = ".."` in the route attribute: the media type of its successes.
    content_type: Option<HeaderValue>,
    /// `throttle = ..` in the route attribute, else its router's or API's.
    throttle: ThrottleSetting,
    /// Its throttles, resolved against the API's store when the API is built.
    throttles: Option<Arc<Throttles>>,
    /// The layers of the routers it is nested in, innermost first.
    layers: Vec<LayerFn>,
    /// `op = ..` in the route attribute: the API definition's route it implements, which
    /// the document check holds it to.
    definition: Option<fn() -> Route>,
}

impl Route {
    #[doc(hidden)]
    #[must_use]
    pub fn new(
        method: Method,
        path: &'static str,
        handler: HandlerFn,
        describe: DescribeFn,
        operation: Operation,
    ) -> Self {
        Self {
            method,
            path: Cow::Borrowed(path),
            handler,
            describe,
            tags: operation.tags.iter().map(|t| Cow::Borrowed(*t)).collect(),
            operation,
            auth: AuthSetting::Inherit,
            body_limit: None,
            errors: None,
            openapi_extra: None,
            content_type: None,
            definition: None,
            throttle: ThrottleSetting::Inherit,
            throttles: None,
            layers: Vec::new(),
        }
    }

    /// Sets the route's own throttles (`throttle = ...` in the route attribute).
    #[doc(hidden)]
    #[must_use]
    pub fn with_throttle(mut self, throttle: ThrottleSetting) -> Self {
        self.throttle = throttle;
        self
    }

    pub(crate) fn throttle_setting(&self) -> &ThrottleSetting {
        &self.throttle
    }

    pub(crate) fn set_throttles(&mut self, throttles: Arc<Throttles>) {
        self.throttles = Some(throttles);
    }

    pub(crate) fn throttles(&self) -> Option<&Arc<Throttles>> {
        self.throttles.as_ref()
    }

    /// Sets fields merged into the route's operation (`openapi_extra = ..` in the route
    /// attribute).
    #[doc(hidden)]
    #[must_use]
    pub fn with_openapi_extra(mut self, extra: fn() -> serde_json::Value) -> Self {
        self.openapi_extra = Some(extra);
        self
    }

    /// The operation's extra fields (empty when none, or not a JSON object).
    pub(crate) fn openapi_extra(&self) -> serde_json::Map<String, serde_json::Value> {
        match self.openapi_extra.map(|f| f()) {
            Some(serde_json::Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        }
    }

    /// Sets the media type of the route's successes (`content_type = ".."` in the route
    /// attribute): sent as `Content-Type` on every 2xx answer, over the body's own, and
    /// documented for them in place of the body's (a `String` is `text/plain` otherwise).
    #[doc(hidden)]
    #[must_use]
    pub fn with_content_type(mut self, media_type: &'static str) -> Self {
        self.content_type = Some(HeaderValue::from_static(media_type));
        self
    }

    /// `op = ..` in the route attribute: this route implements `definition`'s operation.
    #[doc(hidden)]
    #[must_use]
    pub fn with_definition(mut self, definition: fn() -> Route) -> Self {
        self.definition = Some(definition);
        self
    }

    /// The API definition's route this one implements, if it links one.
    pub(crate) fn definition(&self) -> Option<Route> {
        self.definition.map(|d| d())
    }

    pub(crate) fn content_type(&self) -> Option<&str> {
        self.content_type.as_ref().and_then(|v| v.to_str().ok())
    }

    /// Sets the error statuses the route documents (`errors = [..]` in the route attribute).
    #[doc(hidden)]
    #[must_use]
    pub fn with_errors(mut self, statuses: &'static [u16]) -> Self {
        self.errors = Some(statuses);
        self
    }

    pub(crate) fn errors(&self) -> Option<&'static [u16]> {
        self.errors
    }

    /// Sets the route's own body limit (`body_limit = ...` in the route attribute).
    #[doc(hidden)]
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Sets the route's own auth (`auth = ...` in the route attribute).
    #[doc(hidden)]
    #[must_use]
    pub fn with_auth(mut self, auth: AuthSetting) -> Self {
        self.auth = auth;
        self
    }

    /// Puts the route under `prefix` and fills what it inherits (tags, auth, throttles)
    /// from there; the router's `layers` wrap the route's own.
    pub(crate) fn nest(
        &mut self,
        prefix: &str,
        tags: &[Cow<'static, str>],
        auth: &AuthSetting,
        throttle: &ThrottleSetting,
        layers: &[LayerFn],
    ) {
        if !prefix.is_empty() {
            self.path = Cow::Owned(join(prefix, &self.path));
        }
        if self.tags.is_empty() {
            self.tags = tags.to_vec();
        }
        self.auth.inherit(auth);
        self.throttle.inherit(throttle);
        self.layers.extend(layers.iter().cloned());
    }

    pub(crate) fn auth(&self) -> &AuthSetting {
        &self.auth
    }

    pub(crate) fn auth_scheme(&self) -> Option<&AuthScheme> {
        self.auth.scheme()
    }

    /// The tags it is listed under: its own, else its router's.
    #[must_use]
    pub fn tags(&self) -> &[Cow<'static, str>] {
        &self.tags
    }

    /// A route of the framework's own (health, metrics) described by `describe`, with
    /// `summary`, for an API that asks for them in its document.
    pub(crate) fn documented_as(mut self, summary: &'static str, describe: DescribeFn) -> Self {
        self.operation = Operation::new(
            self.operation.operation_id(),
            Some(summary),
            None,
            &[],
            false,
        );
        self.tags = vec![Cow::Borrowed("ops")];
        self.describe = describe;
        self
    }

    /// A route of the framework's own (the document, the docs page): undocumented.
    pub(crate) fn internal(
        method: Method,
        path: String,
        handler: HandlerFn,
        id: &'static str,
    ) -> Self {
        Self {
            method,
            path: Cow::Owned(path),
            handler,
            describe: |_| {},
            operation: Operation::new(id, None, None, &[], false),
            tags: Vec::new(),
            auth: AuthSetting::Off,
            body_limit: None,
            errors: None,
            openapi_extra: None,
            content_type: None,
            definition: None,
            throttle: ThrottleSetting::Off,
            throttles: None,
            layers: Vec::new(),
        }
    }

    /// Describes this route into `doc`.
    pub(crate) fn describe(&self, doc: &mut OperationDoc<'_>) {
        (self.describe)(doc);
    }

    /// The HTTP method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path template, e.g. `/items/{item_id}`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What the OpenAPI document says of this route.
    #[must_use]
    pub fn operation(&self) -> &Operation {
        &self.operation
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("operation", &self.operation)
            .field("tags", &self.tags)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// `prefix` + `path`, where the route `/` under a prefix is the prefix itself (as in axum's
/// `nest`): `/items` + `/` is `/items`, `/items` + `/{id}` is `/items/{id}`.
pub(crate) fn join(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    if path == "/" && !prefix.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}{path}")
    }
}

/// A route's documentation, taken from the handler by the route macros.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    operation_id: &'static str,
    summary: Option<&'static str>,
    description: Option<&'static str>,
    tags: &'static [&'static str],
    deprecated: bool,
}

impl Operation {
    #[doc(hidden)]
    #[must_use]
    pub const fn new(
        operation_id: &'static str,
        summary: Option<&'static str>,
        description: Option<&'static str>,
        tags: &'static [&'static str],
        deprecated: bool,
    ) -> Self {
        Self {
            operation_id,
            summary,
            description,
            tags,
            deprecated,
        }
    }

    /// The operation id: the handler's name unless set with `operation_id = "..."`.
    #[must_use]
    pub fn operation_id(&self) -> &'static str {
        self.operation_id
    }

    /// The first paragraph of the handler's doc comment.
    #[must_use]
    pub fn summary(&self) -> Option<&'static str> {
        self.summary
    }

    /// The rest of the handler's doc comment.
    #[must_use]
    pub fn description(&self) -> Option<&'static str> {
        self.description
    }

    /// Tags given with `tags = ["..."]` (see [`Route::tags`] for the ones in force).
    #[must_use]
    pub fn tags(&self) -> &'static [&'static str] {
        self.tags
    }

    /// Whether the handler is `#[deprecated]` or marked `deprecated`.
    #[must_use]
    pub fn deprecated(&self) -> bool {
        self.deprecated
    }
}

/// The methods a route can have, each with its slot in [`PathRoutes::targets`].
const METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::HEAD,
];
const HEAD: usize = 5;
const GET: usize = 0;

fn slot(m: &Method) -> Option<usize> {
    METHODS.iter().position(|x| x == m)
}

/// What one method of one path runs: the handler, the API it belongs to, its auth scheme,
/// and the stack of its routers' layers, if any.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) handler: HandlerFn,
    pub(crate) api: usize,
    pub(crate) auth: Option<AuthScheme>,
    pub(crate) stack: Option<BoxedService>,
    /// The route's own body limit, over its API's.
    pub(crate) body_limit: Option<usize>,
    /// The route's declared media type, set on its 2xx answers.
    pub(crate) content_type: Option<HeaderValue>,
    /// Its throttles, if any.
    pub(crate) throttle: Option<Arc<Throttles>>,
    layers: Vec<LayerFn>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("api", &self.api)
            .field("auth", &self.auth)
            .field("layered", &self.stack.is_some())
            .finish_non_exhaustive()
    }
}

/// Everything served at one path template: a handler per method, or a mounted service.
pub(crate) struct PathRoutes {
    targets: [Option<Target>; METHODS.len()],
    allow: HeaderValue,
    pub(crate) api: usize,
    /// The template (or the mount's prefix), for [`crate::MatchedPath`].
    pub(crate) template: Arc<str>,
    mount: Option<BoxedService>,
}

/// What a lookup found.
pub(crate) enum Lookup<'a, 'p> {
    Found(&'a Target, matchit::Params<'a, 'p>, &'a PathRoutes),
    /// `OPTIONS` on a path without an `OPTIONS` handler: answered with `Allow`, through the
    /// stack of the path's first layered route (so a router's CORS layer sees preflights).
    Options(&'a HeaderValue, Option<&'a BoxedService>, &'a PathRoutes),
    /// A service mounted under a prefix; `.1` is the path below the prefix.
    Mount(&'a BoxedService, &'p str, &'a PathRoutes),
    /// The path exists, the method does not.
    MethodNotAllowed(&'a HeaderValue, &'a PathRoutes),
    NotFound,
}

/// A service mounted under a prefix of one API.
pub(crate) struct Mount {
    pub(crate) api: usize,
    pub(crate) prefix: String,
    pub(crate) service: BoxedService,
}

/// The name of a mount's catch-all parameter: the path below its prefix.
const REST: &str = "__ninja_rest";

/// The route table: path template → handlers by method.
pub(crate) struct RouteTable {
    router: matchit::Router<usize>,
    paths: Vec<PathRoutes>,
}

impl fmt::Debug for RouteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteTable")
            .field("paths", &self.paths.len())
            .finish_non_exhaustive()
    }
}

impl RouteTable {
    /// Builds the table from `(api, route)` pairs and mounts, reporting every bad route at
    /// once (conflicts, duplicates).
    pub(crate) fn build<'r>(
        routes: impl IntoIterator<Item = (usize, &'r Route)>,
        mounts: Vec<Mount>,
    ) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let mut by_path: Vec<(&str, Vec<(usize, &Route)>)> = Vec::new();
        for (api, r) in routes {
            match by_path.iter_mut().find(|(p, _)| *p == r.path) {
                Some((_, rs)) => rs.push((api, r)),
                None => by_path.push((&r.path, vec![(api, r)])),
            }
        }

        let mut router = matchit::Router::new();
        let mut paths = Vec::new();
        for (path, rs) in by_path {
            let mut targets: [Option<Target>; METHODS.len()] = Default::default();
            for (api, r) in &rs {
                let Some(i) = slot(&r.method) else {
                    errors.push(format!("`{} {path}`: unsupported method", r.method));
                    continue;
                };
                let target = Target {
                    handler: r.handler,
                    api: *api,
                    auth: r.auth.scheme().cloned(),
                    stack: None,
                    body_limit: r.body_limit,
                    content_type: r.content_type.clone(),
                    throttle: r.throttles.clone(),
                    layers: r.layers.clone(),
                };
                if targets[i].replace(target).is_some() {
                    errors.push(format!("`{} {path}` is registered twice", r.method));
                }
            }
            if targets[HEAD].is_none() {
                targets[HEAD] = targets[GET].clone();
            }
            let allow: Vec<&str> = METHODS
                .iter()
                .zip(&targets)
                .filter(|(_, h)| h.is_some())
                .map(|(m, _)| m.as_str())
                .chain(["OPTIONS"])
                .collect();
            let allow = HeaderValue::from_str(&allow.join(", "))
                .expect("method names are valid header values");
            if let Err(e) = router.insert(path, paths.len()) {
                errors.push(format!("route `{path}`: {e}"));
            }
            paths.push(PathRoutes {
                targets,
                allow,
                api: rs[0].0,
                template: path.into(),
                mount: None,
            });
        }
        for m in mounts {
            let prefix = m.prefix.trim_end_matches('/');
            let exact = if prefix.is_empty() { "/" } else { prefix };
            // matchit's catch-all needs at least one character: `{prefix}/` on its own.
            let mut templates = vec![exact.to_owned(), format!("{prefix}/{{*{REST}}}")];
            if !prefix.is_empty() {
                templates.push(format!("{prefix}/"));
            }
            for path in templates {
                if let Err(e) = router.insert(&path, paths.len()) {
                    errors.push(format!("service mounted at `{}`: {e}", m.prefix));
                }
                paths.push(PathRoutes {
                    targets: Default::default(),
                    allow: HeaderValue::from_static(""),
                    api: m.api,
                    template: exact.into(),
                    mount: Some(m.service.clone()),
                });
            }
        }
        if errors.is_empty() {
            Ok(Self { router, paths })
        } else {
            Err(errors)
        }
    }

    /// Builds the stack of every route that has layers, with `make`.
    pub(crate) fn stack_routes(&mut self, mut make: impl FnMut(&[LayerFn]) -> BoxedService) {
        for p in &mut self.paths {
            for t in p.targets.iter_mut().flatten() {
                let layers = std::mem::take(&mut t.layers);
                if !layers.is_empty() {
                    t.stack = Some(make(&layers));
                }
            }
        }
    }

    pub(crate) fn lookup<'a, 'p>(&'a self, method: &Method, path: &'p str) -> Lookup<'a, 'p> {
        let Ok(m) = self.router.at(path) else {
            return Lookup::NotFound;
        };
        let routes = &self.paths[*m.value];
        if let Some(service) = &routes.mount {
            return Lookup::Mount(service, m.params.get(REST).unwrap_or(""), routes);
        }
        match slot(method).and_then(|i| routes.targets[i].as_ref()) {
            Some(t) => Lookup::Found(t, m.params, routes),
            None if method == Method::OPTIONS => {
                let stack = routes
                    .targets
                    .iter()
                    .flatten()
                    .find_map(|t| t.stack.as_ref());
                Lookup::Options(&routes.allow, stack, routes)
            }
            None => Lookup::MethodNotAllowed(&routes.allow, routes),
        }
    }
}
