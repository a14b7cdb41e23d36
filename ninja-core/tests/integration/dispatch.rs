//! Sync handlers run on the blocking pool, async ones in the request's task; panics are 500s.

use std::sync::Mutex;
use std::thread::ThreadId;

use ninja_core::TestClient;
use ninja_core::prelude::*;

static SEEN: Mutex<Vec<(&'static str, ThreadId)>> = Mutex::new(Vec::new());

fn record(who: &'static str) {
    SEEN.lock()
        .expect("not poisoned")
        .push((who, std::thread::current().id()));
}

#[get("/sync")]
fn on_sync() -> &'static str {
    record("sync");
    "sync"
}

#[get("/async")]
async fn on_async() -> &'static str {
    record("async");
    "async"
}

#[get("/panic-sync")]
fn panic_sync() -> &'static str {
    panic!("sync handler exploded: secret /etc/passwd")
}

#[get("/panic-async")]
async fn panic_async() -> &'static str {
    tokio::task::yield_now().await;
    panic!("async handler exploded: secret /etc/passwd")
}

/// A value whose serialization panics: the response is built inside the panic guard too.
#[derive(schemars::JsonSchema)]
struct Bomb;

impl serde::Serialize for Bomb {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("serializer exploded: secret /etc/passwd")
    }
}

#[get("/bomb-sync")]
fn bomb_sync() -> Json<Bomb> {
    Json(Bomb)
}

#[get("/bomb-async")]
async fn bomb_async() -> Json<Bomb> {
    tokio::task::yield_now().await;
    Json(Bomb)
}

fn client() -> TestClient {
    TestClient::new(NinjaApi::new("t", "1").routes(routes![
        on_sync,
        on_async,
        panic_sync,
        panic_async,
        bomb_sync,
        bomb_async,
    ]))
}

/// On a current-thread runtime the test's own thread is the reactor: the async handler must
/// run there, the sync one must not.
#[tokio::test(flavor = "current_thread")]
async fn sync_runs_off_the_reactor_and_async_on_it() {
    let reactor = std::thread::current().id();
    let c = client();
    assert_eq!(c.get("/sync").send().await.text(), "sync");
    assert_eq!(c.get("/async").send().await.text(), "async");
    let seen = SEEN.lock().expect("not poisoned").clone();
    let thread_of = |who| seen.iter().rev().find(|(w, _)| *w == who).map(|(_, t)| *t);
    assert_ne!(
        thread_of("sync"),
        Some(reactor),
        "sync handler ran on the reactor thread"
    );
    assert!(thread_of("sync").is_some());
    assert_eq!(
        thread_of("async"),
        Some(reactor),
        "async handler did not run in the request task"
    );
}

#[tokio::test]
async fn panics_are_500_and_serving_goes_on() {
    let c = client();
    for path in ["/panic-sync", "/panic-async", "/bomb-sync", "/bomb-async"] {
        let res = c.get(path).send().await;
        assert_eq!(res.status(), 500, "{path}");
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        let text = res.text();
        assert!(
            !text.contains("exploded") && !text.contains("passwd"),
            "panic leaked: {text}"
        );
        assert_eq!(c.get("/sync").send().await.status(), 200, "after {path}");
        assert_eq!(c.get("/async").send().await.status(), 200, "after {path}");
    }
}

#[get("/block")]
fn block() -> &'static str {
    std::thread::sleep(std::time::Duration::from_millis(400));
    "done"
}

/// One blocking slot and no queue: a second concurrent sync call is refused with 503 at once,
/// and the slot is given back afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_blocking_pool_answers_503() {
    let c = TestClient::new(
        NinjaApi::new("t", "1")
            .blocking_threads(1)
            .blocking_queue(0)
            .routes(routes![block, on_async]),
    );
    let first = tokio::spawn(c.get("/block").send());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let second = c.get("/block").send().await;
    assert_eq!(second.status(), 503);
    assert_eq!(second.header("retry-after"), Some("1"));
    assert_eq!(
        c.get("/async").send().await.status(),
        200,
        "async routes keep answering"
    );
    assert_eq!(first.await.expect("joined").text(), "done");
    assert_eq!(
        c.get("/block").send().await.text(),
        "done",
        "the slot was not given back"
    );
}

#[get("/inline", inline)]
fn on_inline() -> &'static str {
    record("inline");
    "inline"
}

#[get("/inline-panic", inline)]
fn inline_panic() -> &'static str {
    panic!("inline handler exploded")
}

/// `inline` runs a sync handler in the request's task, on the reactor thread; a panic there is
/// still a 500 and the server goes on.
#[tokio::test(flavor = "current_thread")]
async fn inline_sync_handlers_run_on_the_reactor() {
    let reactor = std::thread::current().id();
    let c = TestClient::new(NinjaApi::new("t", "1").routes(routes![on_inline, inline_panic]));
    assert_eq!(c.get("/inline").send().await.text(), "inline");
    let seen = SEEN.lock().expect("not poisoned").clone();
    let inline = seen
        .iter()
        .rev()
        .find(|(w, _)| *w == "inline")
        .map(|(_, t)| *t);
    assert_eq!(inline, Some(reactor));
    let res = c.get("/inline-panic").send().await;
    assert_eq!(res.status(), 500);
    assert!(!res.text().contains("exploded"));
    assert_eq!(c.get("/inline").send().await.status(), 200);
}

#[get("/say-after")]
async fn say_after(delay: u64, word: String) -> String {
    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    word
}

/// hyper keeps one request future per connection for the connection's life, so its size is
/// memory per connection: 584 bytes now, 896 when `call` was an `async fn` (its argument and
/// the parts taken from it each took room), and a wrapper in the server copied the request
/// once more. Measured effect: 10,000 waiting connections 163.8 → 149.5 MiB
/// (`target/release/concurrency`). This catches a value kept across an `.await` by mistake
/// (a stack awaited inside its `match` arm: 848).
#[test]
fn the_request_future_stays_small() {
    let app = NinjaApi::new("t", "1")
        .routes(routes![say_after])
        .build()
        .expect("builds");
    let req = http::Request::get("/say-after?delay=1&word=x")
        .body(ninja_core::RequestBody::empty())
        .expect("request");
    let size = std::mem::size_of_val(&app.call(req));
    assert!(size <= 640, "App::call's future is {size} bytes");
}

#[get("/items")]
async fn items_list() -> &'static str {
    "list"
}

#[get("/items/new")]
async fn items_new() -> &'static str {
    "new"
}

#[get("/items/{id}")]
async fn items_one(id: String) -> String {
    format!("one {id}")
}

#[post("/items/new")]
async fn items_create() -> &'static str {
    "created"
}

/// Static segments and parameters at one level: a static segment beats a parameter, case
/// and slashes are exact, a path answers its own methods, `HEAD` like `GET` without a body.
#[tokio::test]
async fn static_paths_and_parameters_route_as_one_table() {
    let c = TestClient::new(NinjaApi::new("t", "1").routes(routes![
        items_list,
        items_new,
        items_one,
        items_create
    ]));
    assert_eq!(c.get("/items").send().await.text(), "list");
    assert_eq!(c.get("/items/new").send().await.text(), "new");
    assert_eq!(c.post("/items/new").send().await.text(), "created");
    assert_eq!(c.get("/items/7").send().await.text(), "one 7");
    assert_eq!(c.get("/items/news").send().await.text(), "one news");
    for path in ["/Items/new", "/items/new/", "/items/7/x", "/item"] {
        assert_eq!(c.get(path).send().await.status(), 404, "{path}");
    }
    let put = c.put("/items/new").send().await;
    assert_eq!(put.status(), 405);
    assert_eq!(put.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
    let head = c.request(http::Method::HEAD, "/items/new").send().await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.text(), "");
}
