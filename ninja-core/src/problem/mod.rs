//! RFC 9457 problem details: the one shape every framework error takes on the wire.
//!
//! A request that never reaches its handler (no route, wrong method, bad input, body too
//! large) is answered with a [`Problem`] as `application/problem+json`. Validation failures
//! carry an `errors` list with one [`FieldError`] per failing input, all of them at once,
//! each with a `loc` such as `["query", "limit"]` or `["body", "items", 2, "name"]`.

use std::borrow::Cow;
use std::fmt;

use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

mod details;
mod fields;

pub use details::{FromProblem, ProblemDetails};
#[doc(hidden)]
pub use fields::{ReadField, ReadNothing, ReadSerde};

/// The members problem details define themselves; an extension cannot take these names.
pub(crate) const OWN_MEMBERS: [&str; 6] =
    ["type", "title", "status", "detail", "instance", "errors"];

/// The media type of every problem body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details object, answered with its `status`.
///
/// ```
/// use ninja_core::Problem;
/// let p = Problem::not_found("item 7 does not exist");
/// assert_eq!(p.status(), http::StatusCode::NOT_FOUND);
/// assert_eq!(p.detail(), Some("item 7 does not exist"));
/// ```
///
/// One pointer wide, so the `Result<T, Problem>` of every extraction stays small.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Problem(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    /// A URI naming the problem type; `about:blank` means "see `title`".
    kind: Cow<'static, str>,
    /// A short summary; for `about:blank` the reason phrase of `status`.
    title: Cow<'static, str>,
    status: StatusCode,
    detail: Option<Cow<'static, str>>,
    errors: Vec<FieldError>,
    /// Extension members (RFC 9457 §3.2): `code` and the fields of an `ApiError` variant.
    extensions: serde_json::Map<String, serde_json::Value>,
    headers: http::HeaderMap,
}

/// By hand rather than derived: `#[serde(flatten)]` on the extensions made every problem
/// (every 404) take serde's slower map-of-unknown-length path (+2.5 % instructions).
impl Serialize for Inner {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let len = 3
            + usize::from(self.detail.is_some())
            + usize::from(!self.errors.is_empty())
            + self.extensions.len();
        let mut map = ser.serialize_map(Some(len))?;
        map.serialize_entry("type", &self.kind)?;
        map.serialize_entry("title", &self.title)?;
        map.serialize_entry("status", &self.status.as_u16())?;
        if let Some(detail) = &self.detail {
            map.serialize_entry("detail", detail)?;
        }
        if !self.errors.is_empty() {
            map.serialize_entry("errors", &self.errors)?;
        }
        for (name, value) in &self.extensions {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Problem {
    /// A problem of type `about:blank` with `status`'s reason phrase as title.
    #[must_use]
    pub fn new(status: StatusCode) -> Self {
        Self(Box::new(Inner {
            kind: Cow::Borrowed("about:blank"),
            title: Cow::Borrowed(status.canonical_reason().unwrap_or("Error")),
            status,
            detail: None,
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
            headers: http::HeaderMap::new(),
        }))
    }

    /// Sets the human-readable `detail`.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// Sets the problem `type` URI and its `title` (default: `about:blank` and the reason phrase).
    #[must_use]
    pub fn with_type(
        mut self,
        uri: impl Into<Cow<'static, str>>,
        title: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.0.kind = uri.into();
        self.0.title = title.into();
        self
    }

    /// Adds an extension member (RFC 9457 §3.2), e.g. `balance` on an "out of credit"
    /// problem. A name the problem itself uses (`type`, `title`, `status`, `detail`,
    /// `instance`, `errors`) is ignored, as is a value that does not serialize.
    #[must_use]
    pub fn with_extension(mut self, name: &str, value: impl Serialize) -> Self {
        self.add_member(name, serde_json::to_value(value).ok());
        self
    }

    /// Sets member `name` when there is a value and the name is not one of the problem's own.
    #[doc(hidden)]
    pub fn add_member(&mut self, name: &str, value: Option<serde_json::Value>) {
        if let Some(value) = value
            && !OWN_MEMBERS.contains(&name)
        {
            self.0.extensions.insert(name.to_owned(), value);
        }
    }

    /// An extension member, if set.
    #[must_use]
    pub fn extension(&self, name: &str) -> Option<&serde_json::Value> {
        self.0.extensions.get(name)
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.0.headers.insert(name, value);
        self
    }

    /// Adds a response header, keeping earlier values of the same name.
    #[must_use]
    pub fn append_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.0.headers.append(name, value);
        self
    }

    /// `400 Bad Request` with a detail.
    #[must_use]
    pub fn bad_request(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST).with_detail(detail)
    }

    /// `404 Not Found` with a detail.
    #[must_use]
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND).with_detail(detail)
    }

    /// `409 Conflict` with a detail.
    #[must_use]
    pub fn conflict(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT).with_detail(detail)
    }

    /// `500 Internal Server Error`. The detail is generic on purpose: the cause belongs in the
    /// log, never in the body a client sees.
    #[must_use]
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR)
            .with_detail("the server failed to handle this request")
    }

    /// `422 Unprocessable Content` listing every failing input.
    #[must_use]
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut p = Self::new(StatusCode::UNPROCESSABLE_ENTITY)
            .with_detail("the request did not validate: see `errors`");
        p.0.errors = errors;
        p
    }

    /// The status this problem is answered with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The `title`.
    #[must_use]
    pub fn title(&self) -> &str {
        &self.0.title
    }

    /// The `detail`, if any.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// The headers it is answered with (`Allow`, `Retry-After`, `WWW-Authenticate`...).
    #[must_use]
    pub fn headers(&self) -> &http::HeaderMap {
        &self.0.headers
    }

    /// The failing inputs of a validation problem.
    #[must_use]
    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// Adds the failing inputs of `other` (both being validation problems), each once: a
    /// dependency two arguments use reports its failure through both.
    pub(crate) fn extend_errors(&mut self, other: Problem) {
        for e in other.0.errors {
            if !self.0.errors.contains(&e) {
                self.0.errors.push(e);
            }
        }
    }

    /// The problem as answered: `status`, with `headers` in place of its own.
    pub(crate) fn answered(mut self, status: StatusCode, headers: http::HeaderMap) -> Self {
        self.0.status = status;
        self.0.headers = headers;
        self
    }

    /// Its headers, leaving none.
    pub(crate) fn take_headers(&mut self) -> http::HeaderMap {
        std::mem::take(&mut self.0.headers)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.status.as_u16(), self.0.title)?;
        if let Some(d) = &self.0.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

/// One segment of a [`FieldError`] location: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum LocPart {
    /// An object key, or the source (`"query"`, `"path"`, `"header"`, `"body"`).
    Key(Cow<'static, str>),
    /// An array index.
    Index(usize),
}

impl From<&'static str> for LocPart {
    fn from(s: &'static str) -> Self {
        Self::Key(Cow::Borrowed(s))
    }
}

impl From<String> for LocPart {
    fn from(s: String) -> Self {
        Self::Key(Cow::Owned(s))
    }
}

impl From<usize> for LocPart {
    fn from(i: usize) -> Self {
        Self::Index(i)
    }
}

/// One failing input: where (`loc`), why (`msg`) and a stable machine-readable `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Where: the source first, then the path inside it, e.g. `["query", "limit"]`.
    pub loc: Vec<LocPart>,
    /// Why, for a person.
    pub msg: String,
    /// A stable code: `missing`, `invalid`, `invalid_type`, `invalid_value`, `json_invalid`...
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
}

impl FieldError {
    /// A field error at `loc`.
    pub fn new(
        loc: Vec<LocPart>,
        kind: impl Into<Cow<'static, str>>,
        msg: impl Into<String>,
    ) -> Self {
        Self {
            loc,
            msg: msg.into(),
            kind: kind.into(),
        }
    }
}
