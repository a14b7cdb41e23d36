// An operation takes no `self`, has no body, and needs a route attribute.
use ninja_core::prelude::*;

#[ninja_core::api]
pub trait Items {
    #[get("/items")]
    fn list(&self) -> Json<u32>;

    #[get("/items/{id}")]
    fn get_item(id: u32) -> Json<u32> {
        Json(id)
    }

    fn untagged() -> Json<u32>;
}

fn main() {}
