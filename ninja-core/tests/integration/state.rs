//! Shared state, per-request dependencies, `blocking(..)`, and the mirrored test client.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ninja_core::openapi::OperationDoc;
use ninja_core::prelude::*;
use ninja_core::{Arg, FromRequestParts, RequestCx, TestClient};
use serde_json::Value;

/// Application state: a counter shared by every request.
#[derive(Default)]
struct Hits(AtomicUsize);

/// A per-request dependency: computed from the request and the state before the handler
/// runs, taken as an argument like any extractor.
struct Tenant {
    name: String,
    hits: usize,
}

impl FromRequestParts for Tenant {
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        let name = cx
            .parts()
            .headers
            .get("x-tenant")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Problem::bad_request("send `X-Tenant`"))?
            .to_owned();
        let hits = cx.state::<Hits>().ok_or_else(Problem::internal)?;
        Ok(Self {
            name,
            hits: hits.0.fetch_add(1, Ordering::SeqCst) + 1,
        })
    }

    fn describe(op: &mut OperationDoc<'_>, _: &Arg) {
        let schema = op.schema_for::<String>();
        op.parameter(
            ninja_core::openapi::ParamIn::Header,
            "X-Tenant",
            true,
            schema,
            None,
        );
    }
}

#[get("/tenant")]
async fn tenant(t: Tenant) -> String {
    format!("{} #{}", t.name, t.hits)
}

#[get("/tenant-sync")]
fn tenant_sync(t: Tenant, hits: State<Hits>) -> String {
    let Hits(total) = &*hits;
    format!("{} #{} of {}", t.name, t.hits, total.load(Ordering::SeqCst))
}

#[tokio::test]
async fn state_and_dependencies_reach_sync_and_async_handlers() {
    let c = TestClient::new(
        NinjaApi::new("t", "1")
            .state(Hits::default())
            .routes(routes![tenant, tenant_sync]),
    );
    assert_eq!(
        c.get("/tenant")
            .header("x-tenant", "acme")
            .send()
            .await
            .text(),
        "acme #1"
    );
    assert_eq!(
        c.get("/tenant-sync")
            .header("x-tenant", "acme")
            .send()
            .await
            .text(),
        "acme #2 of 2"
    );
    let res = c.get("/tenant").send().await;
    assert_eq!(res.status(), 400);
    // The dependency documents what it reads.
    let d: Value = c.get("/openapi.json").send().await.json();
    assert_eq!(
        d["paths"]["/tenant"]["get"]["parameters"][0]["name"],
        "X-Tenant"
    );
}

static WHERE: Mutex<Vec<(String, bool)>> = Mutex::new(Vec::new());

fn here(label: &str) {
    let name = std::thread::current().name().unwrap_or("").to_owned();
    WHERE
        .lock()
        .expect("lock")
        .push((label.to_owned(), name == "ninja-blocking"));
}

#[get("/digest")]
async fn digest(text: String) -> Result<String, Problem> {
    here("handler");
    let sum = ninja_core::blocking(move || {
        here("blocking");
        text.bytes().map(u64::from).sum::<u64>()
    })
    .await?;
    Ok(sum.to_string())
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_runs_on_the_pool_off_the_reactor() {
    WHERE.lock().expect("lock").clear();
    let c = TestClient::new(NinjaApi::new("t", "1").routes(routes![digest]));
    assert_eq!(
        c.get("/digest").query("text", "ab").send().await.text(),
        "195"
    );
    let seen = WHERE.lock().expect("lock").clone();
    assert_eq!(
        seen,
        [("handler".to_owned(), false), ("blocking".to_owned(), true)]
    );
}

static GATE: Mutex<()> = Mutex::new(());

#[get("/hold")]
fn hold() -> &'static str {
    drop(GATE.lock());
    "held"
}

#[get("/panics")]
async fn panics() -> Result<&'static str, Problem> {
    ninja_core::blocking(|| -> &'static str { panic!("inside blocking: secret") }).await
}

// Holding the std lock across awaits is the point: it keeps the pool's only thread busy.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_shares_the_bound_of_sync_handlers() {
    let c = TestClient::new(
        NinjaApi::new("t", "1")
            .blocking_threads(1)
            .blocking_queue(0)
            .routes(routes![hold, digest, panics]),
    );
    // A sync handler holds the only slot...
    let guard = GATE.lock().expect("lock");
    let held = tokio::spawn(c.get("/hold").send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // ...so `blocking` inside an async handler is refused at once, like a sync handler.
    let res = c.get("/digest").query("text", "a").send().await;
    assert_eq!(res.status(), 503, "{}", res.text());
    assert_eq!(res.header("retry-after"), Some("1"));
    drop(guard);
    assert_eq!(held.await.expect("joined").text(), "held");
    assert_eq!(
        c.get("/digest").query("text", "a").send().await.text(),
        "97"
    );
    // A panic inside `blocking` is the handler's panic: a 500 without the message.
    let res = c.get("/panics").send().await;
    assert_eq!(res.status(), 500);
    assert!(!res.text().contains("secret"));
    assert_eq!(
        c.get("/digest").query("text", "a").send().await.text(),
        "97"
    );
}

#[tokio::test]
async fn blocking_outside_a_handler_falls_back_to_tokio() {
    let n = ninja_core::blocking(|| 6 * 7).await.expect("runs");
    assert_eq!(n, 42);
}

// The same test, written once for the async client and once for the sync one.

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Debug, PartialEq)]
struct Item {
    id: u32,
    name: String,
}

#[post("/items/{id}")]
fn put_item(id: u32, Json(mut item): Json<Item>, x_suffix: Header<Option<String>>) -> Json<Item> {
    item.id = id;
    if let Some(s) = &x_suffix.0 {
        item.name.push_str(s);
    }
    Json(item)
}

fn items_api() -> NinjaApi {
    NinjaApi::new("t", "1").routes(routes![put_item])
}

#[tokio::test]
async fn items_with_the_async_client() {
    let client = TestClient::new(items_api());
    let res = client
        .post("/items/3")
        .header("x-suffix", "!")
        .json(&Item {
            id: 0,
            name: "pen".into(),
        })
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(
        res.json::<Item>(),
        Item {
            id: 3,
            name: "pen!".into()
        }
    );
    let res = client
        .post("/items/x")
        .json(&Item {
            id: 0,
            name: "pen".into(),
        })
        .send()
        .await;
    assert_eq!(res.status(), 422);
}

#[test]
fn items_with_the_sync_client() {
    let client = TestClient::blocking(items_api());
    let res = client
        .post("/items/3")
        .header("x-suffix", "!")
        .json(&Item {
            id: 0,
            name: "pen".into(),
        })
        .send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(
        res.json::<Item>(),
        Item {
            id: 3,
            name: "pen!".into()
        }
    );
    let res = client
        .post("/items/x")
        .json(&Item {
            id: 0,
            name: "pen".into(),
        })
        .send();
    assert_eq!(res.status(), 422);
}

#[test]
fn the_sync_client_runs_async_handlers_and_blocking_too() {
    let client = TestClient::blocking(NinjaApi::new("t", "1").routes(routes![digest]));
    assert_eq!(
        client.get("/digest").query("text", "ab").send().text(),
        "195"
    );
}
