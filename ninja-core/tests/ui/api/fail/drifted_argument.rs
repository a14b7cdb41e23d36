// The definition changed `id` from a `String` to a `u32`: a caller written for the old
// definition no longer builds, at its own line.
use ninja_core::prelude::*;

#[ninja_core::api]
pub trait Items {
    #[get("/items/{id}")]
    fn get_item(id: u32) -> Json<u32>;
}

async fn caller(c: ItemsClient) {
    let _ = c.get_item("3".to_owned()).await;
}

fn main() {
    let _ = caller;
}
