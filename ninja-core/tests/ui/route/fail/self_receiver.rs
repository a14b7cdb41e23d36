use ninja_core::prelude::*;

struct Api;

impl Api {
    #[get("/me")]
    fn me(&self) -> &'static str {
        "me"
    }
}

fn main() {}
