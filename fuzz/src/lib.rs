//! What every fuzz target shares: one app with handlers of every input kind, a runtime, and
//! the invariant — whatever the input, an answer with an expected status, never a panic or a
//! 500.

use std::sync::LazyLock;

use ninja_core::prelude::*;
use ninja_core::{App, RequestBody};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    Red,
    Green,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema, garde::Validate)]
pub struct Paging {
    #[garde(range(min = 1, max = 100))]
    pub limit: u32,
    #[garde(skip)]
    pub offset: Option<u64>,
}

#[get("/q")]
async fn query(
    n: u32,
    s: Option<String>,
    v: Vec<i64>,
    c: Option<Color>,
    b: Option<bool>,
    f: Option<f64>,
) -> String {
    format!("{n} {s:?} {v:?} {c:?} {b:?} {f:?}")
}

#[get("/page")]
async fn page(p: Query<Paging>) -> String {
    format!("{}", p.0.limit)
}

#[get("/p/{a}/{b}")]
async fn path(a: u32, #[param(length(min = 1, max = 8))] b: String) -> String {
    format!("{a} {b}")
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema, garde::Validate)]
pub struct Item {
    #[garde(length(chars, min = 1, max = 20))]
    pub name: String,
    #[garde(range(max = 1000))]
    pub price: u32,
    #[garde(length(max = 4), dive)]
    pub parts: Vec<Part>,
    #[garde(skip)]
    pub extra: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

/// A nested part.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema, garde::Validate)]
pub struct Part {
    #[garde(length(min = 1))]
    pub label: String,
    #[garde(skip)]
    pub tags: Vec<Color>,
}

#[post("/j")]
async fn json_body(Json(item): Json<Item>) -> String {
    item.name
}

#[get("/static/{*rest}")]
async fn wildcard(rest: String) -> String {
    rest
}

#[delete("/items/{id}")]
fn delete_item(id: u64) {
    let _ = id;
}

/// The app every target calls.
pub static APP: LazyLock<App> = LazyLock::new(|| {
    NinjaApi::new("fuzz", "1")
        .body_limit(64 * 1024)
        .routes(routes![query, page, path, json_body, wildcard, delete_item])
        .build()
        .expect("the fuzz app builds")
});

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
});

/// Sends one request; `None` when `target` is not a valid request target (the HTTP layer
/// would refuse it before Ninja saw it).
pub fn call(method: &[u8], target: &str, content_type: &str, body: &[u8]) -> Option<u16> {
    let method = http::Method::from_bytes(method).ok()?;
    let req = http::Request::builder()
        .method(method)
        .uri(target)
        .header("content-type", content_type)
        .header("content-length", body.len())
        .body(RequestBody::full(bytes::Bytes::copy_from_slice(body)))
        .ok()?;
    let res = RT.block_on(APP.call(req));
    Some(res.status().as_u16())
}

/// The invariant: a status from the expected set (never a 5xx).
pub fn check(status: Option<u16>, allowed: &[u16]) {
    if let Some(s) = status {
        assert!(allowed.contains(&s), "unexpected status {s}");
    }
}
