use ninja_core::prelude::*;

#[get("/g")]
fn generic<T: Default>(x: u32) -> String {
    x.to_string()
}

fn main() {}
