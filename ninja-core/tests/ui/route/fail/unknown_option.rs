use ninja_core::prelude::*;

#[get("/", tagz = ["a"])]
fn index() -> &'static str {
    "index"
}

fn main() {}
