use ninja_core::prelude::*;

#[derive(ApiResponse)]
enum Answer {
    #[api(status = 200)]
    Ready(Json<u32>),
    Pending(Json<u32>),
    #[api(status = 200)]
    Again(Json<u32>, String),
}

fn main() {}
