//! The `hello` API: `say-after` (async) and `say-sync` (sync), and a small item store.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ninja_core::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the say endpoints answer.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Saying {
    /// The word, said back.
    pub saying: String,
}

/// A stored item.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Item {
    /// Its id, given by the server.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Its price in cents.
    pub price: u64,
    /// The query `q` it was read with, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}

/// A new item, as a client sends it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct NewItem {
    /// Its name.
    pub name: String,
    /// Its price in cents.
    pub price: u64,
}

/// The item store, shared by every request.
#[derive(Debug, Default)]
pub struct Store {
    next_id: AtomicU32,
    items: Mutex<Vec<Item>>,
}

/// The hello API's operations, for its typed clients (`HelloApiClient`,
/// `HelloApiBlockingClient`); each handler below links to its own with `op = ..`.
#[ninja_core::api]
pub trait HelloApi {
    /// Say a word after a delay.
    #[get("/say-after")]
    async fn say_after(
        #[param(range(min = 0.0, max = 60.0))] delay: f64,
        word: String,
    ) -> Json<Saying>;

    /// Say a word after a delay, on the blocking pool.
    #[get("/say-sync")]
    fn say_sync(#[param(range(min = 0.0, max = 60.0))] delay: f64, word: String) -> Json<Saying>;

    /// Read an item.
    #[get("/items/{item_id}")]
    fn get_item(item_id: u32, q: Option<String>) -> Result<Json<Item>, Problem>;

    /// Add an item.
    #[post("/items")]
    async fn create_item(item: Json<NewItem>) -> Created<Json<Item>>;
}

/// The delay asked for; its range (0 to 60 s) is checked, and documented, by `#[param]`.
fn delay(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds).unwrap_or_default()
}

/// Say a word after a delay.
///
/// Awaited on the reactor: thousands can wait at once without holding a thread.
#[get("/say-after", tags = ["say"], op = hello_api::say_after)]
pub async fn say_after(
    #[param(range(min = 0.0, max = 60.0), example = 1.5)] delay: f64,
    #[param(example = "hello")] word: String,
) -> Json<Saying> {
    tokio::time::sleep(self::delay(delay)).await;
    Json(Saying { saying: word })
}

/// Say a word after a delay, from a plain function.
///
/// Runs on the blocking pool, so `std::thread::sleep` blocks only its own thread.
#[get("/say-sync", tags = ["say"], op = hello_api::say_sync)]
pub fn say_sync(#[param(range(min = 0.0, max = 60.0))] delay: f64, word: String) -> Json<Saying> {
    std::thread::sleep(self::delay(delay));
    Json(Saying { saying: word })
}

/// Read an item.
#[get("/items/{item_id}", tags = ["items"], op = hello_api::get_item)]
pub fn get_item(
    item_id: u32,
    q: Option<String>,
    store: State<Store>,
) -> Result<Json<Item>, Problem> {
    let items = store.items.lock().unwrap_or_else(|e| e.into_inner());
    let item = items
        .iter()
        .find(|i| i.id == item_id)
        .ok_or_else(|| Problem::not_found(format!("no item {item_id}")))?;
    Ok(Json(Item { q, ..item.clone() }))
}

/// Create an item.
#[post("/items", tags = ["items"], op = hello_api::create_item)]
pub async fn create_item(store: State<Store>, Json(new): Json<NewItem>) -> Created<Json<Item>> {
    let item = Item {
        id: store.next_id.fetch_add(1, Ordering::Relaxed) + 1,
        name: new.name,
        price: new.price,
        q: None,
    };
    store
        .items
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(item.clone());
    Created(Json(item))
}

/// The API, ready to serve or to test.
pub fn api() -> NinjaApi {
    NinjaApi::new("Ninja hello", "1.0")
        .description("The classic say-after demo, in async and sync, plus a small item store.")
        .server("/", "the server this document comes from")
        .tag(
            "say",
            "Answers after a delay: awaited (async) or on the blocking pool (sync)",
        )
        .tag("items", "A small in-memory item store")
        .license("MIT OR Apache-2.0", "MIT OR Apache-2.0")
        .redoc_path("/redoc")
        .scalar_path("/scalar")
        .state(Store::default())
        .routes(routes![say_after, say_sync, get_item, create_item])
}
