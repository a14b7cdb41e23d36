// An operation named like one of the clients' own methods (`new`, `from_client`, `client`).
use ninja_core::prelude::*;

#[ninja_core::api]
pub trait Clients {
    #[get("/clients/{id}")]
    fn client(id: i64) -> Json<i64>;
}

fn main() {}
