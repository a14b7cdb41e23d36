//! Every return type becomes the response the docs promise.

use ninja_core::prelude::*;
use ninja_core::{Response, TestClient};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Serialize, JsonSchema)]
struct Out {
    id: u32,
}

#[get("/text")]
fn text() -> String {
    "héllo".to_owned()
}
#[get("/static")]
fn static_text() -> &'static str {
    "static"
}
#[delete("/unit")]
fn unit() {}
#[post("/created")]
async fn created() -> Created<Json<Out>> {
    Created(Json(Out { id: 1 }))
}
#[get("/status")]
fn status() -> (StatusCode, Json<Out>) {
    (StatusCode::ACCEPTED, Json(Out { id: 2 }))
}
#[get("/headers")]
fn with_headers() -> ([(http::HeaderName, &'static str); 1], &'static str) {
    ([(http::header::CACHE_CONTROL, "no-store")], "ok")
}
#[get("/result/{ok}")]
fn result(ok: bool) -> Result<Json<Out>, Problem> {
    if ok {
        Ok(Json(Out { id: 3 }))
    } else {
        Err(Problem::conflict("taken"))
    }
}
#[get("/raw")]
fn raw() -> Response {
    let mut r = "raw".into_response();
    *r.status_mut() = StatusCode::IM_A_TEAPOT;
    r
}
#[get("/impl")]
async fn opaque() -> impl IntoResponse {
    "opaque"
}

fn client() -> TestClient {
    TestClient::new(NinjaApi::new("t", "1").routes(routes![
        text,
        static_text,
        unit,
        created,
        status,
        with_headers,
        result,
        raw,
        opaque
    ]))
}

#[tokio::test]
async fn text_responses() {
    let c = client();
    let res = c.get("/text").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "héllo"));
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(c.get("/static").send().await.text(), "static");
    assert_eq!(c.get("/impl").send().await.text(), "opaque");
}

#[tokio::test]
async fn unit_is_204_without_body() {
    let res = client().delete("/unit").send().await;
    assert_eq!(res.status(), 204);
    assert!(res.bytes().is_empty());
}

#[tokio::test]
async fn typed_statuses() {
    let c = client();
    let res = c.post("/created").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (201, r#"{"id":1}"#));
    assert_eq!(res.header("content-type"), Some("application/json"));
    let res = c.get("/status").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (202, r#"{"id":2}"#));
    assert_eq!(c.get("/raw").send().await.status(), 418);
}

#[tokio::test]
async fn headers_can_be_set() {
    let res = client().get("/headers").send().await;
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.text(), "ok");
}

#[tokio::test]
async fn results_map_errors_to_problems() {
    let c = client();
    assert_eq!(c.get("/result/true").send().await.text(), r#"{"id":3}"#);
    let res = c.get("/result/false").send().await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(res.json::<serde_json::Value>()["detail"], "taken");
}
