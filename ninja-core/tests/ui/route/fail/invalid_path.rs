use ninja_core::prelude::*;

#[get("/items/{item_id")]
fn get_item(item_id: u32) -> String {
    item_id.to_string()
}

fn main() {}
