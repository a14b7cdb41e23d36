//! tower in and out, through real sockets: tower-http layers on an API and on a router, foreign
//! services mounted beside Ninja's routes, Ninja nested in axum, `OPTIONS` and `HEAD`.

use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use ninja_core::MatchedPath;
use ninja_core::auth::AuthScheme;
use ninja_core::prelude::*;

use crate::serve_app as serve;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Item {
    id: u32,
    name: String,
}

#[get("/items/{id}")]
async fn get_item(id: u32) -> Json<Item> {
    Json(Item {
        id,
        name: "widget".repeat(200),
    })
}

#[get("/hello")]
async fn hello() -> &'static str {
    "hello"
}

#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(400)).await;
    "slow"
}

#[derive(Clone)]
struct User;

#[get("/me")]
async fn me(_user: Auth<User>) -> &'static str {
    "me"
}

fn api() -> NinjaApi {
    NinjaApi::new("Layers", "1.0")
        .routes(routes![get_item, hello, slow])
        .router(
            Router::new("/private")
                .auth(AuthScheme::bearer(|t: String| async move {
                    (t == "good").then_some(User)
                }))
                .routes(routes![me]),
        )
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(addr: SocketAddr, method: Method, path: &str, headers: &[(&str, &str)]) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let res = client
        .request(req.body(Full::new(Bytes::new())).expect("a request"))
        .await
        .expect("an answer");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("a body").to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Answer {
    send(addr, Method::GET, path, headers).await
}

const ORIGIN: &str = "http://localhost:5173";

fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(HeaderValue::from_static(ORIGIN))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::HeaderName::from_static("x-custom")])
}

#[tokio::test]
async fn cors_answers_preflights_and_marks_every_answer() {
    let addr = serve(api().layer(cors()).build().expect("builds")).await;
    let preflight = send(
        addr,
        Method::OPTIONS,
        "/items/1",
        &[
            ("origin", ORIGIN),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "x-custom"),
        ],
    )
    .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(ORIGIN)
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("x-custom")
    );
    let origin = [("origin", ORIGIN)];
    // A success, the framework's 422, 401, 404 and 405: each carries the header.
    for (method, path, status) in [
        (Method::GET, "/items/1", 200),
        (Method::GET, "/items/minus-one", 422),
        (Method::GET, "/private/me", 401),
        (Method::GET, "/nowhere", 404),
        (Method::DELETE, "/items/1", 405),
    ] {
        let a = send(addr, method.clone(), path, &origin).await;
        assert_eq!(a.status, status, "{method} {path}");
        assert_eq!(
            a.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{method} {path}"
        );
    }
    // Another origin is not allowed: the header names the one allowed origin, so a browser
    // on another one refuses the answer.
    let other = get(addr, "/hello", &[("origin", "http://evil.example")]).await;
    assert_eq!(other.header("access-control-allow-origin"), Some(ORIGIN));
}

#[tokio::test]
async fn without_cors_options_is_204_with_allow_and_head_has_no_body() {
    let addr = serve(api().build().expect("builds")).await;
    let a = send(addr, Method::OPTIONS, "/items/1", &[]).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(a.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(a.header("access-control-allow-origin"), None);
    // An unknown path is still a 404.
    assert_eq!(
        send(addr, Method::OPTIONS, "/nowhere", &[]).await.status,
        404
    );
    let get = get(addr, "/items/7", &[]).await;
    let head = send(addr, Method::HEAD, "/items/7", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(get.body.len().to_string().as_str())
    );
    assert_eq!(head.header("content-type"), get.header("content-type"));
}

/// A `Write` into a shared buffer, for a subscriber whose output the test reads.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The access-log stack of the shop example: a span per request named after the route
/// template, with the request id; one INFO line per response with status and latency.
fn access_log(api: NinjaApi) -> NinjaApi {
    let x_request_id = header::HeaderName::from_static("x-request-id");
    api.layer(
        TraceLayer::new_for_http()
            .make_span_with(|req: &Request<ninja_core::RequestBody>| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("-", MatchedPath::as_str);
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), route, id)
            })
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
    )
    .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
    .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
}

#[tokio::test]
async fn trace_logs_one_line_per_request_with_route_status_latency_and_id() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // Current-thread runtime: the server's tasks run on this thread, under this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);
    let addr = serve(access_log(api()).build().expect("builds")).await;

    let given = get(addr, "/items/42", &[("x-request-id", "abc-123")]).await;
    assert_eq!(given.status, 200);
    assert_eq!(given.header("x-request-id"), Some("abc-123"));
    let made = get(addr, "/items/x", &[]).await;
    assert_eq!(made.status, 422);
    let id = made
        .header("x-request-id")
        .expect("an id was made")
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let text = String::from_utf8(log.0.lock().expect("not poisoned").clone()).expect("UTF-8");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("finished processing request"))
        .collect();
    assert_eq!(lines.len(), 2, "one access-log line per request:\n{text}");
    for (line, status, id) in [(lines[0], "200", "abc-123"), (lines[1], "422", id.as_str())] {
        assert!(line.contains("method=GET"), "{line}");
        assert!(line.contains("route=\"/items/{id}\""), "{line}");
        assert!(line.contains(&format!("status={status}")), "{line}");
        assert!(line.contains("latency="), "{line}");
        assert!(line.contains(id), "{line}");
    }
}

#[tokio::test]
async fn compression_gzip_and_br_decode_to_the_same_body() {
    let addr = serve(
        api()
            .layer(tower_http::compression::CompressionLayer::new())
            .build()
            .expect("builds"),
    )
    .await;
    let plain = get(addr, "/items/5", &[]).await;
    assert_eq!(plain.header("content-encoding"), None);

    let gz = get(addr, "/items/5", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.body.len() < plain.body.len() / 4, "{}", gz.body.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut unzipped)
        .expect("valid gzip");
    assert_eq!(unzipped, plain.body);

    let br = get(addr, "/items/5", &[("accept-encoding", "br")]).await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    let mut unbr = Vec::new();
    brotli::Decompressor::new(&br.body[..], 4096)
        .read_to_end(&mut unbr)
        .expect("valid brotli");
    assert_eq!(unbr, plain.body);
}

#[tokio::test]
async fn timeouts_answer_in_time() {
    // tower-http's layer answers 408 itself.
    let addr = serve(
        api()
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_millis(50),
            ))
            .build()
            .expect("builds"),
    )
    .await;
    assert_eq!(get(addr, "/slow", &[]).await.status, 408);
    assert_eq!(get(addr, "/hello", &[]).await.status, 200);
    // tower's fails with `Elapsed`: Ninja answers it as a 408 problem.
    let addr = serve(
        api()
            .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(50)))
            .build()
            .expect("builds"),
    )
    .await;
    let a = get(addr, "/slow", &[]).await;
    assert_eq!(a.status, 408);
    assert_eq!(a.header("content-type"), Some("application/problem+json"));
}

#[tokio::test]
async fn load_shedding_answers_503_when_the_limit_is_reached() {
    let stack = tower::ServiceBuilder::new()
        .load_shed()
        .concurrency_limit(1)
        .into_inner();
    let addr = serve(api().layer(stack).build().expect("builds")).await;
    let first = tokio::spawn(async move { get(addr, "/slow", &[]).await.status });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let shed = get(addr, "/hello", &[]).await;
    assert_eq!(shed.status, 503);
    assert_eq!(shed.header("retry-after"), Some("1"));
    assert_eq!(first.await.expect("joins"), 200);
    // The slot is free again.
    assert_eq!(get(addr, "/hello", &[]).await.status, 200);
}

/// A layer whose `poll_ready` fails for the first request only (the flag is shared by its
/// clones), then passes requests on.
#[derive(Clone)]
struct ReadyAfterOneFailure<S> {
    inner: S,
    failed: Arc<std::sync::atomic::AtomicBool>,
}

impl<S> tower::Service<Request<ninja_core::RequestBody>> for ReadyAfterOneFailure<S>
where
    S: tower::Service<Request<ninja_core::RequestBody>>,
    S::Error: Into<tower::BoxError>,
{
    type Response = S::Response;
    type Error = tower::BoxError;
    type Future = futures_util::future::ErrInto<S::Future, tower::BoxError>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), tower::BoxError>> {
        if !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let overloaded = tower::load_shed::error::Overloaded::new();
            return std::task::Poll::Ready(Err(overloaded.into()));
        }
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<ninja_core::RequestBody>) -> Self::Future {
        futures_util::TryFutureExt::err_into(self.inner.call(req))
    }
}

/// Each request drives its own clone of a stack readiness first: a failed `poll_ready` is
/// that request's answer (a problem: tower's `Overloaded` is a 503), seen by the layers above
/// it like any answer (CORS marks it), and is not kept for the next request.
#[tokio::test]
async fn a_layer_s_readiness_error_is_the_request_s_problem() {
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let addr = serve(
        api()
            .layer(tower::layer::layer_fn(move |inner| ReadyAfterOneFailure {
                inner,
                failed: Arc::clone(&failed),
            }))
            .layer(cors())
            .build()
            .expect("builds"),
    )
    .await;
    let origin = [("origin", ORIGIN)];
    let first = get(addr, "/hello", &origin).await;
    assert_eq!(first.status, 503);
    assert_eq!(
        first.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(first.header("access-control-allow-origin"), Some(ORIGIN));
    let second = get(addr, "/hello", &origin).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.header("access-control-allow-origin"), Some(ORIGIN));
}

#[tokio::test]
async fn the_last_layer_added_runs_first() {
    let order = header::HeaderName::from_static("x-order");
    let addr = serve(
        api()
            .layer(SetResponseHeaderLayer::appending(
                order.clone(),
                HeaderValue::from_static("first-added"),
            ))
            .layer(SetResponseHeaderLayer::appending(
                order.clone(),
                HeaderValue::from_static("last-added"),
            ))
            .build()
            .expect("builds"),
    )
    .await;
    let a = get(addr, "/hello", &[]).await;
    // A response passes the innermost layer first: the last added is outermost.
    let seen: Vec<_> = a.headers.get_all(&order).iter().collect();
    assert_eq!(seen, ["first-added", "last-added"]);
}

#[tokio::test]
async fn a_router_layer_wraps_its_routes_only() {
    let tag = header::HeaderName::from_static("x-router");
    let layered = Router::new("/private")
        .auth(AuthScheme::bearer(|t: String| async move {
            (t == "good").then_some(User)
        }))
        .routes(routes![me])
        .layer(SetResponseHeaderLayer::overriding(
            tag.clone(),
            HeaderValue::from_static("private"),
        ))
        .layer(cors());
    let app = NinjaApi::new("Layers", "1.0")
        .routes(routes![hello])
        .router(layered)
        .build()
        .expect("builds");
    let addr = serve(app).await;
    let ok = get(addr, "/private/me", &[("authorization", "Bearer good")]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-router"), Some("private"));
    // The router's 401 is inside its layers.
    let denied = get(addr, "/private/me", &[("origin", ORIGIN)]).await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.header("x-router"), Some("private"));
    assert_eq!(denied.header("access-control-allow-origin"), Some(ORIGIN));
    // Its CORS layer answers preflights on its paths.
    let preflight = send(
        addr,
        Method::OPTIONS,
        "/private/me",
        &[("origin", ORIGIN), ("access-control-request-method", "GET")],
    )
    .await;
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(ORIGIN)
    );
    // Other routes are untouched.
    let other = get(addr, "/hello", &[("origin", ORIGIN)]).await;
    assert_eq!(other.header("x-router"), None);
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn serve_dir_and_an_axum_router_mounted_beside_ninja_routes() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("hello.txt"), "static hello").expect("writes");
    let legacy =
        axum::Router::new().route("/ping", axum::routing::get(|| async { "pong from axum" }));
    let app = api()
        .mount("/static", tower_http::services::ServeDir::new(dir.path()))
        .mount("/legacy", legacy)
        .layer(cors())
        .build()
        .expect("builds");
    let addr = serve(app).await;
    let file = get(addr, "/static/hello.txt", &[("origin", ORIGIN)]).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, "static hello");
    assert_eq!(file.header("content-type"), Some("text/plain"));
    // The API's layers wrap mounted services too.
    assert_eq!(file.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(get(addr, "/static/missing.txt", &[]).await.status, 404);
    let pong = get(addr, "/legacy/ping?x=1", &[]).await;
    assert_eq!(pong.status, 200);
    assert_eq!(pong.body, "pong from axum");
    assert_eq!(get(addr, "/hello", &[]).await.body, "hello");
    // Mounted services are not in the document.
    let doc = get(addr, "/openapi.json", &[]).await;
    let doc = String::from_utf8(doc.body.to_vec()).expect("UTF-8");
    assert!(
        !doc.contains("/static") && !doc.contains("/legacy"),
        "{doc}"
    );
}

#[test]
fn a_mount_that_collides_with_a_route_is_a_build_error() {
    let err = api()
        .mount(
            "/items/{id}",
            tower::service_fn(|_req| async {
                Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
            }),
        )
        .build()
        .expect_err("a conflict");
    assert!(
        err.to_string().contains("service mounted at `/items/{id}`"),
        "{err}"
    );
}

#[tokio::test]
async fn ninja_nested_in_axum_serves_its_routes_and_docs() {
    let app = api().build().expect("builds");
    let outer = axum::Router::new()
        .route("/", axum::routing::get(|| async { "axum home" }))
        .nest_service("/api", app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, outer).await });
    assert_eq!(get(addr, "/", &[]).await.body, "axum home");
    let item = get(addr, "/api/items/3", &[]).await;
    assert_eq!(item.status, 200);
    assert!(item.body.starts_with(b"{\"id\":3"));
    let docs = get(addr, "/api/docs/", &[]).await;
    assert_eq!(docs.status, 200);
    assert!(
        String::from_utf8_lossy(&docs.body).contains("swagger"),
        "the docs page"
    );
    assert_eq!(get(addr, "/api/items/x", &[]).await.status, 422);
}

/// Copies the request's `MatchedPath` onto the answer as `x-matched`, to see what layers see.
#[derive(Clone)]
struct EchoMatched<S>(S);

impl<S> tower::Service<Request<ninja_core::RequestBody>> for EchoMatched<S>
where
    S: tower::Service<Request<ninja_core::RequestBody>, Response = ninja_core::Response>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = ninja_core::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<ninja_core::Response, S::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ninja_core::RequestBody>) -> Self::Future {
        let matched = req
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned());
        let fut = self.0.call(req);
        Box::pin(async move {
            let mut res = fut.await?;
            if let Some(m) = matched {
                res.headers_mut()
                    .insert("x-matched", HeaderValue::from_str(&m).expect("a value"));
            }
            Ok(res)
        })
    }
}

#[tokio::test]
async fn layers_see_the_matched_template_of_routes_405s_and_mounts() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("index.html"), "<h1>home</h1>").expect("writes");
    let app = api()
        .mount("/static", tower_http::services::ServeDir::new(dir.path()))
        .layer(tower::layer::layer_fn(EchoMatched))
        .build()
        .expect("builds");
    let addr = serve(app).await;
    let item = get(addr, "/items/9", &[]).await;
    assert_eq!(item.header("x-matched"), Some("/items/{id}"));
    let wrong = send(addr, Method::DELETE, "/items/9", &[]).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("x-matched"), Some("/items/{id}"));
    // The mount's prefix with a trailing slash reaches the mounted service (its index).
    let index = get(addr, "/static/", &[]).await;
    assert_eq!(index.status, 200, "{:?}", index.body);
    assert_eq!(index.body, "<h1>home</h1>");
    assert_eq!(index.header("x-matched"), Some("/static"));
}

/// In-process, as tower's `oneshot` calls it (the app handle dropped right after `call`):
/// the layered answer is the route's, not a 503 from an app gone away.
#[tokio::test]
async fn a_layered_app_answers_when_called_once_in_process() {
    use tower::ServiceExt as _;
    let app = api()
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("x-layer"),
            HeaderValue::from_static("on"),
        ))
        .build()
        .expect("builds");
    let req = Request::get("/hello")
        .body(Full::new(Bytes::new()))
        .expect("a request");
    let res = app.oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-layer"], "on");
}

/// A layer's own problems (a timeout's 408) go through the API's error handler too.
#[tokio::test]
async fn the_error_handler_reshapes_problems_made_by_layers() {
    let app = api()
        .error_handler(|p: ninja_core::Problem| {
            (p.status(), format!("reshaped {}", p.status().as_u16()))
        })
        .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(50)))
        .build()
        .expect("builds");
    let addr = serve(app).await;
    let slow = get(addr, "/slow", &[]).await;
    assert_eq!(slow.status, 408);
    assert_eq!(slow.body, "reshaped 408");
}

#[test]
fn a_mount_prefix_must_start_with_a_slash() {
    let err = api()
        .mount("static", tower_http::services::ServeDir::new("."))
        .build()
        .expect_err("refused");
    assert!(err.to_string().contains("mount prefix `static`"), "{err}");
}

/// What `poll_ready` reserves is given back with the clone of the stack that reserved it:
/// a CORS layer answers a preflight without calling the concurrency limit below it, whose
/// permit, taken when CORS's `poll_ready` forwards to it, must not stay with the preflight's
/// idle connection (a stack clone kept per connection for reuse did exactly that, and the
/// next request on another connection waited for ever). Both in one layer, so readiness
/// reaches the limit; then in two, where each request drives its own clone of the limit.
#[tokio::test]
async fn a_preflight_does_not_keep_the_concurrency_limit_s_permit() {
    let one_layer = tower::ServiceBuilder::new()
        .layer(cors())
        .concurrency_limit(1)
        .into_inner();
    let two_layers = api()
        .layer(tower::limit::ConcurrencyLimitLayer::new(1))
        .layer(cors());
    for api in [api().layer(one_layer), two_layers] {
        let addr = serve(api.build().expect("builds")).await;
        // One client, its connection kept alive (and idle) after the preflight.
        let browser = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let preflight = Request::options(format!("http://{addr}/hello"))
            .header("origin", ORIGIN)
            .header("access-control-request-method", "GET")
            .body(Full::new(Bytes::new()))
            .expect("a request");
        let answer = browser.request(preflight).await.expect("an answer");
        assert_eq!(
            answer.headers().get("access-control-allow-origin"),
            Some(&HeaderValue::from_static(ORIGIN))
        );
        drop(answer.into_body().collect().await.expect("a body"));
        for _ in 0..3 {
            let next = tokio::time::timeout(Duration::from_secs(5), get(addr, "/hello", &[]))
                .await
                .expect("answered while the preflight's connection idles");
            assert_eq!(next.status, 200);
        }
        drop(browser);
    }
}
