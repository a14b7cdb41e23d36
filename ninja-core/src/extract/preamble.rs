//! What every body extractor does first, in this order: check the body's media type
//! (else 415), then refuse a body whose declared length is over the limit (413) before
//! reading any of it; JSON and form bodies are then read whole, within the limit.

use bytes::Bytes;
use http::StatusCode;
use http::header;
use http::request::Parts;
use http_body_util::{BodyExt as _, Limited};

use crate::body::RequestBody;
use crate::problem::Problem;

/// The request's `Content-Type` when its media type (without parameters such as
/// `charset`) is one `accepts` takes; else the 415 naming `expected`.
pub(crate) fn content_type<'p>(
    parts: &'p Parts,
    accepts: fn(&str) -> bool,
    expected: &str,
) -> Result<&'p str, Problem> {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| accepts(ct.split(';').next().unwrap_or("").trim()))
        .ok_or_else(|| unsupported(expected))
}

/// The 415 of a body extractor that wanted `expected`.
pub(crate) fn unsupported(expected: &str) -> Problem {
    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE).with_detail(format!(
        "expected a request body with `Content-Type: {expected}`"
    ))
}

/// A whole JSON or form body: its media type (415), its declared length (413), then its
/// bytes, refused as soon as they cross `limit`.
pub(crate) async fn read_whole(
    parts: &Parts,
    body: RequestBody,
    limit: usize,
    accepts: fn(&str) -> bool,
    expected: &str,
) -> Result<Bytes, Problem> {
    content_type(parts, accepts, expected)?;
    refuse_declared_over(parts, limit)?;
    read_body(body, limit).await
}

/// The 413 for a body over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> Problem {
    Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
        .with_detail(format!("the request body is larger than {limit} bytes"))
}

/// Refuses a body whose declared `Content-Length` is over `limit`, before reading any of
/// it: the preamble of every body extractor.
pub(crate) fn refuse_declared_over(parts: &Parts, limit: usize) -> Result<(), Problem> {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(too_large(limit)),
        _ => Ok(()),
    }
}

/// Reads a whole body, refusing it as soon as it crosses `limit` bytes.
async fn read_body(body: RequestBody, limit: usize) -> Result<Bytes, Problem> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(limit)),
        Err(e) => {
            tracing::debug!(error = %e, "failed to read a request body");
            Err(Problem::bad_request("the request body could not be read"))
        }
    }
}
