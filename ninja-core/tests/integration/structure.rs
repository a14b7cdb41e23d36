//! Routers (prefix, tags, nesting, overrides) and several APIs in one server.

use ninja_core::prelude::*;
use ninja_core::{Server, TestClient};
use serde_json::Value;

#[get("/")]
async fn list_items() -> &'static str {
    "items"
}

#[get("/{item_id}")]
async fn get_item(item_id: u32) -> String {
    format!("item {item_id}")
}

#[get("/health", tags = ["ops"])]
async fn health() -> &'static str {
    "ok"
}

#[get("/version")]
async fn version() -> &'static str {
    "v"
}

fn doc(api: &NinjaApi) -> Value {
    serde_json::from_str(&api.openapi_json().expect("builds")).expect("JSON")
}

fn nested() -> NinjaApi {
    let items = Router::new("/items")
        .tags(["items"])
        .routes(routes![list_items, get_item, health]);
    let v1 = Router::new("/shop")
        .tags(["shop"])
        .router(items)
        .routes(routes![version]);
    NinjaApi::new("Shop", "1.0").prefix("/api").router(v1)
}

#[tokio::test]
async fn nested_routers_join_prefixes() {
    let client = TestClient::new(nested());
    let res = client.get("/api/shop/items").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "items"));
    let res = client.get("/api/shop/items/7").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "item 7"));
    let res = client.get("/api/shop/items/health").send().await;
    assert_eq!(res.text(), "ok");
    assert_eq!(client.get("/api/shop/version").send().await.text(), "v");
    // Nothing is served without the prefixes.
    assert_eq!(client.get("/items/7").send().await.status(), 404);
    assert_eq!(client.get("/shop/version").send().await.status(), 404);
    // The API's document and docs page live under its prefix.
    assert_eq!(client.get("/api/openapi.json").send().await.status(), 200);
    assert_eq!(client.get("/api/docs/").send().await.status(), 200);
    assert_eq!(client.get("/openapi.json").send().await.status(), 404);
}

#[test]
fn document_paths_and_tags_follow_the_routers() {
    let d = doc(&nested());
    let paths: Vec<&str> = d["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        [
            "/api/shop/items",
            "/api/shop/items/{item_id}",
            "/api/shop/items/health",
            "/api/shop/version"
        ]
    );
    // The innermost router's tags; a route's own tags win; the outer router fills the rest.
    assert_eq!(
        d["paths"]["/api/shop/items"]["get"]["tags"],
        serde_json::json!(["items"])
    );
    assert_eq!(
        d["paths"]["/api/shop/items/health"]["get"]["tags"],
        serde_json::json!(["ops"])
    );
    assert_eq!(
        d["paths"]["/api/shop/version"]["get"]["tags"],
        serde_json::json!(["shop"])
    );
}

#[test]
fn bad_prefixes_and_id_clashes_fail_to_build() {
    let err = NinjaApi::new("t", "1")
        .prefix("api/")
        .routes(routes![version])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("API prefix `api/`"), "{err}");
    // The same handler twice in one API: its operation id clashes.
    let err = NinjaApi::new("t", "1")
        .router(Router::new("/a").routes(routes![version]))
        .router(Router::new("/b").routes(routes![version]))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("operation id `version`"), "{err}");
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct ItemV2 {
    id: u32,
    name: String,
}

#[get("/items/{item_id}")]
async fn get_item_v2(item_id: u32) -> Json<ItemV2> {
    Json(ItemV2 {
        id: item_id,
        name: format!("item {item_id}"),
    })
}

struct Greeting(&'static str);

#[get("/greet")]
async fn greet(g: State<Greeting>) -> String {
    let Greeting(text) = &*g;
    (*text).to_owned()
}

fn two_apis() -> Server {
    let v1 = NinjaApi::new("Shop", "1.0")
        .prefix("/api/v1")
        .state(Greeting("hello from v1"))
        .routes(routes![get_item, greet]);
    let v2 = NinjaApi::new("Shop", "2.0")
        .prefix("/api/v2")
        .description("The second version")
        .state(Greeting("hello from v2"))
        .routes(routes![get_item_v2, greet]);
    Server::new().api(v1).api(v2)
}

#[tokio::test]
async fn two_apis_side_by_side() {
    let client = TestClient::new(two_apis());
    assert_eq!(client.get("/api/v1/7").send().await.text(), "item 7");
    let v2: Value = client.get("/api/v2/items/7").send().await.json();
    assert_eq!(v2, serde_json::json!({"id": 7, "name": "item 7"}));
    // Each API has its own state.
    assert_eq!(
        client.get("/api/v1/greet").send().await.text(),
        "hello from v1"
    );
    assert_eq!(
        client.get("/api/v2/greet").send().await.text(),
        "hello from v2"
    );

    // Each its own document: title, version, paths, components.
    let d1: Value = client.get("/api/v1/openapi.json").send().await.json();
    let d2: Value = client.get("/api/v2/openapi.json").send().await.json();
    assert_eq!(d1["info"]["version"], "1.0");
    assert_eq!(d2["info"]["version"], "2.0");
    assert_eq!(d2["info"]["description"], "The second version");
    let keys = |d: &Value| {
        d["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&d1), ["/api/v1/{item_id}", "/api/v1/greet"]);
    assert_eq!(keys(&d2), ["/api/v2/items/{item_id}", "/api/v2/greet"]);
    assert!(d2["components"]["schemas"].get("ItemV2").is_some());
    assert!(d1["components"]["schemas"].get("ItemV2").is_none());

    // Each its own docs page, pointing at its own document.
    let init = client
        .get("/api/v2/docs/swagger-initializer.js")
        .send()
        .await;
    assert_eq!(init.status(), 200);
    assert!(
        init.text().contains("/api/v2/openapi.json"),
        "{}",
        init.text()
    );
    assert_eq!(
        client.get("/api/v1/docs").send().await.header("location"),
        Some("/api/v1/docs/")
    );
}

#[test]
fn server_settings_must_agree() {
    // Two APIs that disagree on a server-wide setting.
    let disagreeing = || {
        let v1 = NinjaApi::new("a", "1").prefix("/a").blocking_threads(4);
        let v2 = NinjaApi::new("b", "1").prefix("/b").blocking_threads(8);
        Server::new()
            .api(v1.routes(routes![version]))
            .api(v2.routes(routes![health]))
    };
    let err = disagreeing().build().unwrap_err();
    assert!(err.to_string().contains("`blocking_threads`"), "{err}");
    // Set on the server, it is decided there.
    assert!(disagreeing().blocking_threads(2).build().is_ok());
    // Two APIs claiming one path is a conflict.
    let a = NinjaApi::new("a", "1").routes(routes![version]);
    let b = NinjaApi::new("b", "1")
        .no_openapi()
        .routes(routes![version]);
    let err = Server::new().api(a).api(b).build().unwrap_err();
    assert!(err.to_string().contains("/version"), "{err}");
}
