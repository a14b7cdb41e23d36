use ninja_core::prelude::*;

#[get("/")]
struct Index;

fn main() {}
