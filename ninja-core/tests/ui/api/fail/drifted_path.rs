// The definition's path names `{item_id}` but the operation's argument is still `id`.
use ninja_core::prelude::*;

#[ninja_core::api]
pub trait Items {
    #[get("/items/{item_id}")]
    fn get_item(id: u32) -> Json<u32>;
}

fn main() {}
