//! One call, built from an operation's typed arguments: the method, the path with its
//! parameters filled in, the query, and the body.

use bytes::Bytes;
use http::Method;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;
use serde_json::Value;

use super::ClientError;
use crate::{Form, Json};

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
    body: Option<(&'static str, Bytes)>,
    error: Option<ClientError>,
}

/// A finished call.
pub(super) struct Finished {
    pub(super) method: Method,
    /// Path and query.
    pub(super) target: String,
    pub(super) body: Option<(&'static str, Bytes)>,
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
            body: None,
            error: None,
        }
    }

    fn fail(&mut self, e: ClientError) {
        self.error.get_or_insert(e);
    }

    /// Fills the path parameter `{name}` (or `{*name}`) with `value`, percent-encoded.
    pub fn path_param<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        let text = match scalar(value) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return self.fail(ClientError::Request(format!(
                    "path parameter `{name}` has no value"
                )));
            }
            Err(e) => return self.fail(e.context(name)),
        };
        let (pattern, set) = if self.path.contains(&format!("{{*{name}}}")) {
            (format!("{{*{name}}}"), REST)
        } else {
            (format!("{{{name}}}"), SEGMENT)
        };
        let encoded = utf8_percent_encode(&text, set).to_string();
        self.path = self.path.replacen(&pattern, &encoded, 1);
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
                let text = match scalar {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                self.query
                    .push(if self.query.is_empty() { '?' } else { '&' });
                self.query
                    .extend(utf8_percent_encode(name, QUERY).map(str::to_owned));
                self.query.push('=');
                self.query
                    .extend(utf8_percent_encode(&text, QUERY).map(str::to_owned));
            }
        }
    }

    /// The body: `value` as JSON.
    pub fn json_body<T: Serialize + ?Sized>(&mut self, value: &T) {
        match serde_json::to_vec(value) {
            Ok(v) => self.body = Some(("application/json", Bytes::from(v))),
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
        self.body = Some(("application/x-www-form-urlencoded", Bytes::from(text)));
    }

    pub(super) fn finish(self) -> Result<Finished, ClientError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        Ok(Finished {
            method: self.method,
            target: self.path + &self.query,
            body: self.body,
        })
    }
}

/// A value's text in a path: strings as they are, numbers and booleans as JSON writes them.
fn scalar<T: Serialize + ?Sized>(value: &T) -> Result<Option<String>, ClientError> {
    match serde_json::to_value(value) {
        Ok(Value::Null) => Ok(None),
        Ok(Value::String(s)) => Ok(Some(s)),
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(v.to_string())),
        Ok(_) => Err(ClientError::Request(
            "a list or an object has no path form".to_owned(),
        )),
        Err(e) => Err(ClientError::Request(e.to_string())),
    }
}

/// For the generated methods: `(&&ArgProbe(&arg)).add_to(&mut call, "name")` sends a body
/// type as the body and anything else as query parameters, chosen by the argument's
/// type (through an alias too), as the server reads it.
#[doc(hidden)]
#[derive(Debug)]
pub struct ArgProbe<'a, T: ?Sized>(pub &'a T);

/// A body argument (`Json<T>`, `Form<T>`).
#[doc(hidden)]
pub trait ViaBodyArg {
    fn add_to(&self, call: &mut Call, name: &str);
}

/// Any other argument: query parameters.
#[doc(hidden)]
pub trait ViaQueryArg {
    fn add_to(&self, call: &mut Call, name: &str);
}

impl<T: Serialize> ViaBodyArg for &ArgProbe<'_, Json<T>> {
    fn add_to(&self, call: &mut Call, _: &str) {
        call.json_body(&self.0.0);
    }
}

impl<T: Serialize> ViaBodyArg for &ArgProbe<'_, Form<T>> {
    fn add_to(&self, call: &mut Call, _: &str) {
        call.form_body(&self.0.0);
    }
}

impl<T: Serialize + ?Sized> ViaQueryArg for ArgProbe<'_, T> {
    fn add_to(&self, call: &mut Call, name: &str) {
        call.query_param(name, self.0);
    }
}
