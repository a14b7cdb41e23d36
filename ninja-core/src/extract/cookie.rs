//! `Cookie<T>`: one cookie of the request, by name.

use serde::de::DeserializeOwned;

use super::param::ParamError;
use super::{Arg, FromRequestParts, ParamDe, RequestCx, invalid};
use crate::openapi::{OperationDoc, ParamIn};
use crate::problem::Problem;

/// The cookie named after the argument (or its `alias`), percent-decoded.
///
/// ```
/// # use ninja_core::prelude::*;
/// #[get("/me")]
/// fn me(session: Cookie<Option<String>>) -> String {
///     session.0.unwrap_or_else(|| "anonymous".to_owned())
/// }
/// ```
///
/// `Cookie<Option<T>>` when it may be absent; a value that does not parse is a 422 at
/// `["cookie", name]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cookie<T>(pub T);

impl<T> std::ops::Deref for Cookie<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The percent-decoded values of every cookie named `name`, in order; `None` when a
/// `Cookie` header is not visible ASCII.
pub(crate) fn cookie_values(headers: &http::HeaderMap, name: &str) -> Option<Vec<String>> {
    let mut values = Vec::new();
    for header in headers.get_all(http::header::COOKIE) {
        for c in cookie::Cookie::split_parse_encoded(header.to_str().ok()?).flatten() {
            if c.name() == name {
                values.push(c.value().to_owned());
            }
        }
    }
    Some(values)
}

impl<T: DeserializeOwned + schemars::JsonSchema> FromRequestParts for Cookie<T> {
    fn from_request_parts(cx: &RequestCx<'_>, arg: &Arg) -> Result<Self, Problem> {
        let loc = || vec!["cookie".into(), arg.name().into()];
        let Some(values) = cookie_values(&cx.parts().headers, arg.name()) else {
            let e = ParamError::new(
                "invalid",
                "the Cookie header is not visible ASCII".to_owned(),
            );
            return Err(invalid(loc(), e));
        };
        T::deserialize(ParamDe::new(values.iter().map(String::as_str)))
            .map(Cookie)
            .map_err(|e| invalid(loc(), e))
    }

    fn describe(op: &mut OperationDoc<'_>, arg: &Arg) {
        op.typed_parameter::<T>(ParamIn::Cookie, arg);
    }
}
