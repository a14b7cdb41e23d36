//! Every argument kind reaches the handler with the right value, or fails with the right loc.

use ninja_core::prelude::*;
use ninja_core::{RequestHead, TestClient};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::locs;

#[derive(Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Blue,
}

#[get("/path/{n}/{f}/{b}/{s}/{c}")]
fn path_kinds(n: i64, f: f64, b: bool, s: String, c: Color) -> Json<Value> {
    Json(json!([n, f, b, s, c]))
}

#[get("/files/{*rest}")]
fn catch_all(rest: String) -> String {
    rest
}

#[get("/query")]
async fn query_kinds(
    req: u8,
    opt: Option<String>,
    tag: Vec<String>,
    #[param(default = 10)] limit: u32,
    #[param(default = "asc")] order: String,
    #[param(alias = "page-size")] page_size: Option<u16>,
    color: Option<Color>,
    flag: Option<bool>,
) -> Json<Value> {
    Json(json!({
        "req": req, "opt": opt, "tag": tag, "limit": limit, "order": order,
        "page_size": page_size, "color": color, "flag": flag,
    }))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Page {
    offset: Option<u32>,
    limit: u32,
    #[serde(default)]
    sort: Vec<String>,
}

#[get("/page")]
fn page(p: Query<Page>) -> String {
    format!("{:?}/{}/{:?}", p.offset, p.limit, p.sort)
}

#[get("/headers")]
fn headers(
    user_agent: Header<String>,
    x_count: Header<Option<u32>>,
    #[param(alias = "X-Request-Id")] rid: Header<Option<String>>,
    head: RequestHead,
) -> Json<Value> {
    Json(json!([
        user_agent.0,
        x_count.0,
        rid.0,
        head.method.as_str(),
        head.uri.to_string()
    ]))
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct NewThing {
    name: String,
    sizes: Vec<u32>,
}

#[post("/things/{id}")]
async fn body_and_more(id: u32, verbose: Option<bool>, Json(t): Json<NewThing>) -> Json<Value> {
    Json(json!({"id": id, "verbose": verbose, "name": t.name, "sizes": t.sizes}))
}

struct Counter {
    n: std::sync::atomic::AtomicUsize,
}

#[get("/count")]
fn count(c: State<Counter>) -> String {
    (c.n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1).to_string()
}

fn client() -> TestClient {
    TestClient::new(
        NinjaApi::new("t", "1")
            .state(Counter { n: 0.into() })
            .routes(routes![
                path_kinds,
                catch_all,
                query_kinds,
                page,
                headers,
                body_and_more,
                count
            ]),
    )
}

#[tokio::test]
async fn path_params_of_every_scalar_kind() {
    let res = client()
        .get("/path/-3/2.5/true/h%C3%A9llo%20w/blue")
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!([-3, 2.5, true, "héllo w", "blue"])
    );
}

#[tokio::test]
async fn bad_path_params_are_all_reported() {
    let res = client().get("/path/x/y/maybe/s/green").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        locs(&res.json()),
        [
            ("path.n".into(), "invalid".into()),
            ("path.f".into(), "invalid".into()),
            ("path.b".into(), "invalid".into()),
            ("path.c".into(), "invalid_value".into()),
        ]
    );
}

#[tokio::test]
async fn invalid_utf8_in_path_is_400() {
    let res = client().get("/files/%FF").send().await;
    assert_eq!(res.status(), 400);
    let res = client().get("/files/a/b%20c").send().await;
    assert_eq!(res.text(), "a/b c");
}

#[tokio::test]
async fn query_kinds_reach_the_handler() {
    let res = client()
        .get("/query?req=7&tag=a&tag=b+c&page-size=5&color=red&flag=yes&unknown=1")
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"req": 7, "opt": null, "tag": ["a", "b c"], "limit": 10, "order": "asc",
               "page_size": 5, "color": "red", "flag": true})
    );
    let res = client()
        .get("/query?req=1&opt=x&limit=3&order=desc")
        .send()
        .await;
    let v: Value = res.json();
    assert_eq!(
        (v["opt"].clone(), v["limit"].clone(), v["order"].clone()),
        (json!("x"), json!(3), json!("desc"))
    );
}

#[tokio::test]
async fn every_bad_query_param_is_reported_at_once() {
    let res = client()
        .get("/query?req=300&limit=-1&tag=x&color=green&flag=maybe")
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        locs(&res.json()),
        [
            ("query.req".into(), "invalid".into()),
            ("query.limit".into(), "invalid".into()),
            ("query.color".into(), "invalid_value".into()),
            ("query.flag".into(), "invalid".into()),
        ]
    );
    let res = client().get("/query").send().await;
    assert_eq!(locs(&res.json()), [("query.req".into(), "missing".into())]);
}

#[tokio::test]
async fn query_struct() {
    let res = client().get("/page?limit=5&sort=a&sort=b").send().await;
    assert_eq!(res.text(), r#"None/5/["a", "b"]"#);
    let res = client().get("/page?offset=x&limit=5").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        locs(&res.json()),
        [("query.offset".into(), "invalid".into())]
    );
    let res = client().get("/page").send().await;
    assert_eq!(
        locs(&res.json()),
        [("query.limit".into(), "missing".into())]
    );
}

#[tokio::test]
async fn invalid_utf8_in_query_is_400() {
    let res = client().get("/query?req=1&opt=%C3%28").send().await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
}

#[tokio::test]
async fn headers_and_request_head() {
    let res = client()
        .get("/headers?x=1")
        .header("user-agent", "t/1")
        .header("x-count", "4")
        .header("x-request-id", "abc")
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!(["t/1", 4, "abc", "GET", "/headers?x=1"])
    );

    let res = client()
        .get("/headers")
        .header("x-count", "many")
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        locs(&res.json()),
        [
            ("header.user-agent".into(), "missing".into()),
            ("header.x-count".into(), "invalid".into())
        ]
    );
}

#[tokio::test]
async fn json_body_with_path_and_query() {
    let res = client()
        .post("/things/9?verbose=1")
        .json(&json!({"name": "n", "sizes": [1, 2]}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"id": 9, "verbose": true, "name": "n", "sizes": [1, 2]})
    );
}

#[tokio::test]
async fn body_and_parameter_errors_are_reported_together() {
    let res = client()
        .post("/things/x?verbose=perhaps")
        .json(&json!({"name": "n", "sizes": [1, "two"]}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        locs(&res.json()),
        [
            ("path.id".into(), "invalid".into()),
            ("query.verbose".into(), "invalid".into()),
            ("body.sizes.1".into(), "invalid_type".into()),
        ]
    );
}

#[tokio::test]
async fn state_is_shared_across_requests() {
    let c = client();
    assert_eq!(c.get("/count").send().await.text(), "1");
    assert_eq!(c.get("/count").send().await.text(), "2");
}

#[tokio::test]
async fn an_empty_value_is_the_empty_string() {
    let res = client().get("/query?req=1&opt=").send().await;
    assert_eq!(res.json::<Value>()["opt"], "");
    let res = client().get("/query?req=").send().await;
    assert_eq!(locs(&res.json()), [("query.req".into(), "invalid".into())]);
}
