use ninja_core::prelude::*;

#[get("/fast", inline)]
async fn fast() -> &'static str {
    "fast"
}

fn main() {}
