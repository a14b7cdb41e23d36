//! Errors of the user's own: `#[derive(ApiError)]`, and any boxed error as a plain 500.
//!
//! ```
//! use ninja_core::prelude::*;
//!
//! #[derive(Debug, ApiError)]
//! enum ItemError {
//!     /// No item has this id.
//!     #[api(status = 404)]
//!     NotFound(u32),
//!     /// An item of this name exists.
//!     #[api(status = 409, type = "/problems/duplicate", title = "Duplicate item")]
//!     Duplicate { name: String },
//!     /// The store failed; the cause is logged, never sent.
//!     #[api(status = 500)]
//!     Store(std::io::Error),
//! }
//!
//! impl std::fmt::Display for ItemError {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         match self {
//!             Self::NotFound(id) => write!(f, "item {id} does not exist"),
//!             Self::Duplicate { name } => write!(f, "an item named {name} exists"),
//!             Self::Store(e) => write!(f, "store failed: {e}"),
//!         }
//!     }
//! }
//!
//! impl From<std::io::Error> for ItemError {
//!     fn from(e: std::io::Error) -> Self { Self::Store(e) }
//! }
//!
//! #[get("/items/{id}")]
//! fn get_item(id: u32) -> Result<String, ItemError> {
//!     let text = std::fs::read_to_string(format!("/nonexistent/{id}"))?; // `?` works
//!     Ok(text)
//! }
//! ```
//!
//! Each value is answered as an RFC 9457 problem with the variant's status, `title` (the
//! status's reason phrase unless set) and `type` (`about:blank` unless set); `detail` is the
//! error's `Display`, except for 5xx statuses, whose detail is generic and whose `Display`
//! goes to the log. Every declared status is listed in the operation's responses, described
//! by the first variant's doc comment. Pair it with `thiserror` to write `Display` as
//! attributes.
//!
//! So that a client can tell the variants apart, each answer carries a `code` member, the
//! variant's name in snake case (`not_found`; set with `#[api(code = "..")]`), and, below
//! 500, the variant's fields as members: named fields by name, one unnamed field as `value`
//! (several as `value_0`, `value_1`..), each if its type serializes. The typed client reads
//! them back into the enum (`ClientError::Api`).

use std::borrow::Cow;
use std::fmt::Display;

use http::StatusCode;

use crate::openapi::{ErrorVariant, OperationDoc};
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// The problem of a `#[derive(ApiError)]` value, before its fields are added.
#[doc(hidden)]
pub fn error_problem(
    status: u16,
    title: Option<&'static str>,
    kind: Option<&'static str>,
    code: &'static str,
    error: &dyn Display,
) -> Problem {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut p = if status.is_server_error() {
        tracing::error!(%status, error = %error, "a handler returned a server error");
        Problem::new(status).with_detail("the server failed to handle this request")
    } else {
        Problem::new(status).with_detail(error.to_string())
    };
    if title.is_some() || kind.is_some() {
        let reason = Cow::Borrowed(status.canonical_reason().unwrap_or("Error"));
        p = p.with_type(
            kind.unwrap_or("about:blank"),
            title.map_or(reason, Cow::Borrowed),
        );
    }
    p.add_member("code", Some(code.into()));
    p
}

/// Documents a `#[derive(ApiError)]` type named `name`: each of its statuses with its
/// description (the first variant's there), and each variant's status, `code` and the
/// members its fields travel as (those whose type has a schema; `None` for the others).
#[doc(hidden)]
pub fn error_doc(
    op: &mut OperationDoc<'_>,
    name: &str,
    statuses: &[(&str, &str)],
    variants: Vec<ErrorVariant<'_>>,
) {
    let mut documented = Vec::new();
    for (status, description) in statuses {
        if let Ok(code) = status.parse::<u16>()
            && !op.documents_error(code)
        {
            continue;
        }
        let description = if description.is_empty() {
            crate::openapi::reason(status).unwrap_or("Error")
        } else {
            description
        };
        op.problem_response(status, description);
        documented.push(*status);
    }
    op.error_variants(name, &documented, variants);
}

/// Any error, boxed: `?` converts every `std::error::Error` into it. Answered 500 with a
/// generic detail; the error itself goes to the log, never to the client.
impl IntoResponse for Box<dyn std::error::Error + Send + Sync> {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "a handler returned an error; answered 500");
        Problem::internal().into_response()
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.problem_response("500", "Internal Server Error");
    }
}
