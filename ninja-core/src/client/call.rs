//! One call, built from an operation's typed arguments: the method, the path with its
//! parameters filled in, the query, and the body.

use bytes::Bytes;
use http::Method;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;
use serde_json::Value;

use super::ClientError;
use crate::{Cookie, Form, Header, Json, Query};

/// What a path segment must escape (RFC 3986 `pchar` keeps the rest).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A `{*rest}` parameter keeps its slashes.
const REST: &AsciiSet = &SEGMENT.remove(b'/');

/// What a cookie value must escape (RFC 6265 `cookie-octet` keeps the rest).
const COOKIE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// What a query component must escape (`application/x-www-form-urlencoded`, as the server
/// reads it).
const QUERY: &AsciiSet = &SEGMENT.add(b'&').add(b'=').add(b'+');

/// A call being built: `Call::new(Method::GET, "/items/{id}")`, then its arguments.
/// The first error (a value that does not serialize) is kept and returned by the send.
#[derive(Debug)]
pub struct Call {
    method: Method,
    path: String,
    query: String,
    /// Header arguments, and the `Cookie` header the cookie arguments make.
    headers: Vec<(&'static str, String)>,
    cookies: String,
    body: Option<Payload>,
    /// The `Sec-WebSocket-Key` of an upgrade.
    upgrade_key: Option<String>,
    error: Option<ClientError>,
}

/// A call's body.
#[derive(Debug)]
pub(super) enum Payload {
    /// Bytes of a media type (JSON, a form).
    Whole(&'static str, Bytes),
    /// A [`RequestBody`] argument's bytes, sent as they come.
    Stream(reqwest::Body),
    /// A [`MultipartForm`].
    Multipart(reqwest::multipart::Form),
}

impl Payload {
    pub(super) fn add_to(self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Self::Whole(media, bytes) => req.header(http::header::CONTENT_TYPE, media).body(bytes),
            Self::Stream(body) => req
                .header(http::header::CONTENT_TYPE, "application/octet-stream")
                .body(body),
            Self::Multipart(form) => req.multipart(form),
        }
    }
}

/// A finished call.
pub(super) struct Finished {
    pub(super) method: Method,
    /// The base URL, the path and the query.
    pub(super) url: String,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) body: Option<Payload>,
    pub(super) upgrade_key: Option<String>,
}

impl Call {
    /// A call of `method` on `template` (the operation's full path, `{name}` for each
    /// path parameter).
    #[must_use]
    pub fn new(method: Method, template: &'static str) -> Self {
        Self {
            method,
            path: template.to_owned(),
            query: String::new(),
            headers: Vec::new(),
            cookies: String::new(),
            body: None,
            upgrade_key: None,
            error: None,
        }
    }

    fn fail(&mut self, e: ClientError) {
        self.error.get_or_insert(e);
    }

    /// Fills the path parameter `{name}` (or `{*name}`) with `value`, percent-encoded.
    pub fn path_param<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        let value = match serde_json::to_value(value) {
            Ok(v) => v,
            Err(e) => return self.fail(ClientError::Request(format!("`{name}`: {e}"))),
        };
        match (&value, text(&value)) {
            (_, Some(text)) => self.fill(name, |out, set| {
                out.extend(utf8_percent_encode(&text, set));
            }),
            (Value::Null, None) => self.fail(ClientError::Request(format!(
                "path parameter `{name}` has no value"
            ))),
            (_, None) => self.fail(ClientError::Request(format!(
                "`{name}`: a list or an object has no path form"
            ))),
        }
    }

    /// Puts what `write` writes (given the escape set of the parameter's kind) in place of
    /// `{name}` or `{*name}`. A value that would change which route is called is refused:
    /// an empty segment, or `.`/`..`, which URL parsers resolve away (`/users/../keys` is
    /// `/keys`) however they are escaped.
    fn fill(&mut self, name: &str, write: impl FnOnce(&mut String, &'static AsciiSet)) {
        let Some((start, end, star)) = self.find_param(name) else {
            return self.fail(ClientError::Request(format!(
                "the path has no parameter `{name}`"
            )));
        };
        let mut value = String::new();
        write(&mut value, if star { REST } else { SEGMENT });
        // (`%` is escaped, so a typed `%2e` arrives as `%252e`: only literal dots move.)
        let moves = |part: &str| matches!(part, "." | "..");
        let bad = if star {
            value.split('/').any(moves)
        } else {
            value.is_empty() || moves(&value)
        };
        if bad {
            return self.fail(ClientError::Request(format!(
                "path parameter `{name}`: {value:?} would change the path (empty, `.` or `..`)"
            )));
        }
        self.path.replace_range(start..end, &value);
    }

    /// Where `{name}` or `{*name}` is in the path (found without building either pattern),
    /// and whether it is the `*` kind.
    fn find_param(&self, name: &str) -> Option<(usize, usize, bool)> {
        self.path.match_indices('{').find_map(|(at, _)| {
            let inner = &self.path[at + 1..];
            let (body, star) = inner
                .strip_prefix('*')
                .map_or((inner, false), |r| (r, true));
            let end = body.strip_prefix(name)?.strip_prefix('}')?;
            Some((at, self.path.len() - end.len(), star))
        })
    }

    /// Adds `value` to the query as `name=value`: nothing for `None`, one pair per item of
    /// a list, one pair per field of a struct (a parameter group such as `LimitOffset`).
    pub fn query_param<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        match serde_json::to_value(value) {
            Ok(Value::Object(fields)) => {
                for (k, v) in &fields {
                    self.query_value(k, v);
                }
            }
            Ok(v) => self.query_value(name, &v),
            Err(e) => self.fail(ClientError::Request(format!("query `{name}`: {e}"))),
        }
    }

    fn query_value(&mut self, name: &str, value: &Value) {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    self.query_value(name, item);
                }
            }
            Value::Object(_) => self.fail(ClientError::Request(format!(
                "query `{name}`: a nested object has no query form"
            ))),
            scalar => {
                if let Some(text) = text(scalar) {
                    self.query_scalar(name, &*text);
                }
            }
        }
    }

    /// The body: `value` as JSON.
    pub fn json_body<T: Serialize + ?Sized>(&mut self, value: &T) {
        match serde_json::to_vec(value) {
            Ok(v) => self.body = Some(Payload::Whole("application/json", Bytes::from(v))),
            Err(e) => self.fail(ClientError::Request(format!("body: {e}"))),
        }
    }

    /// The body: `value` as `application/x-www-form-urlencoded`.
    pub fn form_body<T: Serialize + ?Sized>(&mut self, value: &T) {
        let mut form = Self::new(Method::POST, "");
        form.query_param("", value);
        if let Some(e) = form.error {
            return self.fail(e);
        }
        let text = form.query.strip_prefix('?').unwrap_or_default().to_owned();
        self.body = Some(Payload::Whole(
            "application/x-www-form-urlencoded",
            Bytes::from(text),
        ));
    }

    /// The body: `body`'s bytes as they come (`application/octet-stream`).
    pub fn stream_body(&mut self, body: RequestBody) {
        self.body = Some(Payload::Stream(body.0));
    }

    /// The body: `form` as `multipart/form-data`.
    pub fn multipart_body(&mut self, form: MultipartForm) {
        if let Some(e) = form.error {
            return self.fail(e);
        }
        self.body = Some(Payload::Multipart(form.form));
    }

    /// Asks for a WebSocket upgrade with `key` (`Sec-WebSocket-Key`).
    pub fn upgrade(&mut self, key: String) {
        self.headers.extend([
            ("connection", "upgrade".to_owned()),
            ("upgrade", "websocket".to_owned()),
            ("sec-websocket-version", "13".to_owned()),
            ("sec-websocket-key", key.clone()),
        ]);
        self.upgrade_key = Some(key);
    }

    pub(super) fn finish(self, base: &str) -> Result<Finished, ClientError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut url = String::with_capacity(base.len() + self.path.len() + self.query.len());
        url.push_str(base);
        url.push_str(&self.path);
        url.push_str(&self.query);
        let mut headers = self.headers;
        if !self.cookies.is_empty() {
            headers.push(("cookie", self.cookies));
        }
        Ok(Finished {
            method: self.method,
            url,
            headers,
            body: self.body,
            upgrade_key: self.upgrade_key,
        })
    }
}

/// A [`BodyStream`](crate::BodyStream) argument's bytes, as the client sends them: whole
/// (`Bytes`, `Vec<u8>`, `String`, `&'static [u8]`, `&'static str`), from a file read as it
/// is sent (`tokio::fs::File`; any `io::Read` with [`from_reader`](Self::from_reader)), or
/// from a stream of chunks ([`from_stream`](Self::from_stream)).
#[derive(Debug)]
pub struct RequestBody(reqwest::Body);

impl RequestBody {
    /// A body sent chunk by chunk as `stream` yields them; an error item aborts the call.
    pub fn from_stream<S, B, E>(stream: S) -> Self
    where
        S: futures_util::Stream<Item = Result<B, E>> + Send + 'static,
        Bytes: From<B>,
        E: Into<crate::BoxError>,
    {
        Self(reqwest::Body::wrap_stream(stream))
    }

    /// A body read from `reader` as it is sent (a `std::fs::File`, any `io::Read`): for
    /// sync code and the blocking client. Each 64 KiB is read on tokio's blocking threads,
    /// never on the client's I/O thread; a read error aborts the call.
    pub fn from_reader<R: std::io::Read + Send + 'static>(reader: R) -> Self {
        let chunks = futures_util::stream::try_unfold(reader, |mut reader| async move {
            let read = tokio::task::spawn_blocking(move || {
                use std::io::Read as _;
                // Whole chunks (short reads joined), `Interrupted` retried, no zero-filling.
                let mut chunk = Vec::with_capacity(64 << 10);
                (&mut reader).take(64 << 10).read_to_end(&mut chunk)?;
                Ok::<_, std::io::Error>((reader, chunk))
            });
            let (reader, chunk) = read.await.map_err(std::io::Error::other)??;
            Ok::<_, std::io::Error>((!chunk.is_empty()).then(|| (Bytes::from(chunk), reader)))
        });
        Self::from_stream(chunks)
    }
}

macro_rules! body_from {
    ($($t:ty),*) => {$(
        impl From<$t> for RequestBody {
            fn from(v: $t) -> Self {
                Self(reqwest::Body::from(v))
            }
        }
    )*};
}

body_from!(
    Bytes,
    Vec<u8>,
    String,
    &'static [u8],
    &'static str,
    tokio::fs::File
);

/// A `multipart/form-data` body for a [`Multipart<T>`](crate::Multipart) argument: its
/// fields and files by name, in order (the same builder as the test client's).
#[derive(Debug, Default)]
#[must_use]
pub struct MultipartForm {
    form: reqwest::multipart::Form,
    error: Option<ClientError>,
}

impl MultipartForm {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// A text field.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.form = self.form.text(name.to_owned(), value.to_owned());
        self
    }

    /// A field holding `value` as JSON text (a [`JsonPart`](crate::JsonPart)).
    pub fn json<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Self {
        match serde_json::to_string(value) {
            Ok(text) => {
                let part = reqwest::multipart::Part::text(text).mime_str("application/json");
                self.add(name, part)
            }
            Err(e) => {
                self.error
                    .get_or_insert(ClientError::Request(format!("part `{name}`: {e}")));
                self
            }
        }
    }

    /// A file part.
    pub fn file(
        self,
        name: &str,
        file_name: &str,
        content_type: &str,
        content: impl Into<Bytes>,
    ) -> Self {
        // With its length, so the form has one (`Content-Length`: the server can refuse an
        // upload over its limit before reading it).
        let content: Bytes = content.into();
        let len = content.len() as u64;
        let part = reqwest::multipart::Part::stream_with_length(content, len)
            .file_name(file_name.to_owned())
            .mime_str(content_type);
        self.add(name, part)
    }

    fn add(mut self, name: &str, part: reqwest::Result<reqwest::multipart::Part>) -> Self {
        match part {
            Ok(part) => self.form = self.form.part(name.to_owned(), part),
            Err(e) => {
                self.error
                    .get_or_insert(ClientError::Request(format!("part `{name}`: {e}")));
            }
        }
        self
    }
}

/// A scalar's text on the wire: strings as they are, numbers and booleans as JSON writes
/// them; `None` for null, lists and objects.
fn text(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::String(s) => Some(s.as_str().into()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string().into()),
        _ => None,
    }
}

/// A value written straight into the URL, without going through `serde_json::Value`: the
/// common scalar types, on the generated methods' fast path.
#[doc(hidden)]
pub trait Scalar {
    fn write(&self, out: &mut String, set: &'static AsciiSet);
}

macro_rules! display_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn write(&self, out: &mut String, _: &'static AsciiSet) {
                use std::fmt::Write as _;
                let _ = write!(out, "{self}");
            }
        }
    )*};
}

display_scalar!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, bool
);

impl Scalar for str {
    fn write(&self, out: &mut String, set: &'static AsciiSet) {
        out.extend(utf8_percent_encode(self, set));
    }
}

impl Scalar for String {
    fn write(&self, out: &mut String, set: &'static AsciiSet) {
        self.as_str().write(out, set);
    }
}

impl Scalar for &str {
    fn write(&self, out: &mut String, set: &'static AsciiSet) {
        (**self).write(out, set);
    }
}

impl Call {
    /// [`path_param`](Self::path_param) for a [`Scalar`].
    fn path_scalar<T: Scalar + ?Sized>(&mut self, name: &str, value: &T) {
        self.fill(name, |out, set| value.write(out, set));
    }

    /// A header argument: `name: value`, each value of `value` (none for `None`, one per
    /// item of a list). A header carries visible ASCII only: anything else is refused, not
    /// altered, as the server reads the value as it arrives.
    fn header_values<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        for text in self.values_of(name, value) {
            if !text
                .bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
            {
                return self.fail(ClientError::Request(format!(
                    "header `{name}`: {text:?} is not visible ASCII"
                )));
            }
            self.headers.push((name, text));
        }
    }

    /// A cookie argument: `name=value` in the `Cookie` header (the value percent-encoded,
    /// as the server decodes it), once per value.
    fn cookie_values<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        for text in self.values_of(name, value) {
            if !self.cookies.is_empty() {
                self.cookies.push_str("; ");
            }
            self.cookies.push_str(name);
            self.cookies.push('=');
            self.cookies.extend(utf8_percent_encode(&text, COOKIE));
        }
    }

    /// The texts of a header or cookie value: none for `None`, one per list item.
    fn values_of<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Vec<String> {
        let owned = |v: &Value| text(v).map(std::borrow::Cow::into_owned);
        match serde_json::to_value(value) {
            Ok(Value::Null) => Vec::new(),
            Ok(Value::Array(items)) => items.iter().filter_map(owned).collect(),
            Ok(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                owned(&v).into_iter().collect()
            }
            Ok(_) => {
                self.fail(ClientError::Request(format!(
                    "`{name}`: an object has no header or cookie form"
                )));
                Vec::new()
            }
            Err(e) => {
                self.fail(ClientError::Request(format!("`{name}`: {e}")));
                Vec::new()
            }
        }
    }

    /// [`query_param`](Self::query_param) for a [`Scalar`].
    fn query_scalar<T: Scalar + ?Sized>(&mut self, name: &str, value: &T) {
        self.query
            .push(if self.query.is_empty() { '?' } else { '&' });
        self.query.extend(utf8_percent_encode(name, QUERY));
        self.query.push('=');
        value.write(&mut self.query, QUERY);
    }
}

/// For the generated methods: `(&&&ArgProbe(&arg)).add_to(&mut call, "name", "header-name")`
/// sends a body type as the body, a `Header`/`Cookie`/`Query` argument where it goes, a
/// common scalar (or an `Option` of one) as one query parameter written directly, and
/// anything else through serde as query parameters; chosen by the argument's type (through
/// an alias too), as the server reads it. `(&&ArgProbe(&arg)).fill_path(&mut call, "name")`
/// does the same for a path parameter.
#[doc(hidden)]
#[derive(Debug)]
pub struct ArgProbe<'a, T: ?Sized>(pub &'a T);

/// An argument of a wrapper type: a body (`Json<T>`, `Form<T>`), a `Header`, a `Cookie`, a
/// `Query` group.
#[doc(hidden)]
pub trait ViaBodyArg {
    fn add_to(&self, call: &mut Call, name: &str, header: &'static str);
}

/// A scalar query argument: written directly.
#[doc(hidden)]
pub trait ViaScalarArg {
    fn add_to(&self, call: &mut Call, name: &str, header: &'static str);
}

/// Any other argument: query parameters, through serde.
#[doc(hidden)]
pub trait ViaQueryArg {
    fn add_to(&self, call: &mut Call, name: &str, header: &'static str);
}

/// A scalar path argument: written directly.
#[doc(hidden)]
pub trait ViaScalarPath {
    fn fill_path(&self, call: &mut Call, name: &str);
}

/// Any other path argument: through serde.
#[doc(hidden)]
pub trait ViaSerdePath {
    fn fill_path(&self, call: &mut Call, name: &str);
}

impl<T: Serialize> ViaBodyArg for &&ArgProbe<'_, Json<T>> {
    fn add_to(&self, call: &mut Call, _: &str, _: &'static str) {
        call.json_body(&self.0.0);
    }
}

impl<T: Serialize> ViaBodyArg for &&ArgProbe<'_, Form<T>> {
    fn add_to(&self, call: &mut Call, _: &str, _: &'static str) {
        call.form_body(&self.0.0);
    }
}

impl<T: Serialize> ViaBodyArg for &&ArgProbe<'_, Query<T>> {
    fn add_to(&self, call: &mut Call, name: &str, _: &'static str) {
        call.query_param(name, &self.0.0);
    }
}

impl<T: Serialize> ViaBodyArg for &&ArgProbe<'_, Header<T>> {
    fn add_to(&self, call: &mut Call, _: &str, header: &'static str) {
        call.header_values(header, &self.0.0);
    }
}

impl<T: Serialize> ViaBodyArg for &&ArgProbe<'_, Cookie<T>> {
    fn add_to(&self, call: &mut Call, name: &str, _: &'static str) {
        call.cookie_values(name, &self.0.0);
    }
}

impl<T: Scalar + ?Sized> ViaScalarArg for &ArgProbe<'_, T> {
    fn add_to(&self, call: &mut Call, name: &str, _: &'static str) {
        call.query_scalar(name, self.0);
    }
}

impl<T: Scalar> ViaScalarArg for &ArgProbe<'_, Option<T>> {
    fn add_to(&self, call: &mut Call, name: &str, _: &'static str) {
        if let Some(v) = self.0 {
            call.query_scalar(name, v);
        }
    }
}

impl<T: Serialize + ?Sized> ViaQueryArg for ArgProbe<'_, T> {
    fn add_to(&self, call: &mut Call, name: &str, _: &'static str) {
        call.query_param(name, self.0);
    }
}

impl<T: Scalar + ?Sized> ViaScalarPath for &ArgProbe<'_, T> {
    fn fill_path(&self, call: &mut Call, name: &str) {
        call.path_scalar(name, self.0);
    }
}

impl<T: Serialize + ?Sized> ViaSerdePath for ArgProbe<'_, T> {
    fn fill_path(&self, call: &mut Call, name: &str) {
        call.path_param(name, self.0);
    }
}
