use ninja_core::prelude::*;

#[post("/n")]
fn n(#[param(range(min = 1))] Json(v): Json<u32>) -> String {
    v.to_string()
}

fn main() {}
