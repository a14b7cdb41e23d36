//! What a handler may return: anything that is [`IntoResponse`].
//!
//! | return type | response |
//! |---|---|
//! | [`Json<T>`](crate::Json) | 200, `application/json` |
//! | `String`, `&'static str` | 200, `text/plain; charset=utf-8` |
//! | `()` | 204 No Content |
//! | [`Created<T>`] | 201 with `T`'s body |
//! | [`Accepted<T>`] | 202 with `T`'s body |
//! | `(StatusCode, T)` | `T` with that status |
//! | `([(HeaderName, &str); N], T)` | `T` with those headers added |
//! | `(H, T)`, `H:` [`ResponseHeader`] | `T` with a typed header, documented ([`Location`]...) |
//! | `Result<T, E>` | `T`, or `E`'s response (e.g. a [`Problem`]) |
//! | [`Response`] | as is |

mod error;
mod file;
pub mod sse;
mod stream;

#[doc(hidden)]
pub use error::{error_doc, error_problem};
pub use file::{FileResponse, ServedFile};
pub use stream::{ChunkSender, Disconnected, StreamBody};

use http::StatusCode;
use http::header::{self, HeaderName, HeaderValue};

use crate::body::Body;
use crate::openapi::OperationDoc;
use crate::problem::{PROBLEM_JSON, Problem};

/// The response every handler produces in the end.
pub type Response = http::Response<Body>;

/// Turns a handler's return value into a response.
///
/// Serialization happens here, once, into the response's bytes. For a sync handler this
/// runs on the blocking pool, off the reactor.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a Ninja handler",
    label = "not a response type",
    note = "return `Json<T>`, `String`, `&'static str`, `()`, `Created<T>`, `(StatusCode, T)`, `Result<T, E>` or a `Response`; each part must itself be `IntoResponse`; an error type can `#[derive(ApiError)]`"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;

    /// Describes the responses this type can produce, for the OpenAPI document. Nothing by
    /// default (the operation then documents a `default` response).
    fn describe(op: &mut OperationDoc<'_>)
    where
        Self: Sized,
    {
        let _ = op;
    }
}

fn text_schema() -> serde_json::Value {
    serde_json::json!({"type": "string"})
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::NO_CONTENT;
        res
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.response("204", "No Content", None);
    }
}

fn text(body: Body) -> Response {
    let mut res = Response::new(body);
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        text(self.into())
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.success(Some(("text/plain", text_schema())));
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        text(self.into())
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.success(Some(("text/plain", text_schema())));
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(t) => t.into_response(),
            Err(e) => e.into_response(),
        }
    }

    fn describe(op: &mut OperationDoc<'_>) {
        T::describe(op);
        E::describe(op);
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        *res.status_mut() = self.0;
        res
    }

    /// The status is chosen at run time: documented as any success (`2XX`).
    fn describe(op: &mut OperationDoc<'_>) {
        op.with_success_status("2XX", T::describe);
    }
}

impl<T: IntoResponse, const N: usize> IntoResponse for ([(HeaderName, &'static str); N], T) {
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        for (name, value) in self.0 {
            match HeaderValue::from_str(value) {
                Ok(v) => {
                    res.headers_mut().insert(name, v);
                }
                Err(_) => {
                    tracing::error!(header = %name, "handler returned an invalid header value");
                    return Problem::internal().into_response();
                }
            }
        }
        res
    }

    fn describe(op: &mut OperationDoc<'_>) {
        T::describe(op);
    }
}

/// `201 Created` with `T`'s body.
///
/// ```
/// # use ninja_core::prelude::*;
/// # #[derive(serde::Serialize, schemars::JsonSchema)] struct Item { id: u32 }
/// #[post("/items")]
/// fn create() -> Created<Json<Item>> {
///     Created(Json(Item { id: 1 }))
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Created<T>(pub T);

impl<T: IntoResponse> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, self.0).into_response()
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.with_success_status("201", T::describe);
    }
}

/// `202 Accepted` with `T`'s body: the work goes on after the answer (a
/// [`Background`](crate::Background) task, a queue), and the body says where to look.
///
/// ```
/// # use ninja_core::prelude::*;
/// # #[derive(serde::Serialize, schemars::JsonSchema)] struct Job { id: u32 }
/// #[post("/jobs")]
/// fn start() -> Accepted<Json<Job>> {
///     Accepted(Json(Job { id: 1 }))
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Accepted<T>(pub T);

impl<T: IntoResponse> IntoResponse for Accepted<T> {
    fn into_response(self) -> Response {
        (StatusCode::ACCEPTED, self.0).into_response()
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.with_success_status("202", T::describe);
    }
}

/// `#[derive(ApiResponse)]`'s answer for a variant without a body.
#[doc(hidden)]
#[must_use]
pub fn status_only(status: u16) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    res
}

/// `#[derive(ApiResponse)]`'s answer for a variant with a body: the body's, with the
/// variant's status.
#[doc(hidden)]
pub fn with_status<T: IntoResponse>(status: u16, inner: T) -> Response {
    let mut res = inner.into_response();
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    res
}

/// `#[derive(ApiResponse)]`'s documentation of one variant: its body's description under its
/// status, or a response without a body.
#[doc(hidden)]
pub fn documented_status(
    op: &mut OperationDoc<'_>,
    status: &'static str,
    description: &str,
    body: Option<fn(&mut OperationDoc<'_>)>,
) {
    match body {
        Some(describe) => op.with_success_status(status, describe),
        None => {
            let description = if description.is_empty() {
                crate::openapi::reason(status).unwrap_or("Response")
            } else {
                description
            };
            op.response(status, description, None);
        }
    }
}

/// A response header with a type of its own: its name and description are in the
/// document, on the success responses of the body it goes with. Return `(header, body)`:
/// `(Location("/items/7".into()), Created(Json(item)))`.
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::response::{Location, ResponseHeader};
///
/// /// How many items are left this hour.
/// struct RemainingQuota(u32);
///
/// impl ResponseHeader for RemainingQuota {
///     const NAME: &'static str = "x-remaining-quota";
///     const DESCRIPTION: &'static str = "Requests left in this hour";
///     fn value(&self) -> Option<http::HeaderValue> {
///         Some(self.0.into())
///     }
///     fn schema() -> serde_json::Value {
///         serde_json::json!({"type": "integer", "minimum": 0})
///     }
/// }
///
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct Item { id: u32 }
///
/// #[post("/items")]
/// fn create() -> (RemainingQuota, (Location, Created<Json<Item>>)) {
///     (RemainingQuota(9), (Location("/items/7".into()), Created(Json(Item { id: 7 }))))
/// }
/// ```
pub trait ResponseHeader {
    /// The header's name, lower case.
    const NAME: &'static str;
    /// What it says, for the document.
    const DESCRIPTION: &'static str;
    /// Its value; `None` leaves it out (logged: a value that cannot be a header).
    fn value(&self) -> Option<HeaderValue>;
    /// Its schema in the document: a string unless said otherwise.
    fn schema() -> serde_json::Value {
        serde_json::json!({"type": "string"})
    }
}

impl<H: ResponseHeader, T: IntoResponse> IntoResponse for (H, T) {
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        match self.0.value() {
            Some(v) => {
                res.headers_mut()
                    .insert(HeaderName::from_static(H::NAME), v);
            }
            None => tracing::warn!(
                header = H::NAME,
                "a response header had no valid value; left out"
            ),
        }
        res
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.with_response_header(H::NAME, H::DESCRIPTION, H::schema(), T::describe);
    }
}

/// `Location`: where the created (or moved) resource is.
#[derive(Debug, Clone)]
pub struct Location(pub String);

impl ResponseHeader for Location {
    const NAME: &'static str = "location";
    const DESCRIPTION: &'static str = "Where the resource is";
    fn value(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&self.0).ok()
    }
    fn schema() -> serde_json::Value {
        serde_json::json!({"type": "string", "format": "uri-reference"})
    }
}

/// `ETag`: the version of the representation, for `If-None-Match` and `If-Match`.
#[derive(Debug, Clone)]
pub struct ETag(pub String);

impl ResponseHeader for ETag {
    const NAME: &'static str = "etag";
    const DESCRIPTION: &'static str = "The version of this representation";
    fn value(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&self.0).ok()
    }
}

/// `Cache-Control`: how long, and where, the answer may be kept.
#[derive(Debug, Clone)]
pub struct CacheControl(pub String);

impl ResponseHeader for CacheControl {
    const NAME: &'static str = "cache-control";
    const DESCRIPTION: &'static str = "How the answer may be cached";
    fn value(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&self.0).ok()
    }
}

impl IntoResponse for Problem {
    /// The problem as `application/problem+json`; the problem itself rides along in the
    /// body (never sent), for an API's error handler to reshape.
    fn into_response(mut self) -> Response {
        let bytes = serde_json::to_vec(&self).expect("a Problem always serializes");
        let status = self.status();
        let headers = self.take_headers();
        let mut res = Response::new(Body::problem(bytes.into(), self));
        *res.status_mut() = status;
        *res.headers_mut() = headers;
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        res
    }

    /// Returned as an error: any status, in problem-details form.
    fn describe(op: &mut OperationDoc<'_>) {
        op.problem_response("default", "An error, as RFC 9457 problem details");
    }
}

/// The problem a response was made from (its headers back in it), or a bare one of its
/// status when it was not made from one.
pub(crate) fn problem_of(mut res: Response) -> Problem {
    let status = res.status();
    let Some(p) = res.body_mut().take_problem() else {
        return Problem::new(status);
    };
    let mut headers = std::mem::take(res.headers_mut());
    headers.remove(header::CONTENT_TYPE);
    p.answered(status, headers)
}
