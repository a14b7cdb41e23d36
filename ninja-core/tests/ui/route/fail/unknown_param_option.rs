use ninja_core::prelude::*;

#[get("/")]
fn index(#[param(defualt = 10)] limit: u32) -> String {
    limit.to_string()
}

fn main() {}
