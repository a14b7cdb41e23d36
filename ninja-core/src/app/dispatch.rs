//! How a built app answers a request: check the head, route, enter the API's and then the
//! route's layers (when there are any), authenticate, extract, run the handler, let the
//! API's error handler reshape a problem.

use std::future::Future;
use std::sync::{Arc, Weak};

use http::request::Parts;
use http::{Request, StatusCode, header};

use crate::body::{Body, RequestBody};
use crate::extract::RequestCx;
use crate::middleware::{BoxedService, DynService, LayerFn, MatchedPath, ResponseFuture, Stack};
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use crate::routing::{Lookup, PathRoutes};
use crate::throttle::Phase;

use super::Shared;

/// How far into the layers a request already is: each stack ends in an [`Inner`] service
/// that routes the request again one level deeper, so no stack is entered twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Depth {
    /// Not in any stack yet.
    Top,
    /// Inside the API's layers.
    Api,
    /// Inside the route's (its routers') layers.
    Route,
}

impl Depth {
    /// The stack to enter next, of the API's and the route's.
    fn next<'a>(
        self,
        api: Option<&'a BoxedService>,
        route: Option<&'a BoxedService>,
    ) -> Option<&'a BoxedService> {
        match self {
            Self::Top => api.or(route),
            Self::Api => route,
            Self::Route => None,
        }
    }
}

/// The innermost service of a stack: routes the request at the next depth. Holds the app
/// weakly, since the app holds the stack.
pub(super) struct Inner {
    pub(super) shared: Weak<Shared>,
    pub(super) depth: Depth,
}

impl DynService for Inner {
    fn oneshot(&self, req: Request<RequestBody>) -> ResponseFuture {
        let Some(shared) = self.shared.upgrade() else {
            // Only when a layer holds a request past the app's own end.
            let gone = Problem::new(StatusCode::SERVICE_UNAVAILABLE).into_response();
            return Box::pin(std::future::ready(gone));
        };
        let (parts, body) = req.into_parts();
        Box::pin(shared.route(parts, body, self.depth))
    }
}

/// Wraps `inner` in `layers`, innermost first.
pub(super) fn stack(layers: &[LayerFn], inner: Inner) -> BoxedService {
    let mut service = BoxedService::new(inner);
    for layer in layers {
        service = layer(Stack::new(service));
    }
    service
}

/// Notes the route a request matched, for layers to read: set on the way in (`Top`), kept
/// below, so an app mounted in another names its own routes.
fn matched(
    mut parts: Parts,
    at: &PathRoutes,
    body: RequestBody,
    depth: Depth,
) -> Request<RequestBody> {
    if depth == Depth::Top || parts.extensions.get::<MatchedPath>().is_none() {
        parts
            .extensions
            .insert(MatchedPath(Arc::clone(&at.template)));
    }
    Request::from_parts(parts, body)
}

impl Shared {
    /// Routes a request `depth` deep into the layers: enters the next stack its API or route
    /// has, or, below every stack, answers it.
    ///
    /// Written for the size of the future, which hyper keeps per connection: a plain `fn`
    /// returning an `async` block (an `async fn` moves its arguments into locals when it
    /// starts, and both copies of the head would take room), and a stack's own state is in
    /// the box of its oneshot (see [`BoxedService`]; awaited unboxed, it measured 270 bytes
    /// more, on the path without layers too). The answer is the block's own output: a
    /// wrapper future around it (the routing step, then the stack) moved every response
    /// twice more (callgrind, ~100 instructions a request).
    #[allow(clippy::manual_async_fn)]
    pub(super) fn route(
        self: Arc<Self>,
        parts: Parts,
        body: RequestBody,
        depth: Depth,
    ) -> impl Future<Output = Response> + Send {
        async move {
            if depth == Depth::Top
                && let Err(p) = self.check_head(&parts)
            {
                return self.unrouted(parts.uri.path(), p);
            }
            // A stack to enter, awaited after the `match`, where nothing the lookup gave is
            // alive any more (awaited in its arm, the future kept the arm's bindings too:
            // 848 bytes instead of 584).
            let entered = 'enter: {
                let res = match self.table.lookup(&parts.method, parts.uri.path()) {
                    Lookup::Found(target, params, at) => {
                        let api = &self.apis[target.api];
                        if let Some(stack) = depth.next(api.stack.as_ref(), target.stack.as_ref()) {
                            let req = matched(parts, at, body, depth);
                            break 'enter self.enter(stack, req, Some(target.api));
                        }
                        // Boxed, like the auth check: only throttled routes pay for them.
                        let mut counts: Option<Box<String>> = None;
                        if let Some(t) = &target.throttle {
                            let mut c = Box::default();
                            let checked =
                                Box::pin(t.check(Phase::BeforeAuth, &parts, None, None, &mut c));
                            if let Err(p) = checked.await {
                                return api.finish(p.into_response());
                            }
                            counts = Some(c);
                        }
                        let identity = match &target.auth {
                            // Boxed: only authenticated routes pay for the check's state.
                            Some(scheme) => {
                                match Box::pin(scheme.authenticate(&parts, &self.exec)).await {
                                    Ok((identity, accepted_by)) => {
                                        // User and key throttles: only on authenticated routes
                                        // (a build error otherwise), keyed by the scheme that
                                        // accepted the request.
                                        if let (Some(t), Some(c)) = (&target.throttle, &mut counts)
                                            && t.has_after_auth()
                                        {
                                            let checked = Box::pin(t.check(
                                                Phase::AfterAuth,
                                                &parts,
                                                Some(&identity),
                                                Some(accepted_by),
                                                c,
                                            ));
                                            if let Err(p) = checked.await {
                                                return api.finish(p.into_response());
                                            }
                                        }
                                        Some(identity)
                                    }
                                    Err(p) => return api.finish(p.into_response()),
                                }
                            }
                            None => None,
                        };
                        let limits = match target.body_limit {
                            None => api.limits,
                            Some(bytes) => api.limits.with_body(bytes),
                        };
                        let cx = RequestCx::new(
                            &parts, params, &api.state, limits, identity, &self.exec,
                        );
                        let mut res = (target.handler)(cx, body, &self.exec).await;
                        if let Some(media_type) = &target.content_type
                            && res.status().is_success()
                        {
                            res.headers_mut()
                                .insert(header::CONTENT_TYPE, media_type.clone());
                        }
                        api.reshape(&mut res);
                        if let (Some(t), Some(c)) = (&target.throttle, &counts) {
                            t.stamp(&mut res, c);
                        }
                        res
                    }
                    Lookup::Options(allow, route_stack, at) => {
                        if let Some(stack) =
                            depth.next(self.apis[at.api].stack.as_ref(), route_stack)
                        {
                            break 'enter self.enter(
                                stack,
                                matched(parts, at, body, depth),
                                Some(at.api),
                            );
                        }
                        let mut res = Response::new(Body::empty());
                        *res.status_mut() = StatusCode::NO_CONTENT;
                        res.headers_mut().insert(header::ALLOW, allow.clone());
                        res
                    }
                    Lookup::Mount(service, rest, at) => {
                        if let Some(stack) = depth.next(self.apis[at.api].stack.as_ref(), None) {
                            break 'enter self.enter(
                                stack,
                                matched(parts, at, body, depth),
                                Some(at.api),
                            );
                        }
                        let uri = below_prefix(&parts.uri, rest);
                        let mut req = matched(parts, at, body, depth);
                        *req.uri_mut() = uri;
                        break 'enter self.enter(service, req, Some(at.api));
                    }
                    Lookup::MethodNotAllowed(allow, at) => {
                        let api = &self.apis[at.api];
                        if let Some(stack) = depth.next(api.stack.as_ref(), None) {
                            break 'enter self.enter(
                                stack,
                                matched(parts, at, body, depth),
                                Some(at.api),
                            );
                        }
                        api.finish(
                            Problem::new(StatusCode::METHOD_NOT_ALLOWED)
                                .with_detail(format!(
                                    "{} is not allowed here; see `Allow`",
                                    parts.method
                                ))
                                .with_header(header::ALLOW, allow.clone())
                                .into_response(),
                        )
                    }
                    Lookup::NotFound => {
                        let owner = self.owner(parts.uri.path());
                        let stack = owner.and_then(|i| self.apis[i].stack.as_ref());
                        if let Some(stack) = depth.next(stack, None) {
                            break 'enter self.enter(
                                stack,
                                Request::from_parts(parts, body),
                                owner,
                            );
                        }
                        self.unrouted(
                            parts.uri.path(),
                            Problem::not_found(format!(
                                "no route for {} {}",
                                parts.method,
                                parts.uri.path()
                            )),
                        )
                    }
                };
                return res;
            };
            entered.await
        }
    }

    /// Sends `req` through a stack (a clone of it, made ready, called and dropped: see
    /// [`BoxedService`]), then the answer through the error handler of `api` (which reshapes
    /// the stack's own problems: a load shedder's 503, a timeout's 408). The stack's state is
    /// in the one box of its answer: only layered requests pay for it.
    fn enter(
        &self,
        stack: &BoxedService,
        req: Request<RequestBody>,
        api: Option<usize>,
    ) -> impl Future<Output = Response> + Send + '_ {
        let answer = stack.oneshot(req);
        async move {
            let res = answer.await;
            match api {
                Some(i) => self.apis[i].finish(res),
                None => res,
            }
        }
    }

    /// Refuses request heads over the server's limits: an over-long target (414), an
    /// oversized header section (431).
    fn check_head(&self, parts: &Parts) -> Result<(), Problem> {
        let config = &self.config;
        let target = parts.uri.path_and_query().map_or(0, |p| p.as_str().len());
        if target > config.max_uri_len {
            return Err(Problem::new(StatusCode::URI_TOO_LONG).with_detail(format!(
                "the request target is {target} bytes; at most {} are accepted",
                config.max_uri_len
            )));
        }
        let header_bytes: usize = parts
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        if header_bytes > config.max_header_bytes {
            return Err(
                Problem::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE).with_detail(format!(
                    "the headers are {header_bytes} bytes; at most {} are accepted",
                    config.max_header_bytes
                )),
            );
        }
        Ok(())
    }

    /// The API whose prefix `path` is under (the longest prefix winning), if any.
    fn owner(&self, path: &str) -> Option<usize> {
        self.by_prefix.iter().copied().find(|&i| {
            path.strip_prefix(self.apis[i].prefix.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// Answers `problem` for a request no route took, through the error handler of the API
    /// that owns `path`, if any.
    fn unrouted(&self, path: &str, problem: Problem) -> Response {
        let res = problem.into_response();
        match self.owner(path) {
            Some(i) => self.apis[i].finish(res),
            None => res,
        }
    }
}

/// The URI a mounted service sees: the path below its prefix (`/` at least) and the query;
/// scheme and authority (HTTP/2 carries the host there) kept.
fn below_prefix(uri: &http::Uri, rest: &str) -> http::Uri {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let target = format!("/{}{query}", rest.trim_start_matches('/'));
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = http::uri::PathAndQuery::try_from(target).ok();
    http::Uri::from_parts(parts).unwrap_or_else(|_| http::Uri::from_static("/"))
}

#[cfg(test)]
mod tests {
    use super::below_prefix;

    #[test]
    fn a_mounted_service_sees_the_rest_of_the_path_the_query_and_the_host() {
        let uri: http::Uri = "https://shop.example/static/css/a%20b.css?v=2"
            .parse()
            .expect("a URI");
        let below = below_prefix(&uri, "css/a%20b.css");
        assert_eq!(below.to_string(), "https://shop.example/css/a%20b.css?v=2");
        let root: http::Uri = "/static".parse().expect("a URI");
        assert_eq!(below_prefix(&root, "").to_string(), "/");
    }
}
