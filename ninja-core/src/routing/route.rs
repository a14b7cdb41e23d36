//! One route: a method and path, the handler the route macro generated, and everything set
//! on it (auth, throttles, layers, tags, operation metadata).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::{HeaderValue, Method};

use crate::auth::{AuthScheme, AuthSetting};
use crate::handler::HandlerFn;
use crate::middleware::LayerFn;
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
    pub(super) method: Method,
    pub(super) path: Cow<'static, str>,
    pub(super) handler: HandlerFn,
    pub(super) describe: DescribeFn,
    pub(super) operation: Operation,
    /// The attribute's `tags`, or the innermost router's.
    pub(super) tags: Vec<Cow<'static, str>>,
    pub(super) auth: AuthSetting,
    /// `body_limit = ...` in the route attribute: this route's own, over the API's.
    pub(super) body_limit: Option<usize>,
    /// `errors = [..]` in the route attribute: the error statuses it documents.
    pub(super) errors: Option<&'static [u16]>,
    /// `openapi_extra = ..` in the route attribute: fields merged into the operation.
    pub(super) openapi_extra: Option<fn() -> serde_json::Value>,
    /// `content_type = ".."` in the route attribute: the media type of its successes.
    pub(super) content_type: Option<HeaderValue>,
    /// `throttle = ..` in the route attribute, else its router's or API's.
    pub(super) throttle: ThrottleSetting,
    /// Its throttles, resolved against the API's store when the API is built.
    pub(super) throttles: Option<Arc<Throttles>>,
    /// The layers of the routers it is nested in, innermost first.
    pub(super) layers: Vec<LayerFn>,
    /// `op = ..` in the route attribute: the API definition's route it implements, which
    /// the document check holds it to.
    pub(super) definition: Option<fn() -> Route>,
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
