use ninja_core::prelude::*;

#[post("/items")]
fn create(a: Json<u32>, b: Json<u32>) -> String {
    format!("{}{}", a.0, b.0)
}

fn main() {}
