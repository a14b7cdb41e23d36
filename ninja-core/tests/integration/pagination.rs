//! `LimitOffset`/`Page` and `Cursor`/`CursorPage`: bounds, defaults, 422s, the document,
//! in sync and async handlers.

use ninja_core::pagination::{Cursor, CursorPage, LimitOffset, Page};
use ninja_core::prelude::*;
use serde_json::{Value, json};

use crate::locs;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Item {
    id: u64,
}

const ITEMS: u64 = 95;

fn items(skip: u64, take: u32) -> Vec<Item> {
    (skip..ITEMS)
        .take(take as usize)
        .map(|id| Item { id })
        .collect()
}

/// Sync, with the defaults (20, at most 100).
#[get("/items")]
fn list(page: LimitOffset) -> Json<Page<Item>> {
    Json(page.page(items(page.offset, page.limit), ITEMS))
}

/// Async, with its own bounds.
#[get("/small")]
async fn small(page: LimitOffset<5, 10>) -> Json<Page<Item>> {
    Json(page.page(items(page.offset, page.limit), ITEMS))
}

/// Cursor style: the cursor is the next id.
#[get("/feed")]
async fn feed(page: Cursor<u64, 10, 50>) -> Json<CursorPage<Item, u64>> {
    let items = items(page.cursor.unwrap_or(0), page.limit);
    let next = items.last().map(|i| i.id + 1).filter(|n| *n < ITEMS);
    Json(page.page(items, next))
}

fn api() -> NinjaApi {
    NinjaApi::new("pages", "1").routes(routes![list, small, feed])
}

fn ids(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_u64().expect("an id"))
        .collect()
}

#[tokio::test]
async fn limit_and_offset_have_defaults_and_bounds() {
    let c = TestClient::new(api());
    let page: Value = c.get("/items").send().await.json();
    assert_eq!(ids(&page), (0..20).collect::<Vec<_>>());
    assert_eq!(page["count"], 95);

    let page: Value = c
        .get("/items")
        .query("limit", 100)
        .query("offset", 90)
        .send()
        .await
        .json();
    assert_eq!(ids(&page), (90..95).collect::<Vec<_>>());

    let page: Value = c.get("/small").send().await.json();
    assert_eq!(ids(&page), (0..5).collect::<Vec<_>>());

    for (path, limit, offset, field) in [
        ("/items", "0", "0", "limit"),
        ("/items", "101", "0", "limit"),
        ("/small", "11", "0", "limit"),
        ("/items", "5", "-1", "offset"),
        ("/items", "5", "9223372036854775808", "offset"),
        ("/items", "x", "0", "limit"),
    ] {
        let res = c
            .get(path)
            .query("limit", limit)
            .query("offset", offset)
            .send()
            .await;
        assert_eq!(res.status(), 422, "{path}?limit={limit}&offset={offset}");
        let found = locs(&res.json());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, format!("query.{field}"), "{found:?}");
    }
}

#[tokio::test]
async fn cursors_walk_every_item_once() {
    let c = TestClient::new(api());
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let mut req = c.get("/feed").query("limit", 30);
        if let Some(cur) = &cursor {
            req = req.query("cursor", cur);
        }
        let page: Value = req.send().await.json();
        seen.extend(ids(&page));
        match page["next"].as_u64() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, (0..95).collect::<Vec<_>>());
    let res = c.get("/feed").query("cursor", "not-a-number").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(locs(&res.json())[0].0, "query.cursor");
}

/// Both styles keep the contract their documents state.
#[cfg(feature = "contract")]
#[tokio::test]
async fn pages_keep_their_contract() {
    ninja_core::contract::Contract::new(api()).check().await;
}

#[test]
fn pages_are_documented_with_bounds_defaults_and_readable_names() {
    let doc: Value = serde_json::from_str(&api().openapi_json().expect("builds")).expect("JSON");
    let params = |path: &str| doc["paths"][path]["get"]["parameters"].clone();
    assert_eq!(
        params("/small")[0],
        json!({"name": "limit", "in": "query", "description": "Items on the page.", "required": false,
               "schema": {"type": "integer", "format": "uint32", "minimum": 1, "maximum": 10, "default": 5}})
    );
    assert_eq!(params("/items")[1]["name"], "offset");
    assert_eq!(params("/items")[1]["schema"]["maximum"], json!(i64::MAX));
    // The cursor is typed: a client can only send one the server reads.
    assert_eq!(params("/feed")[1]["name"], "cursor");
    assert_eq!(params("/feed")[1]["schema"]["type"], "integer");
    let ok = |path: &str| {
        doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].clone()
    };
    assert_eq!(ok("/items"), "#/components/schemas/ItemPage");
    assert_eq!(ok("/feed"), "#/components/schemas/ItemCursorPage");
    let page = &doc["components"]["schemas"]["ItemPage"];
    assert_eq!(page["required"], json!(["items", "count"]));
    assert!(doc["paths"]["/items"]["get"]["responses"]["422"].is_object());
}
