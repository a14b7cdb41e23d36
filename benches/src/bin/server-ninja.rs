//! Ninja through its public API: the same endpoints as async and as sync handlers.

use benches::scenario::{self, Created, Hello, ItemOut, NewItem};
use ninja_core::prelude::*;

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
    ninja_core::Created(Json(Created { id: 1, name: n.name, price: n.price }))
}

fn main() -> std::io::Result<()> {
    NinjaApi::new("bench", "1")
        .routes(routes![hello, hello_sync, hello_inline, item, item_sync, item_inline, create])
        .serve(scenario::addr_arg())
}
