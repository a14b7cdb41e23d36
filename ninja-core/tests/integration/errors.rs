//! The framework's own error answers: status, problem body, headers; the handler never runs.

use std::sync::atomic::{AtomicUsize, Ordering};

use ninja_core::TestClient;
use ninja_core::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

static CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Deserialize, JsonSchema)]
struct In {
    #[allow(dead_code)]
    name: String,
}

#[post("/in")]
fn take(Json(_): Json<In>) -> &'static str {
    CALLS.fetch_add(1, Ordering::SeqCst);
    "ran"
}

#[get("/in")]
fn get_in() -> &'static str {
    "get"
}

fn client() -> TestClient {
    TestClient::new(
        NinjaApi::new("t", "1")
            .body_limit(64)
            .routes(routes![take, get_in]),
    )
}

fn assert_problem(res: &ninja_core::TestResponse, status: u16) -> Value {
    assert_eq!(res.status(), status, "{}", res.text());
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    let body: Value = res.json();
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], "about:blank");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

#[tokio::test]
async fn unknown_path_is_404() {
    let res = client().get("/nope").send().await;
    let body = assert_problem(&res, 404);
    assert_eq!(body["detail"], "no route for GET /nope");
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let res = client().delete("/in").send().await;
    assert_problem(&res, 405);
    assert_eq!(res.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
}

#[tokio::test]
async fn head_is_answered_by_get() {
    let res = client().request(http::Method::HEAD, "/in").send().await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn bad_bodies_never_reach_the_handler() {
    let before = CALLS.load(Ordering::SeqCst);
    let c = client();
    // No content type, then a wrong one: 415.
    let body = assert_problem(&c.post("/in").body("{}").send().await, 415);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("application/json"))
    );
    assert_problem(
        &c.post("/in")
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await,
        415,
    );
    // Over the limit: 413, by Content-Length and by the bytes themselves.
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(100));
    assert_problem(
        &c.post("/in")
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await,
        413,
    );
    // Broken syntax: 400. Wrong shape: 422 at the field.
    assert_problem(
        &c.post("/in")
            .header("content-type", "application/json")
            .body("{\"name\"")
            .send()
            .await,
        400,
    );
    let res = c
        .post("/in")
        .header("content-type", "application/json; charset=utf-8")
        .body("{\"name\":1}")
        .send()
        .await;
    let body = assert_problem(&res, 422);
    assert_eq!(
        body["errors"][0]["loc"],
        serde_json::json!(["body", "name"])
    );
    assert_eq!(
        CALLS.load(Ordering::SeqCst),
        before,
        "the handler ran on bad input"
    );
    // And a good one does run.
    let res = c
        .post("/in")
        .json(&serde_json::json!({"name": "a"}))
        .send()
        .await;
    assert_eq!(res.text(), "ran");
}

#[get("/a/{id}")]
fn a(id: u32) -> String {
    id.to_string()
}

#[get("/a/{other}")]
fn conflicting(other: u32) -> String {
    other.to_string()
}

mod twin {
    use ninja_core::prelude::*;
    #[post("/b")]
    pub(super) fn a() {}
}

#[test]
fn route_conflicts_are_start_up_errors_naming_both() {
    let err = NinjaApi::new("t", "1")
        .routes(routes![a, conflicting, twin::a])
        .build()
        .expect_err("conflicting routes must not build");
    let msgs = err.messages().join("\n");
    assert!(
        msgs.contains("/a/{other}") && msgs.contains("/a/{id}"),
        "{msgs}"
    );
    assert!(
        msgs.contains("operation id `a` is used by both `GET /a/{id}` and `POST /b`"),
        "{msgs}"
    );
}

#[test]
fn the_same_route_twice_is_an_error() {
    let err = NinjaApi::new("t", "1")
        .routes(routes![a, a])
        .build()
        .expect_err("duplicate");
    assert!(
        err.to_string()
            .contains("`GET /a/{id}` is registered twice"),
        "{err}"
    );
}
