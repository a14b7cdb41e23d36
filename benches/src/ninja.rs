//! Ninja's side of the comparison, through its public API: the scenario endpoints as async,
//! sync and `inline` sync handlers. Served by `server-ninja`, measured in-process by the
//! micro-benches, so both exercise the same routes.

use std::time::Duration;

use ninja_core::prelude::*;

use crate::scenario::{self, Created, Hello, ItemOut, NewItem, Saying};

#[get("/hello")]
async fn hello() -> Json<Hello> {
    Json(scenario::HELLO)
}

#[get("/hello-sync")]
fn hello_sync() -> Json<Hello> {
    Json(scenario::HELLO)
}

#[get("/hello-inline", inline)]
fn hello_inline() -> Json<Hello> {
    Json(scenario::HELLO)
}

#[get("/items/{id}")]
async fn item(id: u32, q: Option<String>) -> Json<ItemOut> {
    Json(ItemOut { id, q })
}

#[get("/items-sync/{id}")]
fn item_sync(id: u32, q: Option<String>) -> Json<ItemOut> {
    Json(ItemOut { id, q })
}

#[get("/items-inline/{id}", inline)]
fn item_inline(id: u32, q: Option<String>) -> Json<ItemOut> {
    Json(ItemOut { id, q })
}

#[post("/items")]
async fn create(Json(n): Json<NewItem>) -> ninja_core::Created<Json<Created>> {
    ninja_core::Created(Json(Created {
        id: 1,
        name: n.name,
        price: n.price,
    }))
}

#[get("/say-after")]
async fn say_after(delay: f64, word: String) -> Json<Saying> {
    tokio::time::sleep(Duration::from_secs_f64(delay)).await;
    Json(Saying { saying: word })
}

#[get("/say-sync")]
fn say_sync(delay: f64, word: String) -> Json<Saying> {
    std::thread::sleep(Duration::from_secs_f64(delay));
    Json(Saying { saying: word })
}

/// The API with every endpoint above.
pub fn api() -> NinjaApi {
    NinjaApi::new("bench", "1").routes(routes![
        hello,
        hello_sync,
        hello_inline,
        item,
        item_sync,
        item_inline,
        create,
        say_after,
        say_sync
    ])
}
