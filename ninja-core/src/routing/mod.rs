//! Routes and the table that finds them: one matchit lookup per request, then an array index
//! by method. Built once at start-up, never locked.

mod route;

pub(crate) use route::join;
pub use route::{Operation, Route};

use std::fmt;
use std::sync::Arc;

use http::{HeaderValue, Method};

use crate::auth::AuthScheme;
use crate::handler::HandlerFn;
use crate::middleware::{BoxedService, LayerFn};
use crate::throttle::Throttles;

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
