//! What every body extractor does first: check the body's media type (else 415) and
//! refuse a body whose declared length is over the limit (413) before reading any of it;
//! then read it, within the limit.

use bytes::Bytes;
use http::StatusCode;
use http::header;
use http::request::Parts;
use http_body_util::{BodyExt as _, Limited};

use crate::body::RequestBody;
use crate::problem::Problem;

/// The request's media type without parameters (`application/json` of
/// `application/json; charset=utf-8`), if it has a readable one.
pub(crate) fn media_type(parts: &Parts) -> Option<&str> {
    let ct = parts.headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(ct.split(';').next().unwrap_or("").trim())
}

/// The 415 of a body extractor that wanted `expected`.
pub(crate) fn unsupported(expected: &str) -> Problem {
    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE).with_detail(format!(
        "expected a request body with `Content-Type: {expected}`"
    ))
}

/// The preamble of JSON, form and multipart bodies: a media type `accepts` takes (else a
/// 415 naming `expected`), and a declared length within `limit` (else a 413).
pub(crate) fn preamble(
    parts: &Parts,
    limit: usize,
    accepts: fn(&str) -> bool,
    expected: &str,
) -> Result<(), Problem> {
    if !media_type(parts).is_some_and(accepts) {
        return Err(unsupported(expected));
    }
    refuse_declared_over(parts, limit)
}

/// The 413 for a body over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> Problem {
    Problem::new(http::StatusCode::PAYLOAD_TOO_LARGE)
        .with_detail(format!("the request body is larger than {limit} bytes"))
}

/// Refuses a body whose declared `Content-Length` is over `limit`, before reading any of
/// it: the preamble of every body extractor.
pub(crate) fn refuse_declared_over(parts: &Parts, limit: usize) -> Result<(), Problem> {
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(too_large(limit)),
        _ => Ok(()),
    }
}

/// Reads a whole body (after the preamble), refusing it as soon as it crosses `limit` bytes.
pub(crate) async fn read_body(body: RequestBody, limit: usize) -> Result<Bytes, Problem> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(limit)),
        Err(e) => {
            tracing::debug!(error = %e, "failed to read a request body");
            Err(Problem::bad_request("the request body could not be read"))
        }
    }
}
