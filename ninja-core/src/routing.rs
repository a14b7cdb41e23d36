//! Routes and the table that finds them: one matchit lookup per request, then an array index
//! by method. Built once at start-up, never locked.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use http::{HeaderValue, Method};

use crate::handler::HandlerFn;
use crate::openapi::OperationDoc;

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
            operation,
        }
    }

    /// A route of the framework's own (the document, the docs page): never documented.
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
            .finish_non_exhaustive()
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

    /// Tags given with `tags = ["..."]`.
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

/// The methods a route can have, each with its slot in [`PathRoutes::handlers`].
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

/// Every handler registered for one path template.
struct PathRoutes {
    handlers: [Option<HandlerFn>; METHODS.len()],
    allow: HeaderValue,
}

/// What a lookup found.
pub(crate) enum Lookup<'a> {
    Found(HandlerFn, matchit::Params<'a, 'a>),
    MethodNotAllowed(&'a HeaderValue),
    NotFound,
}

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
    /// Builds the table, reporting every bad route at once (conflicts, duplicates, ids).
    pub(crate) fn build(routes: &[Route]) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let mut by_path: Vec<(&str, Vec<&Route>)> = Vec::new();
        for r in routes {
            match by_path.iter_mut().find(|(p, _)| *p == r.path) {
                Some((_, rs)) => rs.push(r),
                None => by_path.push((&r.path, vec![r])),
            }
        }
        let mut ids: HashMap<&str, &Route> = HashMap::new();
        for r in routes {
            if let Some(first) = ids.insert(r.operation.operation_id, r) {
                errors.push(format!(
                    "operation id `{}` is used by both `{} {}` and `{} {}`; give one `operation_id = \"...\"`",
                    r.operation.operation_id, first.method, first.path, r.method, r.path
                ));
            }
        }

        let mut router = matchit::Router::new();
        let mut paths = Vec::new();
        for (path, rs) in by_path {
            let mut handlers = [None; METHODS.len()];
            for r in &rs {
                let Some(i) = slot(&r.method) else {
                    errors.push(format!("`{} {path}`: unsupported method", r.method));
                    continue;
                };
                if handlers[i].replace(r.handler).is_some() {
                    errors.push(format!("`{} {path}` is registered twice", r.method));
                }
            }
            if handlers[HEAD].is_none() {
                handlers[HEAD] = handlers[GET];
            }
            let allow: Vec<&str> = METHODS
                .iter()
                .zip(&handlers)
                .filter(|(_, h)| h.is_some())
                .map(|(m, _)| m.as_str())
                .collect();
            let allow = HeaderValue::from_str(&allow.join(", "))
                .expect("method names are valid header values");
            if let Err(e) = router.insert(path, paths.len()) {
                errors.push(format!("route `{path}`: {e}"));
            }
            paths.push(PathRoutes { handlers, allow });
        }
        if errors.is_empty() {
            Ok(Self { router, paths })
        } else {
            Err(errors)
        }
    }

    pub(crate) fn lookup<'a>(&'a self, method: &Method, path: &'a str) -> Lookup<'a> {
        let Ok(m) = self.router.at(path) else {
            return Lookup::NotFound;
        };
        let routes = &self.paths[*m.value];
        match slot(method).and_then(|i| routes.handlers[i]) {
            Some(h) => Lookup::Found(h, m.params),
            None => Lookup::MethodNotAllowed(&routes.allow),
        }
    }
}
