//! The typed client (`#[api]` definitions, `Client` and `BlockingClient`) against a real
//! server on 127.0.0.1:0: every kind of input and answer, the errors, and the build check
//! that holds a handler to its definition. One set of cases runs through both clients.

use std::net::SocketAddr;
use std::sync::Mutex;

use ninja_core::RequestHead;
use ninja_core::client::{Client, ClientError};
use ninja_core::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Item {
    pub(crate) id: u32,
    pub(crate) name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, garde::Validate)]
pub(crate) struct NewItem {
    #[garde(length(chars, min = 1, max = 20))]
    pub(crate) name: String,
}

#[derive(Debug, ApiError)]
pub(crate) enum ItemError {
    #[api(status = 404)]
    NotFound(u32),
    #[api(status = 409, type = "/problems/duplicate")]
    Duplicate(String),
    /// Named fields, a code of its own.
    #[api(status = 429, code = "slow_down")]
    TooFast {
        retry_after: u32,
        scope: Option<String>,
    },
    /// A 5xx without fields comes back.
    #[api(status = 503)]
    Maintenance,
    /// A 5xx's fields stay on the server, so it stays a problem.
    #[api(status = 500)]
    Store(std::io::Error),
    /// A field that does not serialize is not sent: a problem too.
    #[api(status = 400)]
    Opaque(NotSerde),
    /// Fields named like problem members are not sent (they cannot replace the problem's
    /// own `status` or `code`): a problem too.
    #[api(status = 410)]
    Clash { status: u32, code: String },
}

#[derive(Debug)]
pub(crate) struct NotSerde;

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound(id) => write!(f, "item {id} does not exist"),
            Self::Duplicate(name) => write!(f, "an item named {name:?} exists"),
            Self::TooFast { retry_after, .. } => write!(f, "again in {retry_after} s"),
            Self::Maintenance => f.write_str("down for maintenance"),
            Self::Store(e) => write!(f, "store: {e}"),
            Self::Opaque(_) => f.write_str("opaque"),
            Self::Clash { status, code } => write!(f, "clash {status} {code}"),
        }
    }
}

/// The definition both sides compile.
#[ninja_core::api(prefix = "/api")]
pub(crate) trait Items {
    /// Get one item.
    #[get("/items/{id}")]
    fn get_item(id: u32) -> Result<Json<Item>, ItemError>;

    /// Search: an optional filter, a repeated tag, a bounded limit.
    #[get("/items")]
    async fn search(
        name: Option<String>,
        tag: Vec<String>,
        #[param(range(min = 1, max = 50))] limit: u32,
    ) -> Json<Vec<String>>;

    /// Add an item.
    #[post("/items")]
    fn create(body: Json<NewItem>) -> Result<Created<Json<Item>>, ItemError>;

    /// Echo a path with slashes and odd characters.
    #[get("/files/{*path}")]
    async fn file(path: String) -> String;

    /// Nothing back.
    #[delete("/items/{id}")]
    fn remove(id: u32) -> ();

    /// A form.
    #[post("/forms")]
    fn form(form: Form<Titled>) -> String;

    /// The HTTP version the call arrived with.
    #[get("/version")]
    fn version() -> String;

    /// Raw identifiers travel under their plain names; a header of any serde type.
    #[get("/kinds/{type}")]
    fn kind(r#type: String, r#in: Option<String>, scale: Header<f64>) -> String;

    /// Fails with the named variant of `ItemError`.
    #[get("/failures/{variant}")]
    fn fail(variant: String) -> Result<String, ItemError>;
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Titled {
    pub(crate) title: String,
}

static STORE: Mutex<Vec<Item>> = Mutex::new(Vec::new());

#[get("/items/{id}", op = items::get_item)]
fn get_item(id: u32) -> Result<Json<Item>, ItemError> {
    let store = STORE.lock().expect("not poisoned");
    store
        .iter()
        .find(|i| i.id == id)
        .cloned()
        .map(Json)
        .ok_or(ItemError::NotFound(id))
}

#[get("/items", op = items::search)]
async fn search(
    name: Option<String>,
    tag: Vec<String>,
    #[param(range(min = 1, max = 50))] limit: u32,
) -> Json<Vec<String>> {
    let mut out = vec![format!("name={}", name.unwrap_or_default())];
    out.extend(tag.into_iter().map(|t| format!("tag={t}")));
    out.push(format!("limit={limit}"));
    Json(out)
}

#[post("/items", op = items::create)]
fn create(Json(new): Json<NewItem>) -> Result<Created<Json<Item>>, ItemError> {
    let mut store = STORE.lock().expect("not poisoned");
    if store.iter().any(|i| i.name == new.name) {
        return Err(ItemError::Duplicate(new.name));
    }
    let item = Item {
        id: u32::try_from(store.len()).expect("few") + 100,
        name: new.name,
    };
    store.push(item.clone());
    Ok(Created(Json(item)))
}

#[get("/files/{*path}", op = items::file)]
async fn file(path: String) -> String {
    path
}

#[delete("/items/{id}", op = items::remove)]
fn remove(id: u32) {
    STORE.lock().expect("not poisoned").retain(|i| i.id != id);
}

#[post("/forms", op = items::form)]
fn form(Form(f): Form<Titled>) -> String {
    f.title
}

#[get("/version", op = items::version)]
fn version(head: RequestHead) -> String {
    format!("{:?}", head.version)
}

#[get("/kinds/{type}", op = items::kind)]
fn kind(r#type: String, r#in: Option<String>, scale: Header<f64>) -> String {
    format!("{type} in {} x{}", r#in.unwrap_or_default(), scale.0)
}

#[get("/failures/{variant}", op = items::fail)]
fn fail(variant: String) -> Result<String, ItemError> {
    Err(match variant.as_str() {
        "too_fast" => ItemError::TooFast {
            retry_after: 3,
            scope: Some("writes".to_owned()),
        },
        "maintenance" => ItemError::Maintenance,
        "store" => ItemError::Store(std::io::Error::other("disk on fire")),
        "opaque" => ItemError::Opaque(NotSerde),
        "clash" => ItemError::Clash {
            status: 7,
            code: "not_found".to_owned(),
        },
        _ => return Ok(variant),
    })
}

fn api() -> NinjaApi {
    NinjaApi::new("Items", "1.0").prefix("/api").routes(routes![
        get_item, search, create, file, remove, form, version, kind, fail
    ])
}

/// Serves `api()` on a runtime of its own thread, for as long as the test runs.
fn serve() -> SocketAddr {
    let app = api().build().expect("the handlers match their definitions");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        tx.send(rt.block_on(crate::serve_app(app))).expect("sent");
        rt.block_on(std::future::pending::<()>());
    });
    rx.recv().expect("the server starts")
}

/// The cases, written once: `$c` is an `ItemsClient` or an `ItemsBlockingClient`, and the
/// trailing `await` is given for the async one. `$n` keeps the names of the two runs apart.
macro_rules! cases {
    ($c:expr, $n:literal $(, $aw:tt)?) => {{
        let c = $c;
        // A body in, 201 and the typed value out.
        let made = c
            .create(Json(NewItem { name: concat!("lamp", $n).to_owned() }))$(.$aw)?
            .expect("created");
        assert_eq!(made.name, concat!("lamp", $n));
        // A path parameter.
        let got = c.get_item(made.id)$(.$aw)?.expect("found");
        assert_eq!(got, made);
        // The error enum's answers, read back as its variants, the problem details kept.
        let missing = c.get_item(9_999)$(.$aw)?.expect_err("404");
        assert!(matches!(missing, ClientError::Api { error: ItemError::NotFound(9_999), .. }), "{missing:?}");
        let p = missing.problem().expect("problem details");
        assert_eq!((p.status, p.code()), (404, Some("not_found")));
        assert_eq!(p.detail.as_deref(), Some("item 9999 does not exist"));
        let dup = c
            .create(Json(NewItem { name: concat!("lamp", $n).to_owned() }))$(.$aw)?
            .expect_err("409");
        assert!(
            matches!(dup.api(), Some(ItemError::Duplicate(name)) if name == concat!("lamp", $n)),
            "{dup:?}"
        );
        assert_eq!(dup.status(), Some(StatusCode::CONFLICT));
        assert_eq!(dup.problem().expect("problem").type_uri, "/problems/duplicate");
        let fast = c.fail("too_fast".to_owned())$(.$aw)?.expect_err("429");
        assert!(
            matches!(&fast, ClientError::Api { error: ItemError::TooFast { retry_after: 3, scope: Some(s) }, .. } if s == "writes"),
            "{fast:?}"
        );
        let down = c.fail("maintenance".to_owned())$(.$aw)?.expect_err("503");
        assert!(matches!(down, ClientError::Api { error: ItemError::Maintenance, .. }), "{down:?}");
        // What cannot be read back stays problem details, with its code.
        for (variant, status) in [("store", 500), ("opaque", 400), ("clash", 410)] {
            let e = c.fail(variant.to_owned())$(.$aw)?.expect_err("fails");
            let ClientError::Problem(p) = &e else { panic!("{variant}: {e:?}") };
            assert_eq!((p.status, p.code()), (status, Some(variant)), "{p:?}");
            assert!(p.extensions.keys().eq(["code"]), "{variant} sent a field: {p:?}");
        }
        // Validation: the 422's field errors.
        let bad = c.create(Json(NewItem { name: String::new() }))$(.$aw)?.expect_err("422");
        let p = bad.problem().expect("problem");
        assert_eq!(p.status, 422);
        assert_eq!(p.errors.len(), 1, "{p}");
        // Query: None left out, a list repeated, reserved characters escaped.
        let found = c
            .search(Some("a&b=c d".to_owned()), vec!["x".to_owned(), "y/z".to_owned()], 7)$(.$aw)?
            .expect("searched");
        assert_eq!(found, ["name=a&b=c d", "tag=x", "tag=y/z", "limit=7"]);
        let found = c.search(None, Vec::new(), 1)$(.$aw)?.expect("searched");
        assert_eq!(found, ["name=", "limit=1"]);
        let out_of_range = c.search(None, Vec::new(), 51)$(.$aw)?.expect_err("422");
        assert_eq!(out_of_range.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        // A rest parameter keeps its slashes; other characters arrive intact.
        let path = c.file("a/b c/100%.txt".to_owned())$(.$aw)?.expect("echoed");
        assert_eq!(path, "a/b c/100%.txt");
        // A value that would change which route is called is refused, not sent.
        for moved in ["..", "a/../admin", "./x"] {
            let e = c.file(moved.to_owned())$(.$aw)?.expect_err("refused");
            assert!(matches!(e, ClientError::Request(_)), "{moved}: {e}");
        }
        // A form; raw identifiers under their plain names; a float header; a `..` path
        // value is refused (non-ASCII headers: examples/tests/client.rs).
        assert_eq!(c.form(Form(Titled { title: "a & b=c".to_owned() }))$(.$aw)?.expect("form"), "a & b=c");
        let kind = c.kind("tool".to_owned(), Some("shed".to_owned()), Header(1.5))$(.$aw)?.expect("kind");
        assert_eq!(kind, "tool in shed x1.5");
        let e = c.kind("..".to_owned(), None, Header(1.0))$(.$aw)?.expect_err("refused");
        assert!(matches!(e, ClientError::Request(_)), "{e}");
        // `()` back.
        c.remove(made.id)$(.$aw)?.expect("removed");
        assert_eq!(c.get_item(made.id)$(.$aw)?.expect_err("gone").status(), Some(StatusCode::NOT_FOUND));
    }};
}

#[tokio::test]
async fn async_client_round_trips_every_kind_of_input_and_answer() {
    let addr = serve();
    cases!(
        ItemsClient::new(&format!("http://{addr}")).expect("client"),
        "a",
        await
    );
    // The default is an HTTP/1.1 pool.
    let c = ItemsClient::new(&format!("http://{addr}")).expect("client");
    assert_eq!(c.version().await.expect("version"), "HTTP/1.1");
}

#[tokio::test]
async fn async_client_over_http2_multiplexes_concurrent_calls() {
    let addr = serve();
    let client = ItemsClient::from_client(
        Client::builder(&format!("http://{addr}"))
            .http2()
            .build()
            .expect("client"),
    );
    cases!(client.clone(), "h2", await);
    assert_eq!(client.version().await.expect("version"), "HTTP/2.0");
    let calls = (0..200).map(|i| {
        let c = client.clone();
        async move { c.search(None, Vec::new(), 1 + i % 50).await }
    });
    let answers = futures_util::future::join_all(calls).await;
    for (i, a) in answers.into_iter().enumerate() {
        assert_eq!(a.expect("answered")[1], format!("limit={}", 1 + i % 50));
    }
}

#[test]
fn blocking_client_round_trips_every_kind_of_input_and_answer() {
    let addr = serve();
    cases!(
        ItemsBlockingClient::new(&format!("http://{addr}")).expect("client"),
        "b"
    );
}

#[tokio::test]
async fn blocking_client_inside_a_runtime_is_an_error_not_a_hang() {
    let err = ItemsBlockingClient::new("http://127.0.0.1:1").expect_err("inside a runtime");
    assert!(matches!(err, ClientError::InsideRuntime), "{err}");
    assert!(err.to_string().contains("async client"), "{err}");
}

#[test]
fn blocking_client_works_from_a_sync_handler_on_the_blocking_pool() {
    let upstream = serve();
    #[get("/relay/{id}")]
    fn relay(id: u32, upstream: State<String>) -> Result<Json<Item>, Problem> {
        let client = ItemsBlockingClient::new(&upstream)
            .map_err(|e| Problem::internal().with_detail(e.to_string()))?;
        match client.get_item(id) {
            Ok(item) => Ok(Json(item)),
            Err(e) => Err(Problem::new(e.status().unwrap_or(StatusCode::BAD_GATEWAY))
                .with_detail(e.to_string())),
        }
    }
    let relay_api = NinjaApi::new("Relay", "1.0")
        .state(format!("http://{upstream}"))
        .routes(routes![relay]);
    let client = ninja_core::TestClient::blocking(relay_api);
    let made = ItemsBlockingClient::new(&format!("http://{upstream}"))
        .expect("client")
        .create(Json(NewItem {
            name: "relayed".to_owned(),
        }))
        .expect("created");
    let res = client.get(&format!("/relay/{}", made.id)).send();
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.json::<Item>(), made);
}

#[tokio::test]
async fn transport_failures_and_timeouts_are_typed() {
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port();
    let c = ItemsClient::new(&format!("http://127.0.0.1:{port}")).expect("client");
    let err = c.get_item(1).await.expect_err("refused");
    assert!(matches!(err, ClientError::Transport(_)), "{err}");
    // A listener that never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = silent.local_addr().expect("addr");
    let c = ItemsClient::from_client(
        Client::builder(&format!("http://{addr}"))
            .timeout(std::time::Duration::from_millis(200))
            .build()
            .expect("client"),
    );
    let err = c.get_item(1).await.expect_err("times out");
    assert!(matches!(err, ClientError::Timeout), "{err}");
    drop(silent);
    // A bad base URL is refused when the client is made.
    let err = ItemsClient::new("127.0.0.1:8000").expect_err("not absolute");
    assert!(matches!(err, ClientError::Request(_)), "{err}");
}

#[tokio::test]
async fn an_answer_not_in_the_declared_form_is_a_decode_error() {
    #[ninja_core::api]
    pub(crate) trait Liar {
        #[get("/number")]
        fn number() -> Json<u32>;
    }
    #[get("/number")]
    fn number() -> &'static str {
        "not json"
    }
    let app = NinjaApi::new("Liar", "1.0")
        .routes(routes![number])
        .build()
        .expect("builds");
    let addr = crate::serve_app(app).await;
    let err = LiarClient::new(&format!("http://{addr}"))
        .expect("client")
        .number()
        .await
        .expect_err("not a number");
    assert!(
        matches!(err, ClientError::Decode { status, .. } if status == 200),
        "{err}"
    );
}

/// A handler that drifts from its definition does not build: another path, another
/// argument type, another body, another success.
#[test]
fn a_handler_that_drifts_from_its_definition_is_refused_at_build() {
    #[get("/items/{item_id}", op = items::get_item)]
    fn renamed(item_id: u32) -> Result<Json<Item>, ItemError> {
        Err(ItemError::NotFound(item_id))
    }
    #[get("/items", op = items::search)]
    async fn retyped(name: Option<String>, tag: Vec<String>, limit: String) -> Json<Vec<String>> {
        Json(vec![name.unwrap_or_default(), tag.join(","), limit])
    }
    #[post("/items", op = items::create)]
    fn other_body(Json(_): Json<Item>) -> Result<Created<Json<Item>>, ItemError> {
        Err(ItemError::NotFound(0))
    }
    #[delete("/items/{id}", op = items::remove)]
    fn other_success(id: u32) -> Json<u32> {
        Json(id)
    }
    #[derive(Deserialize, JsonSchema)]
    struct Retitled {
        /// Described: prose does not count, the type does.
        title: i64,
    }
    #[post("/forms", op = items::form)]
    fn retyped_form(Form(f): Form<Retitled>) -> String {
        f.title.to_string()
    }
    let err = NinjaApi::new("Items", "1.0")
        .prefix("/api")
        .routes(routes![
            renamed,
            retyped,
            other_body,
            other_success,
            retyped_form
        ])
        .build()
        .expect_err("drifted");
    let text = err.to_string();
    for expected in [
        "`GET /api/items/{item_id}` implements `get_item`, which its API definition serves at `GET /api/items/{id}`",
        "`GET /api/items` implements `search` of its API definition but its parameters differ",
        "`POST /api/items` implements `create` of its API definition but its request body differ",
        "`DELETE /api/items/{id}` implements `remove` of its API definition but its successful responses differ",
        "`POST /api/forms` implements `form` of its API definition but its request body differ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    // Without its prefix the API serves the definition elsewhere, which is refused too.
    let err = NinjaApi::new("Items", "1.0")
        .routes(routes![get_item])
        .build()
        .expect_err("no prefix");
    assert!(
        err.to_string().contains("serves at `GET /api/items/{id}`"),
        "{err}"
    );
}

/// The definition alone describes the API: its routes give the same document as the
/// server's (they are never run).
#[test]
fn the_definition_alone_gives_the_servers_document() {
    let from_definition = NinjaApi::new("Items", "1.0")
        .routes(routes![
            items::get_item,
            items::search,
            items::create,
            items::file,
            items::remove,
            items::form,
            items::version,
            items::kind,
            items::fail
        ])
        .openapi_json()
        .expect("document");
    let from_server = api().openapi_json().expect("document");
    assert_eq!(from_definition, from_server);
    // The handlers have no doc comments: the definition's prose is theirs.
    let doc: serde_json::Value = serde_json::from_str(&from_server).expect("JSON");
    assert_eq!(
        doc["paths"]["/api/items/{id}"]["get"]["summary"],
        "Get one item."
    );
}

#[test]
fn the_blocking_client_times_out_too() {
    // A listener that never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = silent.local_addr().expect("addr");
    let c = ItemsBlockingClient::from_client(
        Client::builder(&format!("http://{addr}"))
            .timeout(std::time::Duration::from_millis(200))
            .build_blocking()
            .expect("client"),
    );
    let started = std::time::Instant::now();
    let err = c.get_item(1).expect_err("times out");
    assert!(matches!(err, ClientError::Timeout), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    drop(silent);
}

/// Answers read as they arrive: events, bytes, sockets.
mod streams {
    use std::time::Duration;

    use futures_util::StreamExt as _;
    use ninja_core::client::{Client, ClientError};
    use ninja_core::prelude::*;
    use ninja_core::sse::{Event, Sse};

    use super::Item;

    #[ninja_core::api]
    pub(crate) trait Feeds {
        /// `n` items, `gap_ms` apart.
        #[get("/feed")]
        async fn feed(n: u32, gap_ms: u64) -> Sse<Item>;

        /// The same, after waiting `wait_ms` to answer at all.
        #[get("/late")]
        async fn late(wait_ms: u64) -> Sse<Item>;

        /// Declared as items, sent as whatever JSON.
        #[get("/mixed")]
        async fn mixed() -> Sse<Item>;
    }

    fn items(n: u32, gap: Duration) -> Sse<Item> {
        Sse::new(futures_util::stream::iter(0..n).then(move |i| async move {
            tokio::time::sleep(gap).await;
            Event::new(Item {
                id: i,
                name: format!("item {i}"),
            })
        }))
    }

    #[get("/feed", op = feeds::feed)]
    async fn feed(n: u32, gap_ms: u64) -> Sse<Item> {
        items(n, Duration::from_millis(gap_ms))
    }

    #[get("/late", op = feeds::late)]
    async fn late(wait_ms: u64) -> Sse<Item> {
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        items(1, Duration::ZERO)
    }

    #[get("/mixed")]
    async fn mixed() -> Sse<serde_json::Value> {
        let events = [
            serde_json::json!({"id": 1, "name": "one"}),
            serde_json::json!({"bogus": true}),
            serde_json::json!({"id": 2, "name": "two"}),
        ];
        Sse::new(futures_util::stream::iter(events.map(Event::new)))
    }

    async fn serve() -> String {
        let app = NinjaApi::new("Feeds", "1.0")
            .routes(routes![feed, late, mixed])
            .build()
            .expect("builds");
        format!("http://{}", crate::serve_app(app).await)
    }

    fn with_timeout(url: &str, ms: u64) -> ninja_core::client::ClientBuilder {
        Client::builder(url).timeout(Duration::from_millis(ms))
    }

    #[tokio::test]
    async fn the_timeout_bounds_a_streams_start_not_its_length() {
        let url = serve().await;
        let c = FeedsClient::from_client(with_timeout(&url, 300).build().expect("client"));
        // Four items 150 ms apart: 600 ms in all, twice the timeout.
        let got: Vec<_> = c.feed(4, 150).await.expect("started").collect().await;
        let ids: Vec<u32> = got
            .into_iter()
            .map(|e| e.expect("an item").data.id)
            .collect();
        assert_eq!(ids, [0, 1, 2, 3]);
        let err = c.late(1000).await.expect_err("no answer in time");
        assert!(matches!(err, ClientError::Timeout), "{err}");
    }

    #[tokio::test]
    async fn an_event_that_is_not_the_declared_type_is_one_decode_error() {
        let url = serve().await;
        let c = FeedsClient::new(&url).expect("client");
        let got: Vec<_> = c.mixed().await.expect("started").collect().await;
        assert_eq!(got.len(), 3, "the stream goes on after a bad event");
        assert_eq!(got[0].as_ref().expect("first").data.name, "one");
        assert!(
            matches!(&got[1], Err(ClientError::Decode { status, .. }) if *status == 200),
            "{:?}",
            got[1]
        );
        assert_eq!(got[2].as_ref().expect("third").data.name, "two");
    }

    #[test]
    fn a_blocking_stream_goes_on_after_a_bad_event_too() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let url = rt.block_on(serve());
        let c = FeedsBlockingClient::new(&url).expect("client");
        let got: Vec<_> = c.mixed().expect("started").collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(got[1], Err(ClientError::Decode { .. })), "{got:?}");
        assert_eq!(got[2].as_ref().expect("third").data.name, "two");
    }

    #[tokio::test]
    async fn a_stream_that_stalls_past_the_read_timeout_ends_in_a_timeout() {
        let url = serve().await;
        let c = FeedsClient::from_client(
            Client::builder(&url)
                .read_timeout(Duration::from_millis(150))
                .build()
                .expect("client"),
        );
        // The answer's head comes at once, the first item 600 ms later.
        let mut feed = c.feed(2, 600).await.expect("started");
        let first = feed.next().await.expect("an item");
        assert!(matches!(first, Err(ClientError::Timeout)), "{first:?}");
    }

    #[test]
    fn a_blocking_stream_is_an_iterator_and_refuses_to_block_a_runtime() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let url = rt.block_on(serve());
        let c = FeedsBlockingClient::new(&url).expect("client");
        let names: Vec<String> = c
            .feed(3, 1)
            .expect("started")
            .map(|e| e.expect("an item").data.name)
            .collect();
        assert_eq!(names, ["item 0", "item 1", "item 2"]);
        let mut feed = c.feed(3, 1).expect("started");
        let _inside = rt.enter();
        assert!(matches!(feed.next(), Some(Err(ClientError::InsideRuntime))));
        assert!(feed.next().is_none(), "the stream ends after the refusal");
    }

    #[cfg(feature = "ws")]
    #[tokio::test]
    async fn a_non_upgrade_is_a_decode_error_and_a_closed_socket_closes_quietly() {
        #[ninja_core::api]
        pub(crate) trait Sockets {
            /// Declared as a WebSocket.
            #[get("/not-a-socket")]
            async fn not_a_socket(
                ws: ninja_core::ws::WebSocketUpgrade,
            ) -> ninja_core::ws::WebSocketResponse;

            /// Says bye and closes.
            #[get("/bye")]
            async fn bye(ws: ninja_core::ws::WebSocketUpgrade)
            -> ninja_core::ws::WebSocketResponse;
        }
        #[get("/bye", op = sockets::bye)]
        async fn bye(ws: ninja_core::ws::WebSocketUpgrade) -> ninja_core::ws::WebSocketResponse {
            ws.on_upgrade(|mut socket| async move {
                let _ = socket.send(ninja_core::ws::Message::text("bye")).await;
                socket
                    .close(ninja_core::ws::CloseCode::Normal, "done")
                    .await;
            })
        }
        /// Answered with text.
        #[get("/not-a-socket")]
        fn not_a_socket() -> &'static str {
            "no upgrade here"
        }
        let app = NinjaApi::new("Sockets", "1.0")
            .routes(routes![not_a_socket, bye])
            .build()
            .expect("builds");
        let url = format!("http://{}", crate::serve_app(app).await);
        let err = SocketsClient::new(&url)
            .expect("client")
            .not_a_socket()
            .await
            .expect_err("no socket");
        assert!(
            matches!(err, ClientError::Decode { status, .. } if status == 200),
            "{err}"
        );
        // Closed by the server: read to the end, then closing is not an error.
        let mut socket = SocketsClient::new(&url)
            .expect("client")
            .bye()
            .await
            .expect("upgraded");
        let said = socket.recv().await.expect("a message").expect("read");
        assert_eq!(said.to_text().expect("text"), "bye");
        while let Some(Ok(_)) = socket.recv().await {}
        socket.close(None).await.expect("closes quietly");
    }
}
