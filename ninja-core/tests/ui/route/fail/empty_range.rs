use ninja_core::prelude::*;

#[get("/n")]
fn n(#[param(range())] limit: u32) -> String {
    limit.to_string()
}

fn main() {}
