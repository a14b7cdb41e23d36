//! [`Json<T>`]: a JSON request body, or a JSON response.

use http::header::{self, HeaderValue};
use http::request::Parts;
use schemars::JsonSchema;
use std::borrow::Cow;

use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Deserializer, Serialize};

use crate::body::{Body, RequestBody};
use crate::extract::{FromBody, Limits, read_whole};
use crate::openapi::OperationDoc;
use crate::problem::{FieldError, LocPart, Problem};
use crate::response::{IntoResponse, Response};

/// A JSON body: as an argument it is the request body, as a return value the response body.
///
/// ```
/// # use ninja_core::prelude::*;
/// #[derive(serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
/// struct Item { name: String }
///
/// #[post("/echo")]
/// async fn echo(Json(item): Json<Item>) -> Json<Item> {
///     Json(item)
/// }
/// ```
///
/// As a body it requires `Content-Type: application/json` (or any `+json` type; parameters
/// such as `charset` are allowed), else 415. A body over the API's limit is a 413, broken JSON
/// syntax a 400, and JSON of the wrong shape a 422 whose `loc` points into the body
/// (`["body", "items", 2, "name"]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// `application/json`, `application/problem+json` (`+json` types); the essence, without
/// parameters such as `charset`.
fn is_json(essence: &str) -> bool {
    let Some((ty, sub)) = essence.split_once('/') else {
        return false;
    };
    ty.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || sub.len() > 5 && sub[sub.len() - 5..].eq_ignore_ascii_case("+json"))
}

impl<T: DeserializeOwned + JsonSchema + Send> FromBody for Json<T> {
    async fn from_body(parts: &Parts, body: RequestBody, limits: Limits) -> Result<Self, Problem> {
        let bytes = read_whole(parts, body, limits.body(), is_json, "application/json").await?;
        decode(&bytes).map(Json)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        let schema = op.schema_for::<T>();
        op.request_body("application/json", schema);
    }
}

/// Decodes JSON, telling syntax errors (400) from shape errors (422 at the failing path).
///
/// An integer field accepts an integral number written with a fraction or an exponent
/// (`1.0`, `1e3`): JSON Schema's `integer`, which the document promises, includes them, and
/// serde does not. Only a body that fails the fast path on a float pays for the second
/// pass (through a `Value` whose integral floats became integers).
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let err = match serde_path_to_error::deserialize(&mut de) {
        Ok(t) => {
            return de.end().map(|()| t).map_err(|e| {
                Problem::bad_request(format!("the request body is not valid JSON: {e}"))
            });
        }
        Err(err) => err,
    };
    let err = match retry_with_integral_floats(bytes, &err) {
        Some(Ok(t)) => return Ok(t),
        Some(Err(again)) => again,
        None => err,
    };
    let inner = err.inner();
    if !inner.is_data() {
        return Err(Problem::bad_request(format!(
            "the request body is not valid JSON: {inner}"
        )));
    }
    let mut loc: Vec<LocPart> = vec!["body".into()];
    for seg in err.path().iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => loc.push((*index).into()),
            serde_path_to_error::Segment::Map { key } => loc.push(key.clone().into()),
            serde_path_to_error::Segment::Enum { variant } => loc.push(variant.clone().into()),
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    // serde_json reports a missing field on its parent, by message only; name it in `loc`.
    let msg = strip_position(&inner.to_string());
    let kind = if let Some(field) = msg
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        loc.push(field.to_owned().into());
        "missing"
    } else if msg.starts_with("invalid type") {
        "invalid_type"
    } else {
        "invalid_value"
    };
    Err(Problem::validation(vec![FieldError::new(loc, kind, msg)]))
}

/// The second pass of [`decode`], when the first failed on a float where an integer was
/// wanted: `None` when that was not why.
fn retry_with_integral_floats<T: DeserializeOwned>(
    bytes: &[u8],
    err: &serde_path_to_error::Error<serde_json::Error>,
) -> Option<Result<T, serde_path_to_error::Error<serde_json::Error>>> {
    if !err
        .inner()
        .to_string()
        .starts_with("invalid type: floating point")
    {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !integral_floats_to_integers(&mut value) {
        return None;
    }
    Some(serde_path_to_error::deserialize(value))
}

/// Rewrites every float with no fractional part (within `i64`/`u64`) as an integer; whether
/// any was.
fn integral_floats_to_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() != 0.0 || !f.is_finite() {
                return false;
            }
            // Only where every integer is a float exactly (|f| <= 2^53): beyond, `1e16 + 1`
            // written as a float would silently become another integer.
            const EXACT: f64 = 9_007_199_254_740_992.0;
            if (0.0..=EXACT).contains(&f) {
                *value = Value::from(f as u64);
                true
            } else if (-EXACT..0.0).contains(&f) {
                *value = Value::from(f as i64);
                true
            } else {
                false
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, v| integral_floats_to_integers(v) | any),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |any, v| integral_floats_to_integers(v) | any),
        _ => false,
    }
}

/// serde_json appends " at line L column C"; the `loc` already says where.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// A field of a [`Multipart`](crate::Multipart) struct whose part is JSON text: the way to
/// send structured data beside a file. Documented as `T`; a `T: garde::Validate` is
/// validated with the struct (`#[garde(dive)]`).
///
/// A type of its own, not `Json<T>`: a `Json<T>` argument is the request body, and a type
/// that deserializes from one value would also read as a query parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonPart<T>(pub T);

impl<T> std::ops::Deref for JsonPart<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for JsonPart<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text)
            .map(JsonPart)
            .map_err(|e| de::Error::custom(format!("invalid JSON: {e}")))
    }
}

/// Documented as `T` itself.
impl<T: JsonSchema> JsonSchema for JsonPart<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        format!("ninja_core::JsonPart<{}>", T::schema_id()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T>()
    }
}

impl<T: garde::Validate> garde::Validate for JsonPart<T> {
    type Context = T::Context;

    fn validate_into(
        &self,
        ctx: &Self::Context,
        parent: &mut dyn FnMut() -> garde::error::Path,
        report: &mut garde::Report,
    ) {
        self.0.validate_into(ctx, parent, report);
    }
}

impl<T> super::validate::Validatable for Json<T> {
    type Inner = T;
    const SOURCE: &'static str = "body";
    fn inner(&self) -> &T {
        &self.0
    }
}

impl<T: Serialize + JsonSchema> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        // A `Vec`, not a `BytesMut` writer: serde_json writes in many small pieces, and
        // `Vec`'s `io::Write` is the cheaper sink (callgrind, the bench's one-field hello:
        // 721 instructions to serialize through `BytesMut`, 386 in the hyper bench's `Vec`);
        // both become `Bytes` the same way.
        let mut buf = Vec::with_capacity(128);
        if let Err(e) = serde_json::to_writer(&mut buf, &self.0) {
            tracing::error!(error = %e, "failed to serialize a JSON response");
            return Problem::internal().into_response();
        }
        let mut res = Response::new(Body::from(buf));
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        res
    }

    fn describe(op: &mut OperationDoc<'_>) {
        let schema = op.schema_for::<T>();
        op.success(Some(("application/json", schema)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::content_type;
    use http::StatusCode;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        tags: Vec<u8>,
    }

    fn problem(body: &str) -> Problem {
        decode::<Item>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn syntax_errors_are_400() {
        assert_eq!(problem("{\"name\":").status(), StatusCode::BAD_REQUEST);
        let trailing = r#"{"name":"a","tags":[]} trailing"#;
        assert_eq!(problem(trailing).status(), StatusCode::BAD_REQUEST);
        // A wrong shape is found before trailing bytes are looked at.
        assert_eq!(
            problem("{} trailing").status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn shape_errors_point_into_the_body() {
        let p = problem(r#"{"name":"a","tags":[1,"x"]}"#);
        assert_eq!(p.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let e = &p.errors()[0];
        assert_eq!(e.loc, vec!["body".into(), "tags".into(), LocPart::Index(1)]);
        assert_eq!(e.kind, "invalid_type");
    }

    #[test]
    fn missing_fields_are_named() {
        let p = problem(r#"{"tags":[]}"#);
        assert_eq!(
            p.errors()[0].loc,
            vec![LocPart::from("body"), "name".into()]
        );
        assert_eq!(p.errors()[0].kind, "missing");
        assert_eq!(p.errors()[0].msg, "missing field `name`");
    }

    #[test]
    fn content_types() {
        let parts = |ct: &str| {
            http::Request::builder()
                .header("content-type", ct)
                .body(())
                .expect("valid")
                .into_parts()
                .0
        };
        // Through the media-type check every body extractor shares: essence, case, parameters.
        let json = |ct: &str| {
            let parts = parts(ct);
            content_type(&parts, is_json, "application/json").map(|_| ())
        };
        assert!(json("application/json").is_ok());
        assert!(json("Application/JSON; charset=utf-8").is_ok());
        assert!(json("application/merge-patch+json").is_ok());
        for bad in ["text/plain", "application/jsonx"] {
            let p = json(bad).expect_err("415");
            assert_eq!(p.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert_eq!(
                p.detail(),
                Some("expected a request body with `Content-Type: application/json`")
            );
        }
    }
}
