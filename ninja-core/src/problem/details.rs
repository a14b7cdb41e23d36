//! Problem details as a reader sees them: what a client decodes from an error answer, and
//! how an error type recognizes its own variants in it ([`FromProblem`]).

use std::fmt;

use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::FieldError;

/// Problem details (RFC 9457) as a client reads them: the fields Ninja sends, and any
/// other member under `extensions`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ProblemDetails {
    /// The problem type: a URI reference, `about:blank` when the status says it all.
    #[serde(rename = "type", default = "about_blank")]
    pub type_uri: String,
    /// A short summary of the problem type.
    #[serde(default)]
    pub title: String,
    /// The HTTP status: the answer's (the body's own `status` is advisory).
    #[serde(default)]
    pub status: u16,
    /// This occurrence, for a person.
    #[serde(default)]
    pub detail: Option<String>,
    /// This occurrence, as a URI reference.
    #[serde(default)]
    pub instance: Option<String>,
    /// Every failing input of a validation error (422).
    #[serde(default)]
    pub errors: Vec<FieldError>,
    /// Other members.
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

impl ProblemDetails {
    /// Which of the operation's declared errors this is: the `code` member a
    /// `#[derive(ApiError)]` type sends (its variant's name in snake case, or its
    /// `#[api(code = "..")]`).
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        self.extensions.get("code").and_then(Value::as_str)
    }

    /// The status as a [`StatusCode`] (500 if the server sent no valid one).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// From an answer that is not a success: its problem JSON, else its status and text.
    #[cfg(feature = "client")]
    pub(crate) fn from_answer(status: StatusCode, body: &[u8]) -> Self {
        let mut p = serde_json::from_slice::<Self>(body).unwrap_or_else(|_| Self {
            type_uri: about_blank(),
            title: String::new(),
            status: status.as_u16(),
            detail: (!body.is_empty())
                .then(|| String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned()),
            instance: None,
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
        });
        // The answer's status wins: RFC 9457 calls the member advisory.
        p.status = status.as_u16();
        if p.title.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("Error")
                .clone_into(&mut p.title);
        }
        p
    }
}

/// An error type that recognizes its own answers: the typed client turns a problem into
/// [`ClientError::Api`](crate::client::ClientError::Api) of the operation's error type when
/// this says it is one of its variants, else leaves it a
/// [`ClientError::Problem`](crate::client::ClientError::Problem).
///
/// `#[derive(ApiError)]` implements it: a variant is recognized by its status and `code`,
/// and its fields are read back from the members they were sent as (a 5xx variant's fields
/// are never sent, so only a 5xx variant without fields comes back).
#[diagnostic::on_unimplemented(
    message = "the typed client cannot read `{Self}` back from an error answer",
    label = "an operation's error type must implement `FromProblem`",
    note = "derive `ApiError` on it, use `Problem`, or implement `ninja_core::client::FromProblem`"
)]
pub trait FromProblem {
    /// What answers are read back into: `Self`, or `Infallible` for a type that declares
    /// no answers of its own (`Problem`), so its callers see a plain `ClientError`.
    type Error;

    /// `Some` when `problem` is one of this type's declared answers.
    fn from_problem(problem: &ProblemDetails) -> Option<Self::Error>;
}

/// Types that declare no answers of their own: theirs stay problem details.
macro_rules! declares_nothing {
    ($($ty:ty),*) => {$(
        impl FromProblem for $ty {
            type Error = std::convert::Infallible;

            fn from_problem(_: &ProblemDetails) -> Option<std::convert::Infallible> {
                None
            }
        }
    )*};
}

// A `Problem` is any problem; a boxed error is a generic 500.
declares_nothing!(
    crate::Problem,
    Box<dyn std::error::Error + Send + Sync>,
    std::convert::Infallible
);

impl fmt::Display for ProblemDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        for e in &self.errors {
            write!(f, "; {}", e.msg)?;
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "client"))]
mod tests {
    use super::ProblemDetails;
    use http::StatusCode;

    #[test]
    fn the_answers_status_wins_over_the_bodys() {
        let p =
            ProblemDetails::from_answer(StatusCode::NOT_FOUND, br#"{"status":1,"title":"Gone"}"#);
        assert_eq!((p.status, p.title.as_str()), (404, "Gone"));
        let p = ProblemDetails::from_answer(StatusCode::BAD_GATEWAY, b"upstream broke");
        assert_eq!(
            (p.status, p.title.as_str(), p.detail.as_deref()),
            (502, "Bad Gateway", Some("upstream broke"))
        );
    }
}
