use ninja_core::prelude::*;

#[get("/", errors = [404, 200])]
fn index() -> &'static str {
    "hi"
}

fn main() {}
