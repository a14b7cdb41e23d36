//! [`Form<T>`]: an `application/x-www-form-urlencoded` body.

use http::request::Parts;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::body::RequestBody;
use crate::extract::{FromBody, Limits, deserialize_named, parse_query, read_whole};
use crate::openapi::OperationDoc;
use crate::problem::Problem;

/// A form body (`application/x-www-form-urlencoded`), decoded into `T`'s fields.
///
/// ```
/// # use ninja_core::prelude::*;
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Login { username: String, remember: Option<bool> }
///
/// #[post("/login")]
/// fn login(Form(f): Form<Login>) -> String {
///     format!("{} {}", f.username, f.remember.unwrap_or(false))
/// }
/// ```
///
/// It is the query-string format, so it is decoded as [`Query<T>`](crate::Query) is: repeated
/// keys fill a `Vec`, `true/false/1/0/yes/no/on/off` are booleans, and a failing field is a
/// 422 at `["body", field]`. Another `Content-Type` is a 415.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

impl<T> std::ops::Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

fn is_form(essence: &str) -> bool {
    essence.eq_ignore_ascii_case(FORM)
}

impl<T: DeserializeOwned + JsonSchema + Send> FromBody for Form<T> {
    async fn from_body(parts: &Parts, body: RequestBody, limits: Limits) -> Result<Self, Problem> {
        let bytes = read_whole(parts, body, limits.body(), is_form, FORM).await?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Problem::bad_request("the form body is not valid UTF-8"))?;
        deserialize_named(&parse_query(text)?, "body").map(Form)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        let schema = op.form_schema_for::<T>();
        op.request_body(FORM, schema);
    }
}

impl<T> super::validate::Validatable for Form<T> {
    type Inner = T;
    const SOURCE: &'static str = "body";
    fn inner(&self) -> &T {
        &self.0
    }
}
