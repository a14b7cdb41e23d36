//! The OpenAPI document says exactly what the server does.

use std::collections::HashMap;

use ninja_core::prelude::*;
use ninja_core::{RequestHead, TestClient};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A color, by name.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Blue,
}

/// A shape, tagged by `kind`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Shape {
    Circle { radius: f64 },
    Square { side: f64 },
}

/// Either a number or a word.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
enum Loose {
    Number(i64),
    Word(String),
}

/// Everything a body can hold.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Everything {
    /// A required name.
    display_name: String,
    nickname: Option<String>,
    tags: Vec<String>,
    counts: HashMap<String, u32>,
    color: Color,
    shape: Shape,
    loose: Loose,
    pair: (u8, String),
    anything: serde_json::Value,
    inner: Inner,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Inner {
    depth: u8,
}

/// Paging, as query parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Paging {
    /// Items to skip.
    offset: Option<u32>,
    /// Items per page.
    limit: u32,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Page<T> {
    items: Vec<T>,
    total: u64,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct User {
    name: String,
}

mod shop {
    /// A shop item.
    #[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    pub(crate) struct Item {
        pub(crate) sku: String,
    }
}

mod warehouse {
    /// A warehouse item.
    #[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    pub(crate) struct Item {
        pub(crate) shelf: u32,
    }
}

/// Search things.
///
/// A longer description,
/// over two lines.
///
/// And a second paragraph.
#[get("/things/{thing_id}", tags = ["things", "search"])]
fn search(
    thing_id: u64,
    q: Option<String>,
    color: Color,
    tag: Vec<String>,
    #[param(default = 10, description = "How many to return")] limit: u32,
    #[param(alias = "sort-by")] sort_by: Option<String>,
    paging: Query<Paging>,
    x_trace_id: Header<Option<String>>,
    user_agent: Header<String>,
    _head: RequestHead,
) -> Json<Page<User>> {
    let _ = (
        thing_id, q, color, tag, limit, sort_by, paging, x_trace_id, user_agent,
    );
    Json(Page {
        items: vec![],
        total: 0,
    })
}

#[post("/everything")]
async fn create(Json(body): Json<Everything>) -> Created<Json<Everything>> {
    Created(Json(body))
}

#[get("/shop/items")]
fn shop_items() -> Json<Page<shop::Item>> {
    Json(Page {
        items: vec![],
        total: 0,
    })
}

#[get("/warehouse/items")]
fn warehouse_items() -> Json<Vec<warehouse::Item>> {
    Json(vec![])
}

#[get("/shop/item")]
fn shop_item() -> Json<shop::Item> {
    Json(shop::Item { sku: "a".into() })
}

#[delete("/things/{thing_id}")]
#[deprecated = "use archive"]
fn remove(thing_id: u64) {
    let _ = thing_id;
}

#[get("/health", operation_id = "health_check")]
fn health() -> &'static str {
    "ok"
}

#[get("/maybe/{id}")]
fn maybe(id: u8) -> Result<Json<User>, Problem> {
    Err(Problem::not_found(format!("{id}")))
}

#[put("/status")]
fn status() -> (StatusCode, Json<User>) {
    (StatusCode::ACCEPTED, Json(User { name: "n".into() }))
}

#[allow(deprecated)]
fn api() -> NinjaApi {
    NinjaApi::new("Shop", "2.1")
        .description("A shop.")
        .routes(routes![
            search,
            create,
            shop_items,
            warehouse_items,
            shop_item,
            remove,
            health,
            maybe,
            status
        ])
}

fn doc() -> Value {
    serde_json::from_str(&api().openapi_json().expect("builds")).expect("valid JSON")
}

fn param<'a>(op: &'a Value, name: &str) -> &'a Value {
    op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no parameter `{name}` in {op:#}"))
}

#[test]
fn info_and_version() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    assert_eq!(
        d["info"],
        json!({"title": "Shop", "version": "2.1", "description": "A shop."})
    );
}

#[test]
fn operation_metadata_from_the_function() {
    let d = doc();
    let op = &d["paths"]["/things/{thing_id}"]["get"];
    assert_eq!(op["operationId"], "search");
    assert_eq!(op["summary"], "Search things.");
    assert_eq!(
        op["description"],
        "A longer description,\nover two lines.\n\nAnd a second paragraph."
    );
    assert_eq!(op["tags"], json!(["things", "search"]));
    assert_eq!(op.get("deprecated"), None);
    let del = &d["paths"]["/things/{thing_id}"]["delete"];
    assert_eq!(del["deprecated"], true);
    assert_eq!(d["paths"]["/health"]["get"]["operationId"], "health_check");
}

#[test]
fn parameters_say_where_and_whether_required() {
    let d = doc();
    let op = &d["paths"]["/things/{thing_id}"]["get"];
    assert_eq!(
        param(op, "thing_id"),
        &json!({"name": "thing_id", "in": "path", "required": true,
                "schema": {"type": "integer", "format": "uint64", "minimum": 0,
                           "maximum": u64::MAX}})
    );
    // Option: not required, and its schema without `null`.
    assert_eq!(
        param(op, "q"),
        &json!({"name": "q", "in": "query", "required": false, "schema": {"type": "string"}})
    );
    assert_eq!(param(op, "color")["required"], true);
    assert_eq!(
        param(op, "color")["schema"],
        json!({"$ref": "#/components/schemas/Color"})
    );
    // Vec: a repeated key, not required.
    assert_eq!(param(op, "tag")["required"], false);
    assert_eq!(
        param(op, "tag")["schema"],
        json!({"type": "array", "items": {"type": "string"}})
    );
    // A default makes it optional; the description comes from the attribute.
    assert_eq!(param(op, "limit")["required"], false);
    assert_eq!(param(op, "limit")["description"], "How many to return");
    assert_eq!(param(op, "sort-by")["in"], "query");
    // Query<T> is flattened into its fields, with their doc comments.
    assert_eq!(param(op, "offset")["required"], false);
    assert_eq!(param(op, "offset")["description"], "Items to skip.");
    assert_eq!(param(op, "limit")["in"], "query");
    let limits = op["parameters"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|p| p["name"] == "limit")
        .count();
    assert_eq!(
        limits, 2,
        "the bare `limit` and `Paging::limit` are both listed"
    );
    // Headers, by their HTTP names.
    assert_eq!(param(op, "x-trace-id")["in"], "header");
    assert_eq!(param(op, "x-trace-id")["required"], false);
    assert_eq!(param(op, "user-agent")["required"], true);
    // RequestHead reads no parameter.
    assert_eq!(op["parameters"].as_array().map(Vec::len), Some(10));
}

#[test]
fn request_body_and_responses() {
    let d = doc();
    let op = &d["paths"]["/everything"]["post"];
    assert_eq!(
        op["requestBody"],
        json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Everything"}}}})
    );
    let codes: Vec<&String> = op["responses"].as_object().expect("map").keys().collect();
    assert_eq!(codes, ["201", "400", "413", "415", "422"]);
    assert_eq!(
        op["responses"]["201"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Everything"})
    );
    assert_eq!(
        op["responses"]["422"]["content"]["application/problem+json"]["schema"],
        json!({"$ref": "#/components/schemas/ProblemDetails"})
    );
    // No input, no 422; text and 204 responses.
    let health = &d["paths"]["/health"]["get"]["responses"];
    assert_eq!(
        health,
        &json!({"200": {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}})
    );
    let del: Vec<&String> = d["paths"]["/things/{thing_id}"]["delete"]["responses"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(del, ["204", "422"]);
    // Result<_, Problem>: errors as problem details; (StatusCode, T): any success.
    let maybe: Vec<&String> = d["paths"]["/maybe/{id}"]["get"]["responses"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(maybe, ["200", "422", "default"]);
    let status: Vec<&String> = d["paths"]["/status"]["put"]["responses"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(status, ["2XX"]);
}

#[test]
fn schemas_keep_every_shape() {
    let d = doc();
    let s = &d["components"]["schemas"];
    let e = &s["Everything"];
    assert_eq!(e["description"], "Everything a body can hold.");
    assert_eq!(
        e["properties"]["displayName"]["description"],
        "A required name."
    );
    assert_eq!(
        e["properties"]["nickname"]["type"],
        json!(["string", "null"])
    );
    assert_eq!(
        e["required"],
        json!([
            "displayName",
            "tags",
            "counts",
            "color",
            "shape",
            "loose",
            "pair",
            "anything",
            "inner"
        ])
    );
    assert_eq!(
        e["properties"]["counts"]["additionalProperties"]["type"],
        "integer"
    );
    assert_eq!(
        e["properties"]["pair"]["prefixItems"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        e["properties"]["anything"],
        json!({}),
        "`true` is written `{{}}`"
    );
    assert_eq!(
        e["properties"]["inner"],
        json!({"$ref": "#/components/schemas/Inner"})
    );
    assert_eq!(s["Color"]["enum"], json!(["red", "blue"]));
    let shapes = s["Shape"]["oneOf"]
        .as_array()
        .expect("tagged enum is oneOf");
    assert_eq!(shapes[0]["properties"]["kind"]["const"], "circle");
    assert_eq!(shapes[1]["properties"]["kind"]["const"], "square");
    assert_eq!(s["Loose"]["anyOf"].as_array().map(Vec::len), Some(2));
    assert!(s.get("Inner").is_some());
}

#[test]
fn same_named_types_get_distinct_components() {
    let d = doc();
    let s = &d["components"]["schemas"];
    // First registered keeps the name, the second is suffixed (schemars' rule, in route
    // registration order): both are present and each ref points at its own type.
    let shop_ref = &d["paths"]["/shop/item"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["$ref"];
    let shop_name = shop_ref
        .as_str()
        .expect("ref")
        .rsplit('/')
        .next()
        .expect("name");
    assert_eq!(s[shop_name]["description"], "A shop item.");
    let wh = &d["paths"]["/warehouse/items"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    let wh_name = wh["items"]["$ref"]
        .as_str()
        .expect("ref")
        .rsplit('/')
        .next()
        .expect("name");
    assert_eq!(s[wh_name]["description"], "A warehouse item.");
    assert_ne!(shop_name, wh_name);
    assert_eq!((shop_name, wh_name), ("Item", "Item2"));
}

/// schemars 1 names a generic type by its bare name: `Page<User>` and `Page<Item>` are
/// `Page` and `Page2` (deterministic, and warned about at start-up)...
#[test]
fn generic_instances_are_distinct_components() {
    let d = doc();
    let s = &d["components"]["schemas"];
    assert_eq!(
        s["Page"]["properties"]["items"]["items"],
        json!({"$ref": "#/components/schemas/User"})
    );
    assert_eq!(
        s["Page2"]["properties"]["items"]["items"],
        json!({"$ref": "#/components/schemas/Item"})
    );
}

/// ...and the `rename` template the warning suggests gives them readable names.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Listing_for_{T}")]
struct Listing<T> {
    items: Vec<T>,
}

#[get("/listed/users")]
fn listed_users() -> Json<Listing<User>> {
    Json(Listing { items: vec![] })
}

#[get("/listed/colors")]
fn listed_colors() -> Json<Listing<Color>> {
    Json(Listing { items: vec![] })
}

#[test]
fn renamed_generics_get_readable_names() {
    let api = NinjaApi::new("t", "1").routes(routes![listed_users, listed_colors]);
    let d: Value = serde_json::from_str(&api.openapi_json().expect("builds")).expect("JSON");
    let names: Vec<&String> = d["components"]["schemas"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(
        names,
        ["Listing_for_User", "User", "Listing_for_Color", "Color"]
    );
}

#[test]
fn the_document_is_deterministic() {
    assert_eq!(
        api().openapi_json().expect("builds"),
        api().openapi_json().expect("builds")
    );
}

mod clash {
    #[derive(serde::Serialize, schemars::JsonSchema)]
    pub(crate) struct ProblemDetails {
        pub(crate) mine: bool,
    }
}

#[get("/clash")]
fn clashing() -> Result<Json<clash::ProblemDetails>, Problem> {
    Ok(Json(clash::ProblemDetails { mine: true }))
}

#[test]
fn a_user_schema_cannot_take_the_problem_schema_name() {
    let err = NinjaApi::new("t", "1")
        .routes(routes![clashing])
        .build()
        .expect_err("clash");
    assert!(
        err.to_string()
            .contains("a schema named `ProblemDetails` clashes"),
        "{err}"
    );
}

#[tokio::test]
async fn the_served_document_is_the_built_one() {
    let expected = api().openapi_json().expect("builds");
    let c = TestClient::new(api());
    let res = c.get("/openapi.json").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), expected);
}

#[tokio::test]
async fn docs_page_paths_are_configurable_and_can_be_turned_off() {
    let c = TestClient::new(api());
    let res = c.get("/docs").send().await;
    assert_eq!(
        (res.status().as_u16(), res.header("location")),
        (308, Some("/docs/"))
    );
    let res = c.get("/docs/").send().await;
    assert_eq!(res.status(), 200);
    assert!(res.text().contains("swagger-ui"), "{}", res.text());
    let init = c.get("/docs/swagger-initializer.js").send().await;
    assert!(
        init.text().contains(r#""url": "/openapi.json""#),
        "{}",
        init.text()
    );
    assert!(init.text().contains(r#""validatorUrl": "none""#));

    let c = TestClient::new(api().openapi_path("/api/spec.json").docs_path("/api/docs"));
    assert_eq!(c.get("/api/spec.json").send().await.status(), 200);
    assert_eq!(c.get("/openapi.json").send().await.status(), 404);
    let init = c.get("/api/docs/swagger-initializer.js").send().await;
    assert!(
        init.text().contains(r#""url": "/api/spec.json""#),
        "{}",
        init.text()
    );

    let c = TestClient::new(api().no_docs());
    assert_eq!(c.get("/docs/").send().await.status(), 404);
    assert_eq!(c.get("/openapi.json").send().await.status(), 200);
    let c = TestClient::new(api().no_openapi());
    assert_eq!(c.get("/openapi.json").send().await.status(), 404);
}

#[test]
fn framework_routes_stay_out_of_the_document() {
    let d = doc();
    let paths: Vec<&String> = d["paths"].as_object().expect("map").keys().collect();
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("docs") || p.contains("openapi")),
        "{paths:?}"
    );
}
