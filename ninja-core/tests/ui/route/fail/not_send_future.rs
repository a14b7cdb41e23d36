use ninja_core::prelude::*;

#[get("/rc")]
async fn rc() -> String {
    let shared = std::rc::Rc::new(1);
    tokio::task::yield_now().await;
    shared.to_string()
}

fn main() {}
