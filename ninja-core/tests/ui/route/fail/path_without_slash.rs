use ninja_core::prelude::*;

#[get("items")]
fn items() -> &'static str {
    "items"
}

fn main() {}
