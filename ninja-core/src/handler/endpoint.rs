//! Function tables the route macros build once per argument and per return type.
//!
//! Taking both the runtime function and the `describe` function from one generic `const fn`
//! puts each trait bound at one place in the generated code, so a type that does not fit is
//! one compile error on the user's type, not one per use. The tables are consts, so calls
//! through them compile to direct calls.

use serde::de::DeserializeOwned;

use crate::extract::{Arg, FromRequestParts, RequestCx, path_param};
use crate::openapi::{OperationDoc, ParamIn};
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// How to extract and describe one argument read from the request head.
#[derive(Debug)]
pub struct ParamFns<T> {
    /// Extracts the argument.
    pub extract: fn(&RequestCx<'_>, &Arg) -> Result<T, Problem>,
    /// Describes it for the OpenAPI document.
    pub describe: fn(&mut OperationDoc<'_>, &Arg),
}

/// The table of a [`FromRequestParts`] argument.
#[must_use]
pub const fn parts<T: FromRequestParts>() -> ParamFns<T> {
    ParamFns {
        extract: T::from_request_parts,
        describe: T::describe,
    }
}

/// The table of a path parameter (`{name}` in the path).
#[must_use]
pub const fn path<T: DeserializeOwned + schemars::JsonSchema>() -> ParamFns<T> {
    ParamFns {
        extract: path_param::<T>,
        describe: |op, arg| op.typed_parameter::<T>(ParamIn::Path, arg),
    }
}

/// How to turn a handler's return value into a response, and describe it.
#[derive(Debug)]
pub struct ResponseFns<R> {
    /// Builds the response.
    pub respond: fn(R) -> Response,
    /// Describes it for the OpenAPI document.
    pub describe: fn(&mut OperationDoc<'_>),
}

/// The table of a return type.
#[must_use]
pub const fn responds<R: IntoResponse>() -> ResponseFns<R> {
    ResponseFns {
        respond: R::into_response,
        describe: R::describe,
    }
}
