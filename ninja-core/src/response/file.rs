//! [`FileResponse`]: a file from disk, with what a download needs (content type, ranges,
//! validators), served by tower-http's `ServeFile` plus an `ETag`.

use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use http::header::{self, HeaderValue};
use http::{Request, StatusCode};
use tower::ServiceExt as _;

use crate::body::Body;
use crate::head::RequestHead;
use crate::openapi::OperationDoc;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// A file to send: `Content-Type` guessed from its extension (or given), `Last-Modified`
/// and a weak `ETag` from its metadata, `If-None-Match`/`If-Modified-Since` answered 304,
/// `Range` answered 206 (or 416), streamed from disk in chunks; a missing file is a 404
/// problem. Needs the request's head, taken as a [`RequestHead`] argument.
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::{FileResponse, ServedFile};
///
/// /// Download a report.
/// #[get("/reports/{name}")]
/// async fn report(name: String, head: RequestHead) -> ServedFile {
///     FileResponse::new(format!("/srv/reports/{name}.csv"))
///         .attachment(format!("{name}.csv"))
///         .serve(&head)
///         .await
/// }
/// ```
#[derive(Debug, Clone)]
pub struct FileResponse {
    path: PathBuf,
    content_type: Option<HeaderValue>,
    attachment: Option<String>,
}

/// A file served by [`FileResponse::serve`]: the response, ready to return.
#[derive(Debug)]
pub struct ServedFile(Response);

impl FileResponse {
    /// The file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            content_type: None,
            attachment: None,
        }
    }

    /// Sends it as `media_type` instead of the type its extension suggests.
    #[must_use]
    pub fn content_type(mut self, media_type: &str) -> Self {
        self.content_type = HeaderValue::from_str(media_type).ok();
        self
    }

    /// Asks the browser to save it as `filename` (`Content-Disposition: attachment`).
    #[must_use]
    pub fn attachment(mut self, filename: impl Into<String>) -> Self {
        self.attachment = Some(filename.into());
        self
    }

    /// Answers `head`'s request with the file.
    pub async fn serve(self, head: &RequestHead) -> ServedFile {
        let Ok(meta) = tokio::fs::metadata(&self.path).await else {
            return ServedFile(Problem::not_found("the file does not exist").into_response());
        };
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let etag = HeaderValue::from_str(&format!("W/\"{:x}-{modified:x}\"", meta.len()))
            .expect("hex digits are a header value");
        let none_match = head.headers.get(header::IF_NONE_MATCH).is_some_and(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|t| t.trim() == "*" || t.trim() == etag.to_str().unwrap_or_default())
            })
        });
        let mut res = if none_match {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::NOT_MODIFIED;
            res
        } else {
            let mut req = Request::new(http_body_util::Empty::<bytes::Bytes>::new());
            *req.method_mut() = head.method.clone();
            *req.uri_mut() = head.uri.clone();
            *req.headers_mut() = head.headers.clone();
            let serve = tower_http::services::ServeFile::new(&self.path);
            match serve.oneshot(req).await {
                Ok(res) if res.status() == StatusCode::NOT_FOUND => {
                    Problem::not_found("the file does not exist").into_response()
                }
                Ok(res) => res.map(Body::new),
                Err(e) => {
                    tracing::error!(error = %e, path = %self.path.display(), "a file could not be served");
                    Problem::internal().into_response()
                }
            }
        };
        if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
            res.headers_mut().insert(header::ETAG, etag);
            if let Some(ct) = self.content_type {
                res.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            if let Some(name) = &self.attachment {
                let quoted = name.replace(['"', '\\', '\r', '\n'], "_");
                if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{quoted}\""))
                {
                    res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
                }
            }
        }
        ServedFile(res)
    }
}

impl IntoResponse for ServedFile {
    fn into_response(self) -> Response {
        self.0
    }

    fn describe(op: &mut OperationDoc<'_>) {
        let binary = || serde_json::json!({"type": "string", "format": "binary"});
        op.success(Some(("application/octet-stream", binary())));
        op.response(
            "206",
            "Partial Content",
            Some(("application/octet-stream", binary())),
        );
        op.response("304", "Not Modified", None);
        op.problem_response("404", "Not Found");
        op.response("416", "Range Not Satisfiable", None);
    }
}
