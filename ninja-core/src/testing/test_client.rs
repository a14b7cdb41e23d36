//! [`TestClient`]: requests answered in-process, without a socket, for tests.

use std::fmt::Display;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use std::sync::Arc;

use crate::api::Server;
use crate::app::App;
use crate::body::RequestBody;

/// Sends requests straight into an [`App`], through routing, auth, extraction and the
/// handler, with the same methods from async tests (`.send().await`) and sync ones
/// (`.send()`).
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::TestClient;
///
/// #[get("/add")]
/// fn add(a: i32, b: i32) -> String { (a + b).to_string() }
///
/// # #[tokio::main(flavor = "multi_thread")] async fn main() {
/// // In a `#[tokio::test]`:
/// let client = TestClient::new(NinjaApi::new("t", "1").routes(routes![add]));
/// let res = client.get("/add").query("a", 2).query("b", 3).send().await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.text(), "5");
/// # }
/// ```
///
/// ```
/// # use ninja_core::prelude::*;
/// # use ninja_core::TestClient;
/// # #[get("/add")]
/// # fn add(a: i32, b: i32) -> String { (a + b).to_string() }
/// // In a plain `#[test]`: the same calls, without `.await`.
/// let client = TestClient::blocking(NinjaApi::new("t", "1").routes(routes![add]));
/// let res = client.get("/add").query("a", 2).query("b", 3).send();
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.text(), "5");
/// ```
///
/// Accepts a [`NinjaApi`](crate::NinjaApi) or a [`Server`] of several.
#[derive(Debug, Clone)]
pub struct TestClient<M = Async> {
    app: App,
    mode: M,
}

/// [`TestClient`] mode: `send()` returns a future, for `#[tokio::test]`.
#[derive(Debug, Clone, Copy)]
pub struct Async;

/// [`TestClient`] mode: `send()` answers at once, for `#[test]`. It drives the app on a
/// runtime of its own, so it must not be used from inside an async runtime.
#[derive(Debug, Clone)]
pub struct Blocking(Arc<tokio::runtime::Runtime>);

#[track_caller]
fn build(server: Server) -> App {
    match server.build() {
        Ok(app) => app,
        Err(e) => panic!("{e}"),
    }
}

impl TestClient<Async> {
    /// A client for async tests. Builds the API; panics with every build error if it
    /// cannot be built.
    #[track_caller]
    #[must_use]
    pub fn new(api: impl Into<Server>) -> Self {
        Self {
            app: build(api.into()),
            mode: Async,
        }
    }
}

impl TestClient<Async> {
    /// A client for an app already built.
    #[cfg(feature = "contract")]
    pub(crate) fn from_app(app: App) -> Self {
        Self { app, mode: Async }
    }
}

impl TestClient<Blocking> {
    /// A client for sync tests: the same methods, `send()` without `.await`.
    #[track_caller]
    #[must_use]
    pub fn blocking(api: impl Into<Server>) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a test runtime");
        Self {
            app: build(api.into()),
            mode: Blocking(Arc::new(rt)),
        }
    }
}

impl<M: Clone> TestClient<M> {
    /// A request with any method.
    pub fn request(&self, method: Method, path: &str) -> TestRequest<M> {
        TestRequest {
            app: self.app.clone(),
            mode: self.mode.clone(),
            method,
            uri: path.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A `GET` request.
    pub fn get(&self, path: &str) -> TestRequest<M> {
        self.request(Method::GET, path)
    }

    /// A `POST` request.
    pub fn post(&self, path: &str) -> TestRequest<M> {
        self.request(Method::POST, path)
    }

    /// A `PUT` request.
    pub fn put(&self, path: &str) -> TestRequest<M> {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` request.
    pub fn patch(&self, path: &str) -> TestRequest<M> {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` request.
    pub fn delete(&self, path: &str) -> TestRequest<M> {
        self.request(Method::DELETE, path)
    }
}

/// Characters escaped in a query key or value (everything but unreserved ones).
pub(crate) const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A request being built by a [`TestClient`].
#[derive(Debug)]
#[must_use = "a request is sent by `.send()`"]
pub struct TestRequest<M = Async> {
    app: App,
    mode: M,
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
}

impl<M> TestRequest<M> {
    /// Appends `key=value` to the query string, percent-encoded.
    pub fn query(mut self, key: &str, value: impl Display) -> Self {
        self.uri
            .push(if self.uri.contains('?') { '&' } else { '?' });
        self.uri.extend(utf8_percent_encode(key, QUERY));
        self.uri.push('=');
        self.uri
            .extend(utf8_percent_encode(&value.to_string(), QUERY));
        self
    }

    /// Adds a header; panics on an invalid name or value (a bug in the test).
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("a valid header name");
        let value = HeaderValue::try_from(value).expect("a valid header value");
        self.headers.append(name, value);
        self
    }

    /// Adds a header already checked.
    #[cfg(feature = "contract")]
    pub(crate) fn header_value(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sends `value` as a JSON body with `Content-Type: application/json`.
    #[track_caller]
    pub fn json<T: Serialize>(mut self, value: &T) -> Self {
        self.body = serde_json::to_vec(value).expect("serializable").into();
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self
    }

    /// Sends a `multipart/form-data` body (files and fields), with its `Content-Type`.
    ///
    /// ```
    /// # use ninja_core::test_client::MultipartForm;
    /// let form = MultipartForm::new()
    ///     .file("file", "notes.txt", "text/plain", "hello")
    ///     .text("meta", r#"{"title": "Notes"}"#);
    /// # let _ = form;
    /// ```
    pub fn multipart(mut self, form: MultipartForm) -> Self {
        let content_type = format!("multipart/form-data; boundary={}", MultipartForm::BOUNDARY);
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::try_from(content_type).expect("an ASCII boundary"),
        );
        self.body = form.into_body();
        self
    }

    /// Sends raw bytes as the body (set `Content-Type` with [`header`](Self::header)).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Adds `Authorization: Basic <base64(user:password)>`.
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        use base64::Engine as _;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.header("authorization", &format!("Basic {encoded}"))
    }

    /// The request as the app receives it, with its `Content-Length`.
    pub(crate) fn into_parts(self) -> (M, App, Request<RequestBody>) {
        let mut req = Request::builder()
            .method(self.method)
            .uri(&self.uri)
            .body(RequestBody::full(self.body.clone()))
            .expect("a valid request URI");
        if !self.body.is_empty() && !self.headers.contains_key(header::CONTENT_LENGTH) {
            req.headers_mut()
                .insert(header::CONTENT_LENGTH, self.body.len().into());
        }
        req.headers_mut().extend(self.headers);
        // As if from a local client, for IP throttles.
        if self.app.needs_client_addr() {
            req.extensions_mut()
                .insert(crate::ClientAddr(([127, 0, 0, 1], 0).into()));
        }
        (self.mode, self.app, req)
    }

    fn into_call(self) -> (M, impl Future<Output = TestResponse> + Send) {
        let (mode, app, req) = self.into_parts();
        // A server sends no body in answer to `HEAD` (hyper drops it): neither does this.
        let head = req.method() == http::Method::HEAD;
        (mode, async move {
            let res = app.call(req).await;
            let (parts, body) = res.into_parts();
            let body = if head {
                Bytes::new()
            } else {
                body.collect()
                    .await
                    .map(http_body_util::Collected::to_bytes)
                    .unwrap_or_default()
            };
            TestResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            }
        })
    }
}

impl TestRequest<Async> {
    /// Sends the request through the app; the future gives the whole response.
    pub fn send(self) -> impl Future<Output = TestResponse> + Send {
        self.into_call().1
    }
}

impl TestRequest<Blocking> {
    /// Sends the request through the app and waits for the whole response.
    ///
    /// Panics if called from inside an async runtime: use [`TestClient::new`] there.
    pub fn send(self) -> TestResponse {
        let (Blocking(rt), call) = self.into_call();
        rt.block_on(call)
    }
}

/// A whole response received by a [`TestClient`].
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status code.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of header `name`, if present and text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body bytes.
    #[must_use]
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text; panics if it is not UTF-8.
    #[track_caller]
    #[must_use]
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }

    /// The body parsed as JSON; panics with the body if it does not parse as `T`.
    #[track_caller]
    #[must_use]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not the expected JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// A `multipart/form-data` body for [`TestRequest::multipart`]: fields and files, in order.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct MultipartForm {
    body: Vec<u8>,
}

impl MultipartForm {
    const BOUNDARY: &'static str = "ninja-test-boundary-7f3a9c";

    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    fn part(mut self, disposition: &str, content_type: Option<&str>, content: &[u8]) -> Self {
        let b = &mut self.body;
        b.extend_from_slice(format!("--{}\r\n", Self::BOUNDARY).as_bytes());
        b.extend_from_slice(
            format!("Content-Disposition: form-data; {disposition}\r\n").as_bytes(),
        );
        if let Some(ct) = content_type {
            b.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        b.extend_from_slice(b"\r\n");
        b.extend_from_slice(content);
        b.extend_from_slice(b"\r\n");
        self
    }

    /// A text field.
    pub fn text(self, name: &str, value: &str) -> Self {
        self.part(&format!("name=\"{name}\""), None, value.as_bytes())
    }

    /// A file part.
    pub fn file(
        self,
        name: &str,
        file_name: &str,
        content_type: &str,
        content: impl AsRef<[u8]>,
    ) -> Self {
        self.part(
            &format!("name=\"{name}\"; filename=\"{file_name}\""),
            Some(content_type),
            content.as_ref(),
        )
    }

    fn into_body(mut self) -> Bytes {
        self.body
            .extend_from_slice(format!("--{}--\r\n", Self::BOUNDARY).as_bytes());
        self.body.into()
    }
}
