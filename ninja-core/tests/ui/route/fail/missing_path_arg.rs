use ninja_core::prelude::*;

#[get("/items/{item_id}")]
fn get_item(id: u32) -> String {
    id.to_string()
}

fn main() {}
