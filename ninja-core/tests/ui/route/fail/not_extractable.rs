use ninja_core::prelude::*;

struct Database;

#[get("/users")]
fn users(db: Database) -> &'static str {
    let _ = db;
    "users"
}

fn main() {}
