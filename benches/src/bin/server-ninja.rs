//! Ninja through its public API: the same endpoints as async and as sync handlers.

use std::time::Duration;

use benches::scenario::{self, Created, Hello, ItemOut, NewItem, Saying};
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

fn main() -> std::io::Result<()> {
    let mut api = NinjaApi::new("bench", "1").routes(routes![
        hello,
        hello_sync,
        hello_inline,
        item,
        item_sync,
        item_inline,
        create,
        say_after,
        say_sync
    ]);
    if let Some(n) = scenario::flag("--blocking-threads") {
        api = api.blocking_threads(n as usize);
    }
    api.serve(scenario::addr_arg())
}
