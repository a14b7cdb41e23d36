//! The request's head as a value: what a handler or a response that answers the request
//! (a [`FileResponse`](crate::FileResponse)) reads of it.

/// A copy of the request head, for handlers that need the raw method, URI or headers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestHead {
    /// The request method.
    pub method: http::Method,
    /// The request URI as sent (path and query still percent-encoded).
    pub uri: http::Uri,
    /// The HTTP version.
    pub version: http::Version,
    /// All request headers.
    pub headers: http::HeaderMap,
}
